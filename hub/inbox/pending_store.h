#pragma once
// Pending records: the rows of vendor records parked because they name records the hub does not
// know yet (a school code before the school list; migration 0013, docs/operations.md "Pending
// records"). A parked record keeps its canonical records as mapped, before references were bound,
// so it can be replayed through GoldenStore::apply without the vendor resending it; its
// batch_record row says `pending` until it is released, superseded by a newer push of the same
// source record, or expires (`rejected`, ref.unknown). Free functions over the caller's
// transaction; no state, thread-safe.

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

#include "hub/model/outcome.h"

namespace hub::pending {

struct Parked {
  const model::RecordResult* result;
  const std::vector<WaitingRef>* waiting;
};

// The chunk whose records are parked or supersede parked ones.
struct ChunkOrigin {
  long long partner_id = 0;
  long long batch_id = 0;
  std::string mapping_version;
  double pending_ttl_days = 30;  // a parked record is rejected (ref.unknown) after this long
};

// Stores the parked vendor records of a chunk (their batch_record rows are the store's).
void park(pqxx::work& tx, const ChunkOrigin& ctx, const std::vector<Parked>& parked);

// A newer push of a source record settles it: an older parked version of it (same partner, feed
// and source id) ends `rejected` with record.superseded naming the newer batch, so two versions
// are never applied out of order. Rejected outcomes supersede nothing.
void supersede(pqxx::work& tx, const ChunkOrigin& ctx, const std::vector<RecordOutcome>& outcomes);

// Parked records whose references all exist now, in the order they were received.
std::vector<long long> ready(pqxx::work& tx, int limit);

// A parked record taken for its release: its pending rows and its batch_record row are deleted in
// `tx` (the replay writes the final row). Empty when another process took it first.
struct Entry {
  long long id = 0;
  long long batch_id = 0;
  long long partner_id = 0;
  std::string partner_name;
  std::vector<std::string> units;  // the partner's unit scope now
  std::string mapping_version;
  model::RecordResult result;  // status kMapped, records as mapped
};
std::optional<Entry> take(pqxx::work& tx, long long id);

// Parked records past their expiry end `rejected` with ref.unknown per missing reference.
// Returns how many.
int expire(pqxx::work& tx, int limit);

// inbox_batch.counts again from its batch_record rows.
void refresh_counts(pqxx::work& tx, long long batch_id);

// SQL: the waiting_for array (entity, key, value, field, path, masked) of batch_record row `b`.
extern const char* const kWaitingForSql;

}  // namespace hub::pending
