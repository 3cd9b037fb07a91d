#pragma once
// Quality and progress of the data, per province, commune, school and school level, for students
// and staff: completeness of the required and expected fields (mappings/schema/*.yaml), personal
// IDs present / well-formed / verified against the national population database, open review
// items, conflicts between sources, records rejected or pending per partner and error code, and
// freshness (source to hub, against the sector's 5-day rule; schools that sent nothing for N
// days). The definitions, and why each is counted the way it is: docs/reports.md.
//
// The numbers come from quality_fact (migration 0021), one narrow row per student and staff
// record, brought up to date from change_log before each report (refresh_facts): the write path
// does not know it exists. A report "as of" an earlier day is computed from record_version into
// a temporary table instead (slower: it reads every version).
//
// Who sees what: every function that answers takes the caller's units ("province:31",
// "commune:11383", "school:HP-THCS-0012"; empty = every unit) and never counts, lists or names a
// school outside them. The same check serves partners' tokens and, later, people's accounts.
//
// Functions run in the caller's transaction; they keep no state: thread-safe.

#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/common/date.h"
#include "hub/common/result.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/mapping/unit_history.h"
#include "hub/reports/export.h"

namespace hub::reports {

// What a report is about: everything, a province, a commune or a school ("province:31" ...).
struct UnitRef {
  enum class Kind { kAll, kProvince, kCommune, kSchool } kind = Kind::kAll;
  std::string code;
  std::string text() const;  // "province:31", "all"
};
// Error code "quality.unit" (400) for anything else.
Result<UnitRef> parse_unit(std::string_view text);

// One school as the reports place it.
struct SchoolInfo {
  std::string id, code, name, commune, province, level;
};

// True when the caller (its units; empty = all) may see `school`. The one unit check of the
// reports, for partners and people alike.
bool school_visible(const std::vector<std::string>& caller_units, const SchoolInfo& school);

// True when the caller may ask about `unit` as a whole: an unrestricted caller anything; a
// limited one only a unit inside one of its own (its province, one of its communes, a school of
// them). `schools` places a school code in its commune and province.
bool unit_within(const std::vector<std::string>& caller_units, const UnitRef& unit,
                 const std::vector<SchoolInfo>& schools, const catalog::CatalogSet& catalogs);

struct QualityParams {
  UnitRef unit;
  std::string level;  // school_level code ("02"), "" = every level
  Date as_of;
  bool as_of_today = true;  // false: computed from record_version as recorded by the end of as_of
  int window_days = 30;
  int freshness_days = 5;
  int silent_days = 14;
  // The units of the breakdown (the communes one level down, the silent schools' communes): those
  // of as_of (the default) or today's, each school placed by its own commune over its versions
  // (hub/reports/placement.h). `unit` itself names a unit of today, like the caller's units.
  catalog::UnitsMode units_mode = catalog::UnitsMode::kAsOf;
};

// The measures of one entity (students or staff) in one unit.
struct EntityMeasures {
  long long records = 0;                   // in the unit on as_of (docs/reports.md: who counts)
  std::map<std::string, long long> missing;  // field -> records without a value
  long long pid_present = 0, pid_well_formed = 0, pid_malformed = 0;
  long long pid_verified = 0, pid_mismatch = 0, pid_not_checked = 0;  // of the present ones
  long long with_conflicts = 0;
  std::map<std::string, long long> conflicts;  // field -> records whose sources disagree
  long long review_open = 0;                 // open review items about these records
  long long changes = 0, late = 0;           // last changes in the window; over freshness_days
  double max_lag_days = 0;
  void add(const EntityMeasures& other);
};

struct GroupMeasures {
  std::string unit;  // "commune:11383"
  std::string code, name, level;
  long long schools = 0, silent_schools = 0;
  EntityMeasures students, staff;
};

struct SilentSchool {
  std::string code, name, commune;
  std::optional<std::string> last_change;  // ISO date of its last change, none = never
  long long days = -1;                      // since that change; -1 = never
};

struct PartnerOutcome {
  std::string partner, code;  // code "" on the row that totals the partner
  long long rejected = 0, pending = 0;
  long long warned = 0;  // accepted with a warning that asks the partner to change what it sends
};

struct QualityReport {
  QualityParams params;
  std::vector<std::string> student_fields, staff_fields;  // required + expected, schema order
  GroupMeasures total;
  std::vector<GroupMeasures> children;  // one level down: communes, schools, or school levels
  std::string children_kind;            // "province", "commune", "school" or "level"
  std::vector<SilentSchool> silent;
  std::vector<PartnerOutcome> partners;
  long long facts_refreshed = 0;  // records whose facts this report brought up to date
};

// Brings quality_fact up to date with change_log (and with the day, for enrollments that began
// or ended since). Takes a transaction-scoped advisory lock, so concurrent reports refresh once.
// Returns the number of records refreshed.
long long refresh_facts(pqxx::work& tx, const mapping::Snapshot& snap);
// Rebuilds quality_fact from scratch (hubctl quality rebuild; the benchmark).
long long rebuild_facts(pqxx::work& tx, const mapping::Snapshot& snap);

// Every school of the store, placed (the reports' unit tree).
std::vector<SchoolInfo> load_schools(pqxx::work& tx);

// The report. Errors: quality.unit (404-style: a unit that does not exist), quality.level.
// Refused units are the caller's problem to check first (unit_within).
Result<QualityReport> quality_report(pqxx::work& tx, const mapping::Snapshot& snap, const QualityParams& params,
                                     const std::vector<std::string>& caller_units);

std::string to_json(const QualityReport& report);
// One table per breakdown (summary, one level down, field completeness, silent schools,
// partners' rejections), Vietnamese headers.
std::vector<Table> to_tables(const QualityReport& report);

// Drill-down: the records behind one measure.
struct DrilldownParams {
  UnitRef unit;
  std::string level;
  std::string entity;   // student | staff
  std::string measure;  // pid_absent, pid_malformed, pid_not_verified, pid_mismatch,
                        // pid_not_checked, missing:<field>, conflict:<field>, late, review
  Date as_of;
  int freshness_days = 5;
  int window_days = 30;
  int limit = 100, offset = 0;
  bool show_personal_ids = false;  // admins only; everyone else sees them masked
};
struct DrilldownRow {
  std::string id, school_code, full_name, birth_date, personal_id, pid_status, moet_code, detail;
};
struct Drilldown {
  long long total = 0;
  std::vector<DrilldownRow> rows;
};
// Errors: quality.measure (an unknown measure or field), quality.entity.
Result<Drilldown> drilldown(pqxx::work& tx, const mapping::Snapshot& snap, const DrilldownParams& params,
                            const std::vector<std::string>& caller_units);
std::string to_json(const Drilldown& d, const DrilldownParams& params);
Table to_table(const Drilldown& d);

}  // namespace hub::reports
