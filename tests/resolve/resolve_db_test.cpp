// Entity resolution end to end against the real PostgreSQL and Redis with real hub processes:
// the same child from two partners with different spellings, date formats and missing IDs is
// one student; different valid personal IDs are never merged; namesakes go to review; without
// Redis, ingestion answers 503 and stores nothing, and work resumes when Redis returns.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <csignal>
#include <thread>

#include "hub/common/json.h"
#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;

namespace {

struct Partners {
  std::string ops, admissions, transcripts;
};

Partners partners() {
  return {add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
          add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"}),
          add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                           "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"})};
}

const char* kSchools = R"({"truong": [
  {"maTruong": "HP-THCS-0012", "tenTruong": "Trường THCS Lê Chân", "capHoc": "Trung học cơ sở", "loaiHinh": "Công lập", "maTinh": "31", "maXa": "11383"},
  {"maTruong": "HP-THCS-0013", "tenTruong": "Trường THCS Ngô Quyền", "capHoc": "Trung học cơ sở", "loaiHinh": "Công lập", "maTinh": "31", "maXa": "11311"}]})";

struct Kid {
  std::string id, name, dob_dmy, dob_iso, gender_vi, gender_en, pid, school = "HP-THCS-0012";
};

std::string admission(const Kid& k) {
  hub::json::JsonWriter w;
  w.begin_object().kv("maHoSo", k.id).kv("hoTen", k.name).kv("ngaySinh", k.dob_dmy).kv("gioiTinh", k.gender_vi)
      .kv("danToc", "Kinh").kv("soDinhDanh", k.pid).key("diaChi").begin_object().kv("soNha", "1 Lê Lợi")
      .kv("maXa", "11320").end_object().kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", k.school)
      .kv("nguyenVong", 1).kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển")
      .end_object();
  return w.str();
}

std::string admissions(const std::vector<Kid>& kids) {
  std::string body = R"({"namHoc": "2025-2026", "hoSo": [)";
  for (std::size_t i = 0; i < kids.size(); ++i) body += (i ? "," : "") + admission(kids[i]);
  return body + "]}";
}

std::string transcripts(const std::vector<Kid>& kids, const std::string& school = "HP-THCS-0012") {
  hub::json::JsonWriter w;
  w.begin_object().kv("schoolYear", "2025-2026").key("school").begin_object().kv("code", school)
      .kv("name", "Trường THCS").kv("communeCode", "11383").end_object().key("students").begin_array();
  for (const auto& k : kids) {
    w.begin_object().kv("studentId", k.id).kv("fullName", k.name).kv("dob", k.dob_iso).kv("sex", k.gender_en)
        .kv("ethnicCode", "01");
    if (!k.pid.empty()) w.kv("citizenId", k.pid);
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

}  // namespace

TEST_CASE("one child from two partners: spelling - date format - missing ID - namesakes and IDs", "[db][resolve]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = partners();
  REQUIRE(push_feed(hub, p.ops, "schools", kSchools).status == 200);

  // Admissions: with diacritics, d/m/y dates and personal IDs.
  std::vector<Kid> adm = {
      {"TS-1", "Nguyễn Thị Thu Trang", "05/03/2014", "2014-03-05", "Nữ", "F", "031314000101"},
      {"TS-2", "Trần Văn Minh", "20/07/2014", "2014-07-20", "Nam", "M", "031214000202"},
      {"TS-3", "Lê Hoàng Nam", "11/11/2014", "2014-11-11", "Nam", "M", "031214000303"},
  };
  auto a = push_feed(hub, p.admissions, "admissions", admissions(adm));
  REQUIRE(a.status == 200);
  CHECK(statuses(a) == std::vector<std::string>(3, "accepted"));
  CHECK(count_rows("match_profile where entity = 'student'") == "3");

  // Transcripts: folded/upper-case names, NFD, a day/month swap, IDs missing or different.
  std::vector<Kid> tr = {
      // Trang without diacritics and without a personal ID: the same child.
      {"HB-1", "NGUYEN THI THU TRANG", "", "2014-03-05", "", "F", ""},
      // Minh in NFD with day and month swapped, no ID: the same child.
      {"HB-2", "Tra\xCC\x80n Va\xCC\x86n Minh", "", "2014-07-20", "", "M", ""},
      // Nam with another valid personal ID: never merged, a person looks (mistyped ID?).
      {"HB-3", "Lê Hoàng Nam", "", "2014-11-11", "", "M", "031214000999"},
  };
  auto t = push_feed(hub, p.transcripts, "transcripts", transcripts(tr));
  REQUIRE(t.status == 200);
  CHECK(statuses(t) == std::vector<std::string>{"merged", "merged", "review"});
  auto td = parse_json(t.body), ad = parse_json(a.body);
  CHECK(std::string(td["results"][0]["entities"]["student"].GetString()) ==
        ad["results"][0]["entities"]["student"].GetString());
  CHECK(std::string(td["results"][1]["entities"]["student"].GetString()) ==
        ad["results"][1]["entities"]["student"].GetString());
  // Survivorship: the admissions portal's spelling of the name wins over the later, folded one,
  // and the transcript platform's ministry code is added; lineage says who sent which value.
  std::string trang = ad["results"][0]["entities"]["student"].GetString();
  CHECK(sql_value("select data->>'full_name' from golden_record where id = '" + trang + "'") == "Nguyễn Thị Thu Trang");
  CHECK(sql_value("select field_lineage(lineage, 'full_name')->>'partner' from golden_record where id = '" + trang + "'") ==
        "demo-admissions");
  std::string nam_a = ad["results"][2]["entities"]["student"].GetString();
  std::string nam_t = td["results"][2]["entities"]["student"].GetString();
  CHECK(nam_a != nam_t);
  CHECK(count_rows("golden_record where entity = 'student'") == "4");
  CHECK(count_rows("review_item where kind = 'match' and status = 'open'") == "1");
  CHECK(sql_value("select candidate_id::text from review_item where kind = 'match' and record_id = '" + nam_t + "'") == nam_a);
  CHECK(sql_value("select reasons->0->>'code' from review_item where kind = 'match'") == "match.identifier_conflict");
  // No personal ID in clear in the review reasons or the Redis lock names.
  CHECK(sql_value("select count(*) from review_item where reasons::text like '%031214%'") == "0");

  // A namesake the admissions portal sends under another file: same name, birth date, school.
  // The partner itself keeps them apart, so the hub does not merge them: review.
  std::vector<Kid> twin = {{"TS-4", "Nguyễn Thị Thu Trang", "05/03/2014", "2014-03-05", "Nữ", "F", ""}};
  auto n = push_feed(hub, p.admissions, "admissions", admissions(twin));
  REQUIRE(n.status == 200);
  CHECK(statuses(n) == std::vector<std::string>{"review"});
  CHECK(count_rows("golden_record where entity = 'student'") == "5");
  CHECK(sql_value("select reasons->0->>'code' from review_item where kind = 'match' order by id desc limit 1") ==
        "match.same_source_namesake");

  // Twins: same family and middle names, birth date and school; different given names and no IDs.
  std::vector<Kid> twins = {{"HB-7", "Phạm Văn Long", "", "2014-02-02", "", "M", ""},
                            {"HB-8", "Phạm Văn Lâm", "", "2014-02-02", "", "M", ""}};
  auto tw = push_feed(hub, p.transcripts, "transcripts", transcripts(twins));
  REQUIRE(tw.status == 200);
  auto twd = parse_json(tw.body);
  CHECK(std::string(twd["results"][0]["entities"]["student"].GetString()) !=
        twd["results"][1]["entities"]["student"].GetString());
  CHECK(statuses(tw)[1] != "merged");
  CHECK(count_rows("golden_record where entity = 'student'") == "7");

  // Two files of the transcript platform in one push that both fit one stored child: the
  // platform keeps two children apart, so neither is merged automatically.
  std::vector<Kid> ha = {{"TS-9", "Vũ Thị Hà", "09/09/2014", "2014-09-09", "Nữ", "F", ""}};
  REQUIRE(statuses(push_feed(hub, p.admissions, "admissions", admissions(ha))) == std::vector<std::string>{"accepted"});
  std::vector<Kid> two_ha = {{"HB-9", "Vũ Thị Hà", "", "2014-09-09", "", "F", ""},
                             {"HB-10", "Vu Thi Ha", "", "2014-09-09", "", "F", ""}};
  CHECK(statuses(push_feed(hub, p.transcripts, "transcripts", transcripts(two_ha))) ==
        std::vector<std::string>{"review", "review"});
  CHECK(count_rows("golden_record where entity = 'student'") == "10");
  // Records matched again by other sources added their keys once: one row per (key, record).
  CHECK(count_rows("(select 1 from match_block group by entity, block, record_id having count(*) > 1) d") == "0");
}

TEST_CASE("without Redis ingestion answers 503 and stores nothing - it resumes when Redis returns", "[db][resolve]") {
  reset_database();
  // A Redis of this test's own, so it can be stopped and started again on the same port.
  int port = free_port();
  std::string dir = "/tmp/hub-resolve-redis-" + std::to_string(port);
  std::system(("mkdir -p " + dir).c_str());
  auto start_redis = [&] {
    auto r = run_process({"/usr/bin/redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--daemonize", "yes", "--dir", dir,
                          "--pidfile", dir + "/redis.pid"}, {});
    REQUIRE(r.exit_code == 0);
    for (int i = 0; i < 50; ++i) {
      if (run_process({"/usr/bin/redis-cli", "-p", std::to_string(port), "ping"}, {}).out.find("PONG") != std::string::npos) return;
      std::this_thread::sleep_for(100ms);
    }
    FAIL("private Redis did not start");
  };
  auto stop_redis = [&] {
    run_process({"/usr/bin/redis-cli", "-p", std::to_string(port), "shutdown", "nosave"}, {});
    std::this_thread::sleep_for(300ms);
  };
  start_redis();
  HubProcess hub({{"HUB_REDIS_URL", "redis://127.0.0.1:" + std::to_string(port) + "/0"}});
  REQUIRE(hub.start());
  auto p = partners();
  REQUIRE(push_feed(hub, p.ops, "schools", kSchools).status == 200);
  std::vector<Kid> first = {{"TS-1", "Đỗ Hải Yến", "31/12/2014", "2014-12-31", "Nữ", "F", "031314000777"}};
  REQUIRE(statuses(push_feed(hub, p.admissions, "admissions", admissions(first))) == std::vector<std::string>{"accepted"});

  stop_redis();
  std::string batches = count_rows("inbox_batch");
  std::vector<Kid> second = {{"HB-1", "Do Hai Yen", "", "2014-12-31", "", "F", ""}};
  auto refused = push_feed(hub, p.transcripts, "transcripts", transcripts(second));
  CHECK(refused.status == 503);
  CHECK(refused.headers["content-type"].find("application/problem+json") == 0);
  CHECK(std::string(parse_json(refused.body)["code"].GetString()).rfind("dependency.", 0) == 0);
  CHECK(count_rows("inbox_batch") == batches);  // nothing stored, so nothing half-resolved
  CHECK(count_rows("golden_record where entity = 'student'") == "1");  // nothing accepted earlier is lost

  start_redis();
  HttpResult again;
  for (int i = 0; i < 50; ++i) {
    again = push_feed(hub, p.transcripts, "transcripts", transcripts(second));
    if (again.status != 503) break;
    std::this_thread::sleep_for(200ms);
  }
  REQUIRE(again.status == 200);
  CHECK(statuses(again) == std::vector<std::string>{"merged"});
  CHECK(count_rows("golden_record where entity = 'student'") == "1");
  stop_redis();
}
