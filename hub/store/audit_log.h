#pragma once
// AuditLog: the append-only record of administrative actions and authentication failures
// (who, what, when, from where). Details must never hold a token or a personal ID in clear.
// Thread-safe (each call takes its own pooled connection or uses the caller's transaction).

#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

#include "hub/store/pg_pool.h"

namespace hub {

struct AuditEntry {
  long long id = 0;
  std::string at;  // ISO 8601, UTC
  std::string actor;
  std::string action;
  std::string target;
  std::string source;
  std::string detail;  // JSON object text
};

struct AuditFilter {
  std::optional<std::string> actor;
  std::optional<std::string> action;  // exact, or a prefix ending in '*' ("auth.*")
  std::optional<std::string> since;   // timestamp or date accepted by PostgreSQL
  std::optional<std::string> until;
  int limit = 100;
};

class AuditLog {
 public:
  explicit AuditLog(PgPool& pool) : pool_(pool) {}

  // In the caller's transaction, so the action and its audit row commit together.
  static void record(pqxx::work& tx, const std::string& actor, const std::string& action,
                     const std::string& target, const std::string& source,
                     const std::string& detail_json = "{}");
  // In a transaction of its own (e.g. an authentication failure, which changes nothing else).
  void record(const std::string& actor, const std::string& action, const std::string& target,
              const std::string& source, const std::string& detail_json = "{}");

  // Newest first.
  std::vector<AuditEntry> query(const AuditFilter& filter);

 private:
  PgPool& pool_;
};

}  // namespace hub
