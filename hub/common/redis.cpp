#include "hub/common/redis.h"

#include <openssl/sha.h>

#include <cstdio>
#include <regex>

namespace hub {

struct RedisPool::Conn {
  redisContext* ctx = nullptr;
  ~Conn() {
    if (ctx) redisFree(ctx);
  }
};

RedisPool::RedisPool(const std::string& url, int size, std::chrono::milliseconds timeout)
    : size_(size), timeout_(timeout) {
  static const std::regex kUrl(R"(^redis://([^:/]+)(?::(\d+))?(?:/(\d+))?/?$)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) throw std::invalid_argument("malformed Redis URL: " + url);
  host_ = m[1];
  if (m[2].matched) port_ = std::stoi(m[2]);
  if (m[3].matched) db_ = std::stoi(m[3]);
}

RedisPool::~RedisPool() = default;

std::unique_ptr<RedisPool::Conn> RedisPool::take() {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout_ * 4, [&] { return !idle_.empty() || open_ < size_; }))
    throw RedisUnavailable("no free Redis connection");
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  ++open_;
  lock.unlock();
  auto c = std::make_unique<Conn>();
  timeval tv{static_cast<time_t>(timeout_.count() / 1000),
             static_cast<suseconds_t>((timeout_.count() % 1000) * 1000)};
  c->ctx = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (!c->ctx || c->ctx->err) {
    std::string why = c->ctx ? c->ctx->errstr : "out of memory";
    give_back(nullptr, false);
    throw RedisUnavailable("cannot connect to Redis at " + host_ + ":" + std::to_string(port_) +
                           ": " + why);
  }
  redisSetTimeout(c->ctx, tv);
  if (db_ != 0) {
    RedisReply r(static_cast<redisReply*>(redisCommand(c->ctx, "SELECT %d", db_)));
    if (!r || r->type == REDIS_REPLY_ERROR) {
      give_back(nullptr, false);
      throw RedisUnavailable("cannot select Redis database " + std::to_string(db_));
    }
  }
  return c;
}

void RedisPool::give_back(std::unique_ptr<Conn> c, bool healthy) {
  {
    std::lock_guard lock(mu_);
    if (c && healthy) {
      idle_.push_back(std::move(c));
    } else {
      --open_;
    }
  }
  cv_.notify_one();
}

RedisReply RedisPool::command(const std::vector<std::string>& argv) {
  auto c = take();
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  RedisReply r(static_cast<redisReply*>(
      redisCommandArgv(c->ctx, static_cast<int>(args.size()), args.data(), lens.data())));
  if (!r) {
    std::string why = c->ctx->errstr;
    give_back(std::move(c), false);
    throw RedisUnavailable("Redis command failed: " + why);
  }
  give_back(std::move(c), true);
  return r;
}

RedisReply RedisPool::eval(const std::string& script, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(script.data()), script.size(), digest);
  char hex[SHA_DIGEST_LENGTH * 2 + 1];
  for (int i = 0; i < SHA_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);

  std::vector<std::string> argv = {"EVALSHA", hex, std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = command(argv);
  if (r->type == REDIS_REPLY_ERROR && std::string(r->str, r->len).rfind("NOSCRIPT", 0) == 0) {
    argv[0] = "EVAL";
    argv[1] = script;
    r = command(argv);
  }
  return r;
}

bool RedisPool::ping() {
  try {
    auto r = command({"PING"});
    return r->type == REDIS_REPLY_STATUS;
  } catch (const RedisUnavailable&) {
    return false;
  }
}

}  // namespace hub
