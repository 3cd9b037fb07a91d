#pragma once
// The operators' view of the push consumers and their durable state (sync_consumer,
// sync_dead_letter), shared by `hubctl sync status|pause|resume|replay|dead-letters` and the admin
// API (/v1/admin/sync/..., the console's sync page). A running hub sees a pause, resume or replay
// on its next round (within sync.poll_ms), with no restart. Every change of state writes an audit
// row naming who did it. Functions only; thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "hub/store/pg_pool.h"
#include "hub/sync/publication.h"

namespace hub::sync {

struct ConsumerStatus {
  std::string name;
  std::string state;  // paused | retrying | behind | current
  std::string sink;   // "http", "file (disabled)", "(not configured)"
  long long cursor = 0, lag = 0, delivered = 0, dead_letters = 0;
  int attempts = 0;
  std::string last_success_at;  // ISO-8601 UTC, "" when never
  std::string last_error;
};

// The consumers `publication` configures with a push connector (null: none known), and any
// consumer the database holds a cursor for (one since removed), by name. Lag: changes of the
// consumer's entities past its cursor.
std::vector<ConsumerStatus> consumer_statuses(PgPool& pg, const Publication* publication);

struct DeadLetter {
  long long id = 0;
  std::string consumer;
  long long first_seq = 0, last_seq = 0;
  int changes = 0, attempts = 0;
  std::string error, at, idempotency_key;
};

// Newest first; `consumer` "" for every consumer; at most `limit`.
std::vector<DeadLetter> dead_letters(PgPool& pg, const std::string& consumer, int limit);

// Who acts, for the audit row: "user:<login>", a partner's name, or the operator at a terminal.
struct SyncActor {
  std::string name, source;
};

void set_paused(PgPool& pg, const std::string& consumer, bool paused, const SyncActor& actor);
// The consumer gets every change from seq `from` on again (cursor from - 1, attempts cleared).
void replay(PgPool& pg, const std::string& consumer, long long from, const SyncActor& actor);

}  // namespace hub::sync
