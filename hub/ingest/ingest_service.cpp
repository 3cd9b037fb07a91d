#include "hub/ingest/ingest_service.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <optional>

#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/common/log.h"
#include "hub/common/redis.h"
#include "hub/common/scopes.h"
#include "hub/mapping/messages.h"
#include "hub/inbox/batches.h"
#include "hub/store/pg_error.h"
#include "hub/inbox/payload.h"
#include "hub/common/memory.h"
#include "hub/ingest/school_events_feed.h"

namespace hub {
namespace {

constexpr int kChunkAttempts = 5;

// A connection that read back a body larger than this is closed afterwards (PgPool::After).
constexpr std::size_t kLargeBody = 4u << 20;
PgPool::After after_body(std::size_t bytes) {
  return bytes > kLargeBody ? PgPool::After::kClose : PgPool::After::kKeep;
}

struct LeaseLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What the resolver's claim() reads of each mapped vendor record: its canonical records, as
// the store will hand them to resolve().
std::vector<std::vector<resolve::Candidate>> claim_records(const std::vector<mapping::RecordResult>& results) {
  std::vector<std::vector<resolve::Candidate>> out(results.size());
  for (std::size_t v = 0; v < results.size(); ++v) {
    if (results[v].status != mapping::RecordStatus::kMapped) continue;
    for (const auto& rec : results[v].records) out[v].push_back(resolver_candidate(results[v], rec));
  }
  return out;
}

std::string make_worker_id() {
  char host[128] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + crypto::to_hex(crypto::random_bytes(3));
}

// Fencing (inbox::fence): a worker whose lease expired must not commit its chunk.
void fence(pqxx::work& tx, long long batch_id, const std::string& worker, int written, int lease_seconds,
           const std::string& mapping_version) {
  if (!inbox::fence(tx, batch_id, worker, written, lease_seconds, mapping_version)) throw LeaseLost("lease lost");
}

// The wait before the attempt after attempt `attempts` (1, 2 ...): doubled each time, at most an hour.
double backoff_seconds(int base_ms, int attempts) {
  double s = base_ms / 1000.0;
  for (int i = 1; i < attempts && s < 3600; ++i) s *= 2;
  return std::min(s, 3600.0);
}

}  // namespace

struct IngestService::Parsed {
  const mapping::Mapping* mapping = nullptr;
  const Payload* payload = nullptr;
};

struct IngestService::Batch {
  long long id = 0;
  const mapping::Mapping* mapping = nullptr;
  const Payload* payload = nullptr;
  ChunkContext ctx;
};

IngestService::IngestService(PgPool& pg, mapping::MappingRegistry& mappings,
                             resolve::IdentityResolver& resolver, const Config& config)
    : pg_(pg), mappings_(mappings), resolver_(resolver), store_(resolver), config_(config),
      worker_id_(make_worker_id()) {}

IngestService::~IngestService() { stop_workers(); }

IngestReply IngestService::submit(const IngestCaller& caller, const std::string& feed,
                                  const std::string& body, const std::string& content_type,
                                  const std::string& idempotency_key, const std::string& request_id) {
  auto refuse = [](std::string code, std::string message, std::string path = {}) {
    IngestReply r;
    r.refusal = Refusal{make_error(std::move(code), std::move(message), std::move(path)), false, {}};
    return r;
  };
  auto snapshot = mappings_.current();
  auto m = snapshot->find(caller.partner_name, feed);
  if (!m)
    return refuse("ingest.unknown_feed",
         "partner '" + caller.partner_name + "' has no feed '" + feed + "' (no mapping file mappings/partners/" +
             caller.partner_name + "/" + feed + ".yaml is loaded)",
         "feed");
  for (const auto& entity : m->entities())
    if (!has_scope(caller.scopes, "ingest:" + entity))
      return refuse("auth.scope",
           "feed '" + feed + "' writes " + entity + " records; partner '" + caller.partner_name +
               "' lacks the scope 'ingest:" + entity + "'");
  if (body.empty()) return refuse("request.empty_body", "the body is empty; send the vendor document");
  if (idempotency_key.size() > 255)
    return refuse("request.idempotency_key", "the Idempotency-Key is longer than 255 characters",
         "Idempotency-Key");
  // Keys are compared byte for byte and stored as text: visible ASCII only, so a key never
  // fails to store (PostgreSQL refuses invalid UTF-8) nor differs from its copy by invisible bytes.
  for (unsigned char c : idempotency_key)
    if (c < 0x21 || c > 0x7e)
      return refuse("request.idempotency_key",
           "the Idempotency-Key may hold visible ASCII characters only (letters, digits, punctuation)",
           "Idempotency-Key");

  // Identity cannot be resolved safely without the resolver's locks: refuse before storing,
  // so the partner retries later and nothing half-resolved exists.
  if (auto ready = resolver_.ready(); !ready)
    return refuse(ready.error().code, ready.error().message + "; nothing was stored, retry later");

  std::string hash = crypto::sha256(body);
  bool key_conflict = false;  // the Idempotency-Key was used with another body
  // A retried push is answered before anything else, whatever its body holds.
  auto prior_batch = [&]() -> std::optional<long long> {
    if (idempotency_key.empty()) return std::nullopt;
    auto prior = pg_.with_transaction(
        [&](pqxx::work& tx) { return inbox::find_by_key(tx, caller.partner_id, idempotency_key, hash); });
    if (!prior) return std::nullopt;
    if (!prior->same_body) {
      key_conflict = true;
      return std::nullopt;
    }
    return prior->id;
  };
  auto conflict = [&] {
    return refuse("idempotency.conflict",
                  "this Idempotency-Key was used with a different body; use a new key for new data",
                  "Idempotency-Key");
  };
  std::optional<long long> replay_of = prior_batch();
  if (key_conflict) return conflict();

  std::optional<Payload> parsed_body;
  Payload& payload = parsed_body.emplace();
  if (!replay_of)
    if (auto parsed = parse_payload(body, content_type, *m, config_.json.max_depth, payload); !parsed) {
      IngestReply r;
      r.refusal = Refusal{parsed.error(), true, {}};
      return r;
    }
  if (!replay_of && payload.records.empty())
    return refuse("ingest.no_records", no_records_message(*m, content_type), "$");
  if (!replay_of && payload.records.size() > static_cast<std::size_t>(config_.ingest.max_records))
    return refuse("ingest.too_many_records",
         "the push holds " + std::to_string(payload.records.size()) + " records, more than the " +
             std::to_string(config_.ingest.max_records) + " one push may hold (ingest.max_records); split it",
         "$");
  const int record_count = static_cast<int>(payload.records.size());
  bool sync = record_count <= config_.ingest.sync_max_records;
  // A queued push is parsed again by the worker, from the inbox: its document (two to three
  // times the body) is not kept while the body is stored.
  if (!sync) parsed_body.reset();

  // The payload is stored (and committed) before any processing, with its idempotency key.
  long long batch_id = 0;
  if (!replay_of) {
    const inbox::NewBatch stored{caller.partner_id, feed,
                                 is_ndjson(content_type) ? "application/x-ndjson" : "application/json",
                                 body, hash, idempotency_key, request_id, sync ? worker_id_ : std::string(),
                                 record_count, config_.ingest.lease_seconds};
    // The body goes to PostgreSQL in slices from the request's own memory (inbox::store): the
    // connection's send buffer stays near one slice, so the connection is kept.
    batch_id = pg_.with_transaction([&](pqxx::work& tx) { return inbox::store(tx, stored); });
    // A queued push's document is freed by now.
    if (!sync && body.size() > kLargeBody) memory::release_freed();
  }
  // The same key raced in from a concurrent request: that one wins, this is its replay.
  if (!replay_of && batch_id == 0) replay_of = prior_batch();
  if (key_conflict) return conflict();

  IngestReply reply;
  if (replay_of) {
    reply.replayed = true;
    batch_id = *replay_of;
    sync = false;
    // The answer the first push got, or would have got had it reached the partner: a finished
    // batch small enough for a synchronous answer with every result, else where to follow it.
    sync = pg_.with_transaction(
        [&](pqxx::work& tx) { return inbox::finished_within(tx, batch_id, config_.ingest.sync_max_records); });
  } else if (sync) {
    // Stored, so not lost: if it does not finish now, a worker finishes it. Tell the partner where.
    Parsed parsed{&*m, &payload};
    sync = run(batch_id, &parsed);
  }
  reply.location = "/v1/batches/" + std::to_string(batch_id);
  try {
    if (sync) {
      reply.status = 200;
      reply.body = batch_json(batch_id, caller.partner_id, 0, config_.ingest.sync_max_records);
    } else {
      reply.status = 202;
      reply.body = batch_json(batch_id, caller.partner_id, 0, 0);
    }
  } catch (const std::exception& e) {
    // The push is stored and will be processed whatever becomes of this answer: a bare 503
    // would read as "not accepted". Say which batch it is and how to get its answer.
    log::warn("batch stored but its answer not read", {{"batch", std::to_string(batch_id)},
                                                       {"error", safe_error_text(e)}});
    IngestReply r = refuse("dependency.postgres",
                           "the push is stored as batch " + std::to_string(batch_id) +
                               ", but its answer could not be read from the database; send the same push again with"
                               " the same Idempotency-Key to get it, or follow " + reply.location);
    r.refusal->location = reply.location;
    return r;
  }
  return reply;
}

bool IngestService::run(long long batch_id, const Parsed* parsed) {
  try {
    return process(batch_id, parsed);
  } catch (const std::exception& e) {
    if (describe_db_error(e).kind == DbErrorKind::kConnection) {
      // Nothing can be written now; the lease runs out and the batch is claimed again then.
      log::warn("batch left for a worker: PostgreSQL unreachable",
                {{"batch", std::to_string(batch_id)}, {"error", safe_error_text(e)}});
      return false;
    }
    try {
      return record_failure(batch_id, e);
    } catch (const std::exception& again) {
      log::warn("batch attempt not recorded; the lease runs out and it is tried again",
                {{"batch", std::to_string(batch_id)}, {"error", safe_error_text(again)}});
      return false;
    }
  }
}

bool IngestService::process(long long batch_id, const Parsed* parsed) {
  std::string body;
  auto held = pg_.with_transaction([&](pqxx::work& tx) { return inbox::held_by(tx, batch_id, worker_id_); });
  if (!held) return false;
  // The body is read back only when it was not parsed in this request (it is stored and
  // committed already; reading and parsing 1 MB again was 14% of the hub's work per batch).
  if (!parsed)
    body = pg_.with_transaction([&](pqxx::work& tx) { return inbox::read_body(tx, batch_id, held->body_bytes); },
                                after_body(held->body_bytes));
  const std::string& partner_name = held->partner_name;
  const std::string& feed = held->feed;

  auto snapshot = mappings_.current();  // this batch finishes with the mappings it started with
  auto m = snapshot->find(partner_name, feed);
  auto finish = [&](const std::string& status, const std::string& error_json) {
    pg_.with_transaction([&](pqxx::work& tx) {
      inbox::finish(tx, batch_id, worker_id_, status, error_json.empty() ? nullptr : error_json.c_str(),
                    m ? m->version().c_str() : nullptr);
    });
    return true;
  };
  if (!m) {
    json::JsonWriter e;
    e.begin_object().kv("code", "ingest.unknown_feed").kv("message", "the mapping of feed '" + feed +
                                                                          "' is no longer loaded").end_object();
    return finish("failed", e.str());
  }
  Payload own;
  const Payload* payload_ptr = &own;
  if (parsed && parsed->mapping == &*m) {
    payload_ptr = parsed->payload;  // the same body, selected by the same mapping
  } else {
    if (parsed) {
      // The mappings were reloaded since submit parsed the body: read it back and use the new ones.
      body = pg_.with_transaction([&](pqxx::work& tx) { return inbox::read_body(tx, batch_id, held->body_bytes); },
                                  after_body(held->body_bytes));
    }
    if (auto parsed = parse_payload(body, held->content_type, *m, config_.json.max_depth, own); !parsed) {
      json::JsonWriter err;
      err.begin_object().kv("code", parsed.error().code).kv("message", parsed.error().message).end_object();
      return finish("failed", err.str());
    }
    std::string().swap(body);  // the document holds its own copy of every value
    if (held->body_bytes > kLargeBody) memory::release_freed();
  }
  Batch b{batch_id, &*m, payload_ptr,
          ChunkContext{held->partner_id, partner_name, held->units, batch_id, m->version(), snapshot.get(), nullptr,
                       config_.ingest.pending_ttl_days}};
  const int total = static_cast<int>(b.payload->records.size());
  const std::size_t chunk = static_cast<std::size_t>(config_.ingest.chunk_records);
  // The records not yet done, in vendor order. Chunks may finish records out of order (below),
  // so a resumed batch asks which ones have their result row.
  std::vector<int> pending;
  {
    std::vector<bool> done(total, false);
    if (held->next_index > 0)
      for (int i : pg_.with_transaction([&](pqxx::work& tx) { return inbox::done_indexes(tx, batch_id); }))
        if (i >= 0 && i < total) done[i] = true;
    for (int i = 0; i < total; ++i)
      if (!done[i]) pending.push_back(i);
  }
  // After PostgreSQL refused a chunk for the data of one of its rows, its records are written
  // one per transaction, so that only the record at fault is rejected.
  std::size_t one_by_one = 0;
  try {
    while (!pending.empty()) {
      if (stopping_ && parsed == nullptr) {
        // Shutting down: hand the rest of the batch to whichever process claims it next. A
        // synchronous push (parsed) is a request in flight: it is bounded and finishes here.
        pg_.with_transaction([&](pqxx::work& tx) { inbox::hand_back(tx, batch_id, worker_id_); });
        return false;
      }
      const std::size_t n = std::min(pending.size(), one_by_one > 0 ? std::size_t{1} : chunk);
      if (write_chunk(b, pending, n) == ChunkEnd::kSplit) {
        log::info("chunk refused by PostgreSQL; its records are written one by one",
                  {{"batch", std::to_string(batch_id)}, {"records", std::to_string(n)}});
        one_by_one = n;
      } else if (one_by_one > 0) {
        --one_by_one;
      }
    }
  } catch (const LeaseLost&) {
    log::warn("batch lease lost; another process continues it", {{"batch", std::to_string(batch_id)}});
    return false;
  }
  return finish("done", "");
}

// Writes the first `n` pending records in one transaction (fewer when other chunks hold some of
// their locks: those stay pending), retrying conflicts with concurrent writers. kSplit: PostgreSQL
// refused the data of one of several records; nothing was written.
IngestService::ChunkEnd IngestService::write_chunk(Batch& b, std::vector<int>& pending, std::size_t n) {
  const auto& m = *b.mapping;
  for (int attempt = 1;; ++attempt) {
    std::vector<mapping::RecordResult> mapped;
    mapped.reserve(n);
    for (std::size_t k = 0; k < n; ++k) mapped.push_back(map_payload_record(m, b.payload->records[pending[k]], pending[k]));
    // The resolver's locks live until this attempt has committed or rolled back.
    auto scope = resolver_.begin_chunk();
    b.ctx.scope = scope.get();
    // Records whose locks another chunk holds wait for a later chunk rather than holding
    // this one up (two pushes nearly always share a key or two). If none can go, or on the
    // last attempt, the chunk waits for its locks in order instead: progress is certain.
    std::vector<bool> taken(n, true);
    if (attempt < kChunkAttempts) {
      taken = resolver_.claim(claim_records(mapped), *scope);
      if (std::find(taken.begin(), taken.end(), true) == taken.end()) {
        scope = resolver_.begin_chunk();
        b.ctx.scope = scope.get();
        taken.assign(n, true);
      }
    }
    std::vector<mapping::RecordResult> results;
    std::vector<int> written;
    for (std::size_t k = 0; k < n; ++k)
      if (taken[k]) {
        written.push_back(pending[k]);
        results.push_back(std::move(mapped[k]));
      }
    try {
      bool stored = false;
      pg_.with_transaction([&](pqxx::work& tx) {
        fence(tx, b.id, worker_id_, static_cast<int>(written.size()), config_.ingest.lease_seconds, m.version());
        // The ops partner's school events are ordered changes, not vendor records to match.
        auto outcomes = is_school_event_feed(m) ? apply_school_event_records(tx, b.ctx, results)
                                                : store_.apply(tx, b.ctx, results);
        for (const auto& o : outcomes)
          stored = stored || o.status == "accepted" || o.status == "merged" || o.status == "review";
      });
      b.ctx.scope = nullptr;
      if (stored && after_chunk_) after_chunk_();  // new natural keys may be what parked records wait for
      std::vector<int> rest;
      std::set_difference(pending.begin(), pending.end(), written.begin(), written.end(), std::back_inserter(rest));
      pending = std::move(rest);
      return ChunkEnd::kWritten;
    } catch (const ChunkConflict& e) {
      if (attempt >= kChunkAttempts) throw;
    } catch (const resolve::ResolveRetry& e) {
      // Locks not obtained in time, or a newer lock holder fenced this attempt off.
      log::info("chunk retried", {{"batch", std::to_string(b.id)}, {"reason", e.what()}});
      if (attempt >= kChunkAttempts) throw;
    } catch (const pqxx::failure& e) {
      // Deadlocks, serialization failures and unique violations between concurrent writers
      // are retried. A row PostgreSQL refuses fails the same way every time: the chunk is split
      // until that record is alone, and then it is rejected with the reason. Anything else
      // ends this attempt of the batch (record_failure).
      b.ctx.scope = nullptr;
      auto err = describe_db_error(e);
      if (err.kind == DbErrorKind::kRecord && written.size() > 1) return ChunkEnd::kSplit;
      if (err.kind == DbErrorKind::kRecord) {
        reject_refused(b, results.front(), err.sqlstate, err.message);
        pending.erase(std::find(pending.begin(), pending.end(), written.front()));
        return ChunkEnd::kWritten;
      }
      if (err.kind != DbErrorKind::kTransient || attempt >= kChunkAttempts) throw;
    }
    b.ctx.scope = nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
  }
}

// The record is stored as rejected (its own batch_record row, nothing else), so the partner
// reads why; the batch goes on.
void IngestService::reject_refused(Batch& b, const mapping::RecordResult& refused, const std::string& sqlstate,
                                   const std::string& message) {
  log::warn("record refused by PostgreSQL; rejected on its own",
            {{"batch", std::to_string(b.id)}, {"index", std::to_string(refused.index)}, {"sqlstate", sqlstate},
             {"error", message}});
  const mapping::FieldIssue issue{
      "record.store_refused", "", "", refused.path, "",
      "the database refused to store this record (SQLSTATE " + sqlstate + ": " + message +
          "); nothing of it was stored: correct it and send it again, or quote the batch id to the operators",
      mapping::vietnamese_message("record.store_refused"), false};
  std::string source_id = refused.source_id;
  for (int pass = 1;; ++pass) {
    try {
      pg_.with_transaction([&](pqxx::work& tx) {
        fence(tx, b.id, worker_id_, 1, config_.ingest.lease_seconds, b.mapping->version());
        std::vector<mapping::RecordResult> one(1);
        auto& r = one.front();
        r.index = refused.index;
        r.source_id = source_id;
        r.path = refused.path;
        r.status = mapping::RecordStatus::kRejected;
        r.issues.push_back(issue);
        store_.apply(tx, b.ctx, one);
      });
      return;
    } catch (const pqxx::failure& e) {
      // The vendor's own id may be what the database refuses: index and path name the record.
      if (pass > 1 || describe_db_error(e).kind != DbErrorKind::kRecord) throw;
      source_id.clear();
    }
  }
}

// An attempt of the batch ended in `e`: count it (a lost Redis connection is not counted: the
// batch only waits), release the lease and set when it is tried again; at ingest.max_attempts
// the batch ends failed, saying which records were not processed. True when it failed.
bool IngestService::record_failure(long long batch_id, const std::exception& e) {
  auto err = describe_db_error(e);
  std::string cause = safe_error_text(e);
  const bool counted = dynamic_cast<const RedisUnavailable*>(&e) == nullptr;
  const int max_attempts = config_.ingest.max_attempts;
  return pg_.with_transaction([&](pqxx::work& tx) {
    auto held = inbox::lock_attempts(tx, batch_id, worker_id_);
    if (!held) return false;  // another process holds it now
    const int attempts = held->attempts + (counted ? 1 : 0);
    const bool failed = attempts >= max_attempts;
    json::JsonWriter w;
    w.begin_object();
    if (failed) {
      w.kv("code", "ingest.batch_failed")
          .kv("message", "processing failed " + std::to_string(attempts) + " times (" + cause +
                             "); the records listed in not_processed were not processed and nothing of them was"
                             " stored: send them again, or ask the operators to retry the batch once the cause is"
                             " fixed")
          .kv("message_vi", mapping::vietnamese_message("ingest.batch_failed"));
    } else {
      w.kv("code", "ingest.attempt_failed")
          .kv("message", "processing failed (" + cause + "); attempt " + std::to_string(attempts) + " of " +
                             std::to_string(max_attempts) + ", tried again at retry_at")
          .kv("message_vi", mapping::vietnamese_message("ingest.attempt_failed"));
    }
    if (!err.sqlstate.empty()) w.kv("sqlstate", err.sqlstate);
    w.kv("attempts", attempts);
    if (failed) {
      // Up to 100 ranges of consecutive record indexes without a result, and their count.
      const auto gaps = inbox::not_processed(tx, batch_id, held->record_count);
      w.key("not_processed").raw(gaps.ranges_json);
      w.kv("not_processed_count", gaps.count);
    }
    w.end_object();
    inbox::record_attempt(tx, batch_id, worker_id_, attempts, w.str(), failed,
                          backoff_seconds(config_.ingest.retry_backoff_ms, std::max(attempts, 1)));
    if (failed)
      log::error("batch failed", {{"batch", std::to_string(batch_id)}, {"attempts", std::to_string(attempts)},
                                  {"error", cause}});
    else
      log::warn("batch attempt failed; tried again later",
                {{"batch", std::to_string(batch_id)}, {"attempts", std::to_string(attempts)}, {"error", cause}});
    return failed;
  });
}

bool IngestService::process_next() {
  // Fair claiming (inbox::claim_next): the oldest batch of the partner claimed least recently.
  auto id = pg_.with_transaction(
      [&](pqxx::work& tx) { return inbox::claim_next(tx, worker_id_, config_.ingest.lease_seconds); });
  if (!id) return false;
  log::info("batch claimed", {{"batch", std::to_string(*id)}, {"worker", worker_id_}});
  run(*id);
  return true;
}

void IngestService::start_workers(int count) {
  {
    std::lock_guard lock(workers_mutex_);
    workers_running_ += count;
  }
  for (int i = 0; i < count; ++i) {
    workers_.emplace_back([this] {
      struct Done {
        IngestService* s;
        ~Done() {
          std::lock_guard lock(s->workers_mutex_);
          --s->workers_running_;
          s->workers_cv_.notify_all();
        }
      } done{this};
      while (!stopping_) {
        bool worked = false;
        try {
          worked = process_next();
        } catch (const std::exception& e) {
          log::warn("ingest worker error", {{"error", safe_error_text(e)}});
          std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        if (!worked)
          for (int t = 0; t < 10 && !stopping_; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
}

bool IngestService::stop_workers(std::chrono::steady_clock::time_point deadline) {
  stopping_ = true;
  std::unique_lock lock(workers_mutex_);
  if (!workers_cv_.wait_until(lock, deadline, [this] { return workers_running_ == 0; })) return false;
  lock.unlock();
  stop_workers();
  return true;
}

void IngestService::stop_workers() {
  stopping_ = true;
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
}

std::string IngestService::batch_json(long long batch_id, long long partner_id, int offset, int limit) {
  return pg_.with_transaction([&](pqxx::work& tx) {
    // The counts and the results are two statements: one snapshot, or a pending record released
    // between them shows as accepted in the results and still pending in the counts.
    tx.exec("set transaction isolation level repeatable read, read only");
    return inbox::batch_page(tx, batch_id, partner_id, offset, limit);
  });
}

std::string IngestService::batches_json(long long partner_id, int limit, const std::string& status) {
  return pg_.with_transaction([&](pqxx::work& tx) { return inbox::batch_list(tx, partner_id, limit, status); });
}

}  // namespace hub
