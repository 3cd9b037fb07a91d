// Survivorship of verified personal IDs in the write path (golden_store.cpp, survivorship.h),
// against the real PostgreSQL and Redis through a real hub. Guards against: a vendor's
// different ID silently overwriting one verified against the national population database
// (it must be held for review, the rest of the record applied, no natural key made for it);
// a "not checked" answer undoing a check; an id_change decision that applies nothing or does
// not name the person; a decision of the wrong kind accepted.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

#include "hub/common/json.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

// One student of the transcript platform, with its answer of the population database check
// (MATCHED | NOT_MATCHED | UNCHECKED, or none).
std::string transcript(const std::string& id, const std::string& name, const std::string& pid, const std::string& check,
                       const std::string& klass = "6A1") {
  hub::json::JsonWriter w;
  w.begin_object().kv("schoolYear", "2025-2026").key("school").begin_object().kv("code", "HP-THCS-0012")
      .kv("name", "Trường THCS Lê Chân").kv("communeCode", "11383").end_object().key("students").begin_array()
      .begin_object().kv("studentId", id).kv("fullName", name).kv("dob", "2014-11-11").kv("sex", "M")
      .kv("ethnicCode", "01").kv("citizenId", pid);
  if (!check.empty())
    w.key("citizenIdCheck").begin_object().kv("result", check).kv("date", "2025-10-01").kv("via", "VNeID").end_object();
  w.kv("grade", "6").kv("className", klass).kv("enrolledOn", "2025-09-05").kv("status", "dang_hoc")
      .key("results").begin_array().end_array().end_object().end_array().end_object();
  return w.str();
}

rapidjson::Document record(HubProcess& hub, const std::string& token, const std::string& id) {
  auto r = call(hub, "GET", "/v1/records/student/" + id, token);
  REQUIRE(r.status == 200);
  return parse_json(r.body);
}

}  // namespace

TEST_CASE("verified personal ID: a different ID is held for review - not checked keeps the check", "[db][store]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  auto trn = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                              "--scope", "ingest:subject_result", "--scope", "ingest:term_summary",
                                              "--scope", "pull:student"});
  REQUIRE(call(hub, "POST", "/v1/ingest/schools", ops, kOneSchool).status == 200);

  auto first = call(hub, "POST", "/v1/ingest/transcripts", trn, transcript("HB-1", "Lê Hoàng Nam", "031214000303", "MATCHED"));
  REQUIRE(first.status == 200);
  const std::string nam = parse_json(first.body)["results"][0]["entities"]["student"].GetString();

  // The same ID, now "not checked" (the platform lost its check): the verified status stays,
  // with its date; the other changes of the record (the class) are applied.
  auto unchecked = call(hub, "POST", "/v1/ingest/transcripts", trn,
                        transcript("HB-1", "Lê Hoàng Nam", "031214000303", "UNCHECKED", "6A2"));
  REQUIRE(unchecked.status == 200);
  {
    auto d = record(hub, ops, nam);
    CHECK(std::string(d["data"]["personal_id_status"].GetString()) == "verified");
    CHECK(std::string(d["data"]["personal_id_checked_on"].GetString()) == "2025-10-01");
  }

  // Another ID for the verified child: the record ends "review" with a readable reason, the
  // stored ID stays, no natural key is made for the new ID, and an id_change item is open.
  auto changed = call(hub, "POST", "/v1/ingest/transcripts", trn,
                      transcript("HB-1", "Lê Hoàng Nam", "031214000999", "", "6A3"));
  REQUIRE(changed.status == 200);
  auto cd = parse_json(changed.body);
  CHECK(std::string(cd["results"][0]["status"].GetString()) == "review");
  REQUIRE(cd["results"][0]["errors"].Size() == 1);
  CHECK(std::string(cd["results"][0]["errors"][0]["code"].GetString()) == "personal_id.verified_change");
  CHECK(changed.body.find("031214000999") == std::string::npos);  // masked in the answer
  CHECK(std::string(record(hub, ops, nam)["data"]["personal_id"].GetString()) == "031214000303");
  CHECK(count_rows("natural_key where key_value = '031214000999'") == "0");
  CHECK(count_rows("review_item where kind = 'id_change' and status = 'open'") == "1");
  // The same push again is unchanged content: not proposed twice.
  call(hub, "POST", "/v1/ingest/transcripts", trn, transcript("HB-1", "Lê Hoàng Nam", "031214000999", "", "6A3"));
  CHECK(count_rows("review_item where kind = 'id_change'") == "1");

  auto list = call(hub, "GET", "/v1/admin/review?status=open", ops);
  REQUIRE(list.status == 200);
  CHECK(list.body.find("031214000999") == std::string::npos);
  auto ld = parse_json(list.body);
  REQUIRE(ld["items"].Size() == 1);
  CHECK(std::string(ld["items"][0]["kind"].GetString()) == "id_change");
  const std::string item = std::to_string(ld["items"][0]["id"].GetInt64());

  // A match decision does not fit an ID change.
  auto wrong = call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "match"})");
  CHECK(wrong.status == 422);
  CHECK(std::string(parse_json(wrong.body)["code"].GetString()) == "review.bad_decision");

  // Applied by a person: a new version with the new ID, the natural key moved, lineage naming
  // the decision, a change event for the warehouse.
  const std::string changes_before = count_rows("change_log where record_id = '" + nam + "'");
  auto apply = hubctl({"review", "decide", item, "apply"});
  REQUIRE(apply.exit_code == 0);
  auto d = record(hub, ops, nam);
  CHECK(std::string(d["data"]["personal_id"].GetString()) == "031214000999");
  CHECK(count_rows("natural_key where key_value = '031214000999' and record_id = '" + nam + "'") == "1");
  CHECK(count_rows("natural_key where key_value = '031214000303'") == "0");
  CHECK(count_rows("golden_record where id = '" + nam + "' and field_lineage(lineage, 'personal_id') ? 'decided_by'") == "1");
  CHECK(std::stoi(count_rows("change_log where record_id = '" + nam + "'")) == std::stoi(changes_before) + 1);
  CHECK(count_rows("audit_log where action = 'review.decide' and target = 'review_item/" + item + "'") == "1");
  auto twice = call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "keep"})");
  CHECK(twice.status == 409);
}

TEST_CASE("verified personal ID: keep leaves the record - an ID another record holds is refused", "[db][store]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  auto trn = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                              "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"});
  REQUIRE(call(hub, "POST", "/v1/ingest/schools", ops, kOneSchool).status == 200);
  auto a = call(hub, "POST", "/v1/ingest/transcripts", trn, transcript("HB-1", "Lê Hoàng Nam", "031214000303", "MATCHED"));
  auto b = call(hub, "POST", "/v1/ingest/transcripts", trn, transcript("HB-2", "Phạm Thu Hà", "031214000555", ""));
  REQUIRE(a.status == 200);
  REQUIRE(b.status == 200);
  const std::string nam = parse_json(a.body)["results"][0]["entities"]["student"].GetString();

  // Nam's record is sent with Hà's ID (a keying error at the platform).
  auto c = call(hub, "POST", "/v1/ingest/transcripts", trn, transcript("HB-1", "Lê Hoàng Nam", "031214000555", "", "6A2"));
  REQUIRE(c.status == 200);
  auto ld = parse_json(call(hub, "GET", "/v1/admin/review?status=open", ops).body);
  REQUIRE(ld["items"].Size() == 1);
  const std::string item = std::to_string(ld["items"][0]["id"].GetInt64());
  auto refused = call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "apply"})");
  CHECK(refused.status == 409);
  CHECK(std::string(parse_json(refused.body)["code"].GetString()) == "review.id_taken");
  auto keep = call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "keep"})");
  REQUIRE(keep.status == 200);
  CHECK(count_rows("golden_record where id = '" + nam + "' and data->>'personal_id' = '031214000303'") == "1");
  CHECK(count_rows("review_item where kind = 'id_change' and decision = 'keep'") == "1");
}

// Effective-dated records written by the store: a teacher replaced in the middle of a term
// ends one assignment (valid_to) and the replacement's starts the next, so a question "as of"
// a day has one answer. Guards against the class feed losing either period, or against a
// record without dates being counted on every day.
TEST_CASE("teaching assignments of the class feed answer as of a day", "[db][store]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school", "--scope", "ingest:staff",
                                      "--scope", "ingest:class", "--scope", "ingest:teaching_assignment"});
  auto sample = [](const std::string& file) {
    std::ifstream in(std::string(HUB_SOURCE_DIR) + "/mappings/partners/demo-ops/samples/" + file);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  REQUIRE(call(hub, "POST", "/v1/ingest/schools", ops, sample("schools.json")).status == 200);
  REQUIRE(call(hub, "POST", "/v1/ingest/staff", ops, sample("staff.json")).status == 200);
  auto r = call(hub, "POST", "/v1/ingest/classes", ops, sample("classes.json"));
  REQUIRE(r.status == 200);
  auto d = parse_json(r.body);
  REQUIRE(d["results"].Size() == 3);
  CHECK(std::string(d["results"][0]["status"].GetString()) == "accepted");
  CHECK(std::string(d["results"][1]["errors"][0]["code"].GetString()) == "catalog.not_found");
  CHECK(std::string(d["results"][2]["errors"][0]["code"].GetString()) == "date.impossible");
  // Nothing of a rejected class is stored: one class, its five assignments.
  CHECK(count_rows("golden_record where entity = 'class'") == "1");
  CHECK(count_rows("golden_record where entity = 'teaching_assignment'") == "5");

  auto teacher_on = [](const std::string& day) {
    return sql_value("select coalesce(string_agg(s.data->>'moet_staff_code', ','), '') from records_as_of("
                     "'teaching_assignment', '" + day + "', 'infinity', true) a"
                     " join golden_record s on s.id = (a.data->>'staff')::uuid where a.data->>'subject' = 'NGU_VAN'");
  };
  CHECK(teacher_on("2025-09-04").empty());  // before the year
  CHECK(teacher_on("2025-10-01") == "GV31-0012-002");
  CHECK(teacher_on("2025-11-14") == "GV31-0012-002");  // valid_to is the last day
  CHECK(teacher_on("2025-11-15") == "GV31-0012-001");
  // The class names its homeroom teacher as a staff record.
  CHECK(sql_value("select s.data->>'moet_staff_code' from golden_record c join golden_record s"
                  " on s.id = (c.data->>'homeroom_teacher')::uuid where c.entity = 'class'") == "GV31-0012-001");
}
