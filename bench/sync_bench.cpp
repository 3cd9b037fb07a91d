// sync_bench: the warehouse push connector under load. A real hub process (build/hub) ingests
// admission records (each one a student and an application: two changes) while its HTTP push
// connector delivers to the reference warehouse receiver (tests/support/warehouse_receiver.h),
// which stores into its own PostgreSQL schema. Reports, for 100k changes by default:
//   live:    lag from accept (inbox_batch.received_at) and from the change's transaction start
//            (change_log.at) to the receiver's commit, p50 / p99 / max, while ingest runs;
//   backlog: changes/s delivered when the consumer replays the whole log into an empty receiver.
// Uses the test database (HUB_TEST_POSTGRES_URL, wiped). Run: build/sync_bench [--records N]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "hub/common/json.h"
#include "tests/support/test_env.h"
#include "tests/support/warehouse_receiver.h"

using namespace hub::test;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kSigningSecret = "bench-signing-secret-0123456789";

std::string admissions(int first, int count) {
  hub::json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (int i = first; i < first + count; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    w.begin_object().kv("maHoSo", std::string("BENCH-") + id).kv("hoTen", "Nguyễn Văn Số " + spelled(id))
        .kv("ngaySinh", std::to_string(1 + i % 28) + "/" + std::to_string(1 + i % 12) + "/2014")
        .kv("gioiTinh", "Nam").kv("danToc", "Kinh").kv("soDinhDanh", std::string("031214") + id)
        .key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", "11329").end_object()
        .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", "HP-THCS-0012").kv("nguyenVong", 1)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

long long head() { return std::stoll(sql_value("select coalesce(max(seq), 0) from change_log")); }

bool wait_cursor(long long target, int seconds) {
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < deadline) {
    std::string c = sql_value("select cursor from sync_consumer where name = 'demo-warehouse'");
    if (!c.empty() && std::stoll(c) >= target) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

int run(int argc, char** argv) {
  int records = 50000, per_push = 1000, batch = 500, poll_ms = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--records") records = std::atoi(argv[i + 1]);
    else if (a == "--per-push") per_push = std::atoi(argv[i + 1]);
    else if (a == "--batch") batch = std::atoi(argv[i + 1]);
    else if (a == "--poll-ms") poll_ms = std::atoi(argv[i + 1]);
  }
  reset_database();
  WarehouseReceiver receiver(postgres_url(), kSigningSecret);
  receiver.start();
  auto pub = std::filesystem::temp_directory_path() / "sync_bench_publication.yaml";
  std::ofstream(pub) << "hmac_secret_env: HUB_PUBLICATION_SECRET\nconsumers:\n  demo-warehouse:\n    entities:\n"
                        "      school: {fields: all}\n      student: {fields: all}\n      admission_application: {fields: all}\n"
                        "    push:\n      sink: http\n      batch_changes: " << batch
                     << "\n      max_attempts: 1000\n      backoff_initial_ms: 100\n      backoff_max_ms: 1000\n      options:\n        url: " << receiver.url()
                     << "\n        auth: hmac\n        secret_env: HUB_WAREHOUSE_SIGNING_SECRET\n";
  HubProcess hub({{"HUB_SYNC_PUBLICATION", pub.string()}, {"HUB_PUBLICATION_SECRET", "bench-publication-secret-0123"},
                  {"HUB_WAREHOUSE_SIGNING_SECRET", kSigningSecret}, {"HUB_SYNC_POLL_MS", std::to_string(poll_ms)},
                  {"HUB_LOG_LEVEL", "warn"}});
  if (!hub.start()) {
    std::fprintf(stderr, "hub did not start:\n%s\n", hub.log().c_str());
    return 1;
  }
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string adm = add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"});
  http("POST", hub.url("/v1/ingest/schools"), read(std::string(HUB_SOURCE_DIR) + "/mappings/partners/demo-ops/samples/schools.json"),
       {"Authorization: Bearer " + ops, "Content-Type: application/json"}, 60000);

  // Live: ingest and delivery at once.
  auto t0 = Clock::now();
  for (int first = 0; first < records; first += per_push) {
    auto r = http("POST", hub.url("/v1/ingest/admissions"), admissions(first, std::min(per_push, records - first)),
                  {"Authorization: Bearer " + adm, "Content-Type: application/json"}, 300000);
    if (r.status != 200) {
      std::fprintf(stderr, "ingest failed: %d %s\n", r.status, r.body.substr(0, 300).c_str());
      return 1;
    }
  }
  double ingest_s = std::chrono::duration<double>(Clock::now() - t0).count();
  long long changes = head();
  if (!wait_cursor(changes, 600)) {
    std::string log = hub.log();
    std::fprintf(stderr, "delivery did not finish; hub log:\n%s\n", log.substr(log.size() > 3000 ? log.size() - 3000 : 0).c_str());
    return 1;
  }
  double live_s = std::chrono::duration<double>(Clock::now() - t0).count();
  // "p50 p99 max" in seconds, from `from` (a timestamp column) to the receiver's commit.
  auto lag = [](const std::string& from) {
    return sql_value(
        "select to_char(percentile_cont(0.5) within group (order by extract(epoch from w.applied_at - " + from + ")), 'FM990.000')"
        " || ' / ' || to_char(percentile_cont(0.99) within group (order by extract(epoch from w.applied_at - " + from + ")), 'FM990.000')"
        " || ' / ' || to_char(max(extract(epoch from w.applied_at - " + from + ")), 'FM990.000')"
        " from warehouse.change w join change_log c on c.seq = w.seq join inbox_batch b on b.id = c.batch_id");
  };
  std::string lag_accept = lag("b.received_at");
  std::string lag_change = lag("c.at");
  std::string received = sql_value("select count(*) from warehouse.change");
  auto c = receiver.counters();

  // Backlog: the same log replayed into an empty receiver.
  sql_exec("update sync_consumer set paused = true");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  receiver.clear();
  sql_exec("update sync_consumer set cursor = 0, paused = false");
  auto t1 = Clock::now();
  if (!wait_cursor(changes, 600)) {
    std::fprintf(stderr, "replay did not finish\n");
    return 1;
  }
  double replay_s = std::chrono::duration<double>(Clock::now() - t1).count();

  std::printf("sync_bench: %d admission records -> %lld changes, batch %d, poll %d ms\n", records, changes, batch, poll_ms);
  std::printf("  live   ingest %.1f s (%.0f changes/s accepted); all delivered %.1f s after the first push\n", ingest_s,
              changes / ingest_s, live_s);
  std::printf("  live   received %s changes in %lld batches, %lld duplicate changes\n", received.c_str(), c.batches,
              c.duplicate_changes);
  std::printf("  live   lag accept -> receiver commit, p50 / p99 / max (s): %s\n", lag_accept.c_str());
  std::printf("  live   lag change tx start -> receiver commit, p50 / p99 / max (s): %s\n", lag_change.c_str());
  std::printf("  replay %lld changes in %.2f s = %.0f changes/s delivered\n", changes, replay_s, changes / replay_s);
  return 0;
}

int main(int argc, char** argv) {
  // Exceptions end here, so that the hub child process is stopped by its destructor.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sync_bench: %s\n", e.what());
    return 1;
  }
}
