#pragma once
// An inbox header that includes the write pipeline: the include scripts/check-deps.sh must
// refuse (inbox may not use ingest; ingest uses inbox), checked by the CTest test
// check_deps_refuses_inbox_to_ingest.
#include "hub/ingest/golden_store.h"
