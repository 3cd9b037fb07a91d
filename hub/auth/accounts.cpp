#include "hub/auth/accounts.h"

#include <algorithm>
#include <regex>

#include "hub/auth/password.h"
#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/common/scopes.h"
#include "hub/store/audit_log.h"

namespace hub::auth {
namespace {

constexpr const char* kUserColumns =
    "u.id, u.login, u.name, u.email, u.role, u.units::text, u.levels::text, u.disabled_at is not null, "
    "to_char(u.created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

// Counts a failure of one key; the window starts with the first failure.
constexpr const char* kCountFailure = R"(
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n)";

// Seconds until the key's window ends when it holds `limit` failures or more, else 0.
constexpr const char* kBlockedFor = R"(
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n < tonumber(ARGV[1]) then return 0 end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 1 then return 1 end
return ttl)";

User user_from_row(const pqxx::row& r) {
  User u;
  u.id = r[0].as<long long>();
  u.login = r[1].c_str();
  u.name = r[2].c_str();
  u.email = r[3].c_str();
  u.role = r[4].c_str();
  u.units = json::parse_string_array(r[5].c_str());
  u.levels = json::parse_string_array(r[6].c_str());
  u.disabled = r[7].as<bool>();
  u.created_at = r[8].c_str();
  return u;
}

std::optional<User> load(pqxx::work& tx, const std::string& login) {
  auto rows = tx.exec_params(std::string("select ") + kUserColumns + " from console_user u where u.login = $1", login);
  if (rows.empty()) return std::nullopt;
  return user_from_row(rows[0]);
}

Error not_found(const std::string& login) {
  return make_error("user.not_found", "no account has the login '" + login + "'", "login");
}

// Keys of the sign-in throttle: the login is hashed so Redis holds no list of logins.
std::string account_key(const std::string& login) {
  return "hub:login:fail:account:" + crypto::to_hex(crypto::sha256(login));
}
std::string address_key(const std::string& client) { return "hub:login:fail:address:" + client; }

long long integer_reply(const RedisReply& r) {
  if (!r || r->type != REDIS_REPLY_INTEGER) throw RedisUnavailable("unexpected reply from the sign-in throttle");
  return r->integer;
}

Status check_new_user(const NewUser& u) {
  static const std::regex kLogin("^[a-z0-9][a-z0-9._-]{1,62}$");
  if (!std::regex_match(u.login, kLogin))
    return make_error("user.login_invalid",
                      "a login is 2 to 63 characters: lower-case letters, digits, '.', '-' and '_', "
                      "starting with a letter or digit",
                      "login");
  if (role_scopes(u.role).empty())
    return make_error("user.role_invalid",
                      "'" + u.role + "' is not a role; use dept_admin, dept_staff, commune_staff or school_staff",
                      "role");
  for (const auto& unit : u.units)
    if (auto st = check_unit(unit); !st) return st.error();
  // Staff of a commune or a school see only their own units: an account without any would see all.
  if ((u.role == "commune_staff" || u.role == "school_staff") && u.units.empty())
    return make_error("user.units_required", "a " + u.role + " account needs at least one unit", "units");
  if (u.role == "school_staff")
    for (const auto& unit : u.units)
      if (unit.rfind("school:", 0) != 0)
        return make_error("user.units_required", "a school_staff account's units are schools (school:<code>)", "units");
  for (const auto& level : u.levels)
    if (level.size() != 2 || !std::all_of(level.begin(), level.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return make_error("user.level_invalid", "'" + level + "' is not a school level code (two digits, e.g. 02)", "levels");
  return Status::Ok();
}

}  // namespace

std::vector<std::string> role_scopes(const std::string& role) {
  if (role == "dept_admin") return {"admin", kReviewScope, kReportsScope, kReportsFreezeScope, "pull:*", "correct:*"};
  if (role == "dept_staff") return {kReviewScope, kReportsScope, kReportsFreezeScope, "pull:*"};
  if (role == "commune_staff" || role == "school_staff") return {kReportsScope, "pull:*", "correct:*"};
  return {};
}

std::string actor_name(const std::string& login) { return "user:" + login; }

Result<User> Accounts::add(const NewUser& u, const std::string& password, const Actor& actor) {
  if (auto st = check_new_user(u); !st) return st.error();
  if (auto st = check_password(password); !st) return st.error();
  std::string hash = hash_password(password);
  return pg_.with_transaction([&](pqxx::work& tx) -> Result<User> {
    auto inserted = tx.exec_params(
        "insert into console_user(login, name, email, role, units, levels, password_hash)"
        " values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7) on conflict (login) do nothing returning id",
        u.login, u.name, u.email, u.role, json::string_array(u.units), json::string_array(u.levels), hash);
    if (inserted.empty()) return make_error("user.exists", "an account with the login '" + u.login + "' exists", "login");
    json::JsonWriter d;
    d.begin_object().kv("role", u.role).key("units").strings(u.units).key("levels").strings(u.levels).end_object();
    AuditLog::record(tx, actor.name, "user.add", u.login, actor.source, d.str());
    return *load(tx, u.login);
  });
}

std::vector<User> Accounts::list() {
  return pg_.with_transaction([&](pqxx::work& tx) {
    std::vector<User> out;
    for (const auto& r : tx.exec(std::string("select ") + kUserColumns + " from console_user u order by u.login"))
      out.push_back(user_from_row(r));
    return out;
  });
}

Result<User> Accounts::disable(const std::string& login, const Actor& actor) {
  return pg_.with_transaction([&](pqxx::work& tx) -> Result<User> {
    auto rows = tx.exec_params(
        "update console_user set disabled_at = coalesce(disabled_at, now()), updated_at = now()"
        " where login = $1 returning id", login);
    if (rows.empty()) return not_found(login);
    auto ended = tx.exec_params("delete from console_session where user_id = $1", rows[0][0].as<long long>());
    json::JsonWriter d;
    d.begin_object().kv("sessions_ended", static_cast<long long>(ended.affected_rows())).end_object();
    AuditLog::record(tx, actor.name, "user.disable", login, actor.source, d.str());
    return *load(tx, login);
  });
}

Result<User> Accounts::reset(const std::string& login, const std::string& password, const Actor& actor) {
  if (auto st = check_password(password); !st) return st.error();
  std::string hash = hash_password(password);
  auto r = pg_.with_transaction([&](pqxx::work& tx) -> Result<User> {
    auto rows = tx.exec_params(
        "update console_user set password_hash = $2, disabled_at = null, updated_at = now()"
        " where login = $1 returning id", login, hash);
    if (rows.empty()) return not_found(login);
    auto ended = tx.exec_params("delete from console_session where user_id = $1", rows[0][0].as<long long>());
    json::JsonWriter d;
    d.begin_object().kv("sessions_ended", static_cast<long long>(ended.affected_rows())).end_object();
    AuditLog::record(tx, actor.name, "user.reset", login, actor.source, d.str());
    return *load(tx, login);
  });
  // A reset is how an operator lets a locked-out person in again.
  if (r) redis_.command({"DEL", account_key(login)});
  return r;
}

int Accounts::throttled_for(const std::string& login, const std::string& client) {
  long long account = integer_reply(
      redis_.eval(kBlockedFor, {account_key(login)}, {std::to_string(limits_.per_account)}));
  long long address = integer_reply(
      redis_.eval(kBlockedFor, {address_key(client)}, {std::to_string(limits_.per_address)}));
  return static_cast<int>(std::max(account, address));
}

void Accounts::count_failure(const std::string& login, const std::string& client) {
  std::string window = std::to_string(limits_.window_seconds);
  integer_reply(redis_.eval(kCountFailure, {account_key(login)}, {window}));
  integer_reply(redis_.eval(kCountFailure, {address_key(client)}, {window}));
}

Result<NewSession> Accounts::login(const std::string& login, const std::string& password, const std::string& client) {
  if (int wait = throttled_for(login, client); wait > 0) {
    pg_.with_transaction([&](pqxx::work& tx) {
      AuditLog::record(tx, "anonymous", "user.login_throttled", login, client, "{}");
    });
    return make_error("user.login_throttled",
                      "too many failed sign-ins for this account or from this address; retry after " +
                          std::to_string(wait) + " s",
                      std::to_string(wait));
  }
  struct Found {
    User user;
    std::string hash;
  };
  auto found = pg_.with_transaction([&](pqxx::work& tx) -> std::optional<Found> {
    auto rows = tx.exec_params(std::string("select ") + kUserColumns +
                                   ", u.password_hash from console_user u where u.login = $1", login);
    if (rows.empty()) return std::nullopt;
    return Found{user_from_row(rows[0]), rows[0][9].c_str()};
  });
  bool ok = false;
  if (found && password.size() <= kMaxPasswordLength) ok = verify_password(found->hash, password);
  else burn_password_time(password.substr(0, kMaxPasswordLength));
  if (!ok || found->user.disabled) {
    count_failure(login, client);
    pg_.with_transaction([&](pqxx::work& tx) {
      json::JsonWriter d;
      d.begin_object().kv("reason", !found ? "unknown_login" : !ok ? "bad_password" : "disabled").end_object();
      AuditLog::record(tx, "anonymous", "user.login_failed", login, client, d.str());
    });
    return make_error("user.login_failed", "the login or the password is wrong, or the account is disabled", "login");
  }
  redis_.command({"DEL", account_key(login)});
  NewSession s;
  s.id = crypto::base64url(crypto::random_bytes(32));
  s.csrf_token = crypto::base64url(crypto::random_bytes(32));
  s.max_age_seconds = session_seconds_;
  s.user = found->user;
  pg_.with_transaction([&](pqxx::work& tx) {
    tx.exec_params(
        "insert into console_session(id_hash, user_id, csrf_token, expires_at, client)"
        " values ($1, $2, $3, now() + make_interval(secs => $4), $5)",
        pqxx::binarystring(crypto::sha256(s.id)), s.user.id, s.csrf_token, session_seconds_, client);
    tx.exec("delete from console_session where expires_at < now() - interval '1 day'");
    AuditLog::record(tx, actor_name(login), "user.login", login, client, "{}");
  });
  return s;
}

std::optional<SessionGrant> Accounts::session(const std::string& cookie_value) {
  if (cookie_value.empty() || cookie_value.size() > 128) return std::nullopt;
  return session_by_hash(crypto::sha256(cookie_value));
}

std::optional<SessionGrant> Accounts::session_by_hash(const std::string& hash) {
  return pg_.with_transaction([&](pqxx::work& tx) -> std::optional<SessionGrant> {
    auto rows = tx.exec_params(std::string("select ") + kUserColumns +
                                   ", s.csrf_token, s.id_hash from console_session s"
                                   " join console_user u on u.id = s.user_id"
                                   " where s.id_hash = $1 and s.expires_at > now() and u.disabled_at is null",
                               pqxx::binarystring(hash));
    if (rows.empty()) return std::nullopt;
    pqxx::binarystring stored(rows[0][10]);
    if (!crypto::constant_time_equal(stored.str(), hash)) return std::nullopt;
    return SessionGrant{user_from_row(rows[0]), hash, rows[0][9].c_str()};
  });
}

void Accounts::logout(const SessionGrant& s, const std::string& client) {
  pg_.with_transaction([&](pqxx::work& tx) {
    tx.exec_params("delete from console_session where id_hash = $1", pqxx::binarystring(s.id_hash));
    AuditLog::record(tx, actor_name(s.user.login), "user.logout", s.user.login, client, "{}");
  });
}

long long Accounts::logout_everywhere(const SessionGrant& s, const std::string& client) {
  return pg_.with_transaction([&](pqxx::work& tx) {
    auto r = tx.exec_params("delete from console_session where user_id = $1", s.user.id);
    long long n = static_cast<long long>(r.affected_rows());
    json::JsonWriter d;
    d.begin_object().kv("sessions_ended", n).end_object();
    AuditLog::record(tx, actor_name(s.user.login), "user.logout_everywhere", s.user.login, client, d.str());
    return n;
  });
}

}  // namespace hub::auth
