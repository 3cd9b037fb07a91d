// School lifecycle events (hubctl school, POST /v1/admin/schools/events) against the real
// PostgreSQL with a real hub: two demo schools merged (students and their class follow, the
// 30 September snapshot before the effective date shows two schools and after it one, a push
// with the old code lands in the successor with a warning, undo restores), a split decided in
// bulk by class and one student alone, a dissolved school's students placed or marked as left
// one by one (hubctl and the review API), rename and recode as dated versions, the change log holding each change once
// in order, and the refusals (second apply, undo after the school year, bad input).
//
// The dates follow today's school year (1 September to 31 August), so that the event can be
// undone; the effective date is today, so that the crosswalk is in force for the pushes.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <set>
#include <sstream>

#include "hub/common/date.h"
#include "hub/common/json.h"
#include "tests/support/openapi_check.h"
#include "tests/support/school_demo.h"

using namespace hub::test;
using hub::Date;

namespace {

const std::string kSecret = "school-events-test-secret-0123456789";

// The last 30 September before the effective date (today), and the next one after it.
std::string sept30_before() { return (Date{today().year, 9, 30} < today() ? Date{today().year, 9, 30} : Date{today().year - 1, 9, 30}).iso(); }
std::string sept30_after() { return (Date{today().year, 9, 30} > today() ? Date{today().year, 9, 30} : Date{today().year + 1, 9, 30}).iso(); }

CommandResult snapshot(const std::string& entity, const std::string& as_of) {
  return hubctl({"export", "snapshot", "--consumer", "demo-warehouse", "--entity", entity, "--as-of", as_of},
                {{"HUB_PUBLICATION_SECRET", kSecret}});
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The school codes of a snapshot's records (not a text search: the records in force with a school,
// such as enrollments that name a predecessor, may hold other codes).
std::set<std::string> schools_in(const std::string& ndjson) {
  std::set<std::string> codes;
  std::istringstream lines(ndjson);
  for (std::string line; std::getline(lines, line);) {
    auto d = parse_json(line);
    if (d.IsObject() && d.HasMember("data") && d["data"].IsObject() && d["data"].HasMember("school_code"))
      codes.insert(d["data"]["school_code"].GetString());
  }
  return codes;
}

// Each change of the log once, and each record's versions in increasing order of seq.
void check_change_log_in_order() {
  CHECK(sql_value("select count(*) from (select record_id, version from change_log group by 1, 2 having count(*) > 1) d") ==
        "0");
  CHECK(sql_value("select count(*) from (select version, lag(version) over (partition by record_id order by seq) prev"
                  " from change_log) d where prev is not null and version <= prev") == "0");
}

struct Demo : SchoolDemo {
  Demo()
      : SchoolDemo({{"HUB_PUBLICATION_SECRET", kSecret}, {"HUB_SYNC_PUSH", "false"}},
                   {"admin", "ingest:school", "ingest:class", "ingest:teaching_assignment"}) {}
};

}  // namespace

TEST_CASE("school merge: students and classes follow - snapshots before and after - undo restores",
          "[db][ingest][school]") {
  Demo d;
  const std::string eff = today().iso(), day_before = plus_days(today(), -1).iso();
  const auto [m1, m2, m3] = d.two_schools_before_merge("SE-M");
  REQUIRE(placed(m1, eff) == "HP-THCS-0007|6A1");

  // The plan: every record that will change, nothing changed yet.
  const std::string records = count_rows("golden_record"), changes = count_rows("change_log");
  auto planned = hubctl({"--json", "school", "merge", "HP-THCS-0007", "--into", "HP-THCS-0012", "--effective-on", eff,
                         "--decision", "123/QĐ-UBND", "--plan"});
  REQUIRE(planned.exit_code == 0);
  auto plan = parse_json(planned.out);
  REQUIRE(plan.IsObject());
  const std::string plan_id = std::to_string(plan["plan"].GetInt64());
  CHECK(plan["counts"]["school_version"].GetInt() == 1);
  CHECK(plan["counts"]["move"].GetInt() == 2);
  CHECK(plan["counts"]["move_class"].GetInt() == 1);
  CHECK(plan["counts"]["conflict"].GetInt() == 0);
  CHECK(plan["items"].Size() == 4);
  CHECK(count_rows("golden_record") == records);
  CHECK(count_rows("change_log") == changes);
  // The decision number is required.
  CHECK(hubctl({"school", "merge", "HP-THCS-0007", "--into", "HP-THCS-0012", "--effective-on", eff, "--plan"}).exit_code == 2);

  auto applied = hubctl({"--json", "school", "apply", plan_id});
  REQUIRE(applied.exit_code == 0);
  auto a = parse_json(applied.out);
  CHECK(a["moved"].GetInt() == 2);
  CHECK(a["classes"].GetInt() == 1);
  const std::string batch = std::to_string(a["batch"].GetInt64());
  // Applied once: a second apply is refused and changes nothing.
  const std::string after_apply = count_rows("change_log");
  auto again = hubctl({"school", "apply", plan_id});
  CHECK(again.exit_code == 1);
  CHECK(has(again.err, "school.already_applied"));
  CHECK(count_rows("change_log") == after_apply);

  // Students follow, with their class, from the effective date; the day before they were in
  // the absorbed school.
  CHECK(placed(m1, day_before) == "HP-THCS-0007|6A1");
  CHECK(placed(m1, eff) == "HP-THCS-0012|6A1");
  CHECK(placed(m2, eff) == "HP-THCS-0012|6A1");
  CHECK(placed(m3, eff) == "HP-THCS-0012|6A2");
  CHECK(sql_value("select data->>'previous_school_code' from golden_record where entity = 'enrollment' and data->>'student' = '" +
                  m1 + "' and valid_from = '" + eff + "'") == "HP-THCS-0007");
  // The absorbed school ends the day before, as a new version (the old one kept).
  CHECK(sql_value("select concat_ws('|', valid_to, data->>'operating_status', version) from golden_record where id = '" +
                  school_id("HP-THCS-0007") + "'") == day_before + "|SAP_NHAP|2");
  CHECK(sql_value("select count(*) from school_event where plan_id = " + plan_id + " and decision_number = '123/QĐ-UBND'") == "1");

  // 30 September: two schools before the merge, one after.
  auto before = snapshot("school", sept30_before());
  REQUIRE(before.exit_code == 0);
  CHECK(schools_in(before.out).count("HP-THCS-0007") == 1);
  CHECK(schools_in(before.out).count("HP-THCS-0012") == 1);
  auto after = snapshot("school", sept30_after());
  REQUIRE(after.exit_code == 0);
  CHECK(schools_in(after.out).count("HP-THCS-0007") == 0);
  CHECK(schools_in(after.out).count("HP-THCS-0012") == 1);

  // The change log: one change per new version, each once, the school first.
  CHECK(sql_value("select string_agg(entity || ':' || op, ',' order by seq) from change_log where batch_id = " + batch) ==
        "school:update,class:create,enrollment:update,enrollment:create,enrollment:update,enrollment:create");
  check_change_log_in_order();

  // A dry run of a record with the old code answers what the push will do: the successor and
  // the warning, never an unknown school.
  auto trial = http("POST", d.hub.url("/v1/ingest/transcripts:validate"), transcripts("HP-THCS-0007", {{"SE-M4", "6"}}),
                    {"Authorization: Bearer " + d.tr, "Content-Type: application/json"}, 60000);
  REQUIRE(trial.status == 200);
  CHECK(has(trial.body, "school.code_superseded"));
  CHECK(has(trial.body, "HP-THCS-0012"));
  CHECK_FALSE(has(trial.body, "ref.unknown"));
  // A push that still uses the old code lands in the successor, with a warning; no new school.
  const std::string schools = count_rows("golden_record where entity = 'school'");
  auto late = push_feed(d.hub, d.tr, "transcripts", transcripts("HP-THCS-0007", {{"SE-M4", "6"}}));
  REQUIRE(late.status == 200);
  auto res = parse_json(late.body)["results"][0].GetObject();
  CHECK(std::string(res["status"].GetString()) == "accepted");
  bool warned = false;
  for (const auto& e : res["errors"].GetArray())
    warned = warned || (std::string(e["code"].GetString()) == "school.code_superseded" &&
                        std::string(e["message_vi"].GetString()).size() > 0);
  CHECK(warned);
  CHECK(placed(student_of("SE-M4"), eff) == "HP-THCS-0012");
  CHECK(count_rows("golden_record where entity = 'school'") == schools);
  // Counted in the quality report, per partner and code.
  auto quality = get(d.hub.url("/v1/admin/quality"), d.ops);
  REQUIRE(quality.status == 200);
  long long counted = -1;
  for (const auto& p : parse_json(quality.body)["partners"].GetArray())
    if (std::string(p["partner"].GetString()) == "demo-transcripts" && !p["code"].IsNull() &&
        std::string(p["code"].GetString()) == "school.code_superseded")
      counted = p["warned"].GetInt64();
  CHECK(counted == 1);

  // Undo: the school is back, the students are back in it, the records the merge created are gone.
  auto undone = hubctl({"school", "undo", plan_id});
  REQUIRE(undone.exit_code == 0);
  CHECK(placed(m1, eff) == "HP-THCS-0007|6A1");
  CHECK(placed(m2, eff) == "HP-THCS-0007|6A1");
  CHECK(schools_in(snapshot("school", sept30_after()).out).count("HP-THCS-0007") == 1);
  CHECK(sql_value("select count(*) from records_as_of('class', '" + eff + "', 'infinity', false) c where c.data->>'school' = '" +
                  school_id("HP-THCS-0012") + "' and c.data->>'name' = '6A1'") == "0");
  CHECK(hubctl({"school", "undo", plan_id}).exit_code == 1);
  check_change_log_in_order();
  CHECK(dangling_rows() == "0");  // the event's and the undo's versions dated like their changes
  // After the undo the old code is the school's own again: no warning.
  auto own = push_feed(d.hub, d.tr, "transcripts", transcripts("HP-THCS-0007", {{"SE-M5", "6"}}));
  CHECK(parse_json(own.body)["results"][0]["errors"].Size() == 0);
  CHECK(placed(student_of("SE-M5"), eff) == "HP-THCS-0007");
  CHECK(count_rows("audit_log where action in ('school.plan', 'school.apply', 'school.undo')") == "3");
}

TEST_CASE("school split: students placed in bulk by class, or one by one", "[db][ingest][school]") {
  Demo d;
  const std::string eff = today().iso(), day_before = plus_days(today(), -1).iso();
  d.push(d.ops, "schools",
         R"({"truong":[{"maTruong":"HP-THCS-0099","tenTruong":"Trường THCS Mới","capHoc":"Trung học cơ sở","loaiHinh":"Công lập","maTinh":"31","maXa":"11383"}]})");
  d.push(d.ops, "classes", classes("HP-THCS-0012", {{"6A1", "6"}, {"7A1", "7"}}));
  d.push(d.tr, "transcripts", transcripts("HP-THCS-0012", {{"SE-S1", "6"}, {"SE-S2", "6"}, {"SE-S3", "7"}, {"SE-S4", "7"}}));
  const std::string s1 = student_of("SE-S1"), s2 = student_of("SE-S2"), s3 = student_of("SE-S3"), s4 = student_of("SE-S4");
  place_in_class(s1, "HP-THCS-0012", class_id("HP-THCS-0012", "6A1"));
  place_in_class(s2, "HP-THCS-0012", class_id("HP-THCS-0012", "6A1"));
  place_in_class(s3, "HP-THCS-0012", class_id("HP-THCS-0012", "7A1"));
  place_in_class(s4, "HP-THCS-0012", class_id("HP-THCS-0012", "7A1"));

  auto planned = hubctl({"--json", "school", "split", "HP-THCS-0012", "--into", "HP-THCS-0007,HP-THCS-0099",
                         "--effective-on", eff, "--decision", "45/QĐ-SGDĐT", "--plan"});
  REQUIRE(planned.exit_code == 0);
  auto plan = parse_json(planned.out);
  const std::string plan_id = std::to_string(plan["plan"].GetInt64());
  CHECK(plan["counts"]["review"].GetInt() == 4);
  CHECK(plan["counts"]["school_version"].GetInt() == 1);
  auto applied = hubctl({"--json", "school", "apply", plan_id});
  REQUIRE(applied.exit_code == 0);
  CHECK(parse_json(applied.out)["reviews"].GetInt() == 4);
  CHECK(count_rows("review_item where kind = 'school_event' and status = 'open'") == "4");
  // Until decided, the students stay where they were.
  CHECK(placed(s1, eff) == "HP-THCS-0012|6A1");

  // Refusals: not a successor, no such class.
  CHECK(hubctl({"school", "decide-class", plan_id, "6A1", "HP-THPT-0003"}).exit_code == 2);
  CHECK(hubctl({"school", "decide-class", plan_id, "9Z9", "HP-THCS-0007"}).exit_code == 2);

  // One student decided on its own: a successor only, never "left" (a split keeps every student).
  const std::string i4 = sql_value("select r.id::text from review_item r join golden_record g on g.id = r.record_id"
                                   " where r.kind = 'school_event' and g.data->>'student' = '" + s4 + "'");
  CHECK(hubctl({"review", "decide", i4, "school=HP-THPT-0003"}).exit_code != 0);
  CHECK(hubctl({"review", "decide", i4, "left"}).exit_code != 0);
  auto single = hubctl({"--json", "review", "decide", i4, "school=HP-THCS-0007"});
  INFO(single.err);
  REQUIRE(single.exit_code == 0);
  CHECK(placed(s4, eff) == "HP-THCS-0007|7A1");
  CHECK(placed(s4, day_before) == "HP-THCS-0012|7A1");

  auto first = hubctl({"--json", "school", "decide-class", plan_id, "6A1", "HP-THCS-0007"});
  REQUIRE(first.exit_code == 0);
  CHECK(parse_json(first.out)["moved"].GetInt() == 2);
  auto second = hubctl({"--json", "school", "decide-class", plan_id, class_id("HP-THCS-0012", "7A1"), "HP-THCS-0099"});
  REQUIRE(second.exit_code == 0);
  CHECK(parse_json(second.out)["moved"].GetInt() == 1);
  CHECK(placed(s1, eff) == "HP-THCS-0007|6A1");
  CHECK(placed(s2, eff) == "HP-THCS-0007|6A1");
  CHECK(placed(s3, eff) == "HP-THCS-0099|7A1");
  CHECK(placed(s3, day_before) == "HP-THCS-0012|7A1");
  CHECK(placed(s4, eff) == "HP-THCS-0007|7A1");  // decided alone: not moved again with its class
  CHECK(count_rows("review_item where kind = 'school_event' and status = 'open'") == "0");
  // Decided once: nothing left for that class.
  CHECK(hubctl({"school", "decide-class", plan_id, "6A1", "HP-THCS-0099"}).exit_code == 2);
  CHECK(schools_in(snapshot("school", sept30_after()).out).count("HP-THCS-0012") == 0);
  check_change_log_in_order();
}

TEST_CASE("school rename and recode: dated versions - old code answers - admin API", "[db][ingest][school]") {
  Demo d;
  const std::string eff = today().iso();
  auto admin = [&](const std::string& body) {
    return http("POST", d.hub.url("/v1/admin/schools/events"), body,
                {"Authorization: Bearer " + d.ops, "Content-Type: application/json"});
  };
  // Plan and apply through the API.
  auto planned = admin(R"({"action":"plan","kind":"rename","schools":["HP-THPT-0003"],"effective_on":")" + eff +
                       R"(","decision_number":"7/QĐ-UBND","changes":{"name":"Trường THPT Trần Phú - Hồng Bàng"}})");
  REQUIRE(planned.status == 201);
  CHECK(openapi_mismatch("POST", "/v1/admin/schools/events", planned) == "");
  auto plan = parse_json(planned.body);
  const std::string plan_id = std::to_string(plan["plan"].GetInt64());
  auto done = admin(R"({"action":"apply","plan":)" + plan_id + "}");
  REQUIRE(done.status == 200);
  CHECK(openapi_mismatch("POST", "/v1/admin/schools/events", done) == "");
  auto twice = admin(R"({"action":"apply","plan":)" + plan_id + "}");
  CHECK(twice.status == 409);
  CHECK(has(twice.body, "school.already_applied"));
  CHECK(openapi_mismatch("POST", "/v1/admin/schools/events", twice) == "");
  CHECK(twice.headers["content-type"].find("application/problem+json") == 0);
  // The name from the effective date, the old one before it.
  CHECK(has(snapshot("school", sept30_before()).out, "\"Trường THPT Trần Phú\""));
  CHECK(has(snapshot("school", sept30_after()).out, "Trần Phú - Hồng Bàng"));
  CHECK(get(d.hub.url("/v1/admin/schools/events/" + plan_id), d.ops).status == 200);

  // Bad input: problem+json with the field, English and Vietnamese.
  auto bad = admin(R"({"action":"plan","kind":"merge","schools":["HP-THCS-0007"],"successors":["HP-THCS-0012"],"effective_on":")" +
                   eff + R"(","decision_number":""})");
  CHECK(bad.status == 422);
  CHECK(has(bad.body, "school.bad_event"));
  CHECK(has(bad.body, "message_vi"));
  CHECK(openapi_mismatch("POST", "/v1/admin/schools/events", bad) == "");
  auto unknown = admin(R"({"action":"plan","kind":"dissolve","schools":["HP-NOPE"],"effective_on":")" + eff +
                       R"(","decision_number":"1/QĐ"})");
  CHECK(unknown.status == 422);
  CHECK(has(unknown.body, "school.unknown"));
  CHECK(admin(R"({"action":"plan","kind":"merge","schools":[7]})").status == 422);
  CHECK(admin(R"({"action":"apply","plan":999999})").status == 404);

  // Recode: the old code answers for the same school, with a warning; no new school.
  auto recode = hubctl({"--json", "school", "recode", "HP-THCS-0012", "--new-code", "HP-THCS-1012", "--effective-on", eff,
                        "--decision", "8/QĐ-UBND", "--plan"});
  REQUIRE(recode.exit_code == 0);
  const std::string recode_plan = std::to_string(parse_json(recode.out)["plan"].GetInt64());
  REQUIRE(hubctl({"school", "apply", recode_plan}).exit_code == 0);
  CHECK(school_id("HP-THCS-1012") == school_id("HP-THCS-0012"));
  const std::string schools = count_rows("golden_record where entity = 'school'");
  auto late = push_feed(d.hub, d.tr, "transcripts", transcripts("HP-THCS-0012", {{"SE-R1", "6"}}));
  REQUIRE(late.status == 200);
  CHECK(has(late.body, "school.code_superseded"));
  CHECK(placed(student_of("SE-R1"), eff) == "HP-THCS-1012");
  CHECK(count_rows("golden_record where entity = 'school'") == schools);
  // The school list still sent with the old code does not put it back.
  auto list = push_feed(d.hub, d.ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json"));
  REQUIRE(list.status == 200);
  CHECK(has(list.body, "school.code_superseded"));
  CHECK(sql_value("select data->>'school_code' from golden_record where id = '" + school_id("HP-THCS-1012") + "'") ==
        "HP-THCS-1012");
  CHECK(count_rows("golden_record where entity = 'school'") == schools);
  CHECK(schools_in(snapshot("school", sept30_before()).out).count("HP-THCS-0012") == 1);
  CHECK(schools_in(snapshot("school", sept30_after()).out).count("HP-THCS-1012") == 1);
  // The code is taken now.
  CHECK(hubctl({"school", "recode", "HP-THCS-0007", "--new-code", "HP-THCS-1012", "--effective-on", eff, "--decision", "9/QĐ",
                "--plan"}).exit_code == 2);

  // An event of a school year that is over cannot be undone.
  const std::string last_year = Date{year_start() - 1, 10, 1}.iso();
  auto old = hubctl({"--json", "school", "change-type", "HN-THCS-0001", "--type", "3", "--effective-on", last_year,
                     "--decision", "10/QĐ", "--plan"});
  REQUIRE(old.exit_code == 0);
  const std::string old_plan = std::to_string(parse_json(old.out)["plan"].GetInt64());
  REQUIRE(hubctl({"school", "apply", old_plan}).exit_code == 0);
  auto late_undo = hubctl({"school", "undo", old_plan});
  CHECK(late_undo.exit_code == 1);
  CHECK(has(late_undo.err, "school.undo_too_late"));
  check_change_log_in_order();
}

// Guards the dissolved school's review items being undecidable: a person places each student
// (hubctl review decide ID school=CODE, or POST /v1/admin/review/ID) in a school open on the
// effective date, or records that the student left the system (left: the enrollment ends the day before, CHUYEN_DI);
// closed or unknown schools and a second decision are refused, nothing is written twice.
TEST_CASE("school dissolve: each student placed or marked as left, one by one", "[db][ingest][school]") {
  Demo d;
  const std::string eff = today().iso(), day_before = plus_days(today(), -1).iso();
  d.push(d.tr, "transcripts", transcripts("HP-THCS-0012", {{"SE-S1", "6"}, {"SE-S2", "6"}}));
  const std::string s1 = student_of("SE-S1"), s2 = student_of("SE-S2");
  auto planned = hubctl({"--json", "school", "dissolve", "HP-THCS-0012", "--effective-on", eff, "--decision",
                         "46/QĐ-SGDĐT", "--plan"});
  REQUIRE(planned.exit_code == 0);
  const std::string plan_id = std::to_string(parse_json(planned.out)["plan"].GetInt64());
  REQUIRE(hubctl({"--json", "school", "apply", plan_id}).exit_code == 0);
  auto item_of = [&](const std::string& student) {
    return sql_value("select r.id::text from review_item r join golden_record g on g.id = r.record_id"
                     " where r.kind = 'school_event' and g.data->>'student' = '" + student + "'");
  };
  const std::string i1 = item_of(s1), i2 = item_of(s2);
  REQUIRE(!i1.empty());
  REQUIRE(!i2.empty());
  CHECK(has(sql_value("select reasons::text from review_item where id = " + i1), "school.dissolved"));

  // Refusals: no such school, the dissolved school itself (closed on the effective date).
  auto unknown = hubctl({"review", "decide", i1, "school=HP-NOPE"});
  CHECK(unknown.exit_code != 0);
  CHECK(has(unknown.err + unknown.out, "school.unknown"));
  auto closed = hubctl({"review", "decide", i1, "school=HP-THCS-0012"});
  CHECK(closed.exit_code != 0);
  CHECK(has(closed.err + closed.out, "school.bad_event"));
  CHECK(placed(s1, eff) == "HP-THCS-0012");

  auto moved = hubctl({"--json", "review", "decide", i1, "school=HP-THCS-0007"});
  INFO(moved.err);
  REQUIRE(moved.exit_code == 0);
  CHECK(placed(s1, eff) == "HP-THCS-0007");
  CHECK(placed(s1, day_before) == "HP-THCS-0012");

  // The admin API decides the same items: a bad school answers problem+json with both messages.
  auto bad = call(d.hub, "POST", "/v1/admin/review/" + i2, d.ops, R"({"decision": "school", "school": "HP-NOPE"})");
  CHECK(bad.status == 422);
  CHECK(has(bad.body, "school.unknown"));
  CHECK(has(bad.body, "message_vi"));
  auto left = call(d.hub, "POST", "/v1/admin/review/" + i2, d.ops, R"({"decision": "left"})");
  INFO(left.body);
  REQUIRE(left.status == 200);
  CHECK(placed(s2, eff) == "");
  CHECK(placed(s2, day_before) == "HP-THCS-0012");
  CHECK(sql_value("select data->>'status' from golden_record where entity = 'enrollment' and data->>'student' = '" + s2 +
                  "'") == "CHUYEN_DI");
  CHECK(count_rows("review_item where kind = 'school_event' and status = 'open'") == "0");

  // Decided once: a second decision is refused and writes nothing.
  const std::string changes = count_rows("change_log");
  auto again = hubctl({"review", "decide", i2, "school=HP-THCS-0007"});
  CHECK(again.exit_code != 0);
  CHECK(has(again.err + again.out, "school.unknown_item"));
  CHECK(count_rows("change_log") == changes);

  // Undo gives both students their enrollment in the dissolved school back (the one who left
  // keeps its record: only its end is undone).
  auto undone = hubctl({"--json", "school", "undo", plan_id});
  INFO(undone.err);
  REQUIRE(undone.exit_code == 0);
  CHECK(placed(s1, eff) == "HP-THCS-0012");
  CHECK(placed(s2, eff) == "HP-THCS-0012");
  check_change_log_in_order();
}
