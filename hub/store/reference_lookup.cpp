#include "hub/store/reference_lookup.h"

#include <algorithm>

#include "hub/common/json.h"
#include "hub/mapping/messages.h"
#include "hub/mapping/validators.h"

namespace hub {
namespace {

using mapping::RecordResult;
using mapping::RecordStatus;

std::string text_of(const rapidjson::Value& v) {
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " or ") + n;
  return out;
}

}  // namespace

std::vector<std::string> reference_key_names(const schema::SchemaSet& schemas, const std::string& entity) {
  std::vector<std::string> out;
  if (const auto* target = schemas.find(entity))
    for (const auto& key : target->natural_keys)
      if (key.size() == 1) out.push_back(key[0]);
  return out;
}

std::map<ReferenceKey, ReferenceTarget> lookup_references(pqxx::transaction_base& tx,
                                                          const schema::SchemaSet& schemas,
                                                          const std::set<ReferenceKey>& refs) {
  std::map<ReferenceKey, ReferenceTarget> out;
  json::JsonWriter q;
  q.begin_array();
  bool any = false;
  for (const auto& [entity, value] : refs) {
    int order = 0;
    for (const auto& key : reference_key_names(schemas, entity)) {
      q.begin_object().kv("e", entity).kv("n", key).kv("v", value).kv("o", order++).end_object();
      any = true;
    }
  }
  q.end_array();
  if (!any) return out;
  // Each (entity, key name, value) is a primary-key probe of natural_key, so the cost does not
  // grow with the store (matching on entity and value alone scans the table).
  for (const auto& row : tx.exec_params(
           "select distinct on (q.e, q.v) q.e, q.v, g.id::text, q.n, coalesce(g.data->>'school_code', ''),"
           " coalesce(g.data->>'commune', ''), coalesce(g.data->>'province', '')"
           " from jsonb_to_recordset($1::jsonb) as q(e text, n text, v text, o int)"
           " join lateral (select k.record_id from natural_key k"
           "   where k.entity = q.e and k.key_name = q.n and k.key_value = q.v) k on true"
           " join golden_record g on g.id = k.record_id"
           " order by q.e, q.v, q.o",
           q.str()))
    out[{row[0].c_str(), row[1].c_str()}] =
        ReferenceTarget{row[2].c_str(), row[3].c_str(), {row[4].c_str(), row[5].c_str(), row[6].c_str()}};
  return out;
}

std::set<ReferenceKey> named_references(const schema::SchemaSet& schemas, const std::vector<RecordResult>& results) {
  std::set<ReferenceKey> out;
  for (const auto& r : results) {
    if (r.status == RecordStatus::kReview) continue;  // the store does not look them up either
    for (const auto& rec : r.records) {
      const auto* schema = schemas.find(rec.entity);
      if (!schema) continue;
      for (const auto& fs : schema->fields) {
        if (fs.type != schema::FieldType::kRef) continue;
        auto m = rec.fields.FindMember(fs.name.c_str());
        // {"$ref": name} points to a record of the same vendor record: nothing to look up.
        if (m != rec.fields.MemberEnd() && m->value.IsString()) out.insert({fs.ref_entity, text_of(m->value)});
      }
    }
  }
  return out;
}

void check_references(pqxx::transaction_base& tx, const mapping::Snapshot& snap, std::vector<RecordResult>& results,
                      const ValuePathFn& value_path, const UnitScope* scope) {
  const auto& schemas = *snap.schemas;
  auto targets = lookup_references(tx, schemas, named_references(schemas, results));
  const bool limited = scope && !scope->units.empty();
  for (std::size_t v = 0; v < results.size(); ++v) {
    auto& r = results[v];
    if (r.status != RecordStatus::kMapped && r.status != RecordStatus::kRejected) continue;
    const bool mapped = r.status == RecordStatus::kMapped;
    bool never = false;  // a reference no natural key could answer: nothing to wait for
    std::vector<mapping::FieldIssue> unknown;
    std::vector<mapping::WaitingRef> waiting;
    // The places the record names, as the golden store collects them before its unit check:
    // communes it names, the schools it refers to, and a school's own code.
    std::vector<UnitPath> places;
    for (const auto& rec : r.records) {
      const auto* schema = schemas.find(rec.entity);
      if (!schema) continue;
      for (const auto& fs : schema->fields) {
        auto m = rec.fields.FindMember(fs.name.c_str());
        if (m == rec.fields.MemberEnd() || !m->value.IsString()) continue;
        std::string value = text_of(m->value);
        if (fs.type == schema::FieldType::kCode && fs.catalog == "commune") {
          places.push_back({"", value, snap.catalogs->province_of_commune(value)});
          continue;
        }
        if (fs.type != schema::FieldType::kRef) continue;
        auto t = targets.find({fs.ref_entity, value});
        if (t != targets.end()) {
          if (fs.ref_entity == "school") places.push_back(t->second.place);
          continue;
        }
        auto keys = reference_key_names(schemas, fs.ref_entity);
        value = validate::mask_personal_ids_in_text(value);  // a student named by personal ID
        mapping::FieldIssue issue;
        issue.code = "ref.unknown";
        issue.entity = rec.entity;
        issue.field = fs.name;
        issue.path = value_path(v, rec, fs.name);
        issue.value = value;
        issue.message = fs.ref_entity + " '" + value + "'" + (keys.empty() ? "" : " (by " + joined(keys) + ")") +
                        " is not known to the hub; it must be sent (or loaded) before records that refer to it";
        issue.message_vi = mapping::vietnamese_message(issue.code);
        // One entry per referenced record, as the push lists them (an enrollment and each of its
        // results naming one school wait for it once); an issue per field that names it.
        if (keys.empty()) never = true;
        else if (std::none_of(waiting.begin(), waiting.end(), [&](const mapping::WaitingRef& o) {
                   return o.entity == fs.ref_entity && o.value == value;
                 }))
          waiting.push_back({fs.ref_entity, keys.front(), value, rec.entity + "." + fs.name, issue.path});
        unknown.push_back(std::move(issue));
      }
      if (rec.entity == "school") {
        auto code = rec.fields.FindMember("school_code");
        auto commune = rec.fields.FindMember("commune");
        if (code != rec.fields.MemberEnd() && code->value.IsString()) {
          UnitPath p;
          if (commune != rec.fields.MemberEnd() && commune->value.IsString())
            p = {"", text_of(commune->value), snap.catalogs->province_of_commune(text_of(commune->value))};
          p.school = text_of(code->value);
          places.push_back(p);
        }
      }
    }
    // Rejected for other faults: it can never be stored, so it does not wait; the references it
    // names are listed among its faults, as the push lists them.
    for (auto& i : unknown) r.issues.push_back(std::move(i));
    if (!mapped) continue;
    if (never) {
      r.status = RecordStatus::kRejected;
      continue;
    }
    if (!waiting.empty()) {
      // Every other check passed: the record waits for what it names (a push parks it), and its
      // issues still say ref.unknown, the code it ends with if nothing arrives.
      r.waiting_for = std::move(waiting);
      r.status = RecordStatus::kPending;
      continue;
    }
    if (!limited) continue;
    if (auto issue = refuse_named_places(*scope, places)) {
      issue->path = r.path;
      r.issues.push_back(std::move(*issue));
      r.status = RecordStatus::kRejected;
    }
  }
}

}  // namespace hub
