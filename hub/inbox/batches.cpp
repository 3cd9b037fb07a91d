#include "hub/inbox/batches.h"

namespace hub::inbox {

std::optional<Prior> find_by_key(pqxx::work& tx, long long partner_id, const std::string& idempotency_key,
                                 const std::string& body_sha256) {
  if (idempotency_key.empty()) return std::nullopt;
  auto prior = tx.exec_params(
      "select id, body_sha256 = $3 from inbox_batch where partner_id = $1 and idempotency_key = $2", partner_id,
      idempotency_key, pqxx::binarystring(body_sha256));
  if (prior.empty()) return std::nullopt;
  return Prior{prior[0][0].as<long long>(), prior[0][1].as<bool>()};
}

long long store(pqxx::work& tx, const NewBatch& b) {
  // A key taken by a concurrent push waits for it here (the unique index), then claims nothing.
  if (!b.idempotency_key.empty() &&
      tx.exec_params("insert into inbox_idempotency(partner_id, idempotency_key) values ($1, $2)"
                     " on conflict do nothing returning 1",
                     b.partner_id, b.idempotency_key).empty())
    return 0;
  const bool taken = !b.lease_owner.empty();
  auto row = tx.exec_params(
      "insert into inbox_batch(partner_id, feed, content_type, body, body_sha256, idempotency_key,"
      " request_id, status, record_count, lease_owner, lease_until, started_at)"
      " values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
      "   case when $10::text is null then null else now() + make_interval(secs => $11) end,"
      "   case when $10::text is null then null else now() end)"
      " returning id",
      b.partner_id, b.feed, b.content_type, pqxx::binarystring(b.body.data(), b.body.size()), pqxx::binarystring(b.body_sha256),
      b.idempotency_key.empty() ? nullptr : b.idempotency_key.c_str(), b.request_id,
      taken ? "processing" : "received", b.record_count, taken ? b.lease_owner.c_str() : nullptr, b.lease_seconds);
  return row.empty() ? 0 : row[0][0].as<long long>();
}

std::string read_body(pqxx::work& tx, long long batch_id) {
  constexpr long long kSlice = 4 << 20;
  const auto size = tx.exec_params1("select coalesce(octet_length(body), 0) from inbox_batch where id = $1",
                                    batch_id)[0].as<long long>();
  std::string body;
  body.reserve(static_cast<std::size_t>(size));
  for (long long at = 0; at < size; at += kSlice) {
    pqxx::binarystring part(
        tx.exec_params1("select substring(body from $2 for $3) from inbox_batch where id = $1", batch_id, at + 1, kSlice)[0]);
    body.append(reinterpret_cast<const char*>(part.data()), part.size());
  }
  return body;
}

bool fence(pqxx::work& tx, long long batch_id, const std::string& worker, int written, int lease_seconds,
           const std::string& mapping_version) {
  auto fenced = tx.exec_params(
      "update inbox_batch set next_index = next_index + $3, lease_until = now() + make_interval(secs => $4),"
      " mapping_version = coalesce(mapping_version, $5)"
      " where id = $1 and lease_owner = $2",
      batch_id, worker, written, lease_seconds, mapping_version);
  return fenced.affected_rows() == 1;
}

}  // namespace hub::inbox
