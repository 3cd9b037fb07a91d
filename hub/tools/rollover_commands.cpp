// hubctl rollover FROM TO [--closes-on D] [--opens-on D] [--sample N]   (plan: a dry run, stored)
// hubctl rollover FROM TO --apply PLAN                                   (apply that plan)
// hubctl rollover FROM TO --show PLAN                                    (print a stored plan again)

#include <iostream>
#include <memory>

#include "hub/common/json.h"
#include "hub/ingest/rollover.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

struct RolloverArgs {
  std::string from_year, to_year, closes_on, opens_on;
  long long apply = 0, show = 0;
  int sample = 3;
};

// The golden store needs the canonical schemas (and catalogs) the hub runs with.
std::shared_ptr<const mapping::Snapshot> load_snapshot(CliContext& ctx) {
  auto registry = std::make_shared<mapping::MappingRegistry>(ctx.config().mappings.dir);
  auto report = registry->reload();
  auto snap = registry->current();
  if (snap->generation == 0 || !snap->schemas)
    throw CommandFailed(kExitUsage, "cannot load the schemas and catalogs of " + ctx.config().mappings.dir +
                                        (report.errors.empty() ? "" : ": " + report.errors.front().message));
  return snap;
}

void print_plan(CliContext& ctx, const RolloverPlan& p, int sample, bool just_made) {
  if (ctx.json_output) {
    json::JsonWriter w;
    w.begin_object().kv("plan", p.id).kv("status", p.status).kv("from_year", p.years.from_year)
        .kv("to_year", p.years.to_year).kv("closes_on", p.years.closes_on.iso()).kv("opens_on", p.years.opens_on.iso())
        .kv("enrollments", static_cast<long long>(p.items.size())).key("counts").begin_object();
    for (const auto& [k, v] : p.counts) w.kv(k, v);
    w.end_object().key("sample").begin_array();
    std::map<std::string, int> shown;
    for (const auto& it : p.items) {
      if (shown[it.outcome]++ >= sample) continue;
      w.begin_object().kv("enrollment", it.enrollment_id).kv("student", it.student_id).kv("school", it.school_code)
          .kv("grade", it.from_grade).kv("outcome", it.outcome).kv("to_grade", it.to_grade)
          .kv("closes", it.closes).kv("opens", it.opens).kv("reason", it.reason).end_object();
    }
    w.end_array().end_object();
    std::cout << w.str() << "\n";
    return;
  }
  std::cout << "rollover plan " << p.id << ": " << p.years.from_year << " -> " << p.years.to_year << " ("
            << (p.status == "applied" ? "applied" : just_made ? "dry run: no record was changed" : "not applied")
            << ")\n"
            << "  old enrollments end on " << p.years.closes_on.iso() << " (valid_to); new ones start on "
            << p.years.opens_on.iso() << " (valid_from)\n"
            << "  enrollments of " << p.years.from_year << " in force on " << p.years.closes_on.iso() << ": "
            << p.items.size() << "\n";
  auto c = [&](const char* k) { auto it = p.counts.find(k); return it == p.counts.end() ? 0LL : it->second; };
  std::printf("  %-12s %8lld  next grade, same school\n", "promoted", c("promoted"));
  std::printf("  %-12s %8lld  same grade again\n", "repeating", c("repeating"));
  std::printf("  %-12s %8lld  closed as graduated (grade 5, 9, 12)\n", "graduated", c("graduated"));
  std::printf("  %-12s %8lld  left alone: needs a decision (see reason)\n", "undecided", c("undecided"));
  std::printf("  %-12s %8lld  left alone: left the school, or preschool\n", "not_rolled", c("not_rolled"));
  std::printf("  changes: %lld enrollments to close, %lld to open; %lld already rolled over\n", c("to_close"),
              c("to_open"), c("already_done"));
  std::fflush(stdout);
  if (sample > 0 && !p.items.empty()) {
    std::cout << "sample (up to " << sample << " per outcome):\n";
    std::printf("  %-36s %-14s %5s  %-10s %5s  %-11s %s\n", "enrollment", "school", "grade", "outcome", "next",
                "changes", "reason");
    std::map<std::string, int> shown;
    for (const auto& it : p.items) {
      if (shown[it.outcome]++ >= sample) continue;
      std::string changes = std::string(it.closes ? "close" : "") + (it.closes && it.opens ? "+" : "") +
                            (it.opens ? "open" : "") + (!it.closes && !it.opens ? "-" : "");
      std::printf("  %-36s %-14s %5s  %-10s %5s  %-11s %s\n", it.enrollment_id.c_str(), it.school_code.c_str(),
                  it.from_grade.c_str(), it.outcome.c_str(), it.to_grade.empty() ? "-" : it.to_grade.c_str(),
                  changes.c_str(), it.reason.c_str());
    }
    std::fflush(stdout);
  }
  if (p.status != "applied")
    std::cout << "to apply it: hubctl rollover " << p.years.from_year << " " << p.years.to_year << " --apply " << p.id
              << "\n";
}

void run(CliContext& ctx, const RolloverArgs& a) {
  if (a.apply && a.show) throw CommandFailed(kExitUsage, "--apply and --show cannot be used together");
  if ((a.apply || a.show) && (!a.closes_on.empty() || !a.opens_on.empty()))
    throw CommandFailed(kExitUsage, "--closes-on / --opens-on belong to the dry run; a stored plan keeps its dates");
  auto years = rollover_years(a.from_year, a.to_year, a.closes_on, a.opens_on);
  if (!years) throw CommandFailed(kExitUsage, years.error().message);
  auto snapshot = load_snapshot(ctx);
  Rollover rollover(ctx.pg(), *snapshot);
  if (a.show) {
    auto p = rollover.load(a.show);
    if (!p) throw CommandFailed(kExitUsage, "there is no rollover plan " + std::to_string(a.show));
    if (p->years.from_year != a.from_year || p->years.to_year != a.to_year)
      throw CommandFailed(kExitUsage, "plan " + std::to_string(a.show) + " is for " + p->years.from_year + " -> " +
                                          p->years.to_year);
    print_plan(ctx, *p, a.sample, false);
    return;
  }
  if (!a.apply) {
    print_plan(ctx, rollover.plan(*years, ctx.actor_name(), ctx.host()), a.sample, true);
    return;
  }
  auto done = rollover.apply(a.apply, a.from_year, a.to_year, ctx.actor_name(), ctx.host());
  if (!done) {
    const auto& e = done.error();
    throw CommandFailed(e.code == "rollover.stale_plan" ? kExitFailed : kExitUsage, e.message + " [" + e.code + "]");
  }
  const auto& r = done.value();
  if (ctx.json_output) {
    json::JsonWriter w;
    w.begin_object().kv("plan", r.plan_id).kv("already_applied", r.already_applied).kv("batch", r.batch_id)
        .kv("closed", r.closed).kv("opened", r.opened).end_object();
    std::cout << w.str() << "\n";
  } else if (r.already_applied) {
    std::cout << "rollover plan " << r.plan_id << " was applied before (batch " << r.batch_id
              << "); nothing changed now\n";
  } else {
    std::cout << "rollover plan " << r.plan_id << " applied: " << r.closed << " enrollments closed, " << r.opened
              << " opened" << (r.batch_id ? " (batch " + std::to_string(r.batch_id) + ", partner rollover)" : "")
              << "\n";
  }
}

}  // namespace

void add_rollover_command(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<RolloverArgs>();
  auto* cmd = app.add_subcommand(
      "rollover",
      "close a school year and open the next: a stored dry-run plan by default, then --apply <plan>");
  cmd->add_option("from_year", args->from_year, "the school year that ends, e.g. 2025-2026")->required();
  cmd->add_option("to_year", args->to_year, "the school year that starts, e.g. 2026-2027")->required();
  cmd->add_option("--closes-on", args->closes_on,
                  "valid_to of the old enrollments (default: 31 May at the end of the old year, the EMIS cut-off)");
  cmd->add_option("--opens-on", args->opens_on, "valid_from of the new enrollments (default: 5 September)");
  cmd->add_option("--sample", args->sample, "enrollments shown per outcome (default 3)")->check(CLI::Range(0, 1000));
  cmd->add_option("--apply", args->apply, "apply this stored plan (made by a dry run of the same years)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--show", args->show, "print this stored plan again")->check(CLI::PositiveNumber);
  cmd->callback([&ctx, args] { run(ctx, *args); });
}

}  // namespace hub::cli
