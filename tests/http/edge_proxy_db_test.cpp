// The documented deployment: HAProxy (config/haproxy/, scripts/edge.sh) in front of real hub
// processes. Guards issue 18, finding 4 for what the proxy refuses before the hub sees a
// request: heads over the limit, bodies announced over the limit and uploads without a bearer
// token are refused at once, before the body is sent, as problem+json in the hub's shape;
// "Connection: close" is honoured; a hub that is down gives 503 problem+json with Retry-After.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <atomic>
#include <csignal>
#include <future>
#include <set>
#include <thread>

#include "tests/support/raw_client.h"
#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::set<std::string> keys_of(const std::string& body) {
  std::set<std::string> out;
  auto d = parse_json(body);
  if (d.IsObject())
    for (const auto& m : d.GetObject()) out.insert(m.name.GetString());
  return out;
}

std::string field(const std::string& body, const char* name) {
  auto d = parse_json(body);
  return d.IsObject() && d.HasMember(name) && d[name].IsString() ? d[name].GetString() : "";
}

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

}  // namespace

TEST_CASE("HAProxy refuses oversized heads and bodies and tokenless uploads before the hub sees them", "[db][http][edge][haproxy]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_HTTP_TRUSTED_PROXIES", "127.0.0.1"}});
  REQUIRE(hub.start());
  EdgeProxy edge({&hub});
  REQUIRE(edge.start());
  std::string token = add_partner("vendor-a", {"--scope", "ingest:student"});
  CHECK(get(edge.url("/v1/me"), token).status == 200);

  // Multi-megabyte heads are cut off at HAProxy's buffer, at once, while probes go through.
  std::atomic<bool> done{false};
  auto probes = std::async(std::launch::async, [&] {
    long long worst = 0;
    while (!done) {
      auto t = Clock::now();
      worst = std::max(worst, http("GET", edge.url("/healthz"), "", {}, 5000).status == 200 ? ms_since(t) : 99999LL);
      std::this_thread::sleep_for(20ms);
    }
    return worst;
  });
  for (std::size_t size : {30u << 20, 8u << 20}) {
    RawClient c(edge.port());
    auto t = Clock::now();
    c.send("GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Big: " + std::string(size, 'a') + "\r\n\r\n");
    auto r = c.read_response(5s);
    // HAProxy 2.6's parser answers a head larger than its buffer with its own 400 (see
    // config/haproxy/haproxy.cfg); the hub itself answers 431 problem+json (connection_db_test).
    CHECK((r.status == 400 || r.status == 431));
    CHECK(ms_since(t) < 3000);
  }
  done = true;
  CHECK(probes.get() < 1000);

  // A head over 64 KiB that fits HAProxy's buffer: 431 problem+json.
  RawClient head(edge.port());
  head.send("GET /healthz HTTP/1.1\r\nHost: hub\r\nX-Big: " + std::string(70 << 10, 'a') + "\r\n\r\n");
  auto too_large_head = head.read_response(3s);
  CHECK(too_large_head.status == 431);
  CHECK(too_large_head.headers["content-type"] == "application/problem+json");
  CHECK(field(too_large_head.body, "code") == "request.header_too_large");

  // 50 MB announced: 413 before a byte of the body is sent.
  RawClient big(edge.port());
  big.send("POST /v1/ingest/admissions HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer " + token +
           "\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n");
  auto too_large = big.read_response(3s);
  CHECK(too_large.status == 413);
  CHECK(too_large.headers["content-type"] == "application/problem+json");
  CHECK(field(too_large.body, "code") == "request.too_large");
  CHECK(field(too_large.body, "detail").find("33554432") != std::string::npos);

  // No bearer token: 401 before the body, in the hub's own shape and words.
  RawClient anonymous(edge.port());
  anonymous.send("POST /v1/ingest/admissions HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                 "Content-Length: 31000000\r\n\r\n");
  auto refused = anonymous.read_response(3s);
  CHECK(refused.status == 401);
  auto direct = get(hub.url("/v1/me"));  // the hub's answer to the same mistake
  REQUIRE(direct.status == 401);
  CHECK(keys_of(refused.body) == keys_of(direct.body));
  CHECK(field(refused.body, "code") == field(direct.body, "code"));
  CHECK(field(refused.body, "message_vi") == field(direct.body, "message_vi"));
  CHECK(field(refused.body, "request_id") == refused.headers["x-request-id"]);
  // Only the direct request reached the hub (a request with no credential is not audited, so
  // the hub's request log tells).
  const std::string log = hub.log();
  std::size_t missing = 0;
  for (auto at = log.find("\"code\":\"auth.missing_token\""); at != std::string::npos;
       at = log.find("\"code\":\"auth.missing_token\"", at + 1))
    ++missing;
  CHECK(missing == 1);

  // Connection: close is honoured by the proxy.
  RawClient closing(edge.port());
  closing.send("GET /healthz HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n");
  CHECK(closing.read_response(3s).status == 200);
  CHECK(closing.closed_by_peer(2s));

  // The hub's request id is the proxy's (one id in both logs) unless the client sent one.
  auto traced = http("GET", edge.url("/healthz"), "", {"X-Request-Id: trace-7"});
  CHECK(traced.headers["x-request-id"] == "trace-7");

  // The hub goes away: 503 problem+json with Retry-After from the proxy.
  hub.stop(SIGKILL);
  auto down = http("GET", edge.url("/v1/me"), "", {"Authorization: Bearer " + token});
  CHECK(down.status == 503);
  CHECK(down.headers["content-type"] == "application/problem+json");
  CHECK(field(down.body, "code") == "server.unavailable");
  CHECK(down.headers["retry-after"] == "5");
}

TEST_CASE("through HAProxy 16 pushes of 1000 records all succeed and /healthz stays prompt", "[db][http][edge][haproxy][slow]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_HTTP_TRUSTED_PROXIES", "127.0.0.1"}});
  REQUIRE(hub.start());
  EdgeProxy edge({&hub});
  REQUIRE(edge.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string admissions = add_partner("demo-admissions", {"--scope", "ingest:student", "--scope",
                                                           "ingest:admission_application", "--unit", "province:31"});
  REQUIRE(http("POST", edge.url("/v1/ingest/schools"), read_file(kPartnersDir + "/demo-ops/samples/schools.json"),
               {"Authorization: Bearer " + ops, "Content-Type: application/json"}, 60000).status == 200);

  // The proxy lets 8 requests at a time reach the hub and queues the rest; probes pass by.
  std::atomic<bool> done{false};
  std::vector<std::future<int>> pushes;
  for (int i = 0; i < 16; ++i)
    pushes.push_back(std::async(std::launch::async, [&, i] {
      return http("POST", edge.url("/v1/ingest/admissions"), admissions_payload("P" + std::to_string(i) + "-", 1000),
                  {"Authorization: Bearer " + admissions, "Content-Type: application/json"}, 300000).status;
    }));
  std::this_thread::sleep_for(300ms);
  auto probes = std::async(std::launch::async, [&] {
    long long worst = 0;
    while (!done) {
      auto t = Clock::now();
      worst = std::max(worst, http("GET", edge.url("/healthz"), "", {}, 5000).status == 200 ? ms_since(t) : 99999LL);
      std::this_thread::sleep_for(20ms);
    }
    return worst;
  });
  int accepted = 0;
  for (auto& p : pushes) accepted += p.get() == 200 ? 1 : 0;
  done = true;
  CHECK(accepted == 16);
  CHECK(probes.get() < 200);
  CHECK(count_rows("batch_record") == "16004");  // every record has its result, and the 4 schools
}
