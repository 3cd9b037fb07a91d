#pragma once
// The history of an administrative unit (commune level) across the 1 July 2025 reform, read from
// the catalogs: each unit's validity (pre-reform communes valid to 2025-06-30, current ones from
// 2025-07-01) and, from the admin_crosswalk catalog, its predecessors (the old communes that
// went, wholly or in part, into a current one) and successors (the current communes an old one
// went into). GSO reused codes, so a code alone does not name a unit: the date does.
//
// A report or a lookup as of a date before the reform can show the units of that date
// (UnitsMode::kAsOf) or map them forward to the current units (kCurrent). Mapping forward an old
// commune that was split has no single answer: the result lists every successor and says it is
// partial, never picks one. Mapping a current unit back has the same problem in the other
// direction (a merged commune came from several old ones), so kAsOf does not guess either: a
// code not valid on the date is reported with its own validity.
//
// Thread-safe: reads immutable catalogs.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/common/date.h"
#include "hub/common/result.h"
#include "hub/mapping/catalog.h"

namespace hub::catalog {

struct UnitLink {
  std::string code;
  std::string name;      // the linked unit's name ("" when the commune catalog lacks it)
  bool partial = false;  // only part of the old unit went to the new one
};

struct UnitHistory {
  const Entry* unit = nullptr;         // the commune entry with that code valid on the date
  std::vector<UnitLink> predecessors;  // old units that went into it (current units)
  std::vector<UnitLink> successors;    // units it went into (pre-reform units)
};

enum class UnitsMode { kAsOf, kCurrent };

// "as_of" | "current"; nullopt for anything else.
std::optional<UnitsMode> parse_units_mode(std::string_view s);

// The commune with `code` in force on `as_of` (today when unset), with its predecessors and
// successors. Errors as Catalog::lookup (catalog.not_found, catalog.not_valid_on), and
// catalog.not_found when the commune catalog is not loaded.
Result<UnitHistory> unit_history(const CatalogSet& catalogs, std::string_view code, std::optional<Date> as_of);

// The unit(s) a report as of `as_of` shows for a stored commune code: kAsOf, the code itself;
// kCurrent, the current code(s) it maps to (itself when still current; every successor of a
// split unit, with `partial` set on them). Unknown codes are returned unchanged.
std::vector<UnitLink> report_units(const CatalogSet& catalogs, std::string_view code, Date as_of, UnitsMode mode);

}  // namespace hub::catalog
