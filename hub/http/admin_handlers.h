#pragma once
// Registers the partner and audit administration routes (scope "admin").
#include "hub/http/routes.h"

namespace hub {
void register_admin_routes(Router& router, Components& c);
}
