#pragma once
// WarehouseReceiver: a reference receiver for the hub's HTTP push connector, standing in for the
// city warehouse in tests and benchmarks. A real HTTP/1.1 server on 127.0.0.1 (plain sockets,
// keep-alive) that checks each batch's HMAC-SHA256 signature and timestamp, then stores it into
// its own PostgreSQL schema idempotently: a change is applied once however often it arrives
// (warehouse.change keyed by seq), and a record only moves forward (last_seq). It can be told to
// answer 5xx, to be slow, to drop connections before answering, or to commit and then drop the
// connection (the hub then re-sends what was already stored: a duplicate delivery).
//
// Also answers POST /control?mode=normal|5xx|slow|drop|drop_after_commit&ms=<delay>, for use
// outside the test process. Thread-safe: one thread per connection; batches are applied one at a
// time.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hub::test {

class WarehouseReceiver {
 public:
  enum class Mode { kNormal, kFail5xx, kSlow, kDrop, kDropAfterCommit };

  struct Counters {
    long long requests = 0;           // batch requests read, whatever became of them
    long long batches = 0;            // batches stored (first delivery)
    long long duplicate_batches = 0;  // same Idempotency-Key again
    long long changes = 0;            // changes applied
    long long duplicate_changes = 0;  // changes seen before, not applied again
    long long out_of_order = 0;       // new changes older than what the record already had
    long long bad_signatures = 0;
    long long refused = 0;            // answered 5xx or dropped on purpose
  };

  // `schema` is dropped and created afresh by start().
  WarehouseReceiver(std::string postgres_url, std::string secret, std::string schema = "warehouse");
  ~WarehouseReceiver();
  WarehouseReceiver(const WarehouseReceiver&) = delete;
  WarehouseReceiver& operator=(const WarehouseReceiver&) = delete;

  // port 0 = a free port. fresh = false keeps the schema as it is: a receiver process started
  // again after an outage (scripts/drill.sh receiver), not a new warehouse.
  void start(int port = 0, bool fresh = true);
  void stop();
  int port() const { return port_; }
  std::string url() const;  // where the hub POSTs: http://127.0.0.1:<port>/v1/hub-changes

  void set_mode(Mode mode, int delay_ms = 0);
  // Empties the store and the counters (while running), e.g. before a replay.
  void clear();
  Counters counters() const;
  const std::string& schema() const { return schema_; }

 private:
  void accept_loop();
  void serve(int fd);
  // Returns the HTTP status to answer; `committed` tells whether the batch is stored.
  int apply(const std::string& body, bool& committed);

  std::string postgres_url_, secret_, schema_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> mode_{0};
  std::atomic<int> delay_ms_{0};
  std::thread acceptor_;
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;
  std::mutex apply_mu_;
  mutable std::mutex counters_mu_;
  Counters counters_;
};

}  // namespace hub::test
