#pragma once
// IngestService: takes a partner's push (a JSON document or NDJSON), stores it durably in the
// inbox before anything else, then maps and applies it chunk by chunk. Small pushes are
// processed in the request; large ones by background workers of any hub process. Each chunk's
// store changes, its per-record results and the batch's progress commit together, under a lease
// that fences off a process whose lease expired: after kill -9 at any moment the batch resumes
// where it stopped and every record ends exactly once. A record whose row PostgreSQL refuses
// is rejected on its own; a batch whose processing keeps ending in another error is retried
// with back-off and ends failed after ingest.max_attempts, with its error and the records it
// did not process. Workers claim batches partner by partner (the partner claimed least
// recently first), so no partner's queue holds up another's. Thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hub/common/config.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/resolve/identity_resolver.h"
#include "hub/ingest/golden_store.h"
#include "hub/store/pg_pool.h"

namespace hub {

struct IngestCaller {
  long long partner_id = 0;
  std::string partner_name;
  std::vector<std::string> scopes;
  std::vector<std::string> units;
};

// A push or dry run the hub refuses, nothing of it processed: the error's stable code (the HTTP
// edge maps codes to statuses, hub/http/problem.cpp), message and place. `of_body`: the body's
// text could not be read (a parse error, whose offset is kept). `location`: the stored batch
// the refusal concerns, if any.
struct Refusal {
  Error error;
  bool of_body = false;
  std::string location;
};

struct IngestReply {
  std::optional<Refusal> refusal;  // set: refused, the fields below are not
  int status = 200;  // 200 processed now, 202 queued
  std::string body;  // JSON
  std::string location;
  bool replayed = false;  // same Idempotency-Key and body as an earlier push
};

class IngestService {
 public:
  IngestService(PgPool& pg, mapping::MappingRegistry& mappings, resolve::IdentityResolver& resolver,
                const Config& config);
  ~IngestService();

  // Refusals come back as values (reply.refusal): ingest.unknown_feed, auth.scope, request.*
  // (the body or the Idempotency-Key), idempotency.conflict, ingest.no_records,
  // ingest.too_many_records, dependency.* (retry later).
  IngestReply submit(const IngestCaller& caller, const std::string& feed, const std::string& body,
                     const std::string& content_type, const std::string& idempotency_key,
                     const std::string& request_id);

  // Batch status and its results from `offset` (paged); partner_id < 0 = any partner (admin).
  // Empty when there is no such batch for that partner.
  std::string batch_json(long long batch_id, long long partner_id, int offset, int limit);
  // Newest first; `status` empty = any status.
  std::string batches_json(long long partner_id, int limit, const std::string& status = "");

  // Background processing of queued batches (and of batches whose process died).
  void start_workers(int count);
  // Stops claiming batches; a background batch finishes the chunk in progress and leaves the
  // rest to whichever process claims it next. Synchronous pushes in flight run to their end.
  void request_stop() { stopping_ = true; }
  // request_stop(), then waits for the workers until `deadline`; false when one is still inside
  // a chunk then (its transaction rolls back when the process exits: the chunk is redone).
  bool stop_workers(std::chrono::steady_clock::time_point deadline);
  void stop_workers();
  // Claims one pending batch and processes it; false when there was none. (Tests and workers.)
  bool process_next();

  const std::string& worker_id() const { return worker_id_; }
  // Called after each chunk that stored records (the pending release wakes on it). Set before
  // the workers start.
  void set_after_chunk(std::function<void()> fn) { after_chunk_ = std::move(fn); }

 private:
  struct Parsed;  // the body as submit parsed it (synchronous path), with the mapping used
  struct Batch;   // a batch being processed: its mapping, records and chunk context
  enum class ChunkEnd { kWritten, kSplit };
  // Processes the batch this process holds the lease of and accounts for an attempt that ends
  // in an error (record_failure). True when the batch is finished (done or failed).
  bool run(long long batch_id, const Parsed* parsed = nullptr);
  bool process(long long batch_id, const Parsed* parsed);
  ChunkEnd write_chunk(Batch& b, std::vector<int>& pending, std::size_t n);
  void reject_refused(Batch& b, const mapping::RecordResult& refused, const std::string& sqlstate,
                      const std::string& message);
  bool record_failure(long long batch_id, const std::exception& e);

  PgPool& pg_;
  mapping::MappingRegistry& mappings_;
  resolve::IdentityResolver& resolver_;
  GoldenStore store_;
  const Config& config_;
  std::string worker_id_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> workers_;
  std::mutex workers_mutex_;
  std::condition_variable workers_cv_;
  int workers_running_ = 0;
  std::function<void()> after_chunk_;
};

}  // namespace hub
