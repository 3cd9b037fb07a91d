// The OpenAPI description (docs/openapi.yaml, served as /v1/openapi.json) against the router.
// Guards: a route added to the router and not described, or described and not served (a vendor
// reads an API that is not there); an operation without its scopes or answers; a problem code
// named in the description without a Vietnamese message; a $ref that leads nowhere; and schemas
// using keywords RapidJSON's draft-04 validator ignores, so that the integration tests' response
// validation (tests/support/openapi_check.h) would silently check less than the file says.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <set>
#include <string>

#include "hub/common/config.h"
#include "hub/http/openapi.h"
#include "hub/http/routes.h"
#include "hub/mapping/messages.h"
#include "hub/resolve/probabilistic_resolver.h"

namespace {

rapidjson::Document description() {
  rapidjson::Document d;
  d.Parse(hub::openapi_json().c_str());
  return d;
}

// (METHOD, pattern) of every route the hub registers, built as hub/main.cpp builds its router
// (nothing here connects: the pools open connections on first use).
std::set<std::string> router_routes() {
  hub::Config config;
  hub::PgPool pg("postgresql://nobody@127.0.0.1:1/none", 1, std::chrono::milliseconds(10));
  hub::RedisPool redis("redis://127.0.0.1:1/0", 1, std::chrono::milliseconds(10));
  hub::AuditLog audit(pg);
  hub::PartnerStore partners(pg, 0);
  hub::mapping::MappingRegistry mappings(std::string(HUB_SOURCE_DIR) + "/mappings");
  hub::resolve::ProbabilisticResolver resolver(hub::resolve::RuleSet{}, redis, hub::resolve::ResolverOptions{});
  hub::IngestService ingest(pg, mappings, resolver, config);
  hub::RecordQueries records(pg);
  hub::sync::LoadedPublication publication;
  hub::Components components{config, pg, redis, audit, partners, mappings, ingest, records, publication};
  hub::resolve::ReviewQueue review(pg, resolver.rules());
  hub::Router router;
  hub::auth::Accounts accounts(pg, redis, config.auth.session_seconds, {});
  hub::register_all_routes(router, components, review, accounts);
  std::set<std::string> out;
  for (const auto& r : router.routes()) out.insert(r.method + " " + r.pattern);
  return out;
}

std::set<std::string> described_routes(const rapidjson::Document& d) {
  std::set<std::string> out;
  for (const auto& path : d["paths"].GetObject())
    for (const auto& op : path.value.GetObject()) {
      std::string m = op.name.GetString();
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert(m + " " + path.name.GetString());
    }
  return out;
}

// Every "$ref" in `v`, with where it is.
void collect_refs(const rapidjson::Value& v, const std::string& at, std::vector<std::pair<std::string, std::string>>& out) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      std::string name = m.name.GetString();
      if (name == "$ref" && m.value.IsString()) out.emplace_back(at, m.value.GetString());
      else collect_refs(m.value, at + "/" + name, out);
    }
  } else if (v.IsArray()) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) collect_refs(v[i], at + "/" + std::to_string(i), out);
  }
}

// Keywords of a schema object that the validator applies (plus those that only document).
void check_schema_keywords(const rapidjson::Value& s, const std::string& at, std::vector<std::string>& bad) {
  static const std::set<std::string> kAllowed = {"type", "properties", "required", "items", "enum",
                                                 "additionalProperties", "$ref", "description"};
  if (!s.IsObject()) return;
  for (const auto& m : s.GetObject()) {
    std::string k = m.name.GetString();
    if (!kAllowed.count(k)) bad.push_back(at + ": " + k);
    if (k == "properties")
      for (const auto& p : m.value.GetObject()) check_schema_keywords(p.value, at + "/properties/" + p.name.GetString(), bad);
    if ((k == "items" || k == "additionalProperties") && m.value.IsObject()) check_schema_keywords(m.value, at + "/" + k, bad);
  }
}

}  // namespace

TEST_CASE("every route of the router is described in the OpenAPI description and nothing else is", "[http][openapi]") {
  auto d = description();
  REQUIRE_FALSE(d.HasParseError());
  auto served = router_routes();
  auto described = described_routes(d);
  REQUIRE(served.size() > 25);
  for (const auto& r : served) {
    INFO(r << " is served by the router but missing from docs/openapi.yaml");
    CHECK(described.count(r) == 1);
  }
  for (const auto& r : described) {
    INFO(r << " is described in docs/openapi.yaml but the router has no such route");
    CHECK(served.count(r) == 1);
  }
  CHECK(served.count("POST /v1/ingest/{feed}:validate") == 1);
  CHECK(served.count("GET /v1/openapi.json") == 1);
  CHECK(served.count("GET /docs") == 1);
}

TEST_CASE("the description is OpenAPI 3.1 with scopes and answers for every operation", "[http][openapi]") {
  auto d = description();
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["openapi"].GetString()) == "3.1.0");
  REQUIRE(d["components"]["securitySchemes"].HasMember("bearerAuth"));
  for (const auto& path : d["paths"].GetObject())
    for (const auto& op : path.value.GetObject()) {
      INFO(op.name.GetString() << " " << path.name.GetString());
      CHECK(op.value.HasMember("summary"));
      CHECK(op.value.HasMember("tags"));
      REQUIRE(op.value.HasMember("x-scopes"));
      CHECK(op.value["x-scopes"].IsArray());
      REQUIRE(op.value.HasMember("responses"));
      CHECK(op.value["responses"].MemberCount() > 0);
      // An operation without a token says so; all others need the bearer token.
      bool open = op.value.HasMember("security") && op.value["security"].Size() == 0;
      if (!open) CHECK(op.value["responses"].HasMember("401"));
    }
  // Every reference leads somewhere.
  std::vector<std::pair<std::string, std::string>> refs;
  collect_refs(d, "", refs);
  CHECK(refs.size() > 100);
  for (const auto& [at, ref] : refs) {
    INFO(at << " refers to " << ref);
    REQUIRE(ref.rfind("#/", 0) == 0);
    CHECK(rapidjson::Pointer(ref.substr(1).c_str()).Get(d) != nullptr);
  }
}

TEST_CASE("every problem code the description names has a Vietnamese message", "[http][openapi]") {
  auto d = description();
  std::set<std::string> codes;
  auto add = [&](const rapidjson::Value& response) {
    if (response.IsObject() && response.HasMember("x-problem-codes"))
      for (const auto& c : response["x-problem-codes"].GetArray()) codes.insert(c.GetString());
  };
  for (const auto& r : d["components"]["responses"].GetObject()) add(r.value);
  for (const auto& path : d["paths"].GetObject())
    for (const auto& op : path.value.GetObject())
      for (const auto& r : op.value["responses"].GetObject()) add(r.value);
  CHECK(codes.count("ingest.no_records") == 1);
  CHECK(codes.size() > 40);
  for (const auto& c : codes) {
    INFO(c);
    CHECK(hub::mapping::has_vietnamese_message(c));
  }
}

TEST_CASE("the description's schemas use only keywords the draft-04 validator applies", "[http][openapi]") {
  auto d = description();
  std::vector<std::string> bad;
  for (const auto& s : d["components"]["schemas"].GetObject())
    check_schema_keywords(s.value, std::string("#/components/schemas/") + s.name.GetString(), bad);
  for (const auto& b : bad) {
    INFO("unsupported keyword at " << b);
    CHECK(false);
  }
  CHECK(d["components"]["schemas"].HasMember("Problem"));
  CHECK(d["components"]["schemas"].HasMember("DryRun"));
}

TEST_CASE("the docs page is served from files compiled in - its script a file of its own", "[http][openapi]") {
  auto page = hub::embedded_file("hub/http/docs_page/index.html");
  REQUIRE(page);
  std::string html(*page);
  CHECK(html.find("<script src=\"/docs/docs.js\"") != std::string::npos);
  // No inline script or style: the page's CSP allows neither.
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("<style") == std::string::npos);
  CHECK(html.find(" style=") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  auto js = hub::embedded_file("hub/http/docs_page/docs.js");
  REQUIRE(js);
  CHECK(std::string(*js).find("innerHTML") == std::string::npos);
  CHECK(std::string(*js).find("/v1/openapi.json") != std::string::npos);
  CHECK(std::string(hub::kDocsContentSecurityPolicy).find("script-src 'self'") != std::string::npos);
  CHECK(std::string(hub::kDocsContentSecurityPolicy).find("unsafe-inline") == std::string::npos);
}
