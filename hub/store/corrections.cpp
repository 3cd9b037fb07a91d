#include "hub/store/corrections.h"

#include <algorithm>
#include <regex>
#include <set>

#include "hub/common/json.h"
#include "hub/common/masking.h"
#include "hub/common/scopes.h"
#include "hub/mapping/schema.h"
#include "hub/store/audit_log.h"
#include "hub/store/golden_rows.h"
#include "hub/store/unit_policy.h"

namespace hub {
namespace {

constexpr std::size_t kValueMaxBytes = 4096;  // a canonical value is short; a longer one is no value

std::size_t code_points(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Whether a field identifies its record or another one: such a value is changed by a merge, an
// unmerge or a review decision, which move keys and source links along, never by a correction.
bool identifies(const schema::EntitySchema& entity, const schema::FieldSchema& field) {
  if (field.type == schema::FieldType::kRef || field.type == schema::FieldType::kPersonalId) return true;
  for (const auto& key : entity.natural_keys)
    if (std::find(key.begin(), key.end(), field.name) != key.end()) return true;
  // The fields describing the check of a personal ID (personal_id_status, personal_id_checked_on
  // ...) go with the ID (hub/resolve/survivorship.h).
  for (const auto& f : entity.fields)
    if (f.type == schema::FieldType::kPersonalId && field.name.rfind(f.name + "_", 0) == 0) return true;
  return false;
}

// The checks that need no database: the entity, the field, the reason, the value on its own.
Status check_request(const mapping::Snapshot& snap, const CorrectionRequest& req, const schema::EntitySchema** out) {
  const auto* entity = snap.schemas ? snap.schemas->find(req.entity) : nullptr;
  if (!entity) return make_error("record.unknown_entity", "'" + req.entity + "' is not a canonical entity");
  const auto* field = entity->field(req.field);
  if (!field)
    return make_error("correction.field_unknown",
                      "'" + req.field + "' is not a field of " + req.entity + " (mappings/schema/" + req.entity + ".yaml)",
                      "$.field");
  if (identifies(*entity, *field))
    return make_error("correction.field_not_correctable",
                      "'" + req.field + "' identifies a record: it is changed by a merge, an unmerge or a review "
                      "decision, not by a correction", "$.field");
  std::string reason = trimmed(req.reason);
  if (reason.empty() || code_points(reason) > kCorrectionReasonMax)
    return make_error("correction.reason",
                      "a correction needs its reason: 1 to " + std::to_string(kCorrectionReasonMax) + " characters",
                      "$.reason");
  if (req.value && !req.value->IsNull()) {
    if (json::to_string(*req.value).size() > kValueMaxBytes)
      return make_error("schema.too_long", "the value is longer than " + std::to_string(kValueMaxBytes) + " bytes",
                        "$.value");
    auto v = schema::check_value(*field, *req.value, snap.catalogs.get());
    if (!v.empty()) return make_error(v.front().code, req.field + ": " + v.front().message, "$.value");
  }
  *out = entity;
  return Status::Ok();
}

struct Locked {
  int version = 0;
  rapidjson::Document data;
};

// The record under its row lock: what the correction replaces is what the record holds.
Result<Locked> lock_record(pqxx::work& tx, const CorrectionRequest& req) {
  static const std::regex kUuid("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  if (!std::regex_match(req.record_id, kUuid)) return make_error("record.not_found", "no " + req.entity + " " + req.record_id);
  auto rows = tx.exec_params(
      "select version, data::text, coalesce(merged_into::text, '') from golden_record"
      " where id = $1::uuid and entity = $2 for update",
      req.record_id, req.entity);
  if (rows.empty()) return make_error("record.not_found", "no " + req.entity + " " + req.record_id);
  if (!std::string(rows[0][2].c_str()).empty())
    return make_error("correction.record_merged", "record " + req.record_id + " was merged into " +
                                                      rows[0][2].c_str() + ": correct that record");
  Locked l;
  l.version = rows[0][0].as<int>();
  l.data.Parse(rows[0][1].c_str());
  return l;
}

// The record's data with the correction applied; the whole record checked again (a valid_to
// before valid_from, a value a catalog no longer holds).
Result<rapidjson::Document> corrected_data(const mapping::Snapshot& snap, const schema::EntitySchema& entity,
                                           const CorrectionRequest& req, const rapidjson::Value& stored) {
  rapidjson::Document d;
  d.CopyFrom(stored, d.GetAllocator());
  auto& a = d.GetAllocator();
  auto old = d.FindMember(req.field.c_str());
  const bool clear = !req.value || req.value->IsNull();
  if (clear ? old == d.MemberEnd() : (old != d.MemberEnd() && old->value == *req.value))
    return make_error("correction.unchanged", "the record already holds this value of " + req.field, "$.value");
  if (old != d.MemberEnd()) d.RemoveMember(old);
  if (!clear) d.AddMember(rapidjson::Value(req.field.c_str(), a), rapidjson::Value(*req.value, a), a);
  for (const auto& v : schema::validate(entity, d, snap.catalogs.get()))
    if (v.field == req.field || v.field.empty())
      return make_error(v.code, req.field + ": " + v.message, "$.value");
  return d;
}

std::string list_of(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The caller's units (before and after the change: a school moved out of the caller's commune
// is changed there too) and school levels.
Status check_reach(pqxx::work& tx, const mapping::Snapshot& snap, const CorrectionRequest& req,
                   const rapidjson::Value& before, const rapidjson::Value& after) {
  std::vector<UnitPath> all;
  if (!req.units.empty() || !req.levels.empty()) {
    for (const rapidjson::Value* data : {&before, &after}) {
      auto places = stored_places(tx, snap, {StoredRecord{req.entity, req.record_id, data}})[req.record_id];
      if (auto issue = refuse_stored_record(UnitScope{req.actor, req.units}, req.entity, places))
        return make_error("auth.unit", "'" + req.actor + "' may correct only records of its units (" +
                                           list_of(req.units) + "); this " + req.entity + " is not in them");
      all.insert(all.end(), places.begin(), places.end());
    }
  }
  if (req.levels.empty()) return Status::Ok();
  json::JsonWriter codes;
  codes.begin_array();
  for (const auto& p : all)
    if (!p.school.empty()) codes.value(p.school);
  codes.end_array();
  // Every school the record is at must be of one of the caller's levels, and there must be one.
  auto rows = tx.exec_params(
      "select coalesce(data->>'school_level', '') from golden_record where entity = 'school' and merged_into is null"
      " and data->>'school_code' in (select jsonb_array_elements_text($1::jsonb))",
      codes.str());
  bool inside = !rows.empty();
  for (const auto& r : rows)
    if (std::find(req.levels.begin(), req.levels.end(), std::string(r[0].c_str())) == req.levels.end()) inside = false;
  if (!inside)
    return make_error("correction.level_forbidden", "'" + req.actor + "' may correct only records of schools of levels " +
                                                        list_of(req.levels) + "; this " + req.entity + " is not at one");
  return Status::Ok();
}

// The new version: record_correction, the golden record with the field's lineage naming the
// person, record_version, the change log and the audit row, in the caller's transaction.
CorrectionDone write_correction(pqxx::work& tx, const schema::EntitySchema& entity, const CorrectionRequest& req,
                                const Locked& locked, const rapidjson::Value& data) {
  const int version = locked.version + 1;
  auto old = locked.data.FindMember(req.field.c_str());
  // JSON null for "absent": stored as SQL null.
  std::string replaced = old != locked.data.MemberEnd() ? json::to_string(old->value) : "null";
  std::string value = req.value ? json::to_string(*req.value) : "null";
  const std::string reason = trimmed(req.reason);
  auto c = tx.exec_params1(
      "insert into record_correction(record_id, entity, field, value, replaced, version, actor, reason)"
      " values ($1::uuid, $2, $3, nullif($4::jsonb, 'null'::jsonb), nullif($5::jsonb, 'null'::jsonb), $6, $7, $8)"
      " returning id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
      req.record_id, req.entity, req.field, value, replaced, version, req.actor, reason);
  CorrectionDone done{req.record_id, version, c[0].as<long long>()};
  json::JsonWriter lineage;
  lineage.begin_object().key(req.field).begin_object()
      .kv("partner", req.actor).kv("source", req.actor).kv("reason", reason)
      .kv("correction", done.correction_id).kv("at", c[1].c_str()).end_object().end_object();
  golden::apply_corrected(tx, req.record_id, json::to_string(data), lineage.str(), version, entity.effective_dated);
  golden::write_version(tx, req.entity, req.record_id, version, "update");
  // No value in the audit row (it may be a phone or an address); the reason is free text, so any
  // personal ID typed into it is masked.
  json::JsonWriter detail;
  detail.begin_object().kv("field", req.field).kv("version", version).kv("correction", done.correction_id)
      .kv("reason", mask_personal_ids_in_text(reason)).end_object();
  AuditLog::record(tx, req.actor, "record.correct", req.entity + "/" + req.record_id, req.source, detail.str());
  return done;
}

}  // namespace

Result<CorrectionDone> correct_value(PgPool& pg, const mapping::Snapshot& snap, const CorrectionRequest& req) {
  const schema::EntitySchema* entity = nullptr;
  if (auto st = check_request(snap, req, &entity); !st) return st.error();
  return pg.with_transaction([&](pqxx::work& tx) -> Result<CorrectionDone> {
    auto locked = lock_record(tx, req);
    if (!locked) return locked.error();
    auto data = corrected_data(snap, *entity, req, locked->data);
    if (!data) return data.error();
    if (auto st = check_reach(tx, snap, req, locked->data, *data); !st) return st.error();
    return write_correction(tx, *entity, req, *locked, *data);
  });
}

bool RecordCorrections::keeps(const std::string& field, const rapidjson::Value* stored,
                              const rapidjson::Value& incoming) const {
  auto f = fields_.find(field);
  if (f == fields_.end() || f->second.replaced.IsNull() || incoming != f->second.replaced) return false;
  const rapidjson::Value& person = f->second.value;
  // The record must still hold the person's value: once a vendor's new value replaced it, the
  // correction has done its work.
  return person.IsNull() ? (!stored || stored->IsNull()) : (stored && *stored == person);
}

std::map<std::string, RecordCorrections> latest_corrections(pqxx::work& tx, const std::string& ids_json) {
  std::map<std::string, RecordCorrections> out;
  for (const auto& row : tx.exec_params(
           "select distinct on (record_id, field) record_id::text, field, coalesce(value::text, 'null'),"
           " coalesce(replaced::text, 'null') from record_correction"
           " where record_id in (select jsonb_array_elements_text($1::jsonb)::uuid)"
           " order by record_id, field, id desc",
           ids_json)) {
    RecordCorrections::Latest l;
    l.value.Parse(row[2].c_str());
    l.replaced.Parse(row[3].c_str());
    out[row[0].c_str()].fields_.emplace(row[1].c_str(), std::move(l));
  }
  return out;
}

}  // namespace hub
