#pragma once
// Config: every setting of hub and hubctl, read from config/hub.yaml and overridden by HUB_*
// environment variables. Loaded once at start-up, then read-only (safe to share across
// threads). A bad setting throws ConfigError, which main() turns into a message naming the key
// and the file, and exit code 2.

#include <chrono>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>

namespace hub {

struct ConfigError : std::runtime_error {
  ConfigError(std::string key, std::string file, const std::string& message)
      : std::runtime_error(message), key(std::move(key)), file(std::move(file)) {}
  std::string key;
  std::string file;
};

struct Config {
  std::string file;  // the YAML file the settings came from

  struct Http {
    std::string host = "127.0.0.1";
    int port = 8080;
    int threads = 2;
    std::size_t max_body_bytes = 32u << 20;
    int header_timeout_ms = 10000;
    int body_timeout_ms = 120000;
    std::string tls_cert;
    std::string tls_key;
    // Edge limits, enforced while a request is read (hub/http/request_reader.h, connection.h).
    int max_request_line_bytes = 8192;
    int max_header_bytes = 65536;        // request line and headers together
    int keepalive_timeout_ms = 15000;    // an idle keep-alive connection is closed after this
    int max_connections = 1000;          // open connections per process; the oldest idle makes room
    std::size_t max_body_memory_bytes = 256u << 20;  // request bodies held at once per process
    int workers = 8;                     // threads running requests that use PostgreSQL or Redis
    int queue_depth = 64;                // requests waiting for a worker before 503 server.overloaded
    std::string trusted_proxies;         // comma-separated peer addresses whose X-Forwarded-For is used
    int drain_timeout_ms = 30000;        // SIGTERM: longest wait for requests and chunks in flight
  } http;

  struct Postgres {
    std::string url = "postgresql://hub:hub@127.0.0.1:55432/hub";
    int pool_size = 8;
    int acquire_timeout_ms = 5000;
  } postgres;

  struct Redis {
    std::string url = "redis://127.0.0.1:56379/0";
    int timeout_ms = 500;
    int pool_size = 8;
  } redis;

  struct Auth {
    int rotation_grace_seconds = 86400;
    int default_token_ttl_days = 0;
    int cache_seconds = 60;
    // Failed authentications per client address and window before 429 auth.throttled.
    int failure_limit = 20;
    int failure_window_seconds = 60;
    // Console accounts (hub/auth/accounts.h): a session's lifetime, failed sign-ins per account
    // and per address in each window, and the cookie's Secure flag.
    int session_seconds = 28800;
    int login_account_limit = 5;
    int login_address_limit = 20;
    int login_window_seconds = 900;
    bool cookie_secure = true;
  } auth;

  struct RateLimit {
    double requests_per_second = 100;
    double burst = 200;
  } rate_limit;

  struct Ingest {
    int sync_max_records = 1000;
    // Records one push may hold: bounds the memory and time one request can take (413 above).
    int max_records = 100000;
    // Records one dry run (POST /v1/ingest/{feed}:validate) may hold: its answer is built while
    // the request waits, holding a worker, so it is bounded lower than a push (413 above).
    int dry_run_max_records = 10000;
    int chunk_records = 500;
    int workers = 1;
    int lease_seconds = 30;
    // A batch whose processing ends in an error (other than a lost connection or lease) is
    // tried again after retry_backoff_ms, doubled at each attempt (at most an hour), and ends
    // failed after max_attempts.
    int max_attempts = 5;
    int retry_backoff_ms = 5000;
    // A record naming records the hub does not know yet is parked (pending) this long, then
    // rejected (ref.unknown); fractions of a day are allowed. Parked records whose references
    // exist are looked for every pending_poll_ms, and after each chunk that stored records.
    double pending_ttl_days = 30;
    int pending_poll_ms = 2000;
  } ingest;

  // Entity resolution (mappings/matching/): Redis block locks.
  struct Resolve {
    int lock_ttl_ms = 10000;   // expiry of a lock unless renewed (renewed every third of it)
    int lock_wait_ms = 8000;   // bounded wait for the locks of one chunk, then the chunk is retried
    int hold_after_lock_ms = 0;  // fault injection for tests only: pause while holding the locks
  } resolve;

  // Warehouse sync (hub/sync/, connectors/): publication profiles and push connectors.
  struct Sync {
    std::string publication;  // profiles and connectors file; absolute after load
    bool push = true;         // run this process's push connectors (one process delivers at a time)
    int poll_ms = 500;        // how often an idle connector looks for new changes
  } sync;

  struct Log {
    std::string level = "info";
  } log;

  // Documents parsed from outside (request bodies, NDJSON lines, stored payloads).
  struct Json {
    int max_depth = 64;  // nesting of arrays and objects; deeper is refused while parsing
  } json;

  struct Mappings {
    std::string dir;  // absolute after load
  } mappings;

  // Quality and progress reports (hub/reports/quality.h, docs/reports.md).
  struct Reports {
    int freshness_days = 5;   // a change that took longer from its source to the hub is late
    int window_days = 30;     // days before as_of over which freshness and rejections are counted
    int silent_days = 14;     // a school with no change for this long is listed as silent
    int max_rows = 1000;      // largest drill-down page (the records behind a measure)
  } reports;

  // GET /metrics (Prometheus text): the bearer secret a scraper sends; empty = /metrics is off.
  struct Metrics {
    std::string token;
  } metrics;

  struct Retention {
    int raw_payload_days = 90;  // raw vendor payloads kept this long (hubctl retention)
  } retention;

  // Reads `path` (empty: $HUB_CONFIG, else ./config/hub.yaml, else the source tree's), then
  // applies the environment. `env` is injectable for tests; nullptr means the real environment.
  static Config load(const std::string& path = {},
                     const std::map<std::string, std::string>* env = nullptr);
};

}  // namespace hub
