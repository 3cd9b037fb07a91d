#include "hub/store/pg_pool.h"

#include <regex>

namespace hub {

PgPool::PgPool(std::string url, int size, std::chrono::milliseconds acquire_timeout)
    : url_(std::move(url)), size_(size), acquire_timeout_(acquire_timeout) {}

PgPool::~PgPool() = default;

PgPool::Lease::~Lease() {
  if (pool_) pool_->release(std::move(conn_));
}

PgPool::Lease PgPool::acquire() {
  std::unique_lock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + acquire_timeout_;
  while (idle_.empty() && open_ >= size_) {
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= size_)
      throw DatabaseUnavailable("no free PostgreSQL connection within the acquire timeout");
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;  // reserve the slot, connect outside the lock
  lock.unlock();
  try {
    auto conn = std::make_unique<pqxx::connection>(url_);
    // No JIT: the hub's statements are short and run thousands of times. When the statistics
    // lag behind a growing store, a candidate lookup's estimated cost passes jit_above_cost and
    // each execution spent ~150 ms compiling (the ingest benchmark ran at half speed).
    conn->set_variable("jit", "off");
    return Lease(this, std::move(conn));
  } catch (const std::exception& e) {
    release(nullptr);
    throw DatabaseUnavailable(std::string("cannot connect to PostgreSQL: ") + e.what());
  }
}

void PgPool::release(std::unique_ptr<pqxx::connection> conn) {
  {
    std::lock_guard lock(mu_);
    if (conn && conn->is_open()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  cv_.notify_one();
}

bool PgPool::ping() {
  try {
    with_transaction([](pqxx::work& tx) { tx.exec("select 1"); });
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string redact_url(const std::string& url) {
  static const std::regex kPassword(R"(^([a-z]+://[^:/@]+):[^@]*@)");
  return std::regex_replace(url, kPassword, "$1:***@");
}

}  // namespace hub
