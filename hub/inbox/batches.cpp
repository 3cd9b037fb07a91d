#include "hub/inbox/batches.h"

#include "hub/common/json.h"
#include "hub/inbox/pending_store.h"
#include "hub/store/copy_binary.h"

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
  // COPY returns no id, and its binary format wants timestamps as PostgreSQL encodes them.
  const auto row = tx.exec_params1(
      "select nextval(pg_get_serial_sequence('inbox_batch', 'id')), timestamptz_send(now()),"
      " timestamptz_send(now() + make_interval(secs => $1))",
      b.lease_seconds);
  const long long id = row[0].as<long long>();
  const pqxx::binarystring now(row[1]), lease_until(row[2]);
  auto bytes = [](const pqxx::binarystring& s) { return std::string_view(s.get(), s.size()); };
  CopyBinaryRow copy("inbox_batch", {"id", "partner_id", "feed", "content_type", "body", "body_sha256",
                                     "idempotency_key", "request_id", "status", "record_count", "lease_owner",
                                     "lease_until", "started_at"});
  copy.int8(id).int8(b.partner_id).text(b.feed).text(b.content_type).binary(b.body).binary(b.body_sha256);
  if (b.idempotency_key.empty()) copy.null(); else copy.text(b.idempotency_key);
  copy.text(b.request_id).text(taken ? "processing" : "received").int4(b.record_count);
  if (taken) copy.text(b.lease_owner).binary(bytes(lease_until)).binary(bytes(now));
  else copy.null().null().null();
  copy.write(tx);
  return id;
}

std::string read_body(pqxx::work& tx, long long batch_id, std::size_t body_bytes) {
  constexpr long long kSlice = 4 << 20;
  const auto size = static_cast<long long>(body_bytes);
  std::string body;
  body.reserve(body_bytes);
  for (long long at = 0; at < size; at += kSlice) {
    pqxx::binarystring part(
        tx.exec_params1("select substring(body from $2 for $3) from inbox_batch where id = $1", batch_id, at + 1, kSlice)[0]);
    body.append(reinterpret_cast<const char*>(part.data()), part.size());
    if (part.size() < static_cast<std::size_t>(kSlice)) break;  // purged since its size was read
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

std::optional<Held> held_by(pqxx::work& tx, long long batch_id, const std::string& worker) {
  auto rows = tx.exec_params(
      "select b.partner_id, p.name, p.units::text, b.feed, b.content_type, b.next_index, octet_length(b.body)"
      " from inbox_batch b join partner p on p.id = b.partner_id where b.id = $1 and b.lease_owner = $2",
      batch_id, worker);
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  return Held{r[0].as<long long>(), r[1].c_str(), r[3].c_str(), r[4].c_str(), json::parse_string_array(r[2].c_str()),
              r[5].as<int>(), r[6].is_null() ? 0 : r[6].as<std::size_t>()};
}

std::vector<int> done_indexes(pqxx::work& tx, long long batch_id) {
  std::vector<int> out;
  for (const auto& row : tx.exec_params("select index from batch_record where batch_id = $1", batch_id))
    out.push_back(row[0].as<int>());
  return out;
}

std::optional<long long> claim_next(pqxx::work& tx, const std::string& worker, int lease_seconds) {
  static const std::string kClaimable =
      " b.status in ('received', 'processing') and (b.status = 'received' or b.lease_until < now())"
      " and (b.retry_at is null or b.retry_at <= now())";
  auto partners = tx.exec(
      "select p.id from partner p left join ingest_turn t on t.partner_id = p.id"
      " where exists (select 1 from inbox_batch b where b.partner_id = p.id and" + kClaimable + ")"
      " order by t.claimed_at nulls first, p.id limit 8");
  for (const auto& partner : partners) {
    auto rows = tx.exec_params(
        "update inbox_batch set status = 'processing', lease_owner = $1,"
        " lease_until = now() + make_interval(secs => $2), started_at = coalesce(started_at, now()), retry_at = null"
        " where id = (select b.id from inbox_batch b where b.partner_id = $3 and" + kClaimable +
            " order by b.id limit 1 for update skip locked) returning id",
        worker, lease_seconds, partner[0].as<long long>());
    if (rows.empty()) continue;
    tx.exec_params(
        "insert into ingest_turn(partner_id, claimed_at) values ($1, clock_timestamp())"
        " on conflict (partner_id) do update set claimed_at = excluded.claimed_at",
        partner[0].as<long long>());
    return rows[0][0].as<long long>();
  }
  return std::nullopt;
}

void finish(pqxx::work& tx, long long batch_id, const std::string& worker, const std::string& status,
            const char* error_json, const char* mapping_version) {
  tx.exec_params(
      "update inbox_batch set status = $3, finished_at = now(), lease_owner = null, lease_until = null,"
      " retry_at = null, error = $4::jsonb, mapping_version = coalesce(mapping_version, $5),"
      " counts = coalesce((select jsonb_object_agg(status, n) from (select status, count(*) n"
      "   from batch_record where batch_id = $1 group by status) c), '{}')"
      " where id = $1 and lease_owner = $2",
      batch_id, worker, status, error_json, mapping_version);
}

void hand_back(pqxx::work& tx, long long batch_id, const std::string& worker) {
  tx.exec_params("update inbox_batch set lease_until = now() where id = $1 and lease_owner = $2", batch_id, worker);
}

bool finished_within(pqxx::work& tx, long long batch_id, int max_records) {
  return tx.exec_params1(
      "select status in ('done', 'failed') and record_count <= $2 from inbox_batch where id = $1",
      batch_id, max_records)[0].as<bool>();
}

std::optional<Attempts> lock_attempts(pqxx::work& tx, long long batch_id, const std::string& worker) {
  auto row = tx.exec_params(
      "select attempts, record_count from inbox_batch where id = $1 and lease_owner = $2 for update",
      batch_id, worker);
  if (row.empty()) return std::nullopt;
  return Attempts{row[0][0].as<int>(), row[0][1].is_null() ? 0 : row[0][1].as<int>()};
}

NotProcessed not_processed(pqxx::work& tx, long long batch_id, int record_count) {
  auto gaps = tx.exec_params1(
      "select coalesce(jsonb_agg(jsonb_build_array(lo, hi) order by lo), '[]')::text,"
      "   coalesce(sum(hi - lo + 1), 0) from (select min(i) lo, max(i) hi from ("
      "     select i, i - row_number() over (order by i) g from generate_series(0, $2 - 1) i"
      "     where not exists (select 1 from batch_record r where r.batch_id = $1 and r.index = i)) s"
      "   group by g order by lo limit 100) t",
      batch_id, record_count);
  const long long count = tx.exec_params1(
      "select coalesce(b.record_count, 0) - (select count(*) from batch_record r where r.batch_id = $1)"
      " from inbox_batch b where b.id = $1", batch_id)[0].as<long long>();
  return NotProcessed{gaps[0].c_str(), count};
}

void record_attempt(pqxx::work& tx, long long batch_id, const std::string& worker, int attempts,
                    const std::string& error_json, bool failed, double retry_seconds) {
  tx.exec_params(
      "update inbox_batch set attempts = $3, error = $4::jsonb, lease_owner = null, lease_until = null,"
      " status = case when $5 then 'failed' else 'received' end,"
      " retry_at = case when $5 then null else now() + make_interval(secs => $6) end,"
      " finished_at = case when $5 then now() end,"
      " counts = coalesce((select jsonb_object_agg(status, n) from (select status, count(*) n"
      "   from batch_record where batch_id = $1 group by status) c), '{}')"
      " where id = $1 and lease_owner = $2",
      batch_id, worker, attempts, error_json, failed, retry_seconds);
}

std::string batch_page(pqxx::work& tx, long long batch_id, long long partner_id, int offset, int limit) {
  auto b = tx.exec_params(
      "select b.id, p.name, b.feed, b.status, b.record_count, b.next_index, b.counts::text,"
      " coalesce(b.mapping_version, ''), to_char(b.received_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
      " to_char(b.finished_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(b.error::text, ''),"
      " b.attempts, to_char(b.retry_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
      " from inbox_batch b join partner p on p.id = b.partner_id where b.id = $1 and ($2 < 0 or b.partner_id = $2)",
      batch_id, partner_id);
  if (b.empty()) return "";
  const auto& r = b[0];
  int total = r[4].is_null() ? 0 : r[4].as<int>();
  json::JsonWriter w;
  w.begin_object().kv("batch_id", r[0].as<long long>()).kv("partner", r[1].c_str()).kv("feed", r[2].c_str())
      .kv("status", r[3].c_str()).kv("record_count", total).kv("processed", r[5].as<int>())
      .key("counts").raw(r[6].c_str()).kv("mapping_version", r[7].c_str()).kv("received_at", r[8].c_str());
  w.key("finished_at");
  if (r[9].is_null()) w.null(); else w.value(r[9].c_str());
  // attempts: attempts that ended in an error; error: the last one's, final once failed.
  w.kv("attempts", r[11].as<int>());
  if (!r[12].is_null()) w.kv("retry_at", r[12].c_str());
  if (!std::string(r[10].c_str()).empty()) w.key("error").raw(r[10].c_str());
  w.key("results").begin_array();
  int shown = 0;
  for (const auto& row : tx.exec_params(
           std::string("select b.index, b.source_id, b.status, b.entities::text, b.errors::text, b.mapping_version,"
                       " case when b.status = 'pending' then ") + pending::kWaitingForSql + "::text end"
           " from batch_record b where b.batch_id = $1 and b.index >= $2 order by b.index limit $3",
           batch_id, offset, limit)) {
    w.begin_object().kv("index", row[0].as<int>()).kv("source_id", row[1].c_str()).kv("status", row[2].c_str())
        .key("entities").raw(row[3].c_str()).key("errors").raw(row[4].c_str());
    if (!row[6].is_null()) w.key("waiting_for").raw(row[6].c_str());
    w.kv("mapping_version", row[5].c_str()).end_object();
    ++shown;
  }
  w.end_array();
  w.key("next_offset");
  if (offset + shown < r[5].as<int>() && shown == limit) w.value(offset + shown); else w.null();
  w.end_object();
  return w.str();
}

std::string batch_list(pqxx::work& tx, long long partner_id, int limit, const std::string& status) {
  json::JsonWriter w;
  w.begin_object().key("batches").begin_array();
  for (const auto& r : tx.exec_params(
           "select b.id, p.name, b.feed, b.status, b.record_count, b.next_index, b.counts::text,"
           " to_char(b.received_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), b.attempts,"
           " b.error::text"
           " from inbox_batch b join partner p on p.id = b.partner_id where ($1 < 0 or b.partner_id = $1)"
           " and ($3 = '' or b.status = $3) order by b.id desc limit $2",
           partner_id, limit, status)) {
    w.begin_object().kv("batch_id", r[0].as<long long>()).kv("partner", r[1].c_str()).kv("feed", r[2].c_str())
        .kv("status", r[3].c_str()).kv("record_count", r[4].is_null() ? 0 : r[4].as<int>())
        .kv("processed", r[5].as<int>()).key("counts").raw(r[6].c_str()).kv("received_at", r[7].c_str())
        .kv("attempts", r[8].as<int>());
    if (!r[9].is_null()) w.key("error").raw(r[9].c_str());
    w.kv("location", "/v1/batches/" + r[0].as<std::string>()).end_object();
  }
  w.end_array().end_object();
  return w.str();
}

}  // namespace hub::inbox
