// The EMIS cut-off report against a real hub and PostgreSQL, on the demo data (the school list,
// the transcript platform's sample with Mai who joined on 3 March, the HR register) and a test
// partner's classes, pupils and staff, each figure counted by hand below. Guards against: a child
// counted before the day they joined or at the school they left, dropped-out and not-yet-started
// people counted, figures that change from one run to the next (CSV, xlsx), a workbook that does
// not read back, a frozen submission that changes with later corrections or can be updated, open
// data that shows a cell of fewer than 5 persons or one that can be recomputed from the total,
// and a partner of one unit seeing another's figures.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

#include "hub/common/json.h"
#include "tests/support/checks.h"
#include "tests/support/test_env.h"
#include "tests/support/test_mappings.h"
#include "tests/support/xlsx_reader.h"

using namespace hub::test;
namespace fs = std::filesystem;

namespace {

const char* kClasses = R"(partner: test-emis
feed: classes
version: 1
records: $.classes[*]
source_id: $.id
emit:
  - entity: class
    fields:
      school: $.school
      school_year: {from: $.year, transform: [school_year]}
      grade: {from: $.grade, catalog: grade, by: code}
      name: $.name
)";

const char* kStaff = R"(partner: test-emis
feed: staff
version: 1
records: $.staff[*]
source_id: $.id
emit:
  - entity: staff
    fields:
      full_name: $.name
      birth_date: {from: $.dob, transform: [{date: iso}]}
      gender: {from: $.sex, catalog: gender, by: code}
      personal_id: {from: $.pid, transform: [personal_id]}
      school: $.school
      staff_group: $.group
      employment_status: $.status
      school_start_date: {from: $.start, transform: [{date: iso}]}
)";

// The demo partners' school list, transcripts and HR register, and the test partner's classes,
// pupils (with ethnicity, policy group and personal ID; periods of 2025-2026 that may end) and
// staff.
std::string make_mappings_dir() {
  return mappings_dir("emis",
                      {{"test-emis/classes.yaml", kClasses},
                       {"test-emis/pupils.yaml",
                        pupil_periods_mapping("test-emis",
                                              "      ethnicity: {from: $.ethnicity, catalog: ethnicity, by: code}\n"
                                              "      policy_group: $.policy\n"
                                              "      personal_id: {from: $.pid, transform: [personal_id]}\n",
                                              "      school_year: {value: \"2025-2026\"}\n"
                                              "      status: {from: $.status, catalog: student_status, by: code}\n"
                                              "      valid_to: {from: $.to, transform: [{date: iso}]}\n")},
                       {"test-emis/staff.yaml", kStaff}},
                      {"demo-ops/schools.yaml", "demo-transcripts/transcripts.yaml", "demo-hr/staff.yaml"});
}

struct Period {
  std::string school, grade, status, from, to;
};
struct Pupil {
  std::string id, sex, ethnicity, policy, dob, pid;
  std::vector<Period> periods;
};

std::string pupils_body(const std::vector<Pupil>& pupils) {
  hub::json::JsonWriter w;
  w.begin_object().key("pupils").begin_array();
  for (const auto& p : pupils) {
    w.begin_object().kv("id", p.id).kv("name", "Học Sinh " + spelled(p.id)).kv("dob", p.dob).kv("sex", p.sex)
        .kv("ethnicity", p.ethnicity).kv("pid", p.pid);
    if (!p.policy.empty()) w.kv("policy", p.policy);
    w.key("periods").begin_array();
    for (const auto& e : p.periods) {
      w.begin_object().kv("school", e.school).kv("grade", e.grade).kv("status", e.status).kv("from", e.from);
      if (!e.to.empty()) w.kv("to", e.to);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
  return w.str();
}

// 12-digit personal ID of a pupil born in 20yy: Hải Phòng (031), the century-and-gender digit.
std::string pid(const std::string& sex, const std::string& yy, const std::string& serial) {
  return "031" + std::string(sex == "M" ? "2" : "3") + yy + serial;
}

std::vector<Pupil> fixture_pupils() {
  const std::string a = "HP-THCS-0012", b = "HP-THCS-0007";
  std::vector<Pupil> out = {
      // At Lê Chân (0012), besides the transcript platform's An (grade 6, from 5 Sept) and Mai
      // (grade 6, from 3 March):
      {"P1", "F", "01", "CON_THUONG_BINH", "2013-01-10", pid("F", "13", "900001"), {{a, "7", "DANG_HOC", "2025-09-05", ""}}},
      {"P2", "M", "01", "", "2013-02-10", pid("M", "13", "900002"), {{a, "7", "DANG_HOC", "2025-09-05", ""}}},
      // Transferred to Ngô Quyền (0007) on 15 November: at 0012 on 30 Sept, at 0007 on 31 May.
      {"T1", "M", "01", "", "2012-03-10", pid("M", "12", "900003"),
       {{a, "8", "CHUYEN_DI", "2025-09-05", "2025-11-14"}, {b, "8", "CHUYEN_DEN", "2025-11-15", ""}}},
      // Dropped out on an unknown day: never counted, reported as left undated.
      {"D1", "M", "01", "", "2011-04-10", pid("M", "11", "900004"), {{a, "9", "THOI_HOC", "2025-09-05", ""}}},
      // Dropped out on 20 December: counted on 30 Sept only.
      {"D2", "F", "01", "", "2011-05-10", pid("F", "11", "900005"), {{a, "9", "THOI_HOC", "2025-09-05", "2025-12-20"}}},
  };
  // At Ngô Quyền (0007): eight grade-6 pupils, six boys and two girls, one of them Mường (04).
  for (int i = 1; i <= 8; ++i) {
    std::string sex = i <= 6 ? "M" : "F";
    out.push_back({"Q" + std::to_string(i), sex, i == 8 ? "04" : "01", "", "2014-06-1" + std::to_string(i % 10),
                   pid(sex, "14", "90010" + std::to_string(i)), {{b, "6", "DANG_HOC", "2025-09-05", ""}}});
  }
  return out;
}

const char* kClassesBody = R"({"classes": [
  {"id": "C1", "school": "HP-THCS-0012", "year": "2025-2026", "grade": "6", "name": "6A1"},
  {"id": "C2", "school": "HP-THCS-0012", "year": "2025-2026", "grade": "7", "name": "7A1"},
  {"id": "C3", "school": "HP-THCS-0012", "year": "2025-2026", "grade": "8", "name": "8A1"},
  {"id": "C4", "school": "HP-THCS-0012", "year": "2025-2026", "grade": "9", "name": "9A1"},
  {"id": "C5", "school": "HP-THCS-0012", "year": "2024-2025", "grade": "6", "name": "6A1"},
  {"id": "C6", "school": "HP-THCS-0007", "year": "2025-2026", "grade": "6", "name": "6A1"},
  {"id": "C7", "school": "HP-THCS-0007", "year": "2025-2026", "grade": "6", "name": "6A2"}]})";

// At 0012: a teacher who started on 15 October, and a retired one.
const char* kStaffBody = R"({"staff": [
  {"id": "S1", "name": "Giáo Viên Mới", "dob": "1995-01-01", "sex": "F", "pid": "031195900011", "school": "HP-THCS-0012",
   "group": "GV", "status": "DANG_LAM_VIEC", "start": "2025-10-15"},
  {"id": "S2", "name": "Giáo Viên Hưu", "dob": "1960-01-01", "sex": "M", "pid": "031060900012", "school": "HP-THCS-0012",
   "group": "GV", "status": "NGHI_HUU", "start": "1990-09-01"}]})";

// A hub with the demo data and the test partner's records, and an admin token.
struct Fixture {
  std::string dir = make_mappings_dir();
  HubProcess hub{std::map<std::string, std::string>{{"HUB_MAPPINGS_DIR", dir}, {"HUB_SYNC_PUSH", "false"}}};
  std::string ops, test_emis;
  Fixture() {
    reset_database();
    REQUIRE(hub.start());
    ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
    std::string tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment", "--scope",
                                                      "ingest:subject_result", "--scope", "ingest:term_summary"});
    std::string hr = add_partner("demo-hr", {"--scope", "ingest:staff"});
    test_emis = add_partner("test-emis", {"--scope", "ingest:class", "--scope", "ingest:student", "--scope",
                                          "ingest:enrollment", "--scope", "ingest:staff"});
    require_all_accepted(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")));
    std::string body = read_file(kPartnersDir + "/demo-transcripts/samples/transcripts.json");
    body.replace(body.find("\"score\": 10.5"), 13, "\"score\": 9.5");  // Mai's record clean: An and Mai stored
    REQUIRE(push_feed(hub, tr, "transcripts", body).status == 200);
    REQUIRE(count_rows("golden_record where entity = 'enrollment'") == "2");
    // HR register: 6 stored (0012: a GV from 2015 and the CBQL; 0007: a GV and a look-alike GV
    // with another personal ID, both kept with a review item until someone decides; 0003: an NV
    // and a GV on leave) and two rejected.
    REQUIRE(push_feed(hub, hr, "staff", read_file(kPartnersDir + "/demo-hr/samples/staff.json")).status == 200);
    REQUIRE(count_rows("golden_record where entity = 'staff'") == "6");
    require_all_accepted(push_feed(hub, test_emis, "classes", kClassesBody));
    require_all_accepted(push_feed(hub, test_emis, "pupils", pupils_body(fixture_pupils())));
    require_all_accepted(push_feed(hub, test_emis, "staff", kStaffBody));
  }
  HttpResult get_as(const std::string& token, const std::string& path) { return get(hub.url(path), token); }
};

// counts of one row of a report's JSON, by school code (or commune code for reports by commune).
std::map<std::string, long long> counts_of(const rapidjson::Document& d, const std::string& unit) {
  std::map<std::string, long long> out;
  for (const auto& r : d["rows"].GetArray()) {
    std::string code = r.HasMember("school_code") ? r["school_code"].GetString() : r["commune"].GetString();
    if (code != unit) continue;
    for (const auto& m : r["counts"].GetObject()) out[m.name.GetString()] = m.value.GetInt64();
  }
  return out;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::vector<std::string>> csv_rows(const std::string& csv) {
  std::vector<std::vector<std::string>> out;
  std::string text = csv.rfind("\xEF\xBB\xBF", 0) == 0 ? csv.substr(3) : csv;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::string cell;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cell += '"', ++i;
        else if (c == '"') quoted = false;
        else cell += c;
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += c;
      }
    }
    cells.push_back(cell);
    out.push_back(cells);
  }
  return out;
}

// The cell of `column` (a header) in the row whose cell in `key_column` is `key`.
std::string csv_cell(const std::vector<std::vector<std::string>>& rows, const std::string& key_column, const std::string& key,
                     const std::string& column) {
  const auto& h = rows.at(0);
  auto kc = std::find(h.begin(), h.end(), key_column) - h.begin();
  auto cc = std::find(h.begin(), h.end(), column) - h.begin();
  if (kc == static_cast<long>(h.size()) || cc == static_cast<long>(h.size())) return "<no column " + column + ">";
  for (std::size_t i = 1; i < rows.size(); ++i)
    if (rows[i].at(kc) == key) return rows[i].at(cc);
  return "<no row " + key + ">";
}

std::string column_letter(std::size_t index) {
  std::string s;
  for (std::size_t n = index + 1; n > 0; n = (n - 1) / 26) s.insert(s.begin(), static_cast<char>('A' + (n - 1) % 26));
  return s;
}

}  // namespace

TEST_CASE("emis report counts each measure by school and commune on 30 Sept and 31 May", "[db][reports]") {
  Fixture f;
  auto report = [&](const std::string& as_of, const std::string& by) {
    auto r = f.get_as(f.ops, "/v1/admin/reports/emis?as_of=" + as_of + "&by=" + by);
    INFO(r.body.substr(0, 500));
    REQUIRE(r.status == 200);
    return parse_json(r.body);
  };

  auto sept = report("2025-09-30", "school");
  CHECK(std::string(sept["school_year"].GetString()) == "2025-2026");
  REQUIRE(sept["rows"].Size() == 4);  // the four demo schools, ordered by province, commune, code
  CHECK(std::string(sept["rows"][0]["school_code"].GetString()) == "HN-THCS-0001");
  // Lê Chân (0012): An, P1, P2, T1 (not yet transferred), D2 (not yet dropped out); not Mai (3
  // March) nor D1 (left on an unknown day).
  auto a = counts_of(sept, "HP-THCS-0012");
  CHECK(a["schools"] == 1);
  CHECK(a["classes"] == 4);  // 6A1..9A1 of 2025-2026, not 6A1 of 2024-2025
  CHECK(a["students"] == 5);
  CHECK(a["students.grade.6"] == 1);
  CHECK(a["students.grade.7"] == 2);
  CHECK(a["students.grade.8"] == 1);
  CHECK(a["students.grade.9"] == 1);
  CHECK(a["students.gender.M"] == 3);
  CHECK(a["students.gender.F"] == 2);
  CHECK(a["students.ethnicity.01"] == 5);
  CHECK(a["students.ethnicity.04"] == 0);  // Mai (Mường) joined in March
  CHECK(a["students.policy_group.CON_THUONG_BINH"] == 1);
  CHECK(a["students.policy_group.-"] == 4);
  CHECK(a["students_left_undated"] == 1);
  CHECK(a["staff"] == 2);  // not the teacher who started on 15 October, not the retired one
  CHECK(a["staff.group.CBQL"] == 1);
  CHECK(a["staff.group.GV"] == 1);
  auto b = counts_of(sept, "HP-THCS-0007");
  CHECK(b["students"] == 8);
  CHECK(b["students.grade.6"] == 8);
  CHECK(b["students.grade.8"] == 0);
  CHECK(b["students.gender.M"] == 6);
  CHECK(b["students.gender.F"] == 2);
  CHECK(b["students.ethnicity.04"] == 1);
  CHECK(b["classes"] == 2);
  CHECK(b["staff"] == 2);  // the look-alike is a record of its own until a reviewer merges it
  auto c = counts_of(sept, "HP-THPT-0003");
  CHECK(c["students"] == 0);
  CHECK(c["staff"] == 2);  // an NV working and a GV on leave
  CHECK(c["staff.group.NV"] == 1);
  CHECK(counts_of(sept, "HN-THCS-0001")["schools"] == 1);
  CHECK(sept["total"]["students"].GetInt64() == 13);
  CHECK(sept["total"]["staff"].GetInt64() == 6);
  CHECK(sept["total"]["classes"].GetInt64() == 6);
  CHECK(sept["total"]["schools"].GetInt64() == 4);

  auto may = report("2026-05-31", "school");
  a = counts_of(may, "HP-THCS-0012");
  CHECK(a["students"] == 4);  // An, P1, P2 and Mai; T1 at 0007 now, D2 gone
  CHECK(a["students.grade.6"] == 2);
  CHECK(a["students.grade.8"] == 0);
  CHECK(a["students.gender.F"] == 2);
  CHECK(a["students.ethnicity.04"] == 1);
  CHECK(a["students_left_undated"] == 1);
  CHECK(a["staff"] == 3);
  CHECK(a["staff.group.GV"] == 2);
  b = counts_of(may, "HP-THCS-0007");
  CHECK(b["students"] == 9);  // the transferred child counts at the new school
  CHECK(b["students.grade.8"] == 1);
  CHECK(b["students.gender.M"] == 7);
  CHECK(may["total"]["students"].GetInt64() == 13);

  // By commune: each school's commune; 0012 is alone in 11383.
  auto communes = report("2025-09-30", "commune");
  REQUIRE(communes["rows"].Size() == 4);
  CHECK(std::string(communes["rows"][1]["commune"].GetString()) == "11311");
  CHECK_FALSE(std::string(communes["rows"][1]["commune_name"].GetString()).empty());
  CHECK(counts_of(communes, "11383")["students"] == 5);
  CHECK(counts_of(communes, "11329")["students"] == 8);

  // A level: upper secondary (04) is the THPT alone.
  auto thpt = f.get_as(f.ops, "/v1/admin/reports/emis?as_of=2025-09-30&by=school&level=THPT");
  REQUIRE(thpt.status == 200);
  auto t = parse_json(thpt.body);
  REQUIRE(t["rows"].Size() == 1);
  CHECK(std::string(t["level"].GetString()) == "04");

  // Bad parameters are problems with the parameter named.
  auto bad = f.get_as(f.ops, "/v1/admin/reports/emis?as_of=30-09-2025&by=school");
  CHECK(bad.status == 400);
  CHECK(parse_json(bad.body)["path"] == "as_of");
  CHECK(parse_json(f.get_as(f.ops, "/v1/admin/reports/emis?as_of=2025-09-30&by=district").body)["path"] == "by");
  CHECK(parse_json(f.get_as(f.ops, "/v1/admin/reports/emis?as_of=2025-09-30&by=school&level=university").body)["path"] == "level");
}

TEST_CASE("emis report files are byte-identical on rerun and the xlsx reads back", "[db][reports]") {
  Fixture f;
  fs::path out = fs::temp_directory_path() / ("hub-emis-files-" + std::to_string(::getpid()));
  fs::create_directories(out);
  auto run = [&](const std::string& format, const std::string& file) {
    auto r = hubctl({"report", "emis", "--as-of", "2025-09-30", "--by", "school", "--format", format, "--output",
                     (out / file).string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return read_bytes((out / file).string());
  };
  std::string csv1 = run("csv", "1.csv");
  std::string xlsx1 = run("xlsx", "1.xlsx");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a creation time taken from the clock would differ
  std::string csv2 = run("csv", "2.csv");
  std::string xlsx2 = run("xlsx", "2.xlsx");
  REQUIRE(csv1.size() > 100);
  CHECK(csv1 == csv2);
  CHECK(xlsx1 == xlsx2);

  // The API's JSON is the command line's, and the same twice.
  auto json1 = f.get_as(f.ops, "/v1/admin/reports/emis?as_of=2025-09-30&by=school");
  auto json2 = f.get_as(f.ops, "/v1/admin/reports/emis?as_of=2025-09-30&by=school");
  CHECK(json1.body == json2.body);
  auto cli = hubctl({"report", "emis", "--as-of", "2025-09-30", "--by", "school", "--format", "json"});
  CHECK(cli.out == json1.body + "\n");
  auto api_xlsx = f.get_as(f.ops, "/v1/admin/reports/emis?as_of=2025-09-30&by=school&format=xlsx");
  CHECK(api_xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  CHECK(api_xlsx.body == xlsx1);

  // CSV: Vietnamese headers, one row per school and a total.
  auto rows = csv_rows(csv1);
  REQUIRE(rows.size() == 6);
  CHECK(csv_cell(rows, "Mã trường", "HP-THCS-0012", "Số học sinh") == "5");
  CHECK(csv_cell(rows, "Mã trường", "HP-THCS-0007", "Số học sinh") == "8");
  CHECK(csv_cell(rows, "Mã tỉnh", "Tổng cộng", "Số học sinh") == "13");

  // The workbook: the report sheet and the column dictionary, numbers as numbers.
  auto sheets = read_xlsx(xlsx1);
  REQUIRE(sheets.size() == 2);
  const auto& s = sheets[0];
  CHECK(s.name == "EMIS 2025-09-30");
  CHECK(s.header_frozen);
  CHECK(s.rows() == 6);
  std::size_t students_col = 0, staff_col = 0;
  for (std::size_t i = 0; i < 60; ++i) {
    const auto* h = s.at(column_letter(i) + "1");
    if (h && h->text == "Số học sinh") students_col = i;
    if (h && h->text == "Số cán bộ, giáo viên, nhân viên") staff_col = i;
  }
  REQUIRE(students_col > 0);
  REQUIRE(staff_col > 0);
  // Rows 2..5 are the schools in order: HN-THCS-0001, HP-THPT-0003 (11311), HP-THCS-0007 (11329), HP-THCS-0012 (11383).
  REQUIRE(s.at("D5"));
  CHECK(s.at("D5")->text == "HP-THCS-0012");
  REQUIRE(s.at(column_letter(students_col) + "5"));
  CHECK(s.at(column_letter(students_col) + "5")->text == "5");
  CHECK(s.at(column_letter(students_col) + "5")->number);
  CHECK(s.at(column_letter(students_col) + "4")->text == "8");
  CHECK(s.at(column_letter(staff_col) + "3")->text == "2");
  CHECK(s.at("A6")->text == "Tổng cộng");
  CHECK(s.at(column_letter(students_col) + "6")->text == "13");
  CHECK(sheets[1].at("B2")->text == "schools");
  fs::remove_all(out);
}

TEST_CASE("freeze stores the figures and a later correction shows only in the diff", "[db][reports]") {
  Fixture f;
  auto frozen = hubctl({"report", "freeze", "--as-of", "2025-09-30", "--by", "school", "--label", "EMIS 30/9/2025"});
  INFO(frozen.err);
  REQUIRE(frozen.exit_code == 0);
  std::string id = sql_value("select max(id) from frozen_report");
  REQUIRE(id == "1");
  CHECK(sql_value("select change_seq from frozen_report where id = 1") == sql_value("select max(seq) from change_log"));
  CHECK(count_rows("audit_log where action = 'report.freeze' and target = 'frozen_report:1'") == "1");
  std::string figures = sql_value("select figures from frozen_report where id = 1");

  // No change yet: the diff says so.
  auto same = hubctl({"report", "frozen", "diff", "1"});
  REQUIRE(same.exit_code == 0);
  CHECK(same.out.find("no difference") != std::string::npos);

  // The school corrects P2's start: the child joined on 1 October, after the cut-off.
  auto fix = fixture_pupils();
  std::vector<Pupil> p2;
  for (auto& p : fix)
    if (p.id == "P2") {
      p.periods[0].from = "2025-10-01";
      p2.push_back(p);
    }
  require_all_accepted(push_feed(f.hub, f.test_emis, "pupils", pupils_body(p2)));

  // The frozen figures are unchanged, byte for byte.
  auto shown = f.get_as(f.ops, "/v1/admin/reports/frozen/1");
  REQUIRE(shown.status == 200);
  CHECK(shown.body == figures);
  CHECK(counts_of(parse_json(shown.body), "HP-THCS-0012")["students"] == 5);
  // The report computed now has the correction.
  CHECK(counts_of(parse_json(f.get_as(f.ops, "/v1/admin/reports/emis?as_of=2025-09-30&by=school").body), "HP-THCS-0012")
            ["students"] == 4);

  // The diff shows the difference side by side.
  auto d = f.get_as(f.ops, "/v1/admin/reports/frozen/1:diff");
  INFO(d.body.substr(0, 800));
  REQUIRE(d.status == 200);
  auto dj = parse_json(d.body);
  CHECK(dj["changed_cells"].GetInt64() == 5);  // students, grade 7, gender M, ethnicity 01, no policy group
  CHECK(dj["now"]["input_changes_since_freeze"].GetInt64() >= 1);
  bool seen = false;
  for (const auto& r : dj["rows"].GetArray()) {
    if (std::string(r["school_code"].GetString()) != "HP-THCS-0012") {
      CHECK(std::string(r["status"].GetString()) == "same");
      continue;
    }
    seen = true;
    CHECK(std::string(r["status"].GetString()) == "changed");
    CHECK(r["frozen"]["students"].GetInt64() == 5);
    CHECK(r["now"]["students"].GetInt64() == 4);
    CHECK(r["difference"]["students"].GetInt64() == -1);
    CHECK(r["difference"]["students.grade.7"].GetInt64() == -1);
    CHECK_FALSE(r["difference"].HasMember("students.grade.6"));
  }
  CHECK(seen);
  CHECK(dj["total"]["difference"]["students"].GetInt64() == -1);
  auto table = hubctl({"report", "frozen", "diff", "1"});
  CHECK(table.out.find("5 cells differ") != std::string::npos);

  // Frozen reports cannot be changed or deleted, even in SQL.
  CHECK_THROWS(sql_exec("update frozen_report set label = 'changed' where id = 1"));
  CHECK_THROWS(sql_exec("delete from frozen_report where id = 1"));
  CHECK(sql_value("select figures from frozen_report where id = 1") == figures);

  // Through the API: freeze, list, unknown ids.
  auto posted = http("POST", f.hub.url("/v1/admin/reports/emis:freeze"),
                     R"({"as_of": "2026-05-31", "by": "commune", "label": "EMIS 31/5/2026"})",
                     {"Authorization: Bearer " + f.ops, "Content-Type: application/json"});
  INFO(posted.body);
  REQUIRE(posted.status == 201);
  CHECK(posted.headers["location"] == "/v1/admin/reports/frozen/2");
  auto list = parse_json(f.get_as(f.ops, "/v1/admin/reports/frozen").body);
  REQUIRE(list["frozen_reports"].Size() == 2);
  CHECK(std::string(list["frozen_reports"][0]["label"].GetString()) == "EMIS 31/5/2026");
  CHECK(std::string(list["frozen_reports"][0]["frozen_by"].GetString()) == "demo-ops");
  CHECK(f.get_as(f.ops, "/v1/admin/reports/frozen/99").status == 404);
  auto missing = http("POST", f.hub.url("/v1/admin/reports/emis:freeze"), R"({"by": "commune"})",
                      {"Authorization: Bearer " + f.ops, "Content-Type: application/json"});
  CHECK(missing.status == 422);
  CHECK(parse_json(missing.body)["path"] == "$.as_of");
}

TEST_CASE("open data suppresses cells under 5 persons and their complements", "[db][reports]") {
  Fixture f;
  fs::path out = fs::temp_directory_path() / ("hub-emis-open-" + std::to_string(::getpid()));
  fs::remove_all(out);
  auto r = hubctl({"report", "open-data", "--as-of", "2025-09-30", "--by", "school", "--output-dir", out.string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::string base = (out / "emis-2025-09-30-school").string();
  auto rows = csv_rows(read_bytes(base + ".csv"));
  auto cell = [&](const std::string& school, const std::string& column) { return csv_cell(rows, "school_code", school, column); };
  // Ngô Quyền (0007): 8 pupils shown; 2 girls hidden and the 6 boys with them, else 8 - 6 = 2;
  // the one Mường pupil hidden with the 7 Kinh; the two teachers hidden.
  CHECK(cell("HP-THCS-0007", "students") == "8");
  CHECK(cell("HP-THCS-0007", "students.grade.6") == "8");
  CHECK(cell("HP-THCS-0007", "students.gender.F") == "x");
  CHECK(cell("HP-THCS-0007", "students.gender.M") == "x");
  CHECK(cell("HP-THCS-0007", "students.ethnicity.04") == "x");
  CHECK(cell("HP-THCS-0007", "students.ethnicity.01") == "x");
  CHECK(cell("HP-THCS-0007", "students.policy_group.-") == "8");
  CHECK(cell("HP-THCS-0007", "staff") == "x");
  CHECK(cell("HP-THCS-0007", "staff.group.GV") == "x");
  CHECK(cell("HP-THCS-0007", "classes") == "2");  // classes are not persons
  // Lê Chân (0012): 5 pupils, every grade cell under 5.
  CHECK(cell("HP-THCS-0012", "students") == "5");
  CHECK(cell("HP-THCS-0012", "students.ethnicity.01") == "5");
  CHECK(cell("HP-THCS-0012", "students.grade.7") == "x");
  CHECK(cell("HP-THCS-0012", "students_left_undated") == "x");
  CHECK(cell("HN-THCS-0001", "students") == "0");  // zeros identify nobody
  // Nothing personal: no name, no personal ID.
  std::string csv = read_bytes(base + ".csv"), json = read_bytes(base + ".json");
  for (const auto& text : {csv, json}) {
    CHECK(text.find("031214001234") == std::string::npos);
    CHECK(text.find("Nguyễn Văn An") == std::string::npos);
    CHECK(text.find("Học Sinh") == std::string::npos);
  }
  auto j = parse_json(json);
  REQUIRE(j["rows"].IsArray());
  for (const auto& row : j["rows"].GetArray())
    if (std::string(row["school_code"].GetString()) == "HP-THCS-0007") {
      CHECK(std::string(row["students.gender.F"].GetString()) == "x");
      CHECK(row["students"].GetInt64() == 8);
    }
  // The dictionary names every column of the data, in both languages.
  auto dict = parse_json(read_bytes(base + "-dictionary.json"));
  REQUIRE(dict["columns"].IsArray());
  CHECK(dict["columns"].Size() == rows[0].size());
  for (const auto& c : dict["columns"].GetArray()) {
    CHECK(std::string(c["label_vi"].GetString()).size() > 0);
    CHECK(std::string(c["label_en"].GetString()).size() > 0);
  }
  CHECK(read_bytes(base + "-dictionary.md").find("`students.gender.F`") != std::string::npos);
  fs::remove_all(out);
}

TEST_CASE("report routes hold to the caller's units and audit every read", "[db][reports]") {
  Fixture f;
  std::string commune = add_partner("commune-le-chan", {"--scope", "reports:read", "--unit", "commune:11383"});
  std::string school = add_partner("school-ngo-quyen", {"--scope", "reports:read", "--scope", "reports:freeze", "--unit",
                                                        "school:HP-THCS-0007"});
  std::string vendor = add_partner("vendor-x", {"--scope", "ingest:student"});

  // A commune sees its commune's schools only, and its figures.
  auto by_school = f.get_as(commune, "/v1/admin/reports/emis?as_of=2025-09-30&by=school");
  REQUIRE(by_school.status == 200);
  auto d = parse_json(by_school.body);
  REQUIRE(d["rows"].Size() == 1);
  CHECK(std::string(d["rows"][0]["school_code"].GetString()) == "HP-THCS-0012");
  CHECK(d["total"]["students"].GetInt64() == 5);
  CHECK(by_school.body.find("HP-THCS-0007") == std::string::npos);
  auto by_commune = parse_json(f.get_as(commune, "/v1/admin/reports/emis?as_of=2025-09-30&by=commune").body);
  REQUIRE(by_commune["rows"].Size() == 1);
  CHECK(std::string(by_commune["rows"][0]["commune"].GetString()) == "11383");

  // A school sees itself, and no commune row (which would count other schools).
  auto own = parse_json(f.get_as(school, "/v1/admin/reports/emis?as_of=2025-09-30&by=school").body);
  REQUIRE(own["rows"].Size() == 1);
  CHECK(std::string(own["rows"][0]["school_code"].GetString()) == "HP-THCS-0007");
  CHECK(parse_json(f.get_as(school, "/v1/admin/reports/emis?as_of=2025-09-30&by=commune").body)["rows"].Size() == 0);
  auto open = f.get_as(school, "/v1/admin/reports/open-data?as_of=2025-09-30&by=school&format=csv");
  REQUIRE(open.status == 200);
  CHECK(open.body.find("HP-THCS-0012") == std::string::npos);

  // The school freezes its submission; the commune cannot see it, the department can.
  auto posted = http("POST", f.hub.url("/v1/admin/reports/emis:freeze"), R"({"as_of": "2025-09-30", "by": "school"})",
                     {"Authorization: Bearer " + school, "Content-Type: application/json"});
  INFO(posted.body);
  REQUIRE(posted.status == 201);
  CHECK(sql_value("select units::text from frozen_report where id = 1") == "[\"school:HP-THCS-0007\"]");
  CHECK(f.get_as(school, "/v1/admin/reports/frozen/1").status == 200);
  CHECK(f.get_as(commune, "/v1/admin/reports/frozen/1").status == 404);
  CHECK(f.get_as(commune, "/v1/admin/reports/frozen/1:diff").status == 404);
  CHECK(parse_json(f.get_as(commune, "/v1/admin/reports/frozen").body)["frozen_reports"].Size() == 0);
  CHECK(parse_json(f.get_as(f.ops, "/v1/admin/reports/frozen").body)["frozen_reports"].Size() == 1);
  // A department freeze covers every unit; the commune sees only its own row of it.
  REQUIRE(hubctl({"report", "freeze", "--as-of", "2025-09-30", "--by", "school"}).exit_code == 0);
  auto part = f.get_as(commune, "/v1/admin/reports/frozen/2");
  REQUIRE(part.status == 200);
  auto pj = parse_json(part.body);
  REQUIRE(pj["rows"].Size() == 1);
  CHECK(pj["total"]["students"].GetInt64() == 5);
  CHECK(part.body.find("HP-THCS-0007") == std::string::npos);

  // Scopes: a reader cannot freeze; a partner without reports:read reads nothing.
  auto refused = http("POST", f.hub.url("/v1/admin/reports/emis:freeze"), R"({"as_of": "2025-09-30", "by": "school"})",
                      {"Authorization: Bearer " + commune, "Content-Type: application/json"});
  CHECK(refused.status == 403);
  CHECK(parse_json(refused.body)["code"] == "auth.scope");
  CHECK(f.get_as(vendor, "/v1/admin/reports/emis?as_of=2025-09-30&by=school").status == 403);
  CHECK(f.get_as(vendor, "/v1/admin/reports/frozen").status == 403);

  // Every read is in the audit log, with who read what.
  CHECK(count_rows("audit_log where actor = 'commune-le-chan' and action = 'report.emis'") == "2");
  CHECK(count_rows("audit_log where actor = 'school-ngo-quyen' and action = 'report.open_data'") == "1");
  CHECK(count_rows("audit_log where actor = 'commune-le-chan' and action = 'report.frozen_show'") == "1");
  CHECK(count_rows("audit_log where actor = 'school-ngo-quyen' and action = 'report.freeze'") == "1");
}
