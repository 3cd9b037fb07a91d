// Effective dating from the data, against the real PostgreSQL and Redis with a real hub and
// hubctl: a student who transferred on 3 March (enrolled at school A to 2 March, at school B
// from 3 March) is in A on 30 September and in B on 31 May, in the records API (as_of) and in
// the snapshot (hubctl export snapshot --as-of); a staff member who moved school likewise,
// through the sector database's assignments. Dates the data lacks stay absent.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>
#include <unistd.h>

#include "hub/common/json.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

const std::string kSecret = "related-as-of-test-secret-0123";

// Each school's platform account numbers its own students: the new school's record of her has
// another id, and she is the same person by her personal ID.
std::string transcript(const std::string& school, const std::string& student_id, const std::string& from,
                       const std::string& to, const std::string& status) {
  hub::json::JsonWriter w;
  w.begin_object().kv("schoolYear", "2025-2026").key("school").begin_object().kv("code", school).end_object()
      .key("students").begin_array().begin_object().kv("studentId", student_id).kv("fullName", "Nguyen Thi Hoa")
      .kv("dob", "2014-02-03").kv("sex", "F").kv("ethnicCode", "01").kv("citizenId", "031314007777")
      .kv("grade", "6").kv("enrolledOn", from);
  if (!to.empty()) w.kv("leftOn", to);
  w.kv("status", status).key("results").begin_array().end_array().end_object().end_array().end_object();
  return w.str();
}

// The line of `id` in an NDJSON snapshot (an empty object when absent).
rapidjson::Document line_of(const std::string& out, const std::string& id) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (line.find("\"id\":\"" + id + "\"") != std::string::npos) return parse_json(line);
  return parse_json("{}");
}

std::string school_id(const std::string& code) {
  return sql_value("select record_id from natural_key where entity = 'school' and key_name = 'school_code'"
                   " and key_value = '" + code + "'");
}

CommandResult snapshot(const std::string& entity, const std::string& as_of) {
  return hubctl({"export", "snapshot", "--consumer", "demo-warehouse", "--entity", entity, "--as-of", as_of},
                {{"HUB_PUBLICATION_SECRET", kSecret}});
}

}  // namespace

TEST_CASE("a student who transferred on 3 March is in school A on 30 Sept and in B on 31 May", "[db][store]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_PUBLICATION_SECRET", kSecret}, {"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment", "--scope",
                                                    "ingest:subject_result", "--scope", "ingest:term_summary"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  auto a = push_feed(hub, tr, "transcripts", transcript("HP-THCS-0012", "HB-A-1", "2025-09-05", "2026-03-02", "chuyen_di"));
  REQUIRE(a.status == 200);
  auto ad = parse_json(a.body);
  REQUIRE(std::string(ad["results"][0]["status"].GetString()) == "accepted");
  auto b = push_feed(hub, tr, "transcripts", transcript("HP-THCS-0007", "HB-B-7", "2026-03-03", "", "chuyen_den"));
  REQUIRE(b.status == 200);
  auto bd = parse_json(b.body);
  REQUIRE(std::string(bd["results"][0]["status"].GetString()) == "merged");  // the student was known
  const std::string student = ad["results"][0]["entities"]["student"].GetString();
  REQUIRE(std::string(bd["results"][0]["entities"]["student"].GetString()) == student);
  const std::string school_a = school_id("HP-THCS-0012"), school_b = school_id("HP-THCS-0007");
  // The dates are the data's: A's enrollment ends on 2 March, B's has no end.
  CHECK(sql_value("select valid_from || ' ' || valid_to from golden_record where entity = 'enrollment'"
                  " and data->>'school' = '" + school_a + "'") == "2025-09-05 2026-03-02");
  CHECK(sql_value("select valid_from || ' ' || coalesce(valid_to::text, 'open') from golden_record"
                  " where entity = 'enrollment' and data->>'school' = '" + school_b + "'") == "2026-03-03 open");

  // The records API.
  for (auto [as_of, school, status] : {std::tuple{"2025-09-30", school_a, "CHUYEN_DI"}, {"2026-05-31", school_b, "CHUYEN_DEN"}}) {
    INFO(as_of);
    auto r = get(hub.url("/v1/records/student/" + student + "?as_of=" + as_of), ops);
    REQUIRE(r.status == 200);
    auto d = parse_json(r.body);
    REQUIRE(d["enrollments"].Size() == 1);
    CHECK(std::string(d["enrollments"][0]["data"]["school"].GetString()) == school);
    CHECK(std::string(d["enrollments"][0]["data"]["status"].GetString()) == status);
  }
  // The day before the transfer and the day of it.
  auto before = parse_json(get(hub.url("/v1/records/student/" + student + "?as_of=2026-03-02"), ops).body);
  REQUIRE(before["enrollments"].Size() == 1);
  CHECK(std::string(before["enrollments"][0]["data"]["school"].GetString()) == school_a);

  // The snapshot: the student with the enrollment in force that day.
  for (auto [as_of, school] : {std::pair{"2025-09-30", school_a}, {"2026-05-31", school_b}}) {
    INFO(as_of);
    auto s = snapshot("student", as_of);
    REQUIRE(s.exit_code == 0);
    auto line = line_of(s.out, student);
    REQUIRE(line.HasMember("in_force"));
    REQUIRE(line["in_force"]["enrollment"].Size() == 1);
    CHECK(std::string(line["in_force"]["enrollment"][0]["data"]["school"].GetString()) == school);
  }
  // Before she was enrolled anywhere: listed, with nothing in force.
  auto summer = line_of(snapshot("student", "2025-08-01").out, student);
  REQUIRE(summer.HasMember("in_force"));
  CHECK(summer["in_force"]["enrollment"].Size() == 0);
}

TEST_CASE("a staff member who moved school on 3 March is at A on 30 Sept and at B on 31 May", "[db][store]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_PUBLICATION_SECRET", kSecret}, {"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school", "--scope", "ingest:staff",
                                             "--scope", "ingest:staff_assignment"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(push_feed(hub, ops, "staff", read_file(kPartnersDir + "/demo-ops/samples/staff.json")).status == 200);
  auto pushed = push_feed(hub, ops, "assignments", read_file(kPartnersDir + "/demo-ops/samples/assignments.json"));
  REQUIRE(pushed.status == 200);
  auto d = parse_json(pushed.body);
  CHECK(std::string(d["results"][0]["status"].GetString()) == "accepted");
  CHECK(std::string(d["results"][1]["status"].GetString()) == "accepted");
  // No start date in the data: refused, not given one.
  CHECK(std::string(d["results"][2]["status"].GetString()) == "rejected");
  CHECK(std::string(d["results"][2]["errors"][0]["field"].GetString()) == "valid_from");
  // Ends before it starts: refused.
  CHECK(std::string(d["results"][3]["status"].GetString()) == "rejected");
  CHECK(count_rows("golden_record where entity = 'staff_assignment'") == "2");

  const std::string staff = sql_value("select record_id from natural_key where entity = 'staff'"
                                      " and key_name = 'moet_staff_code' and key_value = 'GV31-0012-001'");
  REQUIRE_FALSE(staff.empty());
  const std::string school_a = school_id("HP-THCS-0007"), school_b = school_id("HP-THCS-0012");
  for (auto [as_of, school, position] :
       {std::tuple{"2025-09-30", school_a, "Giáo viên"}, {"2026-05-31", school_b, "Tổ trưởng chuyên môn"}}) {
    INFO(as_of);
    auto r = get(hub.url("/v1/records/staff/" + staff + "?as_of=" + as_of), ops);
    REQUIRE(r.status == 200);
    auto rd = parse_json(r.body);
    REQUIRE(rd["staff_assignments"].Size() == 1);
    CHECK(std::string(rd["staff_assignments"][0]["data"]["school"].GetString()) == school);
    CHECK(std::string(rd["staff_assignments"][0]["data"]["position"].GetString()) == position);
    auto s = snapshot("staff", as_of);
    REQUIRE(s.exit_code == 0);
    auto line = line_of(s.out, staff);
    REQUIRE(line.HasMember("in_force"));
    REQUIRE(line["in_force"]["staff_assignment"].Size() == 1);
    CHECK(std::string(line["in_force"]["staff_assignment"][0]["data"]["school"].GetString()) == school);
  }
  CHECK(dangling_rows() == "0");
}

namespace {

// The students of a school in the EMIS report by school on a date (0 when the school has none).
long long emis_students(const std::string& report, const std::string& school_code) {
  auto d = parse_json(report);
  for (const auto& r : d["rows"].GetArray())
    if (std::string(r["school_code"].GetString()) == school_code && r["counts"].HasMember("students"))
      return r["counts"]["students"].GetInt64();
  return 0;
}

// The schools of a student's enrollments in an NDJSON snapshot of enrollments.
std::vector<std::string> enrollment_schools(const std::string& out, const std::string& student) {
  std::vector<std::string> schools;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto d = parse_json(line);
    if (std::string(d["data"]["student"].GetString()) == student) schools.push_back(d["data"]["school"].GetString());
  }
  return schools;
}

}  // namespace

// Guards: the transcript platform's enrollment identified by its student id alone, so the same
// platform sending the student at the new school after a transfer on 3 March moved the one
// enrollment there and the 30 September snapshot put the student in the new school; and, when
// the platform opens the new school without closing the old, a snapshot or report counting the
// student at both schools.
TEST_CASE("one platform, one student id: a transfer on 3 March keeps both enrollments - one school a day",
          "[db][store]") {
  for (bool closed : {true, false}) {
    INFO((closed ? "the old school closed with leftOn 2026-03-02" : "the old school never closed"));
    reset_database();
    HubProcess hub(std::map<std::string, std::string>{{"HUB_PUBLICATION_SECRET", kSecret}, {"HUB_SYNC_PUSH", "false"}});
    REQUIRE(hub.start());
    std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
    std::string tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment", "--scope",
                                                      "ingest:subject_result", "--scope", "ingest:term_summary"});
    std::string warehouse = add_partner("demo-warehouse", {"--scope", "pull:*"});
    REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);

    auto a = push_feed(hub, tr, "transcripts", transcript("HP-THCS-0012", "HB-9", "2025-09-05", "", "dang_hoc"));
    REQUIRE(a.status == 200);
    auto ad = parse_json(a.body);
    REQUIRE(std::string(ad["results"][0]["status"].GetString()) == "accepted");
    const std::string student = ad["results"][0]["entities"]["student"].GetString();
    const std::string first = ad["results"][0]["entities"]["enrollment"].GetString();
    if (closed) {
      auto left = push_feed(hub, tr, "transcripts", transcript("HP-THCS-0012", "HB-9", "2025-09-05", "2026-03-02", "chuyen_di"));
      REQUIRE(left.status == 200);
      CHECK(std::string(parse_json(left.body)["results"][0]["entities"]["enrollment"].GetString()) == first);
    }
    auto b = push_feed(hub, tr, "transcripts", transcript("HP-THCS-0007", "HB-9", "2026-03-03", "", "chuyen_den"));
    REQUIRE(b.status == 200);
    auto bd = parse_json(b.body);
    REQUIRE(std::string(bd["results"][0]["entities"]["student"].GetString()) == student);
    const std::string second = bd["results"][0]["entities"]["enrollment"].GetString();
    CHECK(second != first);  // a second enrollment, the first one left where it was

    const std::string school_a = school_id("HP-THCS-0012"), school_b = school_id("HP-THCS-0007");
    CHECK(count_rows("golden_record where entity = 'enrollment'") == "2");
    // The dates are the data's: without leftOn the old enrollment has no end.
    CHECK(sql_value("select data->>'school' || ' ' || valid_from || ' ' || coalesce(valid_to::text, 'open')"
                    " from golden_record where id = '" + first + "'") ==
          school_a + " 2025-09-05 " + (closed ? "2026-03-02" : "open"));
    CHECK(sql_value("select data->>'school' || ' ' || valid_from || ' ' || coalesce(valid_to::text, 'open')"
                    " from golden_record where id = '" + second + "'") == school_b + " 2026-03-03 open");

    for (auto [as_of, school, code, other] : {std::tuple{"2025-09-30", school_a, "HP-THCS-0012", "HP-THCS-0007"},
                                              {"2026-05-31", school_b, "HP-THCS-0007", "HP-THCS-0012"}}) {
      INFO(as_of);
      // The snapshot of students: one enrollment in force.
      auto s = snapshot("student", as_of);
      REQUIRE(s.exit_code == 0);
      auto line = line_of(s.out, student);
      REQUIRE(line.HasMember("in_force"));
      REQUIRE(line["in_force"]["enrollment"].Size() == 1);
      CHECK(std::string(line["in_force"]["enrollment"][0]["data"]["school"].GetString()) == school);
      // The snapshot of enrollments: one line for the student.
      auto e = snapshot("enrollment", as_of);
      REQUIRE(e.exit_code == 0);
      CHECK(enrollment_schools(e.out, student) == std::vector<std::string>{school});
      // The EMIS report counts the student once, at that school.
      auto report = get(hub.url(std::string("/v1/admin/reports/emis?as_of=") + as_of + "&by=school"), ops);
      REQUIRE(report.status == 200);
      CHECK(emis_students(report.body, code) == 1);
      CHECK(emis_students(report.body, other) == 0);
      // The records API as of the date.
      auto r = parse_json(get(hub.url("/v1/records/student/" + student + "?as_of=" + as_of), ops).body);
      REQUIRE(r["enrollments"].Size() == 1);
      CHECK(std::string(r["enrollments"][0]["data"]["school"].GetString()) == school);
    }

    // The change log and the warehouse's feed: each enrollment change once, in order.
    const std::string expected = closed ? first + ":create:1," + first + ":update:2," + second + ":create:1,"
                                        : first + ":create:1," + second + ":create:1,";
    CHECK(sql_value("select string_agg(record_id || ':' || op || ':' || version, ',' order by seq) || ','"
                    " from change_log where entity = 'enrollment'") == expected);
    auto feed = http("GET", hub.url("/v1/changes/enrollment?after=0&limit=1000"), "", {"Authorization: Bearer " + warehouse});
    REQUIRE(feed.status == 200);
    std::string got;
    auto changes = parse_json(feed.body);
    for (const auto& c : changes["changes"].GetArray())
      got += std::string(c["id"].GetString()) + ":" + c["op"].GetString() + ":" + std::to_string(c["version"].GetInt()) + ",";
    CHECK(got == expected);
    CHECK(dangling_rows() == "0");
  }
}

namespace {

// The project's catalogs, schemas and matching rules with the school list's mapping and the
// transcript mapping as it stood when its enrollment was keyed by the student id alone (no
// `key:`, version 1).
std::string student_keyed_mappings() {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("hub-student-keyed-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::path src = fs::path(kPartnersDir).parent_path();
  fs::create_directories(dir / "partners" / "demo-ops");
  fs::create_directories(dir / "partners" / "demo-transcripts");
  for (const char* sub : {"catalogs", "schema", "matching"}) fs::create_directory_symlink(src / sub, dir / sub);
  fs::create_symlink(src / "partners" / "demo-ops" / "schools.yaml", dir / "partners" / "demo-ops" / "schools.yaml");
  std::string text = read_file((src / "partners" / "demo-transcripts" / "transcripts.yaml").string());
  const std::string key = "    key: [$root.school.code, $root.schoolYear]\n";
  REQUIRE(text.find(key) != std::string::npos);
  text.erase(text.find(key), key.size());
  text.replace(text.find("version: 2"), 10, "version: 1");
  std::ofstream(dir / "partners" / "demo-transcripts" / "transcripts.yaml") << text;
  return dir.string();
}

}  // namespace

// Guards: the new key making a second enrollment for every student already stored under the
// old one (the same student, school and year counted twice from the next push on).
TEST_CASE("an enrollment stored under the student id alone is found again by its natural key", "[db][store]") {
  reset_database();
  std::string ops, tr, first;
  {
    HubProcess old_hub(std::map<std::string, std::string>{{"HUB_MAPPINGS_DIR", student_keyed_mappings()},
                                                          {"HUB_SYNC_PUSH", "false"}});
    REQUIRE(old_hub.start());
    ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
    tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment", "--scope",
                                          "ingest:subject_result", "--scope", "ingest:term_summary"});
    REQUIRE(push_feed(old_hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
    auto a = push_feed(old_hub, tr, "transcripts", transcript("HP-THCS-0012", "HB-9", "2025-09-05", "", "dang_hoc"));
    REQUIRE(a.status == 200);
    first = parse_json(a.body)["results"][0]["entities"]["enrollment"].GetString();
    REQUIRE(sql_value("select source_id from source_link where entity = 'enrollment'") == "HB-9");
  }
  HubProcess hub(std::map<std::string, std::string>{{"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  // The same enrollment sent again under the new key: the stored record, with a second link.
  auto again = push_feed(hub, tr, "transcripts", transcript("HP-THCS-0012", "HB-9", "2025-09-05", "", "dang_hoc"));
  REQUIRE(again.status == 200);
  auto d = parse_json(again.body);
  CHECK(std::string(d["mapping_version"].GetString()).rfind("2#", 0) == 0);
  CHECK(std::string(d["results"][0]["entities"]["enrollment"].GetString()) == first);
  CHECK(count_rows("golden_record where entity = 'enrollment'") == "1");
  CHECK(sql_value("select string_agg(source_id, ',' order by source_id) from source_link where entity = 'enrollment'") ==
        "HB-9,HB-9/enrollment/HP-THCS-0012/2025-2026");
  // The transfer: a second enrollment.
  auto b = push_feed(hub, tr, "transcripts", transcript("HP-THCS-0007", "HB-9", "2026-03-03", "", "chuyen_den"));
  REQUIRE(b.status == 200);
  CHECK(std::string(parse_json(b.body)["results"][0]["entities"]["enrollment"].GetString()) != first);
  CHECK(count_rows("golden_record where entity = 'enrollment'") == "2");
  CHECK(sql_value("select valid_to from golden_record where id = '" + first + "'") == "");  // nothing invented
}
