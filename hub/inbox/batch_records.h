#pragma once
// One vendor record of a stored push, as the vendor sent it, for the console's batches page
// (the original beside the canonical result): read back from the inbox (inbox_batch.body) and
// selected with the feed's mapping, as a queued batch is processed. Personal IDs (12 digits) in
// it are masked: the page is for seeing what went wrong, not for copying identities. A payload
// emptied by retention (hubctl retention) has no original any more. Thread-safe.

#include <optional>
#include <string>

#include "hub/common/result.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/store/pg_pool.h"

namespace hub {

struct VendorRecord {
  int index = 0;
  std::string path;     // normalized JSONPath of the record in the payload
  std::string record;   // JSON text, personal IDs masked
  std::string mapping;  // the mapping version that selected it (the one loaded now)
};

// Record `index` of batch `batch_id` (of partner `partner_id`; -1: any partner's).
// Errors: batch.not_found, batch.record_not_found, batch.payload_purged, ingest.unknown_feed.
Result<VendorRecord> vendor_record(PgPool& pg, const mapping::Snapshot& snap, long long batch_id, long long partner_id,
                                   int index, int max_depth);

}  // namespace hub
