// ingest_bench: records per second of the whole ingest path (HTTP, auth, inbox, mapping,
// identity, golden store) against a plain PostgreSQL COPY of the same canonical rows, in one run
// so both see the same machine. Driven by bench/ingest_bench.sh, which starts a hub on a fresh
// database and creates the partners; this program only talks to them.
//
//   ./ingest_bench --url http://127.0.0.1:PORT --token TOKEN --postgres-url URL --hub-pid PID
//                  [--records 200000] [--batch 1000] [--clients 4] [--copy-repeats 3]
//
// 1. Builds every request body before the clock starts: admissions-portal documents
//    (mappings/partners/demo-admissions) of --batch vendor records each, every record valid and
//    distinct (its own application id, name, birth date and personal ID), each making one
//    student and one admission_application.
// 2. --clients threads POST them to /v1/ingest/admissions (one keep-alive connection each), one
//    batch at a time, and wait for the synchronous answer (200 with every record's result).
//    Hub records/s = vendor records / wall seconds from the first request to the last answer.
//    Every answer must be 200 with all records stored ("accepted", or "review" for a doubtful
//    match of entity resolution), or the run is invalid.
// 3. Reads the hub's peak resident memory (VmHWM of /proc/<hub-pid>/status), and the CPU time
//    the hub and (with --pg-pid, the postmaster) PostgreSQL's processes used in step 2.
// 4. Reads the canonical rows the hub wrote (golden_record: id, entity, version, data, lineage)
//    into memory, then --copy-repeats times: creates bench_copy (LIKE golden_record INCLUDING
//    ALL: same columns, primary key and index), COPYs the rows into it in one transaction,
//    commits, drops it. COPY records/s = vendor records / seconds of that transaction (median).
// Exit status: 0 when the run is valid (whatever the speed), 1 invalid run, 2 bad usage.

#include <curl/curl.h>
#include <unistd.h>
#include <rapidjson/document.h>

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "hub/common/json.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "ingest_bench: INVALID: " << what << "\n";
  std::exit(1);
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  std::size_t rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

double median(std::vector<double> v) { return percentile(std::move(v), 50); }

std::string status_line(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) {
      auto p = line.find_first_not_of(" \t", field.size() + 1);
      return p == std::string::npos ? "" : line.substr(p);
    }
  return "";
}

// CPU seconds (user + system) of a process: its own threads, plus, with `children`, its live
// children and the children it has reaped (PostgreSQL backends are children of the postmaster).
double cpu_seconds(int pid, bool children) {
  auto fields = [](int p) {
    std::ifstream in("/proc/" + std::to_string(p) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> f;
    auto close = text.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return f;
    std::istringstream rest(text.substr(close + 2));
    for (std::string x; rest >> x;) f.push_back(x);
    return f;  // f[0] is field 3 (state)
  };
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  auto f = fields(pid);
  if (f.size() < 15) return 0;
  double total = (std::stod(f[11]) + std::stod(f[12])) / tick;  // utime, stime
  if (!children) return total;
  total += (std::stod(f[13]) + std::stod(f[14])) / tick;  // cutime, cstime
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    auto c = fields(std::stoi(name));
    if (c.size() >= 15 && c[1] == std::to_string(pid)) total += (std::stod(c[11]) + std::stod(c[12])) / tick;
  }
  return total;
}

const char* kSurnames[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"};
const char* kMiddle[] = {"Văn", "Đức", "Minh", "Quốc", "Hữu", "Thành", "Gia", "Anh"};
const char* kGiven[] = {"An", "Bình", "Cường", "Dũng", "Hải", "Hiếu", "Hùng", "Khang", "Khoa", "Long"};

// One admissions-portal document of records [first, first + n). The personal ID's digits
// (province 031, century/gender 2 = male born 2000-2099, year 14) agree with the birth date and
// gender, so every record maps without an issue.
std::string make_batch(int first, int n) {
  hub::json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (int i = first; i < first + n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%06d", i);
    std::string name = std::string(kSurnames[i % 10]) + " " + kMiddle[(i / 10) % 8] + " " + kGiven[(i / 80) % 10];
    w.begin_object().kv("maHoSo", std::string("BENCH-") + id).kv("hoTen", name)
        .kv("ngaySinh", std::to_string(1 + i % 28) + "/" + std::to_string(1 + (i / 28) % 12) + "/2014")
        .kv("gioiTinh", "Nam").kv("danToc", "Kinh").kv("soDinhDanh", std::string("031214") + id)
        .key("diaChi").begin_object().kv("soNha", std::to_string(1 + i % 300) + " Lê Lợi").kv("maXa", "11329").end_object()
        .kv("dienThoaiPhuHuynh", "0912" + std::string(id)).kv("truongDangKy", "HP-THCS-0012").kv("nguyenVong", 1 + i % 3)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", std::to_string(15 + i % 15)).kv("ketQua", "Trúng tuyển")
        .end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct Options {
  std::string url, token, postgres_url;
  int hub_pid = 0;
  int pg_pid = 0;  // the postmaster, for the CPU time of PostgreSQL (0: not measured)
  int records = 200000;
  int batch = 1000;
  int clients = 4;
  int copy_repeats = 3;
};

Options parse_args(int argc, char** argv) {
  Options o;
  auto usage = [] {
    std::cerr << "usage: ingest_bench --url URL --token TOKEN --postgres-url URL --hub-pid PID"
                 " [--pg-pid PID] [--records N] [--batch N] [--clients N] [--copy-repeats N]\n";
    std::exit(2);
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) usage();
    std::string v = argv[++i];
    try {
      if (a == "--url") o.url = v;
      else if (a == "--token") o.token = v;
      else if (a == "--postgres-url") o.postgres_url = v;
      else if (a == "--hub-pid") o.hub_pid = std::stoi(v);
      else if (a == "--pg-pid") o.pg_pid = std::stoi(v);
      else if (a == "--records") o.records = std::stoi(v);
      else if (a == "--batch") o.batch = std::stoi(v);
      else if (a == "--clients") o.clients = std::stoi(v);
      else if (a == "--copy-repeats") o.copy_repeats = std::stoi(v);
      else usage();
    } catch (const std::exception&) {
      usage();
    }
  }
  if (o.url.empty() || o.token.empty() || o.postgres_url.empty() || o.hub_pid <= 0 || o.records <= 0 ||
      o.batch <= 0 || o.clients <= 0 || o.copy_repeats <= 0)
    usage();
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse_args(argc, argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  std::vector<std::string> bodies;
  for (int first = 0; first < opt.records; first += opt.batch)
    bodies.push_back(make_batch(first, std::min(opt.batch, opt.records - first)));
  std::size_t bytes = 0;
  for (const auto& b : bodies) bytes += b.size();
  std::printf("ingest_bench: %d records in %zu batches of %d (%.1f MB of JSON), %d clients -> %s\n",
              opt.records, bodies.size(), opt.batch, bytes / 1e6, opt.clients, opt.url.c_str());
  std::fflush(stdout);

  // ---- the hub ----
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::vector<double> latencies;
  std::string first_error;
  long long accepted_total = 0, review_total = 0;
  auto client = [&] {
    CURL* c = curl_easy_init();
    std::string url = opt.url + "/v1/ingest/admissions";
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, ("Authorization: Bearer " + opt.token).c_str());
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Connection: keep-alive");
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 300000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    for (;;) {
      std::size_t i = next++;
      if (i >= bodies.size()) break;
      std::string answer;
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, bodies[i].data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(bodies[i].size()));
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
      auto t0 = Clock::now();
      CURLcode rc = curl_easy_perform(c);
      double ms = seconds_since(t0) * 1000;
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      // Stored records end "accepted", or "review" when entity resolution found a doubtful match
      // (the record is stored on its own and a review item opened); anything else is a failure.
      int accepted = -1, review = 0;
      if (rc == CURLE_OK && status == 200) {
        rapidjson::Document d;
        d.Parse(answer.c_str());
        if (!d.HasParseError() && d.HasMember("counts") && d["counts"].IsObject()) {
          const auto& c = d["counts"];
          accepted = c.HasMember("accepted") ? c["accepted"].GetInt() : 0;
          review = c.HasMember("review") ? c["review"].GetInt() : 0;
        }
      }
      std::lock_guard lock(mu);
      latencies.push_back(ms);
      int expected = std::min(opt.batch, opt.records - static_cast<int>(i) * opt.batch);
      if (accepted >= 0 && accepted + review == expected) {
        accepted_total += accepted + review;
        review_total += review;
      } else if (first_error.empty()) {
        first_error = "batch " + std::to_string(i) + ": " +
                      (rc != CURLE_OK ? std::string(curl_easy_strerror(rc))
                                      : "HTTP " + std::to_string(status) + ", " + std::to_string(accepted) +
                                            " accepted + " + std::to_string(review) + " review of " + std::to_string(expected) + ": " + answer.substr(0, 300));
      }
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
  };
  double hub_cpu0 = cpu_seconds(opt.hub_pid, false), pg_cpu0 = opt.pg_pid ? cpu_seconds(opt.pg_pid, true) : 0;
  auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < opt.clients; ++i) threads.emplace_back(client);
  for (auto& t : threads) t.join();
  double hub_seconds = seconds_since(t0);
  double hub_cpu = cpu_seconds(opt.hub_pid, false) - hub_cpu0;
  double pg_cpu = opt.pg_pid ? cpu_seconds(opt.pg_pid, true) - pg_cpu0 : 0;
  std::string hwm = status_line(opt.hub_pid, "VmHWM");
  std::string rss = status_line(opt.hub_pid, "VmRSS");
  if (!first_error.empty()) fail(first_error);
  if (accepted_total != opt.records) fail("only " + std::to_string(accepted_total) + " records accepted");
  double hub_rps = opt.records / hub_seconds;

  // ---- COPY of the same canonical rows ----
  pqxx::connection conn(opt.postgres_url);
  std::vector<std::tuple<std::string, std::string, std::string, std::string, std::string>> rows;
  {
    pqxx::work tx(conn);
    std::string students = tx.exec1("select count(*) from golden_record where entity = 'student'")[0].c_str();
    if (std::stoll(students) != opt.records)
      fail("the hub holds " + students + " students, expected " + std::to_string(opt.records));
    for (const auto& r : tx.exec("select id::text, entity, version::text, data::text, lineage::text from golden_record"
                                 " where entity in ('student', 'admission_application')"))
      rows.emplace_back(r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].c_str());
    tx.commit();
  }
  std::size_t row_bytes = 0;
  for (const auto& r : rows) row_bytes += std::get<3>(r).size() + std::get<4>(r).size();
  std::vector<double> copy_seconds;
  for (int rep = 0; rep < opt.copy_repeats; ++rep) {
    {
      pqxx::work tx(conn);
      tx.exec("drop table if exists bench_copy");
      tx.exec("create table bench_copy (like golden_record including all)");
      tx.commit();
    }
    auto c0 = Clock::now();
    {
      pqxx::work tx(conn);
      pqxx::stream_to copy(tx, "bench_copy", std::vector<std::string>{"id", "entity", "version", "data", "lineage"});
      for (const auto& r : rows) copy << r;
      copy.complete();
      tx.commit();
    }
    copy_seconds.push_back(seconds_since(c0));
    pqxx::work tx(conn);
    if (tx.exec1("select count(*) from bench_copy")[0].as<long long>() != static_cast<long long>(rows.size()))
      fail("COPY did not store every row");
    tx.exec("drop table bench_copy");
    tx.commit();
  }
  double copy_rps = opt.records / median(copy_seconds);

  std::printf("\n%-34s %12s %12s\n", "", "seconds", "records/s");
  std::printf("%-34s %12.2f %12.0f\n", "hub: POST /v1/ingest (wall)", hub_seconds, hub_rps);
  for (std::size_t i = 0; i < copy_seconds.size(); ++i)
    std::printf("%-34s %12.2f %12.0f\n", ("COPY, run " + std::to_string(i + 1)).c_str(), copy_seconds[i],
                opt.records / copy_seconds[i]);
  std::printf("%-34s %12.2f %12.0f\n", "COPY (median)", median(copy_seconds), copy_rps);
  std::printf("\ncanonical rows copied: %zu (%.1f MB of data + lineage JSON) for %d vendor records\n", rows.size(),
              row_bytes / 1e6, opt.records);
  std::printf("results: %lld accepted, %lld review (doubtful matches of entity resolution, stored on their own)\n",
              accepted_total - review_total, review_total);
  std::printf("latency per %d-record batch: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu batches)\n", opt.batch,
              percentile(latencies, 50), percentile(latencies, 99), percentile(latencies, 100), latencies.size());
  std::printf("CPU during the hub phase: hub %.1f s (%.0f us per record), PostgreSQL %.1f s%s (%.0f us per record)\n",
              hub_cpu, 1e6 * hub_cpu / opt.records, pg_cpu, opt.pg_pid ? "" : " (not measured)",
              1e6 * pg_cpu / opt.records);
  std::printf("hub peak memory VmHWM: %s (VmRSS at the end %s)\n", hwm.c_str(), rss.c_str());
  double ratio = 100 * hub_rps / copy_rps;
  std::printf("ratio hub / COPY: %.2f%% (target >= 25%%): %s\n", ratio, ratio >= 25 ? "PASS" : "FAIL");
  curl_global_cleanup();
  return 0;
}
