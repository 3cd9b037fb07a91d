#pragma once
// IdentityResolver: decides which golden record a mapped canonical record is. The ingest stage
// calls it once per chunk through this one interface, so entity resolution (fuzzy matching,
// Redis locks, review of doubtful matches) plugs in without touching ingest. The exact resolver
// here matches on the partner's own source link first, then on the entity's natural keys
// (mappings/schema/<entity>.yaml), in order; ProbabilisticResolver (probabilistic_resolver.h)
// adds scoring, review and Redis locks. Implementations must be thread-safe; each call runs
// inside the caller's transaction, and what a chunk holds (locks) lives in its ChunkScope
// until the caller has committed or rolled back.

#include <rapidjson/document.h>
#include <pqxx/pqxx>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "hub/common/result.h"
#include "hub/resolve/matching_rules.h"

namespace hub::resolve {

struct Candidate {
  std::string entity;
  long long partner_id = 0;
  std::string source_id;
  // (key name, key value) for every natural key the record carries, in schema order.
  std::vector<std::pair<std::string, std::string>> keys;
  std::string content_hash{};  // hex SHA-256 of what is sent now (compared with the source link's)
  const rapidjson::Value* fields = nullptr;  // the canonical record (scoring); may be null
  // The other canonical records of the same vendor record, (entity, fields): a student's
  // school is in its enrollment.
  std::vector<std::pair<std::string, const rapidjson::Value*>> related{};
};

struct Resolution {
  enum class Kind {
    kNew,         // no existing record: create one
    kSourceLink,  // this partner sent this record before
    kNaturalKey,  // another source's record with the same natural key
    kMatch,       // another source's record, by score
  } kind = Kind::kNew;
  std::string record_id;  // when not kNew; kNew: the id to create it with ("" = a fresh one)
  std::string matched_key;  // the key that matched (kNaturalKey)
  std::string content_hash;  // kSourceLink: hex SHA-256 of what the partner sent last time
  // A doubtful match: the record is created on its own and a person decides (review_item).
  std::string review_candidate{};
  double score = 0;
  std::string reasons{};  // JSON: the score and its field levels
};

// The chunk is to be retried from the start: its locks or fencing token were overtaken.
struct ResolveRetry : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What one chunk attempt holds while it resolves (e.g. Redis locks); released when destroyed.
class ChunkScope {
 public:
  virtual ~ChunkScope() = default;
};

class IdentityResolver {
 public:
  virtual ~IdentityResolver() = default;
  // Whether the resolver can work now; an error means "refuse work, retry later" (503).
  virtual Status ready() { return Status(); }
  virtual std::unique_ptr<ChunkScope> begin_chunk() { return std::make_unique<ChunkScope>(); }
  // Before a chunk is resolved: which of these vendor records (each the canonical records it
  // carries; only entity, source_id, fields and related are read) can be resolved now without
  // waiting for another chunk. What they need (locks) is taken into `scope`; the others are
  // for a later chunk. A record left out also holds back every later one that shares a key
  // with it, so the same child sent twice is still applied in vendor order. Default: all.
  virtual std::vector<bool> claim(const std::vector<std::vector<Candidate>>& records, ChunkScope& scope) {
    return std::vector<bool>(records.size(), true);
  }
  // May throw ResolveRetry, or RedisUnavailable when the resolver needs Redis.
  virtual std::vector<Resolution> resolve(pqxx::work& tx, const std::vector<Candidate>& candidates,
                                          ChunkScope& scope) = 0;
  // After the records are written in `tx` under `ids`: keeps what later resolutions compare.
  virtual void remember(pqxx::work& tx, const std::vector<Candidate>& candidates,
                        const std::vector<std::string>& ids, ChunkScope& scope) {}
  // Survivorship: the rank of a partner's values for one field (lower wins; equal ranks: the
  // latest value wins).
  virtual int source_rank(const std::string& entity, const std::string& field, const std::string& partner) {
    return 0;
  }
  // Survivorship: the entity's verified personal IDs (survivorship.h); none by default.
  virtual const std::vector<VerifiedId>& verified_ids(const std::string& entity) {
    static const std::vector<VerifiedId> kNone;
    return kNone;
  }
};

class ExactResolver : public IdentityResolver {
 public:
  std::vector<Resolution> resolve(pqxx::work& tx, const std::vector<Candidate>& candidates,
                                  ChunkScope& scope) override;
};

}  // namespace hub::resolve
