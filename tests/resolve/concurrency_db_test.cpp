// Entity resolution under concurrency, with real hub processes on the real PostgreSQL and
// Redis: three processes ingesting the same children from two partners at the same moment
// create each child once and lose no record; a process stopped or killed while it holds block
// locks loses them when they expire, another process completes, and the fencing token refuses
// the late writer; a chunk whose keys another chunk holds goes on with its other records.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <csignal>
#include <thread>

#include "hub/common/json.h"
#include "hub/common/redis.h"
#include "hub/mapping/text.h"
#include "hub/resolve/matching_rules.h"
#include "hub/resolve/redis_lock.h"
#include "hub/resolve/scoring.h"
#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;

namespace {

struct Tokens {
  std::string ops, admissions, transcripts;
};

Tokens partners() {
  return {add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
          add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"}),
          add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                           "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"})};
}

HttpResult push(HubProcess& hub, const std::string& token, const std::string& feed, const std::string& body) {
  return http("POST", hub.url("/v1/ingest/" + feed), body,
              {"Authorization: Bearer " + token, "Content-Type: application/json"}, 120000);
}

const std::vector<std::string> kFamily = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"};
const std::vector<std::string> kMiddle = {"Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Quang", "Thanh"};
const std::vector<std::string> kGiven = {"An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khoa", "Lan",
                                         "Linh", "Long", "Mai", "Minh", "Nam", "Ngân", "Phong", "Quân", "Trang", "Yến"};

struct Child {
  std::string name, folded, dmy, iso, pid;
  bool male;
};

// Children whose names and birth dates are all different, so sequential resolution is exact.
std::vector<Child> children(int n) {
  std::vector<Child> out;
  for (int i = 0; i < n; ++i) {
    Child c;
    c.name = kFamily[i % 10] + " " + kMiddle[(i / 10) % 8] + " " + kGiven[(i / 80 + i) % 20];
    int day = 1 + i % 28, month = 1 + (i / 28) % 12, year = 2010 + i % 5;
    char dmy[16], iso[16], pid[16];
    std::snprintf(dmy, sizeof dmy, "%02d/%02d/%04d", day, month, year);
    std::snprintf(iso, sizeof iso, "%04d-%02d-%02d", year, month, day);
    c.male = i % 2 == 0;
    std::snprintf(pid, sizeof pid, "031%d%02d%06d", c.male ? 2 : 3, year % 100, 100000 + i);
    c.dmy = dmy;
    c.iso = iso;
    c.pid = pid;
    out.push_back(c);
  }
  return out;
}

std::string admissions(const std::vector<Child>& kids, int from, int to) {
  hub::json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (int i = from; i < to; ++i) {
    const auto& k = kids[i];
    w.begin_object().kv("maHoSo", "TS-" + std::to_string(i)).kv("hoTen", k.name).kv("ngaySinh", k.dmy)
        .kv("gioiTinh", k.male ? "Nam" : "Nữ").kv("danToc", "Kinh").kv("soDinhDanh", k.pid)
        .key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", "11320").end_object()
        .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", "HP-THCS-0012").kv("nguyenVong", 1)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object();
  }
  w.end_array().end_object();
  return w.str();
}

// The transcript platform: names without diacritics, ISO dates, a personal ID for every other child.
std::string transcripts(const std::vector<Child>& kids, int from, int to) {
  hub::json::JsonWriter w;
  w.begin_object().kv("schoolYear", "2025-2026").key("school").begin_object().kv("code", "HP-THCS-0012")
      .kv("name", "Trường THCS Lê Chân").kv("communeCode", "11383").end_object().key("students").begin_array();
  for (int i = from; i < to; ++i) {
    const auto& k = kids[i];
    w.begin_object().kv("studentId", "HB-" + std::to_string(i))
        .kv("fullName", i % 3 == 0 ? hub::text::name_case(hub::text::fold_key(k.name)) : k.name).kv("dob", k.iso)
        .kv("sex", k.male ? "M" : "F").kv("ethnicCode", "01");
    if (i % 2 == 0) w.kv("citizenId", k.pid);
    w.kv("grade", "6").kv("className", "6A1").kv("enrolledOn", "2025-09-05").kv("status", "dang_hoc")
        .key("results").begin_array().end_array().end_object();
  }
  w.end_array().end_object();
  return w.str();
}

bool lock_held(hub::RedisPool& redis) {
  auto r = redis.command({"KEYS", "hub:lock:*"});
  return r->type == REDIS_REPLY_ARRAY && r->elements > 0;
}

}  // namespace

TEST_CASE("three processes - two partners - the same children at once: no duplicate - nothing lost", "[db][resolve]") {
  reset_database();
  std::map<std::string, std::string> env = {{"HUB_INGEST_CHUNK_RECORDS", "25"}};
  HubProcess a(env), b(env), c(env);
  REQUIRE(a.start());
  REQUIRE(b.start());
  REQUIRE(c.start());
  auto t = partners();
  REQUIRE(push(a, t.ops, "schools", kOneSchool).status == 200);

  constexpr int kChildren = 240, kPart = 60;
  auto kids = children(kChildren);
  // Each process gets every part of both feeds, in its own order, so the same child reaches
  // two or three processes from both partners at about the same time.
  std::vector<std::pair<std::string, std::string>> docs;  // (feed, body)
  for (int p = 0; p < kChildren / kPart; ++p) {
    docs.emplace_back("admissions", admissions(kids, p * kPart, (p + 1) * kPart));
    docs.emplace_back("transcripts", transcripts(kids, p * kPart, (p + 1) * kPart));
  }
  std::vector<HubProcess*> hubs = {&a, &b, &c};
  std::vector<std::vector<int>> statuses(3);
  std::vector<std::thread> threads;
  for (int h = 0; h < 3; ++h) {
    threads.emplace_back([&, h] {
      for (std::size_t k = 0; k < docs.size(); ++k) {
        const auto& [feed, body] = docs[(k + h * 3) % docs.size()];
        auto r = push(*hubs[h], feed == "admissions" ? t.admissions : t.transcripts, feed, body);
        statuses[h].push_back(r.status);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& s : statuses)
    for (int code : s) CHECK((code == 200 || code == 202));
  for (int i = 0; i < 600 && count_rows("inbox_batch where status <> 'done'") != "0"; ++i) std::this_thread::sleep_for(100ms);
  REQUIRE(count_rows("inbox_batch where status <> 'done'") == "0");

  // Every vendor record has its result (3 pushes each), and each child is one student.
  CHECK(count_rows("batch_record b join inbox_batch i on i.id = b.batch_id where i.feed <> 'schools'") ==
        std::to_string(3 * 2 * kChildren));
  CHECK(count_rows("batch_record b join inbox_batch i on i.id = b.batch_id where i.feed <> 'schools' and b.status = 'rejected'") == "0");
  CHECK(count_rows("source_link where entity = 'student'") == std::to_string(2 * kChildren));
  CHECK(count_rows("golden_record where entity = 'student' and merged_into is null") == std::to_string(kChildren));
  CHECK(count_rows("(select l.record_id from source_link l where l.entity = 'student' group by l.record_id having count(*) <> 2) x") == "0");
  // Look-alike children may be proposed for review, but never two records of one child.
  CHECK(count_rows("review_item r where kind = 'match' and exists (select 1 from source_link a, source_link b"
              " where a.record_id = r.record_id and b.record_id = r.candidate_id"
              " and substr(a.source_id, 4) = substr(b.source_id, 4))") == "0");
  CHECK(count_rows("change_log where entity = 'student' and op = 'create'") == std::to_string(kChildren));
}

TEST_CASE("a process holding block locks is stopped or killed: the lock expires - another completes - fencing refuses the late writer",
          "[db][resolve]") {
  reset_database();
  std::map<std::string, std::string> slow = {{"HUB_RESOLVE_LOCK_TTL_MS", "800"},
                                             {"HUB_RESOLVE_HOLD_AFTER_LOCK_MS", "2500"},
                                             {"HUB_INGEST_LEASE_SECONDS", "3"}};
  std::map<std::string, std::string> quick = {{"HUB_RESOLVE_LOCK_TTL_MS", "800"}, {"HUB_INGEST_LEASE_SECONDS", "3"}};
  hub::RedisPool redis(redis_url(), 1, std::chrono::milliseconds(1000));
  HubProcess other(quick);
  REQUIRE(other.start());
  auto t = partners();
  REQUIRE(push(other, t.ops, "schools", kOneSchool).status == 200);
  auto kids = children(2);

  SECTION("killed: its batch is finished by the other process, once") {
    auto holder = std::make_unique<HubProcess>(slow);
    REQUIRE(holder->start());
    std::thread pusher([&] { push(*holder, t.admissions, "admissions", admissions(kids, 0, 1)); });
    for (int i = 0; i < 100 && !lock_held(redis); ++i) std::this_thread::sleep_for(20ms);
    REQUIRE(lock_held(redis));
    holder->stop(SIGKILL);
    pusher.join();
    // The other process waits for the dead holder's locks to expire, then resolves the child.
    auto r = push(other, t.transcripts, "transcripts", transcripts(kids, 0, 1));
    REQUIRE(r.status == 200);
    CHECK(std::string(parse_json(r.body)["results"][0]["status"].GetString()) == "accepted");
    // The killed process's stored batch is resumed by the other one after its lease expires.
    for (int i = 0; i < 100 && count_rows("inbox_batch where status <> 'done'") != "0"; ++i) std::this_thread::sleep_for(100ms);
    REQUIRE(count_rows("inbox_batch where status <> 'done'") == "0");
    CHECK(count_rows("golden_record where entity = 'student'") == "1");
    CHECK(count_rows("source_link where entity = 'student'") == "2");
    CHECK(count_rows("change_log where entity = 'student' and op = 'create'") == "1");
  }

  SECTION("stopped past its lock expiry: the late writer is fenced off and retries on fresh data") {
    HubProcess holder(slow);
    REQUIRE(holder.start());
    HttpResult late;
    std::thread pusher([&] { late = push(holder, t.admissions, "admissions", admissions(kids, 1, 2)); });
    // Stopped once its fencing token is drawn (stopped before, it would only find its locks
    // expired, which is not what this section is about).
    const std::string drawn = "holding block locks after drawing the fencing token";
    for (int i = 0; i < 250 && holder.log().find(drawn) == std::string::npos; ++i) std::this_thread::sleep_for(20ms);
    REQUIRE(holder.log().find(drawn) != std::string::npos);
    REQUIRE(lock_held(redis));
    holder.send_signal(SIGSTOP);
    // Its locks expire (800 ms): nobody renews them.
    for (int i = 0; i < 150 && lock_held(redis); ++i) std::this_thread::sleep_for(20ms);
    REQUIRE_FALSE(lock_held(redis));
    auto r = push(other, t.transcripts, "transcripts", transcripts(kids, 1, 2));
    REQUIRE(r.status == 200);
    CHECK(std::string(parse_json(r.body)["results"][0]["status"].GetString()) == "accepted");
    std::string student = parse_json(r.body)["results"][0]["entities"]["student"].GetString();
    holder.send_signal(SIGCONT);
    pusher.join();
    REQUIRE(late.status == 200);
    // Refused by the fencing token, the stale attempt was rolled back and retried: it now finds
    // the record the other process wrote.
    auto ld = parse_json(late.body);
    CHECK(std::string(ld["results"][0]["status"].GetString()) == "merged");
    CHECK(std::string(ld["results"][0]["entities"]["student"].GetString()) == student);
    CHECK(holder.log().find("fencing token refused") != std::string::npos);
    CHECK(count_rows("golden_record where entity = 'student'") == "1");
    CHECK(count_rows("change_log where entity = 'student' and op = 'create'") == "1");
  }
}

TEST_CASE("records whose block lock another chunk holds wait - the rest of the chunk goes on - vendor order kept",
          "[db][resolve]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto t = partners();
  REQUIRE(push(hub, t.ops, "schools", kOneSchool).status == 200);
  hub::RedisPool redis(redis_url(), 1, std::chrono::milliseconds(1000));

  // Child 0 twice (the second time with another score: the later record must win), children 1-5 once.
  auto kids = children(6);
  auto doc = parse_json(admissions(kids, 0, 6));
  auto& records = doc["hoSo"];
  rapidjson::Value again(records[0], doc.GetAllocator());
  again["diemXetTuyen"].SetString("27", doc.GetAllocator());
  records.PushBack(again, doc.GetAllocator());
  std::string body = hub::json::to_string(doc);

  // Another chunk (played by this test) holds the lock of child 0's personal-ID block.
  auto rules = hub::resolve::load_matching_rules(kPartnersDir + "/../matching");
  REQUIRE(rules);
  const auto& student = *rules.value().at("student");
  rapidjson::Document fields(rapidjson::kObjectType);
  fields.AddMember("personal_id", rapidjson::Value(kids[0].pid.c_str(), fields.GetAllocator()), fields.GetAllocator());
  auto blocks = hub::resolve::blocking_keys(student, hub::resolve::make_profile(student, fields, {}));
  REQUIRE(blocks.size() == 1);
  std::string key = hub::resolve::BlockLocks::key_name("student", blocks[0]);
  REQUIRE(redis.command({"SET", key, "another-chunk", "PX", "30000"})->type == REDIS_REPLY_STATUS);

  HttpResult answer;
  std::thread pusher([&] { answer = push(hub, t.admissions, "admissions", body); });
  // Children 1-5 are stored while child 0 waits for its lock.
  const std::string kAdmissionResults = "batch_record r join inbox_batch b on b.id = r.batch_id where b.feed = 'admissions'";
  std::string done;
  for (int i = 0; i < 200 && (done = count_rows(kAdmissionResults)) != "5"; ++i) std::this_thread::sleep_for(20ms);
  CHECK(done == "5");
  CHECK(count_rows("golden_record where entity = 'student'") == "5");
  CHECK(count_rows("golden_record where data->>'personal_id' = '" + kids[0].pid + "'") == "0");
  redis.command({"DEL", key});
  pusher.join();

  REQUIRE(answer.status == 200);
  auto d = parse_json(answer.body);
  REQUIRE(d["results"].Size() == 7);
  for (const auto& r : d["results"].GetArray()) {
    std::string st = r["status"].GetString();
    CHECK((st == "accepted" || st == "merged"));
  }
  CHECK(count_rows("golden_record where entity = 'student'") == "6");
  CHECK(count_rows("golden_record where data->>'personal_id' = '" + kids[0].pid + "'") == "1");
  CHECK(count_rows(kAdmissionResults) == "7");
  CHECK(sql_value("select (data->>'total_score')::numeric from golden_record where entity = 'admission_application'"
                  " and data->>'application_code' = 'TS-0'") == "27.0");
}
