#include "hub/http/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <thread>

namespace hub {
namespace {

constexpr auto kReservationLife = std::chrono::milliseconds(100);
constexpr int kMaxReservation = 64;

// Token bucket on Redis's own clock, so hub processes with skewed clocks agree.
// KEYS[1] = bucket, KEYS[2] = epoch; ARGV = rate per second, burst, tokens wanted.
// Returns {tokens granted (0 = refused), milliseconds until one token is free, epoch}.
constexpr const char* kTokenBucket = R"lua(
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
local granted = 0
local wait_ms = 0
if tokens >= 1 then
  granted = math.min(want, math.floor(tokens))
  tokens = tokens - granted
else
  wait_ms = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
return {granted, wait_ms, epoch}
)lua";

}  // namespace

RateDecision RateLimiter::take(long long partner_id, double rate, double burst) {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = reserved_.find(partner_id);
    if (it != reserved_.end() && it->second.tokens > 0 && now < it->second.until) {
      --it->second.tokens;
      return RateDecision{true, 0, false, it->second.auth_epoch};
    }
  }
  // About 50 ms worth of tokens, never more than a quarter of the burst, at least one.
  int want = static_cast<int>(std::clamp(std::floor(std::min(rate * 0.05, burst / 4)), 1.0,
                                         static_cast<double>(kMaxReservation)));
  auto reply = redis_.eval(kTokenBucket, {"hub:rl:" + std::to_string(partner_id), kAuthEpochKey},
                           {std::to_string(rate), std::to_string(burst), std::to_string(want)});
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
    throw RedisUnavailable("unexpected reply from the rate-limit script: " +
                           std::string(reply->type == REDIS_REPLY_ERROR ? reply->str : "?"));
  RateDecision d;
  d.asked_redis = true;
  long long granted = reply->element[0]->integer;
  d.allowed = granted >= 1;
  d.retry_after_seconds = static_cast<double>(reply->element[1]->integer) / 1000.0;
  d.auth_epoch = reply->element[2]->integer;
  if (granted > 1) {
    std::lock_guard lock(mu_);
    reserved_[partner_id] = Reserved{static_cast<int>(granted - 1), now + kReservationLife, d.auth_epoch};
  }
  return d;
}

long long read_auth_epoch(RedisPool& redis) {
  auto r = redis.command({"GET", kAuthEpochKey});
  if (r->type == REDIS_REPLY_STRING) return std::stoll(std::string(r->str, r->len));
  return 0;
}

void bump_auth_epoch(RedisPool& redis) {
  auto r = redis.command({"INCR", kAuthEpochKey});
  if (r->type == REDIS_REPLY_ERROR) throw RedisUnavailable(std::string(r->str, r->len));
  redis.command({"PUBLISH", kAuthChannel, std::to_string(r->integer)});
  std::this_thread::sleep_for(kReservationLife + std::chrono::milliseconds(20));
}

}  // namespace hub
