// hubctl units recode against the real PostgreSQL and Redis with a real hub: stored addresses and
// school locations that still hold pre-reform commune codes are recoded through the 2025
// crosswalk as new versions (plan, then apply once), and a split commune goes to a review item
// decided with the new commune's code.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

std::string field(const std::string& id, const std::string& f) {
  return sql_value("select data->>'" + f + "' from golden_record where id = '" + id + "'");
}

// Stored before the crosswalk was applied at ingest: the code as the vendor sent it.
void store_old_code(const std::string& id, const std::string& f, const std::string& code) {
  sql_exec("update golden_record set data = jsonb_set(data, '{" + f + "}', '\"" + code + "\"') where id = '" + id + "'");
}

}  // namespace

TEST_CASE("units recode: old commune codes become new versions and a split is decided by commune code", "[db][ingest]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  const auto [ops, adm, schools] = demo_ops_and_admissions(hub);
  REQUIRE(schools.status == 200);
  auto pushed = parse_json(call(hub, "POST", "/v1/ingest/admissions", adm, demo_sample("demo-admissions", "admissions")).body);
  const std::string an = pushed["results"][0]["entities"]["student"].GetString();
  const std::string other = pushed["results"][6]["entities"]["student"].GetString();
  const std::string school = sql_value("select record_id from natural_key where entity = 'school'"
                                       " and key_value = 'HP-THCS-0007'");
  store_old_code(an, "residence_commune", "11320");     // Hoàng Văn Thụ: went whole into 11311
  store_old_code(school, "commune", "11302");           // Sở Dầu: went whole into 11311
  store_old_code(other, "residence_commune", "11341");  // Gia Viên: split into 11311, 11329, 11359
  const std::string changes = count_rows("change_log");
  const std::string an_version = sql_value("select version from golden_record where id = '" + an + "'");

  // The plan lists every value that will change and changes nothing.
  auto planned = hubctl({"--json", "units", "recode", "--plan"});
  REQUIRE(planned.exit_code == 0);
  auto plan = parse_json(planned.out);
  const std::string plan_id = std::to_string(plan["plan"].GetInt64());
  CHECK(plan["recodes"].GetInt64() == 2);
  CHECK(plan["splits"].GetInt64() == 1);
  REQUIRE(plan["items"].Size() == 3);
  CHECK(count_rows("units_recode_item where plan_id = " + plan_id) == "3");
  CHECK(count_rows("change_log") == changes);
  CHECK(field(an, "residence_commune") == "11320");

  // Apply: new versions with change events and lineage; the split goes to review.
  auto applied = hubctl({"--json", "units", "recode", "--apply", plan_id});
  REQUIRE(applied.exit_code == 0);
  auto ad = parse_json(applied.out);
  CHECK(ad["recoded"].GetInt64() == 2);
  CHECK(ad["reviews"].GetInt64() == 1);
  CHECK(field(an, "residence_commune") == "11311");
  CHECK(field(school, "commune") == "11311");
  CHECK(field(other, "residence_commune") == "11341");  // a person decides
  CHECK(sql_value("select version from golden_record where id = '" + an + "'") == std::to_string(std::stoi(an_version) + 1));
  CHECK(count_rows("record_version where record_id = '" + an + "' and version = " + std::to_string(std::stoi(an_version) + 1) +
                   " and data->>'residence_commune' = '11311'") == "1");
  CHECK(count_rows("change_log where op = 'update' and record_id in ('" + an + "', '" + school + "')") == "2");
  CHECK(sql_value("select field_lineage(lineage, 'residence_commune')->>'recoded_from' || ' ' ||"
                  " (field_lineage(lineage, 'residence_commune')->>'units_recode_plan') || ' ' ||"
                  " (field_lineage(lineage, 'residence_commune')->>'crosswalk') || ' ' || (field_lineage(lineage, 'residence_commune')->>'partner')"
                  " from golden_record where id = '" + an + "'") == "11320 " + plan_id + " admin_crosswalk demo-admissions");
  CHECK(count_rows("audit_log where action = 'units.recode_apply'") == "1");
  const std::string item = sql_value("select id from review_item where kind = 'unit_recode' and status = 'open'");
  REQUIRE(!item.empty());
  CHECK(sql_value("select record_id from review_item where id = " + item) == other);

  // Applying again changes nothing; a new plan finds the split only, and keeps its review item.
  auto twice = hubctl({"--json", "units", "recode", "--apply", plan_id});
  REQUIRE(twice.exit_code == 0);
  CHECK(parse_json(twice.out)["already_applied"].GetBool());
  auto again = parse_json(hubctl({"--json", "units", "recode", "--plan"}).out);
  CHECK(again["recodes"].GetInt64() == 0);
  CHECK(again["splits"].GetInt64() == 1);
  REQUIRE(hubctl({"units", "recode", "--apply", std::to_string(again["plan"].GetInt64())}).exit_code == 0);
  CHECK(count_rows("review_item where kind = 'unit_recode'") == "1");

  // The split, decided with a commune code: only one of its successors.
  auto wrong = call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "commune", "commune": "11383"})");
  CHECK(wrong.status == 422);
  CHECK(std::string(parse_json(wrong.body)["code"].GetString()) == "review.commune_not_allowed");
  CHECK(std::string(parse_json(wrong.body)["detail"].GetString()).find("11359") != std::string::npos);
  auto decided = hubctl({"review", "decide", item, "commune=11359"});
  REQUIRE(decided.exit_code == 0);
  CHECK(field(other, "residence_commune") == "11359");
  CHECK(sql_value("select field_lineage(lineage, 'residence_commune')->>'decided_by' from golden_record where id = '" + other + "'")
            .rfind("hubctl:", 0) == 0);
  CHECK(sql_value("select status || ' ' || decision from review_item where id = " + item) == "resolved commune");
  CHECK(count_rows("change_log where op = 'update' and record_id = '" + other + "'") == "1");

  // A plan made before the data changed is not applied.
  store_old_code(an, "residence_commune", "11320");
  auto stale_plan = parse_json(hubctl({"--json", "units", "recode", "--plan"}).out);
  store_old_code(school, "commune", "11302");
  auto stale = hubctl({"units", "recode", "--apply", std::to_string(stale_plan["plan"].GetInt64())});
  CHECK(stale.exit_code == 1);
  CHECK(stale.err.find("units.stale_plan") != std::string::npos);
  CHECK(field(an, "residence_commune") == "11320");
  CHECK(dangling_rows() == "0");
}
