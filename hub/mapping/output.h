#pragma once
// Pieces of the JSON that write_output (mapping.h) makes of a run, for writers that stream a
// long run's results one by one instead of holding them all (`hubctl mapping run`).

#include "hub/common/json.h"
#include "hub/mapping/mapping.h"

namespace hub::mapping {

// One element of write_output's "results".
void write_result(json::JsonWriter& w, const RecordResult& r);

}  // namespace hub::mapping
