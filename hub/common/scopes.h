#pragma once
// What a partner may do (scopes) and for which units (schools, communes, a province).
// Scopes: "admin", "review", "reports:read", "reports:freeze", "ingest:<entity>", "pull:<entity>",
// "correct:<entity>" (a person's correction of a value, hub/store/corrections.h), with "*" for every
// entity.
// Units: "school:<code>", "commune:<5-digit code>", "province:<2-digit code>".
// Pure functions and value types; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "hub/common/result.h"

namespace hub {

// Reads the quality and progress reports of the partner's units (admin reads every unit's).
inline constexpr const char* kReportsScope = "reports:read";
// Freezes an EMIS submission of the partner's units (hub/reports/frozen.h).
inline constexpr const char* kReportsFreezeScope = "reports:freeze";
// Decides match review items and merges/unmerges records (admin may too).
inline constexpr const char* kReviewScope = "review";

// The canonical entities of the hub (see mappings/schema/).
const std::vector<std::string>& canonical_entities();

// Validates one scope string; error code "scope.invalid" with a message saying what is allowed.
Status check_scope(std::string_view scope);
// Validates one unit string; error code "unit.invalid".
Status check_unit(std::string_view unit);

// True when `granted` contains `needed` directly or through a wildcard ("ingest:*").
// "admin" does not imply ingest or pull: a token for ops tools is not a data feed.
bool has_scope(const std::vector<std::string>& granted, std::string_view needed);

// A record's place in the unit hierarchy: the school code, its commune and province codes,
// whichever are known.
struct UnitPath {
  std::string school;
  std::string commune;
  std::string province;
};

// True when the partner's units are empty (unrestricted) or one of them covers `path`.
bool unit_allowed(const std::vector<std::string>& units, const UnitPath& path);

}  // namespace hub
