// The vendor's original of one record of a batch (hub/inbox/batch_records.h, GET
// /v1/batches/{id}/records/{index}), through a real hub on the real PostgreSQL and Redis. Guards:
// the console showing another record than the one a result is about, a personal ID shown in
// clear, another partner's batch readable, an original shown after retention emptied it.

#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

using namespace hub::test;

TEST_CASE("a batch record's vendor original is read back from the inbox with personal IDs masked", "[db][ingest][batches]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string hr = add_partner("demo-hr", {"--scope", "ingest:staff", "--unit", "province:31"});
  std::string other = add_partner("other", {"--scope", "ingest:staff"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(std::string(HUB_SOURCE_DIR) + "/mappings/partners/demo-ops/samples/schools.json")).status == 200);
  auto staff = push_feed(hub, hr, "staff", read_file(std::string(HUB_SOURCE_DIR) + "/mappings/partners/demo-hr/samples/staff.json"));
  REQUIRE(staff.status == 200);
  const std::string batch = sql_value("select max(id) from inbox_batch");

  auto r = get(hub.url("/v1/batches/" + batch + "/records/0"), ops);
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto d = parse_json(r.body);
  CHECK(std::string(d["path"].GetString()) == "$['nhanSu'][0]");
  CHECK(std::string(d["record"]["maNhanSu"].GetString()) == "NS-0001");
  CHECK(std::string(d["record"]["soCCCD"].GetString()) == "031*******34");
  CHECK(r.body.find("031185001234") == std::string::npos);
  // The sending partner reads its own; another partner finds nothing.
  CHECK(get(hub.url("/v1/batches/" + batch + "/records/1"), hr).status == 200);
  auto foreign = get(hub.url("/v1/batches/" + batch + "/records/0"), other);
  CHECK(foreign.status == 404);
  CHECK(std::string(parse_json(foreign.body)["code"].GetString()) == "batch.not_found");
  auto past = get(hub.url("/v1/batches/" + batch + "/records/99"), ops);
  CHECK(past.status == 404);
  CHECK(std::string(parse_json(past.body)["code"].GetString()) == "batch.record_not_found");
  // Retention emptied the payload: the original is gone, and says so.
  sql_exec("update inbox_batch set body = ''::bytea, body_purged_at = now() where id = " + batch);
  auto purged = get(hub.url("/v1/batches/" + batch + "/records/0"), ops);
  CHECK(purged.status == 404);
  CHECK(std::string(parse_json(purged.body)["code"].GetString()) == "batch.payload_purged");
}
