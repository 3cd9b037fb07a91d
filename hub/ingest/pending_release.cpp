#include "hub/ingest/pending_release.h"

#include <chrono>

#include "hub/common/log.h"
#include "hub/mapping/messages.h"
#include "hub/inbox/pending_store.h"
#include "hub/store/pg_error.h"

namespace hub {
namespace {

constexpr int kAttempts = 5;
constexpr int kReadyPerQuery = 200;
constexpr int kExpirePerPass = 1000;
// Serialises releases across hub processes, so records are released in the order received.
constexpr const char* kReleaseLock = "select pg_advisory_xact_lock(hashtext('hub.pending_release'))";

}  // namespace

PendingRelease::PendingRelease(PgPool& pg, mapping::MappingRegistry& mappings, resolve::IdentityResolver& resolver,
                               const Config& config)
    : pg_(pg), mappings_(mappings), resolver_(resolver), store_(resolver), config_(config) {}

PendingRelease::~PendingRelease() { stop(); }

int PendingRelease::run_once() {
  int settled = pg_.with_transaction([&](pqxx::work& tx) { return pending::expire(tx, kExpirePerPass); });
  if (settled > 0) log::info("pending records expired", {{"records", std::to_string(settled)}});
  // Released records may be what others wait for (a student an enrollment names): look again
  // until nothing more is ready.
  while (!stopping_) {
    auto ids = pg_.with_transaction([&](pqxx::work& tx) { return pending::ready(tx, kReadyPerQuery); });
    if (ids.empty()) break;
    for (long long id : ids) {
      if (stopping_ || !release(id)) return settled;
      ++settled;
    }
  }
  return settled;
}

bool PendingRelease::release(long long id) {
  auto snapshot = mappings_.current();
  for (int attempt = 1;; ++attempt) {
    // The resolver's locks live until the transaction has committed or rolled back.
    auto scope = resolver_.begin_chunk();
    std::string status, batch, index;
    try {
      pg_.with_transaction([&](pqxx::work& tx) {
        tx.exec(kReleaseLock);
        auto e = pending::take(tx, id);
        if (!e) return;  // released or settled by another process meanwhile
        ChunkContext ctx{e->partner_id, e->partner_name, e->units, e->batch_id, e->mapping_version,
                         snapshot.get(), scope.get(), config_.ingest.pending_ttl_days};
        std::vector<mapping::RecordResult> one;
        one.push_back(std::move(e->result));
        status = store_.apply(tx, ctx, one).front().status;
        pending::refresh_counts(tx, e->batch_id);
        batch = std::to_string(e->batch_id);
        index = std::to_string(one.front().index);
      });
      if (!status.empty())
        log::info("pending record released", {{"batch", batch}, {"index", index}, {"status", status}});
      return true;
    } catch (const ChunkConflict& e) {
      if (attempt >= kAttempts) break;
    } catch (const resolve::ResolveRetry& e) {
      if (attempt >= kAttempts) break;
    } catch (const pqxx::failure& e) {
      auto err = describe_db_error(e);
      if (err.kind == DbErrorKind::kRecord) {
        // PostgreSQL refuses its data: that fails the same way every time, so it ends rejected.
        pg_.with_transaction([&](pqxx::work& tx) {
          tx.exec(kReleaseLock);
          auto taken = pending::take(tx, id);
          if (!taken) return;
          ChunkContext ctx{taken->partner_id, taken->partner_name, taken->units, taken->batch_id,
                           taken->mapping_version, snapshot.get(), nullptr, config_.ingest.pending_ttl_days};
          std::vector<mapping::RecordResult> one(1);
          one.front().index = taken->result.index;
          one.front().path = taken->result.path;
          one.front().status = mapping::RecordStatus::kRejected;
          one.front().issues.push_back(
              {"record.store_refused", "", "", taken->result.path, "",
               "the database refused to store this record (SQLSTATE " + err.sqlstate + ": " + err.message +
                   "); nothing of it was stored: correct it and send it again, or quote the batch id to the operators",
               mapping::vietnamese_message("record.store_refused"), false});
          store_.apply(tx, ctx, one);
          pending::refresh_counts(tx, taken->batch_id);
        });
        return true;
      }
      if (err.kind != DbErrorKind::kTransient || attempt >= kAttempts) {
        log::warn("pending record not released; tried again later",
                  {{"pending", std::to_string(id)}, {"error", safe_error_text(e)}});
        return false;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
  }
  log::info("pending record waits for locks; tried again later", {{"pending", std::to_string(id)}});
  return false;
}

void PendingRelease::start() {
  thread_ = std::thread([this] {
    while (!stopping_) {
      try {
        run_once();
      } catch (const std::exception& e) {
        log::warn("pending release error", {{"error", safe_error_text(e)}});
      }
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(config_.ingest.pending_poll_ms),
                   [this] { return woken_ || stopping_; });
      woken_ = false;
    }
  });
}

void PendingRelease::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PendingRelease::wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

}  // namespace hub
