#include "tests/support/openapi_check.h"

#include <rapidjson/document.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <map>
#include <memory>
#include <vector>

#include "hub/http/openapi.h"

namespace hub::test {
namespace {

const rapidjson::Document& description() {
  static const rapidjson::Document kDoc = [] {
    rapidjson::Document d;
    d.Parse(hub::openapi_json().c_str());
    return d;
  }();
  return kDoc;
}

// Whether `path` is an instance of the template `tmpl` ("/v1/batches/{id}", "/v1/ingest/{feed}:validate"):
// literal segments equal, a {capture} takes a non-empty segment ending with its literal suffix.
bool path_matches(std::string_view tmpl, std::string_view path) {
  auto split = [](std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 1;
    while (i <= s.size()) {
      std::size_t j = s.find('/', i);
      if (j == std::string_view::npos) j = s.size();
      out.push_back(s.substr(i, j - i));
      i = j + 1;
    }
    return out;
  };
  auto t = split(tmpl), p = split(path);
  if (t.size() != p.size()) return false;
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (t[k].empty() || t[k][0] != '{') {
      if (t[k] != p[k]) return false;
      continue;
    }
    std::string_view suffix = t[k].substr(t[k].find('}') + 1);
    if (p[k].size() <= suffix.size() || p[k].substr(p[k].size() - suffix.size()) != suffix) return false;
  }
  return true;
}

// A more specific template wins ("{feed}:validate" over "{feed}"), as the router orders them.
const rapidjson::Value* path_item(std::string_view path, std::string& tmpl) {
  const rapidjson::Value* best = nullptr;
  std::size_t best_literal = 0;
  for (const auto& m : description()["paths"].GetObject()) {
    std::string_view t(m.name.GetString(), m.name.GetStringLength());
    if (!path_matches(t, path)) continue;
    std::size_t literal = 0;
    for (char c : t) literal += (c != '{' && c != '}') ? 1 : 0;
    if (!best || literal > best_literal) {
      best = &m.value;
      best_literal = literal;
      tmpl = std::string(t);
    }
  }
  return best;
}

const rapidjson::Value* follow(const rapidjson::Value* v) {
  for (int i = 0; v && v->IsObject() && v->HasMember("$ref") && i < 10; ++i) {
    std::string ref = (*v)["$ref"].GetString();
    v = rapidjson::Pointer(ref.substr(1).c_str()).Get(description());
  }
  return v;
}

// A schema document whose root is `schema`, able to resolve "#/components/schemas/..." refs: the
// components' schemas copied under that pointer, the schema itself under "#/x".
const rapidjson::SchemaDocument& compiled(const std::string& key, const rapidjson::Value& schema) {
  static std::map<std::string, std::pair<std::unique_ptr<rapidjson::Document>, std::unique_ptr<rapidjson::SchemaDocument>>>
      cache;
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second.second;
  auto doc = std::make_unique<rapidjson::Document>();
  auto& a = doc->GetAllocator();
  doc->SetObject();
  rapidjson::Value components(rapidjson::kObjectType), schemas;
  schemas.CopyFrom(description()["components"]["schemas"], a);
  components.AddMember("schemas", schemas, a);
  doc->AddMember("components", components, a);
  rapidjson::Value x;
  x.CopyFrom(schema, a);
  doc->AddMember("x", x, a);
  doc->AddMember("$ref", "#/x", a);
  auto sd = std::make_unique<rapidjson::SchemaDocument>(*doc);
  auto& out = *sd;
  cache.emplace(key, std::make_pair(std::move(doc), std::move(sd)));
  return out;
}

std::string media_type_of(const HttpResult& r) {
  auto it = r.headers.find("content-type");
  if (it == r.headers.end()) return "";
  std::string t = it->second.substr(0, it->second.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

}  // namespace

std::string openapi_mismatch(const std::string& method, const std::string& target, const HttpResult& r) {
  std::string path = target.substr(0, target.find('?'));
  std::string where = method + " " + path + " " + std::to_string(r.status);
  std::string tmpl;
  const rapidjson::Value* item = path_item(path, tmpl);
  if (!item) return where + ": no path of the description matches";
  std::string m;
  for (char c : method) m += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!item->HasMember(m.c_str())) return where + ": " + tmpl + " has no operation " + m;
  const auto& op = (*item)[m.c_str()];
  std::string status = std::to_string(r.status);
  if (!op["responses"].HasMember(status.c_str())) return where + ": " + tmpl + " " + m + " describes no answer " + status;
  const rapidjson::Value* response = follow(&op["responses"][status.c_str()]);
  if (!response || !response->HasMember("content")) return r.body.empty() ? "" : where + ": a body where none is described";
  std::string type = media_type_of(r);
  const auto& content = (*response)["content"];
  if (!content.HasMember(type.c_str())) return where + ": media type '" + type + "' is not described";
  const auto& media = content[type.c_str()];
  if (type != "application/json" && type != "application/problem+json") return "";
  if (!media.HasMember("schema")) return "";
  rapidjson::Document body;
  body.Parse(r.body.c_str(), r.body.size());
  if (body.HasParseError()) return where + ": the body is not JSON";
  const auto& sd = compiled(tmpl + " " + m + " " + status + " " + type, media["schema"]);
  rapidjson::SchemaValidator validator(sd);
  if (body.Accept(validator)) return "";
  rapidjson::StringBuffer schema_at, doc_at;
  validator.GetInvalidSchemaPointer().StringifyUriFragment(schema_at);
  validator.GetInvalidDocumentPointer().StringifyUriFragment(doc_at);
  return where + ": the body does not match the description at " + std::string(doc_at.GetString()) +
         " (schema " + schema_at.GetString() + ", keyword '" + validator.GetInvalidSchemaKeyword() + "')";
}

}  // namespace hub::test
