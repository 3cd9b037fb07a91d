#include "hub/inbox/pending_store.h"

#include <set>

#include "hub/common/json.h"
#include "hub/mapping/mapping.h"
#include "hub/mapping/messages.h"

namespace hub::pending {

// A personal ID (12 digits) shows as 031*******45, as in record results.
const char* const kWaitingForSql =
    "(select coalesce(jsonb_agg(jsonb_build_object('entity', r.entity, 'key', r.key_name,"
    "   'value', case when r.key_value ~ '^[0-9]{12}$'"
    "     then left(r.key_value, 3) || repeat('*', 7) || right(r.key_value, 2) else r.key_value end,"
    "   'field', r.field, 'path', r.path, 'expires_at',"
    "   to_char(p.expires_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) order by r.ord), '[]')"
    " from pending_record p join pending_ref r on r.pending_id = p.id"
    " where p.batch_id = b.batch_id and p.index = b.index)";

namespace {

void write_records(json::JsonWriter& w, const mapping::RecordResult& r) {
  w.begin_array();
  for (const auto& rec : r.records)
    w.begin_object().kv("entity", rec.entity).kv("as", rec.local_name).kv("source_id", rec.source_id)
        .key("fields").value(rec.fields).end_object();
  w.end_array();
}

std::string text_of(const rapidjson::Value& o, const char* name) {
  auto m = o.FindMember(name);
  return m != o.MemberEnd() && m->value.IsString() ? std::string(m->value.GetString(), m->value.GetStringLength())
                                                   : std::string();
}

void read_records(const std::string& text, mapping::RecordResult& r) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  if (!d.IsArray()) return;
  for (const auto& o : d.GetArray()) {
    if (!o.IsObject() || !o.HasMember("fields") || !o["fields"].IsObject()) continue;
    mapping::MappedRecord rec;
    rec.entity = text_of(o, "entity");
    rec.local_name = text_of(o, "as");
    rec.source_id = text_of(o, "source_id");
    rec.fields.CopyFrom(o["fields"], rec.fields.GetAllocator());
    r.records.push_back(std::move(rec));
  }
}

std::string issue_json(const std::string& code, const std::string& entity, const std::string& field,
                       const std::string& path, const std::string& message) {
  json::JsonWriter w;
  w.begin_array();
  mapping::write_issue(w, {code, entity, field, path, "", message, mapping::vietnamese_message(code), false});
  w.end_array();
  return w.str();
}

}  // namespace

void park(pqxx::work& tx, const ChunkOrigin& ctx, const std::vector<Parked>& parked) {
  if (parked.empty()) return;
  json::JsonWriter w;
  w.begin_array();
  for (const auto& p : parked) {
    w.begin_object().kv("i", static_cast<long long>(p.result->index)).kv("s", p.result->source_id)
        .kv("p", p.result->path).key("rec");
    write_records(w, *p.result);
    w.key("refs").begin_array();
    int ord = 0;
    for (const auto& ref : *p.waiting) {
      w.begin_object().kv("o", ord++).kv("e", ref.entity).kv("k", ref.key).key("ks").strings(ref.key_names).kv("v", ref.value)
          .kv("f", ref.field).kv("p", ref.path).end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
  // received_at is the push's: expiry and release order count from when the vendor sent it.
  tx.exec_params(
      "with parked as (insert into pending_record(batch_id, index, partner_id, feed, source_id, record_path,"
      "   mapping_version, records, received_at, expires_at)"
      " select $2, r.i, $3, b.feed, r.s, r.p, $4, r.rec, b.received_at,"
      "   b.received_at + make_interval(secs => $5)"
      " from jsonb_to_recordset($1::jsonb) as r(i int, s text, p text, rec jsonb)"
      " join inbox_batch b on b.id = $2"
      " returning id, index)"
      " insert into pending_ref(pending_id, ord, entity, key_name, key_names, key_value, field, path)"
      " select parked.id, x.o, x.e, x.k, array(select jsonb_array_elements_text(x.ks)), x.v, x.f, x.p"
      " from jsonb_to_recordset($1::jsonb) as r(i int, refs jsonb)"
      " join parked on parked.index = r.i"
      " cross join lateral jsonb_to_recordset(r.refs) as x(o int, e text, k text, ks jsonb, v text, f text, p text)",
      w.str(), ctx.batch_id, ctx.partner_id, ctx.mapping_version, ctx.pending_ttl_days * 86400.0);
}

void supersede(pqxx::work& tx, const ChunkOrigin& ctx, const std::vector<RecordOutcome>& outcomes) {
  json::JsonWriter ids;
  ids.begin_array();
  bool any = false;
  for (const auto& o : outcomes)
    if (o.status != "rejected" && !o.source_id.empty()) {
      ids.begin_object().kv("s", o.source_id).kv("i", static_cast<long long>(o.index)).end_object();
      any = true;
    }
  ids.end_array();
  if (!any) return;
  const std::string message = "a newer push of the same record (batch " + std::to_string(ctx.batch_id) +
                              ") arrived while this one waited for records it refers to; the newer one is "
                              "processed instead, and nothing of this one was stored";
  auto gone = tx.exec_params(
      "with gone as (delete from pending_record p"
      "   where p.partner_id = $2 and p.feed = (select feed from inbox_batch where id = $3)"
      "   and exists (select 1 from jsonb_to_recordset($1::jsonb) as r(s text, i int)"
      "     where r.s = p.source_id and (p.batch_id, p.index) < ($3::bigint, r.i))"
      "   returning p.batch_id, p.index)"
      " update batch_record b set status = 'rejected', errors = b.errors || $4::jsonb"
      " from gone where b.batch_id = gone.batch_id and b.index = gone.index"
      " returning b.batch_id",
      ids.str(), ctx.partner_id, ctx.batch_id, issue_json("record.superseded", "", "", "", message));
  std::set<long long> batches;
  for (const auto& row : gone) batches.insert(row[0].as<long long>());
  for (long long b : batches) refresh_counts(tx, b);
}

std::vector<long long> ready(pqxx::work& tx, int limit) {
  std::vector<long long> out;
  for (const auto& row : tx.exec_params(
           "select p.id from pending_record p where p.expires_at > now() and not exists ("
           "   select 1 from pending_ref r where r.pending_id = p.id and not exists ("
           "     select 1 from natural_key k where k.entity = r.entity and k.key_name = any(r.key_names)"
           "     and k.key_value = r.key_value))"
           " order by p.received_at, p.batch_id, p.index limit $1",
           limit))
    out.push_back(row[0].as<long long>());
  return out;
}

std::optional<Entry> take(pqxx::work& tx, long long id) {
  auto rows = tx.exec_params(
      "with gone as (delete from pending_record where id = (select id from pending_record where id = $1"
      "   for update skip locked) returning *)"
      " select gone.batch_id, gone.index, gone.partner_id, p.name, p.units::text, gone.mapping_version,"
      "   gone.source_id, gone.record_path, gone.records::text"
      " from gone join partner p on p.id = gone.partner_id",
      id);
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  Entry e;
  e.id = id;
  e.batch_id = r[0].as<long long>();
  e.result.index = static_cast<std::size_t>(r[1].as<int>());
  e.partner_id = r[2].as<long long>();
  e.partner_name = r[3].c_str();
  e.units = json::parse_string_array(r[4].c_str());
  e.mapping_version = r[5].c_str();
  e.result.source_id = r[6].c_str();
  e.result.path = r[7].c_str();
  e.result.status = mapping::RecordStatus::kMapped;
  read_records(r[8].c_str(), e.result);
  tx.exec_params("delete from batch_record where batch_id = $1 and index = $2", e.batch_id,
                 static_cast<int>(e.result.index));
  return e;
}

int expire(pqxx::work& tx, int limit) {
  auto due = tx.exec_params(
      "with gone as (delete from pending_record where id in (select id from pending_record"
      "   where expires_at <= now() order by expires_at limit $1 for update skip locked)"
      "   returning id, batch_id, index, record_path)"
      " select g.batch_id, g.index, g.record_path, r.entity, r.key_name, r.key_value, r.field"
      " from gone g join pending_ref r on r.pending_id = g.id order by g.batch_id, g.index, r.ord",
      limit);
  // The rows of pending_ref go with their record (on delete cascade) after this statement's
  // snapshot, which still reads them.
  struct Expired {
    long long batch;
    int index;
    std::vector<mapping::FieldIssue> issues;
  };
  std::vector<Expired> expired;
  for (const auto& row : due) {
    long long batch = row[0].as<long long>();
    int index = row[1].as<int>();
    if (expired.empty() || expired.back().batch != batch || expired.back().index != index)
      expired.push_back({batch, index, {}});
    std::string entity = row[3].c_str(), key = row[4].c_str(), value = row[5].c_str(), field = row[6].c_str();
    if (value.size() == 12 && value.find_first_not_of("0123456789") == std::string::npos)
      value = value.substr(0, 3) + "*******" + value.substr(10);
    auto dot = field.find('.');
    expired.back().issues.push_back(
        {"ref.unknown", field.substr(0, dot), dot == std::string::npos ? field : field.substr(dot + 1),
         row[2].c_str(), value,
         entity + " with " + key + " '" + value +
             "' was still not known to the hub when this record's wait for it ended; send (or have the operators"
             " load) that " + entity + ", then send this record again",
         mapping::vietnamese_message("ref.unknown"), false});
  }
  std::set<long long> batches;
  for (const auto& e : expired) {
    json::JsonWriter w;
    w.begin_array();
    for (const auto& i : e.issues) mapping::write_issue(w, i);
    w.end_array();
    tx.exec_params(
        "update batch_record set status = 'rejected', errors = errors || $3::jsonb where batch_id = $1 and index = $2",
        e.batch, e.index, w.str());
    batches.insert(e.batch);
  }
  for (long long b : batches) refresh_counts(tx, b);
  return static_cast<int>(expired.size());
}

void refresh_counts(pqxx::work& tx, long long batch_id) {
  tx.exec_params(
      "update inbox_batch set counts = coalesce((select jsonb_object_agg(status, n) from (select status, count(*) n"
      "   from batch_record where batch_id = $1 group by status) c), '{}') where id = $1",
      batch_id);
}

}  // namespace hub::pending
