#pragma once
// Authenticator: turns "Authorization: Bearer <token>" into a Principal and applies the
// partner's rate limit. Verified tokens are cached per process for auth.cache_seconds; the
// cache is dropped whenever the revocation epoch in Redis changes (every revoke and rotation
// bumps it), so revocation takes effect at once on every hub process. Failures are audited
// (never with the token). Thread-safe.

#include <chrono>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hub/common/config.h"
#include "hub/http/rate_limiter.h"
#include "hub/store/audit_log.h"
#include "hub/store/partner_store.h"

namespace hub {

struct Principal {
  long long partner_id = 0;
  std::string name;
  std::vector<std::string> scopes;
  std::vector<std::string> units;
};

class Authenticator {
 public:
  Authenticator(PartnerStore& partners, AuditLog& audit, RedisPool& redis, const Config& config);

  // Throws ProblemError: 401 (missing/invalid/expired/revoked), 429 (rate), 503 (PostgreSQL or
  // Redis unreachable).
  Principal authenticate(std::string_view authorization, const std::string& client,
                         const std::string& route);

 private:
  struct CacheEntry {
    TokenGrant grant;
    long long epoch = 0;
    std::chrono::steady_clock::time_point cached_at;
  };
  std::optional<CacheEntry> cached(const std::string& hash);
  void remember(const std::string& hash, CacheEntry entry);
  void forget_all();
  [[noreturn]] void refuse(const std::string& code, const std::string& detail,
                           const std::string& client, const std::string& route,
                           const std::string& partner = {});

  PartnerStore& partners_;
  AuditLog& audit_;
  RedisPool& redis_;
  RateLimiter limiter_;
  std::chrono::seconds cache_ttl_;
  double default_rate_;
  double default_burst_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, CacheEntry> cache_;
};

}  // namespace hub
