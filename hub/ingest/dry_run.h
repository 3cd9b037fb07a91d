#pragma once
// Dry run of a push (POST /v1/ingest/{feed}:validate): a partner's own token tries a payload on
// its feed and gets the answer a push would give record by record, with nothing stored: no inbox
// row, no golden record, no audit entry. The payload is read and mapped exactly as a push is
// (hub/inbox/payload.h), then checked as the golden store checks before matching: references to
// stored records (a record naming a school code the hub does not know is `pending`, with
// `waiting_for` and its `ref.unknown` issues) and, for a partner
// limited to units, the places each record names (`auth.unit`, `auth.unit_missing`). Matching is
// not run, so a record the push would send to review as a doubtful match, or reject because it
// matches a stored record of another unit, shows as `valid` here. Thread-safe.

#include <pqxx/pqxx>

#include <string>
#include <vector>

#include "hub/common/config.h"
#include "hub/ingest/ingest_service.h"
#include "hub/inbox/payload.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/store/pg_pool.h"
#include "hub/store/unit_policy.h"

namespace hub {

// Maps every record of `payload` with `m` (results in payload order) and checks their
// references, and their places when `scope` is given (hub/store/reference_lookup.h), reading
// through `tx` only. The dry run, the mapping :test route and `hubctl mapping run` share it.
std::vector<mapping::RecordResult> map_and_check(pqxx::transaction_base& tx, const mapping::Mapping& m,
                                                 const mapping::Snapshot& snapshot, const Payload& payload,
                                                 const UnitScope* scope = nullptr);

// The dry run of `body` on `feed` for `caller`: the JSON answer (docs/vendor-guide.md, section 3).
// Refuses as a push does, with reply.refusal: ingest.unknown_feed, auth.scope, a body it cannot
// read, ingest.no_records; and ingest.too_many_records above ingest.dry_run_max_records (the
// answer is built in the request, not queued). Otherwise reply.body is the answer (status 200).
// map_and_check of the records [first, last) of `payload` only (indexes stay the payload's), so a
// long file is mapped, checked and written a slice at a time (`hubctl mapping run`).
std::vector<mapping::RecordResult> map_and_check(pqxx::transaction_base& tx, const mapping::Mapping& m,
                                                 const mapping::Snapshot& snapshot, const Payload& payload,
                                                 std::size_t first, std::size_t last);

IngestReply dry_run(PgPool& pg, mapping::MappingRegistry& mappings, const Config& config, const IngestCaller& caller,
                    const std::string& feed, const std::string& body, const std::string& content_type);

}  // namespace hub
