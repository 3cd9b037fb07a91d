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

const Entry* commune_on(const CatalogSet& catalogs, const std::string& code, Date on) {
  const Catalog* communes = catalogs.find("commune");
  if (!communes) return nullptr;
  for (const Entry* e : communes->find_all_by_code(code))
    if (e->valid_on(on)) return e;
  return nullptr;
}

// The province of a commune entry: a current commune's parent is its province; a pre-reform
// commune's parent is its district, whose parent is the province of that time.
std::string province_of(const CatalogSet& catalogs, const Entry& commune, bool old_unit) {
  if (!old_unit) return commune.parent;
  const Catalog* districts = catalogs.find("district_legacy");
  if (!districts) return "";
  for (const Entry* d : districts->find_all_by_code(commune.parent)) return d->parent;
  return "";
}

// The pre-reform commune a stored value names, if it names one: a value recorded before the
// reform always does; a later one only when no current commune has that code (GSO reused codes,
// and the recode reads a current unit's code as that unit).
const Entry* old_unit_of(const CatalogSet& catalogs, const CommuneValue& v, Date today) {
  if (!v.recorded_before_reform && commune_on(catalogs, v.code, today)) return nullptr;
  return commune_on(catalogs, v.code, day_before(kReform));
}

// The current commune a stored value stands for: itself when current, else the one commune its
// old unit went into; nullptr for a split unit (no single answer) or an unknown code.
const Entry* current_unit_of(const CatalogSet& catalogs, const CommuneValue& v, Date today) {
  if (const Entry* old = old_unit_of(catalogs, v, today)) {
    const Catalog* xw = catalogs.find("admin_crosswalk");
    if (!xw) return nullptr;
    auto links = xw->find_all_by_code(old->code);
    return links.size() == 1 ? commune_on(catalogs, links[0]->parent, today) : nullptr;
  }
  return commune_on(catalogs, v.code, today);
}

PlacedUnit placed(const CatalogSet& catalogs, const Entry& e, bool old_unit) {
  return {e.code, e.name, province_of(catalogs, e, old_unit), true};
}

}  // namespace

std::optional<UnitsMode> parse_units_mode(std::string_view s) {
  if (s == "as_of") return UnitsMode::kAsOf;
  if (s == "current") return UnitsMode::kCurrent;
  return std::nullopt;
}

const char* units_mode_name(UnitsMode mode) { return mode == UnitsMode::kCurrent ? "current" : "as_of"; }

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

PlacedUnit place_unit(const CatalogSet& catalogs, const std::vector<CommuneValue>& history, Date as_of,
                      UnitsMode mode) {
  if (history.empty() || history.front().code.empty()) return {"", "", "", false};
  const Date today = Date::today();
  const CommuneValue& stored = history.front();
  // Unresolved: the stored value as it stands, named as of the report's date when it can be.
  auto as_stored = [&] {
    bool old_unit = old_unit_of(catalogs, stored, today) != nullptr;
    const Entry* e = commune_on(catalogs, stored.code, old_unit ? day_before(kReform) : today);
    PlacedUnit p = e ? placed(catalogs, *e, old_unit) : PlacedUnit{stored.code, "", "", true};
    p.resolved = false;
    return p;
  };
  const Entry* current = current_unit_of(catalogs, stored, today);
  if (mode == UnitsMode::kCurrent || as_of >= kReform) return current ? placed(catalogs, *current, false) : as_stored();
  for (const auto& v : history)
    if (const Entry* old = old_unit_of(catalogs, v, today)) return placed(catalogs, *old, true);
  // No old value stored: the old commune is known only when the current one was formed from one.
  if (current) {
    auto h = unit_history(catalogs, current->code, today);
    if (h && h->predecessors.size() == 1 && !h->predecessors[0].partial)
      if (const Entry* old = commune_on(catalogs, h->predecessors[0].code, day_before(kReform)))
        return placed(catalogs, *old, true);
  }
  return as_stored();
}

}  // namespace hub::catalog
