#pragma once
// The outcome of each vendor record of a chunk as the inbox keeps it: one batch_record row per
// record (status, the records it wrote, its issues, the mapping version), in the chunk's
// transaction, so a chunk's outcomes commit or roll back with its store changes. The partition
// key (batch_received_at, migration 0028) is its batch's. No state, thread-safe.

#include <pqxx/pqxx>

#include <string>
#include <vector>

#include "hub/model/outcome.h"

namespace hub::inbox {

// Writes one batch_record row per outcome of batch `batch_id` (COPY: a chunk holds up to
// thousands). A row for an index that already has one is a conflict the caller's transaction
// fails on: an outcome is written once.
void write_outcomes(pqxx::work& tx, long long batch_id, const std::string& mapping_version,
                    const std::vector<RecordOutcome>& outcomes);

}  // namespace hub::inbox
