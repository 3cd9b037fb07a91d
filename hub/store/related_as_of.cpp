#include "hub/store/related_as_of.h"

namespace hub {

std::vector<const schema::EntitySchema*> related_effective_dated(const schema::SchemaSet& schemas, const std::string& entity) {
  std::vector<const schema::EntitySchema*> out;
  for (const auto* other : schemas.list()) {
    if (!other->effective_dated) continue;
    const auto* ref = other->field(entity);
    if (ref && ref->type == schema::FieldType::kRef && ref->ref_entity == entity) out.push_back(other);
  }
  return out;
}

std::vector<RelatedInForce> related_in_force(pqxx::work& tx, const schema::SchemaSet& schemas, const std::string& entity,
                                             const std::string& as_of, bool as_known, const std::string& timezone) {
  const char* known_by =
      "case when $5 then (($3::date + 1)::timestamp at time zone $4) else 'infinity'::timestamptz end";
  std::vector<RelatedInForce> out;
  for (const auto* other : related_effective_dated(schemas, entity)) {
    RelatedInForce r;
    r.entity = other->name;
    // An entity with one record in force per owner (a student's enrollment): the one
    // in_force_per_owner (migration 0035) chooses, under the owner a merge left.
    const bool one = other->one_in_force_per == entity;
    std::string sql =
        one ? std::string("select v.owner::text, v.id::text, v.version, v.data::text, v.valid_from::text, v.valid_to::text"
                          " from in_force_per_owner($1, $2, $3::date, ") + known_by + ") v order by v.owner, v.id"
            : std::string("select v.data->>$2, v.id::text, v.version, v.data::text, v.valid_from::text, v.valid_to::text"
                          " from records_as_of($1, $3::date, ") + known_by + ", true) v"
                          " where v.data ? $2 order by v.data->>$2, v.valid_from, v.id";
    for (const auto& row : tx.exec_params(sql, other->name, entity, as_of, timezone, as_known)) {
      InForceRecord rec{row[1].c_str(), row[2].as<int>(), row[3].c_str(), row[4].is_null() ? "" : row[4].c_str(),
                        std::nullopt};
      if (!row[5].is_null()) rec.valid_to = row[5].c_str();
      r.by_owner[row[0].c_str()].push_back(std::move(rec));
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace hub
