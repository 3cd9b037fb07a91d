// hubctl batch list [--status S] [--partner P] [--limit N]   (ingest batches, newest first)
// hubctl batch retry BATCH                                      (a failed batch, once its cause is fixed)
//
// A batch ends failed when its processing kept ending in an error (ingest.max_attempts); the
// records it did finish keep their results. Retrying puts it back in the queue with its
// attempts at zero: a worker of any running hub processes the records that have no result
// yet. The retry is in the audit log (batch.retry).

#include <iostream>
#include <memory>

#include "hub/common/json.h"
#include "hub/store/audit_log.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {

void add_batch_commands(CLI::App& app, CliContext& ctx) {
  auto* batch = app.add_subcommand("batch", "ingest batches: list them (failed ones first of all), retry a failed one");
  batch->require_subcommand(1);
  {
    struct Opts {
      std::string status, partner;
      int limit = 50;
    };
    auto o = std::make_shared<Opts>();
    auto* cmd = batch->add_subcommand("list", "batches, newest first, with their attempts and error");
    cmd->add_option("--status", o->status, "only batches in this state")
        ->check(CLI::IsMember({"received", "processing", "done", "failed"}));
    cmd->add_option("--partner", o->partner, "only this partner's batches");
    cmd->add_option("--limit", o->limit, "at most this many")->check(CLI::Range(1, 100000));
    cmd->callback([&ctx, o] {
      auto rows = ctx.pg().with_transaction([&](pqxx::work& tx) {
        return tx.exec_params(
            "select b.id, p.name, b.feed, b.status, coalesce(b.record_count, 0), b.next_index, b.attempts,"
            " to_char(b.received_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
            " coalesce(b.error->>'code', ''), coalesce(b.error->>'message', ''), coalesce(b.error::text, 'null')"
            " from inbox_batch b join partner p on p.id = b.partner_id"
            " where ($1 = '' or b.status = $1) and ($2 = '' or p.name = $2) order by b.id desc limit $3",
            o->status, o->partner, o->limit);
      });
      if (rows.empty()) {
        std::string what = o->status.empty() ? "batches" : o->status + " batches";
        print_none(ctx, o->partner.empty() ? what : what + " of partner '" + o->partner + "'");
        return;
      }
      if (!ctx.json_output)
        std::printf("%-8s %-20s %-14s %-10s %8s %9s %8s %-20s %s\n", "ID", "PARTNER", "FEED", "STATUS", "RECORDS",
                    "PROCESSED", "ATTEMPTS", "RECEIVED", "ERROR");
      for (const auto& r : rows) {
        if (ctx.json_output) {
          json::JsonWriter w;
          w.begin_object().kv("batch_id", r[0].as<long long>()).kv("partner", r[1].c_str()).kv("feed", r[2].c_str())
              .kv("status", r[3].c_str()).kv("record_count", r[4].as<int>()).kv("processed", r[5].as<int>())
              .kv("attempts", r[6].as<int>()).kv("received_at", r[7].c_str()).key("error").raw(r[10].c_str())
              .end_object();
          std::cout << w.str() << "\n";
        } else {
          std::string error = r[8].c_str();
          if (!error.empty()) error += ": " + std::string(r[9].c_str());
          std::printf("%-8s %-20s %-14s %-10s %8s %9s %8s %-20s %s\n", r[0].c_str(), r[1].c_str(), r[2].c_str(),
                      r[3].c_str(), r[4].c_str(), r[5].c_str(), r[6].c_str(), r[7].c_str(),
                      error.empty() ? "-" : error.c_str());
        }
      }
    });
  }
  {
    auto id = std::make_shared<long long>(0);
    auto* cmd = batch->add_subcommand("retry", "queue a failed batch again (after fixing what made it fail)");
    cmd->add_option("batch", *id, "batch id")->required()->check(CLI::Range(1LL, 1LL << 62));
    cmd->callback([&ctx, id] {
      auto pending = ctx.pg().with_transaction([&](pqxx::work& tx) -> long long {
        auto row = tx.exec_params(
            "update inbox_batch set status = 'received', attempts = 0, retry_at = null, error = null,"
            " finished_at = null, lease_owner = null, lease_until = null"
            " where id = $1 and status = 'failed' and body_purged_at is null"
            " returning coalesce(record_count, 0) - next_index",
            *id);
        if (row.empty()) return -1;
        json::JsonWriter d;
        d.begin_object().kv("batch", *id).end_object();
        AuditLog::record(tx, ctx.actor_name(), "batch.retry", std::to_string(*id), ctx.host(), d.str());
        return row[0][0].as<long long>();
      });
      if (pending < 0) {
        auto status = ctx.pg().with_transaction([&](pqxx::work& tx) {
          auto r = tx.exec_params("select status, body_purged_at is not null from inbox_batch where id = $1", *id);
          if (!r.empty() && r[0][1].as<bool>()) return std::string("purged");
          return r.empty() ? std::string() : std::string(r[0][0].c_str());
        });
        if (status == "purged")
          throw CommandFailed(kExitFailed, "batch " + std::to_string(*id) +
                                               ": its payload was purged by retention (hubctl retention); the"
                                               " partner must send the records again");
        throw CommandFailed(kExitFailed, status.empty() ? "no batch " + std::to_string(*id)
                                                        : "batch " + std::to_string(*id) + " is " + status +
                                                              ", not failed: nothing to retry");
      }
      std::cout << "batch " << *id << " queued again: " << pending
                << " record(s) without a result will be processed by the next free worker\n";
    });
  }
}

}  // namespace hub::cli
