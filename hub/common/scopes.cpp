#include "hub/common/scopes.h"

#include <algorithm>
#include <cctype>

namespace hub {

const std::vector<std::string>& canonical_entities() {
  static const std::vector<std::string> kEntities = {
      "school",     "class",  "student",        "staff",
      "enrollment", "admission_application", "subject_result", "term_summary", "teaching_assignment",
      "staff_assignment", "school_event", "school_event_school"};
  return kEntities;
}

Status check_scope(std::string_view scope) {
  if (scope == "admin" || scope == kReportsScope) return Status::Ok();
  if (scope == kReportsFreezeScope || scope == kReviewScope) return Status::Ok();
  auto colon = scope.find(':');
  if (colon != std::string_view::npos) {
    auto kind = scope.substr(0, colon);
    auto entity = scope.substr(colon + 1);
    const auto& entities = canonical_entities();
    if ((kind == "ingest" || kind == "pull" || kind == "correct") &&
        (entity == "*" || std::find(entities.begin(), entities.end(), entity) != entities.end()))
      return Status::Ok();
  }
  std::string known;
  for (const auto& e : canonical_entities()) known += (known.empty() ? "" : ", ") + e;
  return make_error("scope.invalid",
                    "'" + std::string(scope) +
                        "' is not a scope; use admin, review, reports:read, reports:freeze, ingest:<entity>, pull:<entity> or correct:<entity> where "
                        "<entity> is * or one of: " + known);
}

Status check_unit(std::string_view unit) {
  auto digits = [](std::string_view s, size_t n) {
    return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); });
  };
  auto colon = unit.find(':');
  if (colon != std::string_view::npos) {
    auto kind = unit.substr(0, colon);
    auto code = unit.substr(colon + 1);
    if (kind == "province" && digits(code, 2)) return Status::Ok();
    if (kind == "commune" && digits(code, 5)) return Status::Ok();
    if (kind == "school" && !code.empty() && code.size() <= 64 &&
        std::all_of(code.begin(), code.end(),
                    [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }))
      return Status::Ok();
  }
  return make_error("unit.invalid", "'" + std::string(unit) +
                                        "' is not a unit; use province:<2 digits>, "
                                        "commune:<5 digits> or school:<school code>");
}

bool has_scope(const std::vector<std::string>& granted, std::string_view needed) {
  auto colon = needed.find(':');
  for (const auto& g : granted) {
    if (g == needed) return true;
    if (colon != std::string_view::npos && g.size() == colon + 2 && g.back() == '*' &&
        needed.compare(0, colon + 1, g, 0, colon + 1) == 0)
      return true;
  }
  return false;
}

bool unit_allowed(const std::vector<std::string>& units, const UnitPath& path) {
  if (units.empty()) return true;
  for (const auto& u : units) {
    auto colon = u.find(':');
    std::string_view kind(u.data(), colon);
    std::string_view code(u.data() + colon + 1, u.size() - colon - 1);
    if (kind == "school" && !path.school.empty() && code == path.school) return true;
    if (kind == "commune" && !path.commune.empty() && code == path.commune) return true;
    if (kind == "province" && !path.province.empty() && code == path.province) return true;
  }
  return false;
}

}  // namespace hub
