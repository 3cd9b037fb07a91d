#pragma once
// Registers the partner and audit administration routes (scope "admin").
#include "hub/http/routes.h"

namespace hub {
void register_admin_routes(Router& router, Components& c);
// Mapping administration: list, reload, and try a mapping on a payload without storing it.
void register_mapping_routes(Router& router, Components& c);
// Ingest, batches and records.
void register_ingest_routes(Router& router, Components& c);
}
