#pragma once
// Unit policy of the golden store: what a partner limited to units (province:<code>,
// commune:<code>, school:<code>) may write. A partner without units may write everywhere; a
// limited partner's vendor record is applied only when
//   1. it names at least one place (a commune code, a school), else it is rejected with
//      `auth.unit_missing`: a record in no unit would be outside every limited partner's reach,
//      and the hub does not invent a place for it;
//   2. every place it names is inside the partner's units, else `auth.unit`;
//   3. every stored record it would change (found by the partner's source link, a natural key or
//      a match) is inside the partner's units too, else `auth.unit`, and nothing of the vendor
//      record is stored: another unit's record is never changed by a partner of this one.
// "Inside" means every place of the record is covered by one of the units, and it has a place.
// Refusals name the places the partner sent, but of a stored record only its province: the
// sender knows the identifiers it sent, so anything more would tell it where that person lives
// or learns. docs/matching.md ("Unit scope") gives the rules and the reasons.
// Pure functions over the caller's transaction; thread-safe.

#include <rapidjson/document.h>
#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/common/scopes.h"
#include "hub/mapping/mapping.h"
#include "hub/mapping/mapping_registry.h"

namespace hub {

// The partner whose records are checked.
struct UnitScope {
  const std::string& partner;
  const std::vector<std::string>& units;  // empty: unrestricted
};

// Rules 1 and 2 for one vendor record: nullopt when allowed, else the issue rejecting it.
std::optional<mapping::FieldIssue> refuse_named_places(const UnitScope& scope, const std::vector<UnitPath>& places);

// A stored record a vendor record would change, with its current data (read by the caller under
// its row lock, so the places checked are the places changed).
struct StoredRecord {
  std::string entity;
  std::string id;
  const rapidjson::Value* data = nullptr;
};

// Where stored records are, by id. A record's places are those its own fields name (commune
// codes, the schools it refers to; a school is its own place); a student is also where it
// learns: the schools of its enrollments in force today or later (not those closed). A record
// that names no place of its own (a subject result sent without its school) is where its
// student is. One query per kind of lookup for the whole chunk.
std::map<std::string, std::vector<UnitPath>> stored_places(pqxx::work& tx, const mapping::Snapshot& snap,
                                                           const std::vector<StoredRecord>& records);

// Rule 3 for one stored record (`places` from stored_places): nullopt when the partner may
// change it, else the issue rejecting the vendor record.
std::optional<mapping::FieldIssue> refuse_stored_record(const UnitScope& scope, const std::string& entity,
                                                        const std::vector<UnitPath>& places);

}  // namespace hub
