#pragma once
// OutboxWorker: pushes each consumer's changes (config/publication.yaml, `push`) to its sink.
// The outbox is the change log itself: nothing is copied at write time. Per consumer, one
// thread reads the changes after the consumer's durable cursor (table sync_consumer) in seq
// order, applies the consumer's profile, sends a batch, and only then moves the cursor, fenced
// on its old value (so `hubctl sync replay` meanwhile wins). A crash between send and commit
// re-sends that batch with the same idempotency key: changes may arrive twice, never be skipped.
// Failed sends are retried with exponential backoff and jitter; after max_attempts (or at once
// when the receiver refuses for good) the batch goes to sync_dead_letter and delivery goes on.
//
// Several hub processes may run workers: a session advisory lock per consumer, held on the
// worker's own connection, lets one deliver at a time; when that process dies its connection
// closes, the lock goes, and another takes over. Thread-safe: start() and stop() from one thread.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "connectors/sink.h"
#include "hub/common/config.h"
#include "hub/mapping/schema.h"
#include "hub/sync/publication.h"

namespace hub::sync {

// Wait before retry `attempt` (1-based): min(max, initial * 2^(attempt-1)) times a factor in
// [0.5, 1) drawn from `rng`, so that many senders do not retry in step.
long long backoff_ms(int attempt, int initial_ms, int max_ms, std::mt19937_64& rng);

class OutboxWorker {
 public:
  OutboxWorker(const Config& config, std::shared_ptr<const Publication> publication,
               std::shared_ptr<const schema::SchemaSet> schemas);
  ~OutboxWorker();

  // One thread per consumer whose push is enabled and whose sink could be made; consumers whose
  // sink options are wrong are logged and skipped. Returns how many threads started.
  int start();
  void stop();

 private:
  struct Consumer {
    const ConsumerProfile* profile;
    std::unique_ptr<connectors::Sink> sink;
    std::vector<std::string> entities;
  };
  void run(Consumer& c);
  // Sleeps up to `ms`, waking early on stop(); false when stopping.
  bool pause_for(long long ms);

  const Config& config_;
  std::shared_ptr<const Publication> publication_;
  std::shared_ptr<const schema::SchemaSet> schemas_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace hub::sync
