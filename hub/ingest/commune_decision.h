#pragma once
// CommuneDecision: a person decides a review item raised for a split commune
// (catalog.crosswalk_partial: the vendor sent a pre-2025 commune code that went to several new
// communes) by naming the new commune. The code must be one of the crosswalk's new communes for
// that old code. The vendor record is then read again from the batch's raw payload, mapped with
// the mappings loaded now, given the chosen commune in place of the split one, and written
// through the normal write path (GoldenStore::apply, with the partner's own context and unit
// scope), so it ends accepted, merged, unchanged or rejected like any other record; its
// batch_record row is replaced by the new outcome. The choice is kept in the field's lineage
// (decided_by, review_item) and in an audit row naming the person.
//
// A review item of kind unit_recode (a stored value `hubctl units recode` found split) is decided
// the same way, by writing the chosen commune into the stored record (units_recode.h).
//
// It lives in ingest because it re-runs the write path; the review queue (resolve) reaches it
// through ReviewQueue::set_commune_decider. Thread-safe (state is in PostgreSQL).

#include <string>

#include "hub/common/config.h"
#include "hub/common/result.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/model/record.h"
#include "hub/resolve/identity_resolver.h"
#include "hub/store/pg_pool.h"

namespace hub {

// Puts `commune` into `result` where its split-commune issues left the field empty, and drops
// those issues. Errors: review.not_a_commune_item (the record has no split commune, or several
// with different old codes), review.commune_not_allowed (the code is not one of the new communes
// of the old code; the message lists them). Exposed for the unit test.
Status choose_commune(model::RecordResult& result, const catalog::CatalogSet& catalogs, const std::string& commune);

class CommuneDecision {
 public:
  CommuneDecision(PgPool& pg, mapping::MappingRegistry& mappings, resolve::IdentityResolver& resolver,
                  const Config& config)
      : pg_(pg), mappings_(mappings), resolver_(resolver), config_(config) {}

  // {"id", "decision": "commune", "commune", "batch_id", "index", "status", "entities"}.
  // Errors: review.not_found, review.decided, review.not_a_commune_item, review.commune_not_allowed,
  // review.bad_decision (not a commune code), review.stale, review.payload_purged (retention emptied the
  // batch's payload: the vendor must send the record again), ingest.unknown_feed.
  Result<std::string> decide(long long review_id, const std::string& commune, const std::string& actor);

 private:
  PgPool& pg_;
  mapping::MappingRegistry& mappings_;
  resolve::IdentityResolver& resolver_;
  const Config& config_;
};

}  // namespace hub
