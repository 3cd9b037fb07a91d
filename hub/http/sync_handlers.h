#pragma once
// The warehouse sync routes (scope pull:<entity>, the caller's publication profile applied):
//   GET /v1/changes/{entity}?after=<seq>&limit=   the change log in order, JSON or NDJSON
//   GET /v1/shared/{entity}/{id}                  a record's current data
//   GET /v1/shared/{entity}?updated_since=&cursor=&limit=   current data changed since a time
#include "hub/http/routes.h"
#include "hub/sync/publication.h"

namespace hub {
void register_sync_routes(Router& router, Components& c);

// The caller's publication profile for one entity, which every route handing record data to a
// caller other than an admin applies. Refuses with 503 publication.unavailable (profiles not
// loaded), 403 publication.no_profile (the partner has none) or 403 publication.entity.
struct CallerProfile {
  std::shared_ptr<const sync::Publication> publication;
  const sync::ConsumerProfile* consumer = nullptr;
  const sync::EntityProfile* profile = nullptr;
};
CallerProfile caller_profile(HttpRequest& req, Components& c, const std::string& entity);

// The statement of a GET /v1/shared/{entity} page, so that its plan can be checked with EXPLAIN:
// the first page ($1 entity, $2 updated_since, $3 limit + 1) or a later one (after_cursor: $3 and
// $4 the cursor's updated_at and id, $5 limit + 1).
std::string shared_page_sql(bool after_cursor);
}
