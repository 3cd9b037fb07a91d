#pragma once
// Authenticator: turns "Authorization: Bearer <token>" into a Principal and applies the
// partner's rate limit. Verified tokens are cached per process for auth.cache_seconds. Every
// revoke, rotation and scope change bumps an epoch in Redis and announces it; the announcement
// (RevocationFeed) drops the cache of every hub process at once, and whenever the hub talks to
// Redis anyway the epoch is compared too. While the announcements cannot be received, the epoch
// is read on every request instead. Failures are audited (never with the token). Thread-safe.

#include <chrono>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hub/common/config.h"
#include "hub/http/rate_limiter.h"
#include "hub/http/revocation_feed.h"
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
  ~Authenticator();

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
  // Stores the entry unless the cache was dropped since `generation` was read: a grant read
  // before a revocation must not outlive its announcement.
  void remember(const std::string& hash, CacheEntry entry, long long generation);
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
  long long generation_ = 0;  // bumped by forget_all, under mu_
  RevocationFeed feed_;
};

}  // namespace hub
