#pragma once
// Rollover: the end of a school year for every enrollment of the golden store. plan() decides,
// for each enrollment of the old year in force on the cut-off, whether the student is promoted
// (a new enrollment in the next grade of the same school), repeats the grade (a new enrollment
// in the same grade), graduates (the last grade of the school level: the enrollment is closed
// as graduated) or is left alone (not enrolled any more, preschool, or undecided), and stores
// that plan without touching any record. apply() recomputes the plan inside one transaction,
// refuses if it no longer matches the stored one (the data changed after the review), and
// writes the changes through the GoldenStore as one batch of the reserved partner "rollover":
// versions, lineage, change log, plus an audit row. Applying twice changes nothing: an applied
// plan is not applied again, and a new plan finds every enrollment already rolled over.
// Thread-safe (no state besides its references); concurrent applies are serialised by a
// PostgreSQL advisory lock.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/common/date.h"
#include "hub/common/result.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/store/pg_pool.h"

namespace hub {

// The reserved partner whose batches hold the rollover's changes (lineage, /v1/batches).
inline constexpr const char* kRolloverPartner = "rollover";

struct RolloverYears {
  std::string from_year;  // "2025-2026"
  std::string to_year;    // "2026-2027"
  Date closes_on;         // valid_to of the old enrollments (default 31 May of the old year's end)
  Date opens_on;          // valid_from of the new enrollments (default 5 September)
};

// Checks the years (consecutive "YYYY-YYYY") and dates ("" = the default). Errors have code
// rollover.bad_argument and say what is wrong.
Result<RolloverYears> rollover_years(const std::string& from_year, const std::string& to_year,
                                     const std::string& closes_on, const std::string& opens_on);

struct RolloverItem {
  std::string enrollment_id;
  int enrollment_version = 0;
  std::string student_id, school_id, school_code;
  std::string from_grade;
  std::string outcome;  // promoted | repeating | graduated | undecided | not_rolled
  std::string reason;   // why, in a few words (never a personal value)
  std::string to_grade;      // set when a new enrollment is opened
  std::string close_status;  // set for graduates: TOT_NGHIEP, or HOAN_THANH_CT after grade 5
  bool closes = false;       // the old enrollment gets valid_to = closes_on (and close_status)
  bool opens = false;        // a new enrollment is created for the new year
  std::string new_enrollment_id;  // after apply
};

struct RolloverPlan {
  long long id = 0;
  RolloverYears years;
  std::string status;  // planned | applied
  std::vector<RolloverItem> items;  // in enrollment id order
  std::map<std::string, long long> counts;  // per outcome, plus to_close, to_open, already_done
  std::string fingerprint;  // hex
};

struct RolloverApplied {
  long long plan_id = 0;
  bool already_applied = false;  // the plan had been applied before: nothing done now
  long long batch_id = 0;        // 0 when there was nothing to change
  long long closed = 0, opened = 0;
};

class Rollover {
 public:
  Rollover(PgPool& pg, const mapping::Snapshot& snapshot) : pg_(pg), snapshot_(snapshot) {}

  // Computes the plan, stores it (rollover_plan, rollover_plan_item, an audit row) and returns
  // it. Changes no golden record.
  RolloverPlan plan(const RolloverYears& years, const std::string& actor, const std::string& host);

  // Applies a stored plan. Errors: rollover.unknown_plan, rollover.wrong_years (the plan is for
  // other years), rollover.stale_plan (the data changed since the plan: make a new one).
  Result<RolloverApplied> apply(long long plan_id, const std::string& from_year, const std::string& to_year,
                                const std::string& actor, const std::string& host);

  // A stored plan with its items (for showing it again); nullopt when there is none.
  std::optional<RolloverPlan> load(long long plan_id);

 private:
  PgPool& pg_;
  const mapping::Snapshot& snapshot_;
};

}  // namespace hub
