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

// Failed authentications: one hash per address and fixed window, and an index of the windows
// by end time. KEYS[1] = index; ARGV = address, window seconds, failure code.
// Returns the address's failures in this window.
constexpr const char* kRecordFailure = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1])
local w = tonumber(ARGV[2])
local start = now - (now % w)
local key = 'hub:authfail:' .. start .. ':' .. ARGV[1]
local n = redis.call('HINCRBY', key, 'failures', 1)
redis.call('HINCRBY', key, 'code:' .. ARGV[3], 1)
if not redis.call('ZSCORE', KEYS[1], key) then
  redis.call('HSET', key, 'address', ARGV[1], 'start', start, 'seconds', w)
  redis.call('ZADD', KEYS[1], start + w, key)
  redis.call('EXPIRE', key, w + 86400)
end
return n
)lua";

// KEYS[1] = index; ARGV = address, window seconds, limit. Returns 0, or the seconds until the
// window ends when the address is over the limit (the attempt is then counted as throttled).
constexpr const char* kCheckFailures = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1])
local w = tonumber(ARGV[2])
local start = now - (now % w)
local key = 'hub:authfail:' .. start .. ':' .. ARGV[1]
local n = tonumber(redis.call('HGET', key, 'failures') or '0')
if n < tonumber(ARGV[3]) then return 0 end
redis.call('HINCRBY', key, 'throttled', 1)
return start + w - now
)lua";

// KEYS[1] = index; ARGV[1] = most windows to take. Removes and returns ended windows, so each
// is reported by one process only.
constexpr const char* kTakeEnded = R"lua(
local t = redis.call('TIME')
local keys = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', tonumber(t[1]), 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, k in ipairs(keys) do
  redis.call('ZREM', KEYS[1], k)
  out[#out + 1] = redis.call('HGETALL', k)
  redis.call('DEL', k)
end
return out
)lua";

constexpr const char* kFailureIndex = "hub:authfail:windows";

[[noreturn]] void bad_reply(const redisReply* r, const char* what) {
  throw RedisUnavailable(std::string("unexpected reply from ") + what + ": " +
                         (r && r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "?"));
}

}  // namespace

int AuthFailureLimiter::blocked_for(const std::string& address) {
  auto r = redis_.eval(kCheckFailures, {kFailureIndex},
                       {address, std::to_string(window_seconds_), std::to_string(limit_)});
  if (r->type != REDIS_REPLY_INTEGER) bad_reply(r.get(), "the authentication throttle");
  return static_cast<int>(r->integer);
}

long long AuthFailureLimiter::record_failure(const std::string& address, const std::string& code) {
  auto r = redis_.eval(kRecordFailure, {kFailureIndex}, {address, std::to_string(window_seconds_), code});
  if (r->type != REDIS_REPLY_INTEGER) bad_reply(r.get(), "the authentication throttle");
  return r->integer;
}

std::vector<AuthFailureLimiter::Window> AuthFailureLimiter::take_ended(int max) {
  auto r = redis_.eval(kTakeEnded, {kFailureIndex}, {std::to_string(max)});
  if (r->type != REDIS_REPLY_ARRAY) bad_reply(r.get(), "the authentication throttle");
  std::vector<Window> out;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* h = r->element[i];
    if (h->type != REDIS_REPLY_ARRAY || h->elements == 0) continue;  // expired meanwhile
    Window w;
    for (size_t k = 0; k + 1 < h->elements; k += 2) {
      std::string field(h->element[k]->str, h->element[k]->len);
      std::string value(h->element[k + 1]->str, h->element[k + 1]->len);
      if (field == "address") w.address = value;
      else if (field == "start") w.start_epoch = std::stoll(value);
      else if (field == "seconds") w.seconds = std::stoi(value);
      else if (field == "failures") w.failures = std::stoll(value);
      else if (field == "throttled") w.throttled = std::stoll(value);
      else if (field.rfind("code:", 0) == 0) w.codes.emplace_back(field.substr(5), std::stoll(value));
    }
    out.push_back(std::move(w));
  }
  return out;
}

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
