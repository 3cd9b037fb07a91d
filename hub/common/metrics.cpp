#include "hub/common/metrics.h"

#include <array>
#include <cstdio>
#include <map>
#include <mutex>
#include <tuple>

namespace hub::metrics {
namespace {

// Upper bounds of the latency buckets, in seconds: from a cached token check to a large push.
constexpr std::array<double, 12> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

struct Histogram {
  std::array<unsigned long long, kBuckets.size()> buckets{};
  unsigned long long count = 0;
  double sum = 0;
};

struct Registry {
  std::mutex mu;
  std::map<std::tuple<std::string, std::string, int>, unsigned long long> requests;
  std::map<std::string, Histogram> latency;
  std::map<std::string, unsigned long long> dependency_errors;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

std::string escape_label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void observe_request(std::string_view route, std::string_view method, int status, double seconds,
                     std::string_view code) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  ++r.requests[{std::string(route), std::string(method), status}];
  Histogram& h = r.latency[std::string(route)];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
  if (code == "dependency.postgres") ++r.dependency_errors["postgres"];
  if (code == "dependency.redis") ++r.dependency_errors["redis"];
}

std::string render() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::string out;
  out += "# HELP hub_http_requests_total Requests answered by this process, by route pattern, method and status.\n";
  out += "# TYPE hub_http_requests_total counter\n";
  for (const auto& [key, n] : r.requests)
    out += "hub_http_requests_total{route=\"" + escape_label(std::get<0>(key)) + "\",method=\"" +
           escape_label(std::get<1>(key)) + "\",status=\"" + std::to_string(std::get<2>(key)) + "\"} " +
           std::to_string(n) + "\n";
  out += "# HELP hub_http_request_duration_seconds Time from a request's head to its answer, by route pattern.\n";
  out += "# TYPE hub_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : r.latency) {
    const std::string label = "route=\"" + escape_label(route) + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out += "hub_http_request_duration_seconds_bucket{" + label + ",le=\"" + number(kBuckets[i]) + "\"} " +
             std::to_string(h.buckets[i]) + "\n";
    out += "hub_http_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += "hub_http_request_duration_seconds_sum{" + label + "} " + number(h.sum) + "\n";
    out += "hub_http_request_duration_seconds_count{" + label + "} " + std::to_string(h.count) + "\n";
  }
  out += "# HELP hub_dependency_errors_total Requests this process answered 503 because PostgreSQL or Redis failed.\n";
  out += "# TYPE hub_dependency_errors_total counter\n";
  for (const char* dep : {"postgres", "redis"}) {
    auto it = r.dependency_errors.find(dep);
    out += std::string("hub_dependency_errors_total{dependency=\"") + dep + "\"} " +
           std::to_string(it == r.dependency_errors.end() ? 0 : it->second) + "\n";
  }
  return out;
}

}  // namespace hub::metrics
