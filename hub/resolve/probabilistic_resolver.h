#pragma once
// ProbabilisticResolver: entity resolution for entities that have mappings/matching/<entity>.yaml
// (the others are resolved exactly, by source link and natural key). For each chunk it takes
// Redis locks on the blocking keys of its records (BlockLocks), draws a fencing token from
// PostgreSQL and records it on every key it resolves under, so a holder whose lock expired is
// refused (ResolveRetry) instead of writing stale decisions; then candidates come from the
// indexed match_block table (a bounded number per key: flat cost as the store grows), are
// scored Fellegi–Sunter style, and the record is matched, created, or created with a review
// item for a person. Two different valid personal IDs are never merged automatically; a
// candidate the same partner already sent under another id, or a second candidate nearly as
// good (namesakes), sends the record to review. Thread-safe.

#include <atomic>
#include <chrono>
#include <memory>

#include "hub/common/redis.h"
#include "hub/resolve/identity_resolver.h"
#include "hub/resolve/matching_rules.h"
#include "hub/resolve/redis_lock.h"
#include "hub/resolve/scoring.h"

namespace hub::resolve {

struct ResolverOptions {
  LockOptions locks;
  // Fault injection for tests only: sleep this long while holding the locks, before the
  // fencing check, so a test can stop the process with its locks held.
  std::chrono::milliseconds hold_after_lock{0};
  // Fence rows older than this are deleted (every `fence_clean_every`-th token, in the chunk);
  // a chunk whose fencing write comes later than this after its token was drawn is retried,
  // so a deleted row can never let an older token through.
  std::chrono::milliseconds fence_horizon{60000};
  int fence_clean_every = 64;
};

class ProbabilisticResolver : public IdentityResolver {
 public:
  ProbabilisticResolver(RuleSet rules, RedisPool& redis, ResolverOptions options);

  Status ready() override;
  std::unique_ptr<ChunkScope> begin_chunk() override;
  // Takes, without waiting, the block locks that are free; the records whose keys another
  // chunk holds are left for a later chunk instead of waiting for it (chunks of different
  // pushes nearly always share some key: a common name in one school).
  std::vector<bool> claim(const std::vector<std::vector<Candidate>>& records, ChunkScope& scope) override;
  std::vector<Resolution> resolve(pqxx::work& tx, const std::vector<Candidate>& candidates,
                                  ChunkScope& scope) override;
  void remember(pqxx::work& tx, const std::vector<Candidate>& candidates,
                const std::vector<std::string>& ids, ChunkScope& scope) override;
  int source_rank(const std::string& entity, const std::string& field, const std::string& partner) override;
  const std::vector<VerifiedId>& verified_ids(const std::string& entity) override;

  const RuleSet& rules() const { return rules_; }

  // Since start: records resolved by score and the (record, stored candidate) pairs fetched
  // for them; their ratio is what must not grow with the store (bench/resolve_scale prints it).
  struct Counters {
    std::atomic<long long> records{0}, candidate_pairs{0};
  };
  const Counters& counters() const { return counters_; }

  // Deletes up to `limit` resolve_fence rows last written more than `older_than` ago (rows
  // another transaction holds are skipped). Returns how many.
  static std::size_t clean_fences(pqxx::work& tx, std::chrono::milliseconds older_than, int limit = 1000);

 private:
  ExactResolver exact_;
  RuleSet rules_;
  RedisPool& redis_;
  ResolverOptions options_;
  BlockLocks locks_;
  Counters counters_;
};

}  // namespace hub::resolve
