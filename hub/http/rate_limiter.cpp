#include "hub/http/rate_limiter.h"

#include <string>

namespace hub {
namespace {

// Token bucket on Redis's own clock, so hub processes with skewed clocks agree.
// KEYS[1] = bucket, KEYS[2] = epoch; ARGV = rate per second, burst.
// Returns {allowed 0/1, milliseconds until a token is free, epoch}.
constexpr const char* kTokenBucket = R"lua(
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
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
local allowed = 0
local wait_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait_ms = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
return {allowed, wait_ms, epoch}
)lua";

}  // namespace

RateDecision RateLimiter::take(long long partner_id, double rate, double burst) {
  auto reply = redis_.eval(kTokenBucket, {"hub:rl:" + std::to_string(partner_id), kAuthEpochKey},
                           {std::to_string(rate), std::to_string(burst)});
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
    throw RedisUnavailable("unexpected reply from the rate-limit script: " +
                           std::string(reply->type == REDIS_REPLY_ERROR ? reply->str : "?"));
  RateDecision d;
  d.allowed = reply->element[0]->integer == 1;
  d.retry_after_seconds = static_cast<double>(reply->element[1]->integer) / 1000.0;
  d.auth_epoch = reply->element[2]->integer;
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
}

}  // namespace hub
