#include "hub/store/audit_log.h"

namespace hub {

void AuditLog::record(pqxx::work& tx, const std::string& actor, const std::string& action,
                      const std::string& target, const std::string& source,
                      const std::string& detail_json) {
  tx.exec_params(
      "insert into audit_log(actor, action, target, source, detail) values ($1, $2, $3, $4, $5::jsonb)",
      actor, action, target, source, detail_json);
}

void AuditLog::record(const std::string& actor, const std::string& action,
                      const std::string& target, const std::string& source,
                      const std::string& detail_json) {
  pool_.with_transaction(
      [&](pqxx::work& tx) { record(tx, actor, action, target, source, detail_json); });
}

std::vector<AuditEntry> AuditLog::query(const AuditFilter& f) {
  return pool_.with_transaction([&](pqxx::work& tx) {
    std::string action_pattern;
    if (f.action) {
      action_pattern = *f.action;
      if (!action_pattern.empty() && action_pattern.back() == '*') {
        action_pattern.pop_back();
        action_pattern += '%';
      }
    }
    // Null parameters switch a condition off, so one statement serves every filter.
    auto rows = tx.exec_params(
        "select id, to_char(at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), actor,"
        " action, target, source, detail::text from audit_log"
        " where ($1::text is null or actor = $1)"
        "   and ($2::text is null or action like $2)"
        "   and ($3::timestamptz is null or at >= $3::timestamptz)"
        "   and ($4::timestamptz is null or at < $4::timestamptz)"
        " order by id desc limit $5",
        f.actor ? f.actor->c_str() : nullptr,
        f.action ? action_pattern.c_str() : nullptr, f.since ? f.since->c_str() : nullptr,
        f.until ? f.until->c_str() : nullptr, f.limit);
    std::vector<AuditEntry> out;
    for (const auto& r : rows) {
      out.push_back({r[0].as<long long>(), r[1].c_str(), r[2].c_str(), r[3].c_str(),
                     r[4].c_str(), r[5].c_str(), r[6].c_str()});
    }
    return out;
  });
}

}  // namespace hub
