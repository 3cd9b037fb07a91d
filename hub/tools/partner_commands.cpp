// hubctl migrate | partner add|list|show|rotate|revoke|scope | audit

#include <iostream>

#include "hub/common/json.h"
#include "hub/http/rate_limiter.h"
#include "hub/store/audit_log.h"
#include "hub/store/migrations.h"
#include "hub/store/partner_store.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

PartnerStore store(CliContext& ctx) {
  return PartnerStore(ctx.pg(), ctx.config().auth.default_token_ttl_days);
}

Actor actor(CliContext& ctx) { return Actor{ctx.actor_name(), ctx.host()}; }

template <class T>
T& value_or_fail(Result<T>& r) {
  if (!r) throw CommandFailed(kExitFailed, r.error().message + " [" + r.error().code + "]");
  return r.value();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out.empty() ? "-" : out;
}

void print_partner(CliContext& ctx, const Partner& p) {
  if (ctx.json_output) {
    json::JsonWriter w;
    w.begin_object().kv("name", p.name).kv("display_name", p.display_name)
        .key("scopes").strings(p.scopes).key("units").strings(p.units)
        .kv("created_at", p.created_at).kv("active_tokens", p.active_tokens).key("revoked_at");
    if (p.revoked_at) w.value(*p.revoked_at); else w.null();
    w.end_object();
    std::cout << w.str() << "\n";
    return;
  }
  std::cout << "name:          " << p.name << "\n"
            << "display name:  " << (p.display_name.empty() ? "-" : p.display_name) << "\n"
            << "scopes:        " << join(p.scopes) << "\n"
            << "units:         " << (p.units.empty() ? "all (no unit restriction)" : join(p.units)) << "\n"
            << "created:       " << p.created_at << "\n"
            << "active tokens: " << p.active_tokens << "\n"
            << "status:        " << (p.revoked_at ? "revoked " + *p.revoked_at : "active") << "\n";
}

// Tells every running hub to drop its token cache. Without Redis the change still stands in
// PostgreSQL; hubs then see it when their cache entries age out (auth.cache_seconds).
void announce_token_change(CliContext& ctx) {
  try {
    bump_auth_epoch(ctx.redis());
  } catch (const std::exception& e) {
    std::cerr << "warning: Redis unreachable (" << e.what()
              << "); running hubs apply this within auth.cache_seconds ("
              << ctx.config().auth.cache_seconds << " s)\n";
  }
}

void print_token(const IssuedToken& t) {
  std::cerr << "token (shown once; store it now" << (t.expires_at ? ", expires " + *t.expires_at : "")
            << "):\n";
  std::cout << t.token << "\n";
}

}  // namespace

void add_migrate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("migrate", "apply the database migrations (as the hub does at start)");
  cmd->callback([&ctx] {
    auto report = apply_migrations(ctx.config().postgres.url);
    for (const auto& n : report.applied) std::cout << "applied " << n << "\n";
    std::cout << report.applied.size() << " applied, " << report.already << " already present\n";
  });
}

void add_partner_commands(CLI::App& app, CliContext& ctx) {
  auto* partner = app.add_subcommand("partner", "manage partners and their tokens");
  partner->require_subcommand(1);

  {
    auto* cmd = partner->add_subcommand("add", "add a partner and print its first token (last line)");
    auto np = std::make_shared<NewPartner>();
    auto days = std::make_shared<int>(-1);
    cmd->add_option("name", np->name, "partner name: lower-case letters, digits, - and _")->required();
    cmd->add_option("--scope,-s", np->scopes, "admin | ingest:<entity> | pull:<entity> (repeatable)")
        ->required();
    cmd->add_option("--unit,-u", np->units, "province:<code> | commune:<code> | school:<code> (repeatable)");
    cmd->add_option("--display-name", np->display_name, "a readable name");
    cmd->add_option("--expires-days", *days, "token expiry in days (default: auth.default_token_ttl_days)");
    auto rate = std::make_shared<double>(0);
    auto burst = std::make_shared<double>(0);
    cmd->add_option("--rate", *rate, "requests per second for this partner (default: rate_limit.requests_per_second)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--burst", *burst, "burst size for this partner (default: rate_limit.burst)")
        ->check(CLI::Range(1.0, 1e7));
    cmd->callback([&ctx, np, days, rate, burst] {
      if (*days >= 0) np->expires_in_days = *days;
      if (*rate > 0) np->rate_per_second = *rate;
      if (*burst > 0) np->burst = *burst;
      auto r = store(ctx).add(*np, actor(ctx));
      auto& added = value_or_fail(r);
      if (!ctx.json_output) std::cerr << "partner '" << added.first.name << "' added\n";
      print_token(added.second);
    });
  }
  {
    auto* cmd = partner->add_subcommand("list", "list partners");
    cmd->callback([&ctx] {
      auto partners = store(ctx).list();
      if (partners.empty()) {
        print_none(ctx, "partners (hubctl partner add)");
        return;
      }
      if (ctx.json_output) {
        for (const auto& p : partners) print_partner(ctx, p);
        return;
      }
      std::printf("%-24s %-8s %-6s %s\n", "NAME", "STATUS", "TOKENS", "SCOPES");
      for (const auto& p : partners)
        std::printf("%-24s %-8s %-6d %s\n", p.name.c_str(), p.revoked_at ? "revoked" : "active",
                    p.active_tokens, join(p.scopes).c_str());
    });
  }
  {
    auto* cmd = partner->add_subcommand("show", "show one partner");
    auto name = std::make_shared<std::string>();
    cmd->add_option("name", *name)->required();
    cmd->callback([&ctx, name] {
      auto r = store(ctx).find(*name);
      print_partner(ctx, value_or_fail(r));
    });
  }
  {
    auto* cmd = partner->add_subcommand("rotate", "issue a new token; old ones end after the grace period");
    auto name = std::make_shared<std::string>();
    auto grace = std::make_shared<int>(-1);
    auto days = std::make_shared<int>(-1);
    cmd->add_option("name", *name)->required();
    cmd->add_option("--grace", *grace, "seconds the old tokens keep working (default: auth.rotation_grace_seconds)");
    cmd->add_option("--expires-days", *days, "expiry of the new token in days");
    cmd->callback([&ctx, name, grace, days] {
      int g = *grace >= 0 ? *grace : ctx.config().auth.rotation_grace_seconds;
      auto r = store(ctx).rotate(*name, g, *days >= 0 ? std::optional<int>(*days) : std::nullopt, actor(ctx));
      auto& token = value_or_fail(r);
      announce_token_change(ctx);
      std::cerr << "old tokens of '" << *name << "' stop working in " << g << " s\n";
      print_token(token);
    });
  }
  {
    auto* cmd = partner->add_subcommand("revoke", "disable a partner and all its tokens now");
    auto name = std::make_shared<std::string>();
    cmd->add_option("name", *name)->required();
    cmd->callback([&ctx, name] {
      auto r = store(ctx).revoke(*name, actor(ctx));
      value_or_fail(r);
      announce_token_change(ctx);
      std::cout << "partner '" << *name << "' revoked\n";
    });
  }
  {
    auto* cmd = partner->add_subcommand("scope", "change a partner's scopes and units");
    auto name = std::make_shared<std::string>();
    auto ch = std::make_shared<ScopeChange>();
    cmd->add_option("name", *name)->required();
    cmd->add_option("--add", ch->add_scopes, "scope to grant (repeatable)");
    cmd->add_option("--remove", ch->remove_scopes, "scope to withdraw (repeatable)");
    cmd->add_option("--add-unit", ch->add_units, "unit to allow (repeatable)");
    cmd->add_option("--remove-unit", ch->remove_units, "unit to withdraw (repeatable)");
    cmd->add_flag("--clear-units", ch->clear_units, "remove every unit restriction");
    cmd->callback([&ctx, name, ch] {
      auto r = store(ctx).change_scopes(*name, *ch, actor(ctx));
      auto& p = value_or_fail(r);
      announce_token_change(ctx);
      print_partner(ctx, p);
    });
  }
}

void add_audit_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("audit", "list the audit trail, newest first");
  auto f = std::make_shared<AuditFilter>();
  auto actor_opt = std::make_shared<std::string>();
  auto action_opt = std::make_shared<std::string>();
  auto since_opt = std::make_shared<std::string>();
  auto until_opt = std::make_shared<std::string>();
  cmd->add_option("--actor", *actor_opt, "only this actor (partner name or hubctl:<user>)");
  cmd->add_option("--action", *action_opt, "only this action; a trailing * matches a prefix (auth.*)");
  cmd->add_option("--since", *since_opt, "from this date/time (e.g. 2026-11-01)");
  cmd->add_option("--until", *until_opt, "before this date/time");
  cmd->add_option("--limit", f->limit, "at most this many entries (default 100)")->check(CLI::Range(1, 100000));
  cmd->callback([&ctx, f, actor_opt, action_opt, since_opt, until_opt] {
    if (!actor_opt->empty()) f->actor = *actor_opt;
    if (!action_opt->empty()) f->action = *action_opt;
    if (!since_opt->empty()) f->since = *since_opt;
    if (!until_opt->empty()) f->until = *until_opt;
    std::vector<AuditEntry> entries;
    try {
      entries = AuditLog(ctx.pg()).query(*f);
    } catch (const pqxx::data_exception&) {
      throw CommandFailed(kExitUsage, "--since/--until must be dates or timestamps, e.g. 2026-11-01");
    }
    if (entries.empty()) print_none(ctx, "audit entries match");
    for (const auto& e : entries) {
      if (ctx.json_output) {
        json::JsonWriter w;
        w.begin_object().kv("id", e.id).kv("at", e.at).kv("actor", e.actor).kv("action", e.action)
            .kv("target", e.target).kv("source", e.source).key("detail").raw(e.detail).end_object();
        std::cout << w.str() << "\n";
      } else {
        std::printf("%s  %-22s %-16s %-20s %-16s %s\n", e.at.c_str(), e.actor.c_str(),
                    e.action.c_str(), e.target.c_str(), e.source.c_str(), e.detail.c_str());
      }
    }
  });
}

}  // namespace hub::cli
