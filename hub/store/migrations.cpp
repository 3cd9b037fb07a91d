#include "hub/store/migrations.h"

#include <openssl/sha.h>

#include <pqxx/pqxx>

#include <cstdio>
#include <stdexcept>

namespace hub {
namespace {

// Any fixed number: it names "the hub's migration lock" among the database's advisory locks.
constexpr long long kMigrationLockId = 0x4855425f4d494752;  // "HUB_MIGR"

std::string sha256_hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  char hex[SHA256_DIGEST_LENGTH * 2 + 1];
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", d[i]);
  return hex;
}

// A statement outside any transaction block (pqxx allows one transaction object at a time).
pqxx::result run(pqxx::connection& conn, const std::string& sql) {
  pqxx::nontransaction tx(conn);
  return tx.exec(sql);
}

}  // namespace

MigrationReport apply_migrations(const std::string& postgres_url) {
  pqxx::connection conn(postgres_url);
  // Session-level lock: held across the transactions below, released at the end.
  run(conn, "select pg_advisory_lock(" + std::to_string(kMigrationLockId) + ")");
  MigrationReport report;
  try {
    run(conn,
        "create table if not exists schema_migration ("
        " name text primary key, checksum text not null,"
        " applied_at timestamptz not null default now())");
    for (const auto& m : embedded_migrations()) {
      std::string checksum = sha256_hex(m.sql);
      auto existing = run(conn, "select checksum from schema_migration where name = " +
                                    conn.quote(m.name));
      if (!existing.empty()) {
        if (existing[0][0].as<std::string>() != checksum)
          throw std::runtime_error("migration " + m.name +
                                   " was changed after it was applied; add a new migration instead");
        ++report.already;
        continue;
      }
      try {
        pqxx::work tx(conn);
        tx.exec(m.sql);
        tx.exec_params("insert into schema_migration(name, checksum) values ($1, $2)", m.name,
                       checksum);
        tx.commit();
      } catch (const std::exception& e) {
        throw std::runtime_error("migration " + m.name + " failed: " + e.what());
      }
      report.applied.push_back(m.name);
    }
  } catch (...) {
    run(conn, "select pg_advisory_unlock(" + std::to_string(kMigrationLockId) + ")");
    throw;
  }
  run(conn, "select pg_advisory_unlock(" + std::to_string(kMigrationLockId) + ")");
  return report;
}

}  // namespace hub
