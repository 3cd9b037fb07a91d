#pragma once
// Reference lookup: which stored records the references of mapped vendor records name, read
// without writing anything. A canonical field of type ref holds a natural key value of another
// entity (a school code); the golden store turns it into a record id when it writes. When no
// stored record has that key yet, the vendor record waits as `pending` (pending_store.h) and is
// rejected with `ref.unknown` only if nothing with that key arrives in time. The dry run
// (POST /v1/ingest/{feed}:validate), the mapping test route (POST .../{feed}:test) and
// `hubctl mapping run --check-refs` use this to say so before anything is sent or stored, and
// the chunk's write path (hub/ingest/golden_store.cpp) looks references up with the same
// lookup_references, so a dry run and a push find the same records.
// Pure functions over the caller's transaction (a read-only one is enough); thread-safe.

#include <pqxx/pqxx>

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hub/common/scopes.h"
#include "hub/mapping/mapping.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/store/unit_policy.h"

namespace hub {

// (referenced entity, the value a record holds), e.g. ("school", "79000701").
using ReferenceKey = std::pair<std::string, std::string>;

struct ReferenceTarget {
  std::string id;        // the stored record's id
  std::string key_name;  // the natural key that holds the value, e.g. "school_code"
  UnitPath place;        // where the record is: a school's code, commune and province
};

// The natural keys a value of `entity` is looked up by: its single-field keys, in the schema's
// order (school_code, then moet_school_id).
std::vector<std::string> reference_key_names(const schema::SchemaSet& schemas, const std::string& entity);

// Which of `refs` name a stored record: each value is tried against reference_key_names() of its
// entity, and the first key that holds it wins. Absent from the answer: no such record. One
// query, primary-key probes of natural_key.
std::map<ReferenceKey, ReferenceTarget> lookup_references(pqxx::transaction_base& tx,
                                                          const schema::SchemaSet& schemas,
                                                          const std::set<ReferenceKey>& refs);

// The references by natural key that the mapped vendor records of `results` name (references to
// records of the same vendor record are not among them).
std::set<ReferenceKey> named_references(const schema::SchemaSet& schemas,
                                        const std::vector<mapping::RecordResult>& results);

// Normalized path of the vendor value a field of a record was read from: (position of the vendor
// record in `results`, the canonical record, the canonical field).
using ValuePathFn = std::function<std::string(std::size_t, const mapping::MappedRecord&, const std::string&)>;

// Checks the vendor records of `results` as the golden store would before matching: a mapped
// record naming a record the hub does not hold becomes kPending, with one `ref.unknown` issue per
// such reference (naming the field, the value, the entity and the keys tried, at the value's
// path) and the referenced records in `waiting_for` (entity, first key tried, value, field,
// path; each once), as a push parks it. A record already rejected gets the ref.unknown issues
// only (it can never be stored); one naming an entity no natural key finds is rejected. Then,
// when `scope` is given and limited to units, unit policy rules 1 and 2 on the places each other
// mapped record names reject it (`auth.unit_missing`, `auth.unit`; unit_policy.h). Rule 3
// (stored records the vendor record would change) needs matching and is not checked. Reads only.
void check_references(pqxx::transaction_base& tx, const mapping::Snapshot& snapshot,
                      std::vector<mapping::RecordResult>& results, const ValuePathFn& value_path,
                      const UnitScope* scope = nullptr);

}  // namespace hub
