// Rollover rules that the demo feeds cannot express (the transcript platform sends TT22 ratings
// only, and no school feed sends a grade range): `promoted: false`, `must_retake`, TT27 (primary)
// "CHT" (chưa hoàn thành), and a multi-level school whose grade-5 pupils move on to grade 6 in
// the same school. A test partner with its own two mapping files sends them, through a real hub
// on the real PostgreSQL, then `hubctl rollover` plans and applies.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>

#include "hub/common/json.h"
#include "tests/support/test_env.h"
#include "tests/support/test_mappings.h"

using namespace hub::test;
namespace fs = std::filesystem;

namespace {

// The year-end feed: each student's enrollment of the year and, when sent, the year-end summary
// with the rollover's inputs (promoted, must_retake, retake_passed, TT27 overall rating).
const std::string kYearEnd =
    students_feed("test-yearend", "yearend", "$.students[*]", "      personal_id: {from: $.pid, transform: [personal_id]}\n") +
    R"(  - entity: enrollment
    fields:
      student: {ref: student}
      school: $root.school
      school_year: {from: $root.year, transform: [school_year]}
      grade: {from: $.grade, catalog: grade, by: code}
      status: {from: $.status, catalog: student_status, by: code}
      valid_from: {from: $.enrolledOn, transform: [{date: iso}]}
  - entity: term_summary
    when: {path: $.summary, exists: true}
    fields:
      student: {ref: student}
      school: $root.school
      school_year: {from: $root.year, transform: [school_year]}
      term: $.summary.term
      assessment_framework: $.summary.framework
      academic_rating: {from: $.summary.learning, catalog: rating_tt22, by: code}
      conduct_rating: {from: $.summary.conduct, catalog: rating_tt22, by: code}
      overall_rating: {from: $.summary.overall, catalog: rating_tt27, by: code}
      promoted: $.summary.promoted
      must_retake: $.summary.must_retake
      retake_passed: $.summary.retake_passed
)";

std::string make_mappings_dir() {
  return mappings_dir("rollover-rules",
                      {{"test-yearend/schools.yaml",
                        school_list_mapping("test-yearend", "",
                                            "      lowest_grade: {from: $.lowest, catalog: grade, by: code}\n"
                                            "      highest_grade: {from: $.highest, catalog: grade, by: code}\n")},
                       {"test-yearend/yearend.yaml", kYearEnd}});
}

struct Pupil {
  std::string id, pid, dob, grade, summary;  // summary: JSON or ""
};

std::string yearend(const std::string& school, const std::vector<Pupil>& pupils) {
  hub::json::JsonWriter w;
  w.begin_object().kv("school", school).kv("year", "2025-2026").key("students").begin_array();
  for (const auto& p : pupils) {
    w.begin_object().kv("id", p.id).kv("name", "Học Sinh " + spelled(p.id)).kv("dob", p.dob).kv("sex", "M").kv("pid", p.pid)
        .kv("grade", p.grade).kv("status", "DANG_HOC").kv("enrolledOn", "2025-09-05");
    if (!p.summary.empty()) w.key("summary").raw(p.summary);
    w.end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::string student_of(const std::string& source_id) { return linked_record("test-yearend", "student", source_id); }

// "grade|status|valid_to|is_repeating|school code" of the student's enrollment in `year`.
std::string enrollment(const std::string& student, const std::string& year) {
  return sql_value("select concat_ws('|', e.data->>'grade', e.data->>'status', coalesce(e.valid_to::text, '-'),"
                   " coalesce(e.data->>'is_repeating', '-'), s.data->>'school_code')"
                   " from golden_record e join golden_record s on s.id::text = e.data->>'school'"
                   " where e.entity = 'enrollment' and e.data->>'student' = '" + student +
                   "' and e.data->>'school_year' = '" + year + "'");
}

// The plan item's outcome and reason for the student's 2025-2026 enrollment.
std::string item(long long plan, const std::string& student) {
  return sql_value("select outcome || ': ' || reason from rollover_plan_item where plan_id = " + std::to_string(plan) +
                   " and student_id = '" + student + "'");
}

}  // namespace

TEST_CASE("rollover rules: not promoted - retake - TT27 CHT - multi-level school", "[db][ingest][rollover]") {
  reset_database();
  std::string dir = make_mappings_dir();
  std::map<std::string, std::string> env = {{"HUB_MAPPINGS_DIR", dir}};
  HubProcess hub(env);
  REQUIRE(hub.start());
  std::string t = add_partner("test-yearend", {"--scope", "ingest:school", "--scope", "ingest:student", "--scope",
                                               "ingest:enrollment", "--scope", "ingest:term_summary"});
  // A primary-only school (grades 1-5), a TH&THCS (1-9: its grade-5 pupils stay) and a THCS.
  auto schools = push_feed(hub, t, "schools", R"({"schools": [
      {"code": "T-TH", "name": "Tiểu học T", "level": "02", "type": "1", "province": "31", "commune": "11383", "lowest": "1", "highest": "5"},
      {"code": "T-THTHCS", "name": "TH và THCS T", "level": "03", "type": "3", "province": "31", "commune": "11383", "lowest": "1", "highest": "9"},
      {"code": "T-THCS", "name": "THCS T", "level": "03", "type": "1", "province": "31", "commune": "11383", "lowest": "6", "highest": "9"}]})");
  REQUIRE(schools.status == 200);
  for (const auto& r : parse_json(schools.body)["results"].GetArray())
    REQUIRE(std::string(r["status"].GetString()) == "accepted");

  const std::string tt27_ht = R"({"term": "CN", "framework": "TT27", "overall": "HT"})";
  std::vector<Pupil> primary = {
      // TT27 Chưa hoàn thành: repeats grade 3.
      {"P-CHT", "031217000101", "2017-02-01", "3", R"({"term": "CN", "framework": "TT27", "overall": "CHT"})"},
      // TT27 Hoàn thành: promoted.
      {"P-HT", "031217000102", "2017-03-01", "3", tt27_ht},
      // End of primary in a primary-only school: completes the programme.
      {"P-G5", "031215000103", "2015-04-01", "5", tt27_ht},
      // The school's decision beats the rating: CHT but promoted by the council (true), and a
      // good rating but not promoted (false).
      {"P-PROMOTED-TRUE", "031217000104", "2017-05-01", "4",
       R"({"term": "CN", "framework": "TT27", "overall": "CHT", "promoted": true})"},
      {"P-PROMOTED-FALSE", "031217000105", "2017-06-01", "4",
       R"({"term": "CN", "framework": "TT27", "overall": "HTT", "promoted": false})"},
  };
  std::vector<Pupil> multi = {
      {"M-G5", "031215000201", "2015-07-01", "5", tt27_ht},                                    // 5 -> 6, same school
      {"M-G5-CHT", "031215000202", "2015-08-01", "5", R"({"term": "CN", "framework": "TT27", "overall": "CHT"})"},
      {"M-G9", "031211000203", "2011-09-01", "9", R"({"term": "CN", "framework": "TT22", "learning": "1", "conduct": "1"})"},
  };
  std::vector<Pupil> thcs = {
      // TT22 not promoted (e.g. too many days absent) although the ratings pass.
      {"S-NOTPROMOTED", "031213000301", "2013-01-02", "7",
       R"({"term": "CN", "framework": "TT22", "learning": "3", "conduct": "2", "promoted": false})"},
      // Must retake in the summer: undecided until the retake result comes in.
      {"S-RETAKE", "031213000302", "2013-02-02", "7",
       R"({"term": "CN", "framework": "TT22", "learning": "4", "conduct": "2", "must_retake": true})"},
      // Retake done and failed: `retake_passed: false` is the decision (docs/operations.md), repeats.
      {"S-RETAKE-FAILED", "031213000304", "2013-04-02", "7",
       R"({"term": "CN", "framework": "TT22", "learning": "4", "conduct": "2", "must_retake": true, "promoted": false, "retake_passed": false})"},
      // The platform says promoted=false before the retake is sat: no decision yet, pending.
      {"S-RETAKE-PENDING", "031213000305", "2013-05-02", "7",
       R"({"term": "CN", "framework": "TT22", "learning": "4", "conduct": "2", "must_retake": true, "promoted": false})"},
      // Retake done and passed: `promoted: true` settles it, must_retake still set.
      {"S-RETAKE-PASSED", "031213000303", "2013-03-02", "7",
       R"({"term": "CN", "framework": "TT22", "learning": "3", "conduct": "2", "must_retake": true, "promoted": true})"},
  };
  for (const auto& [school, pupils] : std::vector<std::pair<std::string, std::vector<Pupil>>>{
           {"T-TH", primary}, {"T-THTHCS", multi}, {"T-THCS", thcs}}) {
    auto r = push_feed(hub, t, "yearend", yearend(school, pupils));
    REQUIRE(r.status == 200);
    for (const auto& x : parse_json(r.body)["results"].GetArray()) {
      INFO(r.body.substr(0, 600));
      REQUIRE(std::string(x["status"].GetString()) == "accepted");
    }
  }
  // The summaries arrived with their fields (else the rules below would test nothing).
  REQUIRE(count_rows("golden_record where entity = 'term_summary' and data->>'overall_rating' = 'CHT'") == "3");
  REQUIRE(count_rows("golden_record where entity = 'term_summary' and data ? 'promoted'") == "6");
  REQUIRE(count_rows("golden_record where entity = 'term_summary' and (data->>'must_retake')::boolean") == "4");
  REQUIRE(count_rows("golden_record where entity = 'term_summary' and data ? 'retake_passed'") == "1");
  REQUIRE(sql_value("select data->>'highest_grade' from golden_record where entity = 'school'"
                    " and data->>'school_code' = 'T-THTHCS'") == "9");

  auto dry = hubctl({"--json", "rollover", "2025-2026", "2026-2027"}, env);
  REQUIRE(dry.exit_code == 0);
  auto plan = parse_json(dry.out);
  REQUIRE(plan.IsObject());
  long long id = plan["plan"].GetInt64();
  CHECK(plan["enrollments"].GetInt() == 13);
  std::string cht = student_of("P-CHT"), ht = student_of("P-HT"), g5 = student_of("P-G5"),
              ptrue = student_of("P-PROMOTED-TRUE"), pfalse = student_of("P-PROMOTED-FALSE"), mg5 = student_of("M-G5"),
              mg5cht = student_of("M-G5-CHT"), mg9 = student_of("M-G9"), notpromoted = student_of("S-NOTPROMOTED"),
              retake = student_of("S-RETAKE"), failed = student_of("S-RETAKE-FAILED"),
              passed = student_of("S-RETAKE-PASSED"), pending = student_of("S-RETAKE-PENDING");
  CHECK(item(id, cht) == "repeating: CN TT27 Chưa hoàn thành");
  CHECK(item(id, ht).rfind("promoted:", 0) == 0);
  CHECK(item(id, g5).rfind("graduated:", 0) == 0);
  CHECK(item(id, ptrue) == "promoted: CN promoted=true");
  CHECK(item(id, pfalse) == "repeating: CN promoted=false");
  CHECK(item(id, mg5).rfind("promoted:", 0) == 0);
  CHECK(item(id, mg5cht) == "repeating: CN TT27 Chưa hoàn thành");
  CHECK(item(id, mg9).rfind("graduated:", 0) == 0);  // the school's highest grade
  CHECK(item(id, notpromoted) == "repeating: CN promoted=false");
  CHECK(item(id, retake) == "undecided: CN must_retake: awaiting the summer retake");
  CHECK(item(id, failed) == "repeating: CN retake_passed=false");
  CHECK(item(id, pending) == "undecided: CN must_retake: awaiting the summer retake (promoted=false before it)");
  CHECK(item(id, passed) == "promoted: CN promoted=true");
  CHECK(plan["counts"]["promoted"].GetInt() == 4);
  CHECK(plan["counts"]["repeating"].GetInt() == 5);
  CHECK(plan["counts"]["graduated"].GetInt() == 2);
  CHECK(plan["counts"]["undecided"].GetInt() == 2);

  auto applied = hubctl({"--json", "rollover", "2025-2026", "2026-2027", "--apply", std::to_string(id)}, env);
  REQUIRE(applied.exit_code == 0);
  auto ad = parse_json(applied.out);
  CHECK(ad["closed"].GetInt() == 11);  // all but the two undecided
  CHECK(ad["opened"].GetInt() == 9);   // all but the two undecided and the two who finished

  CHECK(enrollment(cht, "2026-2027") == "3|DANG_HOC|-|true|T-TH");
  CHECK(enrollment(cht, "2025-2026") == "3|DANG_HOC|2026-05-31|-|T-TH");
  CHECK(enrollment(ht, "2026-2027") == "4|DANG_HOC|-|-|T-TH");
  CHECK(enrollment(g5, "2025-2026") == "5|HOAN_THANH_CT|2026-05-31|-|T-TH");
  CHECK(enrollment(g5, "2026-2027").empty());
  CHECK(enrollment(ptrue, "2026-2027") == "5|DANG_HOC|-|-|T-TH");
  CHECK(enrollment(pfalse, "2026-2027") == "4|DANG_HOC|-|true|T-TH");
  // Multi-level school: grade 5 -> 6 in the same school, the old enrollment closed but not
  // marked as having completed (the pupil stays); its grade 9 still graduates.
  CHECK(enrollment(mg5, "2025-2026") == "5|DANG_HOC|2026-05-31|-|T-THTHCS");
  CHECK(enrollment(mg5, "2026-2027") == "6|DANG_HOC|-|-|T-THTHCS");
  CHECK(enrollment(mg5cht, "2026-2027") == "5|DANG_HOC|-|true|T-THTHCS");
  CHECK(enrollment(mg9, "2025-2026") == "9|TOT_NGHIEP|2026-05-31|-|T-THTHCS");
  CHECK(enrollment(mg9, "2026-2027").empty());
  CHECK(enrollment(notpromoted, "2026-2027") == "7|DANG_HOC|-|true|T-THCS");
  // Undecided: nothing written until the retake result comes; the next plan decides it.
  CHECK(enrollment(retake, "2025-2026") == "7|DANG_HOC|-|-|T-THCS");
  CHECK(enrollment(retake, "2026-2027").empty());
  CHECK(enrollment(pending, "2025-2026") == "7|DANG_HOC|-|-|T-THCS");
  CHECK(enrollment(pending, "2026-2027").empty());
  CHECK(enrollment(failed, "2026-2027") == "7|DANG_HOC|-|true|T-THCS");
  CHECK(enrollment(passed, "2026-2027") == "8|DANG_HOC|-|-|T-THCS");

  // The retakes are sat in August: one pupil passes (the school sends promoted=true), the one
  // whose platform had said promoted=false before it fails (retake_passed=false). A new plan
  // decides both and finds everyone else done.
  auto late = push_feed(hub, t, "yearend",
                        yearend("T-THCS", {{"S-RETAKE", "031213000302", "2013-02-02", "7",
                                            R"({"term": "CN", "framework": "TT22", "learning": "3", "conduct": "2", "must_retake": true, "promoted": true})"},
                                           {"S-RETAKE-PENDING", "031213000305", "2013-05-02", "7",
                                            R"({"term": "CN", "framework": "TT22", "learning": "4", "conduct": "2", "must_retake": true, "promoted": false, "retake_passed": false})"}}));
  REQUIRE(late.status == 200);
  auto dry2 = parse_json(hubctl({"--json", "rollover", "2025-2026", "2026-2027"}, env).out);
  REQUIRE(dry2.IsObject());
  CHECK(dry2["counts"]["to_open"].GetInt() == 2);
  CHECK(dry2["counts"]["to_close"].GetInt() == 2);
  CHECK(dry2["counts"]["undecided"].GetInt() == 0);
  REQUIRE(hubctl({"rollover", "2025-2026", "2026-2027", "--apply", std::to_string(dry2["plan"].GetInt64())}, env)
              .exit_code == 0);
  CHECK(enrollment(retake, "2026-2027") == "8|DANG_HOC|-|-|T-THCS");
  CHECK(enrollment(pending, "2026-2027") == "7|DANG_HOC|-|true|T-THCS");
  fs::remove_all(dir);
}
