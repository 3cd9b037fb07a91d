#pragma once
// Search of students, staff and schools by name for the records API and the console
// (GET /v1/records/{entity}?q=). Names are compared folded (hub/mapping/text.h fold_key on the
// query, the SQL function hub_fold of migration 0031 on the stored name): no diacritics, no case,
// so "nguyen van an" finds "Nguyễn Văn An" anywhere in the name. A caller limited to units finds
// the records it may open with GET /v1/records/{entity}/{id}: those whose place, read as the
// records API reads it (record_queries.h: the school the record names, else its own commune),
// is inside its units. Paged and bounded: at most kSearchMaxScan matching names are looked at per
// call, so a search by a very common name in a small unit may say `truncated` instead of scanning
// the whole city. The scan reads the entity's records (no index on the folded name). Thread-safe.

#include <string>
#include <vector>

#include "hub/common/result.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/store/pg_pool.h"

namespace hub {

inline constexpr int kSearchMaxLimit = 50;
inline constexpr int kSearchMaxOffset = 1000;
inline constexpr int kSearchMaxScan = 5000;

struct NameSearch {
  std::string entity;  // student, staff or school
  std::string query;   // as typed; folded here
  int limit = 20;      // 1..kSearchMaxLimit
  int offset = 0;      // 0..kSearchMaxOffset
  std::vector<std::string> units;  // the caller's units; empty: every unit
};

struct NameHit {
  std::string id, name;
  std::string school_code;  // schools only
};

struct NameSearchResult {
  std::vector<NameHit> hits;
  bool has_more = false;
  bool truncated = false;  // kSearchMaxScan names were looked at before the page was full
};

// Errors: search.entity (an entity without names to search), search.query (a query whose folded
// form has fewer than 2 or more than 100 characters).
Result<NameSearchResult> search_by_name(PgPool& pg, const mapping::Snapshot& snap, const NameSearch& s);

}  // namespace hub
