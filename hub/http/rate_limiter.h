#pragma once
// RateLimiter: a token bucket per partner kept in Redis, so the limit holds across every hub
// process. One round trip per request, which also returns the revocation epoch (see
// Authenticator), so authentication adds no further Redis call. Thread-safe.

#include <string>

#include "hub/common/redis.h"

namespace hub {

struct RateDecision {
  bool allowed = true;
  double retry_after_seconds = 0;  // when refused: wait this long for one token
  long long auth_epoch = 0;        // current value of the revocation epoch
};

class RateLimiter {
 public:
  explicit RateLimiter(RedisPool& redis) : redis_(redis) {}
  // Takes one token from the partner's bucket. Throws RedisUnavailable.
  RateDecision take(long long partner_id, double rate_per_second, double burst);

 private:
  RedisPool& redis_;
};

// Redis key of the revocation epoch; every revoke or rotation increments it.
inline constexpr const char* kAuthEpochKey = "hub:auth:epoch";
// Reads the epoch (0 when absent, e.g. after Redis lost its data). Throws RedisUnavailable.
long long read_auth_epoch(RedisPool& redis);
// Bumps the epoch so every hub process drops its token cache now.
void bump_auth_epoch(RedisPool& redis);

}  // namespace hub
