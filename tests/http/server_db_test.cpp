// The request pipeline of hub/http/server.cpp with real hub processes: every 503 says when to
// come back (issue 18, finding 9: 503 dependency.redis from the authenticator had no
// Retry-After), and a full worker pool answers 503 at once instead of queueing without bound
// while /healthz keeps answering.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

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

std::string vietnamese_of(const HttpResult& r) {
  auto d = parse_json(r.body);
  return d.IsObject() && d.HasMember("message_vi") ? d["message_vi"].GetString() : "";
}

}  // namespace

TEST_CASE("503 dependency.redis carries Retry-After", "[db][http][redis]") {
  reset_database();
  int port = free_port();
  std::string dir = "/tmp/hub-test-redis-" + std::to_string(port);
  auto redis_cli = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/redis-cli", "-p", std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {});
  };
  REQUIRE(run_process({"/usr/bin/redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                       "--daemonize", "yes", "--save", "", "--appendonly", "no", "--dir", "/tmp",
                       "--pidfile", dir + ".pid", "--logfile", dir + ".log"},
                      {}).exit_code == 0);
  std::this_thread::sleep_for(300ms);
  HubProcess hub(std::map<std::string, std::string>{{"HUB_REDIS_URL", "redis://127.0.0.1:" + std::to_string(port) + "/0"}});
  REQUIRE(hub.start());
  std::string token = add_partner("vendor-a", {"--scope", "ingest:student"});
  REQUIRE(get(hub.url("/v1/me"), token).status == 200);

  redis_cli({"shutdown", "nosave"});
  std::this_thread::sleep_for(300ms);
  auto refused = get(hub.url("/v1/me"), token);
  CHECK(refused.status == 503);
  CHECK(code_of(refused) == "dependency.redis");
  CHECK(refused.headers["retry-after"] == "5");
  CHECK_FALSE(vietnamese_of(refused).empty());
  auto wrong = get(hub.url("/v1/me"), "hub_not-a-real-token-at-all-aaaaaaaaaaaaaaaaaaaaaaa");
  CHECK(wrong.status == 503);
  CHECK(wrong.headers["retry-after"] == "5");
}

TEST_CASE("503 dependency.postgres carries Retry-After", "[db][http]") {
  reset_database();
  // One pooled connection, held by a request waiting on a lock: a token this hub has not seen
  // yet cannot be looked up within the acquire timeout (the authenticator's 503).
  HubProcess hub(std::map<std::string, std::string>{{"HUB_POSTGRES_POOL_SIZE", "1"},
                                                    {"HUB_POSTGRES_ACQUIRE_TIMEOUT_MS", "300"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("ops", {"--scope", "admin"});
  std::string vendor = add_partner("vendor-a", {"--scope", "ingest:student"});
  REQUIRE(get(hub.url("/v1/admin/partners"), ops).status == 200);  // token now cached
  pqxx::connection blocker(postgres_url());
  pqxx::work tx(blocker);
  tx.exec("lock table partner in access exclusive mode");
  auto holder = std::async(std::launch::async, [&] { return get(hub.url("/v1/admin/partners"), ops); });
  std::this_thread::sleep_for(500ms);
  auto refused = get(hub.url("/v1/me"), vendor);
  tx.abort();
  holder.get();
  CHECK(refused.status == 503);
  CHECK(code_of(refused) == "dependency.postgres");
  CHECK(refused.headers["retry-after"] == "5");
}

TEST_CASE("a full worker pool answers 503 server.overloaded at once and /healthz still answers", "[db][http]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_HTTP_WORKERS", "1"}, {"HUB_HTTP_QUEUE_DEPTH", "0"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("ops", {"--scope", "admin"});
  REQUIRE(get(hub.url("/v1/admin/partners"), ops).status == 200);  // token now cached

  // Hold a lock that the partner listing needs, so the only worker stays busy.
  pqxx::connection blocker(postgres_url());
  pqxx::work tx(blocker);
  tx.exec("lock table partner in access exclusive mode");
  auto busy = std::async(std::launch::async, [&] { return get(hub.url("/v1/admin/partners"), ops); });
  std::this_thread::sleep_for(500ms);

  auto started = std::chrono::steady_clock::now();
  auto overloaded = get(hub.url("/v1/me"), ops);
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(overloaded.status == 503);
  CHECK(code_of(overloaded) == "server.overloaded");
  CHECK(std::stoi(overloaded.headers["retry-after"]) >= 1);
  CHECK(waited < 1s);
  CHECK(get(hub.url("/healthz")).status == 200);

  tx.abort();
  CHECK(busy.get().status == 200);
  CHECK(get(hub.url("/v1/me"), ops).status == 200);
}
