// A split commune's review item decided with the new commune's code, against the real
// PostgreSQL and Redis with a real hub and hubctl: the demo admissions sample holds a record
// with old commune 11341 (Phường Gia Viên, split on 1 July 2025 into 11311, 11329 and 11359).

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

std::string code_of(const HttpResult& r) {
  auto d = parse_json(r.body);
  return d.IsObject() && d.HasMember("code") ? d["code"].GetString() : "";
}

}  // namespace

TEST_CASE("a split commune review is decided with the new commune code and the record is written", "[db][ingest]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  const auto [ops, adm, schools] = demo_ops_and_admissions(hub);
  REQUIRE(schools.status == 200);
  auto pushed = call(hub, "POST", "/v1/ingest/admissions", adm, demo_sample("demo-admissions", "admissions"));
  REQUIRE(pushed.status == 200);
  auto d = parse_json(pushed.body);
  REQUIRE(std::string(d["results"][3]["status"].GetString()) == "review");
  const std::string batch = std::to_string(d["batch_id"].GetInt64());
  const std::string item = sql_value("select id from review_item where kind = 'mapping' and status = 'open'");
  REQUIRE(!item.empty());
  CHECK(count_rows("golden_record where entity = 'student'") == "2");

  // A code that is not one of the new communes of 11341: refused, naming the allowed ones.
  auto wrong = call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "commune", "commune": "11320"})");
  CHECK(wrong.status == 422);
  CHECK(code_of(wrong) == "review.commune_not_allowed");
  auto wd = parse_json(wrong.body);
  std::string detail = wd["detail"].GetString();
  CHECK(detail.find("11311") != std::string::npos);
  CHECK(detail.find("11329") != std::string::npos);
  CHECK(detail.find("11359") != std::string::npos);
  CHECK(std::string(wd["message_vi"].GetString()).find("phường/xã") != std::string::npos);
  CHECK(std::string(wd["path"].GetString()) == "commune");
  CHECK(call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "commune"})").status == 422);
  CHECK(code_of(call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "commune", "commune": "1; x"})")) ==
        "review.bad_decision");
  CHECK(code_of(call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "match"})")) ==
        "review.not_a_match_item");
  CHECK(count_rows("golden_record where entity = 'student'") == "2");  // nothing written by refusals

  // hubctl decides it: the record goes through the write path with commune 11329.
  auto decided = hubctl({"review", "decide", item, "commune=11329"});
  REQUIRE(decided.exit_code == 0);
  auto out = parse_json(decided.out);
  CHECK(std::string(out["status"].GetString()) == "accepted");
  std::string student = out["entities"]["student"].GetString();
  CHECK(sql_value("select data->>'residence_commune' from golden_record where id = '" + student + "'") == "11329");
  CHECK(sql_value("select field_lineage(lineage, 'residence_commune')->>'decided_by' from golden_record where id = '" + student + "'")
            .rfind("hubctl:", 0) == 0);
  CHECK(sql_value("select field_lineage(lineage, 'residence_commune')->>'partner' from golden_record where id = '" + student + "'") ==
        "demo-admissions");
  CHECK(sql_value("select status from batch_record where batch_id = " + batch + " and index = 3") == "accepted");
  CHECK(count_rows("batch_record where batch_id = " + batch) == "7");  // replaced, not added
  CHECK(sql_value("select counts->>'review' from inbox_batch where id = " + batch) == "");
  CHECK(sql_value("select counts->>'accepted' from inbox_batch where id = " + batch) == "3");
  CHECK(sql_value("select status || ' ' || decision || ' ' || (decided_by like 'hubctl:%')::text from review_item"
                  " where id = " + item) == "resolved commune true");
  CHECK(count_rows("audit_log where action = 'review.decide' and target = 'review_item/" + item +
                   "' and actor like 'hubctl:%' and detail->>'commune' = '11329'") == "1");
  CHECK(count_rows("change_log where record_id = '" + student + "' and op = 'create'") == "1");
  CHECK(count_rows("golden_record where entity = 'admission_application' and data->>'student' = '" + student + "'") ==
        "1");
  // Once decided, it stays decided.
  auto again = call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "commune", "commune": "11311"})");
  CHECK(again.status == 409);
  CHECK(code_of(again) == "review.decided");

  // The same file sent again opens a new review item; once retention emptied its payload, the
  // record cannot be written again and the answer says so.
  auto second = call(hub, "POST", "/v1/ingest/admissions", adm, demo_sample("demo-admissions", "admissions"));
  REQUIRE(second.status == 200);
  const std::string batch2 = std::to_string(parse_json(second.body)["batch_id"].GetInt64());
  const std::string item2 = sql_value("select id from review_item where kind = 'mapping' and status = 'open'");
  REQUIRE(!item2.empty());
  sql_exec("update inbox_batch set body = ''::bytea, body_purged_at = now() where id = " + batch2);
  auto purged = call(hub, "POST", "/v1/admin/review/" + item2, ops, R"({"decision": "commune", "commune": "11329"})");
  CHECK(purged.status == 409);
  CHECK(code_of(purged) == "review.payload_purged");
  CHECK(sql_value("select status from review_item where id = " + item2) == "open");
  CHECK(dangling_rows() == "0");
}
