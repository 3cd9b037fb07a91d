// The request pipeline of hub/http/server.cpp with real hub processes: every 503 says when to
// come back (issue 18, finding 9: 503 dependency.redis from the authenticator had no
// Retry-After), and a full worker pool answers 503 at once instead of queueing without bound
// while /healthz keeps answering.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <csignal>
#include <future>
#include <memory>
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

namespace {

struct DrainPartners {
  std::string ops, admissions;
};

DrainPartners drain_partners(const HubProcess& hub) {
  DrainPartners p{add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
                  add_partner("demo-admissions", {"--scope", "ingest:student", "--scope",
                                                  "ingest:admission_application", "--unit", "province:31"})};
  REQUIRE(push_feed(hub, p.ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  return p;
}

}  // namespace

// Guards the graceful drain behind HAProxy: on SIGTERM the balancer must see /readyz fail at
// once, while a push already in flight is still answered with every record processed.
TEST_CASE("SIGTERM during a push turns readyz 503 at once and the push still ends completed", "[db][http][shutdown][drain]") {
  reset_database();
  // Each chunk holds its locks 1.5 s, so the push is surely in flight when the signal comes;
  // two chunks of 10 records make it span the signal.
  HubProcess hub({{"HUB_RESOLVE_HOLD_AFTER_LOCK_MS", "1500"}, {"HUB_INGEST_CHUNK_RECORDS", "10"},
                  {"HUB_HTTP_DRAIN_TIMEOUT_MS", "20000"}});
  REQUIRE(hub.start());
  auto p = drain_partners(hub);
  REQUIRE(get(hub.url("/readyz")).status == 200);

  auto in_flight = std::async(std::launch::async, [&] {
    return http("POST", hub.url("/v1/ingest/admissions"), valid_admissions_payload("D-", 20),
                {"Authorization: Bearer " + p.admissions, "Content-Type: application/json", "Idempotency-Key: drain-1"},
                60000);
  });
  std::this_thread::sleep_for(700ms);
  auto started = std::chrono::steady_clock::now();
  hub.send_signal(SIGTERM);
  std::this_thread::sleep_for(100ms);
  auto ready = get(hub.url("/readyz"));
  CHECK(ready.status == 503);
  CHECK(code_of(ready) == "server.shutting_down");
  CHECK(ready.headers.count("retry-after") == 1);
  CHECK(in_flight.wait_for(0ms) != std::future_status::ready);  // the push is still running
  // A batch another hub stored meanwhile: a draining hub's workers claim no new work.
  sql_exec("insert into inbox_batch(partner_id, feed, content_type, body, body_sha256)"
           " select id, 'admissions', 'application/json', convert_to('" + valid_admissions_payload("L-", 2, 900) +
           "', 'UTF8'), sha256(convert_to('x', 'UTF8')) from partner where name = 'demo-admissions'");

  auto pushed = in_flight.get();
  REQUIRE(pushed.status == 200);
  auto d = parse_json(pushed.body);
  CHECK(std::string(d["status"].GetString()) == "done");
  CHECK(d["counts"]["accepted"].GetInt() == 20);
  CHECK(hub.stop(0, 25000) == 0);
  CHECK(std::chrono::steady_clock::now() - started < 20s);
  CHECK(hub.log().find("\"msg\":\"stopped\"") != std::string::npos);
  CHECK(count_rows("batch_record where status = 'accepted'") == "24");  // 4 schools + 20 applicants
  CHECK(count_rows("inbox_batch where status = 'received' and lease_owner is null") == "1");  // left for the next hub
  CHECK(count_rows("golden_record where entity = 'student'") == "20");
}

// Guards the bound on a drain: a chunk stuck past http.drain_timeout_ms must not keep the hub
// from exiting (a supervisor would SIGKILL it), and the chunk cut off must be redone by the next
// hub so every record still ends exactly once.
TEST_CASE("SIGTERM exits within http.drain_timeout_ms and the batch cut off is finished by the next hub", "[db][http][shutdown][drain]") {
  reset_database();
  std::map<std::string, std::string> slow{{"HUB_RESOLVE_HOLD_AFTER_LOCK_MS", "60000"},
                                          {"HUB_INGEST_SYNC_MAX_RECORDS", "1"},
                                          {"HUB_HTTP_DRAIN_TIMEOUT_MS", "1500"},
                                          {"HUB_INGEST_LEASE_SECONDS", "3"}};
  DrainPartners p;
  {
    HubProcess setup;  // the school list, loaded without the fault injection
    REQUIRE(setup.start());
    p = drain_partners(setup);
    REQUIRE(setup.stop(SIGTERM) == 0);
  }
  auto first = std::make_unique<HubProcess>(slow);
  REQUIRE(first->start());
  auto queued = push_feed(*first, p.admissions, "admissions", valid_admissions_payload("Q-", 30));
  REQUIRE(queued.status == 202);  // processed by a background worker
  // Wait until a worker holds the batch (its chunk now sleeps inside its transaction).
  bool claimed = false;
  for (int i = 0; i < 100 && !claimed; ++i) {
    claimed = count_rows("inbox_batch where feed = 'admissions' and status = 'processing'") == "1";
    if (!claimed) std::this_thread::sleep_for(50ms);
  }
  REQUIRE(claimed);
  std::this_thread::sleep_for(300ms);
  auto started = std::chrono::steady_clock::now();
  CHECK(first->stop(SIGTERM, 15000) == 0);
  CHECK(std::chrono::steady_clock::now() - started < 8s);
  CHECK(first->log().find("drain timed out") != std::string::npos);
  first.reset();

  HubProcess second;
  REQUIRE(second.start());
  bool done = false;
  for (int i = 0; i < 600 && !done; ++i) {
    done = count_rows("inbox_batch where feed = 'admissions' and status = 'done'") == "1";
    if (!done) std::this_thread::sleep_for(100ms);
  }
  REQUIRE(done);
  CHECK(count_rows("batch_record b join inbox_batch i on i.id = b.batch_id where i.feed = 'admissions'"
                   " and b.status = 'accepted'") == "30");
  CHECK(count_rows("golden_record where entity = 'student'") == "30");
  CHECK(dangling_rows() == "0");
}
