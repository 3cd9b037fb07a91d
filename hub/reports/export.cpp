#include "hub/reports/export.h"

#include <xlsxwriter.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "hub/mapping/text.h"

namespace hub::reports {
namespace {

// A spreadsheet reads these first characters as the start of a formula (OWASP "CSV injection").
bool looks_like_formula(const std::string& s) {
  return !s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r');
}

std::string number_text(double v) {
  char buf[64];
  if (v == static_cast<double>(static_cast<long long>(v)) && v > -1e15 && v < 1e15)
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  else
    std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

void csv_field(std::string& out, const std::string& s) {
  bool quote = s.find_first_of(",\"\r\n") != std::string::npos;
  if (!quote) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// "YYYY-MM-DD" -> a date, or false.
bool parse_iso_date(const std::string& s, lxw_datetime& dt) {
  int y, m, d;
  char tail;
  if (s.size() != 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return false;
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900) return false;
  dt = lxw_datetime{y, m, d, 0, 0, 0.0};
  return true;
}

struct WorkbookCloser {
  void operator()(lxw_workbook* wb) const {
    if (wb) workbook_close(wb);
  }
};

}  // namespace

Status check_table(const Table& t) {
  std::size_t len = text::code_points(t.name);
  if (len == 0 || len > 31 || t.name.find_first_of("[]:*?/\\") != std::string::npos)
    return make_error("export.bad_table",
                      "sheet name '" + t.name + "' must be 1 to 31 characters without [ ] : * ? / \\");
  if (t.columns.empty()) return make_error("export.bad_table", "table '" + t.name + "' has no columns");
  for (std::size_t i = 0; i < t.rows.size(); ++i)
    if (t.rows[i].size() != t.columns.size())
      return make_error("export.bad_table", "row " + std::to_string(i + 1) + " of table '" + t.name + "' has " +
                                                std::to_string(t.rows[i].size()) + " cells for " +
                                                std::to_string(t.columns.size()) + " columns");
  return Status::Ok();
}

Result<std::string> to_csv(const Table& t) {
  if (auto s = check_table(t); !s) return s.error();
  std::string out = "\xEF\xBB\xBF";
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    if (c) out += ',';
    csv_field(out, t.columns[c].header);
  }
  out += "\r\n";
  for (const auto& row : t.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) out += ',';
      if (const auto* s = std::get_if<std::string>(&row[c])) {
        csv_field(out, looks_like_formula(*s) ? "'" + *s : *s);
      } else if (const auto* v = std::get_if<double>(&row[c])) {
        out += number_text(*v);
      }
    }
    out += "\r\n";
  }
  return out;
}

Result<std::string> to_xlsx(const std::vector<Table>& tables, std::time_t created) {
  for (const auto& t : tables)
    if (auto s = check_table(t); !s) return s.error();
  if (tables.empty()) return make_error("export.bad_table", "a workbook needs at least one table");

  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/hub-export-XXXXXX";
  std::vector<char> name(path.begin(), path.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0) return make_error("export.xlsx", std::string("cannot make a temporary file: ") + std::strerror(errno));
  ::close(fd);
  path.assign(name.data());
  struct Unlink {
    std::string p;
    ~Unlink() { ::unlink(p.c_str()); }
  } unlink_at_end{path};

  {
    lxw_workbook_options options{};
    options.constant_memory = LXW_TRUE;  // rows go to disk as written: a city's report stays small in memory
    std::unique_ptr<lxw_workbook, WorkbookCloser> wb(workbook_new_opt(path.c_str(), &options));
    if (!wb) return make_error("export.xlsx", "libxlsxwriter could not start a workbook");
    if (created) {
      lxw_doc_properties props{};
      props.created = created;
      if (workbook_set_properties(wb.get(), &props) != LXW_NO_ERROR)
        return make_error("export.xlsx", "libxlsxwriter refused the document properties");
    }
    lxw_format* header = workbook_add_format(wb.get());
    format_set_bold(header);
    format_set_text_wrap(header);
    format_set_align(header, LXW_ALIGN_VERTICAL_TOP);
    format_set_bg_color(header, 0xDDEBF7);
    format_set_border(header, LXW_BORDER_THIN);
    lxw_format* fmt[5] = {nullptr, workbook_add_format(wb.get()), workbook_add_format(wb.get()),
                          workbook_add_format(wb.get()), workbook_add_format(wb.get())};
    format_set_num_format(fmt[1], "#,##0");
    format_set_num_format(fmt[2], "#,##0.00");
    format_set_num_format(fmt[3], "0.0%");
    format_set_num_format(fmt[4], "dd/mm/yyyy");

    for (const auto& t : tables) {
      lxw_worksheet* ws = workbook_add_worksheet(wb.get(), t.name.c_str());
      if (!ws) return make_error("export.xlsx", "libxlsxwriter refused the sheet '" + t.name + "'");
      for (std::size_t c = 0; c < t.columns.size(); ++c) {
        double width = t.columns[c].width;
        if (width <= 0) {
          std::size_t w = std::min<std::size_t>(text::code_points(t.columns[c].header), 30);
          for (std::size_t r = 0; r < t.rows.size() && r < 200; ++r)
            if (const auto* s = std::get_if<std::string>(&t.rows[r][c])) w = std::max(w, text::code_points(*s));
          width = static_cast<double>(std::min<std::size_t>(std::max<std::size_t>(w, 8), 60)) + 2;
        }
        worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), width, nullptr);
      }
      // In constant-memory mode rows must be written in order: the header first, then the rows.
      for (std::size_t c = 0; c < t.columns.size(); ++c)
        worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), t.columns[c].header.c_str(), header);
      for (std::size_t r = 0; r < t.rows.size(); ++r) {
        auto row = static_cast<lxw_row_t>(r + 1);
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
          auto col = static_cast<lxw_col_t>(c);
          auto kind = t.columns[c].kind;
          lxw_format* f = fmt[static_cast<int>(kind)];
          const Cell& cell = t.rows[r][c];
          lxw_error err = LXW_NO_ERROR;
          if (const auto* v = std::get_if<double>(&cell)) {
            err = worksheet_write_number(ws, row, col, *v, kind == CellKind::kText || kind == CellKind::kDate ? nullptr : f);
          } else if (const auto* s = std::get_if<std::string>(&cell)) {
            lxw_datetime dt;
            if (kind == CellKind::kDate && parse_iso_date(*s, dt)) err = worksheet_write_datetime(ws, row, col, &dt, f);
            else err = worksheet_write_string(ws, row, col, s->c_str(), nullptr);
          }
          if (err != LXW_NO_ERROR)
            return make_error("export.xlsx", "cell " + std::to_string(r + 2) + ":" + std::to_string(c + 1) + " of '" +
                                                 t.name + "': " + lxw_strerror(err));
        }
      }
      worksheet_freeze_panes(ws, 1, 0);
      worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(t.rows.size()), static_cast<lxw_col_t>(t.columns.size() - 1));
    }
    lxw_error err = workbook_close(wb.release());
    if (err != LXW_NO_ERROR) return make_error("export.xlsx", std::string("libxlsxwriter: ") + lxw_strerror(err));
  }

  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return make_error("export.xlsx", "cannot read back the workbook written to " + path);
  return bytes.str();
}

}  // namespace hub::reports
