// hubctl school <event> SCHOOL... --effective-on D --decision N [...] --plan [--out FILE]
//   events: open, rename --name, recode --new-code, change-level --level, change-type --type,
//   merge --into, split --into A,B, dissolve                        (a stored plan; nothing changed)
// hubctl school show PLAN | apply PLAN | undo PLAN
// hubctl school decide-class PLAN CLASS SUCCESSOR                   (a split's class, in bulk)

#include <fstream>
#include <iostream>
#include <memory>

#include "hub/common/json.h"
#include "hub/ingest/school_lifecycle.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

std::shared_ptr<const mapping::Snapshot> load_snapshot(CliContext& ctx) {
  auto registry = std::make_shared<mapping::MappingRegistry>(ctx.config().mappings.dir);
  auto report = registry->reload();
  auto snap = registry->current();
  if (snap->generation == 0 || !snap->schemas)
    throw CommandFailed(kExitUsage, "cannot load the schemas and catalogs of " + ctx.config().mappings.dir +
                                        (report.errors.empty() ? "" : ": " + report.errors.front().message));
  return snap;
}

void print_plan(CliContext& ctx, const SchoolEventPlan& p, const std::string& out_file) {
  if (!out_file.empty()) {
    std::ofstream f(out_file);
    f << school_event_plan_json(p) << "\n";
    if (!f) throw CommandFailed(kExitFailed, "cannot write " + out_file);
  }
  if (ctx.json_output) {
    std::cout << school_event_plan_json(p) << "\n";
    return;
  }
  std::cout << "school event plan " << p.id << ": " << p.kind << " from " << p.effective_on.iso() << " (decision "
            << p.decision_number << "; "
            << (p.status == "planned" ? "not applied: no record was changed" : p.status) << ")\n";
  for (const auto& [k, v] : p.counts)
    if (v) std::printf("  %-15s %6lld\n", k.c_str(), v);
  std::printf("  %-4s %-10s %-36s %-15s %s\n", "seq", "entity", "record", "action", "what");
  for (const auto& it : p.items)
    std::printf("  %-4d %-10s %-36s %-15s %s\n", it.seq, it.entity.c_str(), it.record_id.c_str(), it.action.c_str(),
                it.label.c_str());
  std::fflush(stdout);
  if (p.status == "planned") std::cout << "to apply it: hubctl school apply " << p.id << "\n";
}

[[noreturn]] void fail(const Error& e) {
  const bool usage = e.code == "school.bad_event" || e.code == "school.unknown" || e.code == "school.unknown_plan";
  throw CommandFailed(usage ? kExitUsage : kExitFailed, e.message + " [" + e.code + "]");
}

struct EventArgs {
  std::vector<std::string> schools;
  std::string effective_on, decision, value, into, out;
  bool plan = false;
};

void add_event(CLI::App* school, CliContext& ctx, const std::string& name, const std::string& kind,
               const std::string& help, const std::string& value_option, const std::string& field) {
  auto a = std::make_shared<EventArgs>();
  auto* cmd = school->add_subcommand(name, help);
  cmd->add_option("schools", a->schools, kind == "merge" ? "the codes of the schools absorbed" : "the school's code")
      ->required();
  cmd->add_option("--effective-on", a->effective_on, "the date the event takes effect, YYYY-MM-DD")->required();
  cmd->add_option("--decision", a->decision, "the decision number (legal reference), e.g. 123/QĐ-UBND")->required();
  cmd->add_flag("--plan", a->plan, "make and store the plan (required: apply it with hubctl school apply)")->required();
  cmd->add_option("--out", a->out, "also write the plan as JSON to this file");
  if (!value_option.empty()) cmd->add_option(value_option, a->value, "the new " + field)->required();
  if (kind == "merge") cmd->add_option("--into", a->into, "the code of the successor school")->required();
  if (kind == "split") cmd->add_option("--into", a->into, "the codes of the successors, comma-separated")->required();
  cmd->callback([&ctx, a, kind, field] {
    SchoolEventSpec spec;
    spec.kind = kind;
    spec.effective_on = a->effective_on;
    spec.decision_number = a->decision;
    spec.schools = a->schools;
    if (!field.empty()) spec.changes[field] = a->value;
    std::string rest = a->into;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      spec.successors.push_back(rest.substr(0, comma));
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    }
    auto snapshot = load_snapshot(ctx);
    SchoolEvents events(ctx.pg(), *snapshot);
    auto p = events.plan(spec, ctx.actor_name(), ctx.host());
    if (!p) fail(p.error());
    print_plan(ctx, *p, a->out);
  });
}

void print_applied(CliContext& ctx, const std::string& what, const SchoolEventApplied& r) {
  if (ctx.json_output) {
    json::JsonWriter w;
    w.begin_object().kv("plan", r.plan_id).kv("event", r.event_id).kv("batch", r.batch_id)
        .kv("school_versions", r.school_versions).kv("moved", r.moved).kv("classes", r.classes)
        .kv("reviews", r.reviews).end_object();
    std::cout << w.str() << "\n";
    return;
  }
  std::cout << "school event plan " << r.plan_id << " " << what << ": " << r.school_versions << " school versions, "
            << r.moved << " enrollments moved, " << r.classes << " classes, " << r.reviews
            << " review items (batch " << r.batch_id << ", partner " << kSchoolEventsPartner << ")\n";
}

}  // namespace

Result<std::string> decide_school_item(CliContext& ctx, long long id, const std::string& choice) {
  auto snapshot = load_snapshot(ctx);
  auto r = SchoolEvents(ctx.pg(), *snapshot).decide_item(id, choice, ctx.actor_name(), ctx.host());
  if (!r) return r.error();
  json::JsonWriter w;
  w.begin_object().kv("id", id).kv("status", "resolved").kv("decision", choice).kv("plan", r->plan_id)
      .kv("batch", r->batch_id).end_object();
  return w.str();
}

void add_school_commands(CLI::App& app, CliContext& ctx) {
  auto* school = app.add_subcommand(
      "school", "school lifecycle events (merge, split, recode ...): a stored plan, then apply; undo in the same year");
  school->require_subcommand(1);
  add_event(school, ctx, "open", "open", "a school opens on the effective date", "", "");
  add_event(school, ctx, "rename", "rename", "a school takes a new name", "--name", "name");
  add_event(school, ctx, "recode", "recode", "a school gets a new code (the old one keeps answering)", "--new-code",
            "school_code");
  add_event(school, ctx, "change-level", "change_level", "a school's level changes", "--level", "school_level");
  add_event(school, ctx, "change-type", "change_type", "a school's type changes", "--type", "school_type");
  add_event(school, ctx, "merge", "merge", "schools are absorbed into a successor; their students follow", "", "");
  add_event(school, ctx, "split", "split", "a school is split; its students are placed by class (decide-class)", "", "");
  add_event(school, ctx, "dissolve", "dissolve", "a school is dissolved; its students' enrollments go to review", "", "");

  auto plan_id = std::make_shared<long long>(0);
  auto* show = school->add_subcommand("show", "print a stored plan again, with what it did");
  show->add_option("plan", *plan_id, "the plan")->required()->check(CLI::PositiveNumber);
  show->callback([&ctx, plan_id] {
    auto snapshot = load_snapshot(ctx);
    auto p = SchoolEvents(ctx.pg(), *snapshot).load(*plan_id);
    if (!p) throw CommandFailed(kExitUsage, "there is no school event plan " + std::to_string(*plan_id));
    print_plan(ctx, *p, "");
  });
  auto* apply = school->add_subcommand("apply", "apply a stored plan (once)");
  apply->add_option("plan", *plan_id, "the plan")->required()->check(CLI::PositiveNumber);
  apply->callback([&ctx, plan_id] {
    auto snapshot = load_snapshot(ctx);
    auto r = SchoolEvents(ctx.pg(), *snapshot).apply(*plan_id, ctx.actor_name(), ctx.host());
    if (!r) fail(r.error());
    print_applied(ctx, "applied", *r);
  });
  auto* undo = school->add_subcommand("undo", "revert an applied event within its school year");
  undo->add_option("plan", *plan_id, "the plan")->required()->check(CLI::PositiveNumber);
  undo->callback([&ctx, plan_id] {
    auto snapshot = load_snapshot(ctx);
    auto r = SchoolEvents(ctx.pg(), *snapshot).undo(*plan_id, ctx.actor_name(), ctx.host());
    if (!r) fail(r.error());
    print_applied(ctx, "undone", *r);
  });
  auto d = std::make_shared<std::pair<std::string, std::string>>();
  auto* decide = school->add_subcommand("decide-class",
                                        "a split: every student of a class (id or name) goes to one successor");
  decide->add_option("plan", *plan_id, "the split's plan")->required()->check(CLI::PositiveNumber);
  decide->add_option("class", d->first, "the class: its record id or its name in the split school")->required();
  decide->add_option("successor", d->second, "the successor school's code")->required();
  decide->callback([&ctx, plan_id, d] {
    auto snapshot = load_snapshot(ctx);
    auto r = SchoolEvents(ctx.pg(), *snapshot).decide_class(*plan_id, d->first, d->second, ctx.actor_name(), ctx.host());
    if (!r) fail(r.error());
    if (ctx.json_output) {
      json::JsonWriter w;
      w.begin_object().kv("plan", r->plan_id).kv("batch", r->batch_id).kv("moved", r->moved).end_object();
      std::cout << w.str() << "\n";
    } else {
      std::cout << r->moved << " students of class " << d->first << " continue in " << d->second << " (batch "
                << r->batch_id << ")\n";
    }
  });
}

}  // namespace hub::cli
