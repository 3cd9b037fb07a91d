// hubctl partitions --plan | --apply [--older-than N] [--detach | --drop]
//
// The monthly partitions of change_log, record_version, inbox_batch and batch_record whose month
// ended at least N months (default 12) before the current month. --plan lists them with their
// rows and, for those that must stay, why (hub/store/partitions.h: unacknowledged changes, the
// last change or current version of a record, unfinished batches or parked records, the
// raw-payload retention period); it changes nothing. --apply detaches the others (default: the
// table stays in the database, to be archived with pg_dump and dropped by hand) or drops them
// (--drop), one transaction and one audit row each, and lists the refused ones again. Exit 0
// when every listed partition was handled, 1 when some were refused.

#include <cstdio>
#include <iostream>
#include <memory>

#include "hub/common/json.h"
#include "hub/store/partitions.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

void print_partition(const CliContext& ctx, const MonthPartition& p, const std::string& outcome) {
  if (ctx.json_output) {
    json::JsonWriter w;
    w.begin_object().kv("partition", p.name).kv("table", p.parent).kv("from", p.from).kv("to", p.to)
        .kv("rows", p.rows).kv("outcome", outcome);
    if (!p.refusal.empty()) w.kv("reason", p.refusal);
    w.end_object();
    std::cout << w.str() << "\n";
    return;
  }
  std::printf("%-28s %-14s %s .. %s %12lld rows  %s%s%s\n", p.name.c_str(), p.parent.c_str(), p.from.c_str(),
              p.to.c_str(), p.rows, outcome.c_str(), p.refusal.empty() ? "" : ": ", p.refusal.c_str());
}

}  // namespace

void add_partition_commands(CLI::App& app, CliContext& ctx) {
  struct Opts {
    bool plan = false, apply = false, detach = false, drop = false;
    int older_than = 12;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("partitions", "list, detach or drop old monthly partitions (never one still needed)");
  auto* plan = cmd->add_flag("--plan", o->plan, "list old partitions and whether each may go; change nothing");
  auto* apply = cmd->add_flag("--apply", o->apply, "detach (or drop) the old partitions nothing needs, with audit rows");
  plan->excludes(apply);
  cmd->add_option("--older-than", o->older_than, "months between the partition's month and the current one (default 12)")
      ->check(CLI::Range(1, 1200));
  auto* detach = cmd->add_flag("--detach", o->detach, "detach: keep the table outside the hub (default)");
  auto* drop = cmd->add_flag("--drop", o->drop, "drop the table as well");
  detach->excludes(drop);
  cmd->callback([&ctx, o] {
    if (!o->plan && !o->apply) throw CommandFailed(kExitUsage, "partitions: say --plan or --apply");
    const int days = ctx.config().retention.raw_payload_days;
    auto parts = ctx.pg().with_transaction(
        [&](pqxx::work& tx) { return old_partitions(tx, o->older_than, days); });
    if (parts.empty()) {
      print_none(ctx, "partitions older than " + std::to_string(o->older_than) + " month(s)");
      return;
    }
    int refused = 0;
    for (const auto& p : parts) {
      if (!p.refusal.empty()) {
        ++refused;
        print_partition(ctx, p, "refused");
        continue;
      }
      if (o->plan) {
        print_partition(ctx, p, o->drop ? "would drop" : "would detach");
        continue;
      }
      // Checked again in the transaction that detaches: a consumer or a batch may have moved.
      bool ok = ctx.pg().with_transaction([&](pqxx::work& tx) {
        auto now = old_partitions(tx, o->older_than, days);
        for (const auto& q : now)
          if (q.name == p.name && q.refusal.empty()) {
            detach_partition(tx, q, o->drop, ctx.actor_name(), ctx.host());
            return true;
          }
        return false;
      });
      if (!ok) {
        ++refused;
        print_partition(ctx, p, "refused");
        continue;
      }
      print_partition(ctx, p, o->drop ? "dropped" : "detached");
    }
    if (!ctx.json_output)
      std::cout << (o->plan ? "plan: " : "") << (parts.size() - refused) << " partition(s) "
                << (o->plan ? "may go" : (o->drop ? "dropped" : "detached")) << ", " << refused
                << " refused (audit actions partition.detach, partition.drop)\n";
    if (refused > 0 && o->apply) throw CommandFailed(kExitFailed, "partitions: " + std::to_string(refused) +
                                                                       " partition(s) refused; see the reasons above");
  });
}

}  // namespace hub::cli
