#pragma once
// Versioned SQL migrations, compiled into the binaries. apply_migrations() runs the missing
// ones in order, each in its own transaction, under a PostgreSQL advisory lock, so several hub
// processes (and hubctl migrate) can start at once without racing. A migration already applied
// whose text has changed is refused: migrations are append-only.

#include <string>
#include <vector>

namespace hub {

struct Migration {
  std::string name;  // "0001_partners_and_audit": the number orders them
  std::string sql;
};

const std::vector<Migration>& embedded_migrations();

struct MigrationReport {
  std::vector<std::string> applied;  // names applied by this call
  int already = 0;                   // how many were there before
};

// Throws std::runtime_error (with the migration's name) when one fails.
MigrationReport apply_migrations(const std::string& postgres_url);

}  // namespace hub
