#include "hub/reports/emis.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>

#include "hub/common/json.h"
#include "hub/reports/placement.h"

namespace hub::reports {
namespace {

// Statuses of an enrollment that say the student is no longer learning there. With an end date
// the student was there until that day; without one the day they left is unknown.
constexpr const char* kLeavingStatuses = "{CHUYEN_DI,THOI_HOC,DA_MAT,TAM_NGHI}";
// Staff on a school's payroll: working, or on leave.
constexpr const char* kWorkingStatuses = "{DANG_LAM_VIEC,TAM_NGHI}";
// A report reads every live record of five entities; a city's takes seconds. Past this the
// statement is cancelled (and the request answered with an error) rather than holding a worker
// and a connection indefinitely.
constexpr const char* kStatementTimeout = "120s";
// The category of a record that does not say (no ethnicity, no policy group).
constexpr const char* kNotRecorded = "-";

// The measures in their order: key prefix, catalog of their categories, labels.
struct Measure {
  const char* key;  // a whole key ("students") or a prefix of keys ("students.grade.")
  bool prefix;
  const char* catalog;  // of the categories; "" = the value itself
  const char* vi;
  const char* en;
};
const std::vector<Measure>& measures() {
  static const std::vector<Measure> kMeasures = {
      {"schools", false, "", "Số trường", "Schools"},
      {"classes", false, "", "Số lớp", "Classes"},
      {"students", false, "", "Số học sinh", "Students"},
      {"students.grade.", true, "grade", "Học sinh - khối/nhóm tuổi", "Students - grade"},
      {"students.gender.", true, "gender", "Học sinh - giới tính", "Students - gender"},
      {"students.ethnicity.", true, "ethnicity", "Học sinh - dân tộc", "Students - ethnicity"},
      {"students.policy_group.", true, "", "Học sinh - diện chính sách", "Students - policy group"},
      {"students_left_undated", false, "",
       "Học sinh có quá trình học tập hiệu lực nhưng đã chuyển đi/thôi học/mất/tạm nghỉ không rõ ngày (không tính)",
       "Enrollments in force whose student left on an unknown day (not counted)"},
      {"staff", false, "", "Số cán bộ, giáo viên, nhân viên", "Staff"},
      {"staff.group.", true, "", "Cán bộ, giáo viên, nhân viên - nhóm", "Staff - group"},
  };
  return kMeasures;
}

const char* kBaseColumns[] = {"schools", "classes", "students", "staff"};

// (measure rank, category order) of a column key; unknown keys last, by name.
std::tuple<int, int, long, std::string> column_order(const std::string& key) {
  const auto& ms = measures();
  for (int i = 0; i < static_cast<int>(ms.size()); ++i) {
    const auto& m = ms[i];
    if (!m.prefix) {
      if (key == m.key) return {i, 0, 0, ""};
      continue;
    }
    std::string_view p(m.key);
    if (key.compare(0, p.size(), p) != 0) continue;
    std::string cat = key.substr(p.size());
    // Codes that are numbers in numeric order (grades 1..12, ethnicities 01..54), after the
    // others (preschool age groups), and "not recorded" last.
    if (cat == kNotRecorded) return {i, 3, 0, cat};
    bool numeric = !cat.empty() && cat.size() < 10 && std::all_of(cat.begin(), cat.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    if (numeric) return {i, 2, std::stol(cat), cat};
    return {i, 1, 0, cat};
  }
  return {static_cast<int>(ms.size()), 0, 0, key};
}

const catalog::Entry* catalog_entry(const catalog::CatalogSet& catalogs, const char* catalog, const std::string& code,
                                    Date on) {
  const auto* c = catalogs.find(catalog);
  if (!c) return nullptr;
  auto all = c->find_all_by_code(code);
  for (const auto* e : all)
    if (e->valid_on(on)) return e;
  return all.empty() ? nullptr : all.front();
}

EmisColumn make_column(const catalog::CatalogSet& catalogs, const std::string& key, Date on) {
  static const std::map<std::string, std::pair<std::string, std::string>> kStaffGroups = {
      {"CBQL", {"Cán bộ quản lý", "Managers"}}, {"GV", {"Giáo viên", "Teachers"}}, {"NV", {"Nhân viên", "Support staff"}}};
  for (const auto& m : measures()) {
    if (!m.prefix) {
      if (key == m.key) return {key, m.vi, m.en};
      continue;
    }
    std::string_view p(m.key);
    if (key.compare(0, p.size(), p) != 0) continue;
    std::string cat = key.substr(p.size());
    std::string vi = cat, en = cat;
    if (cat == kNotRecorded) {
      vi = "chưa có thông tin";
      en = "not recorded";
    } else if (*m.catalog) {
      if (const auto* e = catalog_entry(catalogs, m.catalog, cat, on)) {
        vi = e->name;
        en = e->name_en.empty() ? e->name : e->name_en;
      }
    } else if (std::string_view(m.key) == "staff.group.") {
      if (auto it = kStaffGroups.find(cat); it != kStaffGroups.end()) std::tie(vi, en) = it->second;
    }
    return {key, std::string(m.vi) + ": " + vi, std::string(m.en) + ": " + en};
  }
  return {key, key, key};
}

std::string commune_name(const catalog::CatalogSet& catalogs, const std::string& code, Date on) {
  const auto* e = catalog_entry(catalogs, "commune", code, on);
  return e ? e->name : "";
}

// A reference field of a record as a uuid for joining golden_record; null unless it is one (the
// golden store writes record ids there, but a report must not fail on one malformed value).
std::string ref(const char* alias, const char* field) {
  std::string v = std::string(alias) + ".data->>'" + field + "'";
  return "(case when " + v + " ~ '^[0-9a-fA-F-]{36}$' then (" + v + ")::uuid end)";
}

void add_counts(EmisRow& into, const EmisRow& from) {
  for (const auto& [k, v] : from.counts) into.counts[k] += v;
}

std::string key_of(const EmisRow& r) { return r.province + "|" + r.commune + "|" + r.school_code; }

// The columns: the base measures always, categories that occur in some row.
std::vector<EmisColumn> columns_for(const catalog::CatalogSet* catalogs, const std::vector<EmisRow>& rows, Date on,
                                    const std::map<std::string, EmisColumn>* known) {
  std::set<std::string> keys(std::begin(kBaseColumns), std::end(kBaseColumns));
  for (const auto& r : rows)
    for (const auto& [k, v] : r.counts)
      if (v != 0) keys.insert(k);
  std::vector<std::string> ordered(keys.begin(), keys.end());
  std::sort(ordered.begin(), ordered.end(),
            [](const std::string& a, const std::string& b) { return column_order(a) < column_order(b); });
  std::vector<EmisColumn> out;
  for (const auto& k : ordered) {
    if (known) {
      auto it = known->find(k);
      out.push_back(it != known->end() ? it->second : EmisColumn{k, k, k});
    } else {
      out.push_back(make_column(*catalogs, k, on));
    }
  }
  return out;
}

EmisRow total_of(const std::vector<EmisRow>& rows) {
  EmisRow t;
  for (const auto& r : rows) add_counts(t, r);
  return t;
}

void write_row_fields(json::JsonWriter& w, const EmisRow& r, EmisBy by) {
  w.kv("province", r.province).kv("commune", r.commune).kv("commune_name", r.commune_name);
  if (by == EmisBy::kSchool) w.kv("school_code", r.school_code).kv("school_name", r.school_name).kv("school_level", r.school_level);
  // Only on rows that need them, so a report in today's units reads as it always has.
  if (!r.current_units.empty()) w.key("current_units").strings(r.current_units);
  if (r.unplaced_schools) w.kv("unplaced_schools", r.unplaced_schools);
}

void write_counts(json::JsonWriter& w, const EmisRow& r, const std::vector<EmisColumn>& columns) {
  w.begin_object();
  for (const auto& c : columns) w.kv(c.key, r.count(c.key));
  w.end_object();
}

std::string text(const rapidjson::Value& obj, const char* key) {
  auto m = obj.FindMember(key);
  return m != obj.MemberEnd() && m->value.IsString() ? std::string(m->value.GetString(), m->value.GetStringLength()) : "";
}

struct School {
  EmisRow row;
  bool open = false;
  std::string current_unit;  // "province|commune" of today's units
};

// Places each school in the units the report asked for, and drops those a caller limited to
// units may not see: callers' units are today's, so that reads the school's place today.
void place_in_units(pqxx::work& tx, const catalog::CatalogSet& catalogs, const EmisParams& p,
                    std::map<std::string, School>& schools) {
  std::vector<std::string> ids;
  for (const auto& [id, s] : schools) ids.push_back(id);
  for (const auto& [id, placed] : place_schools(tx, catalogs, ids, p.as_of, p.units_mode)) {
    EmisRow& row = schools.at(id).row;
    row.commune = placed.report.commune;
    row.commune_name = placed.report.name;
    if (!placed.report.province.empty()) row.province = placed.report.province;
    row.unplaced_schools = placed.report.resolved ? 0 : 1;
    const std::string province = placed.current.province.empty() ? row.province : placed.current.province;
    schools.at(id).current_unit = province + "|" + placed.current.commune;
  }
  for (auto it = schools.begin(); it != schools.end();) {
    const EmisRow& row = it->second.row;
    const std::string& cu = it->second.current_unit;
    auto bar = cu.find('|');
    UnitPath today = cu.empty() ? UnitPath{row.school_code, row.commune, row.province}
                                : UnitPath{row.school_code, cu.substr(bar + 1), cu.substr(0, bar)};
    it = unit_allowed(p.units, today) ? std::next(it) : schools.erase(it);
  }
}

}  // namespace

long long EmisRow::count(const std::string& key) const {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

const char* by_name(EmisBy by) { return by == EmisBy::kSchool ? "school" : "commune"; }

Result<EmisBy> parse_by(std::string_view s) {
  if (s == "commune") return EmisBy::kCommune;
  if (s == "school") return EmisBy::kSchool;
  return make_error("request.parameter", "by must be commune or school, not '" + std::string(s) + "'", "by");
}

const char* units_name(catalog::UnitsMode mode) { return catalog::units_mode_name(mode); }

Result<catalog::UnitsMode> parse_units(std::string_view s) {
  if (auto m = catalog::parse_units_mode(s)) return *m;
  return make_error("report.units", "units must be as_of or current, not '" + std::string(s) + "'", "units");
}

std::string school_year_of(Date d) {
  int first = d.month >= 9 ? d.year : d.year - 1;
  return std::to_string(first) + "-" + std::to_string(first + 1);
}

Result<std::string> level_code(const catalog::CatalogSet& catalogs, std::string_view level) {
  const auto* c = catalogs.find("school_level");
  if (!c) return make_error("request.parameter", "the school_level catalog is not loaded", "level");
  catalog::LookupOptions o;
  o.by = catalog::LookupBy::kAny;
  auto e = c->lookup(level, o);
  if (!e) {
    std::string known;
    for (const auto& x : c->entries()) known += (known.empty() ? "" : ", ") + x.code + " " + x.name;
    return make_error("request.parameter",
                      "level '" + std::string(level) + "' is not a school level; use one of: " + known, "level");
  }
  return (*e)->code;
}

bool row_visible(const std::vector<std::string>& units, const EmisRow& row, EmisBy by) {
  const std::string school = by == EmisBy::kSchool ? row.school_code : "";
  if (row.current_units.empty()) return unit_allowed(units, {school, row.commune, row.province});
  for (const auto& cu : row.current_units) {
    auto bar = cu.find('|');
    if (!unit_allowed(units, {school, cu.substr(bar + 1), cu.substr(0, bar)})) return false;
  }
  return true;
}

long long change_position(pqxx::work& tx) {
  return tx.exec("select coalesce(max(seq), 0) from change_log")[0][0].as<long long>();
}

Result<EmisReport> compute_emis(pqxx::work& tx, const catalog::CatalogSet& catalogs, const EmisParams& p) {
  EmisReport rep;
  rep.as_of = p.as_of;
  rep.school_year = school_year_of(p.as_of);
  rep.by = p.by;
  rep.level = p.level;
  rep.units = p.units;
  rep.units_mode = p.units_mode;
  const std::string date = p.as_of.iso();
  tx.exec(std::string("set local statement_timeout = '") + kStatementTimeout + "'");

  std::map<std::string, School> schools;  // golden id -> school of the level (then of the caller's units)
  for (const auto& r : tx.exec_params(
           "select s.id::text, coalesce(s.data->>'school_code', ''), coalesce(s.data->>'name', ''),"
           " coalesce(s.data->>'school_level', ''), coalesce(s.data->>'commune', ''), coalesce(s.data->>'province', ''),"
           " ((s.data->>'established_date') is null or (s.data->>'established_date')::date <= $1::date)"
           "   and coalesce(s.data->>'operating_status', '') not in ('GIAI_THE', 'SAP_NHAP')"
           " from records_as_of('school', $1::date, 'infinity', false) s",
           date)) {
    School s;
    s.row.school_code = r[1].c_str();
    s.row.school_name = r[2].c_str();
    s.row.school_level = r[3].c_str();
    s.row.commune = r[4].c_str();
    s.row.province = r[5].c_str();
    s.open = r[6].as<bool>();
    if (!p.level.empty() && s.row.school_level != p.level) continue;
    schools.emplace(r[0].c_str(), std::move(s));
  }
  place_in_units(tx, catalogs, p, schools);

  // Students: of each person (a record merged into another counts as the survivor), the one
  // enrollment in_force_per_owner (migration 0035) gives, which `hubctl export snapshot` lists.
  for (const auto& r : tx.exec_params(
           "with e as ("
           "  select e.owner as person, coalesce(sc.merged_into, sc.id)::text as school,"
           "    coalesce(e.data->>'grade', '') as grade,"
           "    coalesce(e.data->>'status' = any($2::text[]) and e.valid_to is null, false) as leaving_undated"
           "  from in_force_per_owner('enrollment', 'student', $1::date, 'infinity') e"
           "  left join golden_record sc on sc.id = " + ref("e", "school") + ")"
           " select e.school, e.grade, coalesce(p.data->>'gender', ''), coalesce(p.data->>'ethnicity', ''),"
           "   coalesce(p.data->>'policy_group', ''), e.leaving_undated, count(*)"
           " from e left join records_as_of('student', $1::date, 'infinity', false) p on p.id = e.person"
           " where e.school is not null group by 1, 2, 3, 4, 5, 6",
           date, kLeavingStatuses)) {
    auto it = schools.find(r[0].c_str());
    if (it == schools.end()) continue;  // a school outside the level or the units
    auto& c = it->second.row.counts;
    long long n = r[6].as<long long>();
    if (r[5].as<bool>()) {
      c["students_left_undated"] += n;
      continue;
    }
    auto category = [](const pqxx::field& f) { return f.size() ? std::string(f.c_str()) : std::string(kNotRecorded); };
    c["students"] += n;
    c["students.grade." + category(r[1])] += n;
    c["students.gender." + category(r[2])] += n;
    c["students.ethnicity." + category(r[3])] += n;
    c["students.policy_group." + category(r[4])] += n;
    it->second.open = true;  // a school whose students count that day was open that day
  }

  for (const auto& r : tx.exec_params(
           "select coalesce(sc.merged_into, sc.id)::text, count(*)"
           " from records_as_of('class', $1::date, 'infinity', false) c"
           " left join golden_record sc on sc.id = " + ref("c", "school") +
           " where c.data->>'school_year' = $2 group by 1",
           date, rep.school_year)) {
    if (r[0].is_null()) continue;
    if (auto it = schools.find(r[0].c_str()); it != schools.end()) it->second.row.counts["classes"] += r[1].as<long long>();
  }

  for (const auto& r : tx.exec_params(
           "select coalesce(sc.merged_into, sc.id)::text, coalesce(s.data->>'staff_group', ''), count(*)"
           " from records_as_of('staff', $1::date, 'infinity', false) s"
           " left join golden_record sc on sc.id = " + ref("s", "school") +
           " where s.data->>'employment_status' = any($2::text[])"
           "   and ((s.data->>'school_start_date') is null or (s.data->>'school_start_date')::date <= $1::date)"
           " group by 1, 2",
           date, kWorkingStatuses)) {
    if (r[0].is_null()) continue;
    auto it = schools.find(r[0].c_str());
    if (it == schools.end()) continue;
    long long n = r[2].as<long long>();
    it->second.row.counts["staff"] += n;
    it->second.row.counts["staff.group." + std::string(r[1].size() ? r[1].c_str() : kNotRecorded)] += n;
  }

  // Rows: the open schools, or their communes.
  std::map<std::string, EmisRow> rows;  // ordered by province, commune, school code
  for (auto& [id, s] : schools) {
    if (!s.open) continue;
    s.row.counts["schools"] = 1;
    if (s.row.commune_name.empty()) s.row.commune_name = commune_name(catalogs, s.row.commune, p.as_of);
    const std::string own = s.row.province + "|" + s.row.commune;
    const std::string current = s.current_unit.empty() ? own : s.current_unit;
    if (p.by == EmisBy::kSchool) {
      if (current != own) s.row.current_units = {current};
      rows.emplace(key_of(s.row) + "|" + id, s.row);
      continue;
    }
    EmisRow& c = rows[own];
    c.province = s.row.province;
    c.commune = s.row.commune;
    c.commune_name = s.row.commune_name;
    c.unplaced_schools += s.row.unplaced_schools;
    if (std::find(c.current_units.begin(), c.current_units.end(), current) == c.current_units.end())
      c.current_units.push_back(current);
    add_counts(c, s.row);
  }
  // A row in today's units needs no list: its own unit is the one a caller must cover.
  for (auto& [k, r] : rows) {
    std::sort(r.current_units.begin(), r.current_units.end());
    if (r.current_units == std::vector<std::string>{k}) r.current_units.clear();
  }
  for (auto& [k, r] : rows)
    if (row_visible(p.units, r, p.by)) rep.rows.push_back(std::move(r));
  rep.total = total_of(rep.rows);
  rep.columns = columns_for(&catalogs, rep.rows, p.as_of, nullptr);
  return rep;
}

std::string to_json(const EmisReport& r) {
  json::JsonWriter w;
  w.begin_object().kv("report", "emis").kv("as_of", r.as_of.iso()).kv("school_year", r.school_year)
      .kv("by", by_name(r.by)).kv("level", r.level).key("units").strings(r.units)
      .kv("units_mode", units_name(r.units_mode));
  w.key("columns").begin_array();
  for (const auto& c : r.columns) w.begin_object().kv("key", c.key).kv("label_vi", c.label_vi).kv("label_en", c.label_en).end_object();
  w.end_array().key("rows").begin_array();
  for (const auto& row : r.rows) {
    w.begin_object();
    write_row_fields(w, row, r.by);
    w.key("counts");
    write_counts(w, row, r.columns);
    w.end_object();
  }
  w.end_array().key("total");
  write_counts(w, r.total, r.columns);
  w.end_object();
  return w.str();
}

Result<EmisReport> emis_from_json(std::string_view text_json) {
  rapidjson::Document d;
  auto parsed = json::parse(text_json, d);
  if (!parsed) return parsed.error();
  auto bad = [](const std::string& what) { return make_error("report.malformed", "not an EMIS report: " + what); };
  if (!d.IsObject() || text(d, "report") != "emis") return bad("no \"report\": \"emis\"");
  EmisReport r;
  auto date = Date::parse_iso(text(d, "as_of"));
  if (!date) return bad("as_of");
  r.as_of = *date;
  r.school_year = text(d, "school_year");
  auto by = parse_by(text(d, "by"));
  if (!by) return bad("by");
  r.by = *by;
  r.level = text(d, "level");
  // A frozen report without units_mode grouped schools by the codes stored when it was frozen:
  // as_of is the reading that keeps its units.
  if (std::string m = text(d, "units_mode"); !m.empty()) {
    auto mode = catalog::parse_units_mode(m);
    if (!mode) return bad("units_mode");
    r.units_mode = *mode;
  }
  if (d.HasMember("units") && d["units"].IsArray())
    for (const auto& u : d["units"].GetArray())
      if (u.IsString()) r.units.emplace_back(u.GetString(), u.GetStringLength());
  if (!d.HasMember("columns") || !d["columns"].IsArray() || !d.HasMember("rows") || !d["rows"].IsArray())
    return bad("columns or rows");
  for (const auto& c : d["columns"].GetArray()) {
    if (!c.IsObject()) return bad("a column");
    r.columns.push_back({text(c, "key"), text(c, "label_vi"), text(c, "label_en")});
  }
  auto counts_of = [&](const rapidjson::Value& obj, EmisRow& row) {
    if (!obj.IsObject()) return;
    for (const auto& m : obj.GetObject())
      if (m.value.IsInt64()) row.counts[std::string(m.name.GetString(), m.name.GetStringLength())] = m.value.GetInt64();
  };
  for (const auto& v : d["rows"].GetArray()) {
    if (!v.IsObject()) return bad("a row");
    EmisRow row;
    row.province = text(v, "province");
    row.commune = text(v, "commune");
    row.commune_name = text(v, "commune_name");
    row.school_code = text(v, "school_code");
    row.school_name = text(v, "school_name");
    row.school_level = text(v, "school_level");
    if (v.HasMember("current_units") && v["current_units"].IsArray())
      for (const auto& u : v["current_units"].GetArray())
        if (u.IsString()) row.current_units.emplace_back(u.GetString(), u.GetStringLength());
    if (v.HasMember("unplaced_schools") && v["unplaced_schools"].IsInt64()) row.unplaced_schools = v["unplaced_schools"].GetInt64();
    if (v.HasMember("counts")) counts_of(v["counts"], row);
    r.rows.push_back(std::move(row));
  }
  if (d.HasMember("total")) counts_of(d["total"], r.total);
  return r;
}

EmisReport visible_part(const EmisReport& report, const std::vector<std::string>& units) {
  if (units.empty()) return report;
  EmisReport out = report;
  out.rows.clear();
  for (const auto& r : report.rows)
    if (row_visible(units, r, report.by)) out.rows.push_back(r);
  out.total = total_of(out.rows);
  std::map<std::string, EmisColumn> known;
  for (const auto& c : report.columns) known[c.key] = c;
  out.columns = columns_for(nullptr, out.rows, report.as_of, &known);
  return out;
}

Table emis_table(const EmisReport& r) {
  Table t;
  t.name = "EMIS " + r.as_of.iso();
  t.columns = {{"Mã tỉnh", CellKind::kText, 0}, {"Mã phường/xã", CellKind::kText, 0}, {"Tên phường/xã", CellKind::kText, 0}};
  if (r.by == EmisBy::kSchool)
    for (const char* h : {"Mã trường", "Tên trường", "Cấp học"}) t.columns.push_back({h, CellKind::kText, 0});
  std::size_t fixed = t.columns.size();
  for (const auto& c : r.columns) t.columns.push_back({c.label_vi, CellKind::kInteger, 0});
  auto add = [&](const EmisRow& row, bool total) {
    std::vector<Cell> cells;
    if (total) {
      cells.emplace_back(std::string("Tổng cộng"));
      while (cells.size() < fixed) cells.emplace_back();
    } else {
      cells = {row.province, row.commune, row.commune_name};
      if (r.by == EmisBy::kSchool)
        for (const auto* s : {&row.school_code, &row.school_name, &row.school_level}) cells.emplace_back(*s);
    }
    for (const auto& c : r.columns) cells.emplace_back(static_cast<double>(row.count(c.key)));
    t.rows.push_back(std::move(cells));
  };
  for (const auto& row : r.rows) add(row, false);
  add(r.total, true);
  return t;
}

Table emis_columns_table(const EmisReport& r) {
  Table t;
  t.name = "Cột - Columns";
  t.columns = {{"Cột", CellKind::kText, 0}, {"Mã cột (key)", CellKind::kText, 0}, {"Column (English)", CellKind::kText, 0}};
  for (const auto& c : r.columns) t.rows.push_back({c.label_vi, c.key, c.label_en});
  return t;
}

std::time_t created_time(Date as_of) { return static_cast<std::time_t>(as_of.days_since_epoch()) * 86400; }

Result<std::string> emis_csv(const EmisReport& r) { return to_csv(emis_table(r)); }

Result<std::string> emis_xlsx(const EmisReport& r) {
  return to_xlsx({emis_table(r), emis_columns_table(r)}, created_time(r.as_of));
}

}  // namespace hub::reports
