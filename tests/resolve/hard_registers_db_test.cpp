// What real registers hold (issue 19), end to end against the real PostgreSQL and Redis with a
// real hub: the admissions portal and the transcript platform send the same children with the
// name given-name first, a personal ID with two neighbouring digits swapped, no birth date,
// and twins in one class. Each case guards a failure of the resolver before this change:
// - a name in another order without an ID was not even a candidate: a second student;
// - a transposed personal ID with the same name and birth date went to review;
// - a record without a birth date was rejected (value.required) even when its personal ID or
//   ministry code named a known student;
// - twins sent by the other register in another name order were two new students, four in all.
// Two IDs both verified against the population database are never merged automatically, and a
// record without a birth date that would create a student is still rejected.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "hub/common/json.h"
#include "tests/support/test_env.h"

using namespace hub::test;
namespace fs = std::filesystem;

namespace {

const char* kSchools = R"({"truong": [
  {"maTruong": "HP-THCS-0012", "tenTruong": "Trường THCS Lê Chân", "capHoc": "Trung học cơ sở", "loaiHinh": "Công lập", "maTinh": "31", "maXa": "11383"},
  {"maTruong": "HP-THCS-0013", "tenTruong": "Trường THCS Ngô Quyền", "capHoc": "Trung học cơ sở", "loaiHinh": "Công lập", "maTinh": "31", "maXa": "11311"}]})";

// The shipped mappings, plus demo-transcripts-2: the transcript platform's feed under another
// partner (a second platform that also checks IDs against the population database).
std::string mappings_dir() {
  fs::path dir = fs::temp_directory_path() / ("hub-hard-registers-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::path src = fs::path(HUB_SOURCE_DIR) / "mappings";
  fs::create_directories(dir / "partners");
  for (const char* sub : {"catalogs", "schema", "matching"}) fs::create_directory_symlink(src / sub, dir / sub);
  for (const char* p : {"demo-ops", "demo-admissions", "demo-transcripts"})
    fs::copy(src / "partners" / p, dir / "partners" / p, fs::copy_options::recursive);
  fs::create_directories(dir / "partners" / "demo-transcripts-2");
  std::ifstream in(src / "partners" / "demo-transcripts" / "transcripts.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  auto at = yaml.find("partner: demo-transcripts");
  REQUIRE(at != std::string::npos);
  yaml.replace(at, std::string("partner: demo-transcripts").size(), "partner: demo-transcripts-2");
  std::ofstream(dir / "partners" / "demo-transcripts-2" / "transcripts.yaml") << yaml;
  return dir.string();
}

struct Hub {
  std::unique_ptr<HubProcess> process;
  std::string ops, admissions, transcripts, transcripts2;
};

Hub start_hub() {
  reset_database();
  Hub h;
  h.process = std::make_unique<HubProcess>(std::map<std::string, std::string>{{"HUB_MAPPINGS_DIR", mappings_dir()}});
  REQUIRE(h.process->start());
  const std::vector<std::string> transcript_scopes = {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                                      "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"};
  h.ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  h.admissions = add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"});
  h.transcripts = add_partner("demo-transcripts", transcript_scopes);
  h.transcripts2 = add_partner("demo-transcripts-2", transcript_scopes);
  REQUIRE(push_feed(*h.process, h.ops, "schools", kSchools).status == 200);
  return h;
}

struct Kid {
  Kid(std::string id_, std::string name_, std::string dob_, std::string gender_ = "F", std::string pid_ = "",
      std::string moet_ = "", std::string school_ = "HP-THCS-0012", bool verified_ = false)
      : id(std::move(id_)), name(std::move(name_)), dob(std::move(dob_)), gender(std::move(gender_)),
        pid(std::move(pid_)), moet(std::move(moet_)), school(std::move(school_)), verified(verified_) {}
  std::string id, name, dob;  // dob ISO; "" = not sent
  std::string gender, pid, moet, school;
  bool verified;  // the platform checked the ID against the population database
};

// Admissions portal: d/m/Y dates, Vietnamese gender words.
std::string admissions(const std::vector<Kid>& kids) {
  hub::json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (const auto& k : kids) {
    w.begin_object().kv("maHoSo", k.id).kv("hoTen", k.name);
    if (!k.dob.empty()) w.kv("ngaySinh", k.dob.substr(8, 2) + "/" + k.dob.substr(5, 2) + "/" + k.dob.substr(0, 4));
    w.kv("gioiTinh", k.gender == "F" ? "Nữ" : "Nam").kv("danToc", "Kinh");
    if (!k.pid.empty()) w.kv("soDinhDanh", k.pid);
    w.key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", "11320").end_object()
        .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", k.school).kv("nguyenVong", 1)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object();
  }
  w.end_array().end_object();
  return w.str();
}

// Transcript platform: one school per document, ISO dates, M/F.
std::string transcripts(const std::vector<Kid>& kids) {
  hub::json::JsonWriter w;
  w.begin_object().kv("schoolYear", "2025-2026").key("school").begin_object().kv("code", kids.at(0).school)
      .kv("name", "Trường THCS").kv("communeCode", "11383").end_object().key("students").begin_array();
  for (const auto& k : kids) {
    w.begin_object().kv("studentId", k.id).kv("fullName", k.name);
    if (!k.dob.empty()) w.kv("dob", k.dob);
    w.kv("sex", k.gender).kv("ethnicCode", "01");
    if (!k.moet.empty()) w.kv("moetCode", k.moet);
    if (!k.pid.empty()) w.kv("citizenId", k.pid);
    if (k.verified) w.key("citizenIdCheck").begin_object().kv("result", "MATCHED").kv("date", "2025-08-01").end_object();
    w.kv("grade", "6").kv("className", "6A1").kv("enrolledOn", "2025-09-05").kv("status", "dang_hoc")
        .key("results").begin_array().end_array().end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::vector<std::string> statuses(const HttpResult& r) {
  std::vector<std::string> out;
  auto d = parse_json(r.body);
  if (!d.IsObject() || !d.HasMember("results")) return {"HTTP " + std::to_string(r.status) + " " + r.body};
  for (const auto& x : d["results"].GetArray()) out.push_back(x["status"].GetString());
  return out;
}

// The student id of each result ("" when none).
std::vector<std::string> students(const HttpResult& r) {
  std::vector<std::string> out;
  auto d = parse_json(r.body);
  if (!d.IsObject() || !d.HasMember("results")) return out;
  for (const auto& x : d["results"].GetArray()) {
    bool has = x.HasMember("entities") && x["entities"].IsObject() && x["entities"].HasMember("student") &&
               x["entities"]["student"].IsString();
    out.push_back(has ? x["entities"]["student"].GetString() : "");
  }
  return out;
}

std::string students_count() { return count_rows("golden_record where entity = 'student' and merged_into is null"); }

}  // namespace

TEST_CASE("a name stored given-name first without an ID is the known student", "[db][resolve]") {
  auto h = start_hub();
  auto a = push_feed(*h.process, h.admissions, "admissions",
                     admissions({{"TS-1", "Lê Đình Hiếu", "2013-04-09", "M", "031213000111"},
                                 {"TS-2", "Trần Khánh Nhung", "2012-10-30", "F", "031312000222"}}));
  REQUIRE(statuses(a) == std::vector<std::string>{"accepted", "accepted"});
  auto t = push_feed(*h.process, h.transcripts, "transcripts",
                     transcripts({{"HB-1", "Hieu Dinh Le", "2013-04-09", "M"}, {"HB-2", "NHUNG KHANH TRAN", "2012-10-30", "F"}}));
  CHECK(statuses(t) == std::vector<std::string>{"merged", "merged"});
  CHECK(students(t) == students(a));
  CHECK(students_count() == "2");
  // The admissions portal's spelling survives.
  CHECK(sql_value("select data->>'full_name' from golden_record where id = '" + students(a).at(0) + "'") == "Lê Đình Hiếu");
}

TEST_CASE("a transposed personal ID with the same name and birth date is merged - two verified IDs are not", "[db][resolve]") {
  auto h = start_hub();
  auto a = push_feed(*h.process, h.admissions, "admissions", admissions({{"TS-1", "Phạm Thị Hoa", "2012-01-02", "F", "031312000123"}}));
  REQUIRE(statuses(a) == std::vector<std::string>{"accepted"});
  // The transcript platform keyed 2 and 1 the other way round; not checked with the database.
  auto t = push_feed(*h.process, h.transcripts, "transcripts",
                     transcripts({{"HB-1", "Pham Thi Hoa", "2012-01-02", "F", "031312000213"}}));
  CHECK(statuses(t) == std::vector<std::string>{"merged"});
  CHECK(students(t) == students(a));
  CHECK(students_count() == "1");
  CHECK(count_rows("review_item where kind = 'match'") == "0");

  // Both IDs verified against the population database: two children, whatever their names.
  auto v1 = push_feed(*h.process, h.transcripts, "transcripts",
                      transcripts({{"HB-2", "Vũ Thị Hà", "2012-09-09", "F", "031312000456", "", "HP-THCS-0012", true}}));
  REQUIRE(statuses(v1) == std::vector<std::string>{"accepted"});
  auto v2 = push_feed(*h.process, h.transcripts2, "transcripts",
                      transcripts({{"T2-1", "Vu Thi Ha", "2012-09-09", "F", "031312000546", "", "HP-THCS-0012", true}}));
  CHECK(statuses(v2) == std::vector<std::string>{"review"});
  CHECK(students(v2).at(0) != students(v1).at(0));
  CHECK(students_count() == "3");
  CHECK(sql_value("select reasons->0->>'code' from review_item where kind = 'match' and record_id = '" + students(v2).at(0) + "'") ==
        "match.identifier_conflict");
}

TEST_CASE("a record without a birth date updates the student its ID names - one that would create a student is rejected", "[db][resolve]") {
  auto h = start_hub();
  auto a = push_feed(*h.process, h.admissions, "admissions", admissions({{"TS-1", "Đỗ Hải Yến", "2011-12-31", "F", "031311000777"}}));
  REQUIRE(statuses(a) == std::vector<std::string>{"accepted"});
  const std::string yen = students(a).at(0);
  // The personal ID without a birth date: the known student, the birth date kept.
  auto t = push_feed(*h.process, h.transcripts, "transcripts",
                     transcripts({{"HB-1", "Do Hai Yen", "", "F", "031311000777", "HS-0777"}}));
  CHECK(statuses(t) == std::vector<std::string>{"merged"});
  CHECK(students(t) == std::vector<std::string>{yen});
  CHECK(sql_value("select data->>'birth_date' from golden_record where id = '" + yen + "'") == "2011-12-31");
  CHECK(sql_value("select field_lineage(lineage, 'birth_date')->>'partner' from golden_record where id = '" + yen + "'") == "demo-admissions");
  CHECK(sql_value("select data->>'moet_student_code' from golden_record where id = '" + yen + "'") == "HS-0777");
  // The ministry code alone, from another platform, without a birth date: the same student.
  auto t2 = push_feed(*h.process, h.transcripts2, "transcripts", transcripts({{"T2-1", "Do Hai Yen", "", "F", "", "HS-0777"}}));
  CHECK(statuses(t2) == std::vector<std::string>{"merged"});
  CHECK(students(t2) == std::vector<std::string>{yen});

  // Nothing known identifies this one: it would be a new student without a birth date.
  auto n = push_feed(*h.process, h.transcripts, "transcripts", transcripts({{"HB-2", "Bùi Văn An", "", "M", "031211000888", "HS-0888"}}));
  REQUIRE(n.status == 200);
  CHECK(statuses(n) == std::vector<std::string>{"rejected"});
  auto d = parse_json(n.body);
  REQUIRE(d["results"][0].HasMember("errors"));
  REQUIRE(d["results"][0]["errors"].Size() == 1);
  const auto& issue = d["results"][0]["errors"][0];
  CHECK(std::string(issue["code"].GetString()) == "value.required");
  CHECK(std::string(issue["field"].GetString()) == "birth_date");
  CHECK(std::string(issue["message_vi"].GetString()) == "Thiếu trường bắt buộc");
  CHECK(students_count() == "1");
  CHECK(count_rows("golden_record where entity = 'enrollment'") == "1");  // Yến's, from HB-1; none for An
  CHECK(n.body.find("031211000888") == std::string::npos);

  // One push with the same new child twice: without a birth date, then with it. The student is
  // created with the birth date, and neither record is lost.
  auto pair = push_feed(*h.process, h.transcripts, "transcripts",
                        transcripts({{"HB-3", "Bùi Văn An", "", "M", "031211000888"}, {"HB-4", "Bui Van An", "2011-05-05", "M", "031211000888"}}));
  CHECK(statuses(pair) == std::vector<std::string>{"accepted", "merged"});
  CHECK(students(pair).at(0) == students(pair).at(1));
  CHECK(sql_value("select data->>'birth_date' from golden_record where id = '" + students(pair).at(0) + "'") == "2011-05-05");
  // Twice without it: both would create the student without a birth date, both are rejected.
  auto none = push_feed(*h.process, h.transcripts, "transcripts",
                        transcripts({{"HB-5", "Hồ Thị Mai", "", "F", "031311000999"}, {"HB-6", "Ho Thi Mai", "", "F", "031311000999"}}));
  CHECK(statuses(none) == std::vector<std::string>{"rejected", "rejected"});
  CHECK(students_count() == "2");
}

TEST_CASE("twins in one class stay two students - each found in another name order", "[db][resolve]") {
  auto h = start_hub();
  auto a = push_feed(*h.process, h.admissions, "admissions",
                     admissions({{"TS-1", "Trần Khánh Nhung", "2013-06-15", "F", "031313000301"},
                                 {"TS-2", "Trần Khánh Nhi", "2013-06-15", "F", "031313000302"}}));
  REQUIRE(statuses(a) == std::vector<std::string>{"accepted", "accepted"});
  // The transcript platform: no IDs, names given-name first in upper case, in the other order.
  auto t = push_feed(*h.process, h.transcripts, "transcripts",
                     transcripts({{"HB-1", "NHI KHANH TRAN", "2013-06-15", "F"}, {"HB-2", "NHUNG KHANH TRAN", "2013-06-15", "F"}}));
  CHECK(statuses(t) == std::vector<std::string>{"merged", "merged"});
  CHECK(students(t) == std::vector<std::string>{students(a).at(1), students(a).at(0)});
  CHECK(students_count() == "2");
  CHECK(count_rows("review_item where kind = 'match'") == "0");
  // In the usual order, without IDs: still two.
  auto t2 = push_feed(*h.process, h.transcripts2, "transcripts",
                      transcripts({{"T2-1", "Tran Khanh Nhung", "2013-06-15", "F"}, {"T2-2", "Tran Khanh Nhi", "2013-06-15", "F"}}));
  CHECK(statuses(t2) == std::vector<std::string>{"merged", "merged"});
  CHECK(students(t2) == students(a));
  CHECK(students_count() == "2");
}
