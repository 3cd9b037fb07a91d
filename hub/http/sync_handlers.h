#pragma once
// The warehouse sync routes (scope pull:<entity>, the caller's publication profile applied):
//   GET /v1/changes/{entity}?after=<seq>&limit=   the change log in order, JSON or NDJSON
//   GET /v1/shared/{entity}/{id}                  a record's current data
//   GET /v1/shared/{entity}?updated_since=&cursor=&limit=   current data changed since a time
#include "hub/http/routes.h"

namespace hub {
void register_sync_routes(Router& router, Components& c);
}
