#pragma once
// Accounts: personal accounts of the people who run the data (department, commune and school
// staff) and their console sessions, in PostgreSQL (migration 0022). A person signs in with a
// login and a password (Argon2id, hub/auth/password.h) and gets a session: a 256-bit id sent only
// in an HttpOnly cookie and stored only as its SHA-256, an absolute expiry, and a CSRF token that
// every state-changing request made with the cookie must send back. Failed sign-ins are counted
// in Redis per account and per client address (across hub processes); over the limit the login
// is refused with 429 before the password is checked. Disabling an account, resetting its
// password or "sign out everywhere" ends all its sessions at once (sessions are read from
// PostgreSQL on every request, never cached).
//
// A role maps onto the scopes partners use (hub/common/scopes.h), so every existing route that
// accepts a partner token accepts a session alike, with the same unit limits:
//   dept_admin    admin, review, reports:read, reports:freeze, pull:*, correct:*  (every unit)
//   dept_staff    review, reports:read, reports:freeze, pull:*         (every unit unless limited)
//   commune_staff reports:read, pull:*, correct:*                      (its communes/schools only)
//   school_staff  reports:read, pull:*, correct:*                      (its schools only)
// Every change writes an audit row naming the person (actor "user:<login>"). Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "hub/common/redis.h"
#include "hub/common/result.h"
#include "hub/store/partner_store.h"
#include "hub/store/pg_pool.h"

namespace hub::auth {

inline constexpr const char* kSessionCookie = "hub_session";
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";

// What a person is given when an account is made (hubctl user add, the console).
struct NewUser {
  std::string login;
  std::string name;
  std::string email;
  std::string role;
  std::vector<std::string> units;   // the units the role is limited to (empty: every unit)
  std::vector<std::string> levels;  // school levels the role is limited to (empty: every level)
};

// A stored account: what it was given, and what the hub keeps about it.
struct User : NewUser {
  long long id = 0;
  bool disabled = false;
  std::string created_at;
};

// A session just made: `id` is the secret for the cookie (never log it).
struct NewSession {
  std::string id;
  std::string csrf_token;
  long long max_age_seconds = 0;
  User user;
};

// What a valid session cookie grants.
struct SessionGrant {
  User user;
  std::string id_hash;  // SHA-256 of the session id, raw bytes
  std::string csrf_token;
};

struct LoginLimits {
  int per_account = 5;        // failures of one login per window before 429
  int per_address = 20;       // failures from one client address per window before 429
  int window_seconds = 900;
};

// The scopes a role grants (empty for an unknown role).
std::vector<std::string> role_scopes(const std::string& role);
// "user:<login>": the actor of audit rows and the Principal name of a session.
std::string actor_name(const std::string& login);

class Accounts {
 public:
  Accounts(PgPool& pg, RedisPool& redis, int session_seconds, LoginLimits limits)
      : pg_(pg), redis_(redis), session_seconds_(session_seconds), limits_(limits) {}

  // Errors: user.login_invalid, user.role_invalid, user.units_required, unit.invalid,
  // user.level_invalid, user.password_weak, user.exists.
  Result<User> add(const NewUser& u, const std::string& password, const Actor& actor);
  std::vector<User> list();
  // Disables the account and ends its sessions. Error user.not_found.
  Result<User> disable(const std::string& login, const Actor& actor);
  // Sets a new password, enables the account again and ends its sessions.
  Result<User> reset(const std::string& login, const std::string& password, const Actor& actor);

  // Errors: user.login_throttled (with the seconds to wait in Error::path), user.login_failed
  // (unknown login, wrong password or disabled account: the same answer for all three).
  // Throws RedisUnavailable / DatabaseUnavailable.
  Result<NewSession> login(const std::string& login, const std::string& password, const std::string& client);
  // The session of a cookie value, if it is valid and its account enabled.
  std::optional<SessionGrant> session(const std::string& cookie_value);
  // The same, by the SHA-256 of the session id (raw bytes).
  std::optional<SessionGrant> session_by_hash(const std::string& id_hash);
  void logout(const SessionGrant& s, const std::string& client);
  // Ends every session of the account; returns how many.
  long long logout_everywhere(const SessionGrant& s, const std::string& client);

  int session_seconds() const { return session_seconds_; }

 private:
  // Seconds to wait when the account or the address is over its limit, else 0.
  int throttled_for(const std::string& login, const std::string& client);
  void count_failure(const std::string& login, const std::string& client);

  PgPool& pg_;
  RedisPool& redis_;
  int session_seconds_;
  LoginLimits limits_;
};

}  // namespace hub::auth
