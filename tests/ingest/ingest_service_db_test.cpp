// Batches that cannot be written, fair claiming, and the answer to a push stored but not
// answered, against the real PostgreSQL and Redis with real hub processes. The failures these
// guard: a row PostgreSQL refused made its batch retry for ever (202 "processing", re-claimed at
// every lease, logged each time with the row's personal ID); batches were claimed in id order,
// so one partner's queue held up every other partner's; a push committed but answered 503 did
// not say that it was stored nor where.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <thread>

#include "hub/common/json.h"
#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kRefusedId = "031214000666";  // the trigger below refuses this student

HttpResult push(HubProcess& hub, const std::string& token, const std::string& feed, const std::string& body,
                std::vector<std::string> extra = {}) {
  extra.push_back("Authorization: Bearer " + token);
  extra.push_back("Content-Type: application/json");
  return http("POST", hub.url("/v1/ingest/" + feed), body, extra, 120000);
}

// Admission records of the demo admissions portal; `ids` are the last 6 digits of each
// student's personal ID (031214xxxxxx: Hải Phòng, a boy born in 2014).
std::string admissions(const std::string& prefix, const std::vector<std::string>& ids) {
  hub::json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    w.begin_object().kv("maHoSo", prefix + "-" + ids[i]).kv("hoTen", "Nguyễn Văn Số " + spelled(std::to_string(i)))
        .kv("ngaySinh", std::to_string(1 + i) + "/3/2014").kv("gioiTinh", "Nam").kv("danToc", "Kinh")
        .kv("soDinhDanh", "031214" + ids[i])
        .key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", "11329").end_object()
        .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", "HP-THCS-0012").kv("nguyenVong", 1)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object();
  }
  w.end_array().end_object();
  return w.str();
}

struct Partners {
  std::string ops, admissions;
};

Partners partners_with_schools() {
  Partners p{add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
             add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application",
                                             "--unit", "province:31"})};
  HubProcess setup;
  REQUIRE(setup.start());
  REQUIRE(push(setup, p.ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  return p;
}

// A test-only trigger standing for any row PostgreSQL refuses: its error quotes the personal ID
// in the message, and the COPY's CONTEXT line quotes the whole row, as real errors do.
void refuse_student(const std::string& personal_id, const std::string& errcode) {
  sql_exec("create or replace function test_refuse_student() returns trigger language plpgsql as $$"
           " begin if new.data->>'personal_id' = '" + personal_id + "' then"
           "   raise exception using errcode = '" + errcode + "', message = 'student refused: ' || (new.data->>'personal_id'),"
           "     detail = 'Failing row contains ' || new.data::text;"
           " end if; return new; end $$");
  sql_exec("create trigger test_refuse_student before insert or update on golden_record"
           " for each row execute function test_refuse_student()");
}

rapidjson::Document wait_for_status(HubProcess& hub, const std::string& token, const std::string& location,
                                    const std::string& status, int seconds) {
  rapidjson::Document d;
  for (int i = 0; i < seconds * 10; ++i) {
    d = parse_json(get(hub.url(location), token).body);
    if (d.IsObject() && d.HasMember("status") && status == d["status"].GetString()) break;
    std::this_thread::sleep_for(100ms);
  }
  return d;
}

}  // namespace

// Failed before: the push was answered 202 and the batch retried for ever; the log carried the
// personal ID in the PostgreSQL error ("batch left for a worker").
TEST_CASE("a record PostgreSQL refuses is rejected on its own and its personal ID stays out of the log",
          "[db][ingest][retry]") {
  reset_database();
  auto p = partners_with_schools();
  refuse_student(kRefusedId, "23514");
  HubProcess hub;
  REQUIRE(hub.start());
  auto res = push(hub, p.admissions, "admissions", admissions("A", {"000601", "000602", "000666", "000604"}));
  INFO(res.body);
  REQUIRE(res.status == 200);
  auto d = parse_json(res.body);
  CHECK(std::string(d["status"].GetString()) == "done");
  REQUIRE(d["results"].Size() == 4);
  for (int i : {0, 1, 3}) CHECK(std::string(d["results"][i]["status"].GetString()) == "accepted");
  const auto& refused = d["results"][2];
  CHECK(std::string(refused["status"].GetString()) == "rejected");
  CHECK(std::string(refused["source_id"].GetString()) == "A-000666");
  const auto& issue = refused["errors"][0];
  CHECK(std::string(issue["code"].GetString()) == "record.store_refused");
  CHECK(std::string(issue["path"].GetString()) == "$['hoSo'][2]");
  std::string message = issue["message"].GetString();
  CHECK(message.find("SQLSTATE 23514") != std::string::npos);
  CHECK(message.find(kRefusedId) == std::string::npos);
  CHECK(std::string(issue["message_vi"].GetString()).find("Cơ sở dữ liệu") != std::string::npos);
  CHECK(count_rows("golden_record where entity = 'student'") == "3");
  CHECK(dangling_rows() == "0");

  std::string log = hub.log();
  CHECK(log.find("record refused by PostgreSQL") != std::string::npos);
  CHECK(log.find("031*******66") != std::string::npos);
  CHECK(log.find(kRefusedId) == std::string::npos);
  CHECK(log.find("Failing row") == std::string::npos);
}

// The order of the write path's stages and its failure path: the change log is written last,
// after the chunk's golden records, versions, source links and outcomes. Guards against a
// failure there leaving any of those half-written (rows without their change event, which the
// warehouse would never receive), and against the chunk's other records being lost with it.
TEST_CASE("a database error in the change log (the last stage) rolls the whole chunk back - its record is rejected - "
          "its neighbours stored", "[db][ingest][retry][pipeline]") {
  reset_database();
  auto p = partners_with_schools();
  sql_exec("create or replace function test_refuse_change() returns trigger language plpgsql as $$"
           " begin if exists (select 1 from golden_record g where g.id = new.record_id"
           "   and g.data->>'personal_id' = '" + std::string(kRefusedId) + "') then"
           "   raise exception using errcode = '23514', message = 'change event refused';"
           " end if; return new; end $$");
  sql_exec("create trigger test_refuse_change before insert on change_log"
           " for each row execute function test_refuse_change()");
  HubProcess hub;
  REQUIRE(hub.start());
  auto res = push(hub, p.admissions, "admissions", admissions("C", {"000701", "000666", "000703"}));
  INFO(res.body);
  REQUIRE(res.status == 200);
  auto d = parse_json(res.body);
  REQUIRE(d["results"].Size() == 3);
  CHECK(std::string(d["results"][0]["status"].GetString()) == "accepted");
  CHECK(std::string(d["results"][2]["status"].GetString()) == "accepted");
  const auto& refused = d["results"][1];
  CHECK(std::string(refused["status"].GetString()) == "rejected");
  CHECK(std::string(refused["errors"][0]["code"].GetString()) == "record.store_refused");
  CHECK(refused["entities"].ObjectEmpty());
  // Nothing of the refused record survived its chunk's rollback, though its golden record,
  // version and source link were written before the change log failed.
  CHECK(count_rows("golden_record where data->>'personal_id' = '" + std::string(kRefusedId) + "'") == "0");
  CHECK(count_rows("source_link where source_id = 'C-000666'") == "0");
  // Every record has exactly one outcome; every stored record one change event per entity.
  CHECK(count_rows("batch_record b join inbox_batch i on i.id = b.batch_id where i.feed = 'admissions'") == "3");
  CHECK(count_rows("golden_record where entity = 'student'") == "2");
  CHECK(count_rows("change_log where entity = 'student'") == "2");
  CHECK(count_rows("record_version v join golden_record g on g.id = v.record_id where g.entity = 'student'") == "2");
  CHECK(dangling_rows() == "0");
}

// Failed before: the batch was re-claimed at every lease and never ended.
TEST_CASE("a batch that keeps failing ends failed after max_attempts - visible to the partner and to hubctl",
          "[db][ingest][retry]") {
  reset_database();
  auto p = partners_with_schools();
  refuse_student("031214000703", "P0001");  // not a data error: the whole attempt fails
  HubProcess hub({{"HUB_INGEST_SYNC_MAX_RECORDS", "1"}, {"HUB_INGEST_CHUNK_RECORDS", "2"},
                  {"HUB_INGEST_MAX_ATTEMPTS", "3"}, {"HUB_INGEST_RETRY_BACKOFF_MS", "200"}});
  REQUIRE(hub.start());
  auto queued = push(hub, p.admissions, "admissions", admissions("F", {"000701", "000702", "000703", "000704", "000705"}));
  REQUIRE(queued.status == 202);
  std::string location = queued.headers["location"];
  // Another partner's batch queued after it is not held up by its retries.
  std::string ndjson =
      R"({"maTruong":"HP-TH-0100","tenTruong":"Trường Tiểu học A","capHoc":"Tiểu học","loaiHinh":"Công lập","maTinh":"31","maXa":"11383"})"
      "\n"
      R"({"maTruong":"HP-TH-0101","tenTruong":"Trường Tiểu học B","capHoc":"Tiểu học","loaiHinh":"Tư thục","maTinh":"31","maXa":"11311"})"
      "\n";
  auto other = http("POST", hub.url("/v1/ingest/schools"), ndjson,
                    {"Authorization: Bearer " + p.ops, "Content-Type: application/x-ndjson"});
  REQUIRE(other.status == 202);
  auto other_done = wait_for_status(hub, p.ops, other.headers["location"], "done", 10);
  CHECK(std::string(other_done["status"].GetString()) == "done");

  auto d = wait_for_status(hub, p.admissions, location, "failed", 30);
  INFO(hub::json::to_string(d));
  REQUIRE(std::string(d["status"].GetString()) == "failed");
  CHECK(d["attempts"].GetInt() == 3);
  CHECK_FALSE(d["finished_at"].IsNull());
  const auto& error = d["error"];
  CHECK(std::string(error["code"].GetString()) == "ingest.batch_failed");
  CHECK(std::string(error["sqlstate"].GetString()) == "P0001");
  CHECK(error["attempts"].GetInt() == 3);
  CHECK(std::string(error["message"].GetString()).find("031214000703") == std::string::npos);
  CHECK(std::string(error["message_vi"].GetString()).size() > 10);
  // The first chunk (records 0 and 1) was written; records 2 to 4 were not, and say so.
  REQUIRE(error["not_processed"].Size() == 1);
  CHECK(error["not_processed"][0][0].GetInt() == 2);
  CHECK(error["not_processed"][0][1].GetInt() == 4);
  CHECK(error["not_processed_count"].GetInt() == 3);
  REQUIRE(d["results"].Size() == 2);
  CHECK(std::string(d["results"][0]["status"].GetString()) == "accepted");
  CHECK(d["counts"]["accepted"].GetInt() == 2);
  CHECK(hub.log().find("031214000703") == std::string::npos);

  // The partner's listing filters failed batches; another partner does not see them.
  auto mine = parse_json(get(hub.url("/v1/batches?status=failed"), p.admissions).body);
  REQUIRE(mine["batches"].Size() == 1);
  CHECK(mine["batches"][0]["attempts"].GetInt() == 3);
  CHECK(std::string(mine["batches"][0]["error"]["code"].GetString()) == "ingest.batch_failed");
  CHECK(get(hub.url("/v1/batches?status=lost"), p.admissions).status == 400);

  // Operators list it, fix the cause and retry it: the records left are processed, once.
  auto listed = hubctl({"batch", "list", "--status", "failed"});
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find("ingest.batch_failed") != std::string::npos);
  CHECK(listed.out.find("demo-admissions") != std::string::npos);
  CHECK(hubctl({"batch", "retry", "999"}).exit_code == 1);
  sql_exec("drop trigger test_refuse_student on golden_record");
  std::string id = std::to_string(d["batch_id"].GetInt64());
  auto retried = hubctl({"batch", "retry", id});
  CHECK(retried.exit_code == 0);
  CHECK(retried.out.find("3 record(s)") != std::string::npos);
  CHECK(count_rows("audit_log where action = 'batch.retry'") == "1");
  auto done = wait_for_status(hub, p.admissions, location, "done", 20);
  REQUIRE(std::string(done["status"].GetString()) == "done");
  CHECK(done["counts"]["accepted"].GetInt() == 5);
  CHECK(done["attempts"].GetInt() == 0);
  CHECK_FALSE(done.HasMember("error"));
  CHECK(count_rows("golden_record where entity = 'student'") == "5");
  CHECK(hubctl({"batch", "retry", id}).exit_code == 1);  // done: nothing to retry
}

// Failed before: batches were claimed in id order, so the other partner's batch came last.
TEST_CASE("fair claiming: a partner with many queued batches does not hold up another partner", "[db][ingest][retry]") {
  reset_database();
  auto p = partners_with_schools();
  std::vector<long long> first_partner;
  long long second_partner = 0;
  {
    HubProcess queue_only({{"HUB_INGEST_WORKERS", "0"}, {"HUB_INGEST_SYNC_MAX_RECORDS", "1"}});
    REQUIRE(queue_only.start());
    for (int b = 0; b < 6; ++b) {
      auto r = push(queue_only, p.admissions, "admissions",
                    admissions("Q" + std::to_string(b), {"0008" + std::to_string(b) + "1", "0008" + std::to_string(b) + "2"}));
      REQUIRE(r.status == 202);
      first_partner.push_back(parse_json(r.body)["batch_id"].GetInt64());
    }
    std::string ndjson =
        R"({"maTruong":"HP-TH-0200","tenTruong":"Trường Tiểu học C","capHoc":"Tiểu học","loaiHinh":"Công lập","maTinh":"31","maXa":"11383"})"
        "\n"
        R"({"maTruong":"HP-TH-0201","tenTruong":"Trường Tiểu học D","capHoc":"Tiểu học","loaiHinh":"Tư thục","maTinh":"31","maXa":"11311"})"
        "\n";
    auto r = http("POST", queue_only.url("/v1/ingest/schools"), ndjson,
                  {"Authorization: Bearer " + p.ops, "Content-Type: application/x-ndjson"});
    REQUIRE(r.status == 202);
    second_partner = parse_json(r.body)["batch_id"].GetInt64();
  }
  HubProcess worker(std::map<std::string, std::string>{{"HUB_INGEST_WORKERS", "1"}});
  REQUIRE(worker.start());
  for (int i = 0; i < 300 && count_rows("inbox_batch where status <> 'done'") != "0"; ++i)
    std::this_thread::sleep_for(100ms);
  REQUIRE(count_rows("inbox_batch where status <> 'done'") == "0");
  // Claim order: the partners take turns while both have batches waiting.
  std::string order = sql_value(
      "select string_agg(id::text, ',' order by started_at, id) from inbox_batch where feed <> 'schools' or id = " +
      std::to_string(second_partner));
  INFO("claim order " << order);
  std::string rank = sql_value("select r from (select id, row_number() over (order by started_at, id) r"
                               " from inbox_batch where id >= " + std::to_string(first_partner.front()) +
                               ") s where id = " + std::to_string(second_partner));
  CHECK(std::stoi(rank) <= 2);
}

// Before: the 503 of a push whose batch was stored said only "cannot reach PostgreSQL; retry
// later", neither that it was stored nor where to follow it.
TEST_CASE("a push stored but not answered: 503 names the batch and a resend with its key gets the stored answer",
          "[db][ingest][retry]") {
  reset_database();
  auto p = partners_with_schools();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_INGEST_LEASE_SECONDS", "2"}});
  REQUIRE(hub.start());
  std::string body = admissions("R", {"000901", "000902", "000903"});
  const std::string key = "Idempotency-Key: push-2025-06-21";

  // The hub's connections lose PostgreSQL after the batch is committed: a test connection
  // holds a lock the chunk and the answer need, and every hub backend that waits for it is
  // terminated, as in a failover.
  pqxx::connection blocker(postgres_url());
  pqxx::work hold(blocker);
  hold.exec("lock table batch_record in access exclusive mode");
  std::atomic<bool> answered{false};
  HttpResult first;
  std::thread client([&] {
    first = push(hub, p.admissions, "admissions", body, {key});
    answered = true;
  });
  int terminated = 0;
  for (int i = 0; i < 1500 && !answered; ++i) {
    terminated += std::stoi(sql_value(
        "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity"
        " where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock') t"));
    std::this_thread::sleep_for(20ms);
  }
  client.join();
  hold.abort();
  INFO(first.body);
  REQUIRE(first.status == 503);
  auto problem = parse_json(first.body);
  CHECK(std::string(problem["code"].GetString()) == "dependency.postgres");
  CHECK(first.headers["retry-after"] == "5");
  REQUIRE(count_rows("inbox_batch where feed = 'admissions'") == "1");
  std::string id = sql_value("select id from inbox_batch where feed = 'admissions'");
  CHECK(first.headers["location"] == "/v1/batches/" + id);
  CHECK(std::string(problem["detail"].GetString()).find("batch " + id) != std::string::npos);
  CHECK(terminated >= 2);

  // A worker finishes the stored batch; the resend is answered with it, not a second batch.
  auto done = wait_for_status(hub, p.admissions, "/v1/batches/" + id, "done", 30);
  REQUIRE(std::string(done["status"].GetString()) == "done");
  auto replay = push(hub, p.admissions, "admissions", body, {key});
  REQUIRE(replay.status == 200);
  CHECK(replay.headers["idempotent-replayed"] == "true");
  CHECK(replay.headers["location"] == "/v1/batches/" + id);
  auto again = parse_json(replay.body);
  CHECK(std::to_string(again["batch_id"].GetInt64()) == id);
  CHECK(again["results"] == done["results"]);
  CHECK(again["counts"]["accepted"].GetInt() == 3);
  CHECK(count_rows("inbox_batch where feed = 'admissions'") == "1");
  CHECK(count_rows("golden_record where entity = 'student'") == "3");
  CHECK(count_rows("change_log where entity = 'student'") == "3");
}

// A queued push is read back from the inbox a slice at a time (4 MiB; a whole bytea result of a
// 32 MB body held three copies of it). Guards the reassembly: a body of several slices, with
// multi-byte characters across their boundaries, is processed as sent.
TEST_CASE("a queued push larger than a slice of the inbox is read back whole", "[db][ingest]") {
  reset_database();
  auto p = partners_with_schools();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_INGEST_SYNC_MAX_RECORDS", "1"}});
  REQUIRE(hub.start());
  std::string body = admissions("BIG", {"000101", "000102", "000103"});
  std::string padding;
  for (int i = 0; i < 1800000; ++i) padding += "Ắ";  // 3 bytes each: 5.4 MB, not a multiple of a slice
  body.insert(1, "\"ghiChu\":\"" + padding + "\",");
  auto r = push(hub, p.admissions, "admissions", body);
  REQUIRE(r.status == 202);
  auto done = wait_for_status(hub, p.admissions, r.headers["location"], "done", 60);
  REQUIRE(std::string(done["status"].GetString()) == "done");
  CHECK(done["counts"]["accepted"].GetInt() == 3);
  CHECK(sql_value("select octet_length(body) > 4194304 from inbox_batch where id = " +
                  std::to_string(done["batch_id"].GetInt64())) == "t");
  CHECK(sql_value("select octet_length(body) = " + std::to_string(body.size()) + " from inbox_batch where id = " +
                  std::to_string(done["batch_id"].GetInt64())) == "t");
  CHECK(count_rows("golden_record where entity = 'student' and data->>'personal_id' in"
                   " ('031214000101', '031214000102', '031214000103')") == "3");
}
