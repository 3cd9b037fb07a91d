#include "hub/resolve/redis_lock.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "hub/common/crypto.h"
#include "hub/common/log.h"

namespace hub::resolve {
namespace {

// Takes KEYS in the order given (ascending) with SET NX PX; a key already holding our token is
// extended. Stops at the first key another holder has and returns how many are now ours.
const char* kAcquire = R"lua(
for i = 1, #KEYS do
  if not redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then
    if redis.call('GET', KEYS[i]) ~= ARGV[1] then return i - 1 end
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
  end
end
return #KEYS
)lua";

// Takes each free key (or extends one already ours); 1 per key taken, 0 per key someone holds.
const char* kTryAcquire = R"lua(
local got = {}
for i = 1, #KEYS do
  if redis.call('SET', KEYS[i], ARGV[1], 'NX', 'PX', ARGV[2]) then got[i] = 1
  elseif redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('PEXPIRE', KEYS[i], ARGV[2]); got[i] = 1
  else got[i] = 0 end
end
return got
)lua";

// Compare-and-delete: only keys still holding our token.
const char* kRelease = R"lua(
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]); n = n + 1 end
end
return n
)lua";

// Compare-and-extend; returns how many keys were still ours.
const char* kRenew = R"lua(
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('PEXPIRE', KEYS[i], ARGV[2]); n = n + 1 end
end
return n
)lua";

long long integer_reply(const RedisReply& r, const char* what) {
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  std::string why = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "unexpected reply";
  throw RedisUnavailable(std::string("Redis ") + what + " script failed: " + why);
}

// Redis limits the arguments of one call only by memory, but a huge EVAL blocks every other
// client while it runs: keys go in slices.
constexpr std::size_t kSlice = 1000;

// Compare-and-delete of `keys`; never throws: an unreachable Redis lets the keys expire.
void release_keys(RedisPool& redis, const std::vector<std::string>& keys, const std::string& token) {
  try {
    for (std::size_t i = 0; i < keys.size(); i += kSlice) {
      std::vector<std::string> slice(keys.begin() + i, keys.begin() + std::min(keys.size(), i + kSlice));
      redis.eval(kRelease, slice, {token});
    }
  } catch (const std::exception& e) {
    log::warn("block locks not released; they expire by themselves", {{"error", e.what()}});
  }
}

}  // namespace

LockSet::~LockSet() { release(); }

bool LockSet::renew() {
  if (keys_.empty()) return true;
  long long held = 0;
  for (std::size_t i = 0; i < keys_.size(); i += kSlice) {
    std::vector<std::string> slice(keys_.begin() + i, keys_.begin() + std::min(keys_.size(), i + kSlice));
    held += integer_reply(owner_.redis_.eval(kRenew, slice, {token_, std::to_string(owner_.options_.ttl.count())}),
                          "renew");
  }
  if (held != static_cast<long long>(keys_.size())) lost_ = true;
  return !lost_;
}

void LockSet::release() {
  if (released_) return;
  released_ = true;
  owner_.untrack(this);
  release_keys(owner_.redis_, keys_, token_);
  keys_.clear();
}

void LockSet::keep_only(const std::unordered_set<std::string>& keep) {
  std::vector<std::string> kept, freed;
  {
    std::lock_guard lock(owner_.mu_);  // the renewer reads keys_ under mu_
    for (auto& k : keys_) (keep.count(k) ? kept : freed).push_back(std::move(k));
    keys_ = std::move(kept);
  }
  release_keys(owner_.redis_, freed, token_);
}

BlockLocks::BlockLocks(RedisPool& redis, LockOptions options) : redis_(redis), options_(options) {
  renewer_ = std::thread([this] { renew_loop(); });
}

BlockLocks::~BlockLocks() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  renewer_.join();
}

std::string BlockLocks::key_name(const std::string& entity, std::int64_t block) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(block));
  return "hub:lock:" + entity + ":" + hex;
}

BlockLocks::Outcome BlockLocks::acquire(const std::string& entity, const std::vector<std::int64_t>& blocks,
                                        std::unique_ptr<LockSet>& out) {
  std::vector<std::string> keys;
  keys.reserve(blocks.size());
  for (auto b : blocks) keys.push_back(key_name(entity, b));
  // The fixed global order: every holder takes keys ascending, so no wait cycle can form.
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());

  auto set = std::unique_ptr<LockSet>(new LockSet(*this, crypto::to_hex(crypto::random_bytes(16))));
  track(set.get());
  thread_local std::mt19937 jitter(std::random_device{}());
  auto deadline = std::chrono::steady_clock::now() + options_.max_wait;
  auto backoff = options_.first_backoff;
  std::size_t held = 0;
  const std::string ttl = std::to_string(options_.ttl.count());
  while (held < keys.size()) {
    std::size_t end = std::min(keys.size(), held + kSlice);
    std::vector<std::string> slice(keys.begin() + held, keys.begin() + end);
    long long got = integer_reply(redis_.eval(kAcquire, slice, {set->token_, ttl}), "acquire");
    // Record what is ours before anything can throw, so release() frees it.
    {
      std::lock_guard lock(mu_);  // the renewer reads keys_ under mu_
      set->keys_.insert(set->keys_.end(), slice.begin(), slice.begin() + got);
    }
    held += static_cast<std::size_t>(got);
    if (held == end) {
      backoff = options_.first_backoff;
      continue;
    }
    if (std::chrono::steady_clock::now() + backoff > deadline) {
      set->release();
      return Outcome::kTimedOut;
    }
    std::uniform_int_distribution<long> d(backoff.count() / 2, backoff.count());
    std::this_thread::sleep_for(std::chrono::milliseconds(d(jitter)));
    backoff = std::min(options_.max_backoff, backoff * 2);
  }
  out = std::move(set);
  return Outcome::kAcquired;
}

std::vector<bool> BlockLocks::try_acquire(const std::vector<std::string>& keys, std::unique_ptr<LockSet>& out) {
  if (!out) {
    out = std::unique_ptr<LockSet>(new LockSet(*this, crypto::to_hex(crypto::random_bytes(16))));
    track(out.get());
  }
  std::vector<bool> got(keys.size(), false);
  const std::string ttl = std::to_string(options_.ttl.count());
  for (std::size_t i = 0; i < keys.size(); i += kSlice) {
    std::size_t end = std::min(keys.size(), i + kSlice);
    std::vector<std::string> slice(keys.begin() + i, keys.begin() + end);
    auto reply = redis_.eval(kTryAcquire, slice, {out->token_, ttl});
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != slice.size())
      throw RedisUnavailable("Redis try-acquire script failed: unexpected reply");
    std::lock_guard lock(mu_);  // the renewer reads keys_ under mu_
    for (std::size_t k = 0; k < slice.size(); ++k)
      if (reply->element[k]->type == REDIS_REPLY_INTEGER && reply->element[k]->integer == 1) {
        got[i + k] = true;
        out->keys_.push_back(slice[k]);
      }
  }
  std::lock_guard lock(mu_);
  std::sort(out->keys_.begin(), out->keys_.end());
  out->keys_.erase(std::unique(out->keys_.begin(), out->keys_.end()), out->keys_.end());
  return got;
}

void BlockLocks::track(LockSet* s) {
  std::lock_guard lock(mu_);
  live_.insert(s);
}

void BlockLocks::untrack(LockSet* s) {
  // Waits for a renewal pass in progress, so the renewer never touches a released set.
  std::lock_guard lock(mu_);
  live_.erase(s);
}

void BlockLocks::renew_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.ttl / 3, [&] { return stopping_; });
    if (stopping_) break;
    for (LockSet* s : live_) {
      if (s->lost_) continue;
      try {
        if (!s->renew()) log::warn("block locks lost before renewal; the fencing token will refuse the write", {});
      } catch (const std::exception& e) {
        log::warn("block locks not renewed", {{"error", e.what()}});
      }
    }
  }
}

}  // namespace hub::resolve
