#pragma once
// Routes of the quality and progress reports: GET /v1/admin/quality (the measures of a unit and
// one level down, as JSON, CSV or .xlsx) and GET /v1/admin/quality/records (the records behind
// one measure). Callers need the admin scope (every unit, personal IDs in clear) or
// reports:read (their own units only, personal IDs masked); every read of the records behind a
// measure is written to the audit log. docs/reports.md describes both. Handlers are thread-safe.

#include "hub/http/routes.h"

namespace hub {

void register_reports_routes(Router& router, Components& c);

}  // namespace hub
