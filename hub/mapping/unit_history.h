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
const char* units_mode_name(UnitsMode mode);  // "as_of" | "current"

// The commune with `code` in force on `as_of` (today when unset), with its predecessors and
// successors. Errors as Catalog::lookup (catalog.not_found, catalog.not_valid_on), and
// catalog.not_found when the commune catalog is not loaded.
Result<UnitHistory> unit_history(const CatalogSet& catalogs, std::string_view code, std::optional<Date> as_of);

// The unit(s) a report as of `as_of` shows for a stored commune code: kAsOf, the code itself;
// kCurrent, the current code(s) it maps to (itself when still current; every successor of a
// split unit, with `partial` set on them). Unknown codes are returned unchanged.
std::vector<UnitLink> report_units(const CatalogSet& catalogs, std::string_view code, Date as_of, UnitsMode mode);

// One value a school's `commune` held, from its versions: the code, and whether the hub recorded
// it before the reform (then it is a pre-reform code even where GSO reused it for a new unit).
struct CommuneValue {
  std::string code;
  bool recorded_before_reform = false;
};

// Where a report places a school: the commune, its name and province on the units of the report.
// `resolved` is false when the history does not say which unit of that kind the school was in
// (a school still stored with a split commune's code, asked for current units; a school stored
// with a current code that several old communes formed, asked for the units of a pre-reform
// date, with no older value): the school is then placed in the unit it is stored with, never in
// one picked for it.
struct PlacedUnit {
  std::string commune, name, province;
  bool resolved = true;
};

// The unit a report as of `as_of` shows a school in. `history` holds the values of the school's
// commune, latest first. Its current unit: the latest value when it names a current commune (and
// was recorded after the reform), else the one current commune the old value went into whole.
// Its unit before the reform: the latest old value among its versions (a recode keeps the old
// value in the earlier version), else the only old commune its current unit was formed from.
// kCurrent, or a date from the reform on: the current unit; kAsOf before the reform: the old one.
PlacedUnit place_unit(const CatalogSet& catalogs, const std::vector<CommuneValue>& history, Date as_of,
                      UnitsMode mode);

}  // namespace hub::catalog
