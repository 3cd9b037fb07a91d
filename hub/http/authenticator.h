#pragma once
// Authenticator: turns "Authorization: Bearer <token>" into a Principal and applies the
// partner's rate limit. Verified tokens are cached per process for auth.cache_seconds. Every
// revoke, rotation and scope change bumps an epoch in Redis and announces it; the announcement
// (RevocationFeed) drops the cache of every hub process at once, and whenever the hub talks to
// Redis anyway the epoch is compared too. While the announcements cannot be received, the epoch
// is read on every request instead.
//
// Failed authentications are counted per client address (AuthFailureLimiter, in Redis): an
// address over auth.failure_limit in a window gets 429 auth.throttled until the window ends,
// before its token is looked up (a token this process verified recently still passes: it is no
// guess). The audit log gets the first failure of each address and window at once, then one
// row with the window's counts when it ends (written by whichever hub process takes it), never
// the token. Thread-safe.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
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
  // Set when a person signed in to the console made the request (hub/auth/accounts.h): their
  // id and login, school levels and the SHA-256 of their session id (partner_id is 0: a person
  // is no partner). Empty for a partner token.
  long long user_id = 0;
  std::string user;
  std::vector<std::string> levels;
  std::string session_hash;
};

class Authenticator {
 public:
  Authenticator(PartnerStore& partners, AuditLog& audit, RedisPool& redis, const Config& config);
  ~Authenticator();

  // Throws ProblemError: 401 (missing/invalid/expired/revoked), 429 (rate), 503 (PostgreSQL or
  // Redis unreachable).
  Principal authenticate(std::string_view authorization, const std::string& client,
                         const std::string& route);

  // Seconds `client` must still wait, if this process refused it with 429 auth.throttled within
  // its window: lets the server refuse an upload before reading its body. No Redis call.
  std::optional<int> throttled_locally(const std::string& client);

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
  [[noreturn]] void throttle(const std::string& client, int wait_seconds);
  // Writes the audit rows of ended failure windows (a background thread, every second).
  void report_failures();
  void write_failure_window(const AuthFailureLimiter::Window& w);

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
  AuthFailureLimiter failures_;
  std::mutex throttled_mu_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> throttled_;
  std::vector<AuthFailureLimiter::Window> unreported_;  // windows whose audit row failed; retried
  std::mutex reporter_mu_;
  std::condition_variable reporter_cv_;
  bool stopping_ = false;
  std::thread reporter_;
};

}  // namespace hub
