#pragma once
// The effective-dated records in force on a date that refer to records of an entity (a
// student's enrollments, a staff member's assignments), for snapshots: "where was this student
// on 30 September" is answered by the enrollment valid that day, with its dates as the sending
// system gave them. The same valid-time and transaction-time reading as records_as_of
// (migration 0020), which the snapshot's own records come from.

#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hub/mapping/schema.h"

namespace hub {

struct InForceRecord {
  std::string id;
  int version = 0;
  std::string data;  // JSON object
  std::string valid_from;
  std::optional<std::string> valid_to;
};

struct RelatedInForce {
  std::string entity;  // the effective-dated entity (enrollment)
  // referred record id -> its records of `entity` in force, by valid_from
  std::map<std::string, std::vector<InForceRecord>> by_owner;
};

// Effective-dated entities with a field named after `entity` that refers to it (enrollment.student,
// staff_assignment.staff, teaching_assignment.staff).
std::vector<const schema::EntitySchema*> related_effective_dated(const schema::SchemaSet& schemas, const std::string& entity);

// Their records in force on `as_of` (YYYY-MM-DD), as known now or, with `as_known`, as recorded
// by the end of that day in `timezone`; of an entity with one record in force per owner
// (enrollment: one_in_force_per student), one per owner, the owner a merge left. Throws
// pqxx::data_exception on a bad time zone.
std::vector<RelatedInForce> related_in_force(pqxx::work& tx, const schema::SchemaSet& schemas, const std::string& entity,
                                             const std::string& as_of, bool as_known, const std::string& timezone);

}  // namespace hub
