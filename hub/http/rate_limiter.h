#pragma once
// RateLimiter: a token bucket per partner kept in Redis, so the limit holds across every hub
// process. To keep Redis off the per-request path, each process takes a few tokens at a time
// (about 50 ms worth, at most 64, a single one for slow partners) and spends them locally for
// at most 100 ms; the bucket in Redis stays the one truth, so the processes together never
// exceed it. Every call to Redis also returns the revocation epoch. Thread-safe.

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hub/common/redis.h"

namespace hub {

struct RateDecision {
  bool allowed = true;
  double retry_after_seconds = 0;  // when refused: wait this long for one token
  bool asked_redis = false;        // false when served from this process's reserved tokens
  long long auth_epoch = 0;        // the revocation epoch: now when asked_redis, else when the
                                   // reserved tokens were granted
};

class RateLimiter {
 public:
  explicit RateLimiter(RedisPool& redis) : redis_(redis) {}
  // Takes one token from the partner's bucket. Throws RedisUnavailable.
  RateDecision take(long long partner_id, double rate_per_second, double burst);

 private:
  struct Reserved {
    int tokens = 0;
    std::chrono::steady_clock::time_point until;
    long long auth_epoch = 0;  // as Redis gave it with these tokens
  };
  RedisPool& redis_;
  std::mutex mu_;
  std::unordered_map<long long, Reserved> reserved_;
};

// AuthFailureLimiter: failed authentications per client address, counted in Redis in fixed
// windows (Redis's clock) so that the limit holds across every hub process. An address over
// the limit is refused until its window ends, before any token is checked. Each window is
// reported once, across all processes, when it has ended (take_ended), so the audit log holds
// one row per address and window rather than one per failure. Thread-safe.
class AuthFailureLimiter {
 public:
  AuthFailureLimiter(RedisPool& redis, int limit, int window_seconds)
      : redis_(redis), limit_(limit), window_seconds_(window_seconds) {}

  // Seconds until `address` may try again, 0 when it may now. An attempt refused this way is
  // counted as "throttled" in the window. Throws RedisUnavailable.
  int blocked_for(const std::string& address);
  // Counts a failure; returns the number of failures of the address in this window.
  long long record_failure(const std::string& address, const std::string& code);

  struct Window {
    std::string address;
    long long start_epoch = 0;  // seconds since 1970, UTC
    int seconds = 0;
    long long failures = 0;
    long long throttled = 0;
    std::vector<std::pair<std::string, long long>> codes;  // failure code -> count
  };
  // Windows that have ended, each handed to exactly one caller. Throws RedisUnavailable.
  std::vector<Window> take_ended(int max);

 private:
  RedisPool& redis_;
  const int limit_;
  const int window_seconds_;
};

// Redis key of the revocation epoch and the channel that announces its changes; every revoke,
// rotation and scope change bumps the epoch and publishes on the channel.
inline constexpr const char* kAuthEpochKey = "hub:auth:epoch";
inline constexpr const char* kAuthChannel = "hub:auth:changes";
// Reads the epoch (0 when absent, e.g. after Redis lost its data). Throws RedisUnavailable.
long long read_auth_epoch(RedisPool& redis);
// Bumps the epoch and announces it, so every hub process drops its token cache now. Returns
// once every rate-limit reservation granted before the bump has expired (0.1 s): from then on
// each request sees the new epoch, from Redis or from a reservation granted after the bump,
// even on a hub whose announcement is late.
void bump_auth_epoch(RedisPool& redis);

}  // namespace hub
