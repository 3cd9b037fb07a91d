#pragma once
// The hub process's own metrics for GET /metrics: requests by route pattern, method and status,
// their latency histogram per route, and errors of the dependencies (PostgreSQL, Redis) seen by
// requests. Kept in memory per process, from its start; the figures that live in PostgreSQL
// (records by outcome, queues, lags, dead letters) are read at scrape time instead
// (hub/http/metrics_handlers.cpp). Labels are bounded: route patterns, not paths.
//
// Thread-safe: every function may be called from any thread.

#include <string>
#include <string_view>

namespace hub::metrics {

// One answered request. `code` is the problem code of an error answer ("" otherwise).
void observe_request(std::string_view route, std::string_view method, int status, double seconds,
                     std::string_view code);

// The series above in the Prometheus text exposition format (version 0.0.4), each with its
// HELP and TYPE lines.
std::string render();

// A label value escaped for the text format (backslash, double quote, line feed).
std::string escape_label(std::string_view value);

}  // namespace hub::metrics
