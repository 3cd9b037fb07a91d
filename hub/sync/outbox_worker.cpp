#include "hub/sync/outbox_worker.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <cmath>

#include "connectors/registry/registry.h"
#include "hub/common/log.h"
#include "hub/sync/change_feed.h"

namespace hub::sync {

long long backoff_ms(int attempt, int initial_ms, int max_ms, std::mt19937_64& rng) {
  double base = std::min<double>(max_ms, initial_ms * std::pow(2.0, std::max(0, attempt - 1)));
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::max<long long>(1, static_cast<long long>(base * jitter(rng)));
}

OutboxWorker::OutboxWorker(const Config& config, std::shared_ptr<const Publication> publication,
                           std::shared_ptr<const schema::SchemaSet> schemas)
    : config_(config), publication_(std::move(publication)), schemas_(std::move(schemas)) {}

OutboxWorker::~OutboxWorker() { stop(); }

int OutboxWorker::start() {
  for (const auto* profile : publication_->consumers()) {
    if (!profile->push || !profile->push->enabled) continue;
    auto sink = connectors::make_sink(profile->push->sink, profile->name, profile->push->options);
    if (!sink) {
      log::error("sync connector not started: bad sink settings",
                 {{"consumer", profile->name}, {"option", sink.error().path}, {"error", sink.error().message}});
      continue;
    }
    auto c = std::make_unique<Consumer>();
    c->profile = profile;
    c->sink = std::move(sink.value());
    for (const auto& [entity, _] : profile->entities) c->entities.push_back(entity);
    consumers_.push_back(std::move(c));
  }
  for (auto& c : consumers_) threads_.emplace_back([this, p = c.get()] { run(*p); });
  return static_cast<int>(threads_.size());
}

void OutboxWorker::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

bool OutboxWorker::pause_for(long long ms) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_.load(); });
  return !stopping_;
}

void OutboxWorker::run(Consumer& c) {
  const std::string& name = c.profile->name;
  const PushSettings& push = *c.profile->push;
  std::mt19937_64 rng(std::random_device{}());
  std::unique_ptr<pqxx::connection> conn;
  bool locked = false, said_waiting = false;
  while (!stopping_) {
    try {
      if (!conn) {
        conn = std::make_unique<pqxx::connection>(config_.postgres.url);
        locked = false;
      }
      if (!locked) {
        pqxx::nontransaction n(*conn);
        n.exec_params("insert into sync_consumer(name) values ($1) on conflict do nothing", name);
        locked = n.exec_params("select pg_try_advisory_lock(hashtext($1))", "hub.sync:" + name)[0][0].as<bool>();
        if (!locked) {
          if (!said_waiting) log::info("sync connector standing by: another hub process delivers", {{"consumer", name}});
          said_waiting = true;
          pause_for(std::max(1000, config_.sync.poll_ms * 4));
          continue;
        }
        log::info("sync connector delivering", {{"consumer", name}, {"sink", c.sink->describe()}});
      }

      long long cursor = 0;
      bool paused = false;
      int attempts = 0;
      std::vector<ChangeRow> rows;
      {
        pqxx::work tx(*conn);
        auto st = tx.exec_params("select cursor, paused, attempts from sync_consumer where name = $1", name);
        cursor = st[0][0].as<long long>();
        paused = st[0][1].as<bool>();
        attempts = st[0][2].as<int>();
        if (!paused) rows = read_changes(tx, c.entities, cursor, push.batch_changes);
        tx.commit();
      }
      if (paused || rows.empty()) {
        pause_for(config_.sync.poll_ms);
        continue;
      }

      connectors::Batch b;
      b.consumer = name;
      b.first_seq = rows.front().seq;
      b.last_seq = rows.back().seq;
      // Same batch, same key: a re-send after a crash is recognisable by the receiver.
      b.idempotency_key = name + ":" + std::to_string(b.first_seq) + "-" + std::to_string(b.last_seq);
      for (const auto& row : rows) {
        json::JsonWriter w;
        write_change(w, row, *publication_, *c.profile->entity(row.entity), *schemas_->find(row.entity));
        b.seqs.push_back(row.seq);
        b.changes.push_back(w.str());
      }

      auto res = c.sink->send(b);
      pqxx::work tx(*conn);
      if (res.outcome == connectors::SendOutcome::kDelivered) {
        tx.exec_params(
            "update sync_consumer set cursor = $3, attempts = 0, last_error = null, last_attempt_at = now(),"
            " last_success_at = now(), delivered = delivered + $4, updated_at = now() where name = $1 and cursor = $2",
            name, cursor, b.last_seq, static_cast<long long>(rows.size()));
        tx.commit();
        continue;  // more may be waiting: no pause while there is a backlog
      }
      ++attempts;
      bool dead = res.outcome == connectors::SendOutcome::kRejected || attempts >= push.max_attempts;
      if (dead) {
        auto moved = tx.exec_params(
            "update sync_consumer set cursor = $3, attempts = 0, last_error = $4, last_attempt_at = now(),"
            " updated_at = now() where name = $1 and cursor = $2",
            name, cursor, b.last_seq, res.error);
        if (moved.affected_rows() == 1)
          tx.exec_params(
              "insert into sync_dead_letter(consumer, first_seq, last_seq, changes, idempotency_key, attempts, last_error)"
              " values ($1, $2, $3, $4, $5, $6, $7)",
              name, b.first_seq, b.last_seq, static_cast<int>(rows.size()), b.idempotency_key, attempts, res.error);
        tx.commit();
        log::error("sync batch dead-lettered; delivery goes on after it",
                   {{"consumer", name}, {"first_seq", std::to_string(b.first_seq)},
                    {"last_seq", std::to_string(b.last_seq)}, {"attempts", std::to_string(attempts)},
                    {"error", res.error}});
        continue;
      }
      tx.exec_params(
          "update sync_consumer set attempts = $3, last_error = $4, last_attempt_at = now(), updated_at = now()"
          " where name = $1 and cursor = $2",
          name, cursor, attempts, res.error);
      tx.commit();
      long long wait = backoff_ms(attempts, push.backoff_initial_ms, push.backoff_max_ms, rng);
      log::warn("sync send failed; will retry",
                {{"consumer", name}, {"first_seq", std::to_string(b.first_seq)}, {"attempt", std::to_string(attempts)},
                 {"retry_in_ms", std::to_string(wait)}, {"error", res.error}});
      pause_for(wait);
    } catch (const std::exception& e) {
      // PostgreSQL gone or restarted: a new connection (and lock) on the next round.
      log::warn("sync connector lost PostgreSQL; retrying", {{"consumer", name}, {"error", e.what()}});
      conn.reset();
      locked = false;
      pause_for(1000);
    }
  }
}

}  // namespace hub::sync
