#include "hub/store/golden_bulk.h"

#include "hub/common/json.h"
#include "hub/store/copy_rows.h"

namespace hub::golden::bulk {
namespace {

void write_date(json::JsonWriter& w, const char* key, const std::optional<std::string>& d) {
  w.key(key);
  if (d) w.value(*d); else w.null();
}

}  // namespace

std::vector<Stored> lock(pqxx::work& tx, const std::vector<std::string>& ids) {
  std::vector<Stored> out;
  if (ids.empty()) return out;
  json::JsonWriter list;
  list.begin_array();
  for (const auto& id : ids) list.value(id);
  list.end_array();
  for (const auto& row : tx.exec_params(
           "select id::text, version, data::text, lineage::text from golden_record"
           " where id in (select jsonb_array_elements_text($1::jsonb)::uuid) order by id for update",
           list.str()))
    out.push_back(Stored{row[0].c_str(), row[1].as<int>(), row[2].c_str(), row[3].c_str()});
  return out;
}

void write_records(pqxx::work& tx, const Origin& origin, const std::vector<RecordRow>& created,
                   const std::vector<RecordRow>& changed) {
  const std::string batch_text = std::to_string(origin.batch_id), partner_text = std::to_string(origin.partner_id);
  CopyRows<7> new_records("golden_record", {"id", "entity", "version", "data", "lineage", "valid_from", "valid_to"});
  CopyRows<7> new_versions("record_version", {"record_id", "version", "data", "valid_from", "valid_to", "batch_id", "partner_id"});
  for (const auto& r : created) {
    const std::string version_text = std::to_string(r.version);
    new_records.add({r.id, r.entity, version_text, r.data, r.lineage, r.valid_from, r.valid_to});
    new_versions.add({r.id, version_text, r.data, r.valid_from, r.valid_to, batch_text, partner_text});
  }
  new_records.write(tx);
  new_versions.write(tx);
  if (changed.empty()) return;
  json::JsonWriter updates;
  updates.begin_array();
  for (const auto& r : changed) {
    updates.begin_object().kv("id", r.id).kv("version", r.version).key("data").raw(r.data).key("lineage").raw(r.lineage);
    write_date(updates, "valid_from", r.valid_from);
    write_date(updates, "valid_to", r.valid_to);
    updates.end_object();
  }
  updates.end_array();
  // The version rows are the updated rows themselves (RETURNING): what record_version keeps is
  // exactly what golden_record holds.
  tx.exec_params(
      "with upd as (update golden_record g set data = r.data, version = r.version, lineage = r.lineage,"
      "   valid_from = r.valid_from, valid_to = r.valid_to, updated_at = now()"
      "   from jsonb_to_recordset($1::jsonb) as r(id uuid, version int, data jsonb, lineage jsonb, valid_from date, valid_to date)"
      "   where g.id = r.id returning g.id, g.version, g.data, g.valid_from, g.valid_to)"
      " insert into record_version(record_id, version, data, valid_from, valid_to, batch_id, partner_id)"
      " select id, version, data, valid_from, valid_to, $2::bigint, $3::bigint from upd",
      updates.str(), origin.batch_id, origin.partner_id);
}

void write_keys(pqxx::work& tx, const std::vector<KeyRow>& created, const std::vector<KeyRow>& others) {
  CopyRows<4> key_rows("natural_key", {"entity", "key_name", "key_value", "record_id"});
  for (const auto& k : created) key_rows.add({k.entity, k.name, k.value, k.record_id});
  key_rows.write(tx);
  if (others.empty()) return;
  json::JsonWriter rows;
  rows.begin_array();
  for (const auto& k : others)
    rows.begin_object().kv("e", k.entity).kv("n", k.name).kv("v", k.value).kv("r", k.record_id).end_object();
  rows.end_array();
  tx.exec_params(
      "insert into natural_key(entity, key_name, key_value, record_id)"
      " select distinct on (r.e, r.n, r.v) r.e, r.n, r.v, r.r"
      " from jsonb_to_recordset($1::jsonb) as r(e text, n text, v text, r uuid)"
      " on conflict do nothing",
      rows.str());
}

void write_links(pqxx::work& tx, const Origin& origin, const std::vector<LinkRow>& created,
                 const std::vector<LinkRow>& others) {
  const std::string batch_text = std::to_string(origin.batch_id), partner_text = std::to_string(origin.partner_id);
  CopyRows<6> link_rows("source_link", {"partner_id", "entity", "source_id", "record_id", "content_hash", "batch_id"});
  for (const auto& l : created)
    link_rows.add({partner_text, l.entity, l.source_id, l.record_id, "\\x" + l.content_hash, batch_text});
  link_rows.write(tx);
  if (others.empty()) return;
  json::JsonWriter rows;
  rows.begin_array();
  for (const auto& l : others)
    rows.begin_object().kv("p", origin.partner_id).kv("e", l.entity).kv("s", l.source_id).kv("r", l.record_id)
        .kv("h", l.content_hash).end_object();
  rows.end_array();
  // `distinct on`: one link upserted twice in a statement is an error (a row changed twice).
  tx.exec_params(
      "insert into source_link(partner_id, entity, source_id, record_id, content_hash, batch_id)"
      " select distinct on (r.p, r.e, r.s) r.p, r.e, r.s, r.r, decode(r.h, 'hex'), $2"
      " from jsonb_to_recordset($1::jsonb) as r(p bigint, e text, s text, r uuid, h text)"
      " on conflict (partner_id, entity, source_id) do update set record_id = excluded.record_id,"
      " content_hash = excluded.content_hash, batch_id = excluded.batch_id, updated_at = now()",
      rows.str(), origin.batch_id);
}

}  // namespace hub::golden::bulk
