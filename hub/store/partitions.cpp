#include "hub/store/partitions.h"

#include <chrono>

#include "hub/common/json.h"
#include "hub/common/log.h"
#include "hub/store/audit_log.h"

namespace hub {
namespace {

constexpr auto kEnsureEvery = std::chrono::hours(24);
constexpr auto kRetryAfterFailure = std::chrono::hours(1);

// The first column of the one row of sql as text; empty when NULL.
template <class... Args>
std::string one_text(pqxx::work& tx, const std::string& sql, Args&&... args) {
  auto r = tx.exec_params1(sql, std::forward<Args>(args)...);
  return r[0].is_null() ? std::string() : std::string(r[0].c_str());
}

// Why the month [from, to) of `parent`, held by partition `name`, must stay; empty when nothing
// needs it any more.
std::string refusal_of(pqxx::work& tx, const MonthPartition& p, int retention_days) {
  const std::string part = tx.quote_name(p.name);
  if (p.parent == "change_log") {
    auto unread = one_text(tx,
        "select string_agg(c.name, ', ' order by c.name) from sync_consumer c"
        " where c.cursor < (select max(seq) from " + part + ")");
    if (!unread.empty()) return "holds changes not yet acknowledged by consumer(s) " + unread;
    auto last = one_text(tx,
        "select nullif(count(*), 0)::text from " + part + " c where not exists"
        " (select 1 from change_log n where n.record_id = c.record_id and n.seq > c.seq)");
    if (!last.empty()) return "holds the last change of " + last + " record(s) (as-of reports and snapshots read it)";
    return "";
  }
  if (p.parent == "record_version") {
    auto current = one_text(tx,
        "select nullif(count(*), 0)::text from " + part + " v join golden_record g"
        " on g.id = v.record_id and g.version = v.version");
    if (!current.empty()) return "holds the current version of " + current + " record(s)";
    return "";
  }
  // inbox_batch and batch_record: the batches received in the month.
  if (one_text(tx, "select ($1::date > (now() - make_interval(days => $2)) at time zone 'UTC')::text", p.to,
               retention_days) == "true")
    return "holds batches received within the raw-payload retention period (" + std::to_string(retention_days) +
           " days)";
  const std::string in_month =
      " received_at >= $1::date::timestamp at time zone 'UTC' and received_at < $2::date::timestamp at time zone 'UTC'";
  auto open = one_text(tx, "select nullif(count(*), 0)::text from inbox_batch where" + in_month +
                               " and status in ('received', 'processing')", p.from, p.to);
  if (!open.empty()) return "holds " + open + " unfinished batch(es)";
  auto parked = one_text(tx, "select nullif(count(*), 0)::text from pending_record where batch_id in"
                             " (select id from inbox_batch where" + in_month + ")", p.from, p.to);
  if (!parked.empty()) return "holds " + parked + " parked record(s) still waiting for a reference";
  return "";
}

}  // namespace

int ensure_partitions(pqxx::transaction_base& tx, int months_ahead) {
  // Creating a partition takes a strong lock on its parent: never wait long for it behind writers.
  tx.exec("set local lock_timeout = '10s'");
  return tx.exec_params1("select hub_ensure_partitions($1)", months_ahead)[0].as<int>();
}

std::string batch_received_at(pqxx::transaction_base& tx, long long batch_id) {
  return tx.exec_params1("select coalesce((select received_at from inbox_batch where id = $1), now())::text", batch_id)[0]
      .c_str();
}

bool PartitionKeeper::run_once() {
  try {
    int created = pg_.with_transaction([](pqxx::work& tx) { return ensure_partitions(tx); });
    if (created > 0) log::info("partitions created", {{"count", std::to_string(created)}});
    return true;
  } catch (const std::exception& e) {
    log::error("partitions not created; writes go to the default partition if this lasts",
               {{"error", e.what()}, {"months_ahead", std::to_string(kPartitionMonthsAhead)}});
    return false;
  }
}

void PartitionKeeper::start() {
  bool ok = run_once();
  thread_ = std::thread([this, ok]() mutable {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, ok ? std::chrono::duration_cast<std::chrono::seconds>(kEnsureEvery)
                            : std::chrono::duration_cast<std::chrono::seconds>(kRetryAfterFailure),
                   [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      ok = run_once();
      lock.lock();
    }
  });
}

void PartitionKeeper::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<MonthPartition> old_partitions(pqxx::work& tx, int older_than_months, int retention_days) {
  auto rows = tx.exec_params(
      "select c.relname, p.relname, to_char(m, 'YYYY-MM-DD'), to_char(m + interval '1 month', 'YYYY-MM-DD')"
      " from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent"
      " cross join lateral to_date(right(c.relname, 6), 'YYYYMM') m"
      " where p.relname in ('change_log', 'record_version', 'inbox_batch', 'batch_record')"
      "   and c.relname ~ '_p[0-9]{6}$'"
      "   and m + interval '1 month' <= date_trunc('month', now() at time zone 'UTC') - make_interval(months => $1)"
      " order by m, p.relname",
      older_than_months);
  std::vector<MonthPartition> out;
  for (const auto& r : rows) {
    MonthPartition p{r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), 0, ""};
    p.rows = tx.exec("select count(*) from " + tx.quote_name(p.name))[0][0].as<long long>();
    if (p.rows > 0) p.refusal = refusal_of(tx, p, retention_days);
    out.push_back(std::move(p));
  }
  return out;
}

void detach_partition(pqxx::work& tx, const MonthPartition& p, bool drop, const std::string& actor,
                      const std::string& source) {
  tx.exec("set local lock_timeout = '10s'");
  std::string last_seq;  // change_log: its last change, for sync.cursor_expired; else NULL
  if (p.parent == "change_log")
    if (auto r = tx.exec("select max(seq) from " + tx.quote_name(p.name)); !r[0][0].is_null()) last_seq = r[0][0].c_str();
  tx.exec("alter table " + tx.quote_name(p.parent) + " detach partition " + tx.quote_name(p.name));
  if (p.parent == "inbox_batch")
    tx.exec_params(
        "delete from inbox_idempotency where received_at >= $1::date::timestamp at time zone 'UTC'"
        " and received_at < $2::date::timestamp at time zone 'UTC'",
        p.from, p.to);
  tx.exec_params(
      "insert into detached_partition(name, parent, range_from, range_to, rows, last_seq, dropped_at)"
      " values ($1, $2, $3::date::timestamp at time zone 'UTC', $4::date::timestamp at time zone 'UTC', $5, $6,"
      " case when $7 then now() end)"
      " on conflict (name) do update set detached_at = now(), rows = excluded.rows, last_seq = excluded.last_seq,"
      " dropped_at = excluded.dropped_at",
      p.name, p.parent, p.from, p.to, p.rows, last_seq.empty() ? nullptr : last_seq.c_str(), drop);
  if (drop) tx.exec("drop table " + tx.quote_name(p.name));
  json::JsonWriter d;
  d.begin_object().kv("table", p.parent).kv("from", p.from).kv("to", p.to).kv("rows", p.rows).end_object();
  AuditLog::record(tx, actor, drop ? "partition.drop" : "partition.detach", p.name, source, d.str());
}

}  // namespace hub
