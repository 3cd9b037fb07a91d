// Search by name (GET /v1/records/{entity}?q=, hub/store/record_search.h) and the audit of a
// person's reads of personal data (hub/http/record_handlers.h), through a real hub on the real
// PostgreSQL and Redis. Guards: a search that needs the diacritics or the case typed right; a
// commune's staff finding another commune's people; pages that repeat or lose records; an
// unbounded query; a person reading records, review items or search results without an audit
// row, or an audit row holding the query or a personal ID.

#include <catch2/catch.hpp>

#include <set>

#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

const std::string kPassword = "correct horse battery staple";
const std::string kPartners = std::string(HUB_SOURCE_DIR) + "/mappings/partners";

CommandResult add_user(const std::string& login, const std::string& role, const std::string& extra) {
  std::string cmd = "printf '%s\\n' \"$HUB_TEST_PASSWORD\" | \"$HUB_TEST_HUBCTL\" user add " + login + " --role " + role +
                    " --name 'Người thử' --password-stdin " + extra;
  return run_process({"/bin/sh", "-c", cmd},
                     {{"HUB_TEST_PASSWORD", kPassword}, {"HUB_TEST_HUBCTL", binary("hubctl")},
                      {"HUB_POSTGRES_URL", postgres_url()}, {"HUB_REDIS_URL", redis_url()},
                      {"HUB_CONFIG", std::string(HUB_SOURCE_DIR) + "/config/hub.yaml"}});
}

std::string session_cookie(const HubProcess& hub, const std::string& login) {
  auto r = http("POST", hub.url("/v1/console/login"), R"({"login":")" + login + R"(","password":")" + kPassword + "\"}",
                {"Content-Type: application/json"});
  REQUIRE(r.status == 200);
  const std::string& set = r.headers["set-cookie"];
  return "Cookie: " + set.substr(0, set.find(';'));
}

std::vector<std::string> names(const HttpResult& r) {
  std::vector<std::string> out;
  auto d = parse_json(r.body);
  if (!d.IsObject() || !d.HasMember("records")) return out;
  for (const auto& h : d["records"].GetArray()) out.push_back(h["name"].GetString());
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

TEST_CASE("names are found without diacritics or case within the reader's units and a page at a time", "[db][http][search]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_PUBLICATION_SECRET", "search-test-secret-0123456789"},
                                                    {"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string hr = add_partner("demo-hr", {"--scope", "ingest:staff", "--unit", "province:31"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartners + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(push_feed(hub, hr, "staff", read_file(kPartners + "/demo-hr/samples/staff.json")).status == 200);
  REQUIRE(add_user("le.chan", "commune_staff", "--units commune:11383").exit_code == 0);
  const std::string le_chan = session_cookie(hub, "le.chan");

  // Any spelling of the name: no diacritics, another case.
  for (const char* q : {"nguyen%20thi%20thu%20ha", "NGUYEN%20THI%20THU%20HA", "Nguy%E1%BB%85n%20Th%E1%BB%8B", "thu-ha"}) {
    auto r = get(hub.url(std::string("/v1/records/staff?q=") + q), ops);
    INFO(q << " " << r.body);
    REQUIRE(r.status == 200);
    CHECK(has(names(r), "Nguyễn Thị Thu Hà"));
  }
  // A commune's staff: only people of schools of its commune.
  auto thi = http("GET", hub.url("/v1/records/staff?q=thi"), "", {le_chan});
  REQUIRE(thi.status == 200);
  CHECK(names(thi) == std::vector<std::string>{"Nguyễn Thị Thu Hà"});
  auto mine = http("GET", hub.url("/v1/records/staff?q=tran"), "", {le_chan});
  REQUIRE(mine.status == 200);
  CHECK(names(mine) == std::vector<std::string>{"Trần Văn Minh"});
  auto schools = http("GET", hub.url("/v1/records/school?q=truong%20thcs"), "", {le_chan});
  REQUIRE(schools.status == 200);
  CHECK(names(schools) == std::vector<std::string>{"Trường THCS Lê Chân"});
  auto everyone = get(hub.url("/v1/records/staff?q=tran"), ops);
  CHECK(has(names(everyone), "Trần Thị Lan"));
  CHECK(has(names(everyone), "Tran Thi Lan"));
  CHECK(has(names(everyone), "Trần Văn Minh"));
  CHECK(has(names(get(hub.url("/v1/records/staff?q=thi"), ops)), "Phạm Thị Hương"));

  // Pages: one at a time, no record twice, none lost, for a limited reader too.
  for (const std::string& who : {std::string("admin"), std::string("commune")}) {
    std::set<std::string> seen;
    std::size_t total = 0;
    int offset = 0;
    for (;; offset += 1) {
      std::string url = hub.url("/v1/records/staff?q=tran&limit=1&offset=" + std::to_string(offset));
      auto page = who == "admin" ? get(url, ops) : http("GET", url, "", {le_chan});
      REQUIRE(page.status == 200);
      auto d = parse_json(page.body);
      for (const auto& h : d["records"].GetArray()) seen.insert(h["id"].GetString());
      total += d["records"].Size();
      if (!d["has_more"].GetBool()) break;
      REQUIRE(offset < 20);
    }
    INFO(who);
    CHECK(total == seen.size());
    CHECK(total == names(who == "admin" ? everyone : mine).size());
  }

  // Bounded and checked.
  auto short_q = get(hub.url("/v1/records/staff?q=a"), ops);
  CHECK(short_q.status == 400);
  CHECK(parse_json(short_q.body)["code"].GetString() == std::string("search.query"));
  CHECK(get(hub.url("/v1/records/staff?q=" + std::string(101, 'a')), ops).status == 400);
  CHECK(get(hub.url("/v1/records/staff?q=thi&limit=51"), ops).status == 400);
  auto enrollment = get(hub.url("/v1/records/enrollment?q=thi"), ops);
  CHECK(enrollment.status == 400);
  CHECK(parse_json(enrollment.body)["code"].GetString() == std::string("search.entity"));
}

TEST_CASE("a person's reads of records review items and search results are audited", "[db][http][search][audit]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_PUBLICATION_SECRET", "search-test-secret-0123456789"},
                                                    {"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string hr = add_partner("demo-hr", {"--scope", "ingest:staff", "--unit", "province:31"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartners + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(push_feed(hub, hr, "staff", read_file(kPartners + "/demo-hr/samples/staff.json")).status == 200);
  REQUIRE(add_user("so.staff", "dept_staff", "").exit_code == 0);
  const std::string staff = session_cookie(hub, "so.staff");
  const std::string id = sql_value("select id::text from golden_record where entity = 'staff' and data->>'full_name' = 'Nguyễn Thị Thu Hà'");
  REQUIRE_FALSE(id.empty());

  REQUIRE(http("GET", hub.url("/v1/records/staff/" + id), "", {staff}).status == 200);
  CHECK(count_rows("audit_log where actor = 'user:so.staff' and action = 'record.read' and target = 'staff/" + id +
                   "' and detail->'records' ? '" + id + "'") == "1");
  REQUIRE(http("GET", hub.url("/v1/records/staff?q=nguyen%20thi%20thu%20ha"), "", {staff}).status == 200);
  CHECK(count_rows("audit_log where actor = 'user:so.staff' and action = 'record.search' and target = 'staff'"
                   " and detail->'records' ? '" + id + "'") == "1");
  // The query (a name) and the personal ID are not in the audit log.
  CHECK(count_rows("audit_log where detail::text ilike '%nguyen%' or detail::text like '%031185001234%'") == "0");

  // A review item shows two people: the row names both records.
  std::string item = sql_value("select id from review_item where status = 'open' and record_id is not null"
                               " and candidate_id is not null order by id limit 1");
  REQUIRE_FALSE(item.empty());
  REQUIRE(http("GET", hub.url("/v1/admin/review/" + item), "", {staff}).status == 200);
  CHECK(count_rows("audit_log a join review_item r on r.id = " + item + " where a.actor = 'user:so.staff'"
                   " and a.action = 'review.read' and a.target = 'review/" + item + "'"
                   " and a.detail->'records' ? r.record_id::text and a.detail->'records' ? r.candidate_id::text") == "1");

  // A partner's reads are the sync feed's business, not a person's: no row per read.
  REQUIRE(get(hub.url("/v1/records/staff/" + id), ops).status == 200);
  CHECK(count_rows("audit_log where actor = 'demo-ops' and action like 'record.%'") == "0");
}
