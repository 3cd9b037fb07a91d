#include "hub/mapping/unit_history.h"

#include <algorithm>

namespace hub::catalog {
namespace {

// The reform's first day: units valid before it are the pre-reform ones.
constexpr Date kReform{2025, 7, 1};

std::string name_on(const CatalogSet& catalogs, const std::string& code, Date on) {
  const Catalog* communes = catalogs.find("commune");
  if (!communes) return "";
  for (const Entry* e : communes->find_all_by_code(code))
    if (e->valid_on(on)) return e->name;
  return "";
}

Date day_before(Date d) { return Date::from_days(d.days_since_epoch() - 1); }

}  // namespace

std::optional<UnitsMode> parse_units_mode(std::string_view s) {
  if (s == "as_of") return UnitsMode::kAsOf;
  if (s == "current") return UnitsMode::kCurrent;
  return std::nullopt;
}

Result<UnitHistory> unit_history(const CatalogSet& catalogs, std::string_view code, std::optional<Date> as_of) {
  const Catalog* communes = catalogs.find("commune");
  if (!communes) return make_error("catalog.not_found", "catalog commune is not loaded", "commune");
  LookupOptions o;
  o.by = LookupBy::kCode;
  o.as_of = as_of ? *as_of : Date::today();
  auto found = communes->lookup(code, o);
  if (!found) return found.error();
  UnitHistory h;
  h.unit = found.value();
  const Catalog* xw = catalogs.find("admin_crosswalk");
  if (!xw) return h;
  const bool old_unit = h.unit->valid_to && *h.unit->valid_to < kReform;
  if (old_unit) {
    // Its links in the crosswalk: one per new unit it went into.
    for (const Entry* link : xw->find_all_by_code(h.unit->code))
      h.successors.push_back({link->parent, name_on(catalogs, link->parent, kReform), link->level != "full"});
  } else if (!h.unit->valid_from || *h.unit->valid_from >= kReform) {
    // The crosswalk is keyed by old code; who went into this unit takes a pass over it.
    for (const Entry& link : xw->entries())
      if (link.parent == h.unit->code)
        h.predecessors.push_back({link.code, name_on(catalogs, link.code, day_before(kReform)), link.level != "full"});
  }
  auto by_code = [](const UnitLink& a, const UnitLink& b) { return a.code < b.code; };
  std::sort(h.successors.begin(), h.successors.end(), by_code);
  std::sort(h.predecessors.begin(), h.predecessors.end(), by_code);
  return h;
}

std::vector<UnitLink> report_units(const CatalogSet& catalogs, std::string_view code, Date as_of, UnitsMode mode) {
  std::string c(code);
  if (mode == UnitsMode::kAsOf) return {{c, name_on(catalogs, c, as_of), false}};
  // A stored code is read as the unit it named on the report's date, then followed forward; an
  // old code still stored after the reform is read as the old unit.
  auto h = unit_history(catalogs, c, as_of);
  if (!h && as_of >= kReform) h = unit_history(catalogs, c, day_before(kReform));
  if (!h || h->successors.empty()) return {{c, name_on(catalogs, c, Date::today()), false}};
  auto out = h->successors;
  if (out.size() > 1)
    for (auto& l : out) l.partial = true;
  return out;
}

}  // namespace hub::catalog
