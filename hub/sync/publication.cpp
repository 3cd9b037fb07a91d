#include "hub/sync/publication.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "hub/common/crypto.h"
#include "hub/mapping/validators.h"

namespace hub::sync {
namespace {

// Thrown inside the loader only; load() turns it into an Error.
struct LoadFailure {
  std::string message;
};

const std::set<std::string> kTopKeys = {"hmac_secret_env", "hmac_secret_file", "consumers"};
const std::set<std::string> kConsumerKeys = {"description", "personal_ids", "entities", "push"};
const std::set<std::string> kEntityKeys = {"fields", "personal_ids", "personal_id_fields"};
const std::set<std::string> kPushKeys = {"enabled",        "sink",          "batch_changes",
                                         "max_attempts",   "backoff_initial_ms", "backoff_max_ms",
                                         "options"};
// A secret shorter than this is too easy to brute-force over the small space of personal IDs.
constexpr std::size_t kMinSecretBytes = 16;

[[noreturn]] void fail_at(const std::string& file, const YAML::Node& n, const std::string& what) {
  int line = n.Mark().line >= 0 ? n.Mark().line + 1 : 0;
  throw LoadFailure{file + ":" + std::to_string(line) + ": " + what};
}

void check_keys(const std::string& file, const YAML::Node& map, const std::set<std::string>& allowed,
                const std::string& where) {
  if (!map.IsMap()) fail_at(file, map, where + " must be a mapping");
  for (const auto& kv : map) {
    auto k = kv.first.as<std::string>();
    if (!allowed.count(k)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail_at(file, kv.first, "unknown key '" + k + "' in " + where + " (expected one of " + list + ")");
    }
  }
}

IdTreatment parse_treatment(const std::string& file, const YAML::Node& n) {
  std::string v = n.as<std::string>();
  if (v == "omit") return IdTreatment::kOmit;
  if (v == "mask") return IdTreatment::kMask;
  if (v == "hash") return IdTreatment::kHash;
  fail_at(file, n, "personal_ids must be omit, mask or hash, not '" + v + "'");
}

int parse_int(const std::string& file, const YAML::Node& n, const std::string& key, int lo, int hi) {
  std::string s = n.IsScalar() ? n.Scalar() : "";
  int v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v < lo || v > hi)
    fail_at(file, n, key + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  return v;
}

bool parse_bool(const std::string& file, const YAML::Node& n, const std::string& key) {
  std::string s = n.IsScalar() ? n.Scalar() : "";
  if (s == "true") return true;
  if (s == "false") return false;
  fail_at(file, n, key + " must be true or false");
}

std::string trim(std::string_view v) {
  auto b = v.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  auto e = v.find_last_not_of(" \t\r\n");
  return std::string(v.substr(b, e - b + 1));
}

std::string text_of(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  return json::to_string(v);
}

}  // namespace

std::string_view treatment_name(IdTreatment t) {
  switch (t) {
    case IdTreatment::kOmit: return "omit";
    case IdTreatment::kMask: return "mask";
    case IdTreatment::kHash: return "hash";
  }
  return "?";
}

bool EntityProfile::allows(const schema::EntitySchema& schema, const std::string& field) const {
  const auto* f = schema.field(field);
  if (!f) return false;
  if (all_fields) return !f->sensitive || personal_id_fields.count(field);
  return fields.count(field) > 0;
}

bool EntityProfile::sends(const schema::EntitySchema& schema, const std::string& field) const {
  return allows(schema, field) && !(personal_ids == IdTreatment::kOmit && personal_id_fields.count(field));
}

const EntityProfile* ConsumerProfile::entity(std::string_view name) const {
  auto it = entities.find(std::string(name));
  return it == entities.end() ? nullptr : &it->second;
}

Result<std::shared_ptr<const Publication>> Publication::load(const std::string& file,
                                                             const schema::SchemaSet* schemas,
                                                             const std::map<std::string, std::string>* env) {
  auto pub = std::make_shared<Publication>();
  pub->file_ = file;
  try {
    YAML::Node root;
    try {
      root = YAML::LoadFile(file);
    } catch (const YAML::BadFile&) {
      throw LoadFailure{file + ": cannot read the file"};
    } catch (const YAML::Exception& e) {
      throw LoadFailure{file + ":" + std::to_string(e.mark.line + 1) + ": YAML error: " + e.msg};
    }
    check_keys(file, root, kTopKeys, "the file");
    bool any_hash = false;
    if (root["consumers"] && !root["consumers"].IsMap())
      fail_at(file, root["consumers"], "consumers must be a mapping of consumer name -> profile");
    for (const auto& c : root["consumers"]) {
      ConsumerProfile cp;
      cp.name = c.first.as<std::string>();
      const auto& node = c.second;
      check_keys(file, node, kConsumerKeys, "consumer '" + cp.name + "'");
      IdTreatment consumer_ids = node["personal_ids"] ? parse_treatment(file, node["personal_ids"]) : IdTreatment::kHash;
      if (!node["entities"] || !node["entities"].IsMap() || node["entities"].size() == 0)
        fail_at(file, node, "consumer '" + cp.name + "' must list the entities it receives");
      for (const auto& e : node["entities"]) {
        EntityProfile ep;
        ep.entity = e.first.as<std::string>();
        const schema::EntitySchema* es = schemas ? schemas->find(ep.entity) : nullptr;
        if (schemas && !es) fail_at(file, e.first, "'" + ep.entity + "' is not a canonical entity");
        const auto& en = e.second;
        check_keys(file, en, kEntityKeys, "entity '" + ep.entity + "' of consumer '" + cp.name + "'");
        ep.personal_ids = en["personal_ids"] ? parse_treatment(file, en["personal_ids"]) : consumer_ids;
        const auto& fields = en["fields"];
        if (!fields) fail_at(file, en, "entity '" + ep.entity + "' needs fields: all or a list of field names");
        if (fields.IsScalar() && fields.Scalar() == "all") {
          ep.all_fields = true;
        } else if (fields.IsSequence()) {
          for (const auto& f : fields) {
            std::string name = f.as<std::string>();
            if (es && !es->field(name)) fail_at(file, f, "'" + name + "' is not a field of " + ep.entity);
            ep.fields.insert(name);
          }
        } else {
          fail_at(file, fields, "fields must be 'all' or a list of field names");
        }
        if (es)
          for (const auto& f : es->fields)
            if (f.type == schema::FieldType::kPersonalId) ep.personal_id_fields.insert(f.name);
        for (const auto& f : en["personal_id_fields"]) {
          std::string name = f.as<std::string>();
          if (es && !es->field(name)) fail_at(file, f, "'" + name + "' is not a field of " + ep.entity);
          ep.personal_id_fields.insert(name);
        }
        if (ep.personal_ids == IdTreatment::kHash && !ep.personal_id_fields.empty()) {
          for (const auto& f : ep.personal_id_fields)
            if (ep.all_fields || ep.fields.count(f)) any_hash = true;
        }
        cp.entities.emplace(ep.entity, std::move(ep));
      }
      if (const auto& p = node["push"]) {
        check_keys(file, p, kPushKeys, "push of consumer '" + cp.name + "'");
        PushSettings ps;
        ps.enabled = p["enabled"] ? parse_bool(file, p["enabled"], "enabled") : true;
        if (!p["sink"]) fail_at(file, p, "push needs a sink (http or file)");
        ps.sink = p["sink"].as<std::string>();
        if (p["batch_changes"]) ps.batch_changes = parse_int(file, p["batch_changes"], "batch_changes", 1, 10000);
        if (p["max_attempts"]) ps.max_attempts = parse_int(file, p["max_attempts"], "max_attempts", 1, 1000000);
        if (p["backoff_initial_ms"])
          ps.backoff_initial_ms = parse_int(file, p["backoff_initial_ms"], "backoff_initial_ms", 1, 3600000);
        if (p["backoff_max_ms"]) ps.backoff_max_ms = parse_int(file, p["backoff_max_ms"], "backoff_max_ms", 1, 86400000);
        if (ps.backoff_max_ms < ps.backoff_initial_ms)
          fail_at(file, p, "backoff_max_ms must not be below backoff_initial_ms");
        if (const auto& o = p["options"]) {
          if (!o.IsMap()) fail_at(file, o, "options must be a mapping of sink settings");
          for (const auto& kv : o) {
            if (!kv.second.IsScalar()) fail_at(file, kv.second, "sink option '" + kv.first.as<std::string>() + "' must be a single value");
            ps.options[kv.first.as<std::string>()] = kv.second.Scalar();
          }
        }
        cp.push = std::move(ps);
      }
      pub->consumers_.emplace(cp.name, std::move(cp));
    }

    // The secret: an environment variable, else a file. Only required when some profile hashes.
    auto lookup = [&](const std::string& name) -> std::string {
      if (env) {
        auto it = env->find(name);
        return it == env->end() ? "" : it->second;
      }
      const char* v = std::getenv(name.c_str());
      return v ? v : "";
    };
    if (root["hmac_secret_env"]) pub->secret_ = lookup(root["hmac_secret_env"].as<std::string>());
    if (pub->secret_.empty() && root["hmac_secret_file"] && !root["hmac_secret_file"].as<std::string>().empty()) {
      std::string path = root["hmac_secret_file"].as<std::string>();
      if (!path.empty() && path[0] != '/') {
        auto slash = file.rfind('/');
        if (slash != std::string::npos) path = file.substr(0, slash + 1) + path;
      }
      std::ifstream in(path);
      std::stringstream ss;
      ss << in.rdbuf();
      pub->secret_ = trim(ss.str());
    }
    if (any_hash && pub->secret_.size() < kMinSecretBytes)
      fail_at(file, root["hmac_secret_env"] ? root["hmac_secret_env"] : root,
              "a profile replaces personal IDs by a keyed hash, but no HMAC secret of at least " +
                  std::to_string(kMinSecretBytes) + " characters was found (set the variable named by "
                  "hmac_secret_env, or hmac_secret_file)");
  } catch (const LoadFailure& f) {
    return make_error("publication.load", f.message, file);
  } catch (const YAML::Exception& e) {
    return make_error("publication.load", file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg, file);
  }
  return std::shared_ptr<const Publication>(std::move(pub));
}

const ConsumerProfile* Publication::consumer(std::string_view name) const {
  auto it = consumers_.find(name);
  return it == consumers_.end() ? nullptr : &it->second;
}

std::vector<const ConsumerProfile*> Publication::consumers() const {
  std::vector<const ConsumerProfile*> out;
  for (const auto& [_, c] : consumers_) out.push_back(&c);
  return out;
}

std::string Publication::keyed_hash(std::string_view value) const {
  return crypto::to_hex(crypto::hmac_sha256(secret_, trim(value)));
}

void Publication::project(const EntityProfile& profile, const schema::EntitySchema& schema,
                          const rapidjson::Value& data, json::JsonWriter& out) const {
  out.begin_object();
  if (data.IsObject()) {
    for (auto m = data.MemberBegin(); m != data.MemberEnd(); ++m) {
      std::string name(m->name.GetString(), m->name.GetStringLength());
      if (!profile.allows(schema, name)) continue;
      if (profile.personal_id_fields.count(name) && !m->value.IsNull()) {
        switch (profile.personal_ids) {
          case IdTreatment::kOmit: continue;
          case IdTreatment::kMask: out.kv(name, validate::mask_personal_id(text_of(m->value))); continue;
          case IdTreatment::kHash: out.kv(name, keyed_hash(text_of(m->value))); continue;
        }
      }
      out.key(name).value(m->value);
    }
  }
  out.end_object();
}

std::string Publication::project(const EntityProfile& profile, const schema::EntitySchema& schema,
                                 const rapidjson::Value& data) const {
  json::JsonWriter w;
  project(profile, schema, data, w);
  return w.str();
}

void Publication::project_lineage(const EntityProfile& profile, const schema::EntitySchema& schema,
                                  const rapidjson::Value& lineage, json::JsonWriter& out) const {
  out.begin_object();
  if (lineage.IsObject()) {
    for (auto m = lineage.MemberBegin(); m != lineage.MemberEnd(); ++m) {
      std::string name(m->name.GetString(), m->name.GetStringLength());
      if (!m->value.IsObject() || !profile.sends(schema, name)) continue;
      out.key(name).begin_object();
      for (const char* key : {"partner", "batch", "mapping_version"}) {
        auto v = m->value.FindMember(key);
        if (v != m->value.MemberEnd()) out.key(key).value(v->value);
      }
      out.end_object();
    }
  }
  out.end_object();
}

}  // namespace hub::sync
