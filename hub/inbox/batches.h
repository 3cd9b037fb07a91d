#pragma once
// The inbox's batches: a push stored whole (inbox_batch) before any of it is processed, its
// Idempotency-Key claimed in inbox_idempotency (unique across the inbox's monthly partitions,
// migration 0028), and the lease fence that lets only the lease holder record progress. Free
// functions over the caller's transaction; ingest decides when to call them. No state,
// thread-safe.

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <string_view>

namespace hub::inbox {

// A batch already stored under a partner's Idempotency-Key.
struct Prior {
  long long id = 0;
  bool same_body = false;  // false: the key was used with another body (idempotency.conflict)
};
std::optional<Prior> find_by_key(pqxx::work& tx, long long partner_id, const std::string& idempotency_key,
                                 const std::string& body_sha256);

// A push to store. `lease_owner` empty: queued for a worker (status `received`); else taken by
// that worker for `lease_seconds` (status `processing`), as a synchronous push is.
struct NewBatch {
  long long partner_id = 0;
  std::string feed, content_type;
  std::string_view body;  // the caller's (up to the 32 MB body limit): not copied
  std::string body_sha256, idempotency_key, request_id, lease_owner;
  int record_count = 0;
  int lease_seconds = 0;
};

// Stores the push, claiming its Idempotency-Key first. Returns the batch id, or 0 when a
// concurrent push holds the key (this call waited for it to commit): the caller answers as a
// replay of that one.
long long store(pqxx::work& tx, const NewBatch& batch);

// The stored body, read a slice at a time: one bytea result of a 32 MB body is 64 MB of hex
// text, unescaped into a second and copied into a third buffer; in slices, memory holds the
// body and a few MB besides (docs/benchmarks.md, large documents). Empty when the body was
// purged (retention).
std::string read_body(pqxx::work& tx, long long batch_id);

// Fencing: only the lease holder may write. Counts `written` more records done, extends the
// lease and remembers the mapping version of the first chunk. False when `worker` no longer
// holds the lease: the caller must roll back.
bool fence(pqxx::work& tx, long long batch_id, const std::string& worker, int written, int lease_seconds,
           const std::string& mapping_version);

}  // namespace hub::inbox
