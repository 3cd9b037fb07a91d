// School year rollover (hubctl rollover) against the real PostgreSQL with a real hub: the old
// year's enrollments come in through the transcript feed, then a dry run is planned and
// applied. Promoted, graduated, repeating and left-alone students; dates; lineage, change log
// and audit; a plan made stale by new data; applying twice; as_of before and after the rollover.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

#include "hub/common/json.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

struct Student {
  std::string id;       // the platform's student id
  std::string pid;      // personal ID: 031, 2 (male, 2000s), birth year, serial
  std::string dob;
  std::string grade;
  std::string status;
  std::string summary;  // JSON of the year-end summary, or ""
};

// One transcript-platform document of 2025-2026 for one school.
std::string transcripts(const std::string& school, const std::vector<Student>& students) {
  hub::json::JsonWriter w;
  w.begin_object().key("school").begin_object().kv("code", school).end_object()
      .kv("schoolYear", "2025-2026").key("students").begin_array();
  for (const auto& s : students) {
    w.begin_object().kv("studentId", s.id).kv("moetCode", "31" + s.pid.substr(4)).kv("fullName", "Học Sinh " + spelled(s.id))
        .kv("dob", s.dob).kv("sex", "M").kv("ethnicCode", "01").kv("citizenId", s.pid).kv("grade", s.grade)
        .kv("enrolledOn", "2025-09-05").kv("status", s.status).key("results").begin_array()
        .begin_object().kv("subject", "TOAN").kv("term", "CN").kv("score", 7).end_object().end_array();
    if (!s.summary.empty()) w.key("summary").raw(s.summary);
    w.end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::string student_of(const std::string& source_id) { return linked_record("demo-transcripts", "student", source_id); }

// "grade|status|valid_from|valid_to|is_repeating" of the student's enrollment in `year` ("" if none).
std::string enrollment(const std::string& student, const std::string& year) {
  return sql_value("select concat_ws('|', data->>'grade', data->>'status', valid_from::text,"
                   " coalesce(valid_to::text, '-'), coalesce(data->>'is_repeating', '-'))"
                   " from golden_record where entity = 'enrollment' and data->>'student' = '" + student +
                   "' and data->>'school_year' = '" + year + "'");
}

const std::string kEnd = "2026-05-31", kStart = "2026-09-05";

}  // namespace

TEST_CASE("school year rollover: plan - review - apply once", "[db][ingest][rollover]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                                    "--scope", "ingest:subject_result", "--scope",
                                                    "ingest:term_summary", "--scope", "pull:student", "--scope",
                                                    "pull:enrollment"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  // A primary school, for the end of primary (grade 5).
  REQUIRE(push_feed(hub, ops, "schools",
               R"({"maTruong":"HP-TH-0100","tenTruong":"Trường Tiểu học A","capHoc":"Tiểu học","loaiHinh":"Công lập","maTinh":"31","maXa":"11383"})",
               "application/x-ndjson").status == 200);

  const std::string good = R"({"term": "CN", "learning": "T", "conduct": "K"})";
  std::vector<Student> thcs = {
      {"RO-PROMOTED", "031214000001", "2014-01-05", "6", "dang_hoc", good},
      {"RO-GRAD9", "031211000002", "2011-03-01", "9", "dang_hoc", good},
      {"RO-FAILED", "031213000003", "2013-04-02", "7", "dang_hoc", R"({"term": "CN", "learning": "CĐ", "conduct": "Đ"})"},
      {"RO-KEPTBACK", "031212000004", "2012-05-03", "8", "luu_ban", ""},
      {"RO-NOSUMMARY", "031212000005", "2012-06-04", "8", "dang_hoc", ""},
      {"RO-DROPPED", "031214000006", "2014-07-05", "6", "thoi_hoc", ""},
  };
  auto a = push_feed(hub, tr, "transcripts", transcripts("HP-THCS-0012", thcs));
  REQUIRE(a.status == 200);
  for (const auto& r : parse_json(a.body)["results"].GetArray()) REQUIRE(std::string(r["status"].GetString()) == "accepted");
  auto b = push_feed(hub, tr, "transcripts",
                transcripts("HP-TH-0100", {{"RO-GRAD5", "031215000007", "2015-08-06", "5", "dang_hoc", good}}));
  REQUIRE(b.status == 200);
  REQUIRE(std::string(parse_json(b.body)["results"][0]["status"].GetString()) == "accepted");
  std::string promoted = student_of("RO-PROMOTED"), grad9 = student_of("RO-GRAD9"), failed = student_of("RO-FAILED"),
              keptback = student_of("RO-KEPTBACK"), nosummary = student_of("RO-NOSUMMARY"),
              dropped = student_of("RO-DROPPED"), grad5 = student_of("RO-GRAD5");
  REQUIRE(enrollment(promoted, "2025-2026") == "6|DANG_HOC|2025-09-05|-|-");

  // Bad input: exit 2 and a message, nothing stored.
  auto wrong = hubctl({"rollover", "2025-2026", "2027-2028"});
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("does not follow 2025-2026") != std::string::npos);
  CHECK(hubctl({"rollover", "2025-26", "2026-2027"}).exit_code == 2);
  CHECK(hubctl({"rollover", "2025-2026", "2026-2027", "--closes-on", "2026-02-30"}).exit_code == 2);
  CHECK(hubctl({"rollover", "2025-2026", "2026-2027", "--closes-on", "2026-09-10"}).exit_code == 2);
  CHECK(hubctl({"rollover", "2025-2026", "2026-2027", "--apply", "999"}).exit_code == 2);
  CHECK(count_rows("rollover_plan") == "0");

  // The dry run: a stored plan, counts per outcome, and no golden record touched.
  std::string records = count_rows("golden_record"), changes = count_rows("change_log"), versions = count_rows("record_version");
  auto dry = hubctl({"--json", "rollover", "2025-2026", "2026-2027"});
  REQUIRE(dry.exit_code == 0);
  auto plan = parse_json(dry.out);
  REQUIRE(plan.IsObject());
  long long plan_id = plan["plan"].GetInt64();
  CHECK(plan["enrollments"].GetInt() == 7);
  CHECK(plan["counts"]["promoted"].GetInt() == 2);   // grade 6 with a good result, grade 8 without one
  CHECK(plan["counts"]["graduated"].GetInt() == 2);  // grade 9 and grade 5
  CHECK(plan["counts"]["repeating"].GetInt() == 2);  // TT22 Chưa đạt, status LUU_BAN
  CHECK(plan["counts"]["not_rolled"].GetInt() == 1);  // dropped out
  CHECK(plan["counts"]["to_close"].GetInt() == 6);
  CHECK(plan["counts"]["to_open"].GetInt() == 4);
  CHECK(plan["sample"].Size() >= 5);
  CHECK(dry.out.find("031214") == std::string::npos);  // no personal ID in the plan
  CHECK(count_rows("golden_record") == records);
  CHECK(count_rows("change_log") == changes);
  CHECK(count_rows("record_version") == versions);
  CHECK(count_rows("rollover_plan_item where plan_id = " + std::to_string(plan_id)) == "7");
  CHECK(count_rows("audit_log where action = 'rollover.plan'") == "1");
  CHECK(enrollment(promoted, "2026-2027").empty());
  // The text form tells how to apply it.
  auto text = hubctl({"rollover", "2025-2026", "2026-2027", "--show", std::to_string(plan_id)});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("--apply " + std::to_string(plan_id)) != std::string::npos);

  // New data after the review makes the plan stale: it is refused whole.
  REQUIRE(push_feed(hub, tr, "transcripts",
               transcripts("HP-THCS-0012", {{"RO-LATE", "031214000008", "2014-09-07", "6", "dang_hoc", good}}))
              .status == 200);
  auto stale = hubctl({"rollover", "2025-2026", "2026-2027", "--apply", std::to_string(plan_id)});
  CHECK(stale.exit_code == 1);
  CHECK(stale.err.find("rollover.stale_plan") != std::string::npos);
  CHECK(enrollment(promoted, "2026-2027").empty());
  CHECK(count_rows("rollover_plan where status = 'applied'") == "0");

  // A new plan, applied.
  auto dry2 = parse_json(hubctl({"--json", "rollover", "2025-2026", "2026-2027"}).out);
  REQUIRE(dry2.IsObject());
  long long plan2 = dry2["plan"].GetInt64();
  CHECK(dry2["counts"]["promoted"].GetInt() == 3);
  changes = count_rows("change_log");
  auto applied = hubctl({"--json", "rollover", "2025-2026", "2026-2027", "--apply", std::to_string(plan2)});
  REQUIRE(applied.exit_code == 0);
  auto ad = parse_json(applied.out);
  CHECK(ad["closed"].GetInt() == 7);
  CHECK(ad["opened"].GetInt() == 5);
  CHECK_FALSE(ad["already_applied"].GetBool());

  CHECK(enrollment(promoted, "2025-2026") == "6|DANG_HOC|2025-09-05|" + kEnd + "|-");
  CHECK(enrollment(promoted, "2026-2027") == "7|DANG_HOC|" + kStart + "|-|-");
  CHECK(enrollment(nosummary, "2026-2027") == "9|DANG_HOC|" + kStart + "|-|-");
  CHECK(enrollment(grad9, "2025-2026") == "9|TOT_NGHIEP|2025-09-05|" + kEnd + "|-");
  CHECK(enrollment(grad9, "2026-2027").empty());
  CHECK(enrollment(grad5, "2025-2026") == "5|HOAN_THANH_CT|2025-09-05|" + kEnd + "|-");
  CHECK(enrollment(grad5, "2026-2027").empty());
  CHECK(enrollment(failed, "2026-2027") == "7|DANG_HOC|" + kStart + "|-|true");
  CHECK(enrollment(keptback, "2025-2026") == "8|LUU_BAN|2025-09-05|" + kEnd + "|-");
  CHECK(enrollment(keptback, "2026-2027") == "8|DANG_HOC|" + kStart + "|-|true");
  CHECK(enrollment(dropped, "2025-2026") == "6|THOI_HOC|2025-09-05|-|-");  // left alone
  CHECK(enrollment(dropped, "2026-2027").empty());
  // Same school for the new enrollment.
  CHECK(sql_value("select count(distinct data->>'school') from golden_record where entity = 'enrollment'"
                  " and data->>'student' = '" + promoted + "'") == "1");

  // Through the golden store: versions, lineage of partner rollover, change log, batch, audit.
  CHECK(count_rows("change_log") == std::to_string(std::stoll(changes) + 12));
  std::string batch = std::to_string(ad["batch"].GetInt64());
  CHECK(count_rows("change_log where batch_id = " + batch + " and op = 'create'") == "5");
  CHECK(count_rows("change_log where batch_id = " + batch + " and op = 'update'") == "7");
  CHECK(sql_value("select version from golden_record where entity = 'enrollment' and data->>'student' = '" + promoted +
                  "' and data->>'school_year' = '2025-2026'") == "2");
  CHECK(count_rows("record_version v join golden_record g on g.id = v.record_id where g.data->>'student' = '" + promoted +
              "' and g.entity = 'enrollment'") == "3");
  CHECK(sql_value("select field_lineage(lineage, 'valid_to')->>'partner' from golden_record where entity = 'enrollment' and"
                  " data->>'student' = '" + promoted + "' and data->>'school_year' = '2025-2026'") == "rollover");
  CHECK(sql_value("select field_lineage(lineage, 'grade')->>'partner' from golden_record where entity = 'enrollment' and"
                  " data->>'student' = '" + promoted + "' and data->>'school_year' = '2026-2027'") == "rollover");
  CHECK(sql_value("select field_lineage(lineage, 'grade')->>'mapping_version' from golden_record where entity = 'enrollment' and"
                  " data->>'student' = '" + promoted + "' and data->>'school_year' = '2026-2027'") ==
        "rollover plan " + std::to_string(plan2));
  CHECK(sql_value("select status from inbox_batch where id = " + batch) == "done");
  CHECK(count_rows("batch_record where batch_id = " + batch) == "7");
  CHECK(count_rows("audit_log where action = 'rollover.apply'") == "1");
  CHECK(sql_value("select detail->>'opened' from audit_log where action = 'rollover.apply'") == "5");

  // as_of before and after the rollover date answers the right grade.
  auto march = parse_json(get(hub.url("/v1/records/student/" + promoted + "?as_of=2026-03-15"), ops).body);
  REQUIRE(march["enrollments"].Size() == 1);
  CHECK(std::string(march["enrollments"][0]["data"]["grade"].GetString()) == "6");
  auto summer = parse_json(get(hub.url("/v1/records/student/" + promoted + "?as_of=2026-07-01"), ops).body);
  CHECK(summer["enrollments"].Size() == 0);
  auto october = parse_json(get(hub.url("/v1/records/student/" + promoted + "?as_of=2026-10-01"), ops).body);
  REQUIRE(october["enrollments"].Size() == 1);
  CHECK(std::string(october["enrollments"][0]["data"]["grade"].GetString()) == "7");
  CHECK(std::string(october["enrollments"][0]["valid_from"].GetString()) == kStart);
  auto grad_oct = parse_json(get(hub.url("/v1/records/student/" + grad9 + "?as_of=2026-10-01"), ops).body);
  CHECK(grad_oct["enrollments"].Size() == 0);

  // Twice is a no-op: the applied plan again, then a new plan that finds everything done.
  records = count_rows("golden_record");
  changes = count_rows("change_log");
  auto again = hubctl({"--json", "rollover", "2025-2026", "2026-2027", "--apply", std::to_string(plan2)});
  REQUIRE(again.exit_code == 0);
  CHECK(parse_json(again.out)["already_applied"].GetBool());
  auto dry3 = parse_json(hubctl({"--json", "rollover", "2025-2026", "2026-2027"}).out);
  REQUIRE(dry3.IsObject());
  CHECK(dry3["counts"]["to_close"].GetInt() == 0);
  CHECK(dry3["counts"]["to_open"].GetInt() == 0);
  CHECK(dry3["counts"]["already_done"].GetInt() == 7);
  auto noop = parse_json(hubctl({"--json", "rollover", "2025-2026", "2026-2027", "--apply",
                            std::to_string(dry3["plan"].GetInt64())}).out);
  REQUIRE(noop.IsObject());
  CHECK(noop["closed"].GetInt() == 0);
  CHECK(noop["opened"].GetInt() == 0);
  CHECK(count_rows("golden_record") == records);
  CHECK(count_rows("change_log") == changes);
  CHECK(count_rows("golden_record where entity = 'enrollment' and data->>'school_year' = '2026-2027'") == "5");
  // An older plan cannot be applied over the result.
  CHECK(hubctl({"rollover", "2025-2026", "2026-2027", "--apply", std::to_string(plan_id)}).exit_code == 1);
}

TEST_CASE("rollover dates are configurable per run", "[db][ingest][rollover]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "ingest:school"});
  std::string tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                                    "--scope", "ingest:subject_result", "--scope",
                                                    "ingest:term_summary"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(push_feed(hub, tr, "transcripts",
               transcripts("HP-THPT-0003", {{"RO-11", "031209000011", "2009-02-02", "11", "dang_hoc", ""},
                                            {"RO-12", "031208000012", "2008-03-03", "12", "dang_hoc", ""}}))
              .status == 200);
  auto dry = parse_json(hubctl({"--json", "rollover", "2025-2026", "2026-2027", "--closes-on", "2026-06-15",
                           "--opens-on", "2026-09-01"}).out);
  REQUIRE(dry.IsObject());
  CHECK(std::string(dry["closes_on"].GetString()) == "2026-06-15");
  REQUIRE(hubctl({"rollover", "2025-2026", "2026-2027", "--apply", std::to_string(dry["plan"].GetInt64())})
              .exit_code == 0);
  std::string s11 = student_of("RO-11"), s12 = student_of("RO-12");
  CHECK(enrollment(s11, "2025-2026") == "11|DANG_HOC|2025-09-05|2026-06-15|-");
  CHECK(enrollment(s11, "2026-2027") == "12|DANG_HOC|2026-09-01|-|-");
  CHECK(enrollment(s12, "2025-2026") == "12|TOT_NGHIEP|2025-09-05|2026-06-15|-");
  CHECK(enrollment(s12, "2026-2027").empty());
}

TEST_CASE("rollover: a student merged into another is one person", "[db][ingest][rollover]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "ingest:school"});
  std::string tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                                    "--scope", "ingest:subject_result", "--scope",
                                                    "ingest:term_summary"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(push_feed(hub, tr, "transcripts",
               transcripts("HP-THCS-0012", {{"RO-A", "031214000021", "2014-01-21", "6", "dang_hoc", ""}}))
              .status == 200);
  REQUIRE(push_feed(hub, tr, "transcripts",
               transcripts("HP-THCS-0007", {{"RO-B", "031213000022", "2013-02-22", "7", "dang_hoc", ""}}))
              .status == 200);
  std::string a = student_of("RO-A"), b = student_of("RO-B");
  REQUIRE(!a.empty());
  REQUIRE(a != b);
  // Two enrollments of two students: two promotions.
  auto before = parse_json(hubctl({"--json", "rollover", "2025-2026", "2026-2027"}).out);
  REQUIRE(before.IsObject());
  CHECK(before["counts"]["promoted"].GetInt() == 2);
  // Once a person decides they are the same child, two schools at once is a question, not two
  // new enrollments.
  // The merged student points at its survivor; the enrollment keeps referring to the merged id.
  auto merged = hubctl({"merge", b, "--into", a});
  REQUIRE(merged.exit_code == 0);
  REQUIRE(sql_value("select merged_into::text from golden_record where id = '" + b + "'") == a);
  auto after = parse_json(hubctl({"--json", "rollover", "2025-2026", "2026-2027"}).out);
  REQUIRE(after.IsObject());
  CHECK(after["counts"]["undecided"].GetInt() == 2);
  CHECK(after["counts"]["to_open"].GetInt() == 0);
  CHECK(after["counts"]["to_close"].GetInt() == 0);
}
