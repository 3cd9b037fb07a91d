// drill_client: sustained push load through the balancer, as a careful vendor sends it, for the
// fault drills and the throughput figures of scripts/drill.sh (docs/operations.md, "Fault
// drills"; docs/benchmarks.md). Several clients each push 1,000-record admissions batches
// (mappings/partners/demo-admissions) with an Idempotency-Key, and retry what the vendor guide
// says to retry: 503, 502, 504, 429 and a lost connection, with the same key and body, after
// Retry-After or an exponential back-off (0.2 s doubled up to 5 s, with jitter). A 202 (the batch
// is stored but not finished in the request, e.g. its hub died) is followed on /v1/batches/{id}
// until it is done. Every child is distinct (its own personal ID), so the store must end with
// exactly one student per record sent.
//
//   ./drill_client --url http://127.0.0.1:8090 --token TOKEN [--clients 3] [--records 1000]
//                  [--seconds 30] [--first 0] [--key-prefix drill-] [--follow 1] [--max-pushes 0]
//
// --max-pushes N: stop after N pushes in all (0: no limit but --seconds).
//
// --follow 0: a push answered 202 (stored, queued for the background workers) counts as sent and
// the client goes on with its next push at once, as a vendor that checks its batches later does:
// the inbox then fills faster than the workers drain it (scripts/drill.sh inbox). Counted apart
// as "queued"; their latency is the time to the 202.
//
// Pushes start for --seconds (each push then runs to its end, however long its retries take).
// Children are numbered from --first; the run uses clients x pushes x records numbers and prints
// the next free one. Prints one JSON object on stdout: pushes, records, retries (by reason),
// polls of 202 batches, the longest time a client waited between a failed attempt and the
// success that followed (recovery), p50/p99 push latency, records/s, records left for review.
// Exit 0 when every push ended 200 done with every record accepted or for review, 1 otherwise
// (a push refused for good, a record rejected), 2 bad usage.

#include <curl/curl.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hub/common/json.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url, token, key_prefix = "drill-";
  int clients = 3, records = 1000, seconds = 30;
  long long first = 0;
  bool follow = true;
  long long max_pushes = 0;
};

struct Reply {
  int status = 0;  // 0: no answer (connection refused, reset, timed out)
  std::string body, location, retry_after;
};

size_t collect(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

size_t header_line(char* p, size_t size, size_t n, void* out) {
  std::string line(p, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    auto* r = static_cast<Reply*>(out);
    if (name == "location") r->location = value;
    if (name == "retry-after") r->retry_after = value;
  }
  return size * n;
}

Reply request(const std::string& method, const std::string& url, const std::string& token,
              const std::string& body, const std::string& key) {
  Reply r;
  CURL* c = curl_easy_init();
  curl_slist* h = nullptr;
  h = curl_slist_append(h, ("Authorization: Bearer " + token).c_str());
  h = curl_slist_append(h, "Expect:");
  if (method == "POST") {
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, ("Idempotency-Key: " + key).c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 120000L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_line);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  if (curl_easy_perform(c) == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    r.status = static_cast<int>(code);
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return r;
}

// A given name per child: its number with the digits spelled as letters (0 -> a ... 9 -> j), a
// word no other child of the run has.
std::string given_name(long long n) {
  std::string s = std::to_string(n);
  for (char& c : s) c = static_cast<char>('a' + (c - '0'));
  return s;
}

// `records` distinct children of the demo school list, numbered from `first`: child n is born
// on a date that repeats only every 3,360 children, with a personal ID of its own (Hải Phòng,
// male, the century and year digits of its birth date), so no two records of a run are the
// same person and none looks like another.
std::string payload(long long first, int records) {
  hub::json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array();
  for (int i = 0; i < records; ++i) {
    long long n = first + i;
    int year = 2008 + static_cast<int>((n / 336) % 10);
    char id[16], pid[16];
    std::snprintf(id, sizeof id, "%06lld", n % 1000000);
    std::snprintf(pid, sizeof pid, "0312%02d%s", year % 100, id);
    w.begin_object().kv("maHoSo", std::string("DR") + id).kv("hoTen", "Nguyễn Văn " + given_name(n))
        .kv("ngaySinh", std::to_string(1 + n % 28) + "/" + std::to_string(1 + (n / 28) % 12) + "/" + std::to_string(year))
        .kv("gioiTinh", "Nam").kv("danToc", "Kinh").kv("soDinhDanh", pid)
        .key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", "11329").end_object()
        .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", "HP-THCS-0012").kv("nguyenVong", 1)
        .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object();
  }
  w.end_array().end_object();
  return w.str();
}

struct Stats {
  std::mutex m;
  long long pushes = 0, records = 0, polls = 0, failures = 0, reviews = 0, queued = 0;
  std::map<std::string, long long> retries;  // by reason: the status, or "connection"
  std::vector<double> latency_ms;
  double longest_recovery_s = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

bool retryable(int status) { return status == 0 || status == 429 || status == 502 || status == 503 || status == 504; }

// One push to its end: retried until answered 200 with the batch done. False if refused for good.
bool push_one(const Options& o, Stats& st, const std::string& key, const std::string& body, std::mt19937& rng) {
  auto started = Clock::now();
  std::optional<Clock::time_point> failing_since;
  double backoff = 0.2;
  std::string batch_url;
  auto wait = [&](const Reply& r) {
    double s = backoff * std::uniform_real_distribution<double>(0.5, 1.0)(rng);
    if (!r.retry_after.empty()) s = std::max(s, std::min(30.0, std::atof(r.retry_after.c_str())));
    std::this_thread::sleep_for(std::chrono::duration<double>(s));
    backoff = std::min(5.0, backoff * 2);
  };
  for (;;) {
    Reply r = batch_url.empty() ? request("POST", o.url + "/v1/ingest/admissions", o.token, body, key)
                                : request("GET", batch_url, o.token, "", "");
    if (retryable(r.status)) {
      if (!failing_since) failing_since = Clock::now();
      {
        std::lock_guard lock(st.m);
        ++st.retries[r.status == 0 ? "connection" : std::to_string(r.status)];
      }
      wait(r);
      continue;
    }
    if (r.status == 202 || r.status == 200) {
      rapidjson::Document d;
      d.Parse(r.body.c_str());
      std::string status = d.IsObject() && d.HasMember("status") ? d["status"].GetString() : "";
      if (status == "done" && r.status == 200 && batch_url.empty()) {
        // Accepted, or stored and waiting for a person (a doubtful match between two generated
        // children: entity resolution's review, under 1% of them).
        int accepted = d["counts"].HasMember("accepted") ? d["counts"]["accepted"].GetInt() : 0;
        int review = d["counts"].HasMember("review") ? d["counts"]["review"].GetInt() : 0;
        if (accepted + review != o.records) {
          std::cerr << "drill_client: " << key << " done with " << accepted << " accepted and " << review
                    << " for review of " << o.records << ": " << r.body.substr(0, 400) << "\n";
          return false;
        }
        std::lock_guard lock(st.m);
        st.reviews += review;
        ++st.pushes;
        st.records += o.records;
        st.latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
        if (failing_since)
          st.longest_recovery_s = std::max(st.longest_recovery_s,
                                           std::chrono::duration<double>(Clock::now() - *failing_since).count());
        return true;
      }
      if (status == "done" || status == "failed" || status.empty()) {
        if (status == "done") {  // followed on /v1/batches: ask the push again for every result
          batch_url.clear();
          continue;
        }
        std::cerr << "drill_client: " << key << " ended " << status << ": " << r.body.substr(0, 400) << "\n";
        return false;
      }
      if (!o.follow && r.status == 202 && batch_url.empty()) {
        std::lock_guard lock(st.m);
        ++st.pushes;
        ++st.queued;
        st.records += o.records;
        st.latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
        return true;
      }
      // Stored, not finished yet (its hub died or it was queued): follow it.
      if (batch_url.empty() && !r.location.empty()) batch_url = o.url + r.location;
      if (!failing_since) failing_since = Clock::now();
      {
        std::lock_guard lock(st.m);
        ++st.polls;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    std::cerr << "drill_client: " << key << " refused " << r.status << ": " << r.body.substr(0, 400) << "\n";
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--url") o.url = v;
    else if (a == "--token") o.token = v;
    else if (a == "--clients") o.clients = std::stoi(v);
    else if (a == "--records") o.records = std::stoi(v);
    else if (a == "--seconds") o.seconds = std::stoi(v);
    else if (a == "--first") o.first = std::stoll(v);
    else if (a == "--key-prefix") o.key_prefix = v;
    else if (a == "--follow") o.follow = v != "0";
    else if (a == "--max-pushes") o.max_pushes = std::stoll(v);
    else {
      std::cerr << "drill_client: unknown option " << a << "\n";
      return 2;
    }
  }
  if (o.url.empty() || o.token.empty() || o.clients < 1 || o.records < 1 || o.seconds < 1) {
    std::cerr << "usage: drill_client --url URL --token TOKEN [--clients 3] [--records 1000] [--seconds 30] [--first 0]\n";
    return 2;
  }
  curl_global_init(CURL_GLOBAL_ALL);
  Stats st;
  std::atomic<long long> next{o.first};
  std::atomic<bool> ok{true};
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::seconds(o.seconds);
  std::vector<std::thread> clients;
  for (int c = 0; c < o.clients; ++c)
    clients.emplace_back([&, c] {
      std::mt19937 rng(static_cast<unsigned>(c + 1));
      while (ok && Clock::now() < end) {
        long long first = next.fetch_add(o.records);
        if (o.max_pushes > 0 && first >= o.first + o.max_pushes * o.records) {
          next.fetch_sub(o.records);
          break;
        }
        std::string key = o.key_prefix + std::to_string(first);
        if (!push_one(o, st, key, payload(first, o.records), rng)) ok = false;
      }
    });
  for (auto& t : clients) t.join();
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  hub::json::JsonWriter w;
  w.begin_object().kv("ok", ok.load()).kv("clients", o.clients).kv("pushes", st.pushes).kv("records", st.records).kv("review", st.reviews)
      .kv("next_first", next.load()).kv("seconds", std::round(wall * 10) / 10)
      .kv("records_per_second", std::round(static_cast<double>(st.records) / wall))
      .kv("p50_ms", std::round(percentile(st.latency_ms, 50))).kv("p99_ms", std::round(percentile(st.latency_ms, 99)))
      .kv("polls", st.polls).kv("queued", st.queued).kv("longest_recovery_s", std::round(st.longest_recovery_s * 10) / 10).key("retries").begin_object();
  long long total = 0;
  for (const auto& [reason, n] : st.retries) total += n;
  w.kv("total", total);
  for (const auto& [reason, n] : st.retries) w.kv(reason, n);
  w.end_object().end_object();
  std::cout << w.str() << "\n";
  curl_global_cleanup();
  return ok ? 0 : 1;
}
