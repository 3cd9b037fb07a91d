// Push connectors end to end: real hub processes ingest and resolve, the outbox worker pushes
// to the reference receiver (tests/support/warehouse_receiver.h, its own PostgreSQL schema), and
// the receiver must end with the hub's final state: every change of the published entities
// once, none twice, in order, through a receiver outage, a kill -9 of the hub mid-send,
// duplicate deliveries, rejections (dead letters, replay), pause/resume, and the file sink.
//
// The outage lasts HUB_TEST_SYNC_OUTAGE_SECONDS (default 5 s, so that CI stays fast; set it to
// 300 for the "several minutes" of the issue: nothing else changes, backoff is capped at 1 s).

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "tests/support/test_env.h"
#include "tests/support/warehouse_receiver.h"

using namespace hub::test;
using namespace std::chrono_literals;

namespace {

const std::string kPublicationSecret = "push-test-publication-secret";
const std::string kSigningSecret = "push-test-signing-secret-0123";
int outage_seconds() {
  const char* v = std::getenv("HUB_TEST_SYNC_OUTAGE_SECONDS");
  return v && *v ? std::atoi(v) : 5;
}

std::string temp_file(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("hub-push-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

// A profile for the demo warehouse pushing to `sink_yaml` (the push section's sink lines).
std::string publication_file(const std::string& sink_yaml, int max_attempts = 100000) {
  return temp_file("publication.yaml",
                   "hmac_secret_env: HUB_PUBLICATION_SECRET\n"
                   "consumers:\n"
                   "  demo-warehouse:\n"
                   "    personal_ids: hash\n"
                   "    entities:\n"
                   "      school: {fields: all}\n"
                   "      student: {fields: [full_name, birth_date, gender, personal_id, residence_commune]}\n"
                   "      admission_application: {fields: all}\n"
                   "    push:\n"
                   "      batch_changes: 50\n"
                   "      max_attempts: " + std::to_string(max_attempts) + "\n"
                   "      backoff_initial_ms: 100\n"
                   "      backoff_max_ms: 1000\n" + sink_yaml);
}

std::string http_sink(const WarehouseReceiver& r) {
  return "      sink: http\n      options:\n        url: " + r.url() +
         "\n        auth: hmac\n        secret_env: HUB_WAREHOUSE_SIGNING_SECRET\n"
         "        connect_timeout_ms: 500\n        timeout_ms: 5000\n";
}

std::map<std::string, std::string> hub_env(const std::string& publication) {
  return {{"HUB_SYNC_PUBLICATION", publication},
          {"HUB_PUBLICATION_SECRET", kPublicationSecret},
          {"HUB_WAREHOUSE_SIGNING_SECRET", kSigningSecret},
          {"HUB_SYNC_POLL_MS", "50"},
          {"HUB_INGEST_LEASE_SECONDS", "3"}};
}

// `count` admission records from `first`, each a student and an application; `round` changes
// the names so that a second round updates the same records.
std::string admissions(int first, int count, int round) {
  hub::json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (int i = first; i < first + count; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    w.begin_object().kv("maHoSo", std::string("SYNC-") + id)
        .kv("hoTen", (round == 0 ? "Nguyễn Văn Số " : "Trần Thị Số ") + spelled(id))
        .kv("ngaySinh", std::to_string(1 + i % 28) + "/" + std::to_string(1 + i % 12) + "/2014")
        .kv("gioiTinh", "Nam").kv("danToc", "Kinh").kv("soDinhDanh", std::string("031214") + id)
        .key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", "11329").end_object()
        .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", "HP-THCS-0012").kv("nguyenVong", 1)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object();
  }
  w.end_array().end_object();
  return w.str();
}

struct Tokens {
  std::string ops, admissions, warehouse;
};

Tokens partners() {
  return {add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
          add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"}),
          add_partner("demo-warehouse", {"--scope", "pull:*"})};
}

const char* kPublished = "('school', 'student', 'admission_application')";

long long head() {
  return std::stoll(sql_value(std::string("select coalesce(max(seq), 0) from change_log where entity in ") + kPublished));
}

// Waits until the consumer's cursor has reached the published head (up to `seconds`).
bool wait_delivered(int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    std::string cursor = sql_value("select cursor from sync_consumer where name = 'demo-warehouse'");
    if (!cursor.empty() && std::stoll(cursor) >= head()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

// The receiver holds exactly the hub's final state: every published change once, and every
// live record at the hub's version with the data the pull API shows.
void check_final_state(HubProcess& hub, const std::string& warehouse_token, const WarehouseReceiver& r) {
  std::string published = std::string("select seq from change_log where entity in ") + kPublished;
  CHECK(sql_value("select count(*) from (" + published + " except select seq from warehouse.change) x") == "0");  // no gap
  CHECK(sql_value("select count(*) from (select seq from warehouse.change except " + published + ") x") == "0");
  CHECK(sql_value("select count(*) from warehouse.change") ==
        sql_value(std::string("select count(*) from change_log where entity in ") + kPublished));
  CHECK(sql_value(std::string("select count(*) from golden_record g left join warehouse.record w on w.id = g.id"
                              " where g.entity in ") + kPublished + " and (w.id is null or w.version <> g.version)") == "0");
  CHECK(r.counters().out_of_order == 0);
  // The data itself, for a sample of records: what the receiver stored is what the hub publishes.
  int compared = 0;
  for (int i = 0; i < 15; ++i) {
    std::string row = sql_value(std::string("select g.entity || ' ' || g.id from golden_record g where g.entity in ") +
                                kPublished + " order by md5(g.id::text) offset " + std::to_string(i * 7) + " limit 1");
    if (row.empty()) break;
    std::string entity = row.substr(0, row.find(' ')), id = row.substr(row.find(' ') + 1);
    auto shared = parse_json(get(hub.url("/v1/shared/" + entity + "/" + id), warehouse_token).body);
    REQUIRE(shared.IsObject());
    auto stored = parse_json(sql_value("select data::text from warehouse.record where id = '" + id + "'"));
    CHECK(stored == shared["data"]);
    ++compared;
  }
  CHECK(compared > 0);
  // Personal IDs arrived as keyed hashes, never in clear.
  CHECK(sql_value("select count(*) from warehouse.record where entity = 'student' and data->>'personal_id' ~ '^[0-9]{12}$'") == "0");
  CHECK(sql_value("select count(*) from warehouse.record where data ? 'contact_phone'") == "0");
}

}  // namespace

TEST_CASE("push through a receiver outage: retried with backoff - nothing lost - nothing twice", "[db][sync][push]") {
  reset_database();
  WarehouseReceiver receiver(postgres_url(), kSigningSecret);
  receiver.start();
  receiver.set_mode(WarehouseReceiver::Mode::kFail5xx);
  HubProcess hub(hub_env(publication_file(http_sink(receiver))));
  REQUIRE(hub.start());
  auto t = partners();
  REQUIRE(push_feed(hub, t.ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(push_feed(hub, t.admissions, "admissions", admissions(0, 150, 0)).status == 200);

  // During the outage: attempts counted, the cursor stays, the hub keeps accepting data.
  auto outage_end = std::chrono::steady_clock::now() + std::chrono::seconds(outage_seconds());
  REQUIRE(push_feed(hub, t.admissions, "admissions", admissions(150, 50, 0)).status == 200);
  while (std::chrono::steady_clock::now() < outage_end) std::this_thread::sleep_for(100ms);
  CHECK(receiver.counters().refused >= 2);
  CHECK(std::stoi(sql_value("select attempts from sync_consumer where name = 'demo-warehouse'")) >= 2);
  CHECK(sql_value("select cursor from sync_consumer where name = 'demo-warehouse'") == "0");
  CHECK(sql_value("select last_error from sync_consumer").find("503") != std::string::npos);
  CHECK(hub.log().find("sync send failed; will retry") != std::string::npos);

  receiver.set_mode(WarehouseReceiver::Mode::kNormal);
  REQUIRE(push_feed(hub, t.admissions, "admissions", admissions(0, 100, 1)).status == 200);  // updates
  REQUIRE(wait_delivered(30));
  check_final_state(hub, t.warehouse, receiver);
  CHECK(sql_value("select count(*) from warehouse.record where entity = 'student' and data->>'full_name' like 'Trần%'") == "100");
  CHECK(sql_value("select count(*) from sync_dead_letter") == "0");
  // The personal-ID hash is the keyed hash of the ID: the warehouse can join on it.
  std::string one = sql_value("select data->>'personal_id' from golden_record where entity = 'student' and data->>'personal_id' like '031214000007'");
  CHECK(sql_value("select count(*) from warehouse.record where data->>'personal_id' = '" +
                  hub::crypto::to_hex(hub::crypto::hmac_sha256(kPublicationSecret, one)) + "'") == "1");
  // Never a personal ID or a secret in the hub's log.
  CHECK(hub.log().find("031214000007") == std::string::npos);
  CHECK(hub.log().find(kSigningSecret) == std::string::npos);
}

TEST_CASE("kill -9 of the hub in the middle of a send: the batch is sent again - applied once", "[db][sync][push]") {
  reset_database();
  WarehouseReceiver receiver(postgres_url(), kSigningSecret);
  receiver.start();
  std::string publication = publication_file(http_sink(receiver));
  auto first = std::make_unique<HubProcess>(hub_env(publication));
  REQUIRE(first->start());
  auto t = partners();
  REQUIRE(push_feed(*first, t.ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(wait_delivered(20));
  // Slow receiver: it reads a batch, waits, then stores it. Kill the hub while it waits.
  receiver.set_mode(WarehouseReceiver::Mode::kSlow, 1500);
  auto before = receiver.counters();
  REQUIRE(push_feed(*first, t.admissions, "admissions", admissions(0, 100, 0)).status == 200);
  for (int i = 0; i < 200 && receiver.counters().requests == before.requests; ++i) std::this_thread::sleep_for(20ms);
  REQUIRE(receiver.counters().requests > before.requests);
  std::string cursor_at_kill = sql_value("select cursor from sync_consumer where name = 'demo-warehouse'");
  first->stop(SIGKILL);
  // The receiver finishes storing the batch nobody will acknowledge.
  for (int i = 0; i < 100 && receiver.counters().batches == before.batches; ++i) std::this_thread::sleep_for(50ms);
  REQUIRE(receiver.counters().batches > before.batches);
  CHECK(sql_value("select cursor from sync_consumer where name = 'demo-warehouse'") == cursor_at_kill);

  receiver.set_mode(WarehouseReceiver::Mode::kNormal);
  HubProcess second(hub_env(publication));
  REQUIRE(second.start());
  REQUIRE(wait_delivered(30));
  auto c = receiver.counters();
  CHECK(c.duplicate_batches >= 1);  // the same batch, recognised by its Idempotency-Key
  CHECK(c.duplicate_changes >= 1);
  check_final_state(second, t.warehouse, receiver);
}

TEST_CASE("duplicate deliveries: stored - then the connection drops - the re-sends change nothing", "[db][sync][push]") {
  reset_database();
  WarehouseReceiver receiver(postgres_url(), kSigningSecret);
  receiver.start();
  receiver.set_mode(WarehouseReceiver::Mode::kDropAfterCommit);
  HubProcess hub(hub_env(publication_file(http_sink(receiver))));
  REQUIRE(hub.start());
  auto t = partners();
  REQUIRE(push_feed(hub, t.ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(push_feed(hub, t.admissions, "admissions", admissions(0, 120, 0)).status == 200);
  for (int i = 0; i < 200 && receiver.counters().refused < 3; ++i) std::this_thread::sleep_for(20ms);
  REQUIRE(receiver.counters().refused >= 3);
  receiver.set_mode(WarehouseReceiver::Mode::kDrop);  // and a few connections dropped unanswered
  for (int i = 0; i < 200 && receiver.counters().refused < 5; ++i) std::this_thread::sleep_for(20ms);
  receiver.set_mode(WarehouseReceiver::Mode::kNormal);
  REQUIRE(wait_delivered(30));
  auto c = receiver.counters();
  CHECK(c.duplicate_batches >= 2);
  CHECK(c.duplicate_changes >= 2);
  CHECK(c.changes == std::stoll(sql_value(std::string("select count(*) from change_log where entity in ") + kPublished)));
  check_final_state(hub, t.warehouse, receiver);
}

TEST_CASE("rejected batches go to dead letters - replay re-sends - pause and resume - hubctl sync", "[db][sync][push]") {
  reset_database();
  WarehouseReceiver receiver(postgres_url(), kSigningSecret);
  receiver.start();
  std::string publication = publication_file(http_sink(receiver), 3);
  // A hub that signs with the wrong secret: 401, which retrying cannot fix.
  auto env = hub_env(publication);
  env["HUB_WAREHOUSE_SIGNING_SECRET"] = "not-the-receivers-secret";
  auto wrong = std::make_unique<HubProcess>(env);
  REQUIRE(wrong->start());
  auto t = partners();
  REQUIRE(push_feed(*wrong, t.ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(wait_delivered(20));  // "delivered" past it: into the dead-letter table
  CHECK(receiver.counters().bad_signatures >= 1);
  CHECK(sql_value("select count(*) from warehouse.change") == "0");
  std::map<std::string, std::string> cli_env = {{"HUB_SYNC_PUBLICATION", publication},
                                                {"HUB_PUBLICATION_SECRET", kPublicationSecret}};
  auto dead = hubctl({"--json", "sync", "dead-letters"}, cli_env);
  REQUIRE(dead.exit_code == 0);
  auto dl = parse_json(dead.out.substr(0, dead.out.find('\n')));
  CHECK(std::string(dl["error"].GetString()) == "receiver answered HTTP 401");
  CHECK(dl["first_seq"].GetInt64() == 1);
  wrong->stop(SIGTERM);

  HubProcess hub(hub_env(publication));
  REQUIRE(hub.start());
  auto replay = hubctl({"sync", "replay", "demo-warehouse", "--from", "1"}, cli_env);
  REQUIRE(replay.exit_code == 0);
  REQUIRE(wait_delivered(20));
  for (int i = 0; i < 50 && sql_value("select count(*) from warehouse.change") != "4"; ++i) std::this_thread::sleep_for(100ms);
  CHECK(sql_value("select count(*) from warehouse.change") == "4");  // the four schools

  // Paused: changes wait; resumed: they arrive. Status tells which.
  REQUIRE(hubctl({"sync", "pause", "demo-warehouse"}, cli_env).exit_code == 0);
  std::this_thread::sleep_for(200ms);
  REQUIRE(push_feed(hub, t.admissions, "admissions", admissions(0, 10, 0)).status == 200);
  std::this_thread::sleep_for(1s);
  CHECK(sql_value("select count(*) from warehouse.change") == "4");
  auto status = hubctl({"--json", "sync", "status"}, cli_env);
  REQUIRE(status.exit_code == 0);
  auto st = parse_json(status.out.substr(0, status.out.find('\n')));
  CHECK(std::string(st["state"].GetString()) == "paused");
  CHECK(st["lag"].GetInt64() == 20);
  CHECK(st["dead_letters"].GetInt64() == 1);
  REQUIRE(hubctl({"sync", "resume", "demo-warehouse"}, cli_env).exit_code == 0);
  REQUIRE(wait_delivered(20));
  check_final_state(hub, t.warehouse, receiver);
  auto after = parse_json(hubctl({"--json", "sync", "status"}, cli_env).out);
  CHECK(std::string(after["state"].GetString()) == "current");
  CHECK(sql_value("select count(*) from audit_log where action in ('sync.pause', 'sync.resume', 'sync.replay')") == "3");
}

TEST_CASE("file sink: rotating NDJSON files with a manifest - each change once across a kill -9", "[db][sync][push]") {
  reset_database();
  auto dir = std::filesystem::temp_directory_path() / ("hub-file-sink-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::string publication = publication_file("      sink: file\n      options:\n        dir: " + dir.string() +
                                             "\n        max_file_bytes: 8000\n");
  auto first = std::make_unique<HubProcess>(hub_env(publication));
  REQUIRE(first->start());
  auto t = partners();
  REQUIRE(push_feed(*first, t.ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(push_feed(*first, t.admissions, "admissions", admissions(0, 60, 0)).status == 200);
  REQUIRE(wait_delivered(20));
  first->stop(SIGKILL);
  // Replaying after a crash must not write anything twice.
  sql_exec("update sync_consumer set cursor = 0");
  HubProcess second(hub_env(publication));
  REQUIRE(second.start());
  REQUIRE(push_feed(second, t.admissions, "admissions", admissions(60, 20, 0)).status == 200);
  REQUIRE(wait_delivered(20));

  std::multiset<long long> seqs;
  int closed_files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name == "manifest.ndjson") continue;
    closed_files += e.path().extension() == ".ndjson";
    std::istringstream lines(read_file(e.path().string()));
    std::string line;
    while (std::getline(lines, line)) seqs.insert(parse_json(line)["seq"].GetInt64());
  }
  CHECK(closed_files >= 2);
  std::set<long long> unique(seqs.begin(), seqs.end());
  CHECK(seqs.size() == unique.size());
  CHECK(static_cast<long long>(unique.size()) ==
        std::stoll(sql_value(std::string("select count(*) from change_log where entity in ") + kPublished)));
  // Every closed file is in the manifest with its checksum.
  std::istringstream manifest(read_file((dir / "manifest.ndjson").string()));
  std::string line;
  int listed = 0;
  while (std::getline(manifest, line)) {
    auto m = parse_json(line);
    std::string body = read_file((dir / m["file"].GetString()).string());
    CHECK(std::string(m["sha256"].GetString()) == hub::crypto::to_hex(hub::crypto::sha256(body)));
    CHECK(m["lines"].GetInt64() == std::count(body.begin(), body.end(), '\n'));
    ++listed;
  }
  CHECK(listed == closed_files);
  std::filesystem::remove_all(dir);
}
