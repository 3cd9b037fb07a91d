#include "hub/reports/open_data.h"

#include <algorithm>

#include "hub/common/json.h"

namespace hub::reports {
namespace {

// A breakdown and the total it adds up to.
struct Breakdown {
  const char* prefix;
  const char* total;
};
constexpr Breakdown kBreakdowns[] = {{"students.grade.", "students"},
                                     {"students.gender.", "students"},
                                     {"students.ethnicity.", "students"},
                                     {"students.policy_group.", "students"},
                                     {"staff.group.", "staff"}};

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

std::set<std::string> suppress_row(const EmisRow& row, const std::vector<EmisColumn>& columns) {
  std::set<std::string> out;
  for (const auto& c : columns) {
    long long v = row.count(c.key);
    if (counts_persons(c.key) && v > 0 && v < kMinCellPersons) out.insert(c.key);
  }
  for (const auto& b : kBreakdowns)
    if (out.count(b.total))
      for (const auto& c : columns)
        if (starts_with(c.key, b.prefix)) out.insert(c.key);
  for (const auto& b : kBreakdowns) {
    if (out.count(b.total)) continue;
    std::vector<const EmisColumn*> cells;
    for (const auto& c : columns)
      if (starts_with(c.key, b.prefix)) cells.push_back(&c);
    for (;;) {
      int n = 0;
      long long sum = 0;
      for (const auto* c : cells)
        if (out.count(c->key)) ++n, sum += row.count(c->key);
      if (n == 0 || (n >= 2 && sum >= kMinCellPersons)) break;
      const EmisColumn* next = nullptr;  // the smallest shown non-zero cell, the first of equals
      for (const auto* c : cells)
        if (!out.count(c->key) && row.count(c->key) > 0 && (!next || row.count(c->key) < row.count(next->key))) next = c;
      if (!next) break;  // every non-zero cell is suppressed already
      out.insert(next->key);
    }
  }
  return out;
}

struct UnitColumn {
  const char* key;
  const char* vi;
  const char* en;
  bool school;  // only in reports by school
};
constexpr UnitColumn kUnitColumns[] = {
    {"province", "Mã tỉnh/thành phố (mã 2025)", "Province code (2025 codes)", false},
    {"commune", "Mã phường/xã/đặc khu (QĐ 19/2025/QĐ-TTg)", "Commune code (Decision 19/2025/QĐ-TTg)", false},
    {"commune_name", "Tên phường/xã/đặc khu", "Commune name", false},
    {"school_code", "Mã trường", "School code", true},
    {"school_name", "Tên trường", "School name", true},
    {"school_level", "Mã nhóm cấp học (01 Mầm non, 02 Tiểu học, 03 THCS, 04 THPT, 05 Thường xuyên)",
     "School level code (01 preschool, 02 primary, 03 lower secondary, 04 upper secondary, 05 continuing)", true},
};

std::string unit_value(const EmisRow& r, std::string_view key) {
  if (key == "province") return r.province;
  if (key == "commune") return r.commune;
  if (key == "commune_name") return r.commune_name;
  if (key == "school_code") return r.school_code;
  if (key == "school_name") return r.school_name;
  return r.school_level;
}

std::vector<const UnitColumn*> unit_columns(EmisBy by) {
  std::vector<const UnitColumn*> out;
  for (const auto& u : kUnitColumns)
    if (!u.school || by == EmisBy::kSchool) out.push_back(&u);
  return out;
}

const char* kRuleVi =
    "Ô đếm người (học sinh, cán bộ giáo viên nhân viên) có từ 1 đến 4 người được thay bằng \"x\"; mỗi nhóm phân tổ "
    "(khối lớp, giới tính, dân tộc, diện chính sách, nhóm cán bộ) cộng lại bằng tổng nên nếu có ô bị ẩn thì ẩn thêm ô "
    "nhỏ nhất khác 0 cho đến khi có ít nhất hai ô bị ẩn với tổng ít nhất 5 người; tổng bị ẩn thì ẩn cả nhóm phân tổ. "
    "Số 0 được giữ nguyên. Không có dòng tổng cộng.";
const char* kRuleEn =
    "Counts of persons (students, staff) from 1 to 4 are replaced by \"x\"; each breakdown (grade, gender, ethnicity, "
    "policy group, staff group) adds up to its total, so when a cell of it is hidden, the smallest other non-zero "
    "cells are hidden too until at least two are, holding together at least 5 persons; a hidden total hides its "
    "breakdowns. Zeros are shown. There is no total row.";

void write_dataset(json::JsonWriter& w, const EmisReport& r) {
  w.begin_object()
      .kv("title_vi", "Số liệu thống kê giáo dục (EMIS) tại ngày chốt số liệu " + r.as_of.iso())
      .kv("title_en", "Education statistics (EMIS) at the cut-off date " + r.as_of.iso())
      .kv("as_of", r.as_of.iso()).kv("school_year", r.school_year).kv("by", by_name(r.by)).kv("level", r.level)
      .kv("units", units_name(r.units_mode))
      .key("suppression").begin_object()
      .kv("min_persons", kMinCellPersons).kv("marker", kSuppressedMarker).kv("rule_vi", kRuleVi).kv("rule_en", kRuleEn)
      .end_object()
      .kv("personal_data", false)
      .kv("dictionary", open_data_basename(r) + "-dictionary.json")
      .end_object();
}

}  // namespace

bool counts_persons(const std::string& key) { return starts_with(key, "students") || starts_with(key, "staff"); }

OpenData make_open_data(const EmisReport& report) {
  OpenData d;
  d.report = report;
  for (const auto& r : report.rows) d.suppressed.push_back(suppress_row(r, report.columns));
  return d;
}

std::string open_data_basename(const EmisReport& r) {
  return std::string("emis-") + r.as_of.iso() + "-" + by_name(r.by) + (r.level.empty() ? "" : "-level-" + r.level);
}

Result<std::string> open_data_csv(const OpenData& d) {
  const auto& r = d.report;
  Table t;
  t.name = "open data";
  for (const auto* u : unit_columns(r.by)) t.columns.push_back({u->key, CellKind::kText, 0});
  for (const auto& c : r.columns) t.columns.push_back({c.key, CellKind::kInteger, 0});
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    std::vector<Cell> cells;
    for (const auto* u : unit_columns(r.by)) cells.emplace_back(unit_value(r.rows[i], u->key));
    for (const auto& c : r.columns) {
      if (d.suppressed[i].count(c.key)) cells.emplace_back(std::string(kSuppressedMarker));
      else cells.emplace_back(static_cast<double>(r.rows[i].count(c.key)));
    }
    t.rows.push_back(std::move(cells));
  }
  return to_csv(t);
}

std::string open_data_json(const OpenData& d) {
  const auto& r = d.report;
  json::JsonWriter w;
  w.begin_object().key("dataset");
  write_dataset(w, r);
  w.key("columns").begin_array();
  for (const auto* u : unit_columns(r.by)) w.value(u->key);
  for (const auto& c : r.columns) w.value(c.key);
  w.end_array().key("rows").begin_array();
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    w.begin_object();
    for (const auto* u : unit_columns(r.by)) w.kv(u->key, unit_value(r.rows[i], u->key));
    for (const auto& c : r.columns) {
      if (d.suppressed[i].count(c.key)) w.kv(c.key, kSuppressedMarker);
      else w.kv(c.key, r.rows[i].count(c.key));
    }
    w.end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::string dictionary_json(const OpenData& d) {
  const auto& r = d.report;
  json::JsonWriter w;
  w.begin_object().key("dataset");
  write_dataset(w, r);
  w.key("files").strings({open_data_basename(r) + ".csv", open_data_basename(r) + ".json"});
  w.key("columns").begin_array();
  for (const auto* u : unit_columns(r.by))
    w.begin_object().kv("name", u->key).kv("type", "string").kv("label_vi", u->vi).kv("label_en", u->en).end_object();
  for (const auto& c : r.columns) {
    bool persons = counts_persons(c.key);
    w.begin_object().kv("name", c.key).kv("type", persons ? "integer or \"x\" (suppressed)" : "integer")
        .kv("label_vi", c.label_vi).kv("label_en", c.label_en).kv("counts_persons", persons).end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::string dictionary_markdown(const OpenData& d) {
  const auto& r = d.report;
  auto cell = [](std::string s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
  };
  std::string md = "# " + open_data_basename(r) + "\n\n";
  md += "Số liệu thống kê giáo dục (EMIS) tại ngày chốt số liệu " + r.as_of.iso() + " (năm học " + r.school_year +
        "), theo " + (r.by == EmisBy::kSchool ? "trường" : "phường/xã") +
        (r.level.empty() ? "" : ", nhóm cấp học " + r.level) +
        (r.units_mode == catalog::UnitsMode::kCurrent ? ", theo đơn vị hành chính hiện nay"
                                                      : ", theo đơn vị hành chính tại ngày chốt số liệu") +
        ". Không có dữ liệu cá nhân.\n\n";
  md += "Education statistics (EMIS) at the cut-off date " + r.as_of.iso() + " (school year " + r.school_year + "), by " +
        by_name(r.by) + (r.level.empty() ? "" : ", school level " + r.level) +
        (r.units_mode == catalog::UnitsMode::kCurrent ? ", in today's administrative units"
                                                      : ", in the administrative units of the cut-off date") +
        ". No personal data.\n\n";
  md += "Tệp / Files: `" + open_data_basename(r) + ".csv`, `" + open_data_basename(r) + ".json`\n\n";
  md += "## Ẩn ô nhỏ / Small cells\n\n" + std::string(kRuleVi) + "\n\n" + kRuleEn + "\n\n";
  md += "## Cột / Columns\n\n| cột / column | kiểu / type | tiếng Việt | English |\n|---|---|---|---|\n";
  for (const auto* u : unit_columns(r.by))
    md += "| `" + std::string(u->key) + "` | string | " + cell(u->vi) + " | " + cell(u->en) + " |\n";
  for (const auto& c : r.columns)
    md += "| `" + cell(c.key) + "` | " + (counts_persons(c.key) ? "integer / x" : "integer") + " | " + cell(c.label_vi) +
          " | " + cell(c.label_en) + " |\n";
  return md;
}

}  // namespace hub::reports
