#pragma once
// WorkerPool: a fixed set of threads running tasks from a bounded queue. The HTTP server runs
// every request that may wait on PostgreSQL or Redis here, so that its I/O threads stay free to
// read other connections and answer /healthz at once. try_submit() refuses a task instead of
// queueing it when the queue is full: the caller answers 503 with Retry-After, so load beyond
// what the hub can do is pushed back to the clients rather than piling up in memory.
// Thread-safe.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hub {

class WorkerPool {
 public:
  // `threads` workers, at most `queue_depth` tasks waiting for one (0: a task is taken only when
  // a worker is free). `name` names the threads (ps, gdb).
  WorkerPool(int threads, std::size_t queue_depth, std::string name);
  ~WorkerPool();  // stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues the task; false (and the task is dropped unrun) when the queue is full or the pool
  // is stopped. A task must not throw; one that does is caught and ignored.
  bool try_submit(std::function<void()> task);
  // Runs the tasks already queued, then joins the threads; later try_submit calls return false.
  void stop();

  std::size_t queued() const;
  int busy() const;

 private:
  void run();

  const std::size_t thread_count_;
  const std::size_t queue_depth_;
  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  int busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hub
