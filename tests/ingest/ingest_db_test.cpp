// Ingest end to end against the real PostgreSQL and Redis with real hub processes: per-record
// results of mixed batches, idempotency, unchanged no-ops, lineage, as_of, async batches,
// NDJSON, unit scope, and a kill -9 in the middle of a 50,000-record batch.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "hub/common/json.h"
#include "tests/support/openapi_check.h"
#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;

namespace {

std::string sample(const std::string& partner, const std::string& feed) {
  return read_file(kPartnersDir + "/" + partner + "/samples/" + feed + ".json");
}

HttpResult push(HubProcess& hub, const std::string& token, const std::string& feed, const std::string& body,
                std::vector<std::string> extra = {}, const std::string& type = "application/json") {
  extra.push_back("Authorization: Bearer " + token);
  extra.push_back("Content-Type: " + type);
  return http("POST", hub.url("/v1/ingest/" + feed), body, extra, 120000);
}

struct Demo {
  std::string ops, admissions, transcripts;
};

Demo demo_partners() {
  return {add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
          add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application",
                                          "--unit", "province:31"}),
          add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                           "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"})};
}

std::vector<std::string> statuses(const rapidjson::Document& d) {
  std::vector<std::string> out;
  for (const auto& r : d["results"].GetArray()) out.push_back(r["status"].GetString());
  return out;
}

}  // namespace

TEST_CASE("a mixed batch: every record ends accepted - review or rejected - with reasons", "[db][ingest]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = demo_partners();
  auto schools = push(hub, p.ops, "schools", sample("demo-ops", "schools"));
  REQUIRE(schools.status == 200);
  CHECK(statuses(parse_json(schools.body)) == std::vector<std::string>(4, "accepted"));

  auto r = push(hub, p.admissions, "admissions", sample("demo-admissions", "admissions"));
  REQUIRE(r.status == 200);
  CHECK(openapi_mismatch("POST", "/v1/ingest/admissions", r) == "");  // as docs/openapi.yaml describes it
  CHECK(r.headers["location"].rfind("/v1/batches/", 0) == 0);
  auto d = parse_json(r.body);
  CHECK(statuses(d) == std::vector<std::string>{"accepted", "rejected", "rejected", "review", "rejected",
                                                "rejected", "accepted"});
  CHECK(d["counts"]["accepted"].GetInt() == 2);
  CHECK(d["counts"]["rejected"].GetInt() == 4);
  CHECK(d["counts"]["review"].GetInt() == 1);
  const auto& first = d["results"][0];
  std::string student = first["entities"]["student"].GetString();
  CHECK(first["entities"].HasMember("admission_application"));
  CHECK(std::string(d["results"][1]["errors"][0]["code"].GetString()) == "date.impossible");
  CHECK(std::string(d["results"][1]["errors"][0]["path"].GetString()) == "$['hoSo'][1]['ngaySinh']");
  CHECK(std::string(d["mapping_version"].GetString()).rfind("1#", 0) == 0);

  // Accepted records are in the store, with their application pointing at the student.
  CHECK(count_rows("golden_record where entity = 'student'") == "2");
  CHECK(sql_value("select data->>'student' from golden_record where entity = 'admission_application'"
                  " and data->>'application_code' = 'TS25-000101'") == student);
  CHECK(count_rows("change_log where op = 'create'") == "8");  // 4 schools, 2 students, 2 applications
  CHECK(count_rows("review_item where status = 'open'") == "1");
  CHECK(count_rows("batch_record") == "11");  // 4 + 7: nothing silently dropped
  // The raw payload was kept as received.
  CHECK(sql_value("select length(body) from inbox_batch where feed = 'admissions'") ==
        std::to_string(sample("demo-admissions", "admissions").size()));

  // GET /v1/batches/{id} pages the same results; another partner cannot see the batch.
  auto batch = get(hub.url(r.headers["location"] + "?offset=5&limit=1"), p.admissions);
  REQUIRE(batch.status == 200);
  CHECK(openapi_mismatch("GET", r.headers["location"], batch) == "");
  auto bd = parse_json(batch.body);
  CHECK(bd["results"].Size() == 1);
  CHECK(bd["results"][0]["index"].GetInt() == 5);
  CHECK(bd["next_offset"].GetInt() == 6);
  auto hidden = get(hub.url(r.headers["location"]), p.transcripts);
  CHECK(hidden.status == 404);
  CHECK(openapi_mismatch("GET", r.headers["location"], hidden) == "");
  auto listed = get(hub.url("/v1/batches"), p.admissions);
  CHECK(openapi_mismatch("GET", "/v1/batches", listed) == "");
  CHECK(parse_json(listed.body)["batches"].Size() == 1);
}

TEST_CASE("the same child from two vendors is one record - resending is a no-op", "[db][ingest]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = demo_partners();
  REQUIRE(push(hub, p.ops, "schools", sample("demo-ops", "schools")).status == 200);
  auto a = parse_json(push(hub, p.admissions, "admissions", sample("demo-admissions", "admissions")).body);
  std::string student = a["results"][0]["entities"]["student"].GetString();

  auto t = push(hub, p.transcripts, "transcripts", sample("demo-transcripts", "transcripts"));
  REQUIRE(t.status == 200);
  auto td = parse_json(t.body);
  CHECK(std::string(td["results"][0]["status"].GetString()) == "merged");
  CHECK(std::string(td["results"][0]["entities"]["student"].GetString()) == student);
  CHECK(td["results"][0]["entities"]["subject_result"].Size() == 3);
  CHECK(count_rows("golden_record where entity = 'student'") == "2");

  // Lineage: who supplied each current value.
  auto rec = parse_json(get(hub.url("/v1/records/student/" + student + "?lineage=true"), p.ops).body);
  CHECK(std::string(rec["lineage"]["moet_student_code"]["partner"].GetString()) == "demo-transcripts");
  CHECK(std::string(rec["lineage"]["contact_phone"]["partner"].GetString()) == "demo-admissions");
  CHECK(std::string(rec["lineage"]["contact_phone"]["source_id"].GetString()) == "TS25-000101");
  CHECK(rec["lineage"]["contact_phone"].HasMember("batch"));
  CHECK(rec["lineage"]["contact_phone"].HasMember("mapping_version"));
  CHECK(rec["version"].GetInt() == 2);

  // The same content again: unchanged, no new version, no change event.
  std::string changes = count_rows("change_log");
  std::string versions = count_rows("record_version");
  auto again = parse_json(push(hub, p.transcripts, "transcripts", sample("demo-transcripts", "transcripts")).body);
  CHECK(std::string(again["results"][0]["status"].GetString()) == "unchanged");
  CHECK(count_rows("change_log") == changes);
  CHECK(count_rows("record_version") == versions);
  CHECK(parse_json(get(hub.url("/v1/records/student/" + student), p.ops).body)["version"].GetInt() == 2);
  CHECK(dangling_rows() == "0");
}

TEST_CASE("Idempotency-Key: same key and body replays - another body is a conflict", "[db][ingest]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = demo_partners();
  REQUIRE(push(hub, p.ops, "schools", sample("demo-ops", "schools")).status == 200);
  std::string body = sample("demo-admissions", "admissions");
  auto first = push(hub, p.admissions, "admissions", body, {"Idempotency-Key: push-2025-06-20"});
  auto second = push(hub, p.admissions, "admissions", body, {"Idempotency-Key: push-2025-06-20"});
  REQUIRE(first.status == 200);
  REQUIRE(second.status == 200);
  CHECK(second.headers["idempotent-replayed"] == "true");
  auto a = parse_json(first.body), b = parse_json(second.body);
  CHECK(a["results"] == b["results"]);
  CHECK(a["batch_id"] == b["batch_id"]);
  CHECK(count_rows("inbox_batch where feed = 'admissions'") == "1");
  auto conflict = push(hub, p.admissions, "admissions", R"({"hoSo": []})", {"Idempotency-Key: push-2025-06-20"});
  CHECK(conflict.status == 409);
  CHECK(std::string(parse_json(conflict.body)["code"].GetString()) == "idempotency.conflict");
  // Without a key, a resend is processed again (and is unchanged).
  auto third = parse_json(push(hub, p.admissions, "admissions", body).body);
  CHECK(std::string(third["results"][0]["status"].GetString()) == "unchanged");
  // A key with bytes that are not visible ASCII is refused before anything is stored (a key in
  // invalid UTF-8 made PostgreSQL refuse the inbox row: 500).
  auto bad_key = push(hub, p.admissions, "admissions", body, {"Idempotency-Key: push-\xff\xfe"});
  CHECK(bad_key.status == 400);
  CHECK(std::string(parse_json(bad_key.body)["code"].GetString()) == "request.idempotency_key");
  CHECK(count_rows("inbox_batch where feed = 'admissions'") == "2");
}

TEST_CASE("enrolled from the day of transfer: as_of answers", "[db][ingest]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = demo_partners();
  REQUIRE(push(hub, p.ops, "schools", sample("demo-ops", "schools")).status == 200);
  std::string body = sample("demo-transcripts", "transcripts");
  body.replace(body.find("\"score\": 10.5"), 13, "\"score\": 9.5");  // make Mai's record clean
  auto d = parse_json(push(hub, p.transcripts, "transcripts", body).body);
  REQUIRE(std::string(d["results"][1]["status"].GetString()) == "accepted");
  std::string mai = d["results"][1]["entities"]["student"].GetString();
  std::string enrollment = d["results"][1]["entities"]["enrollment"].GetString();

  auto sept = parse_json(get(hub.url("/v1/records/student/" + mai + "?as_of=2025-09-30"), p.ops).body);
  CHECK(sept["enrollments"].Size() == 0);  // she joined on 3 March
  auto march = parse_json(get(hub.url("/v1/records/student/" + mai + "?as_of=2026-03-15"), p.ops).body);
  REQUIRE(march["enrollments"].Size() == 1);
  CHECK(std::string(march["enrollments"][0]["valid_from"].GetString()) == "2026-03-03");
  auto enr = parse_json(get(hub.url("/v1/records/enrollment/" + enrollment + "?as_of=2025-09-30"), p.ops).body);
  CHECK_FALSE(enr["in_force"].GetBool());
  CHECK(get(hub.url("/v1/records/student/" + mai + "?as_of=30-09-2025"), p.ops).status == 400);
  CHECK(get(hub.url("/v1/records/student/00000000-0000-4000-8000-000000000000"), p.ops).status == 404);
  CHECK(get(hub.url("/v1/records/student/" + mai), p.admissions).status == 403);  // no pull scope
}

TEST_CASE("large pushes are queued (202) and NDJSON lines are records of their own", "[db][ingest]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_INGEST_SYNC_MAX_RECORDS", "3"}});
  REQUIRE(hub.start());
  auto p = demo_partners();
  auto queued = push(hub, p.ops, "schools", sample("demo-ops", "schools"));
  REQUIRE(queued.status == 202);
  CHECK(openapi_mismatch("POST", "/v1/ingest/schools", queued) == "");
  std::string location = queued.headers["location"];
  rapidjson::Document d;
  for (int i = 0; i < 100; ++i) {
    d = parse_json(get(hub.url(location), p.ops).body);
    if (std::string(d["status"].GetString()) == "done") break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(std::string(d["status"].GetString()) == "done");
  CHECK(d["counts"]["accepted"].GetInt() == 4);

  std::string ndjson =
      R"({"maTruong":"HP-TH-0100","tenTruong":"Trường Tiểu học A","capHoc":"Tiểu học","loaiHinh":"Công lập","maTinh":"31","maXa":"11383"})"
      "\n{not json}\n\n"
      R"({"maTruong":"HP-TH-0101","tenTruong":"Trường Tiểu học B","capHoc":"Tiểu học","loaiHinh":"Tư thục","maTinh":"31","maXa":"11311"})"
      "\n";
  auto nd = push(hub, p.ops, "schools", ndjson, {}, "application/x-ndjson");
  REQUIRE(nd.status == 200);
  auto nd_doc = parse_json(nd.body);
  CHECK(statuses(nd_doc) == std::vector<std::string>{"accepted", "rejected", "accepted"});
  CHECK(std::string(nd_doc["results"][1]["errors"][0]["code"].GetString()) == "record.malformed_json");
  CHECK(std::string(nd_doc["results"][1]["errors"][0]["message"].GetString()).find("line 2") != std::string::npos);
}

// Guards the bound on records per push: without ingest.max_records, 32 MiB of tiny records
// (about 11 million) would be parsed, stored and mapped as one batch.
TEST_CASE("a push with more records than ingest.max_records is refused whole with 413", "[db][ingest]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_INGEST_MAX_RECORDS", "2"}});
  REQUIRE(hub.start());
  auto p = demo_partners();
  std::string line =
      R"({"maTruong":"HP-TH-0100","tenTruong":"Trường Tiểu học A","capHoc":"Tiểu học","loaiHinh":"Công lập","maTinh":"31","maXa":"11383"})";
  auto refused = push(hub, p.ops, "schools", line + "\n" + line + "\n" + line + "\n", {}, "application/x-ndjson");
  CHECK(refused.status == 413);
  CHECK(openapi_mismatch("POST", "/v1/ingest/schools", refused) == "");
  CHECK(std::string(parse_json(refused.body)["code"].GetString()) == "ingest.too_many_records");
  CHECK(count_rows("inbox_batch") == "0");
  CHECK(push(hub, p.ops, "schools", line + "\n" + line + "\n", {}, "application/x-ndjson").status == 200);
}

TEST_CASE("refusals: unknown feed - missing scope - malformed body - units outside the partner's", "[db][ingest]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = demo_partners();
  REQUIRE(push(hub, p.ops, "schools", sample("demo-ops", "schools")).status == 200);
  CHECK(push(hub, p.admissions, "transcripts", "{}").status == 404);
  auto malformed = push(hub, p.admissions, "admissions", "{\"hoSo\": [{]}");
  CHECK(malformed.status == 400);
  CHECK(openapi_mismatch("POST", "/v1/ingest/admissions", malformed) == "");
  CHECK(parse_json(malformed.body)["offset"].GetInt() == 11);
  CHECK(count_rows("inbox_batch where feed = 'admissions'") == "0");  // nothing accepted, nothing kept

  // The admissions feed writes applications too: a token without that scope is refused whole.
  hubctl({"partner", "scope", "demo-admissions", "--remove", "ingest:admission_application"});
  auto no_scope = push(hub, p.admissions, "admissions", sample("demo-admissions", "admissions"));
  CHECK(no_scope.status == 403);
  CHECK(openapi_mismatch("POST", "/v1/ingest/admissions", no_scope) == "");
  CHECK(no_scope.body.find("ingest:admission_application") != std::string::npos);
  hubctl({"partner", "scope", "demo-admissions", "--add", "ingest:admission_application"});

  // Hải Phòng's admissions portal may not send a record for a Hà Nội school.
  std::string body = sample("demo-admissions", "admissions");
  body.replace(body.find("HP-THCS-0012"), 12, "HN-THCS-0001");
  auto out = parse_json(push(hub, p.admissions, "admissions", body).body);
  CHECK(std::string(out["results"][0]["status"].GetString()) == "rejected");
  std::string message = out["results"][0]["errors"][0]["message"].GetString();
  CHECK(std::string(out["results"][0]["errors"][0]["code"].GetString()) == "auth.unit");
  CHECK(message.find("HN-THCS-0001") != std::string::npos);
  CHECK(std::string(out["results"][6]["status"].GetString()) == "accepted");  // the others go on
}

TEST_CASE("kill -9 in the middle of a 50000-record batch: no record lost or doubled", "[db][ingest][slow]") {
  reset_database();
  std::map<std::string, std::string> env = {{"HUB_INGEST_LEASE_SECONDS", "3"}};
  auto first = std::make_unique<HubProcess>(env);
  REQUIRE(first->start());
  auto p = demo_partners();
  REQUIRE(push(*first, p.ops, "schools", sample("demo-ops", "schools")).status == 200);

  constexpr int kRecords = 50000;
  hub::json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (int i = 0; i < kRecords; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    w.begin_object().kv("maHoSo", std::string("LOAD-") + id).kv("hoTen", "Nguyễn Văn Số " + spelled(id))
        .kv("ngaySinh", std::to_string(1 + i % 28) + "/" + std::to_string(1 + i % 12) + "/2014")
        .kv("gioiTinh", "Nam").kv("danToc", "Kinh").kv("soDinhDanh", std::string("031214") + id)
        .key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", "11329").end_object()
        .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", "HP-THCS-0012").kv("nguyenVong", 1)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object();
  }
  w.end_array().end_object();
  auto queued = push(*first, p.admissions, "admissions", w.str());
  REQUIRE(queued.status == 202);

  // Kill the only process working on it once part of it is committed.
  std::string progress;
  for (int i = 0; i < 600; ++i) {
    progress = sql_value("select next_index from inbox_batch where feed = 'admissions'");
    if (!progress.empty() && std::stoi(progress) >= 5000) break;
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(std::stoi(progress) >= 5000);
  first->stop(SIGKILL);
  std::string at_kill = sql_value("select next_index from inbox_batch where feed = 'admissions'");
  INFO("killed at record " << at_kill);
  CHECK(std::stoi(at_kill) < kRecords);

  HubProcess second(env);
  REQUIRE(second.start());
  std::string status;
  for (int i = 0; i < 1200 && status != "done"; ++i) {
    status = sql_value("select status from inbox_batch where feed = 'admissions'");
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(status == "done");
  CHECK(count_rows("batch_record b join inbox_batch i on i.id = b.batch_id where i.feed = 'admissions'") == "50000");
  CHECK(sql_value("select count(distinct index) from batch_record b join inbox_batch i on i.id = b.batch_id"
                  " where i.feed = 'admissions' and b.status = 'accepted'") == "50000");
  CHECK(count_rows("golden_record where entity = 'student'") == "50000");
  CHECK(count_rows("golden_record where entity = 'admission_application'") == "50000");
  CHECK(count_rows("change_log where entity = 'student'") == "50000");  // each created exactly once
  CHECK(count_rows("source_link where entity = 'student'") == "50000");
}
