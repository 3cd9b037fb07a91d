#pragma once
// PgPool: a fixed-size pool of libpqxx connections shared by all request threads.
// Connections are opened lazily and a broken one is dropped and reopened on a later acquire,
// so the hub keeps running while PostgreSQL is down and recovers without a restart.
// Thread-safe. A Lease must not outlive its pool.

#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace hub {

// PostgreSQL cannot be reached (or no connection was free in time): callers answer 503.
struct DatabaseUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class PgPool {
 public:
  PgPool(std::string url, int size, std::chrono::milliseconds acquire_timeout);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }
    // Call after a pqxx::broken_connection so the connection is not reused.
    void discard() { conn_.reset(); }

   private:
    PgPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  // Throws DatabaseUnavailable when no connection can be had within the acquire timeout.
  Lease acquire();

  // What becomes of the connection after the transaction. libpq never shrinks a connection's
  // buffers: one that moved a large value keeps a buffer of its size (twice that for a bytea
  // read as hex) while it is pooled, so a transaction that reads a large body closes its
  // connection (kClose). A body sent by CopyBinaryRow passes a slice at a time: no such buffer.
  enum class After { kKeep, kClose };

  // Runs fn(pqxx::work&) in a transaction and commits; one retry on a broken connection
  // (the usual after a PostgreSQL restart). A commit whose outcome is unknown, and a second
  // broken connection, throw DatabaseUnavailable. Other errors propagate.
  template <class Fn>
  auto with_transaction(Fn&& fn, After after = After::kKeep) {
    for (int attempt = 0;; ++attempt) {
      Lease lease = acquire();
      try {
        pqxx::work tx(*lease);
        if constexpr (std::is_void_v<decltype(fn(tx))>) {
          fn(tx);
          tx.commit();
          if (after == After::kClose) lease.discard();
          return;
        } else {
          auto result = fn(tx);
          tx.commit();
          if (after == After::kClose) lease.discard();
          return result;
        }
      } catch (const pqxx::broken_connection& e) {
        lease.discard();
        if (attempt >= 1) throw DatabaseUnavailable(std::string("PostgreSQL: ") + e.what());
      } catch (const pqxx::in_doubt_error& e) {
        // The connection broke while committing: the work may or may not be stored. Not retried
        // here; callers answer 503, and a partner resending with its Idempotency-Key gets the
        // stored answer if it was.
        lease.discard();
        throw DatabaseUnavailable(std::string("PostgreSQL: the outcome of a commit is unknown: ") + e.what());
      }
    }
  }

  // True when a connection answers `select 1` now.
  bool ping();
  const std::string& url() const { return url_; }

 private:
  friend class Lease;
  void release(std::unique_ptr<pqxx::connection> conn);

  std::string url_;
  int size_;
  std::chrono::milliseconds acquire_timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // connections handed out or idle
};

// Removes the password from a libpq URI so it can be logged.
std::string redact_url(const std::string& url);

}  // namespace hub
