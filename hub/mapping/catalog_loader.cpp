// Reading mappings/catalogs/: <name>.yaml (metadata, inline entries) and the optional
// <name>.csv beside it, then the indexes and cross-catalog checks. Everything that can be
// checked once at start-up is checked here, so lookups never meet malformed data.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "hub/mapping/catalog.h"
#include "hub/mapping/text.h"

namespace hub::catalog {

namespace fs = std::filesystem;

namespace {

Error load_error(const std::string& file, std::size_t line, const std::string& what) {
  std::string msg = file;
  if (line > 0) msg += ":" + std::to_string(line);
  msg += ": " + what;
  return Error{"catalog.load", msg, file, line};
}

// Thrown inside this file only, to unwind out of nested parsing; turned into an Error at the
// load_dir boundary.
struct LoadFailure {
  Error error;
};

[[noreturn]] void fail(const std::string& file, std::size_t line, const std::string& what) {
  throw LoadFailure{load_error(file, line, what)};
}

std::size_t line_of(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

std::string scalar(const std::string& file, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) fail(file, line_of(n), "'" + key + "' must be a scalar");
  return n.Scalar();
}

std::vector<std::string> string_list(const std::string& file, const YAML::Node& n, const std::string& key) {
  if (!n.IsSequence()) fail(file, line_of(n), "'" + key + "' must be a list");
  std::vector<std::string> out;
  for (const auto& x : n) out.push_back(scalar(file, x, key));
  return out;
}

std::optional<Date> parse_date(const std::string& file, std::size_t line, const std::string& s,
                               const std::string& key) {
  if (s.empty()) return std::nullopt;
  auto d = Date::parse_iso(s);
  if (!d) fail(file, line, key + " '" + s + "' is not a YYYY-MM-DD date");
  return d;
}

std::string nfc_or_fail(const std::string& file, std::size_t line, const std::string& s) {
  auto r = text::nfc(s);
  if (!r.ok()) fail(file, line, "invalid UTF-8 in '" + s + "'");
  return std::move(*r);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t start = 0;
  while (true) {
    auto p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

// RFC 4180 rows with the physical line each row starts on.
struct CsvRow {
  std::size_t line;
  std::vector<std::string> cells;
};

std::vector<CsvRow> read_csv(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file, 0, "cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string data = ss.str();
  std::vector<CsvRow> rows;
  CsvRow row{1, {}};
  std::string cell;
  std::size_t line = 1;
  bool quoted = false, cell_started = false;
  for (std::size_t i = 0; i < data.size(); ++i) {
    char c = data[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < data.size() && data[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
      continue;
    }
    if (c == '"' && cell.empty() && !cell_started) {
      quoted = true;
      cell_started = true;
    } else if (c == ',') {
      row.cells.push_back(std::move(cell));
      cell.clear();
      cell_started = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      row.cells.push_back(std::move(cell));
      cell.clear();
      cell_started = false;
      rows.push_back(std::move(row));
      ++line;
      row = CsvRow{line, {}};
    } else {
      cell += c;
      cell_started = true;
    }
  }
  if (quoted) fail(file, row.line, "unterminated quoted field");
  if (cell_started || !row.cells.empty()) {
    row.cells.push_back(std::move(cell));
    rows.push_back(std::move(row));
  }
  return rows;
}

bool overlaps(const Entry& a, const Entry& b) {
  if (a.valid_to && b.valid_from && *a.valid_to < *b.valid_from) return false;
  if (b.valid_to && a.valid_from && *b.valid_to < *a.valid_from) return false;
  return true;
}

const std::set<std::string> kMetaKeys = {
    "name", "kind", "title_vi", "title_en", "description", "source", "licence",
    "canonical_code_system", "code_format", "code_width", "name_prefixes", "name_abbreviations",
    "parent_catalogs", "local_codes", "unknown_codes", "code_systems", "entry_count", "entries", "entries_csv"};
const std::set<std::string> kEntryKeys = {"code", "name", "name_en", "parent", "level", "valid_from",
                                          "valid_to", "synonyms", "codes"};
const std::vector<std::string> kCsvColumns = {"code", "name", "name_en", "parent", "level",
                                              "valid_from", "valid_to", "synonyms", "codes"};

}  // namespace

// Builds one Catalog from its files; a friend of Catalog so the class can stay immutable.
struct CatalogBuilder {
  static std::unique_ptr<Catalog> load(const fs::path& yaml_path);
  static void load_csv(Catalog& c, const fs::path& csv_path);
  static Entry entry_from_yaml(const std::string& file, const YAML::Node& n);
  static void index(Catalog& c, const std::vector<std::size_t>& lines);
};

std::unique_ptr<Catalog> CatalogBuilder::load(const fs::path& yaml_path) {
  const std::string file = yaml_path.string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    fail(file, e.mark.line >= 0 ? e.mark.line + 1 : 0, "YAML error: " + e.msg);
  }
  if (!root.IsMap()) fail(file, line_of(root), "top level must be a mapping");

  auto c = std::make_unique<Catalog>();
  c->file_ = file;
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (!kMetaKeys.count(key)) fail(file, line_of(kv.first), "unknown key '" + key + "'");
  }
  auto req = [&](const char* key) {
    if (!root[key]) fail(file, 0, std::string("missing required key '") + key + "'");
    return scalar(file, root[key], key);
  };
  auto opt = [&](const char* key) { return root[key] ? scalar(file, root[key], key) : std::string(); };

  c->name_ = req("name");
  if (c->name_ != yaml_path.stem().string())
    fail(file, line_of(root["name"]), "name '" + c->name_ + "' differs from the file name");
  c->kind_ = root["kind"] ? scalar(file, root["kind"], "kind") : "list";
  if (c->kind_ != "list" && c->kind_ != "crosswalk")
    fail(file, line_of(root["kind"]), "kind must be 'list' or 'crosswalk'");
  c->title_vi_ = req("title_vi");
  c->title_en_ = req("title_en");
  c->description_ = req("description");
  c->source_ = req("source");
  c->licence_ = req("licence");
  c->canonical_code_system_ = req("canonical_code_system");
  if (root["code_width"]) {
    try {
      c->code_width_ = root["code_width"].as<int>();
    } catch (const YAML::Exception&) {
      fail(file, line_of(root["code_width"]), "code_width must be an integer");
    }
  }
  if (root["parent_catalogs"]) c->parent_catalogs_ = string_list(file, root["parent_catalogs"], "parent_catalogs");
  if (root["local_codes"]) c->local_codes_ = string_list(file, root["local_codes"], "local_codes");
  if (root["unknown_codes"]) c->unknown_codes_ = string_list(file, root["unknown_codes"], "unknown_codes");
  if (root["name_prefixes"])
    for (const auto& p : string_list(file, root["name_prefixes"], "name_prefixes"))
      c->name_prefixes_.emplace_back(text::fold_key(p) + " ", p);
  if (const auto& ab = root["name_abbreviations"]) {
    if (!ab.IsMap()) fail(file, line_of(ab), "name_abbreviations must be a mapping");
    for (const auto& kv : ab)
      c->abbreviations_.emplace_back(text::fold_key(kv.first.Scalar()) + " ",
                                     text::fold_key(scalar(file, kv.second, "name_abbreviations")) + " ");
  }

  const auto& systems = root["code_systems"];
  if (!systems || !systems.IsSequence() || systems.size() == 0)
    fail(file, systems ? line_of(systems) : 0, "code_systems must be a non-empty list");
  bool canonical_declared = false;
  for (const auto& s : systems) {
    if (!s.IsMap() || !s["id"]) fail(file, line_of(s), "each code system needs an id");
    CodeSystem cs;
    cs.id = scalar(file, s["id"], "id");
    cs.title = s["title"] ? scalar(file, s["title"], "title") : "";
    cs.status = s["status"] ? scalar(file, s["status"], "status") : "";
    cs.alias = s["alias"] && scalar(file, s["alias"], "alias") == "true";
    if (s["unverified_codes"]) cs.unverified_codes = string_list(file, s["unverified_codes"], "unverified_codes");
    if (cs.id == c->canonical_code_system_) canonical_declared = true;
    if (cs.alias) c->alias_systems_.push_back(cs.id);
    c->code_systems_.push_back(std::move(cs));
  }
  if (!canonical_declared)
    fail(file, line_of(systems), "canonical_code_system '" + c->canonical_code_system_ + "' is not in code_systems");

  std::vector<std::size_t> lines;
  const bool inline_entries = static_cast<bool>(root["entries"]);
  const std::string csv = opt("entries_csv");
  if (inline_entries == !csv.empty()) fail(file, 0, "exactly one of 'entries' and 'entries_csv' is required");
  if (inline_entries) {
    const auto& es = root["entries"];
    if (!es.IsSequence()) fail(file, line_of(es), "'entries' must be a list");
    for (const auto& n : es) {
      c->entries_.push_back(entry_from_yaml(file, n));
      lines.push_back(line_of(n));
    }
  } else {
    if (csv.find('/') != std::string::npos || csv.find('\\') != std::string::npos)
      fail(file, line_of(root["entries_csv"]), "entries_csv must be a file name beside the YAML");
    load_csv(*c, yaml_path.parent_path() / csv);
    for (std::size_t i = 0; i < c->entries_.size(); ++i) lines.push_back(0);
  }
  if (root["entry_count"]) {
    std::size_t expected = 0;
    try {
      expected = root["entry_count"].as<std::size_t>();
    } catch (const YAML::Exception&) {
      fail(file, line_of(root["entry_count"]), "entry_count must be an integer");
    }
    // Guards against a truncated or half-merged CSV.
    if (expected != c->entries_.size())
      fail(file, line_of(root["entry_count"]), "entry_count is " + std::to_string(expected) + " but " +
                                                    std::to_string(c->entries_.size()) + " entries were read");
  }
  index(*c, lines);
  return c;
}

Entry CatalogBuilder::entry_from_yaml(const std::string& file, const YAML::Node& n) {
  const std::size_t line = line_of(n);
  if (!n.IsMap()) fail(file, line, "an entry must be a mapping");
  Entry e;
  for (const auto& kv : n) {
    const std::string key = kv.first.Scalar();
    if (!kEntryKeys.count(key)) fail(file, line_of(kv.first), "unknown entry key '" + key + "'");
  }
  if (!n["code"] || !n["name"]) fail(file, line, "entry needs code and name");
  e.code = scalar(file, n["code"], "code");
  e.name = nfc_or_fail(file, line, scalar(file, n["name"], "name"));
  if (n["name_en"]) e.name_en = scalar(file, n["name_en"], "name_en");
  if (n["parent"]) e.parent = scalar(file, n["parent"], "parent");
  if (n["level"]) e.level = scalar(file, n["level"], "level");
  if (n["valid_from"]) e.valid_from = parse_date(file, line_of(n["valid_from"]), scalar(file, n["valid_from"], "valid_from"), "valid_from");
  if (n["valid_to"]) e.valid_to = parse_date(file, line_of(n["valid_to"]), scalar(file, n["valid_to"], "valid_to"), "valid_to");
  if (n["synonyms"])
    for (const auto& s : string_list(file, n["synonyms"], "synonyms")) e.synonyms.push_back(nfc_or_fail(file, line, s));
  if (const auto& codes = n["codes"]) {
    if (!codes.IsMap()) fail(file, line_of(codes), "codes must be a mapping");
    for (const auto& kv : codes) e.codes[kv.first.Scalar()] = scalar(file, kv.second, "codes");
  }
  return e;
}

void CatalogBuilder::load_csv(Catalog& c, const fs::path& csv_path) {
  const std::string file = csv_path.string();
  auto rows = read_csv(file);
  if (rows.empty()) fail(file, 1, "empty CSV (header expected)");
  std::vector<int> col(kCsvColumns.size(), -1);
  for (std::size_t i = 0; i < rows[0].cells.size(); ++i) {
    auto it = std::find(kCsvColumns.begin(), kCsvColumns.end(), rows[0].cells[i]);
    if (it == kCsvColumns.end()) fail(file, 1, "unknown column '" + rows[0].cells[i] + "'");
    col[it - kCsvColumns.begin()] = static_cast<int>(i);
  }
  if (col[0] < 0 || col[1] < 0) fail(file, 1, "columns code and name are required");
  c.entries_.reserve(rows.size() - 1);
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.cells.size() == 1 && row.cells[0].empty()) continue;  // blank line
    if (row.cells.size() != rows[0].cells.size())
      fail(file, row.line, "expected " + std::to_string(rows[0].cells.size()) + " fields, got " +
                               std::to_string(row.cells.size()));
    auto get = [&](int k) -> const std::string& {
      static const std::string kEmpty;
      return col[k] < 0 ? kEmpty : row.cells[col[k]];
    };
    Entry e;
    e.code = get(0);
    if (e.code.empty()) fail(file, row.line, "empty code");
    e.name = nfc_or_fail(file, row.line, get(1));
    e.name_en = get(2);
    e.parent = get(3);
    e.level = get(4);
    e.valid_from = parse_date(file, row.line, get(5), "valid_from");
    e.valid_to = parse_date(file, row.line, get(6), "valid_to");
    for (auto& s : split(get(7), '|')) e.synonyms.push_back(nfc_or_fail(file, row.line, s));
    for (auto& kv : split(get(8), '|')) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) fail(file, row.line, "codes item '" + kv + "' is not system=value");
      e.codes[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    c.entries_.push_back(std::move(e));
  }
}

void CatalogBuilder::index(Catalog& c, const std::vector<std::size_t>& lines) {
  const std::string& file = c.file_;
  std::set<std::string> system_ids;
  for (const auto& cs : c.code_systems_)
    if (cs.id != c.canonical_code_system_) {
      c.system_index_[cs.id];
      system_ids.insert(cs.id);
    }
  auto add_name = [&](const std::string& key, std::uint32_t i) {
    if (key.empty()) return;
    auto& v = c.name_index_[key];
    if (std::find(v.begin(), v.end(), i) == v.end()) v.push_back(i);
  };
  c.code_index_.reserve(c.entries_.size());
  c.name_index_.reserve(c.entries_.size() * 3);
  for (std::uint32_t i = 0; i < c.entries_.size(); ++i) {
    const Entry& e = c.entries_[i];
    const std::size_t line = lines[i];
    if (e.valid_from && e.valid_to && *e.valid_to < *e.valid_from)
      fail(file, line, "entry " + e.code + ": valid_to before valid_from");
    if (c.code_width_ > 0 && c.kind_ == "list" && static_cast<int>(e.code.size()) != c.code_width_)
      fail(file, line, "entry " + e.code + ": code width is not " + std::to_string(c.code_width_));
    auto& same = c.code_index_[e.code];
    // One code may name several units only in disjoint periods (GSO reused codes in 2025);
    // a crosswalk legitimately has one row per (old, new) link.
    if (c.kind_ == "list")
      for (auto j : same)
        if (overlaps(c.entries_[j], e))
          fail(file, line, "code " + e.code + " appears twice with overlapping validity (" + c.entries_[j].name +
                               " / " + e.name + ")");
    same.push_back(i);
    for (const auto& [sys, code] : e.codes) {
      if (sys == c.canonical_code_system_) continue;
      if (!system_ids.count(sys)) fail(file, line, "entry " + e.code + ": unknown code system '" + sys + "'");
      c.system_index_[sys][code].push_back(i);
    }
    for (const auto& sys : c.alias_systems_)
      if (!e.codes.count(sys)) c.system_index_[sys][e.code].push_back(i);

    std::vector<std::string> names{e.name};
    if (!e.name_en.empty()) names.push_back(e.name_en);
    names.insert(names.end(), e.synonyms.begin(), e.synonyms.end());
    for (const auto& n : names) {
      std::string key = text::fold_key(n);
      add_name(key, i);
      // "Phường Lê Chân" is also found as "Lê Chân".
      for (const auto& [prefix, _] : c.name_prefixes_)
        if (key.size() > prefix.size() && key.compare(0, prefix.size(), prefix) == 0)
          add_name(key.substr(prefix.size()), i);
    }
  }
  c.ancestors_.assign(c.entries_.size(), {});
}

Result<std::shared_ptr<const CatalogSet>> CatalogSet::load_dir(const std::string& dir) {
  auto set = std::make_shared<CatalogSet>();
  try {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return load_error(dir, 0, "not a directory");
    std::vector<fs::path> files;
    for (const auto& de : fs::directory_iterator(dir, ec))
      if (de.is_regular_file() && de.path().extension() == ".yaml") files.push_back(de.path());
    if (ec) return load_error(dir, 0, "cannot list: " + ec.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) return load_error(dir, 0, "no *.yaml catalogs");
    for (const auto& f : files) set->catalogs_.push_back(CatalogBuilder::load(f));
    std::sort(set->catalogs_.begin(), set->catalogs_.end(),
              [](const auto& a, const auto& b) { return a->name() < b->name(); });

    // Parent links: every parent must exist, in one of the declared parent catalogs, in a period
    // overlapping the child's; then the ancestor chain is stored so `parent` filters can match a
    // province for a legacy commune whose direct parent is a district.
    struct Ref {
      const Catalog* cat;
      std::uint32_t idx;
    };
    auto resolve_parent = [&](const Catalog& c, const Entry& e) -> std::optional<Ref> {
      std::optional<Ref> best;
      for (const auto& pname : c.parent_catalogs()) {
        const Catalog* p = set->find(pname);
        if (!p) continue;
        auto it = p->code_index_.find(e.parent);
        if (it == p->code_index_.end()) continue;
        for (auto j : it->second) {
          const Entry& pe = p->entries_[j];
          if (!overlaps(pe, e)) continue;
          if (!best || !pe.valid_to) best = Ref{p, j};
        }
        if (best) return best;
      }
      return best;
    };
    for (auto& cp : set->catalogs_) {
      Catalog& c = *cp;
      for (const auto& pname : c.parent_catalogs())
        if (!set->find(pname)) return load_error(c.file(), 0, "parent catalog '" + pname + "' is not loaded");
      if (c.parent_catalogs().empty()) continue;
      for (std::uint32_t i = 0; i < c.entries_.size(); ++i) {
        const Entry& e = c.entries_[i];
        if (e.parent.empty()) continue;
        auto ref = resolve_parent(c, e);
        if (!ref)
          return load_error(c.file(), 0, "entry " + e.code + " " + e.name + ": parent '" + e.parent +
                                              "' not found in its parent catalogs for an overlapping period");
        std::vector<std::string>& anc = c.ancestors_[i];
        for (int depth = 0; depth < 8; ++depth) {
          const Entry& pe = ref->cat->entries_[ref->idx];
          if (pe.parent.empty()) break;
          anc.push_back(pe.parent);
          ref = resolve_parent(*ref->cat, pe);
          if (!ref) break;
        }
      }
    }
  } catch (const LoadFailure& f) {
    return f.error;
  } catch (const std::exception& e) {
    return load_error(dir, 0, e.what());
  }
  if (const Catalog* prefixes = set->find("cccd_prefix"))
    for (const Entry& e : prefixes->entries())
      if (int i = prefix_index(e.code); i >= 0) set->personal_id_prefixes_.set(static_cast<std::size_t>(i));
  return std::shared_ptr<const CatalogSet>(std::move(set));
}

}  // namespace hub::catalog
