// Every sync route family (/v1/changes, /v1/shared/{entity}/{id}, /v1/shared/{entity}; JSON
// and NDJSON) hands a profiled consumer no personal ID, address or phone in clear, and a pull
// partner without a profile nothing, through a real hub on the real PostgreSQL and Redis. Guards
// that the profile is applied on each of them: a route answering from golden_record or
// record_version without Publication::project would send every stored value.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <pqxx/pqxx>

#include <sstream>

#include "hub/http/sync_handlers.h"
#include "tests/support/openapi_check.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

const std::string kSecret = "sync-routes-secret-0123456789";

HttpResult get_as(HubProcess& hub, const std::string& path, const std::string& token, const std::string& accept = "") {
  std::vector<std::string> h = {"Authorization: Bearer " + token};
  if (!accept.empty()) h.push_back("Accept: " + accept);
  return http("GET", hub.url(path), "", h);
}

std::string code_of(const HttpResult& r) {
  auto d = parse_json(r.body);
  return d.IsObject() && d.HasMember("code") ? d["code"].GetString() : "";
}

// Shared buffers (hit + read) of the statement, from EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON).
long long page_buffers(pqxx::work& tx, const std::string& explained) {
  auto d = parse_json(tx.exec(explained)[0][0].c_str());
  const auto& plan = d[0]["Plan"];
  return plan["Shared Hit Blocks"].GetInt64() + plan["Shared Read Blocks"].GetInt64();
}

// Values stored in clear that the demo warehouse's profile never sends in clear.
std::vector<std::string> clear_values() {
  std::vector<std::string> out;
  std::istringstream rows(sql_value(
      "select string_agg(v, chr(10)) from (select distinct v from golden_record g,"
      " lateral (values (g.data->>'personal_id'), (g.data->>'moet_student_code'), (g.data->>'address'),"
      "   (g.data->>'contact_phone')) as x(v) where g.entity = 'student' and v is not null) s"));
  for (std::string line; std::getline(rows, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("sync routes: no clear personal ID - address or phone reaches the warehouse", "[db][http][publication]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_PUBLICATION_SECRET", kSecret}, {"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string adm = add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"});
  std::string trn = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                                     "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"});
  std::string warehouse = add_partner("demo-warehouse", {"--scope", "pull:*"});
  std::string stranger = add_partner("other-agency", {"--scope", "pull:*"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(push_feed(hub, adm, "admissions", read_file(kPartnersDir + "/demo-admissions/samples/admissions.json")).status == 200);
  REQUIRE(push_feed(hub, trn, "transcripts", read_file(kPartnersDir + "/demo-transcripts/samples/transcripts.json")).status == 200);
  auto secrets = clear_values();
  REQUIRE(secrets.size() >= 6);  // two students' IDs, addresses and phones at least
  std::string student = sql_value("select id::text from golden_record where entity = 'student' and data ? 'address' limit 1");

  const std::vector<std::string> paths = {"/v1/changes/student?after=0&limit=1000", "/v1/shared/student/" + student,
                                         "/v1/shared/student?limit=1000"};
  for (const auto& path : paths) {
    for (const std::string accept : {"", "application/x-ndjson"}) {
      INFO(path << " " << accept);
      auto r = get_as(hub, path, warehouse, accept);
      REQUIRE(r.status == 200);
      CHECK(openapi_mismatch("GET", path, r) == "");  // as docs/openapi.yaml describes it
      CHECK(r.body.find("\"personal_id\"") != std::string::npos);  // sent, as its keyed hash
      for (const auto& s : secrets) CHECK(r.body.find(s) == std::string::npos);
      auto refused = get_as(hub, path, stranger, accept);
      CHECK(refused.status == 403);
      CHECK(openapi_mismatch("GET", path, refused) == "");
      CHECK(code_of(refused) == "publication.no_profile");
      for (const auto& s : secrets) CHECK(refused.body.find(s) == std::string::npos);
    }
  }
}

TEST_CASE("/v1/shared: a first page reads from updated_since, not from the oldest record", "[db][http]") {
  // 20,000 students, one every 1,000 s; the first page asked from the 100 newest must read about
  // what a page of 100 needs. With a keyset bound of -infinity on the first page the index scan
  // started at the oldest record and walked all 20,000 index entries (0.5 s at 5 million).
  reset_database();
  sql_exec("insert into golden_record(id, entity, data, version, updated_at)"
           " select md5('shared-' || i)::uuid, 'student', '{}', 1, now() - make_interval(secs => (20000 - i) * 1000)"
           " from generate_series(1, 20000) i");
  sql_exec("analyze golden_record");
  const std::string since = sql_value("select updated_at from golden_record order by updated_at desc offset 99 limit 1");
  pqxx::connection c(postgres_url());
  pqxx::work tx(c);
  auto rows = tx.exec_params(hub::shared_page_sql(false), "student", since, 101);
  CHECK(rows.size() == 100);
  tx.exec("prepare first_page as " + hub::shared_page_sql(false));
  long long first = page_buffers(tx, "explain (analyze, buffers, format json) execute first_page('student', " +
                                         tx.quote(since) + ", 101)");
  // A later page, from the cursor of the 100th-newest record's predecessor: the same size of read.
  const std::string cursor_id = sql_value("select id::text from golden_record order by updated_at desc offset 100 limit 1");
  const std::string cursor_at = sql_value("select updated_at from golden_record order by updated_at desc offset 100 limit 1");
  tx.exec("prepare later_page as " + hub::shared_page_sql(true));
  long long later = page_buffers(tx, "explain (analyze, buffers, format json) execute later_page('student', '-infinity', " +
                                         tx.quote(cursor_at) + ", " + tx.quote(cursor_id) + ", 101)");
  INFO("first page " << first << " buffers, later page " << later);
  // About 100 index entries and their heap pages: a few tens of buffers. Walking the older
  // records' index entries as well is several hundred.
  CHECK(first < 60);
  CHECK(later < 60);
}
