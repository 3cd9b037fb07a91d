#include "hub/reports/placement.h"

namespace hub::reports {
namespace {

// Record ids (uuids read from the store) as a PostgreSQL array literal.
std::string uuid_array(const std::vector<std::string>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + ids[i];
  return out + "}";
}

}  // namespace

std::map<std::string, std::vector<catalog::CommuneValue>> commune_histories(pqxx::work& tx,
                                                                            const std::vector<std::string>& school_ids) {
  std::map<std::string, std::vector<catalog::CommuneValue>> out;
  if (school_ids.empty()) return out;
  // Vietnam's day: the reform took effect at 00:00 there on 1 July 2025.
  for (const auto& r : tx.exec_params(
           "select record_id::text, data->>'commune', recorded_at < timestamptz '2025-07-01 00:00:00+07'"
           " from record_version where record_id = any($1::uuid[]) and coalesce(data->>'commune', '') <> ''"
           " order by record_id, version desc",
           uuid_array(school_ids)))
    out[r[0].c_str()].push_back({r[1].c_str(), r[2].as<bool>()});
  return out;
}

std::map<std::string, SchoolPlacement> place_schools(pqxx::work& tx, const catalog::CatalogSet& catalogs,
                                                     const std::vector<std::string>& school_ids, Date as_of,
                                                     catalog::UnitsMode mode) {
  std::map<std::string, SchoolPlacement> out;
  for (const auto& [id, history] : commune_histories(tx, school_ids))
    out[id] = {catalog::place_unit(catalogs, history, as_of, mode),
               catalog::place_unit(catalogs, history, as_of, catalog::UnitsMode::kCurrent)};
  return out;
}

}  // namespace hub::reports
