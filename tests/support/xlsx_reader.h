#pragma once
// Reads an .xlsx workbook back for the tests, with libzip and expat only (no Python on a
// minimal Debian): sheet names, cells (text, number, style's number format) and whether the
// first row is frozen. Enough to check what the hub wrote, not a general reader. Header-only
// so that unit and integration tests both use it; not thread-safe.

#include <expat.h>
#include <zip.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace hub::test {

struct XlsxCell {
  std::string text;  // the value as written (a number's text for numbers)
  bool number = false;
  std::string format;  // the number format code ("0.0%", "#,##0", "dd/mm/yyyy"), "" = General
};

struct XlsxSheet {
  std::string name;
  std::map<std::string, XlsxCell> cells;  // "A1" -> cell
  bool header_frozen = false;             // a frozen pane below row 1
  const XlsxCell* at(const std::string& ref) const {
    auto it = cells.find(ref);
    return it == cells.end() ? nullptr : &it->second;
  }
  int rows() const {  // the last row with a cell
    int last = 0;
    for (const auto& [ref, c] : cells) {
      std::size_t i = 0;
      while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z') ++i;
      last = std::max(last, std::atoi(ref.c_str() + i));
    }
    return last;
  }
};

namespace xlsx_detail {

inline std::string entry(zip_t* z, const std::string& name) {
  zip_stat_t st;
  if (zip_stat(z, name.c_str(), 0, &st) != 0) return "";
  zip_file_t* f = zip_fopen(z, name.c_str(), 0);
  if (!f) return "";
  std::string out(st.size, '\0');
  zip_int64_t n = zip_fread(f, out.data(), st.size);
  zip_fclose(f);
  if (n < 0) return "";
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Calls start(name, attrs), text(chars) and end(name) for an XML document.
struct Sax {
  std::function<void(const std::string&, const std::map<std::string, std::string>&)> start;
  std::function<void(const std::string&)> text;
  std::function<void(const std::string&)> end;
};

inline void parse(const std::string& xml, Sax& sax) {
  XML_Parser p = XML_ParserCreate("UTF-8");
  XML_SetUserData(p, &sax);
  XML_SetElementHandler(
      p,
      [](void* ud, const XML_Char* name, const XML_Char** atts) {
        auto* s = static_cast<Sax*>(ud);
        std::map<std::string, std::string> a;
        for (int i = 0; atts[i]; i += 2) a[atts[i]] = atts[i + 1];
        if (s->start) s->start(name, a);
      },
      [](void* ud, const XML_Char* name) {
        auto* s = static_cast<Sax*>(ud);
        if (s->end) s->end(name);
      });
  XML_SetCharacterDataHandler(p, [](void* ud, const XML_Char* t, int len) {
    auto* s = static_cast<Sax*>(ud);
    if (s->text) s->text(std::string(t, static_cast<std::size_t>(len)));
  });
  bool ok = XML_Parse(p, xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_OK;
  XML_ParserFree(p);
  if (!ok) throw std::runtime_error("xlsx: malformed XML part");
}

}  // namespace xlsx_detail

// Throws std::runtime_error when the bytes are not a readable workbook.
inline std::vector<XlsxSheet> read_xlsx(const std::string& bytes) {
  using namespace xlsx_detail;
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  if (!src) throw std::runtime_error("xlsx: cannot read the bytes");
  zip_t* z = zip_open_from_source(src, ZIP_RDONLY, &err);
  if (!z) {
    zip_source_free(src);
    throw std::runtime_error("xlsx: not a zip archive");
  }
  std::vector<XlsxSheet> sheets;
  std::vector<std::string> shared;
  std::map<int, std::string> num_formats = {{3, "#,##0"}, {4, "#,##0.00"}, {9, "0%"}, {10, "0.00%"}, {14, "mm-dd-yy"}};
  std::vector<int> xf_formats;
  {
    Sax s;
    s.start = [&](const std::string& n, const std::map<std::string, std::string>& a) {
      if (n == "sheet") sheets.push_back(XlsxSheet{a.at("name"), {}, false});
    };
    parse(entry(z, "xl/workbook.xml"), s);
  }
  if (std::string ss = entry(z, "xl/sharedStrings.xml"); !ss.empty()) {
    Sax s;
    bool in_t = false;
    s.start = [&](const std::string& n, const std::map<std::string, std::string>&) {
      if (n == "si") shared.emplace_back();
      in_t = n == "t";
    };
    s.text = [&](const std::string& t) {
      if (in_t && !shared.empty()) shared.back() += t;
    };
    s.end = [&](const std::string&) { in_t = false; };
    parse(ss, s);
  }
  {
    Sax s;
    bool in_cell_xfs = false;
    s.start = [&](const std::string& n, const std::map<std::string, std::string>& a) {
      if (n == "numFmt") num_formats[std::stoi(a.at("numFmtId"))] = a.at("formatCode");
      if (n == "cellXfs") in_cell_xfs = true;
      if (n == "xf" && in_cell_xfs) xf_formats.push_back(a.count("numFmtId") ? std::stoi(a.at("numFmtId")) : 0);
    };
    s.end = [&](const std::string& n) {
      if (n == "cellXfs") in_cell_xfs = false;
    };
    parse(entry(z, "xl/styles.xml"), s);
  }
  for (std::size_t i = 0; i < sheets.size(); ++i) {
    XlsxSheet& sheet = sheets[i];
    Sax s;
    std::string ref, type, value;
    int style = 0;
    bool in_value = false;
    s.start = [&](const std::string& n, const std::map<std::string, std::string>& a) {
      if (n == "c") {
        ref = a.at("r");
        type = a.count("t") ? a.at("t") : "";
        style = a.count("s") ? std::stoi(a.at("s")) : 0;
        value.clear();
      }
      if (n == "v" || n == "t") in_value = true;
      if (n == "pane" && a.count("state") && a.at("state") == "frozen" && a.count("ySplit") && a.at("ySplit") == "1")
        sheet.header_frozen = true;
    };
    s.text = [&](const std::string& t) {
      if (in_value) value += t;
    };
    s.end = [&](const std::string& n) {
      if (n == "v" || n == "t") in_value = false;
      if (n == "c") {
        XlsxCell c;
        if (type == "s") c.text = shared.at(static_cast<std::size_t>(std::stoi(value)));
        else c.text = value;
        c.number = type.empty() || type == "n";
        if (style >= 0 && static_cast<std::size_t>(style) < xf_formats.size()) {
          auto f = num_formats.find(xf_formats[static_cast<std::size_t>(style)]);
          if (f != num_formats.end()) c.format = f->second;
        }
        sheet.cells[ref] = c;
      }
    };
    parse(entry(z, "xl/worksheets/sheet" + std::to_string(i + 1) + ".xml"), s);
  }
  zip_close(z);
  return sheets;
}

}  // namespace hub::test
