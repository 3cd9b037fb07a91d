#include "hub/store/unit_policy.h"

#include <set>

#include "hub/common/json.h"
#include "hub/mapping/messages.h"

namespace hub {
namespace {

mapping::FieldIssue unit_issue(const std::string& code, const std::string& entity, const std::string& message) {
  return mapping::FieldIssue{code, entity, "", "", "", message, mapping::vietnamese_message(code), false};
}

std::string unit_list(const std::vector<std::string>& units) {
  std::string out;
  for (const auto& u : units) out += (out.empty() ? "" : ", ") + u;
  return out;
}

std::string text_member(const rapidjson::Value& data, const std::string& name) {
  auto m = data.FindMember(name.c_str());
  return m != data.MemberEnd() && m->value.IsString() ? std::string(m->value.GetString(), m->value.GetStringLength())
                                                      : std::string();
}

std::string json_array(const std::set<std::string>& values) {
  json::JsonWriter w;
  w.begin_array();
  for (const auto& v : values) w.value(v);
  w.end_array();
  return w.str();
}

// What a record's own fields say about where it is: places known at once, schools to look up,
// and the student to fall back on.
struct OwnPlaces {
  std::vector<UnitPath> places;
  std::vector<std::string> school_ids;
  std::string student_id;
};

OwnPlaces own_places(const mapping::Snapshot& snap, const std::string& entity, const rapidjson::Value& data) {
  OwnPlaces out;
  const auto* schema = snap.schemas->find(entity);
  if (!schema || !data.IsObject()) return out;
  for (const auto& fs : schema->fields) {
    std::string v = text_member(data, fs.name);
    if (v.empty()) continue;
    if (fs.type == schema::FieldType::kCode && fs.catalog == "commune")
      out.places.push_back({"", v, snap.catalogs->province_of_commune(v)});
    else if (fs.type == schema::FieldType::kRef && fs.ref_entity == "school")
      out.school_ids.push_back(v);
    else if (fs.type == schema::FieldType::kRef && fs.ref_entity == "student" && out.student_id.empty())
      out.student_id = v;
  }
  if (entity == "school") {
    std::string commune = text_member(data, "commune");
    out.places.push_back({text_member(data, "school_code"), commune,
                          commune.empty() ? "" : snap.catalogs->province_of_commune(commune)});
  }
  return out;
}

}  // namespace

std::optional<mapping::FieldIssue> refuse_named_places(const UnitScope& scope, const std::vector<UnitPath>& places) {
  if (scope.units.empty()) return std::nullopt;
  if (places.empty())
    return unit_issue("auth.unit_missing", "",
                      "partner '" + scope.partner + "' is limited to units (" + unit_list(scope.units) +
                          ") and this record names none (no commune, no school), so it would belong to no unit; "
                          "it was not stored: send the commune or school it belongs to");
  for (const auto& p : places) {
    if (unit_allowed(scope.units, p)) continue;
    std::string where = !p.school.empty() ? "school " + p.school : "commune " + p.commune;
    if (!p.province.empty()) where += " (province " + p.province + ")";
    return unit_issue("auth.unit", "", "partner '" + scope.partner + "' may not send data for " + where +
                                           "; its units are " + unit_list(scope.units));
  }
  return std::nullopt;
}

std::map<std::string, std::vector<UnitPath>> stored_places(pqxx::work& tx, const mapping::Snapshot& snap,
                                                           const std::vector<StoredRecord>& records) {
  std::map<std::string, OwnPlaces> own;
  std::set<std::string> students;  // whose data and enrollments are looked up
  for (const auto& r : records) {
    if (!r.data || own.count(r.id)) continue;
    OwnPlaces o = own_places(snap, r.entity, *r.data);
    if (r.entity == "student") students.insert(r.id);
    else if (o.places.empty() && o.school_ids.empty() && !o.student_id.empty()) students.insert(o.student_id);
    own.emplace(r.id, std::move(o));
  }

  // Students: their own places, and the schools of their enrollments in force today or later
  // (index golden_record_enrollment_student, migration 0011).
  std::map<std::string, OwnPlaces> student_places;
  if (!students.empty()) {
    const std::string ids = json_array(students);
    for (const auto& row : tx.exec_params(
             "select id::text, data::text from golden_record"
             " where id in (select jsonb_array_elements_text($1::jsonb)::uuid)",
             ids)) {
      rapidjson::Document d;
      d.Parse(row[1].c_str());
      student_places.emplace(row[0].c_str(), own_places(snap, "student", d));
    }
    for (const auto& row : tx.exec_params(
             "select e.data->>'student', e.data->>'school' from golden_record e"
             " where e.entity = 'enrollment' and (e.data->>'student') in (select jsonb_array_elements_text($1::jsonb))"
             " and e.merged_into is null and (e.valid_to is null or e.valid_to >= current_date)"
             " and e.data->>'school' is not null",
             ids)) {
      auto s = student_places.find(row[0].c_str());
      if (s != student_places.end()) s->second.school_ids.push_back(row[1].c_str());
    }
  }

  std::set<std::string> school_ids;
  for (const auto& [_, o] : own) school_ids.insert(o.school_ids.begin(), o.school_ids.end());
  for (const auto& [_, o] : student_places) school_ids.insert(o.school_ids.begin(), o.school_ids.end());
  std::map<std::string, UnitPath> schools;
  if (!school_ids.empty()) {
    for (const auto& row : tx.exec_params(
             "select id::text, coalesce(data->>'school_code', ''), coalesce(data->>'commune', '')"
             " from golden_record where entity = 'school'"
             " and id in (select jsonb_array_elements_text($1::jsonb)::uuid)",
             json_array(school_ids))) {
      std::string commune = row[2].c_str();
      schools[row[0].c_str()] = {row[1].c_str(), commune, commune.empty() ? "" : snap.catalogs->province_of_commune(commune)};
    }
  }

  auto resolve = [&](const OwnPlaces& o) {
    std::vector<UnitPath> out = o.places;
    for (const auto& id : o.school_ids) {
      auto s = schools.find(id);
      // A school id that is not a stored school is still a place: an unknown one, which no
      // unit covers.
      out.push_back(s != schools.end() ? s->second : UnitPath{id, "", ""});
    }
    return out;
  };
  std::map<std::string, std::vector<UnitPath>> out;
  for (const auto& r : records) {
    auto o = own.find(r.id);
    if (o == own.end()) continue;
    const OwnPlaces* source = &o->second;
    if (r.entity == "student") {
      auto s = student_places.find(r.id);
      if (s != student_places.end()) source = &s->second;  // the same data, with its enrollments
    }
    std::vector<UnitPath> places = resolve(*source);
    if (places.empty() && !o->second.student_id.empty()) {
      auto s = student_places.find(o->second.student_id);
      if (s != student_places.end()) places = resolve(s->second);
    }
    out[r.id] = std::move(places);
  }
  return out;
}

std::optional<mapping::FieldIssue> refuse_stored_record(const UnitScope& scope, const std::string& entity,
                                                        const std::vector<UnitPath>& places) {
  if (scope.units.empty()) return std::nullopt;
  bool inside = !places.empty();
  std::set<std::string> provinces;
  for (const auto& p : places) {
    if (!unit_allowed(scope.units, p)) inside = false;
    if (!p.province.empty()) provinces.insert(p.province);
  }
  if (inside) return std::nullopt;
  std::string where;
  for (const auto& p : provinces) where += (where.empty() ? "in province " : ", ") + p;
  if (places.empty()) where = "in no unit";
  else if (where.empty()) where = "in a unit without a known province";
  return unit_issue("auth.unit", entity,
                    "this record matches a stored " + entity + " record " + where + ", outside the units of partner '" +
                        scope.partner + "' (" + unit_list(scope.units) +
                        "): a partner may change only records of its own units, so nothing of this record was "
                        "stored. If that record now belongs to your unit, ask the hub's operators to move it");
}

}  // namespace hub
