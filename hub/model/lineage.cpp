#include "hub/model/lineage.h"

#include <map>
#include <vector>

#include "hub/common/json.h"

namespace hub::lineage {
namespace {

bool is_source_entry(const rapidjson::Value& e) {
  return e.IsObject() && e.HasMember("fields") && e["fields"].IsArray();
}

void put(rapidjson::Document& out, const rapidjson::Value& name, const rapidjson::Value& entry) {
  auto& a = out.GetAllocator();
  auto m = out.FindMember(name);
  if (m != out.MemberEnd()) m->value.CopyFrom(entry, a);
  else out.AddMember(rapidjson::Value(name, a), rapidjson::Value(entry, a), a);
}

}  // namespace

void by_field(const rapidjson::Value& stored, rapidjson::Document& out) {
  out.SetObject();
  auto& a = out.GetAllocator();
  if (stored.IsObject()) {
    out.CopyFrom(stored, a);
    return;
  }
  if (!stored.IsArray()) return;
  for (const auto& e : stored.GetArray()) {
    if (!e.IsObject()) continue;
    if (!is_source_entry(e)) {  // a per-field object appended to the array
      for (auto m = e.MemberBegin(); m != e.MemberEnd(); ++m) put(out, m->name, m->value);
      continue;
    }
    rapidjson::Value entry(rapidjson::kObjectType);
    for (auto m = e.MemberBegin(); m != e.MemberEnd(); ++m)
      if (m->name != "fields") entry.AddMember(rapidjson::Value(m->name, a), rapidjson::Value(m->value, a), a);
    for (const auto& f : e["fields"].GetArray())
      if (f.IsString()) put(out, f, entry);
  }
}

std::string compact(const rapidjson::Value& by_field) {
  json::JsonWriter w;
  w.begin_array();
  write_entries(by_field, w);
  w.end_array();
  return w.str();
}

void write_entries(const rapidjson::Value& by_field, json::JsonWriter& w) {
  if (!by_field.IsObject()) return;
  // Entries in the order their first field appears; equal entries (same JSON text) share one.
  std::vector<std::pair<const rapidjson::Value*, std::vector<std::string>>> groups;
  std::map<std::string, std::size_t> index;
  for (auto m = by_field.MemberBegin(); m != by_field.MemberEnd(); ++m) {
    if (!m->value.IsObject()) continue;
    auto [pos, added] = index.try_emplace(json::to_string(m->value), groups.size());
    if (added) groups.push_back({&m->value, {}});
    groups[pos->second].second.emplace_back(m->name.GetString(), m->name.GetStringLength());
  }
  for (const auto& [entry, fields] : groups) {
    w.begin_object();
    for (auto m = entry->MemberBegin(); m != entry->MemberEnd(); ++m)
      if (m->name != "fields") w.key(std::string(m->name.GetString(), m->name.GetStringLength())).value(m->value);
    w.key("fields").begin_array();
    for (const auto& f : fields) w.value(f);
    w.end_array();
    w.end_object();
  }
}

}  // namespace hub::lineage
