#pragma once
// PartnerStore: partners (vendor systems, the warehouse, ops tools) and their tokens, in
// PostgreSQL. A token is 256 bits from the CSPRNG, shown once, stored only as its SHA-256.
// Every change writes an audit row in the same transaction. Used alike by hubctl and the admin
// HTTP API. Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "hub/common/result.h"
#include "hub/store/audit_log.h"
#include "hub/store/pg_pool.h"

namespace hub {

struct Partner {
  long long id = 0;
  std::string name;
  std::string display_name;
  std::vector<std::string> scopes;
  std::vector<std::string> units;
  std::optional<double> rate_per_second;
  std::optional<double> burst;
  std::string created_at;
  std::optional<std::string> revoked_at;
  int active_tokens = 0;
};

struct IssuedToken {
  std::string token;  // the secret: show once, never log
  long long token_id = 0;
  std::optional<std::string> expires_at;
};

struct Actor {
  std::string name;    // "hubctl:<user>" or the admin partner's name
  std::string source;  // host or client address
};

struct NewPartner {
  std::string name;
  std::string display_name;
  std::vector<std::string> scopes;
  std::vector<std::string> units;
  std::optional<int> expires_in_days;  // token expiry; nullopt = the configured default
  std::optional<double> rate_per_second;
  std::optional<double> burst;
};

struct ScopeChange {
  std::vector<std::string> add_scopes;
  std::vector<std::string> remove_scopes;
  std::vector<std::string> add_units;
  std::vector<std::string> remove_units;
  bool clear_units = false;
};

// What authentication learns from a token's hash.
struct TokenGrant {
  Partner partner;
  long long token_id = 0;
  std::optional<double> expires_at_epoch;  // seconds since 1970, UTC
};

class PartnerStore {
 public:
  PartnerStore(PgPool& pool, int default_token_ttl_days)
      : pool_(pool), default_ttl_days_(default_token_ttl_days) {}

  // Errors: partner.name_invalid, partner.exists, scope.invalid, unit.invalid.
  Result<std::pair<Partner, IssuedToken>> add(const NewPartner& p, const Actor& actor);
  std::vector<Partner> list();
  Result<Partner> find(const std::string& name);  // partner.not_found
  // Issues a new token; tokens issued before keep working for grace_seconds (0: stop now).
  Result<IssuedToken> rotate(const std::string& name, int grace_seconds,
                             std::optional<int> expires_in_days, const Actor& actor);
  // Disables the partner and all its tokens at once.
  Result<Partner> revoke(const std::string& name, const Actor& actor);
  Result<Partner> change_scopes(const std::string& name, const ScopeChange& change,
                                const Actor& actor);
  // Valid (not revoked, not expired) token of an active partner, or nullopt.
  std::optional<TokenGrant> find_by_token_hash(const std::string& sha256);

  static std::string new_token();

 private:
  IssuedToken issue_token(pqxx::work& tx, long long partner_id, std::optional<int> days,
                          const Actor& actor);
  PgPool& pool_;
  int default_ttl_days_;
};

}  // namespace hub
