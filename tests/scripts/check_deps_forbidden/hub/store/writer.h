#pragma once
// A store header that includes the resolver: the include scripts/check-deps.sh must refuse
// (store may not use resolve), checked by the CTest test check_deps_refuses_forbidden.
#include "hub/resolve/resolver.h"
