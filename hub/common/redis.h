#pragma once
// RedisPool: a pool of hiredis connections (rate limits, revocation epoch, locks, caches).
// Redis is for speed, never for truth: when it cannot be reached, callers get RedisUnavailable
// and answer 503 rather than risk a wrong answer. Connections are made lazily and dropped on
// error, so the hub recovers by itself when Redis returns. Thread-safe.

#include <hiredis/hiredis.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace hub {

struct RedisUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RedisReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

class RedisPool {
 public:
  // url: redis://host:port/db. Throws std::invalid_argument on a malformed URL.
  RedisPool(const std::string& url, int size, std::chrono::milliseconds timeout);
  ~RedisPool();
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  // Runs one command (argv form: no quoting issues). Throws RedisUnavailable on connection
  // errors and timeouts; a Redis error reply (REDIS_REPLY_ERROR) is returned, not thrown.
  RedisReply command(const std::vector<std::string>& argv);

  // EVALSHA with a fallback to EVAL when the script is not cached (e.g. after a Redis restart).
  RedisReply eval(const std::string& script, const std::vector<std::string>& keys,
                  const std::vector<std::string>& args);

  bool ping();

 private:
  struct Conn;
  std::unique_ptr<Conn> take();
  void give_back(std::unique_ptr<Conn> c, bool healthy);

  std::string host_;
  int port_ = 6379;
  int db_ = 0;
  int size_;
  std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  int open_ = 0;
};

}  // namespace hub
