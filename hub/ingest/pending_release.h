#pragma once
// PendingRelease: the background loop that settles parked records (hub/inbox/pending_store.h).
// A parked record whose references all exist now (a school list arrived, from any partner) is
// replayed through GoldenStore::apply with its own partner's context (id, units as they are now,
// the current catalogs and schemas, its batch and mapping version), under the resolver's locks
// as a push takes them, one record per transaction, in the order the records were received; its
// batch_record row becomes its final outcome and its change events are written as for a push.
// A parked record past ingest.pending_ttl_days ends rejected (ref.unknown). A pass runs every
// ingest.pending_poll_ms and as soon as wake() is called (after a chunk stored records). Several
// hub processes may run it: releases are serialised by a PostgreSQL advisory lock and each
// record is taken with FOR UPDATE SKIP LOCKED, so each is released once and in order.
// Thread-safe.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "hub/common/config.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/resolve/identity_resolver.h"
#include "hub/ingest/golden_store.h"
#include "hub/store/pg_pool.h"

namespace hub {

class PendingRelease {
 public:
  PendingRelease(PgPool& pg, mapping::MappingRegistry& mappings, resolve::IdentityResolver& resolver,
                 const Config& config);
  ~PendingRelease();

  // One pass: expires what is due, then releases what is ready. Returns the records settled.
  int run_once();
  void start();
  void stop();
  void wake();

 private:
  // Replays one parked record; false when it must wait for a later pass (locks, a lost connection).
  bool release(long long id);

  PgPool& pg_;
  mapping::MappingRegistry& mappings_;
  resolve::IdentityResolver& resolver_;
  GoldenStore store_;
  const Config& config_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace hub
