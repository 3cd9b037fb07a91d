#include "hub/store/record_search.h"

#include "hub/common/scopes.h"
#include "hub/mapping/text.h"

namespace hub {
namespace {

constexpr int kScanPage = 200;

const char* name_field(const std::string& entity) {
  if (entity == "student" || entity == "staff") return "full_name";
  if (entity == "school") return "name";
  return nullptr;
}

// Whether the caller may open the record: its place as the records API reads it
// (RecordQueries::find: the school it names, else its own commune), inside the caller's units.
std::vector<bool> allowed(const mapping::Snapshot& snap, const std::vector<std::string>& units, const pqxx::result& rows) {
  std::vector<bool> out;
  for (const auto& r : rows) {
    UnitPath place{r[3].c_str(), r[4].c_str(), r[5].c_str()};
    if (place.province.empty() && !place.commune.empty() && snap.catalogs)
      place.province = snap.catalogs->province_of_commune(place.commune);
    out.push_back(unit_allowed(units, place));
  }
  return out;
}

}  // namespace

Result<NameSearchResult> search_by_name(PgPool& pg, const mapping::Snapshot& snap, const NameSearch& s) {
  const char* field = name_field(s.entity);
  if (!field) return make_error("search.entity", "names are searched for student, staff and school only, not '" + s.entity + "'");
  std::string folded = text::fold_key(s.query);
  std::size_t n = text::code_points(folded);
  if (n < 2 || n > 100)
    return make_error("search.query", "q is a name of 2 to 100 letters or digits (diacritics and case do not matter)", "q");
  return pg.with_transaction([&](pqxx::work& tx) -> Result<NameSearchResult> {
    NameSearchResult out;
    const std::string name = std::string("g.data->>'") + field + "'";
    const std::string sql =
        "select g.id::text, coalesce(" + name + ", ''), coalesce(g.data->>'school_code', ''),"
        " coalesce(s.data->>'school_code', g.data->>'school_code', ''),"
        " coalesce(s.data->>'commune', g.data->>'commune', g.data->>'residence_commune', ''),"
        " coalesce(s.data->>'province', g.data->>'province', '')"
        " from golden_record g left join golden_record s on s.entity = 'school' and s.id::text = g.data->>'school'"
        " where g.entity = $1 and g.merged_into is null and hub_fold(" + name + ") like '%' || $2 || '%'"
        " order by hub_fold(" + name + "), g.id limit $3 offset $4";
    const int wanted = s.offset + s.limit + 1;  // one more: is there a next page?
    int seen = 0;  // allowed hits so far, the skipped ones of earlier pages included
    for (int scanned = 0; scanned < kSearchMaxScan; scanned += kScanPage) {
      const bool open = s.units.empty();
      // Without units every match is a hit: read the page asked for at once.
      auto rows = open ? tx.exec_params(sql, s.entity, folded, s.limit + 1, s.offset)
                       : tx.exec_params(sql, s.entity, folded, kScanPage, scanned);
      std::vector<bool> ok = open ? std::vector<bool>(rows.size(), true) : allowed(snap, s.units, rows);
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (!ok[i]) continue;
        if (open || seen++ >= s.offset) {
          if (static_cast<int>(out.hits.size()) == s.limit) {
            out.has_more = true;
            return out;
          }
          out.hits.push_back(NameHit{rows[i][0].c_str(), rows[i][1].c_str(), s.entity == "school" ? rows[i][2].c_str() : ""});
        }
      }
      if (open || static_cast<int>(rows.size()) < kScanPage || seen >= wanted) return out;
      if (scanned + kScanPage >= kSearchMaxScan) out.truncated = true;
    }
    return out;
  });
}

}  // namespace hub
