#pragma once
// School lifecycle events: open, rename, recode, merge (n -> 1), split (1 -> n), change of level
// or type, dissolve, each with an effective date and the decision that ordered it. Like the
// rollover (rollover.h) an event is first a stored plan listing every record it will change;
// apply() recomputes it in one transaction, refuses when the data changed since (stale) or when
// it was applied before, and writes the changes as dated versions, never rewrites:
// - the school: a new version from the effective date (rename, recode, level, type, open), or
//   its last version ending the day before (merge, split, dissolve: valid_to);
// - a merge: the absorbed schools' enrollments in force on the effective date (of that school
//   year) end the day before and continue in the successor from that date, with their classes;
//   the old codes answer for the successor from then on (school_code_crosswalk);
// - a split: one review item per enrollment asking which successor the student goes to,
//   decided in bulk per class (decide_class);
// - a dissolve: the open enrollments are flagged for review.
// Class and enrollment changes go through the GoldenStore as a batch of the reserved partner
// "school-events" (lineage, natural keys, change log), the school versions through
// write_school_version below; everything, with the change log, in the apply's transaction.
// undo() writes new versions that restore what the event changed, within the same school year.
// Thread-safe (no state besides its references); applies are serialised by an advisory lock.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hub/common/date.h"
#include "hub/common/result.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/mapping/mapping.h"
#include "hub/mapping/schema.h"
#include "hub/store/pg_pool.h"

namespace hub {

inline constexpr const char* kSchoolEventsPartner = "school-events";

// What an operator asks for. Schools are named by their code.
struct SchoolEventSpec {
  std::string kind;  // open | rename | recode | merge | split | change_level | change_type | dissolve
  std::string effective_on;  // YYYY-MM-DD
  std::string decision_number;
  std::vector<std::string> schools;     // the schools the event is about (merge: the absorbed ones)
  std::vector<std::string> successors;  // merge: one; split: two or more
  std::map<std::string, std::string> changes;  // rename: name; recode: school_code; change_level:
                                               // school_level; change_type: school_type
};

struct SchoolEventItem {
  int seq = 0;
  std::string entity, record_id;
  int record_version = 0;
  std::string action;     // school_version | move | move_class | review | conflict
  std::string target_id;  // successor school of a move
  std::string detail;     // JSON object
  std::string label;      // for people: school code, class name, grade (never a personal value)
  std::string new_record_id;
  long long review_item_id = 0;
};

struct SchoolEventPlan {
  long long id = 0;
  std::string kind, status;  // planned | applied | undone
  Date effective_on;
  std::string decision_number;
  std::vector<std::string> predecessors, successors;  // school ids
  std::string changes;                                // JSON object
  std::vector<SchoolEventItem> items;
  std::map<std::string, long long> counts;  // per action
  std::string fingerprint;
};

struct SchoolEventApplied {
  long long plan_id = 0, event_id = 0, batch_id = 0;
  long long school_versions = 0, moved = 0, classes = 0, reviews = 0;
};

struct ClassDecision {
  long long plan_id = 0, batch_id = 0;
  long long moved = 0;
};

// The school year ("2025-2026") a date belongs to: from 1 September to 31 August.
std::string school_year_of(Date d);

class SchoolEvents {
 public:
  SchoolEvents(PgPool& pg, const mapping::Snapshot& snapshot) : pg_(&pg), snapshot_(snapshot) {}
  // For the calls in the caller's transaction only (plan, apply and applied_before with `tx`).
  explicit SchoolEvents(const mapping::Snapshot& snapshot) : pg_(nullptr), snapshot_(snapshot) {}

  // Checks the spec against the store, computes and stores the plan (an audit row too); changes
  // no golden record. Errors: school.bad_event (what is wrong), school.unknown (a code nobody
  // holds).
  Result<SchoolEventPlan> plan(const SchoolEventSpec& spec, const std::string& actor, const std::string& host);
  // Errors: school.unknown_plan, school.already_applied (applied or undone before: nothing
  // done), school.stale_plan (the records changed since the plan).
  Result<SchoolEventApplied> apply(long long plan_id, const std::string& actor, const std::string& host);
  // The same in the caller's transaction (the ops partner's feed: a chunk of events commits
  // with its batch results). apply(tx, ...) may have written part of the event when it returns
  // an error: the caller rolls back to a savepoint taken before it.
  Result<SchoolEventPlan> plan(pqxx::work& tx, const SchoolEventSpec& spec, const std::string& actor,
                               const std::string& host);
  Result<SchoolEventApplied> apply(pqxx::work& tx, long long plan_id, const std::string& actor, const std::string& host);
  // The event applied before and not undone that is the same as `spec`: same kind, effective
  // date, decision number and schools (by code, old codes included, in any order). Only
  // plan_id and event_id are set. A resent feed record is answered with it.
  std::optional<SchoolEventApplied> applied_before(pqxx::work& tx, const SchoolEventSpec& spec);
  // Errors: school.unknown_plan, school.not_applied, school.undo_too_late (the school year of
  // the effective date is over), school.stale_plan (a record the event wrote changed since).
  Result<SchoolEventApplied> undo(long long plan_id, const std::string& actor, const std::string& host);
  // A split's students of one class (its id, or its name in the split school) go to one
  // successor: their enrollments end the day before the effective date and continue there.
  // Errors: school.unknown_plan, school.not_a_split, school.bad_event (not a successor, no such
  // class, nothing left to decide for it).
  Result<ClassDecision> decide_class(long long plan_id, const std::string& class_ref, const std::string& successor_code,
                                     const std::string& actor, const std::string& host);
  // One school_event review item (a split's or a dissolved school's enrollment), decided by a
  // person: `choice` is the code of the school the student goes to (a split: one of its
  // successors; a dissolve: any school open on the effective date) or "left" (left the system:
  // the enrollment ends the day before the effective date with status CHUYEN_DI). Errors:
  // school.unknown_item (no open school_event item of that id), school.unknown (no school holds
  // the code), school.bad_event (not a successor, the school is closed on the effective date).
  Result<ClassDecision> decide_item(long long review_item_id, const std::string& choice, const std::string& actor,
                                    const std::string& host);
  std::optional<SchoolEventPlan> load(long long plan_id);

 private:
  PgPool* pg_;
  const mapping::Snapshot& snapshot_;
};

// The plan as the CLI (--json, --out) and the admin API show it: its counts and every item.
std::string school_event_plan_json(const SchoolEventPlan& p);

// The write path's hook (GoldenStore, find_reference_targets): a school code a mapped record
// names that the crosswalk says was superseded on or before today (merge, recode; not undone)
// is replaced by the code of the school that answers for it now, and the vendor record gets
// the warning school.code_superseded, once per old code. The record is stored for the
// successor, never for a new school. Read only, so dry runs answer the same way.
void redirect_superseded_school_codes(pqxx::transaction_base& tx, std::vector<mapping::RecordResult>& results,
                                      const schema::SchemaSet& schemas);

// The warning a record gets when it named a superseded code (school.code_superseded).
mapping::FieldIssue code_superseded_issue(const std::string& entity, const std::string& field,
                                          const std::string& old_code, const std::string& new_code,
                                          const std::string& path);

}  // namespace hub
