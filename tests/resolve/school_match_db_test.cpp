// School matching (mappings/matching/school.yaml) end to end through the ingest path, against
// the real PostgreSQL and Redis with a real hub: a school code is issued once, so a new code is
// a new school even when its name, commune and level are the same as another's (which alone
// would score above the match threshold); the same code again is the same school.

#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

std::string school(const std::string& code, const std::string& name, const std::string& commune) {
  return R"({"maTruong": ")" + code + R"(", "tenTruong": ")" + name +
         R"(", "capHoc": "Trung học cơ sở", "loaiHinh": "Công lập", "maTinh": "31", "maXa": ")" + commune + R"("})";
}

std::string list(const std::vector<std::string>& schools) {
  std::string body = R"({"truong": [)";
  for (std::size_t i = 0; i < schools.size(); ++i) body += (i ? "," : "") + schools[i];
  return body + "]}";
}

}  // namespace

TEST_CASE("resolve schools through ingestion: a new code is a new school - the same code the same one", "[db][resolve]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});

  auto first = push_feed(hub, ops, "schools",
                         list({school("HP-THCS-0012", "Trường THCS Lê Chân", "11383"),
                               school("HP-THCS-0007", "Trường THCS Ngô Quyền", "11329")}));
  REQUIRE(first.status == 200);
  CHECK(count_rows("golden_record where entity = 'school'") == "2");
  CHECK(count_rows("match_profile where entity = 'school'") == "2");  // resolved with school.yaml

  // Same name, commune and level as HP-THCS-0012 under another code: another school.
  auto twin = push_feed(hub, ops, "schools", list({school("HP-THCS-0099", "Trường THCS Lê Chân", "11383")}));
  REQUIRE(twin.status == 200);
  CHECK(std::string(parse_json(twin.body)["results"][0]["status"].GetString()) == "accepted");
  CHECK(count_rows("golden_record where entity = 'school'") == "3");
  CHECK(count_rows("review_item where kind = 'match'") == "0");

  // The same code with a new name: the same school, updated.
  auto renamed = push_feed(hub, ops, "schools", list({school("HP-THCS-0012", "Trường THCS Lê Chân (cơ sở 1)", "11383")}));
  REQUIRE(renamed.status == 200);
  CHECK(count_rows("golden_record where entity = 'school'") == "3");
  CHECK(sql_value("select data->>'name' from golden_record g join source_link l on l.record_id = g.id"
                  " where l.entity = 'school' and l.source_id = 'HP-THCS-0012'") == "Trường THCS Lê Chân (cơ sở 1)");
}
