#pragma once
// Monthly partitions of change_log, record_version, inbox_batch and batch_record (migration 0028,
// docs/operations.md "Partitions"): the coming months are created ahead of the writes (at hub
// start and daily), and old months are detached or dropped by `hubctl partitions`, never while
// something still needs them.

#include <pqxx/pqxx>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hub/store/pg_pool.h"

namespace hub {

// How many months after the current one have their partitions ready: a hub that cannot create
// them (PostgreSQL down on the day) still writes into existing months for this long, and after
// that into the default partition, never failing a write for want of a partition.
inline constexpr int kPartitionMonthsAhead = 3;

// Creates the missing partitions of this month and the next months_ahead; returns how many.
int ensure_partitions(pqxx::transaction_base& tx, int months_ahead = kPartitionMonthsAhead);

// The received_at of a batch as text for COPY into batch_record (its partition key: a batch and
// its results share their month). A batch id with no inbox row (hub-internal writers in tests)
// gets the transaction's time.
std::string batch_received_at(pqxx::transaction_base& tx, long long batch_id);

// Runs ensure_partitions at start() and then every day until stop(); a failure is logged and
// tried again an hour later.
class PartitionKeeper {
 public:
  explicit PartitionKeeper(PgPool& pg) : pg_(pg) {}
  ~PartitionKeeper() { stop(); }
  PartitionKeeper(const PartitionKeeper&) = delete;
  PartitionKeeper& operator=(const PartitionKeeper&) = delete;

  // Creates what is missing now (so the hub never serves a month without its partition), then
  // starts the daily thread.
  void start();
  void stop();

 private:
  bool run_once();
  PgPool& pg_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// A month of one partitioned table, as `hubctl partitions` sees it.
struct MonthPartition {
  std::string name;    // e.g. change_log_p202601
  std::string parent;  // change_log | record_version | inbox_batch | batch_record
  std::string from;    // first day of the month, YYYY-MM-DD (UTC)
  std::string to;      // first day of the next month
  long long rows = 0;
  std::string refusal;  // why it must stay; empty: it may be detached
};

// The monthly partitions whose month ended at least older_than_months months before the current
// month began, oldest first, each with the reason it must stay, if any: changes a push consumer
// has not acknowledged (its cursor), the last change or the current version of a record (as-of
// reports and snapshots read them), batches not finished or with parked records, or batches
// received within retention_days (the raw-payload retention period).
std::vector<MonthPartition> old_partitions(pqxx::work& tx, int older_than_months, int retention_days);

// Detaches p (and drops it when drop) in tx, with lock_timeout so that a busy hub is not held up:
// the caller retries later. The Idempotency-Keys of a detached inbox month are forgotten with it.
// Records the action in detached_partition and the audit log (partition.detach, partition.drop).
void detach_partition(pqxx::work& tx, const MonthPartition& p, bool drop, const std::string& actor,
                      const std::string& source);

}  // namespace hub
