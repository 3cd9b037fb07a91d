// hubctl user add|list|disable|reset: personal accounts of the web console (hub/auth/accounts.h).
// A password is read from stdin (--password-stdin), never from the command line, where other
// users of the machine and the shell history would see it.

#include <iostream>

#include "hub/auth/accounts.h"
#include "hub/common/json.h"
#include "hub/tools/cli_context.h"

namespace hub::cli {
namespace {

auth::Accounts accounts(CliContext& ctx) {
  const auto& a = ctx.config().auth;
  return auth::Accounts(ctx.pg(), ctx.redis(), a.session_seconds,
                        {a.login_account_limit, a.login_address_limit, a.login_window_seconds});
}

Actor actor(CliContext& ctx) { return Actor{ctx.actor_name(), ctx.host()}; }

// The first line of stdin, without its line end.
std::string read_password() {
  std::string line;
  if (!std::getline(std::cin, line)) throw CommandFailed(kExitUsage, "no password on stdin");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

template <class T>
T& value_or_fail(Result<T>& r) {
  if (!r) throw CommandFailed(kExitFailed, r.error().message + " [" + r.error().code + "]");
  return r.value();
}

std::string join(const std::vector<std::string>& v, const char* none) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out.empty() ? none : out;
}

void print_user(CliContext& ctx, const auth::User& u) {
  if (ctx.json_output) {
    json::JsonWriter w;
    w.begin_object().kv("login", u.login).kv("name", u.name).kv("email", u.email).kv("role", u.role)
        .key("units").strings(u.units).key("levels").strings(u.levels).kv("disabled", u.disabled)
        .kv("created_at", u.created_at).end_object();
    std::cout << w.str() << "\n";
    return;
  }
  std::cout << u.login << "\t" << u.role << "\t" << join(u.units, "all-units") << "\t"
            << join(u.levels, "all-levels") << "\t" << (u.disabled ? "disabled" : "active") << "\t" << u.name
            << "\n";
}

}  // namespace

void add_user_commands(CLI::App& app, CliContext& ctx) {
  auto* user = app.add_subcommand("user", "manage the personal accounts of the web console");
  user->require_subcommand(1);
  {
    auto* cmd = user->add_subcommand("add", "add an account; its password is read from stdin");
    auto nu = std::make_shared<auth::NewUser>();
    auto from_stdin = std::make_shared<bool>(false);
    cmd->add_option("login", nu->login, "login: lower-case letters, digits, '.', '-' and '_'")->required();
    cmd->add_option("--role", nu->role, "dept_admin | dept_staff | commune_staff | school_staff")->required();
    cmd->add_option("--units", nu->units, "province:<code> | commune:<code> | school:<code> (several allowed)");
    cmd->add_option("--levels", nu->levels, "school level codes, e.g. 01 02 (default: all)");
    cmd->add_option("--name", nu->name, "the person's full name");
    cmd->add_option("--email", nu->email, "the person's e-mail address");
    cmd->add_flag("--password-stdin", *from_stdin, "read the password from the first line of stdin")->required();
    cmd->callback([&ctx, nu] {
      std::string password = read_password();
      auto r = accounts(ctx).add(*nu, password, actor(ctx));
      print_user(ctx, value_or_fail(r));
    });
  }
  {
    auto* cmd = user->add_subcommand("list", "list the accounts");
    cmd->callback([&ctx] {
      auto users = accounts(ctx).list();
      if (users.empty()) print_none(ctx, "no accounts");
      for (const auto& u : users) print_user(ctx, u);
    });
  }
  {
    auto* cmd = user->add_subcommand("disable", "disable an account and end its sessions");
    auto login = std::make_shared<std::string>();
    cmd->add_option("login", *login, "the account's login")->required();
    cmd->callback([&ctx, login] {
      auto r = accounts(ctx).disable(*login, actor(ctx));
      print_user(ctx, value_or_fail(r));
    });
  }
  {
    auto* cmd = user->add_subcommand("reset", "set a new password (from stdin), enable the account, end its sessions");
    auto login = std::make_shared<std::string>();
    auto from_stdin = std::make_shared<bool>(false);
    cmd->add_option("login", *login, "the account's login")->required();
    cmd->add_flag("--password-stdin", *from_stdin, "read the password from the first line of stdin")->required();
    cmd->callback([&ctx, login] {
      std::string password = read_password();
      auto r = accounts(ctx).reset(*login, password, actor(ctx));
      print_user(ctx, value_or_fail(r));
    });
  }
}

}  // namespace hub::cli
