// The dry run (POST /v1/ingest/{feed}:validate) through a real hub on the real PostgreSQL and
// Redis. Guards: a dry run that stores anything (an inbox row, a golden record, a change, an audit
// entry); one whose per-record answer differs from what the push of the same payload then does;
// a record naming a school the hub does not know shown as valid (it must be pending, waiting for
// that school, with ref.unknown at the value's normalized path, as the mapping :test route and
// hubctl mapping run must say too); a
// dry run that needs the admin scope, or lets through what a push would refuse (scope, units,
// size, records); answers that differ from docs/openapi.yaml.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "hub/common/json.h"

#include "tests/support/openapi_check.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

std::string sample(const std::string& partner, const std::string& feed) {
  return read_file(kPartnersDir + "/" + partner + "/samples/" + feed + ".json");
}

HttpResult call(HubProcess& hub, const std::string& path, const std::string& token, const std::string& body,
                const std::string& type = "application/json") {
  return http("POST", hub.url(path), body, {"Authorization: Bearer " + token, "Content-Type: " + type}, 60000);
}

HttpResult dry_run(HubProcess& hub, const std::string& token, const std::string& feed, const std::string& body,
                   const std::string& type = "application/json") {
  return call(hub, "/v1/ingest/" + feed + ":validate", token, body, type);
}

std::string str(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

std::vector<std::string> statuses(const rapidjson::Document& d) {
  std::vector<std::string> out;
  if (d.IsObject() && d.HasMember("results"))
    for (const auto& r : d["results"].GetArray()) out.push_back(str(r, "status"));
  return out;
}

// Rows of every table a push or an audited action writes: a dry run must leave them all alone
// (a refused token is audited as auth.failure, whatever the route: not data).
std::string stored_rows() {
  std::string out;
  for (const char* table : {"inbox_batch", "batch_record", "golden_record", "record_version", "natural_key",
                            "source_link", "change_log", "review_item", "audit_log where action not like 'auth.%'",
                            "match_profile"})
    out += std::string(table) + "=" + count_rows(table) + " ";
  return out;
}

struct Partners {
  std::string ops, admissions;
};

Partners partners() {
  return {add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
          add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application",
                                          "--unit", "province:31"})};
}

}  // namespace

TEST_CASE("a dry run answers every record as the push then does and stores nothing", "[db][ingest][dry_run]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = partners();
  REQUIRE(push_feed(hub, p.ops, "schools", sample("demo-ops", "schools")).status == 200);

  const std::string before = stored_rows();
  // The partner's own token, without the admin scope (the :test route needs it: 403).
  auto r = dry_run(hub, p.admissions, "admissions", sample("demo-admissions", "admissions"));
  REQUIRE(r.status == 200);
  CHECK(openapi_mismatch("POST", "/v1/ingest/admissions:validate", r) == "");
  CHECK(stored_rows() == before);
  CHECK(call(hub, "/v1/admin/mappings/demo-admissions/admissions:test", p.admissions,
             sample("demo-admissions", "admissions")).status == 403);

  auto d = parse_json(r.body);
  REQUIRE(d.IsObject());
  CHECK(d["dry_run"].GetBool());
  CHECK(str(d, "partner") == "demo-admissions");
  CHECK(d["record_count"].GetInt() == 7);
  CHECK(statuses(d) == std::vector<std::string>{"valid", "rejected", "rejected", "review", "rejected", "rejected",
                                                "valid"});
  CHECK(d["counts"]["valid"].GetInt() == 2);
  CHECK(d["counts"]["rejected"].GetInt() == 4);
  CHECK(d["counts"]["review"].GetInt() == 1);
  CHECK(d["results"][0]["entities"]["student"].GetInt() == 1);
  CHECK(d["results"][0]["entities"]["admission_application"].GetInt() == 1);
  CHECK(str(d["results"][1]["errors"][0], "code") == "date.impossible");
  CHECK(str(d["results"][1]["errors"][0], "path") == "$['hoSo'][1]['ngaySinh']");
  CHECK(str(d["results"][1], "path") == "$['hoSo'][1]");
  // Personal IDs are masked as in a push's results.
  CHECK(r.body.find("031314009999") == std::string::npos);

  // The push of the same payload ends each record as the dry run said.
  auto pushed = push_feed(hub, p.admissions, "admissions", sample("demo-admissions", "admissions"));
  REQUIRE(pushed.status == 200);
  auto pd = parse_json(pushed.body);
  CHECK(statuses(pd) == std::vector<std::string>{"accepted", "rejected", "rejected", "review", "rejected", "rejected",
                                                 "accepted"});
  for (rapidjson::SizeType i = 0; i < 7; ++i) {
    INFO("record " << i);
    CHECK(d["results"][i]["errors"].Size() == pd["results"][i]["errors"].Size());
    if (d["results"][i]["errors"].Size() > 0)
      CHECK(str(d["results"][i]["errors"][0], "code") == str(pd["results"][i]["errors"][0], "code"));
  }
  // A dry run after the push still says valid (matching would say unchanged) and stores nothing.
  const std::string after_push = stored_rows();
  auto again = dry_run(hub, p.admissions, "admissions", sample("demo-admissions", "admissions"));
  REQUIRE(again.status == 200);
  CHECK(statuses(parse_json(again.body))[0] == "valid");
  CHECK(stored_rows() == after_push);
}

// Checks the waiting_for entry of a pending record naming school HP-THCS-9999 at the first record's school.
static void check_waiting_for_school(const rapidjson::Value& result) {
  CHECK(str(result, "status") == "pending");
  REQUIRE(result.HasMember("waiting_for"));
  REQUIRE(result["waiting_for"].Size() == 1);
  const auto& w = result["waiting_for"][0];
  CHECK(str(w, "entity") == "school");
  CHECK(str(w, "key") == "school_code");
  CHECK(str(w, "value") == "HP-THCS-9999");
  CHECK(str(w, "field") == "admission_application.wish_1_school");
  CHECK(str(w, "path") == "$['hoSo'][0]['truongDangKy']");
  REQUIRE(result["errors"].Size() == 1);
  CHECK(str(result["errors"][0], "code") == "ref.unknown");
  CHECK(str(result["errors"][0], "path") == "$['hoSo'][0]['truongDangKy']");
}

TEST_CASE("a record naming a school the hub does not know is pending - ref.unknown at the value's path", "[db][ingest][dry_run]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = partners();
  REQUIRE(push_feed(hub, p.ops, "schools", sample("demo-ops", "schools")).status == 200);
  std::string body = sample("demo-admissions", "admissions");
  body.replace(body.find("HP-THCS-0012"), 12, "HP-THCS-9999");  // the first record's school

  auto r = dry_run(hub, p.admissions, "admissions", body);
  REQUIRE(r.status == 200);
  CHECK(openapi_mismatch("POST", "/v1/ingest/admissions:validate", r) == "");
  auto d = parse_json(r.body);
  const auto& first = d["results"][0];
  check_waiting_for_school(first);
  CHECK(d["counts"]["pending"].GetInt() == 1);
  REQUIRE(first["errors"].Size() == 1);
  const auto& e = first["errors"][0];
  CHECK(str(e, "code") == "ref.unknown");
  CHECK(str(e, "entity") == "admission_application");
  CHECK(str(e, "field") == "wish_1_school");
  CHECK(str(e, "value") == "HP-THCS-9999");
  CHECK(str(e, "path") == "$['hoSo'][0]['truongDangKy']");
  CHECK(str(e, "message").find("school 'HP-THCS-9999' (by school_code or moet_school_id)") != std::string::npos);
  CHECK_FALSE(str(e, "message_vi").empty());
  CHECK(str(d["results"][6], "status") == "valid");  // its neighbours go on

  // The push parks it, waiting for the same school: the dry run said what would happen.
  auto pushed = parse_json(push_feed(hub, p.admissions, "admissions", body).body);
  const auto& parked = pushed["results"][0];
  CHECK(str(parked, "status") == "pending");
  REQUIRE(parked.HasMember("waiting_for"));
  REQUIRE(parked["waiting_for"].Size() == first["waiting_for"].Size());
  for (const char* k : {"entity", "key", "value", "field"})
    CHECK(str(parked["waiting_for"][0], k) == str(first["waiting_for"][0], k));

  // The mapping :test route (admin) reports it instead of "mapped" too.
  auto t = call(hub, "/v1/admin/mappings/demo-admissions/admissions:test", p.ops, body);
  REQUIRE(t.status == 200);
  CHECK(openapi_mismatch("POST", "/v1/admin/mappings/demo-admissions/admissions:test", t) == "");
  auto td = parse_json(t.body);
  check_waiting_for_school(td["results"][0]);
  CHECK(str(td["results"][6], "status") == "mapped");

  // And so does hubctl mapping run, with the database (and says "mapped" when told not to look).
  std::string file = "/tmp/hub-dry-run-" + std::to_string(::getpid()) + ".json";
  std::ofstream(file) << body;
  const std::string mapping = kPartnersDir + "/demo-admissions/admissions.yaml";
  auto cli = hubctl({"mapping", "run", "--check-refs", mapping, file});
  CHECK(cli.exit_code == 0);
  auto cd = parse_json(cli.out);
  REQUIRE(cd.IsObject());
  check_waiting_for_school(cd["results"][0]);
  auto unchecked = parse_json(hubctl({"mapping", "run", "--no-check-refs", mapping, file}).out);
  CHECK(str(unchecked["results"][0], "status") == "mapped");
  auto unreachable = hubctl({"mapping", "run", "--check-refs", mapping, file},
                            {{"HUB_POSTGRES_URL", "postgresql://hub:hub@127.0.0.1:1/none"}});
  CHECK(unreachable.exit_code == 1);
  CHECK(unreachable.err.find("cannot check references") != std::string::npos);
  std::remove(file.c_str());
}

TEST_CASE("a dry run refuses what a push refuses - scope - units - size - no records", "[db][ingest][dry_run]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_INGEST_DRY_RUN_MAX_RECORDS", "3"}});
  REQUIRE(hub.start());
  auto p = partners();
  REQUIRE(push_feed(hub, p.ops, "schools", sample("demo-ops", "schools")).status == 200);
  std::string reader = add_partner("demo-admissions-2", {"--scope", "ingest:student"});
  const std::string before = stored_rows();
  const std::string path = "/v1/ingest/admissions:validate";

  // A feed the partner does not have; a feed writing an entity its token may not write.
  auto unknown = dry_run(hub, p.admissions, "transcripts", "{}");
  CHECK(unknown.status == 404);
  CHECK(openapi_mismatch("POST", "/v1/ingest/transcripts:validate", unknown) == "");
  CHECK(str(parse_json(unknown.body), "code") == "ingest.unknown_feed");
  auto no_scope = dry_run(hub, reader, "admissions", sample("demo-admissions-2", "admissions"));
  CHECK(no_scope.status == 403);
  CHECK(openapi_mismatch("POST", path, no_scope) == "");
  CHECK(str(parse_json(no_scope.body), "code") == "auth.scope");
  CHECK(no_scope.body.find("ingest:admission_application") != std::string::npos);
  CHECK(dry_run(hub, "hub_not-a-token", "admissions", "{}").status == 401);

  // Hải Phòng's portal naming a Hà Nội school: auth.unit, as the push says; the others go on.
  std::string body = sample("demo-admissions", "admissions");
  body.replace(body.find("HP-THCS-0012"), 12, "HN-THCS-0001");
  std::string three;  // the first three records only: the limit of this hub's dry runs
  {
    auto d = parse_json(body);
    d["hoSo"].Erase(d["hoSo"].Begin() + 3, d["hoSo"].End());
    three = hub::json::to_string(d);
  }
  auto units = dry_run(hub, p.admissions, "admissions", three);
  REQUIRE(units.status == 200);
  auto ud = parse_json(units.body);
  CHECK(str(ud["results"][0], "status") == "rejected");
  CHECK(str(ud["results"][0]["errors"][0], "code") == "auth.unit");
  CHECK(str(ud["results"][0]["errors"][0], "message").find("HN-THCS-0001") != std::string::npos);
  CHECK(str(ud["results"][0]["errors"][0], "path") == "$['hoSo'][0]");

  // Bounds: records of one dry run, a body that is not JSON, a document without records.
  auto many = dry_run(hub, p.admissions, "admissions", body);
  CHECK(many.status == 413);
  CHECK(openapi_mismatch("POST", path, many) == "");
  CHECK(str(parse_json(many.body), "code") == "ingest.too_many_records");
  auto malformed = dry_run(hub, p.admissions, "admissions", "{\"hoSo\": [{]}");
  CHECK(malformed.status == 400);
  CHECK(openapi_mismatch("POST", path, malformed) == "");
  auto empty = dry_run(hub, p.admissions, "admissions", R"({"namHoc": "2025-2026", "hoSo": []})");
  CHECK(empty.status == 422);
  CHECK(openapi_mismatch("POST", path, empty) == "");
  auto ed = parse_json(empty.body);
  CHECK(str(ed, "code") == "ingest.no_records");
  CHECK(str(ed, "detail").find("$.hoSo[*]") != std::string::npos);  // where the mapping looks
  CHECK(str(ed, "path") == "$");
  auto ndjson = dry_run(hub, p.admissions, "admissions", "\n\n", "application/x-ndjson");
  CHECK(ndjson.status == 422);
  CHECK(str(parse_json(ndjson.body), "code") == "ingest.no_records");

  CHECK(stored_rows() == before);
}

TEST_CASE("the push names the JSONPath where records were expected", "[db][ingest][dry_run]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = partners();
  auto r = push_feed(hub, p.admissions, "admissions", R"({"namHoc": "2025-2026", "ho_so": []})");
  CHECK(r.status == 422);
  CHECK(openapi_mismatch("POST", "/v1/ingest/admissions", r) == "");
  auto d = parse_json(r.body);
  CHECK(str(d, "code") == "ingest.no_records");
  CHECK(str(d, "detail").find("$.hoSo[*]") != std::string::npos);
  CHECK_FALSE(str(d, "message_vi").empty());
}

TEST_CASE("dry runs count against the partner's rate limit like pushes", "[db][ingest][dry_run]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string slow = add_partner("demo-admissions", {"--scope", "ingest:student", "--scope",
                                                     "ingest:admission_application", "--rate", "0.01", "--burst", "2"});
  int limited = 0;
  CHECK(dry_run(hub, slow, "admissions", sample("demo-admissions", "admissions")).status == 200);
  for (int i = 0; i < 6; ++i) {
    auto r = dry_run(hub, slow, "admissions", sample("demo-admissions", "admissions"));
    if (r.status == 429) {
      ++limited;
      CHECK(str(parse_json(r.body), "code") == "rate.limited");
      CHECK_FALSE(r.headers["retry-after"].empty());
      CHECK(openapi_mismatch("POST", "/v1/ingest/admissions:validate", r) == "");
    }
  }
  CHECK(limited >= 1);
}
