// School events pushed by the ops partner through the ordinary ingest route
// (POST /v1/ingest/school_events, mapping demo-ops/school_events.yaml), against the real
// PostgreSQL with a real hub. The failures these guard: the feed's merge not moving the students
// and their class as the admin API's does (school_lifecycle_db_test); a resent decision applied a
// second time, or refused, instead of answered unchanged; a record with no decision number, or
// naming a school nobody holds, stored anyway or taking its neighbour's applied event with it;
// a split answered as if nothing were left to decide; a token limited to a unit merging away a
// school outside it.
//
// Dates follow today's school year, as in school_lifecycle_db_test: the effective date is today.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "hub/common/date.h"
#include "hub/common/json.h"
#include "tests/support/school_demo.h"

using namespace hub::test;
using hub::Date;

namespace {

// dd/mm/yyyy, as the Department's decision register writes dates.
std::string vn(Date d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", d.day, d.month, d.year);
  return buf;
}

// One decision of the register; an empty decision number is left out, as the register does.
struct Decision {
  std::string id, kind, number;
  std::vector<std::string> schools, successors;
};

std::string register_of(const std::vector<Decision>& decisions) {
  hub::json::JsonWriter w;
  w.begin_object().kv("nguon", "Sở GD&ĐT Hải Phòng — sổ quyết định (thử)").key("quyetDinh").begin_array();
  for (const auto& d : decisions) {
    w.begin_object().kv("maSuKien", d.id).kv("loai", d.kind).kv("ngayHieuLuc", vn(today()));
    if (!d.number.empty()) w.kv("soQuyetDinh", d.number);
    w.key("truong").strings(d.schools);
    if (!d.successors.empty()) w.key("truongKeThua").strings(d.successors);
    w.end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::string str(const rapidjson::Value& v, const char* name) {
  return v.HasMember(name) && v[name].IsString() ? v[name].GetString() : "";
}

// The first issue of a record's result with that code, or null.
const rapidjson::Value* issue_of(const rapidjson::Value& result, const std::string& code) {
  for (const auto& e : result["errors"].GetArray())
    if (str(e, "code") == code) return &e;
  return nullptr;
}

struct Demo : SchoolDemo {
  Demo()
      : SchoolDemo({}, {"ingest:school", "ingest:class", "ingest:teaching_assignment", "ingest:school_event",
                        "ingest:school_event_school"}) {}
  rapidjson::Document events(const std::string& body) {
    auto r = push_feed(hub, ops, "school_events", body);
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto d = parse_json(r.body);
    REQUIRE(d.IsObject());
    return d;
  }
};

}  // namespace

TEST_CASE("school events feed: a merge moves the students - a resend is unchanged - a bad record is rejected alone",
          "[db][ingest][school]") {
  Demo d;
  const std::string eff = today().iso(), day_before = plus_days(today(), -1).iso();
  const auto [m1, m2, m3] = d.two_schools_before_merge("SF-M");
  REQUIRE(placed(m1, eff) == "HP-THCS-0007|6A1");

  // Without a decision number, and naming a school nobody holds, around the merge.
  const std::string body = register_of({{"QD-T-1", "Đổi tên", "", {"HP-THPT-0003"}, {}},
                                        {"QD-T-2", "Sáp nhập", "125/QĐ-UBND", {"HP-THCS-0007"}, {"HP-THCS-0012"}},
                                        {"QD-T-3", "Giải thể", "130/QĐ-UBND", {"HP-THCS-9999"}, {}}});
  auto first = d.events(body);
  const auto& results = first["results"];
  REQUIRE(results.Size() == 3);
  INFO(hub::json::to_string(first));

  CHECK(str(results[0], "status") == "rejected");
  const auto* missing = issue_of(results[0], "value.required");
  REQUIRE(missing);
  CHECK(str(*missing, "field") == "decision_number");
  CHECK(str(*missing, "path") == "$['quyetDinh'][0]['soQuyetDinh']");

  CHECK(str(results[2], "status") == "rejected");
  const auto* unknown = issue_of(results[2], "school.unknown");
  REQUIRE(unknown);
  CHECK(str(*unknown, "path") == "$['quyetDinh'][2]");
  CHECK(str(*unknown, "message").find("HP-THCS-9999") != std::string::npos);
  CHECK_FALSE(str(*unknown, "message_vi").empty());

  // The merge: applied with its decision, by the partner, its event and plan in the result.
  REQUIRE(str(results[1], "status") == "accepted");
  const std::string event = str(results[1]["entities"], "school_event"), plan = str(results[1]["entities"], "school_event_plan");
  REQUIRE_FALSE(event.empty());
  REQUIRE_FALSE(plan.empty());
  CHECK(sql_value("select concat_ws('|', plan_id, kind, decision_number, applied_by, effective_on) from school_event"
                  " where id = " + event) == plan + "|merge|125/QĐ-UBND|demo-ops|" + eff);
  CHECK(count_rows("school_event") == "1");
  CHECK(count_rows("school_event_plan") == "1");  // the refused records left no plan behind

  // Students follow with their class from the effective date, as through the admin API.
  CHECK(placed(m1, day_before) == "HP-THCS-0007|6A1");
  CHECK(placed(m1, eff) == "HP-THCS-0012|6A1");
  CHECK(placed(m2, eff) == "HP-THCS-0012|6A1");
  CHECK(placed(m3, eff) == "HP-THCS-0012|6A2");
  CHECK(sql_value("select data->>'previous_school_code' from golden_record where entity = 'enrollment' and data->>'student' = '" +
                  m1 + "' and valid_from = '" + eff + "'") == "HP-THCS-0007");
  CHECK(sql_value("select concat_ws('|', valid_to, data->>'operating_status', version) from golden_record where id = '" +
                  school_id("HP-THCS-0007") + "'") == day_before + "|SAP_NHAP|2");
  CHECK(sql_value("select string_agg(entity || ':' || op, ',' order by seq) from change_log where batch_id ="
                  " (select batch_id from school_event where id = " + event + ")") ==
        "school:update,class:create,enrollment:update,enrollment:create,enrollment:update,enrollment:create");

  // The same register sent again: the merge is unchanged (same event, nothing written), the
  // others are refused as before.
  const std::string changes = count_rows("change_log"), versions = count_rows("record_version");
  auto again = d.events(body);
  const auto& resent = again["results"];
  CHECK(str(resent[1], "status") == "unchanged");
  CHECK(str(resent[1]["entities"], "school_event") == event);
  CHECK(str(resent[0], "status") == "rejected");
  CHECK(str(resent[2], "status") == "rejected");
  CHECK(count_rows("change_log") == changes);
  CHECK(count_rows("record_version") == versions);
  CHECK(count_rows("school_event") == "1");
  CHECK(placed(m1, eff) == "HP-THCS-0012|6A1");
  CHECK(again["counts"]["unchanged"].GetInt() == 1);

  // Another decision number is another event: planned, and refused because the school ended.
  auto other = d.events(register_of({{"QD-T-4", "Sáp nhập", "999/QĐ-UBND", {"HP-THCS-0007"}, {"HP-THCS-0012"}}}));
  CHECK(str(other["results"][0], "status") == "rejected");
  CHECK(issue_of(other["results"][0], "school.bad_event"));
}

// The failure guarded: an ops token limited to one commune merging away a school of another
// commune, and its students with it.
TEST_CASE("school events feed: a partner limited to one commune cannot merge a school of another - nothing changes",
          "[db][ingest][school]") {
  Demo d;
  const std::string eff = today().iso();
  d.push(d.tr, "transcripts", transcripts("HP-THCS-0007", {{"SF-U1", "6"}}));
  const std::string u1 = student_of("SF-U1");
  const std::string absorbed = school_id("HP-THCS-0007");  // commune 11329
  const std::string school_version = sql_value("select version from golden_record where id = '" + absorbed + "'");
  const std::string changes = count_rows("change_log"), versions = count_rows("record_version");
  // Limited to Lê Chân's commune (11383), where the successor HP-THCS-0012 is.
  REQUIRE(hubctl({"partner", "scope", "demo-ops", "--add-unit", "commune:11383"}).exit_code == 0);

  auto r = d.events(register_of({{"QD-T-7", "Sáp nhập", "127/QĐ-UBND", {"HP-THCS-0007"}, {"HP-THCS-0012"}}}));
  const auto& result = r["results"][0];
  INFO(hub::json::to_string(r));
  CHECK(str(result, "status") == "rejected");
  const auto* refused = issue_of(result, "auth.unit");
  REQUIRE(refused);
  CHECK(str(*refused, "path") == "$['quyetDinh'][0]");
  CHECK_FALSE(str(*refused, "message").empty());
  CHECK_FALSE(str(*refused, "message_vi").empty());

  // Nothing of the event stayed: no plan, no event, the school and the change log as they were,
  // the student still in the absorbed school.
  CHECK(count_rows("school_event") == "0");
  CHECK(count_rows("school_event_plan") == "0");
  CHECK(sql_value("select version from golden_record where id = '" + absorbed + "'") == school_version);
  CHECK(sql_value("select valid_to from golden_record where id = '" + absorbed + "'").empty());
  CHECK(count_rows("change_log") == changes);
  CHECK(count_rows("record_version") == versions);
  CHECK(placed(u1, eff) == "HP-THCS-0007");
}

TEST_CASE("school events feed: a split says its students wait for a person",
          "[db][ingest][school]") {
  Demo d;
  const std::string eff = today().iso();
  d.push(d.ops, "schools",
         R"({"truong":[{"maTruong":"HP-THCS-0099","tenTruong":"Trường THCS Mới","capHoc":"Trung học cơ sở","loaiHinh":"Công lập","maTinh":"31","maXa":"11383"}]})");
  d.push(d.tr, "transcripts", transcripts("HP-THCS-0012", {{"SF-S1", "6"}, {"SF-S2", "7"}}));
  const std::string split = register_of({{"QD-T-5", "Chia tách", "45/QĐ-SGDĐT", {"HP-THCS-0012"}, {"HP-THCS-0007", "HP-THCS-0099"}}});

  auto r = d.events(split);
  const auto& result = r["results"][0];
  INFO(hub::json::to_string(r));
  REQUIRE(str(result, "status") == "accepted");
  const auto* pending = issue_of(result, "school.split_pending");
  REQUIRE(pending);
  CHECK(str(*pending, "message").find("2 enrollments") != std::string::npos);
  CHECK_FALSE(str(*pending, "message_vi").empty());
  CHECK(count_rows("review_item where kind = 'school_event' and status = 'open'") == "2");
  // Until a person decides, the students stay where they were.
  CHECK(placed(student_of("SF-S1"), eff) == "HP-THCS-0012");
}

TEST_CASE("school events feed: a merge says which enrollments it could not move", "[db][ingest][school]") {
  Demo d;
  const std::string eff = today().iso();
  d.push(d.ops, "classes", classes("HP-THCS-0007", {{"6A1", "6"}}));
  d.push(d.ops, "classes", classes("HP-THCS-0012", {{"6A1", "6"}}));
  d.push(d.tr, "transcripts", transcripts("HP-THCS-0007", {{"SF-C1", "6"}}));
  const std::string c1 = student_of("SF-C1");
  place_in_class(c1, "HP-THCS-0007", class_id("HP-THCS-0007", "6A1"));

  // The successor has a 6A1 of its own: the student is listed for an operator, not moved.
  auto r = d.events(register_of({{"QD-T-6", "Sáp nhập", "126/QĐ-UBND", {"HP-THCS-0007"}, {"HP-THCS-0012"}}}));
  const auto& result = r["results"][0];
  INFO(hub::json::to_string(r));
  REQUIRE(str(result, "status") == "accepted");
  const auto* not_moved = issue_of(result, "school.not_moved");
  REQUIRE(not_moved);
  CHECK(str(*not_moved, "message").find("1 enrollments") != std::string::npos);
  CHECK_FALSE((*not_moved)["review"].GetBool());
  CHECK(placed(c1, eff) == "HP-THCS-0007|6A1");
}
