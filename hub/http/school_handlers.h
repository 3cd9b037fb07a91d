#pragma once
// Registers the school lifecycle routes (scope "admin"): the HTTP twin of `hubctl school`.
//   POST /v1/admin/schools/events        {"action": "plan" | "apply" | "undo" | "decide_class", ...}
//   GET  /v1/admin/schools/events/{plan} a stored plan, with what it did
#include "hub/http/routes.h"

namespace hub {
void register_school_routes(Router& router, Components& c);
}
