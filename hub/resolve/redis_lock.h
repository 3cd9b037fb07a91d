#pragma once
// BlockLocks: Redis locks on blocking keys, so two hub processes never resolve the same person
// at the same moment. Each key is taken with SET NX PX and a random token of its holder;
// release and renewal are compare-and-act Lua scripts (only the holder's token deletes or
// extends). Keys are always taken in ascending order, so two holders waiting on each other
// cannot deadlock; a holder that cannot get a key within the bounded wait gives up. Locks are
// for speed, not truth: a holder can stall past its expiry, which is why every write is also
// checked against a PostgreSQL fencing token (ProbabilisticResolver). A background thread
// renews the locks of live holders. Thread-safe; a LockSet is used by one thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "hub/common/redis.h"

namespace hub::resolve {

struct LockOptions {
  std::chrono::milliseconds ttl{10000};       // expiry of each key unless renewed
  std::chrono::milliseconds max_wait{8000};   // bounded wait for all keys of one acquire
  std::chrono::milliseconds first_backoff{5};
  std::chrono::milliseconds max_backoff{200};
};

class BlockLocks;

// The keys one holder took; released when destroyed (or explicitly).
class LockSet {
 public:
  ~LockSet();
  LockSet(const LockSet&) = delete;
  LockSet& operator=(const LockSet&) = delete;

  const std::string& token() const { return token_; }
  std::size_t size() const { return keys_.size(); }
  // Extends every key; false when any of them is no longer ours (expired, taken over).
  // Throws RedisUnavailable.
  bool renew();
  void release();  // never throws: an unreachable Redis lets the keys expire
  // Releases the keys not in `keep` (never throws, like release()).
  void keep_only(const std::unordered_set<std::string>& keep);
  bool lost() const { return lost_; }

 private:
  friend class BlockLocks;
  LockSet(BlockLocks& owner, std::string token) : owner_(owner), token_(std::move(token)) {}
  BlockLocks& owner_;
  std::string token_;
  std::vector<std::string> keys_;  // Redis key names, ascending
  std::atomic<bool> lost_{false};
  bool released_ = false;
};

class BlockLocks {
 public:
  BlockLocks(RedisPool& redis, LockOptions options);
  ~BlockLocks();

  enum class Outcome { kAcquired, kTimedOut };
  // Takes every key of `blocks` (entity-qualified, duplicates allowed) in ascending order,
  // waiting with exponential backoff and jitter up to max_wait. On a timeout nothing is held.
  // Throws RedisUnavailable when Redis cannot be reached (nothing is held either).
  Outcome acquire(const std::string& entity, const std::vector<std::int64_t>& blocks,
                  std::unique_ptr<LockSet>& out);

  // Takes, without waiting, whichever of `keys` (Redis key names from key_name) are free or
  // already held with this set's token, and says which. Throws RedisUnavailable.
  std::vector<bool> try_acquire(const std::vector<std::string>& keys, std::unique_ptr<LockSet>& out);

  // The Redis key of a block: hub:lock:<entity>:<16 hex digits>.
  static std::string key_name(const std::string& entity, std::int64_t block);
  const LockOptions& options() const { return options_; }

 private:
  friend class LockSet;
  void track(LockSet* s);
  void untrack(LockSet* s);
  void renew_loop();

  RedisPool& redis_;
  LockOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<LockSet*> live_;
  bool stopping_ = false;
  std::thread renewer_;
};

}  // namespace hub::resolve
