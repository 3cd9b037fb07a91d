// The admin routes of the push consumers (hub/http/sync_admin_handlers.h over
// hub/sync/consumer_admin.h, the functions hubctl sync uses too), through a real hub on the real
// PostgreSQL and Redis. Guards: the console's sync page showing another state than hubctl (lag,
// dead letters), a replay that does not move the cursor or is not audited, a replay of a consumer
// that does not exist creating one, and a non-admin reading or replaying.

#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

using namespace hub::test;

TEST_CASE("admins see the push consumers and dead letters and replay a consumer", "[db][http][sync]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_PUBLICATION_SECRET", "sync-admin-secret-0123456789"},
                                                    {"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string reader = add_partner("reader", {"--scope", "pull:*"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(std::string(HUB_SOURCE_DIR) + "/mappings/partners/demo-ops/samples/schools.json"))
              .status == 200);
  sql_exec("insert into sync_dead_letter(consumer, first_seq, last_seq, changes, idempotency_key, attempts, last_error)"
           " values ('demo-warehouse', 1, 2, 2, 'k-1', 10, 'receiver answered HTTP 401')");
  const long long changes = std::stoll(sql_value("select count(*) from change_log where entity = 'school'"));
  REQUIRE(changes == 4);

  auto list = get(hub.url("/v1/admin/sync/consumers"), ops);
  REQUIRE(list.status == 200);
  auto d = parse_json(list.body);
  REQUIRE(d["consumers"].Size() == 1);  // config/publication.yaml: demo-warehouse, push disabled
  const auto& c = d["consumers"][0];
  CHECK(std::string(c["consumer"].GetString()) == "demo-warehouse");
  CHECK(std::string(c["sink"].GetString()) == "http (disabled)");
  CHECK(std::string(c["state"].GetString()) == "behind");
  CHECK(c["lag"].GetInt64() == changes);
  CHECK(c["dead_letters"].GetInt64() == 1);

  auto letters = get(hub.url("/v1/admin/sync/dead-letters?consumer=demo-warehouse"), ops);
  REQUIRE(letters.status == 200);
  auto l = parse_json(letters.body);
  REQUIRE(l["dead_letters"].Size() == 1);
  CHECK(std::string(l["dead_letters"][0]["error"].GetString()) == "receiver answered HTTP 401");
  CHECK(get(hub.url("/v1/admin/sync/dead-letters?limit=0"), ops).status == 400);

  // Replay from seq 3: the cursor is 2, the lag what follows it, and the audit names who asked.
  sql_exec("update sync_consumer set cursor = 4 where name = 'demo-warehouse'");
  auto replay = http("POST", hub.url("/v1/admin/sync/consumers/demo-warehouse:replay"), R"({"from":3})",
                     {"Authorization: Bearer " + ops, "Content-Type: application/json"});
  INFO(replay.body);
  REQUIRE(replay.status == 200);
  auto r = parse_json(replay.body);
  CHECK(r["cursor"].GetInt64() == 2);
  CHECK(sql_value("select cursor from sync_consumer where name = 'demo-warehouse'") == "2");
  CHECK(count_rows("audit_log where actor = 'demo-ops' and action = 'sync.replay' and target = 'demo-warehouse'"
                   " and detail->>'from' = '3'") == "1");
  // hubctl reads the same state.
  auto status = hubctl({"--json", "sync", "status"}, {{"HUB_PUBLICATION_SECRET", "sync-admin-secret-0123456789"}});
  REQUIRE(status.exit_code == 0);
  auto st = parse_json(status.out.substr(0, status.out.find('\n')));
  CHECK(st["cursor"].GetInt64() == 2);
  CHECK(st["lag"].GetInt64() == r["lag"].GetInt64());

  // No such consumer: nothing made up.
  auto unknown = http("POST", hub.url("/v1/admin/sync/consumers/nobody:replay"), R"({"from":1})",
                      {"Authorization: Bearer " + ops, "Content-Type: application/json"});
  CHECK(unknown.status == 404);
  CHECK(std::string(parse_json(unknown.body)["code"].GetString()) == "sync.consumer_unknown");
  CHECK(count_rows("sync_consumer where name = 'nobody'") == "0");
  auto bad = http("POST", hub.url("/v1/admin/sync/consumers/demo-warehouse:replay"), R"({"from":0})",
                  {"Authorization: Bearer " + ops, "Content-Type: application/json"});
  CHECK(bad.status == 422);
  // Admins only.
  CHECK(get(hub.url("/v1/admin/sync/consumers"), reader).status == 403);
  CHECK(http("POST", hub.url("/v1/admin/sync/consumers/demo-warehouse:replay"), R"({"from":1})",
             {"Authorization: Bearer " + reader, "Content-Type: application/json"}).status == 403);
}
