#pragma once
// ChangeFeed: reads the change log in seq order for the pull API and the push connectors, and
// writes each change as a consumer may see it (its publication profile applied). A change of a
// live record carries the record's data at that version (from record_version), so a consumer
// replaying the feed sees every state in order; deletes and merges are tombstones without data
// (a merge names the surviving record). Pages are keyset reads on (entity, seq), so page 10,000
// costs what page 1 does. Functions only; thread-safe.

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

#include "hub/common/json.h"
#include "hub/mapping/schema.h"
#include "hub/sync/publication.h"

namespace hub::sync {

struct ChangeRow {
  long long seq = 0;
  std::string entity, record_id, op;
  int version = 0;
  std::string at;           // ISO-8601 UTC, microseconds
  std::string data;         // JSON object of the fields at that version; empty for tombstones
  std::string merged_into;  // merges: the surviving record
  std::string valid_from, valid_to;  // effective-dated entities, "" when none
  bool tombstone() const { return op == "delete" || op == "merge"; }
};

// When a consumer's cursor (`after`) cannot be served without skipping changes silently: it is
// past the newest change (the database was restored to an earlier point), or inside a stretch a
// restore lost (change_log_restore, hubctl sync restored). Then the newest valid seq (the
// consumer must replay), else nullopt.
std::optional<long long> cursor_ahead(pqxx::transaction_base& tx, long long after);

// When changes after the cursor were in a month of the change log that `hubctl partitions`
// detached: the last seq of those months (the consumer starts again from a snapshot and reads
// after it), else nullopt.
std::optional<long long> cursor_expired(pqxx::transaction_base& tx, long long after);

// Changes with seq > after of the given entities (all when empty), in seq order, at most limit.
std::vector<ChangeRow> read_changes(pqxx::transaction_base& tx, const std::vector<std::string>& entities,
                                    long long after, int limit);

// The statement read_changes runs for one entity, parameters ($1 entity, $2 after, $3 limit): its
// plan can be checked with EXPLAIN (tests, operations) on the statement the feed really sends.
std::string changes_page_sql_one_entity();

// The highest seq of the change log (0 when empty).
long long head_seq(pqxx::transaction_base& tx);

// One change as the consumer sees it: {"seq","entity","id","op","version","at", "data" | "tombstone",
// "merged_into", "valid_from", "valid_to"}.
void write_change(json::JsonWriter& w, const ChangeRow& c, const Publication& pub, const EntityProfile& profile,
                  const schema::EntitySchema& schema);

}  // namespace hub::sync
