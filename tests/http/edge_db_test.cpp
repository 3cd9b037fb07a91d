// The hub's HTTP edge against the real PostgreSQL and Redis, with real hub processes.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <csignal>
#include <future>
#include <thread>

#include <pqxx/pqxx>

#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;

namespace {

std::string code_of(const HttpResult& r) {
  auto d = parse_json(r.body);
  return d.IsObject() && d.HasMember("code") ? d["code"].GetString() : "";
}

std::string bearer(const std::string& token) { return "Authorization: Bearer " + token; }

}  // namespace

TEST_CASE("health - readiness - request ids and problem+json for unknown routes", "[db][http]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());

  auto health = get(hub.url("/healthz"));
  CHECK(health.status == 200);
  CHECK(health.headers["x-request-id"].size() == 32);  // generated

  auto echoed = http("GET", hub.url("/healthz"), "", {"X-Request-Id: trace-42.a"});
  CHECK(echoed.headers["x-request-id"] == "trace-42.a");
  auto invalid = http("GET", hub.url("/healthz"), "", {"X-Request-Id: bad id with spaces"});
  CHECK(invalid.headers["x-request-id"] != "bad id with spaces");

  CHECK(get(hub.url("/readyz")).status == 200);

  auto missing = get(hub.url("/v1/nothing-here"));
  CHECK(missing.status == 404);
  CHECK(missing.headers["content-type"] == "application/problem+json");
  auto doc = parse_json(missing.body);
  CHECK(std::string(doc["code"].GetString()) == "request.not_found");
  CHECK(doc.HasMember("title"));
  CHECK(doc.HasMember("detail"));
  CHECK(std::string(doc["request_id"].GetString()) == missing.headers["x-request-id"]);

  auto wrong_method = http("DELETE", hub.url("/v1/me"));
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.headers["allow"] == "GET");
}

TEST_CASE("wrong - expired - revoked and rotated tokens", "[db][http][auth]") {
  reset_database();
  HubProcess hub_a, hub_b;
  REQUIRE(hub_a.start());
  REQUIRE(hub_b.start());
  std::string token = add_partner("vendor-a", {"--scope", "ingest:student"});
  REQUIRE(token.rfind("hub_", 0) == 0);
  REQUIRE(token.size() == 47);  // "hub_" + 43 base64url characters = 256 bits

  SECTION("a valid token identifies its partner on every hub process") {
    for (auto* hub : {&hub_a, &hub_b}) {
      auto me = get(hub->url("/v1/me"), token);
      REQUIRE(me.status == 200);
      auto d = parse_json(me.body);
      CHECK(std::string(d["name"].GetString()) == "vendor-a");
      CHECK(d["scopes"].Size() == 1);
    }
  }

  SECTION("a wrong token is refused and audited, without the token in the audit or the log") {
    std::string wrong = token.substr(0, token.size() - 2) + "xx";
    auto r = get(hub_a.url("/v1/me"), wrong);
    CHECK(r.status == 401);
    CHECK(code_of(r) == "auth.token_invalid");
    CHECK(r.headers.count("www-authenticate") == 1);
    CHECK(sql_value("select count(*) from audit_log where action = 'auth.failure'") == "1");
    CHECK(sql_value("select count(*) from audit_log where detail::text like '%" + wrong.substr(4, 20) + "%'") == "0");
    CHECK(get(hub_a.url("/v1/me")).status == 401);
    CHECK(http("GET", hub_a.url("/v1/me"), "", {"Authorization: Basic abc"}).status == 401);
    CHECK(hub_a.log().find(wrong.substr(4)) == std::string::npos);
    CHECK(hub_a.log().find(token.substr(4)) == std::string::npos);
  }

  SECTION("an expired token is refused") {
    std::string short_lived = add_partner("vendor-b", {"--scope", "ingest:student"});
    REQUIRE(get(hub_a.url("/v1/me"), short_lived).status == 200);  // now cached by hub_a
    sql_exec("update partner_token set expires_at = now() + interval '1 second'"
             " where partner_id = (select id from partner where name = 'vendor-b')");
    hubctl({"partner", "scope", "vendor-b", "--add", "pull:school"});  // re-reads caches
    REQUIRE(get(hub_a.url("/v1/me"), short_lived).status == 200);
    std::this_thread::sleep_for(1500ms);
    auto r = get(hub_a.url("/v1/me"), short_lived);
    CHECK(r.status == 401);
    CHECK(code_of(r) == "auth.token_expired");
    CHECK(get(hub_b.url("/v1/me"), short_lived).status == 401);
  }

  SECTION("revocation takes effect at once on every hub process") {
    REQUIRE(get(hub_a.url("/v1/me"), token).status == 200);
    REQUIRE(get(hub_b.url("/v1/me"), token).status == 200);
    auto revoked = hubctl({"partner", "revoke", "vendor-a"});
    REQUIRE(revoked.exit_code == 0);
    CHECK(get(hub_a.url("/v1/me"), token).status == 401);
    CHECK(get(hub_b.url("/v1/me"), token).status == 401);
    CHECK(sql_value("select count(*) from audit_log where action = 'partner.revoke'") == "1");
  }

  SECTION("rotation keeps the old token for the grace period only") {
    REQUIRE(get(hub_a.url("/v1/me"), token).status == 200);
    auto rotated = hubctl({"partner", "rotate", "vendor-a", "--grace", "2"});
    REQUIRE(rotated.exit_code == 0);
    std::string fresh = rotated.out.substr(0, rotated.out.find('\n'));
    REQUIRE(fresh.rfind("hub_", 0) == 0);
    REQUIRE(fresh != token);
    CHECK(get(hub_a.url("/v1/me"), token).status == 200);
    CHECK(get(hub_b.url("/v1/me"), fresh).status == 200);
    std::this_thread::sleep_for(2500ms);
    CHECK(get(hub_a.url("/v1/me"), token).status == 401);
    CHECK(get(hub_b.url("/v1/me"), token).status == 401);
    CHECK(get(hub_a.url("/v1/me"), fresh).status == 200);

    auto again = hubctl({"partner", "rotate", "vendor-a", "--grace", "0"});
    std::string newest = again.out.substr(0, again.out.find('\n'));
    CHECK(get(hub_a.url("/v1/me"), fresh).status == 401);
    CHECK(get(hub_a.url("/v1/me"), newest).status == 200);
  }
}

TEST_CASE("scope refusals and the admin API", "[db][http][auth]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  std::string vendor = add_partner("vendor-a", {"--scope", "ingest:student", "--unit", "province:31"});
  std::string ops = add_partner("ops", {"--scope", "admin"});

  auto refused = get(hub.url("/v1/admin/partners"), vendor);
  CHECK(refused.status == 403);
  CHECK(code_of(refused) == "auth.scope");
  CHECK(refused.body.find("admin") != std::string::npos);

  auto me = parse_json(get(hub.url("/v1/me"), vendor).body);
  REQUIRE(me["units"].Size() == 1);
  CHECK(std::string(me["units"][0].GetString()) == "province:31");

  auto list = get(hub.url("/v1/admin/partners"), ops);
  REQUIRE(list.status == 200);
  CHECK(parse_json(list.body)["partners"].Size() == 2);

  // Creating a partner over HTTP returns its token once; the new token works.
  auto created = http("POST", hub.url("/v1/admin/partners"),
                      R"({"name":"warehouse","scopes":["pull:*"]})",
                      {bearer(ops), "Content-Type: application/json"});
  REQUIRE(created.status == 201);
  std::string wh_token = parse_json(created.body)["token"].GetString();
  CHECK(get(hub.url("/v1/me"), wh_token).status == 200);

  auto dup = http("POST", hub.url("/v1/admin/partners"), R"({"name":"warehouse","scopes":["pull:*"]})",
                  {bearer(ops), "Content-Type: application/json"});
  CHECK(dup.status == 409);
  CHECK(code_of(dup) == "partner.exists");

  auto bad_scope = http("POST", hub.url("/v1/admin/partners"), R"({"name":"x-1","scopes":["push:all"]})",
                        {bearer(ops), "Content-Type: application/json"});
  CHECK(bad_scope.status == 422);
  CHECK(code_of(bad_scope) == "scope.invalid");

  auto audit = get(hub.url("/v1/admin/audit?action=partner.*"), ops);
  REQUIRE(audit.status == 200);
  CHECK(parse_json(audit.body)["entries"].Size() == 3);
  auto cli_audit = hubctl({"audit", "--action", "partner.add", "--actor", "ops"});
  CHECK(cli_audit.exit_code == 0);
  CHECK(cli_audit.out.find("warehouse") != std::string::npos);

  auto revoke = http("POST", hub.url("/v1/admin/partners/warehouse:revoke"), "", {bearer(ops)});
  CHECK(revoke.status == 200);
  CHECK(get(hub.url("/v1/me"), wh_token).status == 401);
  CHECK(http("POST", hub.url("/v1/admin/partners/nobody:revoke"), "", {bearer(ops)}).status == 404);
}

TEST_CASE("malformed - oversized and wrongly typed bodies", "[db][http]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_HTTP_MAX_BODY_BYTES", "4096"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("ops", {"--scope", "admin"});
  std::vector<std::string> headers = {bearer(ops), "Content-Type: application/json"};

  auto malformed = http("POST", hub.url("/v1/admin/partners"), R"({"name": "x", "scopes": [)", headers);
  CHECK(malformed.status == 400);
  auto d = parse_json(malformed.body);
  CHECK(std::string(d["code"].GetString()) == "request.malformed_json");
  CHECK(d["offset"].GetInt() == 25);

  auto too_large = http("POST", hub.url("/v1/admin/partners"), std::string(5000, ' ') + "{}", headers);
  CHECK(too_large.status == 413);
  CHECK(code_of(too_large) == "request.too_large");
  CHECK(too_large.headers["content-type"] == "application/problem+json");

  // Far beyond the limit: still refused, and the hub keeps serving.
  auto huge = http("POST", hub.url("/v1/admin/partners"), std::string(2 << 20, 'x'), headers);
  CHECK(huge.status == 413);
  CHECK(get(hub.url("/healthz")).status == 200);

  auto text = http("POST", hub.url("/v1/admin/partners"), "name=x", {bearer(ops), "Content-Type: text/plain"});
  CHECK(text.status == 415);
  CHECK(code_of(text) == "request.media_type");

  auto not_object = http("POST", hub.url("/v1/admin/partners"), "[1,2]", headers);
  CHECK(not_object.status == 422);
  CHECK(sql_value("select count(*) from partner") == "1");  // nothing was created by bad input
}

TEST_CASE("the rate limit holds across two hub processes", "[db][http][rate]") {
  reset_database();
  HubProcess hub_a, hub_b;
  REQUIRE(hub_a.start());
  REQUIRE(hub_b.start());
  std::string token = add_partner("vendor-a", {"--scope", "ingest:student", "--rate", "0.5", "--burst", "6"});
  int ok = 0, limited = 0;
  std::string retry_after, limited_code;
  for (int i = 0; i < 16; ++i) {
    auto r = get((i % 2 ? hub_a : hub_b).url("/v1/me"), token);
    if (r.status == 200) ++ok;
    if (r.status == 429) {
      ++limited;
      retry_after = r.headers["retry-after"];
      limited_code = code_of(r);
    }
  }
  // A burst of 6 shared by both processes (plus at most one token refilled during the loop).
  CHECK(ok >= 6);
  CHECK(ok <= 7);
  CHECK(limited == 16 - ok);
  CHECK(limited_code == "rate.limited");
  CHECK(std::stoi(retry_after) >= 1);
  CHECK(std::stoi(retry_after) <= 2);
  // Another partner has its own bucket.
  std::string other = add_partner("vendor-b", {"--scope", "ingest:student"});
  CHECK(get(hub_a.url("/v1/me"), other).status == 200);
}

TEST_CASE("/readyz follows Redis going away and coming back - without a restart", "[db][http][redis]") {
  reset_database();
  // A Redis of this test's own, so stopping it disturbs nothing else.
  int port = free_port();
  std::string dir = "/tmp/hub-test-redis-" + std::to_string(port);
  auto start_redis = [&] {
    return run_process({"/usr/bin/redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                        "--daemonize", "yes", "--save", "", "--appendonly", "no", "--dir", "/tmp",
                        "--pidfile", dir + ".pid", "--logfile", dir + ".log"},
                       {}).exit_code;
  };
  auto stop_redis = [&] {
    run_process({"/usr/bin/redis-cli", "-p", std::to_string(port), "shutdown", "nosave"}, {});
  };
  REQUIRE(start_redis() == 0);
  std::this_thread::sleep_for(300ms);
  std::string redis = "redis://127.0.0.1:" + std::to_string(port) + "/0";
  HubProcess hub(std::map<std::string, std::string>{{"HUB_REDIS_URL", redis}});
  REQUIRE(hub.start());
  std::string token = add_partner("vendor-a", {"--scope", "ingest:student"});
  REQUIRE(get(hub.url("/readyz")).status == 200);
  REQUIRE(get(hub.url("/v1/me"), token).status == 200);

  stop_redis();
  std::this_thread::sleep_for(300ms);
  auto not_ready = get(hub.url("/readyz"));
  CHECK(not_ready.status == 503);
  CHECK(code_of(not_ready) == "dependency.unavailable");
  CHECK(not_ready.body.find("Redis") != std::string::npos);
  auto refused = get(hub.url("/v1/me"), token);
  CHECK(refused.status == 503);  // no Redis, no rate limit: refuse rather than guess
  CHECK(code_of(refused) == "dependency.redis");
  CHECK(get(hub.url("/healthz")).status == 200);

  REQUIRE(start_redis() == 0);
  bool ready = false;
  for (int i = 0; i < 50 && !ready; ++i) {
    ready = get(hub.url("/readyz")).status == 200;
    if (!ready) std::this_thread::sleep_for(100ms);
  }
  CHECK(ready);
  CHECK(get(hub.url("/v1/me"), token).status == 200);
  stop_redis();
}

TEST_CASE("SIGTERM lets requests in flight finish - then exits 0", "[db][http][shutdown]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  std::string ops = add_partner("ops", {"--scope", "admin"});
  REQUIRE(get(hub.url("/v1/admin/partners"), ops).status == 200);  // token now cached

  // Hold a lock that the partner listing needs, so a request stays in flight.
  pqxx::connection blocker(postgres_url());
  pqxx::work tx(blocker);
  tx.exec("lock table partner in access exclusive mode");
  auto in_flight = std::async(std::launch::async, [&] { return get(hub.url("/v1/admin/partners"), ops); });
  std::this_thread::sleep_for(500ms);
  hub.send_signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  // Draining: new work is refused while the old request still waits.
  auto late = get(hub.url("/v1/me"), ops);
  CHECK((late.status == 503 || late.status == 0));
  CHECK(in_flight.wait_for(0ms) != std::future_status::ready);
  tx.abort();  // release the lock
  auto finished = in_flight.get();
  CHECK(finished.status == 200);
  CHECK(hub.stop(0) == 0);  // signal 0: just wait for the exit
  CHECK(hub.log().find("\"msg\":\"stopped\"") != std::string::npos);
}

TEST_CASE("configuration errors stop start-up with exit 2 naming the key and the file", "[db][config]") {
  auto r = run_process({binary("hub")}, {{"HUB_HTTP_THREADS", "lots"}});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("http.threads") != std::string::npos);
  CHECK(r.err.find("HUB_HTTP_THREADS") != std::string::npos);
  auto missing = run_process({binary("hub"), "--config", "/nonexistent.yaml"}, {});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("/nonexistent.yaml") != std::string::npos);
  auto ctl = run_process({binary("hubctl"), "partner", "list"}, {{"HUB_REDIS_URL", "nonsense"}});
  CHECK(ctl.exit_code == 2);
  CHECK(ctl.err.find("redis.url") != std::string::npos);
}

TEST_CASE("migrations run once when several processes start together", "[db][migrations]") {
  sql_exec("drop schema if exists public cascade; create schema public");
  std::vector<std::future<CommandResult>> runs;
  for (int i = 0; i < 4; ++i)
    runs.push_back(std::async(std::launch::async, [] { return hubctl({"migrate"}); }));
  int applied_total = 0;
  for (auto& f : runs) {
    auto r = f.get();
    CHECK(r.exit_code == 0);
    if (r.out.find("applied 0001") != std::string::npos) ++applied_total;
  }
  CHECK(applied_total == 1);
  CHECK(sql_value("select count(*) from schema_migration where name like '0001%'") == "1");
}

TEST_CASE("hubctl partner add prints the token alone on its last line", "[db][hubctl]") {
  reset_database();
  auto r = hubctl({"partner", "add", "vendor-x", "--scope", "ingest:student", "--unit", "school:HP-01"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("hub_", 0) == 0);
  CHECK(r.out.size() == 48);  // the token and a newline, nothing else on stdout
  CHECK(sql_value("select encode(token_hash, 'hex') from partner_token") != r.out.substr(0, 47));
  CHECK(sql_value("select count(*) from partner_token where length(token_hash) = 32") == "1");
  auto bad = hubctl({"partner", "add", "vendor-y", "--scope", "ingest:pupils"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("scope.invalid") != std::string::npos);
  auto shown = hubctl({"partner", "show", "vendor-x"});
  CHECK(shown.out.find("school:HP-01") != std::string::npos);
  CHECK(hubctl({"partner", "show", "nobody"}).exit_code == 1);
}
