#pragma once
// The pipeline header the forbidden inbox header names (tests/scripts/check_deps_inbox_forbidden).
