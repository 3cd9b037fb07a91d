#pragma once
// ReviewQueue: the people's side of entity resolution. Lists and shows the match review items
// the resolver raised (a new record that may be an existing one), takes decisions on them, and
// merges or unmerges golden records. "match" merges the new record into the candidate;
// "not a match" is remembered (match_exclusion) so the pair is never proposed again. A merge
// keeps the merged id resolvable (merged_into: the records API redirects to the survivor),
// moves its source links and natural keys to the survivor, and emits change events; an unmerge
// restores both records with their own source links. Used by the admin API and by
// `hubctl review` / `hubctl merge`. The decisions are taken here; the golden rows they change
// (golden_record, record_version, source_link, natural_key), their change events and audit rows
// are written through hub/store (golden_rows.h, change_log.h, audit_log.h) in the decision's
// transaction. The review queue's own rows (review_item, record_merge, match_exclusion) and the
// resolver's (match_profile, match_block) stay here. Thread-safe (state is in PostgreSQL).

#include <functional>
#include <string>

#include "hub/common/result.h"
#include "hub/resolve/matching_rules.h"
#include "hub/store/pg_pool.h"

namespace hub::resolve {

class ReviewQueue {
 public:
  ReviewQueue(PgPool& pg, const RuleSet& rules) : pg_(pg), rules_(rules) {}

  // {"items": [...], "next_after": id|null}; status "open" | "resolved" | "" (all).
  std::string list_json(const std::string& status, long long after_id, int limit);
  // One item with both records' current values (personal IDs masked). "review.not_found".
  Result<std::string> show_json(long long id);
  // decision "match" | "not_a_match". Errors: review.not_found, review.decided (already
  // resolved), review.not_a_match_item (a mapping review), review.bad_decision, merge.*.
  Result<std::string> decide(long long id, const std::string& decision, const std::string& actor);

  // A review item of kind "mapping" raised for a split commune is decided by naming the new
  // commune. That re-runs the write path, which lives in ingest (a folder resolve may not use),
  // so the hub and hubctl plug it in here (hub/ingest/commune_decision.h). Unset:
  // review.bad_decision.
  using CommuneDecider =
      std::function<Result<std::string>(long long id, const std::string& commune, const std::string& actor)>;
  void set_commune_decider(CommuneDecider decider) { commune_decider_ = std::move(decider); }
  Result<std::string> decide_commune(long long id, const std::string& commune, const std::string& actor);
  // A split's or dissolved school's review item (kind school_event) is decided by naming the
  // school the student goes to, or "left"; the write path again, plugged in like the commune
  // decider (SchoolEvents::decide_item). Unset: review.bad_decision.
  using SchoolDecider = CommuneDecider;
  void set_school_decider(SchoolDecider decider) { school_decider_ = std::move(decider); }
  Result<std::string> decide_school(long long id, const std::string& choice, const std::string& actor);

  // Merges `merged_id` into `survivor_id` (same entity, neither merged). Errors: merge.not_found,
  // merge.entity, merge.already_merged, merge.same_record.
  Result<std::string> merge(const std::string& survivor_id, const std::string& merged_id, const std::string& actor);
  // Undoes the merge of `merged_id`. Errors: merge.not_merged.
  Result<std::string> unmerge(const std::string& merged_id, const std::string& actor);

 private:
  PgPool& pg_;
  const RuleSet& rules_;
  CommuneDecider commune_decider_;
  SchoolDecider school_decider_;
};

}  // namespace hub::resolve
