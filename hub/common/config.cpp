#include "hub/common/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <vector>

extern char** environ;

namespace hub {
namespace {

namespace fs = std::filesystem;

// One known setting: its dotted key, how to parse a text value into the Config, and a note of
// what is accepted (used in error messages). The table is the single list of settings.
struct Setting {
  std::string key;
  std::string accepts;
  std::function<bool(Config&, const std::string&)> apply;
};

bool parse_int(const std::string& s, long long lo, long long hi, long long& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && out >= lo && out <= hi;
}

Setting make_int(std::string key, long long lo, long long hi,
                 std::function<void(Config&, long long)> set) {
  std::string accepts = "a whole number from " + std::to_string(lo) + " to " + std::to_string(hi);
  return {std::move(key), accepts, [lo, hi, set](Config& c, const std::string& v) {
            long long n;
            if (!parse_int(v, lo, hi, n)) return false;
            set(c, n);
            return true;
          }};
}

Setting make_double(std::string key, double lo, double hi, std::function<void(Config&, double)> set) {
  std::string accepts = "a number from " + std::to_string(lo) + " to " + std::to_string(hi);
  return {std::move(key), accepts, [lo, hi, set](Config& c, const std::string& v) {
            char* end = nullptr;
            double d = std::strtod(v.c_str(), &end);
            if (v.empty() || *end != '\0' || !(d >= lo && d <= hi)) return false;
            set(c, d);
            return true;
          }};
}

Setting make_string(std::string key, std::string accepts,
                    std::function<bool(Config&, const std::string&)> apply) {
  return {std::move(key), std::move(accepts), std::move(apply)};
}

bool apply_listen(Config& c, const std::string& v) {
  auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  long long port;
  if (!parse_int(v.substr(colon + 1), 1, 65535, port)) return false;
  c.http.host = v.substr(0, colon);
  c.http.port = static_cast<int>(port);
  return true;
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> kSettings = {
      make_string("http.listen", "host:port, e.g. 127.0.0.1:8080", apply_listen),
      make_int("http.threads", 1, 256, [](Config& c, long long v) { c.http.threads = int(v); }),
      make_int("http.max_body_bytes", 1024, 1LL << 30,
               [](Config& c, long long v) { c.http.max_body_bytes = size_t(v); }),
      make_int("http.header_timeout_ms", 100, 600000,
               [](Config& c, long long v) { c.http.header_timeout_ms = int(v); }),
      make_int("http.body_timeout_ms", 100, 3600000,
               [](Config& c, long long v) { c.http.body_timeout_ms = int(v); }),
      make_string("http.tls_cert", "a file path or empty",
                  [](Config& c, const std::string& v) { c.http.tls_cert = v; return true; }),
      make_string("http.tls_key", "a file path or empty",
                  [](Config& c, const std::string& v) { c.http.tls_key = v; return true; }),
      make_int("http.max_request_line_bytes", 256, 1 << 20,
               [](Config& c, long long v) { c.http.max_request_line_bytes = int(v); }),
      make_int("http.max_header_bytes", 1024, 16 << 20,
               [](Config& c, long long v) { c.http.max_header_bytes = int(v); }),
      make_int("http.keepalive_timeout_ms", 100, 3600000,
               [](Config& c, long long v) { c.http.keepalive_timeout_ms = int(v); }),
      make_int("http.max_connections", 1, 1000000,
               [](Config& c, long long v) { c.http.max_connections = int(v); }),
      make_int("http.max_body_memory_bytes", 1024, 64LL << 30,
               [](Config& c, long long v) { c.http.max_body_memory_bytes = size_t(v); }),
      make_int("http.workers", 1, 1024, [](Config& c, long long v) { c.http.workers = int(v); }),
      make_int("http.queue_depth", 0, 100000,
               [](Config& c, long long v) { c.http.queue_depth = int(v); }),
      make_int("http.drain_timeout_ms", 0, 600000,
               [](Config& c, long long v) { c.http.drain_timeout_ms = int(v); }),
      make_string("http.trusted_proxies", "comma-separated IP addresses, or empty",
                  [](Config& c, const std::string& v) {
                    for (char ch : v)
                      if (!(std::isxdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == ':' ||
                            ch == ',' || ch == ' '))
                        return false;
                    c.http.trusted_proxies = v;
                    return true;
                  }),
      make_string("postgres.url", "a libpq URI starting with postgresql:// or postgres://",
                  [](Config& c, const std::string& v) {
                    if (v.rfind("postgresql://", 0) != 0 && v.rfind("postgres://", 0) != 0)
                      return false;
                    c.postgres.url = v;
                    return true;
                  }),
      make_int("postgres.pool_size", 1, 200,
               [](Config& c, long long v) { c.postgres.pool_size = int(v); }),
      make_int("postgres.acquire_timeout_ms", 1, 600000,
               [](Config& c, long long v) { c.postgres.acquire_timeout_ms = int(v); }),
      make_string("redis.url", "redis://host:port/db",
                  [](Config& c, const std::string& v) {
                    if (v.rfind("redis://", 0) != 0) return false;
                    c.redis.url = v;
                    return true;
                  }),
      make_int("redis.timeout_ms", 1, 60000,
               [](Config& c, long long v) { c.redis.timeout_ms = int(v); }),
      make_int("redis.pool_size", 1, 200,
               [](Config& c, long long v) { c.redis.pool_size = int(v); }),
      make_int("auth.rotation_grace_seconds", 0, 90LL * 86400,
               [](Config& c, long long v) { c.auth.rotation_grace_seconds = int(v); }),
      make_int("auth.default_token_ttl_days", 0, 3650,
               [](Config& c, long long v) { c.auth.default_token_ttl_days = int(v); }),
      make_int("auth.cache_seconds", 0, 3600,
               [](Config& c, long long v) { c.auth.cache_seconds = int(v); }),
      make_int("auth.failure_limit", 1, 1000000,
               [](Config& c, long long v) { c.auth.failure_limit = int(v); }),
      make_int("auth.failure_window_seconds", 1, 86400,
               [](Config& c, long long v) { c.auth.failure_window_seconds = int(v); }),
      make_int("auth.session_seconds", 1, 30LL * 86400,
               [](Config& c, long long v) { c.auth.session_seconds = int(v); }),
      make_int("auth.login_account_limit", 1, 1000000,
               [](Config& c, long long v) { c.auth.login_account_limit = int(v); }),
      make_int("auth.login_address_limit", 1, 1000000,
               [](Config& c, long long v) { c.auth.login_address_limit = int(v); }),
      make_int("auth.login_window_seconds", 1, 86400,
               [](Config& c, long long v) { c.auth.login_window_seconds = int(v); }),
      make_string("auth.cookie_secure", "true or false",
                  [](Config& c, const std::string& v) {
                    if (v != "true" && v != "false") return false;
                    c.auth.cookie_secure = v == "true";
                    return true;
                  }),
      make_double("rate_limit.requests_per_second", 0.01, 1e6,
                  [](Config& c, double v) { c.rate_limit.requests_per_second = v; }),
      make_double("rate_limit.burst", 1, 1e7, [](Config& c, double v) { c.rate_limit.burst = v; }),
      make_int("ingest.sync_max_records", 1, 100000,
               [](Config& c, long long v) { c.ingest.sync_max_records = int(v); }),
      make_int("ingest.max_records", 1, 10000000,
               [](Config& c, long long v) { c.ingest.max_records = int(v); }),
      make_int("ingest.dry_run_max_records", 1, 1000000,
               [](Config& c, long long v) { c.ingest.dry_run_max_records = int(v); }),
      make_int("ingest.chunk_records", 1, 10000,
               [](Config& c, long long v) { c.ingest.chunk_records = int(v); }),
      make_int("ingest.workers", 0, 64, [](Config& c, long long v) { c.ingest.workers = int(v); }),
      make_int("ingest.lease_seconds", 2, 3600,
               [](Config& c, long long v) { c.ingest.lease_seconds = int(v); }),
      make_int("ingest.max_attempts", 1, 100, [](Config& c, long long v) { c.ingest.max_attempts = int(v); }),
      make_int("ingest.retry_backoff_ms", 0, 3600000,
               [](Config& c, long long v) { c.ingest.retry_backoff_ms = int(v); }),
      make_double("ingest.pending_ttl_days", 0.00001, 3650,
                  [](Config& c, double v) { c.ingest.pending_ttl_days = v; }),
      make_int("ingest.pending_poll_ms", 10, 3600000,
               [](Config& c, long long v) { c.ingest.pending_poll_ms = int(v); }),
      make_int("resolve.lock_ttl_ms", 100, 600000,
               [](Config& c, long long v) { c.resolve.lock_ttl_ms = int(v); }),
      make_int("resolve.lock_wait_ms", 0, 600000,
               [](Config& c, long long v) { c.resolve.lock_wait_ms = int(v); }),
      make_int("resolve.hold_after_lock_ms", 0, 600000,
               [](Config& c, long long v) { c.resolve.hold_after_lock_ms = int(v); }),
      make_string("sync.publication", "a file path",
                  [](Config& c, const std::string& v) {
                    if (v.empty()) return false;
                    c.sync.publication = v;
                    return true;
                  }),
      make_string("sync.push", "true or false",
                  [](Config& c, const std::string& v) {
                    if (v != "true" && v != "false") return false;
                    c.sync.push = v == "true";
                    return true;
                  }),
      make_int("sync.poll_ms", 10, 60000, [](Config& c, long long v) { c.sync.poll_ms = int(v); }),
      make_string("log.level", "one of trace, debug, info, warn, error, off",
                  [](Config& c, const std::string& v) {
                    static const std::set<std::string> kLevels = {"trace", "debug", "info",
                                                                  "warn",  "error", "off"};
                    if (!kLevels.count(v)) return false;
                    c.log.level = v;
                    return true;
                  }),
      make_int("json.max_depth", 1, 1000, [](Config& c, long long v) { c.json.max_depth = int(v); }),
      make_string("mappings.dir", "a folder path",
                  [](Config& c, const std::string& v) {
                    if (v.empty()) return false;
                    c.mappings.dir = v;
                    return true;
                  }),
      make_int("reports.freshness_days", 1, 365, [](Config& c, long long v) { c.reports.freshness_days = int(v); }),
      make_int("reports.window_days", 1, 366, [](Config& c, long long v) { c.reports.window_days = int(v); }),
      make_int("reports.silent_days", 1, 366, [](Config& c, long long v) { c.reports.silent_days = int(v); }),
      make_int("reports.max_rows", 1, 100000, [](Config& c, long long v) { c.reports.max_rows = int(v); }),
      make_int("retention.raw_payload_days", 1, 36500,
               [](Config& c, long long v) { c.retention.raw_payload_days = int(v); }),
      make_string("metrics.token", "empty, or a secret of 16 to 256 printable characters",
                  [](Config& c, const std::string& v) {
                    if (!v.empty() && (v.size() < 16 || v.size() > 256)) return false;
                    for (char ch : v)
                      if (ch <= ' ' || ch == 127) return false;
                    c.metrics.token = v;
                    return true;
                  }),
  };
  return kSettings;
}

const Setting* find_setting(const std::string& key) {
  for (const auto& s : settings())
    if (s.key == key) return &s;
  return nullptr;
}

std::string env_name(const std::string& key) {
  std::string n = "HUB_";
  for (char ch : key) n += ch == '.' ? '_' : static_cast<char>(std::toupper(ch));
  return n;
}

// Flattens the YAML mapping into dotted keys; anything that is not a two-level map of scalars
// is an error at that key.
void flatten(const YAML::Node& node, const std::string& prefix, const std::string& file,
             std::vector<std::pair<std::string, YAML::Node>>& out) {
  for (const auto& kv : node) {
    std::string key = prefix.empty() ? kv.first.as<std::string>()
                                     : prefix + "." + kv.first.as<std::string>();
    if (kv.second.IsMap()) {
      flatten(kv.second, key, file, out);
    } else if (kv.second.IsScalar() || kv.second.IsNull()) {
      out.emplace_back(key, kv.second);
    } else {
      throw ConfigError(key, file, "expected a single value, found a list");
    }
  }
}

std::string resolve_config_path(const std::string& path, const std::map<std::string, std::string>& env) {
  if (!path.empty()) return path;
  if (auto it = env.find("HUB_CONFIG"); it != env.end() && !it->second.empty()) return it->second;
  if (fs::exists("config/hub.yaml")) return "config/hub.yaml";
  return std::string(HUB_SOURCE_DIR) + "/config/hub.yaml";
}

std::map<std::string, std::string> real_environment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    if (kv.rfind("HUB_", 0) != 0) continue;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

}  // namespace

Config Config::load(const std::string& path, const std::map<std::string, std::string>* env_in) {
  const std::map<std::string, std::string> env = env_in ? *env_in : real_environment();
  Config c;
  c.file = resolve_config_path(path, env);
  if (!fs::exists(c.file))
    throw ConfigError("HUB_CONFIG", c.file, "the configuration file does not exist");

  YAML::Node root;
  try {
    root = YAML::LoadFile(c.file);
  } catch (const YAML::Exception& e) {
    throw ConfigError("", c.file, "not valid YAML at line " + std::to_string(e.mark.line + 1) +
                                      ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (root && !root.IsNull() && !root.IsMap())
    throw ConfigError("", c.file, "the file must hold a mapping of settings");

  auto apply = [&](const Setting& s, const std::string& value, const std::string& origin) {
    if (!s.apply(c, value))
      throw ConfigError(s.key, origin,
                        "invalid value '" + (s.key == "metrics.token" ? std::string("***") : value) + "' for " +
                            s.key + ": expected " + s.accepts);
  };

  std::vector<std::pair<std::string, YAML::Node>> flat;
  if (root && root.IsMap()) flatten(root, "", c.file, flat);
  for (const auto& [key, node] : flat) {
    const Setting* s = find_setting(key);
    if (!s) throw ConfigError(key, c.file, "unknown setting '" + key + "'");
    apply(*s, node.IsNull() ? std::string() : node.Scalar(), c.file);
  }

  // Environment overrides: the long names for every key, then the documented shortcuts.
  for (const auto& s : settings()) {
    if (auto it = env.find(env_name(s.key)); it != env.end()) apply(s, it->second, env_name(s.key));
  }
  const std::pair<const char*, const char*> kShortcuts[] = {
      {"HUB_LISTEN", "http.listen"}, {"HUB_POSTGRES_URL", "postgres.url"}, {"HUB_REDIS_URL", "redis.url"}};
  for (const auto& [var, key] : kShortcuts) {
    if (auto it = env.find(var); it != env.end()) apply(*find_setting(key), it->second, var);
  }

  if (c.http.tls_cert.empty() != c.http.tls_key.empty())
    throw ConfigError("http.tls_cert", c.file, "http.tls_cert and http.tls_key must be set together");

  // Relative paths are relative to the config file's folder, so the hub can start from anywhere.
  fs::path base = fs::absolute(c.file).parent_path();
  auto absolutize = [&](std::string& p) {
    if (!p.empty() && fs::path(p).is_relative()) p = fs::weakly_canonical(base / p).string();
  };
  if (c.mappings.dir.empty()) c.mappings.dir = "../mappings";
  absolutize(c.mappings.dir);
  if (c.sync.publication.empty()) c.sync.publication = "publication.yaml";
  absolutize(c.sync.publication);
  absolutize(c.http.tls_cert);
  absolutize(c.http.tls_key);
  return c;
}

}  // namespace hub
