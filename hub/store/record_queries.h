#pragma once
// RecordQueries: reads of the golden store for the records API. A record is read with its
// current values, the lineage of each field, and, with as_of, the effective-dated records that
// refer to it and were in force on that date (a student's enrollments on the 30 September
// cut-off). It returns the parts unrendered: what a caller may see of them is the route's
// decision (an admin sees everything, anyone else its publication profile). Thread-safe.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hub/common/date.h"
#include "hub/common/scopes.h"
#include "hub/mapping/schema.h"
#include "hub/store/pg_pool.h"

namespace hub {

// A record of another entity that refers to the one asked for, in force on as_of.
struct RelatedRecord {
  std::string id;
  int version = 0;
  std::string data;  // JSON object
  std::string valid_from;
  std::optional<std::string> valid_to;
};

struct RecordView {
  std::string id, entity;
  int version = 0;
  std::string created_at, updated_at;  // ISO-8601 UTC
  std::string data;                    // JSON object of the current values
  std::string lineage;                 // JSON object: field -> {partner, batch, mapping_version, source_id}
  std::optional<std::string> valid_from, valid_to;
  std::string merged_into;             // set when the id was merged into another record
  std::vector<std::string> merged_from;  // records merged into this one (not unmerged)
  UnitPath place;                      // where the record is, for unit-scope checks
  std::optional<Date> as_of;
  std::optional<bool> in_force;        // effective-dated records, with as_of
  // With as_of: per effective-dated entity that refers to this one (enrollment -> a student's
  // enrollments), its records in force on that date.
  std::vector<std::pair<std::string, std::vector<RelatedRecord>>> related;
};

class RecordQueries {
 public:
  explicit RecordQueries(PgPool& pg) : pg_(pg) {}
  // nullopt when there is no such record of that entity.
  std::optional<RecordView> find(const schema::SchemaSet& schemas, const std::string& entity,
                                 const std::string& id, std::optional<Date> as_of);

 private:
  PgPool& pg_;
};

}  // namespace hub
