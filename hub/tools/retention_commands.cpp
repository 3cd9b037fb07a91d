// hubctl retention --plan | --apply [--days N]
//
// Raw vendor payloads (inbox_batch.body: the documents exactly as pushed, personal data
// included) are kept retention.raw_payload_days after they were received, then emptied. What the
// hub learnt from them stays: the batch row (partner, feed, hash, idempotency key, counts), each
// record's result, the golden records, their versions and lineage, the change log and the audit
// trail; a resend with the same Idempotency-Key is still answered from the stored batch. Only
// finished batches (done or failed) are purged: one still waiting needs its payload. --plan
// counts what --apply would purge and changes nothing; --apply empties the payloads in
// transactions of kPurgeChunk batches, each with its audit row (retention.purge), so a long purge
// never holds its locks for long and an interrupted one has its done part recorded.

#include <iostream>
#include <memory>

#include "hub/common/json.h"
#include "hub/store/audit_log.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

constexpr int kPurgeChunk = 1000;

// The batches a purge with this many days of retention takes (as SQL, with $1 = days).
constexpr const char* kDue =
    "status in ('done', 'failed') and body_purged_at is null"
    " and received_at < now() - make_interval(days => $1)";

}  // namespace

void add_retention_command(CLI::App& app, CliContext& ctx) {
  struct Opts {
    bool plan = false, apply = false;
    int days = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "retention", "purge raw vendor payloads older than retention.raw_payload_days (outcomes, lineage and audit stay)");
  auto* plan = cmd->add_flag("--plan", o->plan, "count what --apply would purge; change nothing");
  auto* apply = cmd->add_flag("--apply", o->apply, "purge, writing each purge to the audit log");
  plan->excludes(apply);
  cmd->add_option("--days", o->days, "keep this many days instead of retention.raw_payload_days")
      ->check(CLI::Range(1, 36500));
  cmd->callback([&ctx, o] {
    if (!o->plan && !o->apply) throw CommandFailed(kExitUsage, "retention: say --plan or --apply");
    const int days = o->days > 0 ? o->days : ctx.config().retention.raw_payload_days;
    if (o->plan) {
      auto rows = ctx.pg().with_transaction([&](pqxx::work& tx) {
        return tx.exec_params(
            std::string("select p.name, count(*), coalesce(sum(length(b.body)), 0),"
                        " to_char(min(b.received_at) at time zone 'UTC', 'YYYY-MM-DD'),"
                        " to_char(max(b.received_at) at time zone 'UTC', 'YYYY-MM-DD')"
                        " from inbox_batch b join partner p on p.id = b.partner_id where ") +
                kDue + " group by p.name order by p.name",
            days);
      });
      long long batches = 0, bytes = 0;
      for (const auto& r : rows) {
        batches += r[1].as<long long>();
        bytes += r[2].as<long long>();
        if (ctx.json_output) {
          json::JsonWriter w;
          w.begin_object().kv("partner", r[0].c_str()).kv("batches", r[1].as<long long>())
              .kv("bytes", r[2].as<long long>()).kv("oldest", r[3].c_str()).kv("newest", r[4].c_str()).end_object();
          std::cout << w.str() << "\n";
        } else {
          std::printf("%-24s %8s batches %12s bytes  received %s .. %s\n", r[0].c_str(), r[1].c_str(), r[2].c_str(),
                      r[3].c_str(), r[4].c_str());
        }
      }
      if (!ctx.json_output)
        std::cout << "plan: " << batches << " payload(s), " << bytes << " bytes, received more than " << days
                  << " days ago, would be purged (hubctl retention --apply)\n";
      return;
    }
    long long batches = 0, bytes = 0;
    for (;;) {
      auto [n, b] = ctx.pg().with_transaction([&](pqxx::work& tx) {
        // SKIP LOCKED: a batch a hub holds at this moment waits for the next run.
        auto r = tx.exec_params1(
            std::string("with due as (select id, length(body) as bytes from inbox_batch where ") + kDue +
                " order by id limit $2 for update skip locked),"
                " purged as (update inbox_batch b set body = ''::bytea, body_purged_at = now()"
                " from due where b.id = due.id returning b.id, due.bytes)"
                " select count(*), coalesce(sum(bytes), 0), coalesce(min(id), 0), coalesce(max(id), 0) from purged",
            days, kPurgeChunk);
        long long count = r[0].as<long long>();
        if (count > 0) {
          json::JsonWriter d;
          d.begin_object().kv("retention_days", days).kv("batches", count).kv("bytes", r[1].as<long long>())
              .kv("first_batch", r[2].as<long long>()).kv("last_batch", r[3].as<long long>()).end_object();
          AuditLog::record(tx, ctx.actor_name(), "retention.purge", "inbox_batch", ctx.host(), d.str());
        }
        return std::pair{count, r[1].as<long long>()};
      });
      batches += n;
      bytes += b;
      if (n < kPurgeChunk) break;
    }
    std::cout << "purged " << batches << " payload(s), " << bytes << " bytes, received more than " << days
              << " days ago; their outcomes, lineage and audit stay (audit action retention.purge)\n";
  });
}

}  // namespace hub::cli
