#pragma once
// UnitsRecode: stored addresses and school locations (golden-record fields of type code in the
// commune catalog: student/staff/admission residence_commune, school commune) that still hold a
// pre-reform commune code are recoded through the 2025 crosswalk (admin_crosswalk), with the
// plan-then-apply pattern of the rollover (rollover.h):
// - plan() finds every such value, decides it (a commune that went whole into one new commune is
//   recoded to it; a split commune has several candidates and goes to a person) and stores the
//   plan without touching any record;
// - apply() recomputes the plan in one transaction, refuses if it changed (units.stale_plan),
//   writes each recode as a new version of the record (change event "update"; the field's
//   lineage keeps its source and names the crosswalk, the plan and who applied it) and opens a
//   review item of kind "unit_recode" per split value. Applying twice changes nothing.
// A split value is decided with the new commune's code (hubctl review decide <id> commune=<code>,
// or the API's {"decision": "commune"}), which writes it the same way (decide_split).
//
// A stored code counts as old only when it names no current commune: GSO reused old codes for
// new units (00004), and a code that is a current unit's is read as that unit.
// Thread-safe; concurrent applies are serialised by an advisory lock.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/common/result.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/store/pg_pool.h"

namespace hub {

struct UnitsRecodeItem {
  std::string record_id, entity, field;
  int record_version = 0;
  std::string old_code;
  std::string new_code;                 // set for a recode
  std::vector<std::string> candidates;  // a split: the new communes it went into
  long long review_item = 0;            // a split, after apply
};

struct UnitsRecodePlan {
  long long id = 0;
  std::string status;                // planned | applied
  std::vector<UnitsRecodeItem> items;  // by record id, field
  long long recodes = 0, splits = 0;
  std::string fingerprint;
};

struct UnitsRecodeApplied {
  long long plan_id = 0;
  bool already_applied = false;
  long long recoded = 0, reviews = 0;
};

class UnitsRecode {
 public:
  UnitsRecode(PgPool& pg, const mapping::Snapshot& snapshot) : pg_(pg), snapshot_(snapshot) {}

  // Computes and stores the plan (units_recode_plan, its items, an audit row). Changes no record.
  UnitsRecodePlan plan(const std::string& actor, const std::string& host);
  // Errors: units.unknown_plan, units.stale_plan.
  Result<UnitsRecodeApplied> apply(long long plan_id, const std::string& actor, const std::string& host);
  std::optional<UnitsRecodePlan> load(long long plan_id);

 private:
  PgPool& pg_;
  const mapping::Snapshot& snapshot_;
};

// Decides an open review item of kind unit_recode in `tx` (locked by the caller): writes
// `commune` into the record as a new version. Errors: review.commune_not_allowed (not one of the
// candidates), review.stale (the record's value changed since the plan).
Result<std::string> decide_unit_recode(pqxx::work& tx, long long review_id, const std::string& commune,
                                       const std::string& actor);

}  // namespace hub
