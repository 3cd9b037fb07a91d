#pragma once
// IdentityResolver: decides which golden record a mapped canonical record is. The ingest stage
// calls it once per chunk through this one interface, so entity resolution (fuzzy matching,
// Redis locks, review of doubtful matches) plugs in without touching ingest. The exact resolver
// here matches on the partner's own source link first, then on the entity's natural keys
// (mappings/schema/<entity>.yaml), in order. Implementations must be thread-safe; each call
// runs inside the caller's transaction.

#include <pqxx/pqxx>

#include <string>
#include <vector>

namespace hub::resolve {

struct Candidate {
  std::string entity;
  long long partner_id = 0;
  std::string source_id;
  // (key name, key value) for every natural key the record carries, in schema order.
  std::vector<std::pair<std::string, std::string>> keys;
};

struct Resolution {
  enum class Kind {
    kNew,         // no existing record: create one
    kSourceLink,  // this partner sent this record before
    kNaturalKey,  // another source's record with the same natural key
  } kind = Kind::kNew;
  std::string record_id;  // when not kNew
  std::string matched_key;  // the key that matched (kNaturalKey)
  std::string content_hash;  // kSourceLink: hex SHA-256 of what the partner sent last time
};

class IdentityResolver {
 public:
  virtual ~IdentityResolver() = default;
  virtual std::vector<Resolution> resolve(pqxx::work& tx, const std::vector<Candidate>& candidates) = 0;
};

class ExactResolver : public IdentityResolver {
 public:
  std::vector<Resolution> resolve(pqxx::work& tx, const std::vector<Candidate>& candidates) override;
};

}  // namespace hub::resolve
