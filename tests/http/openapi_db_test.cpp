// The API description and the /docs page as a real hub serves them, directly and behind HAProxy.
// Guards: /v1/openapi.json missing, not JSON, or asking for a token a vendor does not have yet
// (HAProxy refused tokenless /v1/ requests); the /docs page served without its
// Content-Security-Policy, or with a script the policy would block; and the hub's own answers to
// these routes differing from the description.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "hub/http/openapi.h"
#include "tests/support/openapi_check.h"
#include "tests/support/test_env.h"

using namespace hub::test;

TEST_CASE("the hub serves its OpenAPI description and the docs page without a token", "[db][http][openapi]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());

  auto spec = get(hub.url("/v1/openapi.json"));
  REQUIRE(spec.status == 200);
  CHECK(spec.headers["content-type"].rfind("application/json", 0) == 0);
  auto d = parse_json(spec.body);
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["openapi"].GetString()) == "3.1.0");
  CHECK(d["paths"].HasMember("/v1/ingest/{feed}:validate"));
  CHECK(spec.body == hub::openapi_json());
  CHECK(openapi_mismatch("GET", "/v1/openapi.json", spec) == "");

  auto page = get(hub.url("/docs"));
  REQUIRE(page.status == 200);
  CHECK(page.headers["content-type"] == "text/html; charset=utf-8");
  CHECK(page.headers["content-security-policy"] == hub::kDocsContentSecurityPolicy);
  CHECK(page.headers["x-content-type-options"] == "nosniff");
  CHECK(page.body.find("<script src=\"/docs/docs.js\"") != std::string::npos);
  CHECK(openapi_mismatch("GET", "/docs", page) == "");
  auto js = get(hub.url("/docs/docs.js"));
  REQUIRE(js.status == 200);
  CHECK(js.headers["content-type"] == "text/javascript; charset=utf-8");
  CHECK(js.headers["content-security-policy"] == hub::kDocsContentSecurityPolicy);
  CHECK(js.body.find("fetch(\"/v1/openapi.json\")") != std::string::npos);
  auto css = get(hub.url("/docs/docs.css"));
  CHECK(css.status == 200);
  CHECK(css.headers["content-type"] == "text/css; charset=utf-8");
  CHECK(openapi_mismatch("GET", "/docs/docs.css", css) == "");

  // The probes and a token's own answer, as described.
  CHECK(openapi_mismatch("GET", "/healthz", get(hub.url("/healthz"))) == "");
  CHECK(openapi_mismatch("GET", "/readyz", get(hub.url("/readyz"))) == "");
  std::string token = add_partner("demo-admissions", {"--scope", "ingest:student"});
  auto me = get(hub.url("/v1/me"), token);
  CHECK(me.status == 200);
  CHECK(openapi_mismatch("GET", "/v1/me", me) == "");
  auto anonymous = get(hub.url("/v1/me"));
  CHECK(anonymous.status == 401);
  CHECK(openapi_mismatch("GET", "/v1/me", anonymous) == "");
}

TEST_CASE("behind HAProxy the description and the docs page need no token - the API still does", "[db][http][openapi][haproxy]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  EdgeProxy edge({&hub});
  REQUIRE(edge.start());
  auto spec = get(edge.url("/v1/openapi.json"));
  CHECK(spec.status == 200);
  CHECK(spec.body == hub::openapi_json());
  auto page = get(edge.url("/docs"));
  CHECK(page.status == 200);
  CHECK(page.headers["content-security-policy"] == hub::kDocsContentSecurityPolicy);
  CHECK(get(edge.url("/docs/docs.js")).status == 200);
  // Every other /v1/ route is still refused at the edge without a token.
  CHECK(get(edge.url("/v1/me")).status == 401);
  CHECK(get(edge.url("/v1/openapi.json.bak")).status == 401);
}
