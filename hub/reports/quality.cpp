#include "hub/reports/quality.h"

#include "hub/reports/placement.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "hub/common/json.h"
#include "hub/common/scopes.h"
#include "hub/mapping/validators.h"

namespace hub::reports {
namespace {

// Any fixed number: "the quality facts' refresh lock" among the database's advisory locks.
constexpr long long kRefreshLockId = 0x4855425f5155414c;  // "HUB_QUAL"
// change_log rows read per refresh round; a report keeps reading until it has caught up.
constexpr int kChangesPerRound = 20000;
// Fields whose different values from two sources are a conflict (docs/reports.md): the ones a
// person has one of. Names are spelt differently by every vendor and schools change, so those
// are no conflict.
const std::vector<std::string> kConflictFields = {"birth_date", "gender", "personal_id"};
// Enrollment statuses that say the student no longer learns at the school.
constexpr const char* kGoneStatuses = "('CHUYEN_DI', 'THOI_HOC', 'DA_MAT', 'TOT_NGHIEP', 'HOAN_THANH_CT')";
// Staff statuses that count as working at the school.
constexpr const char* kWorkingStatuses = "('DANG_LAM_VIEC', 'TAM_NGHI')";

// A PostgreSQL array literal of text values ('{"a","b"}').
std::string pg_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// Required and expected fields of an entity, in schema order.
std::vector<std::string> checked_fields(const mapping::Snapshot& snap, const std::string& entity) {
  std::vector<std::string> out;
  const auto* s = snap.schemas ? snap.schemas->find(entity) : nullptr;
  if (!s) return out;
  for (const auto& f : s->fields)
    if (f.required || f.expected) out.push_back(f.name);
  return out;
}

std::vector<std::string> pid_prefixes(const mapping::Snapshot& snap) {
  std::vector<std::string> out;
  const auto* c = snap.catalogs ? snap.catalogs->find("cccd_prefix") : nullptr;
  if (c)
    for (const auto& e : c->entries()) out.push_back(e.code);
  return out;
}

// The INSERT of fact rows into `target` from `source` (a relation with the columns of
// golden_record): every student and staff record of it, or those whose ids are $6 when
// `by_ids`. $1 student fields, $2 staff fields, $3 personal-ID prefixes, $4 conflict fields,
// $5 the day enrollments are chosen for; a source may use $6 when not `by_ids`.
std::string facts_sql(const std::string& source, const std::string& target, bool by_ids) {
  const std::string ids = by_ids ? " and g.id = any($6::uuid[])" : "";
  const std::string enr_ids = by_ids ? " and e.data->>'student' = any($6::text[])" : "";
  return
      "with enr as ("
      "  select distinct on (e.data->>'student') e.data->>'student' as student,"
      "    case when e.data->>'school' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
      "         then (e.data->>'school')::uuid end as school,"
      "    e.valid_from, e.valid_to, e.updated_at, e.data->>'status' as status"
      "  from " + source + " e where e.entity = 'enrollment' and e.merged_into is null" + enr_ids +
      "  order by e.data->>'student',"
      // in force on the day first, then the next to start, then the last to end
      "    case when e.valid_from <= $5::date and (e.valid_to is null or e.valid_to >= $5::date) then 0"
      "         when e.valid_from > $5::date then 1 else 2 end,"
      "    case when e.valid_from > $5::date then e.valid_from end asc nulls last,"
      "    e.valid_to desc nulls first, e.valid_from desc)"
      " insert into " + target +
      " (record_id, entity, school_id, in_from, in_to, active, missing, pid, pid_status, conflicts,"
      "  changed_at, lag_days)"
      " select g.id, g.entity,"
      "  case when g.entity = 'staff' then"
      "    case when g.data->>'school' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
      "         then (g.data->>'school')::uuid end"
      "  else e.school end,"
      "  e.valid_from, e.valid_to,"
      "  case when g.entity = 'staff' then coalesce(g.data->>'employment_status', '') in " + kWorkingStatuses +
      "       else e.school is not null and coalesce(e.status, '') not in " + kGoneStatuses + " end,"
      "  array(select f from unnest(case when g.entity = 'student' then $1::text[] else $2::text[] end) f"
      "        where coalesce(g.data->>f, '') = ''),"
      "  case when coalesce(g.data->>'personal_id', '') = '' then 'absent'"
      "       when g.data->>'personal_id' ~ '^[0-9]{12}$' and left(g.data->>'personal_id', 3) = any($3::text[])"
      "       then 'well_formed' else 'malformed' end,"
      "  case when coalesce(g.data->>'personal_id', '') = '' then 'not_checked'"
      "       when g.data->>'personal_id_status' in ('verified', 'mismatch') then g.data->>'personal_id_status'"
      "       else 'not_checked' end,"
      "  coalesce(array(select k from jsonb_each(p.profile) as x(k, v)"
      "        where k = any($4::text[]) and jsonb_typeof(v) = 'array' and jsonb_array_length(v) > 1), '{}'),"
      "  greatest(g.updated_at, coalesce(e.updated_at, g.updated_at)),"
      // The vendor's own date when the push that made this version sent it (lineage of the
      // field names that batch), else the push's arrival.
      // (The date's test first: only records that have one pay for reading the lineage.)
      "  case when g.data->>'source_updated_on' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"
      "            and field_lineage(g.lineage, 'source_updated_on')->>'batch' = rv.batch_id::text"
      "       then greatest(0, (rv.recorded_at at time zone 'Asia/Ho_Chi_Minh')::date"
      "                        - (g.data->>'source_updated_on')::date)::double precision"
      "       when b.received_at is not null"
      "       then greatest(0, extract(epoch from (rv.recorded_at - b.received_at)) / 86400.0) end"
      " from " + source + " g"
      " left join enr e on g.entity = 'student' and e.student = g.id::text"
      " left join match_profile p on p.record_id = g.id"
      " left join record_version rv on rv.record_id = g.id and rv.version = g.version"
      " left join inbox_batch b on b.id = rv.batch_id"
      " where g.entity in ('student', 'staff') and g.merged_into is null" + ids;
}

pqxx::result exec_facts(pqxx::work& tx, const mapping::Snapshot& snap, const std::string& sql, const std::string& day,
                        const std::vector<std::string>* ids, const std::string* as_of_end = nullptr) {
  const std::string students = pg_array(checked_fields(snap, "student"));
  const std::string staff = pg_array(checked_fields(snap, "staff"));
  const std::string prefixes = pg_array(pid_prefixes(snap));
  const std::string conflicts = pg_array(kConflictFields);
  if (ids) return tx.exec_params(sql, students, staff, prefixes, conflicts, day, pg_array(*ids));
  if (as_of_end) return tx.exec_params(sql, students, staff, prefixes, conflicts, day, *as_of_end);
  return tx.exec_params(sql, students, staff, prefixes, conflicts, day);
}

std::string today_sql(pqxx::work& tx) {
  return tx.exec1("select (now() at time zone 'Asia/Ho_Chi_Minh')::date::text")[0].c_str();
}

void refresh_ids(pqxx::work& tx, const mapping::Snapshot& snap, const std::vector<std::string>& ids,
                 const std::string& day) {
  if (ids.empty()) return;
  tx.exec_params("delete from quality_fact where record_id = any($1::uuid[])", pg_array(ids));
  exec_facts(tx, snap, facts_sql("golden_record", "quality_fact", true), day, &ids);
}

std::string unit_name(const catalog::CatalogSet* catalogs, const char* catalog, const std::string& code) {
  const auto* c = catalogs ? catalogs->find(catalog) : nullptr;
  if (!c) return "";
  catalog::LookupOptions o;
  o.by = catalog::LookupBy::kCode;
  auto e = c->lookup(code, o);
  return e.ok() ? (*e)->name : "";
}

// A commune's name in the report's units: the unit that code named on the report's date, or
// today's for a report in today's units (GSO reused codes, so the date picks the unit).
std::string commune_name(const catalog::CatalogSet* catalogs, const std::string& code, const QualityParams& p) {
  const auto* c = catalogs ? catalogs->find("commune") : nullptr;
  if (!c) return "";
  const Date on = p.units_mode == catalog::UnitsMode::kCurrent ? Date::today() : p.as_of;
  for (const auto* e : c->find_all_by_code(code))
    if (e->valid_on(on)) return e->name;
  return unit_name(catalogs, "commune", code);
}

bool in_unit(const UnitRef& u, const SchoolInfo& s) {
  switch (u.kind) {
    case UnitRef::Kind::kAll: return true;
    case UnitRef::Kind::kProvince: return s.province == u.code;
    case UnitRef::Kind::kCommune: return s.commune == u.code;
    case UnitRef::Kind::kSchool: return s.code == u.code;
  }
  return false;
}

double share(long long part, long long whole) { return whole > 0 ? static_cast<double>(part) / whole : 0; }

}  // namespace

std::string UnitRef::text() const {
  switch (kind) {
    case Kind::kAll: return "all";
    case Kind::kProvince: return "province:" + code;
    case Kind::kCommune: return "commune:" + code;
    case Kind::kSchool: return "school:" + code;
  }
  return "all";
}

Result<UnitRef> parse_unit(std::string_view text) {
  if (text.empty() || text == "all") return UnitRef{};
  if (!check_unit(text).ok())
    return make_error("quality.unit", "unit '" + std::string(text) +
                                          "' is not province:<2 digits>, commune:<5 digits>, school:<school code> or all",
                      "unit");
  auto colon = text.find(':');
  UnitRef u;
  auto kind = text.substr(0, colon);
  u.kind = kind == "province" ? UnitRef::Kind::kProvince : kind == "commune" ? UnitRef::Kind::kCommune : UnitRef::Kind::kSchool;
  u.code = std::string(text.substr(colon + 1));
  return u;
}

bool school_visible(const std::vector<std::string>& caller_units, const SchoolInfo& s) {
  return unit_allowed(caller_units, UnitPath{s.code, s.commune, s.province});
}

bool unit_within(const std::vector<std::string>& caller_units, const UnitRef& unit,
                 const std::vector<SchoolInfo>& schools, const catalog::CatalogSet& catalogs) {
  if (caller_units.empty()) return true;
  switch (unit.kind) {
    case UnitRef::Kind::kAll: return false;
    case UnitRef::Kind::kProvince: return unit_allowed(caller_units, UnitPath{"", "", unit.code});
    case UnitRef::Kind::kCommune:
      return unit_allowed(caller_units, UnitPath{"", unit.code, catalogs.province_of_commune(unit.code)});
    case UnitRef::Kind::kSchool:
      for (const auto& s : schools)
        if (s.code == unit.code) return school_visible(caller_units, s);
      return unit_allowed(caller_units, UnitPath{unit.code, "", ""});
  }
  return false;
}

void EntityMeasures::add(const EntityMeasures& o) {
  records += o.records;
  for (const auto& [k, v] : o.missing) missing[k] += v;
  pid_present += o.pid_present;
  pid_well_formed += o.pid_well_formed;
  pid_malformed += o.pid_malformed;
  pid_verified += o.pid_verified;
  pid_mismatch += o.pid_mismatch;
  pid_not_checked += o.pid_not_checked;
  with_conflicts += o.with_conflicts;
  for (const auto& [k, v] : o.conflicts) conflicts[k] += v;
  review_open += o.review_open;
  changes += o.changes;
  late += o.late;
  max_lag_days = std::max(max_lag_days, o.max_lag_days);
}

long long refresh_facts(pqxx::work& tx, const mapping::Snapshot& snap) {
  tx.exec("select pg_advisory_xact_lock(" + std::to_string(kRefreshLockId) + ")");
  const std::string today = today_sql(tx);
  auto state = tx.exec("select cursor, refreshed_on::text from quality_state where id = 1");
  if (state.empty()) return rebuild_facts(tx, snap);
  long long cursor = state[0][0].as<long long>();
  const std::string refreshed_on = state[0][1].c_str();
  long long refreshed = 0;
  for (;;) {
    auto rows = tx.exec_params(
        "with c as (select seq, entity, record_id from change_log where seq > $1"
        "   and entity in ('student', 'staff', 'enrollment') order by seq limit $2)"
        " select (select max(seq) from c),"
        "  coalesce((select array_agg(distinct id)::text from ("
        "    select record_id::text as id from c where entity <> 'enrollment'"
        "    union select e.data->>'student' from c join golden_record e on e.id = c.record_id"
        "     where c.entity = 'enrollment' and e.data->>'student' is not null"
        "    union select rv.data->>'student' from c join record_version rv on rv.record_id = c.record_id"
        "     where c.entity = 'enrollment' and rv.data->>'student' is not null) ids), '{}')",
        cursor, kChangesPerRound);
    if (rows[0][0].is_null()) break;
    cursor = rows[0][0].as<long long>();
    // A student id as text: keep only uuids (an enrollment names its student by id).
    std::vector<std::string> ids;
    std::string list = rows[0][1].c_str();
    std::string cur;
    for (char c : list.substr(1, list.size() >= 2 ? list.size() - 2 : 0)) {
      if (c == ',') {
        ids.push_back(cur);
        cur.clear();
      } else if (c != '"') {
        cur += c;
      }
    }
    if (!cur.empty()) ids.push_back(cur);
    ids.erase(std::remove_if(ids.begin(), ids.end(), [](const std::string& s) { return s.size() != 36; }), ids.end());
    refresh_ids(tx, snap, ids, today);
    refreshed += static_cast<long long>(ids.size());
  }
  if (refreshed_on != today) {
    // Enrollments that ended since the last refresh: the student may be in another one now.
    std::vector<std::string> ids;
    for (const auto& r : tx.exec_params(
             "select record_id::text from quality_fact where entity = 'student'"
             " and in_to >= $1::date - 1 and in_to < $2::date",
             refreshed_on, today))
      ids.push_back(r[0].c_str());
    refresh_ids(tx, snap, ids, today);
    refreshed += static_cast<long long>(ids.size());
  }
  tx.exec_params("update quality_state set cursor = $1, refreshed_on = $2::date where id = 1", cursor, today);
  return refreshed;
}

long long rebuild_facts(pqxx::work& tx, const mapping::Snapshot& snap) {
  tx.exec("select pg_advisory_xact_lock(" + std::to_string(kRefreshLockId) + ")");
  const std::string today = today_sql(tx);
  // The cursor first: a change committed while the facts are built is read again next time,
  // which is harmless; one committed before is in the facts.
  long long cursor = tx.exec1("select coalesce(max(seq), 0) from change_log")[0].as<long long>();
  tx.exec("truncate quality_fact");
  auto r = exec_facts(tx, snap, facts_sql("golden_record", "quality_fact", false), today, nullptr);
  tx.exec_params(
      "insert into quality_state (id, cursor, refreshed_on) values (1, $1, $2::date)"
      " on conflict (id) do update set cursor = excluded.cursor, refreshed_on = excluded.refreshed_on",
      cursor, today);
  tx.exec("analyze quality_fact");
  return static_cast<long long>(r.affected_rows());
}

std::vector<SchoolInfo> load_schools(pqxx::work& tx) {
  std::vector<SchoolInfo> out;
  for (const auto& r : tx.exec(
           "select id::text, coalesce(data->>'school_code', ''), coalesce(data->>'name', ''),"
           " coalesce(data->>'commune', ''), coalesce(data->>'province', ''), coalesce(data->>'school_level', '')"
           " from golden_record where entity = 'school' and merged_into is null order by data->>'school_code'"))
    out.push_back({r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str(), r[5].c_str()});
  return out;
}

namespace {

// The facts relation a report reads: quality_fact for today, else a temporary table built from
// the versions recorded by the end of as_of.
std::string facts_relation(pqxx::work& tx, const mapping::Snapshot& snap, const QualityParams& p,
                           long long& refreshed) {
  if (p.as_of_today) {
    refreshed = refresh_facts(tx, snap);
    return "quality_fact";
  }
  tx.exec("create temporary table if not exists quality_fact_as_of (like quality_fact including defaults) on commit drop");
  tx.exec("truncate quality_fact_as_of");
  const std::string end = p.as_of.iso() + " 24:00:00 Asia/Ho_Chi_Minh";
  const std::string source =
      "(select distinct on (rv.record_id) rv.record_id as id, g.entity, rv.version, rv.data, g.lineage,"
      "   rv.valid_from, rv.valid_to, g.merged_into, rv.recorded_at as updated_at"
      " from record_version rv join golden_record g on g.id = rv.record_id"
      " where rv.recorded_at < $6::timestamptz and g.entity in ('student', 'staff', 'enrollment')"
      " order by rv.record_id, rv.version desc)";
  exec_facts(tx, snap, facts_sql(source, "quality_fact_as_of", false), p.as_of.iso(), nullptr, &end);
  return "quality_fact_as_of";
}

// Which facts count on as_of: students in an enrollment in force that day, working staff.
std::string counted(const std::string& as_of) {
  return "f.active and (f.entity = 'staff' or (f.in_from <= '" + as_of + "'::date and (f.in_to is null or f.in_to >= '" +
         as_of + "'::date)))";
}

// One scan of the facts for every per-school measure: a city's report reads 300,000 narrow rows
// once, instead of once per kind of measure (the counts, each missing field, each conflict,
// the last change). Field names are parameters ($5, $6), never spliced into the statement.
void fill_measures(pqxx::work& tx, const std::string& facts, const QualityParams& p,
                   const std::vector<std::string>& fields, const std::vector<std::string>& school_ids,
                   std::map<std::string, GroupMeasures>& by_school,
                   std::map<std::string, std::optional<std::string>>& last_change) {
  const std::string as_of = p.as_of.iso();
  const std::string window_from = Date::from_days(p.as_of.days_since_epoch() - p.window_days + 1).iso();
  const std::string c = "(" + counted(as_of) + ")";
  const std::string in_window = "f.changed_at >= $2::date and f.changed_at < $3::date + 1";
  std::string sql =
      "select f.school_id::text, f.entity, count(*) filter (where " + c + "),"
      " count(*) filter (where " + c + " and f.pid <> 'absent'), count(*) filter (where " + c + " and f.pid = 'well_formed'),"
      " count(*) filter (where " + c + " and f.pid = 'malformed'),"
      " count(*) filter (where " + c + " and f.pid <> 'absent' and f.pid_status = 'verified'),"
      " count(*) filter (where " + c + " and f.pid <> 'absent' and f.pid_status = 'mismatch'),"
      " count(*) filter (where " + c + " and f.pid <> 'absent' and f.pid_status = 'not_checked'),"
      " count(*) filter (where " + c + " and cardinality(f.conflicts) > 0),"
      " count(*) filter (where " + c + " and " + in_window + " and f.lag_days is not null),"
      " count(*) filter (where " + c + " and " + in_window + " and f.lag_days > $4),"
      " coalesce(max(f.lag_days) filter (where " + c + " and " + in_window + "), 0),"
      " max(f.changed_at at time zone 'Asia/Ho_Chi_Minh') filter (where f.changed_at < $3::date + 1)::date::text";
  constexpr int kFixed = 14;  // columns before the per-field counts
  for (std::size_t i = 1; i <= fields.size(); ++i)
    sql += ", count(*) filter (where " + c + " and ($5::text[])[" + std::to_string(i) + "] = any(f.missing))";
  for (std::size_t i = 1; i <= kConflictFields.size(); ++i)
    sql += ", count(*) filter (where " + c + " and ($6::text[])[" + std::to_string(i) + "] = any(f.conflicts))";
  sql += " from " + facts + " f where f.school_id = any($1::uuid[]) group by 1, 2";
  auto pick = [&](GroupMeasures& g, const std::string& entity) -> EntityMeasures& {
    return entity == "student" ? g.students : g.staff;
  };
  for (const auto& r : tx.exec_params(sql, pg_array(school_ids), window_from, as_of, p.freshness_days,
                                      pg_array(fields), pg_array(kConflictFields))) {
    const std::string school = r[0].c_str();
    if (!r[13].is_null()) {
      auto& last = last_change[school];
      if (!last || *last < r[13].c_str()) last = std::string(r[13].c_str());
    }
    if (r[2].as<long long>() == 0) continue;  // no counted record of this entity
    EntityMeasures& m = pick(by_school[school], r[1].c_str());
    m.records = r[2].as<long long>();
    m.pid_present = r[3].as<long long>();
    m.pid_well_formed = r[4].as<long long>();
    m.pid_malformed = r[5].as<long long>();
    m.pid_verified = r[6].as<long long>();
    m.pid_mismatch = r[7].as<long long>();
    m.pid_not_checked = r[8].as<long long>();
    m.with_conflicts = r[9].as<long long>();
    m.changes = r[10].as<long long>();
    m.late = r[11].as<long long>();
    m.max_lag_days = std::round(r[12].as<double>() * 100) / 100;
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (auto n = r[kFixed + static_cast<int>(i)].as<long long>(); n > 0) m.missing[fields[i]] = n;
    for (std::size_t i = 0; i < kConflictFields.size(); ++i)
      if (auto n = r[kFixed + static_cast<int>(fields.size() + i)].as<long long>(); n > 0)
        m.conflicts[kConflictFields[i]] = n;
  }
  // Open review items about a counted record (either side of a doubtful match).
  const std::string ids = pg_array(school_ids);
  for (const auto& r : tx.exec_params(
           "select f.school_id::text, f.entity, count(distinct ri.id) from review_item ri"
           " join " + facts + " f on f.record_id in (ri.record_id, ri.candidate_id)"
           " where ri.status = 'open' and f.school_id = any($1::uuid[]) and " + counted(as_of) + " group by 1, 2",
           ids))
    pick(by_school[r[0].c_str()], r[1].c_str()).review_open = r[2].as<long long>();
}

// Rejected records (in the window) and records not yet processed or waiting for review, per
// partner and error code; only partners whose units lie inside the caller's.
std::vector<PartnerOutcome> partner_outcomes(pqxx::work& tx, const QualityParams& p,
                                             const std::vector<std::string>& caller_units,
                                             const std::vector<SchoolInfo>& schools, const catalog::CatalogSet& cats) {
  std::vector<PartnerOutcome> out;
  const std::string window_from = Date::from_days(p.as_of.days_since_epoch() - p.window_days + 1).iso();
  std::set<std::string> visible;
  for (const auto& r : tx.exec("select name, units::text from partner order by name")) {
    std::string name = r[0].c_str();
    rapidjson::Document units;
    units.Parse(r[1].c_str());
    bool inside = true;
    if (!caller_units.empty()) {
      // A partner is the caller's to see when it is limited to units and each lies in the caller's.
      inside = units.IsArray() && !units.Empty();
      if (units.IsArray())
        for (const auto& u : units.GetArray()) {
          auto ref = parse_unit(u.IsString() ? u.GetString() : "");
          if (!ref.ok() || !unit_within(caller_units, *ref, schools, cats)) inside = false;
        }
    }
    // A report about one unit shows the partners that can send for it: those limited to units
    // inside it, or not limited at all when the report is about everything.
    if (inside) visible.insert(name);
  }
  std::map<std::pair<std::string, std::string>, PartnerOutcome> rows;
  // Per code, then the partner's total (a record with two codes counts once in the total).
  for (const auto& r : tx.exec_params(
           "select pa.name, coalesce(e->>'code', ''), count(distinct (br.batch_id, br.index)), grouping(e->>'code')"
           " from batch_record br join inbox_batch b on b.id = br.batch_id join partner pa on pa.id = b.partner_id"
           " left join lateral jsonb_array_elements(case when jsonb_typeof(br.errors) = 'array' then br.errors"
           "   else '[]'::jsonb end) e on true"
           " where br.status = 'rejected' and b.received_at >= $1::date and b.received_at < $2::date + 1"
           " group by grouping sets ((pa.name, e->>'code'), (pa.name))",
           window_from, p.as_of.iso())) {
    std::string name = r[0].c_str();
    if (!visible.count(name)) continue;
    // The partner's total has code ""; a rejected record without any code is counted as "unknown".
    std::string code = r[3].as<int>() ? "" : r[1].is_null() || std::string(r[1].c_str()).empty() ? "unknown" : r[1].c_str();
    auto& row = rows[{name, code}];
    row.partner = name;
    row.code = code;
    row.rejected = r[2].as<long long>();
  }
  // Pending: records of batches not processed yet, records waiting for a person's review, and
  // records parked until a record they refer to arrives (hubctl pending).
  for (const auto& r : tx.exec(
           "select pa.name, 'pending.unprocessed', sum(greatest(coalesce(b.record_count, 0) -"
           "   (select count(*) from batch_record br where br.batch_id = b.id), 0))::bigint"
           " from inbox_batch b join partner pa on pa.id = b.partner_id"
           " where b.status in ('received', 'processing') group by 1"
           " union all select pa.name, 'pending.review', count(*) from batch_record br"
           " join inbox_batch b on b.id = br.batch_id join partner pa on pa.id = b.partner_id"
           " where br.status = 'review' and exists (select 1 from review_item ri where ri.batch_id = br.batch_id"
           "   and ri.index = br.index and ri.status = 'open') group by 1"
           " union all select pa.name, 'pending.reference', count(*) from batch_record br"
           " join inbox_batch b on b.id = br.batch_id join partner pa on pa.id = b.partner_id"
           " where br.status = 'pending' group by 1")) {
    std::string name = r[0].c_str();
    long long n = r[2].as<long long>();
    if (!visible.count(name) || n == 0) continue;
    auto& row = rows[{name, r[1].c_str()}];
    row.partner = name;
    row.code = r[1].c_str();
    row.pending = n;
    auto& total = rows[{name, ""}];
    total.partner = name;
    total.pending += n;
  }
  // Records stored with a warning the partner should act on: a school code a school event
  // superseded (school.code_superseded), per partner in the window.
  for (const auto& r : tx.exec_params(
           "select pa.name, count(*) from batch_record br join inbox_batch b on b.id = br.batch_id"
           " join partner pa on pa.id = b.partner_id"
           " where br.status <> 'rejected' and br.errors @> '[{\"code\": \"school.code_superseded\"}]'"
           "   and b.received_at >= $1::date and b.received_at < $2::date + 1 group by 1",
           window_from, p.as_of.iso())) {
    std::string name = r[0].c_str();
    if (!visible.count(name)) continue;
    for (const std::string code : {"school.code_superseded", ""}) {
      auto& row = rows[{name, code}];
      row.partner = name;
      row.code = code;
      row.warned += r[1].as<long long>();
    }
  }
  for (auto& [_, row] : rows) out.push_back(row);
  return out;
}

}  // namespace

Result<QualityReport> quality_report(pqxx::work& tx, const mapping::Snapshot& snap, const QualityParams& p,
                                     const std::vector<std::string>& caller_units) {
  QualityReport rep;
  rep.params = p;
  rep.student_fields = checked_fields(snap, "student");
  rep.staff_fields = checked_fields(snap, "staff");
  if (!p.level.empty()) {
    const auto* levels = snap.catalogs ? snap.catalogs->find("school_level") : nullptr;
    catalog::LookupOptions o;
    o.by = catalog::LookupBy::kCode;
    if (!levels || !levels->lookup(p.level, o).ok())
      return make_error("quality.level", "level '" + p.level + "' is not a code of the school_level catalog", "level");
  }
  std::vector<SchoolInfo> all = load_schools(tx);
  std::vector<SchoolInfo> schools;
  {
    // `unit` and the caller's units are today's units (what tokens and accounts are limited to):
    // a school is chosen by its place today, and placed in the units asked for in the breakdown.
    std::vector<std::string> all_ids;
    for (const auto& s : all) all_ids.push_back(s.id);
    auto placed = place_schools(tx, *snap.catalogs, all_ids, p.as_of, p.units_mode);
    auto in = [&](const SchoolInfo& s, const catalog::PlacedUnit& u) {
      SchoolInfo out = s;
      out.commune = u.commune;
      if (!u.province.empty()) out.province = u.province;
      return out;
    };
    for (const auto& s : all) {
      auto it = placed.find(s.id);
      SchoolInfo report = it == placed.end() ? s : in(s, it->second.report);
      SchoolInfo today = it == placed.end() ? s : in(s, it->second.current);
      if (in_unit(p.unit, today) && (p.level.empty() || s.level == p.level) && school_visible(caller_units, today))
        schools.push_back(report);
    }
  }
  if (p.unit.kind == UnitRef::Kind::kSchool && schools.empty() &&
      std::none_of(all.begin(), all.end(), [&](const SchoolInfo& s) { return s.code == p.unit.code; }))
    return make_error("quality.unit_unknown", "no school has the code '" + p.unit.code + "'", "unit");

  const std::string facts = facts_relation(tx, snap, p, rep.facts_refreshed);
  std::vector<std::string> ids;
  for (const auto& s : schools) ids.push_back(s.id);
  std::map<std::string, GroupMeasures> by_school;
  std::map<std::string, std::optional<std::string>> last_change;
  std::vector<std::string> fields = rep.student_fields;
  for (const auto& f : rep.staff_fields)
    if (std::find(fields.begin(), fields.end(), f) == fields.end()) fields.push_back(f);
  fill_measures(tx, facts, p, fields, ids, by_school, last_change);

  // One level down: a province's communes, a commune's schools, a school's ... nothing below
  // it, so a school's report breaks down by nothing; everything's breaks down by province.
  rep.children_kind = p.unit.kind == UnitRef::Kind::kAll        ? "province"
                      : p.unit.kind == UnitRef::Kind::kProvince ? "commune"
                                                                : "school";
  std::map<std::string, GroupMeasures> children;
  rep.total.unit = p.unit.text();
  rep.total.code = p.unit.code;
  if (p.unit.kind == UnitRef::Kind::kProvince) rep.total.name = unit_name(snap.catalogs.get(), "province", p.unit.code);
  if (p.unit.kind == UnitRef::Kind::kCommune) rep.total.name = unit_name(snap.catalogs.get(), "commune", p.unit.code);
  const long long today_days = p.as_of.days_since_epoch();
  for (const auto& s : schools) {
    GroupMeasures& m = by_school[s.id];
    m.schools = 1;
    auto lc = last_change.find(s.id);
    long long days = -1;
    std::optional<std::string> last;
    if (lc != last_change.end() && lc->second) {
      last = lc->second;
      auto d = Date::parse_iso(*last);
      if (d) days = today_days - d->days_since_epoch();
    }
    if (!last || days > p.silent_days) {
      m.silent_schools = 1;
      rep.silent.push_back({s.code, s.name, s.commune, last, days});
    }
    std::string key, code, name, unit;
    if (rep.children_kind == "province") {
      key = code = s.province;
      unit = "province:" + code;
      name = unit_name(snap.catalogs.get(), "province", code);
    } else if (rep.children_kind == "commune") {
      key = code = s.commune;
      unit = "commune:" + code;
      name = commune_name(snap.catalogs.get(), code, p);
    } else {
      key = code = s.code;
      unit = "school:" + code;
      name = s.name;
    }
    GroupMeasures& c = children[key];
    c.unit = unit;
    c.code = code;
    c.name = name;
    if (rep.children_kind == "school") {
      c.level = s.level;
      if (p.unit.kind == UnitRef::Kind::kSchool) rep.total.name = s.name, rep.total.level = s.level;
    }
    c.schools += m.schools;
    c.silent_schools += m.silent_schools;
    c.students.add(m.students);
    c.staff.add(m.staff);
    rep.total.schools += m.schools;
    rep.total.silent_schools += m.silent_schools;
    rep.total.students.add(m.students);
    rep.total.staff.add(m.staff);
  }
  for (auto& [_, c] : children) rep.children.push_back(std::move(c));
  if (p.unit.kind == UnitRef::Kind::kSchool) rep.children.clear();
  rep.partners = partner_outcomes(tx, p, caller_units, all, *snap.catalogs);
  return rep;
}

namespace {

void write_entity(json::JsonWriter& w, const EntityMeasures& m, const std::vector<std::string>& fields, int freshness_days) {
  w.begin_object().kv("records", m.records);
  w.key("completeness").begin_object();
  for (const auto& f : fields) {
    auto it = m.missing.find(f);
    long long missing = it == m.missing.end() ? 0 : it->second;
    w.key(f).begin_object().kv("missing", missing).kv("share", share(m.records - missing, m.records)).end_object();
  }
  w.end_object();
  w.key("personal_id").begin_object()
      .kv("present", m.pid_present).kv("well_formed", m.pid_well_formed).kv("malformed", m.pid_malformed)
      .kv("verified", m.pid_verified).kv("mismatch", m.pid_mismatch).kv("not_checked", m.pid_not_checked)
      .kv("absent", m.records - m.pid_present)
      .kv("share_present", share(m.pid_present, m.records)).kv("share_well_formed", share(m.pid_well_formed, m.records))
      .kv("share_verified", share(m.pid_verified, m.records)).end_object();
  w.key("conflicts").begin_object().kv("records", m.with_conflicts).key("fields").begin_object();
  for (const auto& [f, n] : m.conflicts) w.kv(f, n);
  w.end_object().end_object();
  w.kv("review_open", m.review_open);
  w.key("freshness").begin_object().kv("changes", m.changes).kv("late", m.late)
      .kv("share_on_time", m.changes ? share(m.changes - m.late, m.changes) : 1.0)
      .kv("max_lag_days", m.max_lag_days).kv("limit_days", freshness_days).end_object();
  w.end_object();
}

void write_group(json::JsonWriter& w, const GroupMeasures& g, const QualityReport& r) {
  w.begin_object().kv("unit", g.unit).kv("code", g.code).kv("name", g.name);
  if (!g.level.empty()) w.kv("level", g.level);
  w.kv("schools", g.schools).kv("silent_schools", g.silent_schools);
  w.key("students");
  write_entity(w, g.students, r.student_fields, r.params.freshness_days);
  w.key("staff");
  write_entity(w, g.staff, r.staff_fields, r.params.freshness_days);
  w.end_object();
}

}  // namespace

std::string to_json(const QualityReport& r) {
  json::JsonWriter w;
  w.begin_object().kv("unit", r.params.unit.text()).kv("as_of", r.params.as_of.iso());
  if (!r.params.level.empty()) w.kv("level", r.params.level);
  w.kv("units", catalog::units_mode_name(r.params.units_mode));
  w.kv("window_days", r.params.window_days).kv("freshness_days", r.params.freshness_days)
      .kv("silent_days", r.params.silent_days).kv("facts_refreshed", r.facts_refreshed);
  w.key("total");
  write_group(w, r.total, r);
  w.kv("children_kind", r.children_kind).key("children").begin_array();
  for (const auto& c : r.children) write_group(w, c, r);
  w.end_array();
  w.key("silent_schools").begin_array();
  for (const auto& s : r.silent) {
    w.begin_object().kv("code", s.code).kv("name", s.name).kv("commune", s.commune).key("last_change");
    if (s.last_change) w.value(*s.last_change); else w.null();
    w.key("days");
    if (s.days >= 0) w.value(s.days); else w.null();
    w.end_object();
  }
  w.end_array();
  w.key("partners").begin_array();
  for (const auto& p : r.partners) {
    w.begin_object().kv("partner", p.partner);
    w.key("code");
    if (p.code.empty()) w.null(); else w.value(p.code);
    w.kv("rejected", p.rejected).kv("pending", p.pending).kv("warned", p.warned).end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

namespace {

std::vector<Column> group_columns(const std::string& first) {
  return {{first, CellKind::kText, 0},
          {"Tên", CellKind::kText, 0},
          {"Đối tượng", CellKind::kText, 0},
          {"Số trường", CellKind::kInteger, 0},
          {"Trường không gửi dữ liệu", CellKind::kInteger, 0},
          {"Số hồ sơ", CellKind::kInteger, 0},
          {"Có số định danh", CellKind::kInteger, 0},
          {"Tỷ lệ có số định danh", CellKind::kPercent, 0},
          {"Số định danh đúng định dạng", CellKind::kPercent, 0},
          {"Đã xác thực với CSDLQGvDC", CellKind::kInteger, 0},
          {"Tỷ lệ đã xác thực", CellKind::kPercent, 0},
          {"Sai lệch khi xác thực", CellKind::kInteger, 0},
          {"Chưa xác thực", CellKind::kInteger, 0},
          {"Hồ sơ có xung đột giữa các nguồn", CellKind::kInteger, 0},
          {"Mục chờ duyệt", CellKind::kInteger, 0},
          {"Thay đổi trong kỳ", CellKind::kInteger, 0},
          {"Cập nhật muộn", CellKind::kInteger, 0},
          {"Tỷ lệ cập nhật đúng hạn", CellKind::kPercent, 0},
          {"Độ trễ lớn nhất (ngày)", CellKind::kDecimal, 0}};
}

void group_rows(Table& t, const GroupMeasures& g) {
  for (int e = 0; e < 2; ++e) {
    const EntityMeasures& m = e == 0 ? g.students : g.staff;
    t.rows.push_back({g.code.empty() ? Cell{g.unit} : Cell{g.code}, g.name, std::string(e == 0 ? "Học sinh" : "Cán bộ, giáo viên"),
                      double(g.schools), double(g.silent_schools), double(m.records), double(m.pid_present),
                      share(m.pid_present, m.records), share(m.pid_well_formed, m.records), double(m.pid_verified),
                      share(m.pid_verified, m.records), double(m.pid_mismatch), double(m.pid_not_checked),
                      double(m.with_conflicts), double(m.review_open), double(m.changes), double(m.late),
                      m.changes ? share(m.changes - m.late, m.changes) : 1.0, m.max_lag_days});
  }
}

}  // namespace

std::vector<Table> to_tables(const QualityReport& r) {
  std::vector<Table> out;
  Table summary{"Tổng hợp", group_columns("Đơn vị"), {}};
  group_rows(summary, r.total);
  out.push_back(std::move(summary));
  if (!r.children.empty()) {
    const std::string first = r.children_kind == "province" ? "Mã tỉnh" : r.children_kind == "commune" ? "Mã xã" : "Mã trường";
    const std::string name = r.children_kind == "province" ? "Theo tỉnh" : r.children_kind == "commune" ? "Theo phường, xã" : "Theo trường";
    Table t{name, group_columns(first), {}};
    for (const auto& c : r.children) group_rows(t, c);
    out.push_back(std::move(t));
  }
  Table fields{"Đầy đủ thông tin", {{"Đối tượng", CellKind::kText, 0}, {"Trường thông tin", CellKind::kText, 0},
                                    {"Số hồ sơ thiếu", CellKind::kInteger, 0}, {"Tỷ lệ đầy đủ", CellKind::kPercent, 0}}, {}};
  for (int e = 0; e < 2; ++e) {
    const EntityMeasures& m = e == 0 ? r.total.students : r.total.staff;
    for (const auto& f : e == 0 ? r.student_fields : r.staff_fields) {
      auto it = m.missing.find(f);
      long long missing = it == m.missing.end() ? 0 : it->second;
      fields.rows.push_back({std::string(e == 0 ? "Học sinh" : "Cán bộ, giáo viên"), f, double(missing),
                             share(m.records - missing, m.records)});
    }
  }
  out.push_back(std::move(fields));
  Table silent{"Trường chưa gửi dữ liệu", {{"Mã trường", CellKind::kText, 0}, {"Tên trường", CellKind::kText, 0},
                                           {"Mã xã", CellKind::kText, 0}, {"Lần thay đổi gần nhất", CellKind::kDate, 0},
                                           {"Số ngày", CellKind::kInteger, 0}}, {}};
  for (const auto& s : r.silent)
    silent.rows.push_back({s.code, s.name, s.commune, s.last_change ? Cell{*s.last_change} : Cell{},
                           s.days >= 0 ? Cell{double(s.days)} : Cell{std::string("chưa từng")}});
  out.push_back(std::move(silent));
  Table partners{"Hồ sơ bị từ chối", {{"Đơn vị gửi", CellKind::kText, 0}, {"Mã lỗi", CellKind::kText, 0},
                                      {"Bị từ chối", CellKind::kInteger, 0}, {"Đang chờ", CellKind::kInteger, 0},
                                      {"Cảnh báo", CellKind::kInteger, 0}}, {}};
  for (const auto& p : r.partners)
    partners.rows.push_back({p.partner, p.code.empty() ? std::string("(tổng)") : p.code, double(p.rejected),
                             double(p.pending), double(p.warned)});
  out.push_back(std::move(partners));
  return out;
}

Result<Drilldown> drilldown(pqxx::work& tx, const mapping::Snapshot& snap, const DrilldownParams& p,
                            const std::vector<std::string>& caller_units) {
  if (p.entity != "student" && p.entity != "staff")
    return make_error("quality.entity", "entity must be student or staff", "entity");
  std::string cond;
  std::string field;
  const std::string& m = p.measure;
  if (m == "pid_absent") cond = "f.pid = 'absent'";
  else if (m == "pid_malformed") cond = "f.pid = 'malformed'";
  else if (m == "pid_not_verified") cond = "(f.pid = 'absent' or f.pid_status <> 'verified')";
  else if (m == "pid_mismatch") cond = "f.pid <> 'absent' and f.pid_status = 'mismatch'";
  else if (m == "pid_not_checked") cond = "f.pid <> 'absent' and f.pid_status = 'not_checked'";
  else if (m == "late")
    cond = "f.changed_at >= p.window_from and f.changed_at < p.as_of + 1 and f.lag_days > p.late_days";
  else if (m == "review")
    cond = "exists (select 1 from review_item ri where ri.status = 'open' and f.record_id in (ri.record_id, ri.candidate_id))";
  else if (m.rfind("missing:", 0) == 0 || m.rfind("conflict:", 0) == 0) {
    field = m.substr(m.find(':') + 1);
    const auto fields = m[0] == 'm' ? checked_fields(snap, p.entity) : kConflictFields;
    if (std::find(fields.begin(), fields.end(), field) == fields.end())
      return make_error("quality.measure", "'" + field + "' is not a " +
                                               (m[0] == 'm' ? "required or expected field of " + p.entity
                                                            : std::string("field compared between sources")),
                        "measure");
    cond = std::string(m[0] == 'm' ? "p.field = any(f.missing)" : "p.field = any(f.conflicts)");
  } else {
    return make_error("quality.measure",
                      "measure '" + m + "' is not one of pid_absent, pid_malformed, pid_not_verified, pid_mismatch, "
                      "pid_not_checked, late, review, missing:<field>, conflict:<field>",
                      "measure");
  }
  refresh_facts(tx, snap);
  std::vector<std::string> ids;
  std::map<std::string, std::string> codes;
  for (const auto& s : load_schools(tx))
    if (in_unit(p.unit, s) && (p.level.empty() || s.level == p.level) && school_visible(caller_units, s)) {
      ids.push_back(s.id);
      codes[s.id] = s.code;
    }
  // Every parameter is named once in `p`, typed, whichever measure uses it: PostgreSQL refuses a
  // statement with a parameter it cannot type (an unused one).
  const std::string params = "with p as (select $3::date as window_from, $4::date as as_of,"
                             " $5::int as late_days, $6::text as field) ";
  const std::string where = " from quality_fact f join golden_record g on g.id = f.record_id cross join p"
                            " where f.entity = $2 and f.school_id = any($1::uuid[]) and " + counted(p.as_of.iso()) +
                            " and " + cond;
  const std::string window_from = Date::from_days(p.as_of.days_since_epoch() - p.window_days + 1).iso();
  Drilldown d;
  d.total = tx.exec_params1(params + "select count(*)" + where, pg_array(ids), p.entity, window_from, p.as_of.iso(),
                            p.freshness_days, field)[0]
                .as<long long>();
  for (const auto& r : tx.exec_params(
           params + "select f.record_id::text, f.school_id::text, coalesce(g.data->>'full_name', ''),"
           " coalesce(g.data->>'birth_date', ''), coalesce(g.data->>'personal_id', ''), f.pid_status,"
           " coalesce(g.data->>'" + std::string(p.entity == "student" ? "moet_student_code" : "moet_staff_code") + "', ''),"
           " array_to_string(f.missing, ' ') || case when cardinality(f.conflicts) > 0 then ' | '"
           "   || array_to_string(f.conflicts, ' ') else '' end"
           + where + " order by 2, 3, 1 limit $7 offset $8",
           pg_array(ids), p.entity, window_from, p.as_of.iso(), p.freshness_days, field, p.limit, p.offset)) {
    DrilldownRow row;
    row.id = r[0].c_str();
    row.school_code = codes[r[1].c_str()];
    row.full_name = r[2].c_str();
    row.birth_date = r[3].c_str();
    std::string pid = r[4].c_str();
    row.personal_id = p.show_personal_ids || pid.empty() ? pid : validate::mask_personal_id(pid);
    row.pid_status = r[5].c_str();
    row.moet_code = r[6].c_str();
    row.detail = r[7].c_str();
    d.rows.push_back(std::move(row));
  }
  return d;
}

std::string to_json(const Drilldown& d, const DrilldownParams& p) {
  json::JsonWriter w;
  w.begin_object().kv("unit", p.unit.text()).kv("entity", p.entity).kv("measure", p.measure)
      .kv("as_of", p.as_of.iso()).kv("total", d.total).kv("offset", p.offset).kv("limit", p.limit)
      .kv("personal_ids", p.show_personal_ids ? "clear" : "masked");
  w.key("next_offset");
  if (p.offset + static_cast<long long>(d.rows.size()) < d.total) w.value(p.offset + static_cast<long long>(d.rows.size()));
  else w.null();
  w.key("records").begin_array();
  for (const auto& r : d.rows)
    w.begin_object().kv("id", r.id).kv("school", r.school_code).kv("full_name", r.full_name)
        .kv("birth_date", r.birth_date).kv("personal_id", r.personal_id).kv("personal_id_status", r.pid_status)
        .kv("moet_code", r.moet_code).kv("missing_and_conflicts", r.detail).end_object();
  w.end_array().end_object();
  return w.str();
}

Table to_table(const Drilldown& d) {
  Table t{"Danh sách", {{"Mã hồ sơ", CellKind::kText, 38}, {"Mã trường", CellKind::kText, 0},
                        {"Họ và tên", CellKind::kText, 0}, {"Ngày sinh", CellKind::kDate, 0},
                        {"Số định danh", CellKind::kText, 0}, {"Trạng thái xác thực", CellKind::kText, 0},
                        {"Mã CSDL ngành", CellKind::kText, 0}, {"Thiếu / xung đột", CellKind::kText, 0}}, {}};
  for (const auto& r : d.rows)
    t.rows.push_back({r.id, r.school_code, r.full_name, r.birth_date, r.personal_id, r.pid_status, r.moet_code, r.detail});
  return t;
}

}  // namespace hub::reports
