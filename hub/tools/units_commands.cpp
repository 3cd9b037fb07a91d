// hubctl units recode --plan | --apply PLAN | --show PLAN   (stored commune codes through the crosswalk)
// hubctl units show CODE [--as-of D] [--units as_of|current]  (a commune's validity, predecessors, successors)
// hubctl review decide <id> commune=<code>                   (the split-commune decision; resolve_commands.cpp)

#include <chrono>
#include <iostream>
#include <memory>

#include "hub/common/json.h"
#include "hub/ingest/commune_decision.h"
#include "hub/ingest/units_recode.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/mapping/unit_history.h"
#include "hub/resolve/probabilistic_resolver.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

std::unique_ptr<mapping::MappingRegistry> load_mappings(CliContext& ctx) {
  auto mappings = std::make_unique<mapping::MappingRegistry>(ctx.config().mappings.dir);
  auto report = mappings->reload();
  if (mappings->current()->generation == 0 || !mappings->current()->schemas)
    throw CommandFailed(kExitUsage, "cannot load the mappings, schemas and catalogs of " + ctx.config().mappings.dir +
                                        (report.errors.empty() ? "" : ": " + report.errors.front().message));
  return mappings;
}

void print_plan(CliContext& ctx, const UnitsRecodePlan& p, int sample, bool just_made) {
  if (ctx.json_output) {
    json::JsonWriter w;
    w.begin_object().kv("plan", p.id).kv("status", p.status).kv("recodes", p.recodes).kv("splits", p.splits)
        .key("items").begin_array();
    for (const auto& it : p.items) {
      w.begin_object().kv("record", it.record_id).kv("entity", it.entity).kv("field", it.field)
          .kv("old_code", it.old_code);
      if (it.new_code.empty()) w.key("candidates").strings(it.candidates); else w.kv("new_code", it.new_code);
      if (it.review_item) w.kv("review_item", it.review_item);
      w.end_object();
    }
    w.end_array().end_object();
    std::cout << w.str() << "\n";
    return;
  }
  std::cout << "units recode plan " << p.id << " ("
            << (p.status == "applied" ? "applied" : just_made ? "dry run: no record was changed" : "not applied")
            << ")\n  " << p.recodes << " values recoded through the crosswalk, " << p.splits
            << " split communes for review\n";
  int n = 0;
  for (const auto& it : p.items) {
    if (sample > 0 && n++ >= sample) {
      std::cout << "  ... " << (p.items.size() - sample) << " more (--sample 0 lists all)\n";
      break;
    }
    std::cout << "  " << it.entity << " " << it.record_id << " " << it.field << ": " << it.old_code << " -> ";
    if (!it.new_code.empty()) {
      std::cout << it.new_code;
    } else {
      std::cout << "split into";
      for (const auto& c : it.candidates) std::cout << " " << c;
      std::cout << " (review" << (it.review_item ? " " + std::to_string(it.review_item) : "") << ")";
    }
    std::cout << "\n";
  }
  if (p.status != "applied") std::cout << "to apply it: hubctl units recode --apply " << p.id << "\n";
}

void print_link_list(const char* what, const std::vector<catalog::UnitLink>& links) {
  if (links.empty()) return;
  std::cout << what << ":\n";
  for (const auto& l : links)
    std::cout << "  " << l.code << "  " << l.name << (l.partial ? "  (part of it)" : "") << "\n";
}

}  // namespace

Result<std::string> decide_commune(CliContext& ctx, const resolve::RuleSet& rules, long long id,
                                   const std::string& commune) {
  auto mappings = load_mappings(ctx);
  resolve::ResolverOptions options;
  options.locks.ttl = std::chrono::milliseconds(ctx.config().resolve.lock_ttl_ms);
  options.locks.max_wait = std::chrono::milliseconds(ctx.config().resolve.lock_wait_ms);
  resolve::ProbabilisticResolver resolver(rules, ctx.redis(), options);
  return CommuneDecision(ctx.pg(), *mappings, resolver, ctx.config()).decide(id, commune, ctx.actor_name());
}

void add_units_commands(CLI::App& app, CliContext& ctx) {
  auto* units = app.add_subcommand("units", "administrative units: recode stored codes through the 2025 crosswalk, history");
  units->require_subcommand(1);

  struct RecodeArgs {
    bool plan = false;
    long long apply = 0, show = 0;
    int sample = 20;
  };
  auto a = std::make_shared<RecodeArgs>();
  auto* recode = units->add_subcommand(
      "recode", "recode stored commune codes of before 1 July 2025: --plan (a stored dry run), then --apply <plan>");
  recode->add_flag("--plan", a->plan, "list every value that would change and store the plan");
  recode->add_option("--apply", a->apply, "apply this stored plan")->check(CLI::PositiveNumber);
  recode->add_option("--show", a->show, "print this stored plan again")->check(CLI::PositiveNumber);
  recode->add_option("--sample", a->sample, "values listed (default 20, 0 = all)")->check(CLI::Range(0, 10000000));
  recode->callback([&ctx, a] {
    if ((a->plan ? 1 : 0) + (a->apply ? 1 : 0) + (a->show ? 1 : 0) != 1)
      throw CommandFailed(kExitUsage, "units recode: say one of --plan, --apply <plan>, --show <plan>");
    auto mappings = load_mappings(ctx);
    UnitsRecode recoder(ctx.pg(), *mappings->current());
    if (a->plan) return print_plan(ctx, recoder.plan(ctx.actor_name(), ctx.host()), a->sample, true);
    if (a->show) {
      auto p = recoder.load(a->show);
      if (!p) throw CommandFailed(kExitUsage, "there is no units recode plan " + std::to_string(a->show));
      return print_plan(ctx, *p, a->sample, false);
    }
    auto done = recoder.apply(a->apply, ctx.actor_name(), ctx.host());
    if (!done) {
      const auto& e = done.error();
      throw CommandFailed(e.code == "units.stale_plan" ? kExitFailed : kExitUsage, e.message + " [" + e.code + "]");
    }
    const auto& r = done.value();
    if (ctx.json_output) {
      json::JsonWriter w;
      w.begin_object().kv("plan", r.plan_id).kv("already_applied", r.already_applied).kv("recoded", r.recoded)
          .kv("reviews", r.reviews).end_object();
      std::cout << w.str() << "\n";
    } else if (r.already_applied) {
      std::cout << "units recode plan " << r.plan_id << " was applied before; nothing changed now\n";
    } else {
      std::cout << "units recode plan " << r.plan_id << " applied: " << r.recoded << " values recoded, " << r.reviews
                << " split communes in review (hubctl review list; decide with: hubctl review decide <id> commune=<code>)\n";
    }
  });

  auto code = std::make_shared<std::string>();
  auto as_of = std::make_shared<std::string>();
  auto mode = std::make_shared<std::string>("as_of");
  auto* show = units->add_subcommand("show", "a commune's validity, predecessors and successors (2025 crosswalk)");
  show->add_option("code", *code, "commune code")->required();
  show->add_option("--as-of", *as_of, "the date the code refers to (default today), e.g. 2025-05-31");
  show->add_option("--units", *mode, "as_of: the unit of that date; current: mapped forward to today's units")
      ->check(CLI::IsMember({"as_of", "current"}));
  show->callback([&ctx, code, as_of, mode] {
    auto loaded = mapping::load_context(ctx.config().mappings.dir);
    if (!loaded) throw CommandFailed(kExitUsage, "cannot load the catalogs: " + loaded.error().message);
    std::optional<Date> on;
    if (!as_of->empty()) {
      on = Date::parse_iso(*as_of);
      if (!on) throw CommandFailed(kExitUsage, "--as-of must be YYYY-MM-DD");
    }
    auto h = catalog::unit_history(*loaded->catalogs, *code, on);
    if (!h) throw CommandFailed(kExitFailed, h.error().message + " [" + h.error().code + "]");
    const auto& e = *h->unit;
    if (ctx.json_output) {
      json::JsonWriter w;
      w.begin_object().kv("code", e.code).kv("name", e.name).kv("parent", e.parent).key("valid_from");
      if (e.valid_from) w.value(e.valid_from->iso()); else w.null();
      w.key("valid_to");
      if (e.valid_to) w.value(e.valid_to->iso()); else w.null();
      for (auto [key, links] : {std::pair{"predecessors", &h->predecessors}, {"successors", &h->successors}}) {
        w.key(key).begin_array();
        for (const auto& l : *links)
          w.begin_object().kv("code", l.code).kv("name", l.name).kv("partial", l.partial).end_object();
        w.end_array();
      }
      if (*mode == "current") {
        w.key("current").begin_array();
        for (const auto& l : catalog::report_units(*loaded->catalogs, *code, on.value_or(Date::today()),
                                                   catalog::UnitsMode::kCurrent))
          w.begin_object().kv("code", l.code).kv("name", l.name).kv("partial", l.partial).end_object();
        w.end_array();
      }
      w.end_object();
      std::cout << w.str() << "\n";
      return;
    }
    std::cout << e.code << "  " << e.name << "  valid " << (e.valid_from ? e.valid_from->iso() : "…") << " to "
              << (e.valid_to ? e.valid_to->iso() : "…") << "\n";
    print_link_list("came from", h->predecessors);
    print_link_list("went into", h->successors);
    if (*mode == "current")
      print_link_list("today's units", catalog::report_units(*loaded->catalogs, *code, on.value_or(Date::today()),
                                                             catalog::UnitsMode::kCurrent));
  });
}

}  // namespace hub::cli
