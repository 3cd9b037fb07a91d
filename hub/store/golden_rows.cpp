#include "hub/store/golden_rows.h"

#include "hub/common/json.h"
#include "hub/store/change_log.h"

namespace hub::golden {

std::map<std::string, Locked> lock(pqxx::work& tx, const std::vector<std::string>& ids) {
  json::JsonWriter list;
  list.begin_array();
  for (const auto& id : ids) list.value(id);
  list.end_array();
  std::map<std::string, Locked> out;
  for (const auto& r : tx.exec_params(
           "select id::text, entity, version, data::text, lineage_by_field(lineage)::text,"
           " coalesce(merged_into::text, '') from golden_record"
           " where id in (select jsonb_array_elements_text($1::jsonb)::uuid) order by id for update",
           list.str()))
    out[r[0].c_str()] = Locked{r[0].c_str(), r[1].c_str(), r[3].c_str(), r[4].c_str(), r[5].c_str(), r[2].as<int>()};
  return out;
}

std::optional<Current> current(pqxx::work& tx, const std::string& id) {
  auto g = tx.exec_params("select data::text, coalesce(merged_into::text, ''), version from golden_record where id = $1",
                          id);
  if (g.empty()) return std::nullopt;
  return Current{g[0][0].c_str(), g[0][1].c_str(), g[0][2].as<int>()};
}

void replace(pqxx::work& tx, const std::string& id, const std::string& data, const std::string& lineage) {
  tx.exec_params(
      "update golden_record set data = $2::jsonb, lineage = $3::jsonb, version = version + 1, updated_at = now()"
      " where id = $1",
      id, data, lineage);
}

void mark_merged(pqxx::work& tx, const std::string& merged_id, const std::string& survivor_id) {
  tx.exec_params("update golden_record set merged_into = $1, version = version + 1, updated_at = now() where id = $2",
                 survivor_id, merged_id);
  tx.exec_params("update golden_record set merged_into = $1 where merged_into = $2", survivor_id, merged_id);
}

void restore_unmerged(pqxx::work& tx, const std::string& id, const std::string& data, const std::string& lineage) {
  tx.exec_params(
      "update golden_record set data = $2::jsonb, lineage = $3::jsonb, merged_into = null, version = version + 1,"
      " updated_at = now() where id = $1",
      id, data, lineage);
}

void apply_decided(pqxx::work& tx, const std::string& id, const std::string& data,
                   const std::string& lineage_by_field, int version) {
  tx.exec_params(
      "update golden_record set data = $2::jsonb, lineage = lineage || $3::jsonb, version = $4, updated_at = now()"
      " where id = $1",
      id, data, lineage_by_field, version);
}

void apply_dated(pqxx::work& tx, const std::string& id, const std::string& data, const std::string& lineage_by_field,
                 int version, const std::optional<std::string>& valid_from,
                 const std::optional<std::string>& valid_to) {
  tx.exec_params(
      "update golden_record set data = $2::jsonb, version = $3, lineage = lineage || $4::jsonb,"
      " valid_from = $5::date, valid_to = $6::date, updated_at = now() where id = $1::uuid",
      id, data, version, lineage_by_field, valid_from, valid_to);
}

void apply_corrected(pqxx::work& tx, const std::string& id, const std::string& data,
                     const std::string& lineage_by_field, int version, bool dates_from_data) {
  tx.exec_params(
      "update golden_record set data = $2::jsonb, version = $3, lineage = lineage || $4::jsonb, updated_at = now(),"
      " valid_from = case when $5 then ($2::jsonb->>'valid_from')::date else valid_from end,"
      " valid_to = case when $5 then ($2::jsonb->>'valid_to')::date else valid_to end"
      " where id = $1::uuid",
      id, data, version, lineage_by_field, dates_from_data);
}

int recode_field(pqxx::work& tx, const std::string& id, const std::string& field, const std::string& code,
                 const std::string& why) {
  return tx.exec_params1(
               "update golden_record set data = jsonb_set(data, array[$2], to_jsonb($3::text)),"
               " lineage = lineage || jsonb_build_object($2, coalesce(field_lineage(lineage, $2), '{}') || $4::jsonb),"
               " version = version + 1, updated_at = now() where id = $1::uuid returning version",
               id, field, code, why)[0]
      .as<int>();
}

void annotate_lineage(pqxx::work& tx, const std::string& id, const std::string& field_like, const std::string& value,
                      long long batch_id, const std::string& why) {
  tx.exec_params(
      "update golden_record set lineage = lineage || c.decided"
      " from (select jsonb_object_agg(d.k, field_lineage(g.lineage, d.k) || $2::jsonb) as decided"
      "       from golden_record g cross join jsonb_each_text(g.data) d(k, v)"
      "       where g.id = $1::uuid and d.v = $3 and d.k like $5"
      "         and field_lineage(g.lineage, d.k)->>'batch' = $4::text) c"
      " where id = $1::uuid and c.decided is not null",
      id, why, value, batch_id, field_like);
}

void keep_version(pqxx::work& tx, const std::string& id, std::optional<long long> batch_id,
                  std::optional<long long> partner_id) {
  tx.exec_params(
      "insert into record_version(record_id, version, data, valid_from, valid_to, batch_id, partner_id)"
      " select id, version, data, valid_from, valid_to, $2, $3 from golden_record where id = $1::uuid",
      id, batch_id, partner_id);
}

void write_version(pqxx::work& tx, const std::string& entity, const std::string& id, int version,
                   const std::string& op) {
  keep_version(tx, id);
  ChangeLog log;
  log.add(entity, id, op, version);
  log.write(tx);
}

std::string source_links(pqxx::work& tx, const std::string& record_id) {
  return tx.exec_params1(
      "select coalesce(jsonb_agg(jsonb_build_object('p', partner_id, 'e', entity, 's', source_id)), '[]')::text"
      " from source_link where record_id = $1",
      record_id)[0].c_str();
}

std::string natural_keys(pqxx::work& tx, const std::string& record_id) {
  return tx.exec_params1(
      "select coalesce(jsonb_agg(jsonb_build_object('e', entity, 'n', key_name, 'v', key_value)), '[]')::text"
      " from natural_key where record_id = $1",
      record_id)[0].c_str();
}

void move_links_and_keys(pqxx::work& tx, const std::string& from, const std::string& to) {
  tx.exec_params("update source_link set record_id = $1, updated_at = now() where record_id = $2", to, from);
  tx.exec_params("update natural_key set record_id = $1 where record_id = $2", to, from);
}

void restore_links_and_keys(pqxx::work& tx, const std::string& to, const std::string& links_json,
                            const std::string& keys_json) {
  tx.exec_params(
      "update source_link l set record_id = $1, updated_at = now()"
      " from jsonb_to_recordset($2::jsonb) as q(p bigint, e text, s text)"
      " where l.partner_id = q.p and l.entity = q.e and l.source_id = q.s",
      to, links_json);
  tx.exec_params(
      "update natural_key k set record_id = $1 from jsonb_to_recordset($2::jsonb) as q(e text, n text, v text)"
      " where k.entity = q.e and k.key_name = q.n and k.key_value = q.v",
      to, keys_json);
}

std::set<std::pair<std::string, std::string>> link_sources(pqxx::work& tx, const std::string& links_json) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& r : tx.exec_params(
           "select p.name, l.s from jsonb_to_recordset($1::jsonb) as l(p bigint, e text, s text)"
           " join partner p on p.id = l.p",
           links_json))
    out.insert({r[0].c_str(), r[1].c_str()});
  return out;
}

std::vector<std::pair<std::string, std::string>> linked_sources(pqxx::work& tx, const std::string& record_id) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : tx.exec_params(
           "select p.name, l.source_id from source_link l join partner p on p.id = l.partner_id"
           " where l.record_id = $1 order by 1, 2",
           record_id))
    out.emplace_back(r[0].c_str(), r[1].c_str());
  return out;
}

std::optional<std::string> key_holder(pqxx::work& tx, const std::string& entity, const std::string& name,
                                      const std::string& value, const std::string& except_id) {
  auto taken = tx.exec_params(
      "select record_id::text from natural_key where entity = $1 and key_name = $2 and key_value = $3"
      " and record_id <> $4::uuid",
      entity, name, value, except_id);
  if (taken.empty()) return std::nullopt;
  return std::string(taken[0][0].c_str());
}

void move_key(pqxx::work& tx, const std::string& entity, const std::string& name,
              const std::optional<std::string>& old_value, const std::string& new_value, const std::string& record_id) {
  if (old_value)
    tx.exec_params("delete from natural_key where entity = $1 and key_name = $2 and key_value = $3 and record_id = $4::uuid",
                   entity, name, *old_value, record_id);
  tx.exec_params("insert into natural_key(entity, key_name, key_value, record_id) values ($1, $2, $3, $4)"
                 " on conflict do nothing",
                 entity, name, new_value, record_id);
}

bool add_key(pqxx::work& tx, const std::string& entity, const std::string& name, const std::string& value,
             const std::string& record_id) {
  return !tx.exec_params("insert into natural_key(entity, key_name, key_value, record_id) values ($1, $2, $3, $4::uuid)"
                         " on conflict do nothing returning 1",
                         entity, name, value, record_id)
              .empty();
}

}  // namespace hub::golden
