#pragma once
// GoldenStore: applies mapped vendor records to the golden store, one chunk per transaction,
// with set-based statements (one per table) so a chunk of a thousand records costs a handful of
// round trips. Within the chunk it resolves references (to records of the same vendor record,
// or to existing records by natural key, e.g. a school code), asks the IdentityResolver which
// records they are, checks the partner's unit scope on what the records name and on the stored
// records they would change (unit_policy.h), skips unchanged content, merges fields with
// lineage, writes versions and the change log. Thread-safe (no state besides its references);
// concurrent chunks that collide raise ChunkConflict and are retried by the caller.

#include <pqxx/pqxx>

#include <stdexcept>
#include <string>
#include <vector>

#include "hub/mapping/mapping_registry.h"
#include "hub/model/ids.h"
#include "hub/model/outcome.h"
#include "hub/resolve/identity_resolver.h"

namespace hub {

// What the resolver compares a canonical record with besides its own fields: the other records
// of the same vendor record (a student's school is in its enrollment). The store's resolve()
// and the ingest's claim() both use it, so the keys claimed are the keys resolved.
resolve::Candidate resolver_candidate(const mapping::RecordResult& vendor, const mapping::MappedRecord& rec);

// Another transaction created or changed the same records meanwhile: roll back and retry.
struct ChunkConflict : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ChunkContext {
  long long partner_id = 0;
  std::string partner_name;
  std::vector<std::string> units;  // the partner's unit scope; empty = unrestricted
  long long batch_id = 0;
  std::string mapping_version;
  const mapping::Snapshot* snapshot = nullptr;
  // What the resolver holds for this chunk attempt (locks); null: apply makes its own, released
  // when apply returns (callers that commit later pass theirs, released after the commit).
  resolve::ChunkScope* scope = nullptr;
  // A record parked for unknown references is rejected (ref.unknown) after this long.
  double pending_ttl_days = 30;
};

class GoldenStore {
 public:
  explicit GoldenStore(resolve::IdentityResolver& resolver) : resolver_(resolver) {}

  // Writes the chunk's store changes and its batch_record rows in `tx`. `results` are the
  // mapping results of consecutive vendor records; their documents are rewritten in place
  // (references replaced by record ids). A reference is {"$ref": local name}, a natural key
  // value (a school code), or {"$id": record id} from the hub's own writers (rollover).
  // A mapped vendor record whose only fault is a natural-key reference to a record nobody has
  // sent yet ends `pending`: nothing of it is stored, it is parked (pending_store.h) and
  // replayed through apply when what it waits for arrives.
  std::vector<RecordOutcome> apply(pqxx::work& tx, const ChunkContext& ctx,
                                   std::vector<mapping::RecordResult>& results);

 private:
  resolve::IdentityResolver& resolver_;
};

}  // namespace hub
