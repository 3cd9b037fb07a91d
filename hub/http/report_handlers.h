#pragma once
// The EMIS cut-off report routes (hub/reports/emis.h), for the department, communes and schools:
//   GET  /v1/admin/reports/emis?as_of=&by=commune|school&level=&format=json|csv|xlsx
//   POST /v1/admin/reports/emis:freeze   {"as_of", "by", "level", "label"}  (reports:freeze)
//   GET  /v1/admin/reports/frozen?limit=
//   GET  /v1/admin/reports/frozen/{id}?format=json|csv|xlsx
//   GET  /v1/admin/reports/frozen/{id}:diff?format=json|csv
//   GET  /v1/admin/reports/open-data?as_of=&by=&level=&format=json|csv|dictionary
// Reading needs the scope reports:read (or admin); every answer covers the caller's units only,
// and every read is written to the audit log.
#include "hub/http/routes.h"

namespace hub {
void register_report_routes(Router& router, Components& c);
}
