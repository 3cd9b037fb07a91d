// Failed authentications (hub/http/authenticator.cpp, rate_limiter.cpp) with real hub
// processes. Guards issue 18, finding 10: 3,000 bad tokens wrote 3,000 audit rows in 2 s and
// were never slowed down. Also: the client address behind a proxy is taken from
// X-Forwarded-For only when the peer is a trusted proxy, and no token reaches the audit log.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <future>
#include <thread>

#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;

namespace {

std::string code_of(const HttpResult& r) {
  auto d = parse_json(r.body);
  return d.IsObject() && d.HasMember("code") ? d["code"].GetString() : "";
}

std::string bad_token(int i) {
  std::string t = "hub_" + std::to_string(i);
  return t + std::string(47 - t.size(), 'x');
}

}  // namespace

TEST_CASE("3000 bad tokens from one address are throttled and audited in a few rows", "[db][http][auth]") {
  reset_database();
  HubProcess hub_a(std::map<std::string, std::string>{{"HUB_AUTH_FAILURE_WINDOW_SECONDS", "4"}}),
      hub_b(std::map<std::string, std::string>{{"HUB_AUTH_FAILURE_WINDOW_SECONDS", "4"}});
  REQUIRE(hub_a.start());
  REQUIRE(hub_b.start());
  std::string good = add_partner("vendor-a", {"--scope", "ingest:student"});
  REQUIRE(get(hub_a.url("/v1/me"), good).status == 200);  // verified, so cached by hub_a

  auto started = std::chrono::steady_clock::now();
  int unauthorized = 0, throttled = 0, other = 0;
  std::string retry_after;
  for (int i = 0; i < 3000; ++i) {
    auto r = get((i % 2 ? hub_a : hub_b).url("/v1/me"), bad_token(i));
    if (r.status == 401) ++unauthorized;
    else if (r.status == 429 && code_of(r) == "auth.throttled") {
      ++throttled;
      retry_after = r.headers["retry-after"];
    } else ++other;
  }
  auto elapsed = std::chrono::steady_clock::now() - started;
  int windows = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count() / 4) + 2;
  INFO(unauthorized << " refused, " << throttled << " throttled, " << other << " other, over " << windows << " windows");
  CHECK(other == 0);
  // The limit (20 a window) holds across both processes.
  CHECK(unauthorized <= 20 * windows);
  CHECK(throttled >= 3000 - 20 * windows);
  CHECK(std::stoi(retry_after) >= 1);
  CHECK(std::stoi(retry_after) <= 4);
  // A token this process verified before still works from the throttled address.
  CHECK(get(hub_a.url("/v1/me"), good).status == 200);

  // At most two audit rows per window: the first failure, then the window's counts.
  std::this_thread::sleep_for(6s);
  int rows = std::stoi(sql_value("select count(*) from audit_log where action = 'auth.failure'"));
  CHECK(rows <= 2 * windows);
  // Nothing is lost: the windows' rows count every refusal but the single failures of windows
  // that had nothing else (those have their one row).
  int counted = std::stoi(sql_value("select coalesce(sum((detail->>'failures')::int + (detail->>'throttled')::int), 0)"
                                    " from audit_log where action = 'auth.failure' and detail ? 'aggregated'"));
  CHECK(counted <= 3000);
  CHECK(counted >= 3000 - windows);
  CHECK(sql_value("select count(*) from audit_log where detail::text like '%xxxxxxxxxx%'") == "0");
  CHECK(hub_a.log().find("xxxxxxxxxx") == std::string::npos);

  // Once the window is over the address may try again.
  CHECK(get(hub_b.url("/v1/me"), bad_token(1)).status == 401);
}

TEST_CASE("X-Forwarded-For names the client only when the peer is a trusted proxy", "[db][http][auth]") {
  reset_database();
  HubProcess trusting(std::map<std::string, std::string>{{"HUB_HTTP_TRUSTED_PROXIES", "127.0.0.1"},
                                                         {"HUB_AUTH_FAILURE_LIMIT", "3"}});
  HubProcess direct(std::map<std::string, std::string>{{"HUB_AUTH_FAILURE_LIMIT", "3"}});
  REQUIRE(trusting.start());
  REQUIRE(direct.start());

  auto from = [](HubProcess& hub, const std::string& forwarded) {
    return http("GET", hub.url("/v1/me"), "",
                {"Authorization: Bearer " + bad_token(7), "X-Forwarded-For: " + forwarded});
  };
  // Behind the trusted proxy: the last entry (the one the proxy added) is the client.
  CHECK(from(trusting, "198.51.100.1, 203.0.113.7").status == 401);
  CHECK(sql_value("select source from audit_log where action = 'auth.failure'") == "203.0.113.7");
  for (int i = 0; i < 3; ++i) from(trusting, "203.0.113.7");
  CHECK(from(trusting, "203.0.113.7").status == 429);
  CHECK(from(trusting, "203.0.113.8").status == 401);  // another client is not throttled

  // Straight from a client: its X-Forwarded-For is its own claim, ignored.
  sql_exec("delete from audit_log");
  CHECK(from(direct, "203.0.113.9").status == 401);
  CHECK(sql_value("select source from audit_log where action = 'auth.failure'") == "127.0.0.1");
}

// Guards: a school whose staff open the console before signing in (GET /v1/console/session
// with no credential) behind one router being throttled, and with it every vendor at that address.
TEST_CASE("requests with no credential are refused without counting against the address", "[db][http][auth]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_AUTH_FAILURE_LIMIT", "3"}});
  REQUIRE(hub.start());
  for (int i = 0; i < 10; ++i) {
    auto r = get(hub.url("/v1/console/session"));
    REQUIRE(r.status == 401);
    CHECK(code_of(r) == "auth.missing_token");
    // RFC 6750: no error attribute when the request carried no credential.
    CHECK(r.headers["www-authenticate"] == "Bearer realm=\"edu-data-hub\"");
  }
  CHECK(sql_value("select count(*) from audit_log where action = 'auth.failure'") == "0");
  // A guessed token is still counted: the limit of 3 is reached by guesses alone.
  for (int i = 0; i < 3; ++i) CHECK(get(hub.url("/v1/me"), bad_token(i)).status == 401);
  CHECK(get(hub.url("/v1/me"), bad_token(9)).status == 429);
  // The throttled address still gets the plain 401 for no credential, not 429.
  CHECK(get(hub.url("/v1/console/session")).status == 401);
}
