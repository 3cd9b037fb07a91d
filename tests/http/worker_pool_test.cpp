// WorkerPool (hub/http/worker_pool.cpp): a full pool refuses work instead of queueing it
// without bound (the server then answers 503 server.overloaded), and stop() runs what was
// queued before it returns.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "hub/http/worker_pool.h"

using namespace std::chrono_literals;

TEST_CASE("a full worker pool refuses tasks - then takes them again once free", "[http][pool]") {
  hub::WorkerPool pool(2, 3, "test-pool");
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> ran{0};
  auto blocking = [&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    ++ran;
  };
  int accepted = 0;
  for (int i = 0; i < 10; ++i) accepted += pool.try_submit(blocking) ? 1 : 0;
  CHECK(accepted == 5);  // two running, three waiting
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (int i = 0; i < 200 && ran < 5; ++i) std::this_thread::sleep_for(10ms);
  CHECK(ran == 5);
  CHECK(pool.try_submit([&] { ++ran; }));
  pool.stop();
  CHECK(ran == 6);
  CHECK_FALSE(pool.try_submit([] {}));
}

TEST_CASE("a task that throws does not end its worker", "[http][pool]") {
  hub::WorkerPool pool(1, 4, "test-pool");
  std::atomic<int> ran{0};
  CHECK(pool.try_submit([] { throw std::runtime_error("boom"); }));
  CHECK(pool.try_submit([&] { ++ran; }));
  pool.stop();
  CHECK(ran == 1);
}
