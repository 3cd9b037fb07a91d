#pragma once
// Where the reports place a school: in the commune and province of the report's units (the units
// of its date, or today's: catalog::UnitsMode), read from the school's own commune over its
// versions. A school's versions keep the value a recode replaced, so a school recoded through
// the 2025 crosswalk still shows in its old commune on a date before the reform. Free functions
// over the caller's transaction and immutable catalogs: thread-safe.

#include <pqxx/pqxx>

#include <map>
#include <string>
#include <vector>

#include "hub/common/date.h"
#include "hub/mapping/catalog.h"
#include "hub/mapping/unit_history.h"

namespace hub::reports {

struct SchoolPlacement {
  catalog::PlacedUnit report;   // in the units the report asked for
  catalog::PlacedUnit current;  // in today's units (visibility: callers' units are today's)
};

// Each school's commune values, latest version first, keyed by golden record id.
std::map<std::string, std::vector<catalog::CommuneValue>> commune_histories(pqxx::work& tx,
                                                                            const std::vector<std::string>& school_ids);

// The placement of each of `school_ids` for a report as of `as_of` in `mode`. A school without a
// commune value is absent (the caller keeps what the record says).
std::map<std::string, SchoolPlacement> place_schools(pqxx::work& tx, const catalog::CatalogSet& catalogs,
                                                     const std::vector<std::string>& school_ids, Date as_of,
                                                     catalog::UnitsMode mode);

}  // namespace hub::reports
