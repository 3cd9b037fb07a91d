#pragma once
// Routes of the records API for the people who run the data (and partners with the scopes):
//   POST /v1/records/{entity}/{id}/corrections  {"field", "value", "reason"}: a person's
//        correction of one value (hub/store/corrections.h), scope correct:<entity>, with a
//        console session (and its CSRF token) or a partner token; 201 with the new version
//   GET  /v1/records/{entity}?q=<name>&limit=&offset=: students, staff or schools by name,
//        folded (hub/store/record_search.h), scope pull:<entity> (or admin), limited to the
//        caller's units
// A person's search and a person's read of a record write an audit row (who, which records,
// when; never the query or a personal ID). Handlers are thread-safe.

#include "hub/http/routes.h"

namespace hub {

void register_record_routes(Router& router, Components& c);

// The audit row of a person reading records (no-op for a partner token): action `record.read`
// or `record.search`, target the entity and record id, detail the record ids shown.
void audit_person_read(Components& c, const HttpRequest& req, const std::string& action, const std::string& target,
                       const std::vector<std::string>& ids);

}  // namespace hub
