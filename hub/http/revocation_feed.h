#pragma once
// RevocationFeed: a Redis subscription to the auth-change channel, so every hub process drops
// its token cache the moment a token is revoked or rotated, without asking Redis on each
// request. While the subscription is down (Redis restarting), live() is false and callers fall
// back to reading the epoch on every request. On every (re)subscription the cache is dropped,
// since announcements may have been missed. Thread-safe; owns one thread.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace hub {

class RevocationFeed {
 public:
  // `on_change` runs on the feed's thread for each announcement and after each (re)subscription.
  RevocationFeed(std::string redis_url, std::function<void()> on_change);
  ~RevocationFeed();
  void start();
  void stop();
  bool live() const { return live_.load(); }

 private:
  void run();
  std::string host_;
  int port_ = 6379;
  std::function<void()> on_change_;
  std::atomic<bool> live_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<int> fd_{-1};
  std::thread thread_;
};

}  // namespace hub
