#include "hub/resolve/identity_resolver.h"

#include <map>
#include <tuple>

#include "hub/common/json.h"

namespace hub::resolve {

std::vector<Resolution> ExactResolver::resolve(pqxx::work& tx, const std::vector<Candidate>& cands, ChunkScope&) {
  std::vector<Resolution> out(cands.size());
  if (cands.empty()) return out;

  // One query for all source links and one for all natural keys of the chunk.
  json::JsonWriter links, keys;
  links.begin_array();
  keys.begin_array();
  for (const auto& c : cands) {
    links.begin_object().kv("p", c.partner_id).kv("e", c.entity).kv("s", c.source_id).end_object();
    for (const auto& [name, value] : c.keys)
      keys.begin_object().kv("e", c.entity).kv("n", name).kv("v", value).end_object();
  }
  links.end_array();
  keys.end_array();

  std::map<std::tuple<long long, std::string, std::string>, std::pair<std::string, std::string>> by_link;
  for (const auto& r : tx.exec_params(
           "select l.partner_id, l.entity, l.source_id, l.record_id::text, encode(l.content_hash, 'hex')"
           " from source_link l"
           " join jsonb_to_recordset($1::jsonb) as q(p bigint, e text, s text)"
           "   on l.partner_id = q.p and l.entity = q.e and l.source_id = q.s",
           links.str()))
    by_link[{r[0].as<long long>(), r[1].c_str(), r[2].c_str()}] = {r[3].c_str(), r[4].c_str()};

  std::map<std::tuple<std::string, std::string, std::string>, std::string> by_key;
  for (const auto& r : tx.exec_params(
           "select k.entity, k.key_name, k.key_value, k.record_id::text from natural_key k"
           " join jsonb_to_recordset($1::jsonb) as q(e text, n text, v text)"
           "   on k.entity = q.e and k.key_name = q.n and k.key_value = q.v",
           keys.str()))
    by_key[{r[0].c_str(), r[1].c_str(), r[2].c_str()}] = r[3].c_str();

  for (std::size_t i = 0; i < cands.size(); ++i) {
    const auto& c = cands[i];
    if (auto it = by_link.find({c.partner_id, c.entity, c.source_id}); it != by_link.end()) {
      out[i] = {Resolution::Kind::kSourceLink, it->second.first, "", it->second.second};
      continue;
    }
    for (const auto& [name, value] : c.keys) {
      if (auto it = by_key.find({c.entity, name, value}); it != by_key.end()) {
        out[i] = {Resolution::Kind::kNaturalKey, it->second, name, ""};
        break;
      }
    }
  }
  return out;
}

}  // namespace hub::resolve
