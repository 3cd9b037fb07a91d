// The pull API against the real PostgreSQL and Redis with a real hub process: the change log in
// order with cursors (JSON and NDJSON), tombstones, the publication profile applied, current data,
// parameter and scope refusals, deep paging, and the commit-order lock on change_log.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <pqxx/pqxx>

#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "hub/common/crypto.h"
#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;

namespace {

const std::string kSecret = "pull-test-secret-0123456789";
HttpResult get_as(HubProcess& hub, const std::string& path, const std::string& token, const std::string& accept = "") {
  std::vector<std::string> h = {"Authorization: Bearer " + token};
  if (!accept.empty()) h.push_back("Accept: " + accept);
  return http("GET", hub.url(path), "", h);
}

std::string code_of(const HttpResult& r) {
  auto d = parse_json(r.body);
  return d.IsObject() && d.HasMember("code") ? d["code"].GetString() : "";
}
std::string path_of(const HttpResult& r) {
  auto d = parse_json(r.body);
  return d.IsObject() && d.HasMember("path") ? d["path"].GetString() : "";
}

struct Loaded {
  std::string ops, admissions, transcripts, warehouse;
};

// The demo data: 4 schools, the admissions and transcripts samples; the demo warehouse token.
Loaded load_demo(HubProcess& hub) {
  Loaded l{add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
           add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"}),
           add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment", "--scope",
                                            "ingest:subject_result", "--scope", "ingest:term_summary"}),
           add_partner("demo-warehouse", {"--scope", "pull:*"})};
  REQUIRE(push_feed(hub, l.ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(push_feed(hub, l.admissions, "admissions", read_file(kPartnersDir + "/demo-admissions/samples/admissions.json")).status == 200);
  REQUIRE(push_feed(hub, l.transcripts, "transcripts", read_file(kPartnersDir + "/demo-transcripts/samples/transcripts.json")).status == 200);
  return l;
}

std::map<std::string, std::string> hub_env() { return {{"HUB_PUBLICATION_SECRET", kSecret}, {"HUB_SYNC_PUSH", "false"}}; }

}  // namespace

TEST_CASE("changes feed: every change in order with a cursor - profile applied - JSON and NDJSON", "[db][sync]") {
  reset_database();
  HubProcess hub(hub_env());
  REQUIRE(hub.start());
  auto l = load_demo(hub);

  auto all = get_as(hub, "/v1/changes/student?after=0&limit=1000", l.warehouse);
  REQUIRE(all.status == 200);
  auto d = parse_json(all.body);
  std::string feed_seqs;
  std::string db_seqs = sql_value("select string_agg(seq::text, ',' order by seq) from change_log where entity = 'student'") + ",";
  const auto& changes = d["changes"];
  REQUIRE(changes.Size() >= 2);
  for (const auto& c : changes.GetArray()) feed_seqs += std::to_string(c["seq"].GetInt64()) + ",";
  CHECK(feed_seqs == db_seqs);
  CHECK_FALSE(d["has_more"].GetBool());
  CHECK(d["next_after"].GetInt64() == changes[changes.Size() - 1]["seq"].GetInt64());

  // The profile: personal IDs replaced by the keyed hash, phones never sent.
  bool saw_id = false;
  for (const auto& c : changes.GetArray()) {
    const auto& data = c["data"];
    CHECK_FALSE(data.HasMember("contact_phone"));
    CHECK(data.HasMember("full_name"));
    if (data.HasMember("personal_id")) {
      std::string id = c["id"].GetString();
      std::string clear = sql_value("select data->>'personal_id' from record_version where record_id = '" + id +
                                    "' and version = " + std::to_string(c["version"].GetInt()));
      REQUIRE(clear.size() == 12);
      CHECK(std::string(data["personal_id"].GetString()) ==
            hub::crypto::to_hex(hub::crypto::hmac_sha256(kSecret, clear)));
      CHECK(all.body.find(clear) == std::string::npos);
      saw_id = true;
    }
  }
  CHECK(saw_id);
  CHECK(sql_value("select count(*) from golden_record where entity = 'student' and data ? 'contact_phone'") != "0");

  // Page by page with limit=1: the same changes, each once, and the cursor in the headers.
  std::string paged;
  long long after = 0;
  for (int page = 0; page < 100; ++page) {
    auto r = get_as(hub, "/v1/changes/student?after=" + std::to_string(after) + "&limit=1", l.warehouse);
    REQUIRE(r.status == 200);
    auto p = parse_json(r.body);
    for (const auto& c : p["changes"].GetArray()) paged += std::to_string(c["seq"].GetInt64()) + ",";
    CHECK(r.headers["next-after"] == std::to_string(p["next_after"].GetInt64()));
    after = p["next_after"].GetInt64();
    if (!p["has_more"].GetBool()) break;
    CHECK(r.headers["link"].find("after=" + std::to_string(after)) != std::string::npos);
  }
  CHECK(paged == db_seqs);

  // NDJSON: one change per line, same order.
  auto nd = get_as(hub, "/v1/changes/student?after=0", l.warehouse, "application/x-ndjson");
  REQUIRE(nd.status == 200);
  CHECK(nd.headers["content-type"].find("application/x-ndjson") == 0);
  std::istringstream lines(nd.body);
  std::string line, nd_seqs;
  while (std::getline(lines, line)) nd_seqs += std::to_string(parse_json(line)["seq"].GetInt64()) + ",";
  CHECK(nd_seqs == db_seqs);
  CHECK(nd.headers["next-after"] == std::to_string(d["next_after"].GetInt64()));
}

TEST_CASE("tombstones for merges and deletes - current data - merged ids redirect", "[db][sync]") {
  reset_database();
  HubProcess hub(hub_env());
  REQUIRE(hub.start());
  auto l = load_demo(hub);
  std::string a = sql_value("select id from golden_record where entity = 'student' order by created_at, id limit 1");
  std::string b = sql_value("select id from golden_record where entity = 'student' and id <> '" + a + "' limit 1");
  std::string school = sql_value("select id from golden_record where entity = 'school' limit 1");
  // What entity resolution and deletes write: a merge of b into a, and a school deleted.
  sql_exec("update golden_record set merged_into = '" + a + "' where id = '" + b + "'");
  sql_exec("insert into change_log(entity, record_id, op, version) values ('student', '" + b + "', 'merge', 1)");
  sql_exec("insert into change_log(entity, record_id, op, version) values ('school', '" + school + "', 'delete', 1)");

  auto d = parse_json(get_as(hub, "/v1/changes/student?after=0&limit=1000", l.warehouse).body);
  const auto& last = d["changes"][d["changes"].Size() - 1];
  CHECK(std::string(last["op"].GetString()) == "merge");
  CHECK(last["tombstone"].GetBool());
  CHECK(std::string(last["merged_into"].GetString()) == a);
  CHECK_FALSE(last.HasMember("data"));
  auto s = parse_json(get_as(hub, "/v1/changes/school?after=0&limit=1000", l.warehouse).body);
  const auto& del = s["changes"][s["changes"].Size() - 1];
  CHECK(std::string(del["op"].GetString()) == "delete");
  CHECK(del["tombstone"].GetBool());

  // Current data, with the profile.
  auto cur = get_as(hub, "/v1/shared/student/" + a, l.warehouse);
  REQUIRE(cur.status == 200);
  auto cd = parse_json(cur.body);
  CHECK(cd["data"].HasMember("full_name"));
  CHECK_FALSE(cd["data"].HasMember("contact_phone"));
  CHECK(cd["version"].GetInt() >= 1);
  auto moved = get_as(hub, "/v1/shared/student/" + b, l.warehouse);
  CHECK(moved.status == 308);
  CHECK(moved.headers["location"] == "/v1/shared/student/" + a);
  CHECK(get_as(hub, "/v1/shared/student/00000000-0000-4000-8000-000000000000", l.warehouse).status == 404);

  // updated_since with keyset pages of one: every live record once, the merged one not at all.
  std::string seen, cursor;
  for (int i = 0; i < 20; ++i) {
    auto r = get_as(hub, "/v1/shared/student?updated_since=2000-01-01&limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor),
                    l.warehouse);
    REQUIRE(r.status == 200);
    auto p = parse_json(r.body);
    for (const auto& rec : p["records"].GetArray()) seen += std::string(rec["id"].GetString()) + ",";
    if (!p["has_more"].GetBool()) break;
    cursor = p["next_cursor"].GetString();
  }
  CHECK(seen.find(b) == std::string::npos);
  CHECK(seen.find(a) != std::string::npos);
  CHECK(std::count(seen.begin(), seen.end(), ',') ==
        std::stoi(sql_value("select count(*) from golden_record where entity = 'student' and merged_into is null")));
  auto future = parse_json(get_as(hub, "/v1/shared/student?updated_since=2999-01-01T00:00:00Z", l.warehouse).body);
  CHECK(future["records"].Size() == 0);
}

TEST_CASE("sync refusals: bad parameters name the parameter - scopes and profiles are enforced", "[db][sync]") {
  reset_database();
  HubProcess hub(hub_env());
  REQUIRE(hub.start());
  auto l = load_demo(hub);
  for (const auto& [query, param] : std::vector<std::pair<std::string, std::string>>{
           {"after=abc", "after"}, {"after=-1", "after"}, {"limit=-1", "limit"}, {"limit=0", "limit"},
           {"limit=100000", "limit"}, {"limit=5x", "limit"}}) {
    auto r = get_as(hub, "/v1/changes/student?" + query, l.warehouse);
    INFO(query);
    CHECK(r.status == 400);
    CHECK(r.headers["content-type"].find("application/problem+json") == 0);
    CHECK(code_of(r) == "request.parameter");
    CHECK(path_of(r) == param);
  }
  auto unknown = get_as(hub, "/v1/changes/pupil", l.warehouse);
  CHECK(unknown.status == 400);
  CHECK(code_of(unknown) == "sync.unknown_entity");
  CHECK(path_of(unknown) == "entity");
  CHECK(path_of(get_as(hub, "/v1/shared/student?updated_since=yesterday", l.warehouse)) == "updated_since");
  CHECK(get_as(hub, "/v1/shared/student?updated_since=2025-02-30", l.warehouse).status == 400);
  CHECK(path_of(get_as(hub, "/v1/shared/student?cursor=zzz", l.warehouse)) == "cursor");

  // No pull scope; a pull scope but no profile; units.
  auto no_scope = get_as(hub, "/v1/changes/student", l.admissions);
  CHECK(no_scope.status == 403);
  CHECK(code_of(no_scope) == "auth.scope");
  std::string stranger = add_partner("other-agency", {"--scope", "pull:student"});
  auto no_profile = get_as(hub, "/v1/changes/student", stranger);
  CHECK(no_profile.status == 403);
  CHECK(code_of(no_profile) == "publication.no_profile");
  CHECK(code_of(get_as(hub, "/v1/shared/student", stranger)) == "publication.no_profile");
  CHECK(get(hub.url("/v1/changes/student")).status == 401);
}

TEST_CASE("a hub without its publication secret publishes nothing", "[db][sync]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string w = add_partner("demo-warehouse", {"--scope", "pull:*"});
  auto r = get_as(hub, "/v1/changes/student", w);
  CHECK(r.status == 503);
  CHECK(code_of(r) == "publication.unavailable");
  CHECK(hub.log().find("publication profiles not loaded") != std::string::npos);
}

TEST_CASE("deep paging stays fast: a page at seq 290000 costs what the first does", "[db][sync]") {
  reset_database();
  HubProcess hub(hub_env());
  REQUIRE(hub.start());
  std::string w = add_partner("demo-warehouse", {"--scope", "pull:*"});
  sql_exec("insert into golden_record(id, entity, data) values ('11111111-1111-4111-8111-111111111111', 'school', '{}')");
  sql_exec("insert into change_log(entity, record_id, op, version)"
           " select case when i % 2 = 0 then 'school' else 'class' end, '11111111-1111-4111-8111-111111111111', 'update', 1"
           " from generate_series(1, 300000) i");
  auto time_page = [&](long long after) {
    auto start = std::chrono::steady_clock::now();
    auto r = get_as(hub, "/v1/changes/school?after=" + std::to_string(after) + "&limit=1000", w);
    REQUIRE(r.status == 200);
    CHECK(parse_json(r.body)["changes"].Size() == 1000);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  time_page(0);  // warm up
  double first = 1e9, deep = 1e9;
  for (int i = 0; i < 3; ++i) {
    first = std::min(first, time_page(0));
    deep = std::min(deep, time_page(290000 - 2000));
  }
  INFO("first page " << first << " ms, deep page " << deep << " ms");
  CHECK(deep < first * 3 + 50);
}

TEST_CASE("change_log seq order is commit order: a second writer waits for the first to commit", "[db][sync]") {
  reset_database();
  sql_exec("insert into golden_record(id, entity, data) values ('11111111-1111-4111-8111-111111111111', 'school', '{}')");
  pqxx::connection c1(postgres_url());
  pqxx::work t1(c1);
  long long s1 = t1.exec("insert into change_log(entity, record_id, op, version) values"
                         " ('school', '11111111-1111-4111-8111-111111111111', 'update', 1) returning seq")[0][0]
                     .as<long long>();
  auto second = std::async(std::launch::async, [] {
    pqxx::connection c2(postgres_url());
    pqxx::work t2(c2);
    long long s = t2.exec("insert into change_log(entity, record_id, op, version) values"
                          " ('school', '11111111-1111-4111-8111-111111111111', 'update', 2) returning seq")[0][0]
                      .as<long long>();
    t2.commit();
    return s;
  });
  // Without the lock the second insert would draw seq s1+1 and commit first: a reader at that
  // moment would move its cursor past s1, which commits later, and skip it for ever.
  CHECK(second.wait_for(500ms) == std::future_status::timeout);
  t1.commit();
  REQUIRE(second.wait_for(10s) == std::future_status::ready);
  CHECK(second.get() > s1);
}

// Guards consumers after a point-in-time restore of the hub's database: a cursor past the
// restored change log must get 409 sync.cursor_ahead (replay), never an empty page that makes the
// consumer skip the changes made since the restore.
TEST_CASE("a cursor past the restored change log gets 409 sync.cursor_ahead and never skips changes", "[db][sync][restore]") {
  reset_database();
  HubProcess hub(hub_env());
  REQUIRE(hub.start());
  auto l = load_demo(hub);
  auto all = get_as(hub, "/v1/changes/student?after=0&limit=1000", l.warehouse);
  REQUIRE(all.status == 200);
  long long cursor = parse_json(all.body)["next_after"].GetInt64();
  REQUIRE(cursor > 2);

  // The database comes back from a backup taken before the last changes the consumer read:
  // those changes are gone from the log.
  long long restored = std::stoll(sql_value("select max(seq) from change_log where seq < " + std::to_string(cursor - 1)));
  sql_exec("delete from change_log where seq > " + std::to_string(restored));
  auto ahead = get_as(hub, "/v1/changes/student?after=" + std::to_string(cursor), l.warehouse);
  CHECK(ahead.status == 409);
  CHECK(code_of(ahead) == "sync.cursor_ahead");
  CHECK(path_of(ahead) == "after");
  CHECK(ahead.body.find(std::to_string(restored)) != std::string::npos);  // where the log ends now
  CHECK(parse_json(ahead.body)["message_vi"].GetStringLength() > 0);

  // The operator marks the restore; changes made afterwards are numbered past every old cursor,
  // and the old cursor keeps being refused rather than silently skipping them.
  auto marked = hubctl({"sync", "restored"});
  REQUIRE(marked.exit_code == 0);
  CHECK(count_rows("audit_log where action = 'sync.restored'") == "1");
  REQUIRE(push_feed(hub, l.admissions, "admissions", valid_admissions_payload("R-", 3, 500)).status == 200);
  CHECK(get_as(hub, "/v1/changes/student?after=" + std::to_string(cursor), l.warehouse).status == 409);
  auto replay = get_as(hub, "/v1/changes/student?after=" + std::to_string(restored) + "&limit=1000", l.warehouse);
  REQUIRE(replay.status == 200);
  CHECK(parse_json(replay.body)["changes"].Size() == 3);  // the three new students, none skipped
  CHECK(get_as(hub, "/v1/changes/student?after=0&limit=1000", l.warehouse).status == 200);
}
