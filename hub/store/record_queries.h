#pragma once
// RecordQueries: reads of the golden store for the records API. A record is answered with its
// current values, optionally the lineage of each field, and, with as_of, the effective-dated
// records that refer to it and were in force on that date (a student's enrollments on the
// 30 September cut-off). Thread-safe.

#include <optional>
#include <string>

#include "hub/common/date.h"
#include "hub/common/scopes.h"
#include "hub/mapping/schema.h"
#include "hub/store/pg_pool.h"

namespace hub {

struct RecordView {
  std::string json;          // the response body
  std::string merged_into;   // set when the id was merged into another record
  UnitPath place;            // where the record is, for unit-scope checks
  bool not_in_force = false; // effective-dated record not valid on as_of
};

class RecordQueries {
 public:
  explicit RecordQueries(PgPool& pg) : pg_(pg) {}
  // nullopt when there is no such record of that entity.
  std::optional<RecordView> find(const schema::SchemaSet& schemas, const std::string& entity,
                                 const std::string& id, bool lineage, std::optional<Date> as_of);

 private:
  PgPool& pg_;
};

}  // namespace hub
