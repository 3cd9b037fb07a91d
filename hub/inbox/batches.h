#pragma once
// The inbox's batches: a push stored whole (inbox_batch) before any of it is processed, its
// Idempotency-Key claimed in inbox_idempotency (unique across the inbox's monthly partitions,
// migration 0028), the claim of a batch by a worker (its lease), the lease fence that lets only
// the lease holder record progress, and how an attempt ends (finished, failed, handed back). Free
// functions over the caller's transaction; ingest decides when to call them. No state,
// thread-safe.

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
// replay of that one. The row goes in by one binary COPY that sends the body from the caller's
// memory a slice at a time (hub/store/copy_binary.h): a statement parameter would be copied whole
// twice more, by pqxx and into libpq's send buffer (docs/benchmarks.md, large documents).
// A failure leaves neither the batch nor its key claimed (the caller's transaction aborts).
long long store(pqxx::work& tx, const NewBatch& batch);

// The stored body of `body_bytes` (Held::body_bytes), read a slice at a time: one bytea result
// of a 32 MB body is 64 MB of hex text, unescaped into a second and copied into a third buffer;
// in slices, memory holds the body and a few MB besides (docs/benchmarks.md, large documents).
// Empty when the body was purged (retention).
std::string read_body(pqxx::work& tx, long long batch_id, std::size_t body_bytes);

// Fencing: only the lease holder may write. Counts `written` more records done, extends the
// lease and remembers the mapping version of the first chunk. False when `worker` no longer
// holds the lease: the caller must roll back.
bool fence(pqxx::work& tx, long long batch_id, const std::string& worker, int written, int lease_seconds,
           const std::string& mapping_version);

// The batch `worker` holds the lease of, as its processing starts: empty when another worker
// holds it now (or nobody: the lease was taken back).
struct Held {
  long long partner_id = 0;
  std::string partner_name, feed, content_type;
  std::vector<std::string> units;  // the partner's units; empty: every unit
  int next_index = 0;              // records done so far (in any order: done_indexes says which)
  std::size_t body_bytes = 0;      // the stored body's size, before it is read (read_body)
};
std::optional<Held> held_by(pqxx::work& tx, long long batch_id, const std::string& worker);

// The indexes of the batch's records that have their result row (batch_record): a resumed batch
// redoes the others, and only those, so every record ends exactly once.
std::vector<int> done_indexes(pqxx::work& tx, long long batch_id);

// Fair claiming: `worker` takes, for `lease_seconds`, the oldest claimable batch (received, or
// processing with its lease run out, and not waiting for its retry_at) of the partner claimed
// least recently (partners never claimed first), so one partner's queue does not hold up
// another's. The partners are ranked first without locking anything (each an index probe,
// migration 0012); then the first of them whose batch no other worker is claiming at this
// moment (SKIP LOCKED) gets it, and its turn (ingest_turn) is taken. Empty: nothing to claim.
std::optional<long long> claim_next(pqxx::work& tx, const std::string& worker, int lease_seconds);

// Ends the batch (status done or failed, `error_json` null or a JSON object) if `worker` still
// holds its lease: the lease is released, the counts of its results per status are stored, and
// the mapping version is kept unless one is stored already (null: none known). A worker that
// lost the lease changes nothing.
void finish(pqxx::work& tx, long long batch_id, const std::string& worker, const std::string& status,
            const char* error_json, const char* mapping_version);

// `worker` hands the batch back (shutting down): its lease ends now, so the next claim takes it.
void hand_back(pqxx::work& tx, long long batch_id, const std::string& worker);

// True when the batch has ended (done or failed) with at most `max_records` records: a replay of
// its push is answered with every result, as a synchronous push is.
bool finished_within(pqxx::work& tx, long long batch_id, int max_records);

// A failed attempt of a batch, as record_attempt reads it: the batch row locked, so two reports
// of the same attempt count once. Empty when `worker` no longer holds the lease.
struct Attempts {
  int attempts = 0;      // attempts that ended in an error so far
  int record_count = 0;
};
std::optional<Attempts> lock_attempts(pqxx::work& tx, long long batch_id, const std::string& worker);

// The records of the batch without a result: up to 100 ranges of consecutive indexes
// ([[lo, hi], ...], JSON) and their count, for the error of a batch that ends failed.
struct NotProcessed {
  std::string ranges_json;
  long long count = 0;
};
NotProcessed not_processed(pqxx::work& tx, long long batch_id, int record_count);

// Records an attempt that ended in `error_json` (`attempts` counted so far) and releases the
// lease of `worker`: `failed` ends the batch failed; otherwise it is received again, claimable
// after `retry_seconds`. The counts of its results per status are stored either way.
void record_attempt(pqxx::work& tx, long long batch_id, const std::string& worker, int attempts,
                    const std::string& error_json, bool failed, double retry_seconds);

// A batch's page (GET /v1/batches/{id}): its status, counts and error, and its results from
// record `offset` on, at most `limit`, as JSON; "" when there is no such batch (or it is not
// `partner_id`'s; -1: any partner's). The counts and the results are two statements: the
// caller's transaction must be repeatable read (its first statement), or a pending record
// released between them shows as accepted in the results and still pending in the counts.
std::string batch_page(pqxx::work& tx, long long batch_id, long long partner_id, int offset, int limit);

// The latest `limit` batches of `partner_id` (-1: every partner), of one status ("" any), as
// JSON {"batches": [...]}, newest first.
std::string batch_list(pqxx::work& tx, long long partner_id, int limit, const std::string& status);

}  // namespace hub::inbox
