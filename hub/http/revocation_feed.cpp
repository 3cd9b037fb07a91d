#include "hub/http/revocation_feed.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <chrono>
#include <regex>

#include "hub/common/log.h"
#include "hub/http/rate_limiter.h"

namespace hub {

RevocationFeed::RevocationFeed(std::string redis_url, std::function<void()> on_change)
    : on_change_(std::move(on_change)) {
  static const std::regex kUrl(R"(^redis://([^:/]+)(?::(\d+))?(?:/(\d+))?/?$)");
  std::smatch m;
  if (std::regex_match(redis_url, m, kUrl)) {
    host_ = m[1];
    if (m[2].matched) port_ = std::stoi(m[2]);
  }
}

RevocationFeed::~RevocationFeed() { stop(); }

void RevocationFeed::start() { thread_ = std::thread([this] { run(); }); }

void RevocationFeed::stop() {
  stopping_ = true;
  int fd = fd_.load();
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);  // unblocks the waiting read
  if (thread_.joinable()) thread_.join();
}

void RevocationFeed::run() {
  bool warned = false;
  while (!stopping_) {
    timeval connect_timeout{1, 0};
    redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, connect_timeout);
    if (c && !c->err) {
      // Blocking reads from here on: announcements are rare, and stop() closes the socket.
      timeval none{0, 0};
      redisSetTimeout(c, none);
      redisEnableKeepAlive(c);
      auto* reply = static_cast<redisReply*>(redisCommand(c, "SUBSCRIBE %s", kAuthChannel));
      if (reply) {
        freeReplyObject(reply);
        fd_ = c->fd;
        on_change_();  // anything announced while we were away is covered by dropping it all
        live_ = true;
        if (warned) log::info("revocation feed subscribed again");
        warned = false;
        void* msg = nullptr;
        while (!stopping_ && redisGetReply(c, &msg) == REDIS_OK) {
          on_change_();
          freeReplyObject(msg);
        }
        live_ = false;
        fd_ = -1;
      }
    }
    if (c) redisFree(c);
    if (stopping_) break;
    if (!warned) log::warn("revocation feed lost; checking the epoch on every request until it is back");
    warned = true;
    for (int i = 0; i < 5 && !stopping_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace hub
