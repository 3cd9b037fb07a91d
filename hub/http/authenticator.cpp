#include "hub/http/authenticator.h"

#include <cmath>
#include <ctime>

#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/http/problem.h"

namespace hub {
namespace {

constexpr std::size_t kMaxCacheEntries = 10000;
constexpr std::size_t kMaxThrottledAddresses = 10000;
constexpr std::size_t kMaxUnreportedWindows = 10000;
constexpr auto kReportEvery = std::chrono::seconds(1);

std::string iso_utc(long long epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double now_epoch() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

Authenticator::Authenticator(PartnerStore& partners, AuditLog& audit, RedisPool& redis,
                             const Config& config)
    : partners_(partners),
      audit_(audit),
      redis_(redis),
      limiter_(redis),
      cache_ttl_(config.auth.cache_seconds),
      default_rate_(config.rate_limit.requests_per_second),
      default_burst_(config.rate_limit.burst),
      feed_(config.redis.url, [this] { forget_all(); }),
      failures_(redis, config.auth.failure_limit, config.auth.failure_window_seconds) {
  feed_.start();
  reporter_ = std::thread([this] {
    std::unique_lock lock(reporter_mu_);
    while (!reporter_cv_.wait_for(lock, kReportEvery, [this] { return stopping_; })) {
      lock.unlock();
      report_failures();
      lock.lock();
    }
  });
}

Authenticator::~Authenticator() {
  {
    std::lock_guard lock(reporter_mu_);
    stopping_ = true;
  }
  reporter_cv_.notify_all();
  if (reporter_.joinable()) reporter_.join();
  feed_.stop();
}

std::optional<int> Authenticator::throttled_locally(const std::string& client) {
  std::lock_guard lock(throttled_mu_);
  auto it = throttled_.find(client);
  if (it == throttled_.end()) return std::nullopt;
  auto left = it->second - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) {
    throttled_.erase(it);
    return std::nullopt;
  }
  return static_cast<int>(std::chrono::ceil<std::chrono::seconds>(left).count());
}

void Authenticator::throttle(const std::string& client, int wait_seconds) {
  {
    std::lock_guard lock(throttled_mu_);
    if (throttled_.size() >= kMaxThrottledAddresses) throttled_.clear();
    throttled_[client] = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  }
  Problem p{ProblemKind::kTooManyRequests, "auth.throttled",
            "too many failed authentications from " + client + "; retry after " +
                std::to_string(wait_seconds) + " s",
            "Authorization", -1, {}};
  p.headers["Retry-After"] = std::to_string(wait_seconds);
  throw ProblemError(p);
}

void Authenticator::report_failures() {
  std::vector<AuthFailureLimiter::Window> windows;
  windows.swap(unreported_);
  try {
    auto ended = failures_.take_ended(100);
    windows.insert(windows.end(), ended.begin(), ended.end());
  } catch (const RedisUnavailable&) {
    // Taken next time: the windows stay in Redis until some process reports them.
  }
  for (const auto& w : windows) {
    try {
      write_failure_window(w);
    } catch (const std::exception&) {
      if (unreported_.size() < kMaxUnreportedWindows) unreported_.push_back(w);
    }
  }
}

void Authenticator::write_failure_window(const AuthFailureLimiter::Window& w) {
  // A window with one failure and no throttled attempt has its row already (the first failure).
  if (w.failures <= 1 && w.throttled == 0) return;
  json::JsonWriter d;
  d.begin_object()
      .kv("aggregated", true)
      .kv("window_start", iso_utc(w.start_epoch))
      .kv("window_seconds", w.seconds)
      .kv("failures", w.failures)
      .kv("throttled", w.throttled)
      .key("codes")
      .begin_object();
  for (const auto& [code, count] : w.codes) d.kv(code, count);
  d.end_object().end_object();
  audit_.record("anonymous", "auth.failure", "", w.address, d.str());
}

std::optional<Authenticator::CacheEntry> Authenticator::cached(const std::string& hash) {
  std::shared_lock lock(mu_);
  auto it = cache_.find(hash);
  if (it == cache_.end() || std::chrono::steady_clock::now() - it->second.cached_at > cache_ttl_)
    return std::nullopt;
  return it->second;
}

void Authenticator::remember(const std::string& hash, CacheEntry entry, long long generation) {
  if (cache_ttl_.count() == 0) return;
  std::unique_lock lock(mu_);
  if (generation != generation_) return;
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  cache_[hash] = std::move(entry);
}

void Authenticator::forget_all() {
  std::unique_lock lock(mu_);
  cache_.clear();
  ++generation_;
}

namespace {

Problem unauthorized(const std::string& code, const std::string& detail, const char* error) {
  Problem p{ProblemKind::kUnauthorized, code, detail, "Authorization", -1, {}};
  p.headers["WWW-Authenticate"] = std::string("Bearer realm=\"edu-data-hub\"") +
                                  (*error ? std::string(", error=\"") + error + "\"" : std::string());
  return p;
}

}  // namespace

void Authenticator::refuse(const std::string& code, const std::string& detail,
                           const std::string& client, const std::string& route,
                           const std::string& partner) {
  // The first failure of an address in a window is audited at once; the others are counted in
  // Redis and reported in one row when the window ends.
  bool first = true;
  try {
    first = failures_.record_failure(client, code) == 1;
  } catch (const RedisUnavailable&) {
    // Not counted: audit this one on its own rather than lose it.
  }
  if (first) {
    try {
      json::JsonWriter d;
      d.begin_object().kv("code", code).kv("route", route).end_object();
      audit_.record(partner.empty() ? "anonymous" : partner, "auth.failure", partner, client, d.str());
    } catch (const std::exception&) {
      // The refusal stands even if the audit row cannot be written (PostgreSQL down).
    }
  }
  throw ProblemError(unauthorized(code, detail, "invalid_token"));
}

Principal Authenticator::authenticate(std::string_view authorization, const std::string& client,
                                      const std::string& route) {
  constexpr std::string_view kBearer = "Bearer ";
  bool bearer = authorization.size() > kBearer.size() &&
                authorization.compare(0, kBearer.size(), kBearer) == 0;
  std::string hash = bearer ? crypto::sha256(authorization.substr(kBearer.size())) : std::string();

  try {
    long long generation;
    {
      std::shared_lock lock(mu_);
      generation = generation_;
    }
    std::optional<CacheEntry> entry = bearer ? cached(hash) : std::nullopt;
    if (!entry) {
      // No credential at all guesses nothing, so it neither counts against the address nor is
      // throttled: every console opened before sign-in asks GET /v1/console/session without
      // one, and a school's staff share one address behind its router.
      if (authorization.empty())
        throw ProblemError(unauthorized("auth.missing_token",
                                        "send the partner token as 'Authorization: Bearer <token>'", ""));
      // Any credential not verified recently by this process counts against the address.
      if (int wait = failures_.blocked_for(client); wait > 0) throttle(client, wait);
      if (!bearer)
        refuse("auth.malformed", "the Authorization header must be 'Bearer <token>'", client, route);
    }
    auto load = [&]() -> std::optional<CacheEntry> {
      long long epoch = read_auth_epoch(redis_);  // read before PostgreSQL: see below
      auto grant = partners_.find_by_token_hash(hash);
      if (!grant) return std::nullopt;
      return CacheEntry{*grant, epoch, std::chrono::steady_clock::now()};
    };
    if (!entry) entry = load();
    if (!entry)
      refuse("auth.token_invalid",
             "the token is unknown, expired or revoked; ask the hub operators for a new one",
             client, route);
    if (entry->grant.expires_at_epoch && *entry->grant.expires_at_epoch <= now_epoch())
      refuse("auth.token_expired", "the token has expired; ask the hub operators to rotate it",
             client, route, entry->grant.partner.name);

    const Partner& p = entry->grant.partner;
    RateDecision d = limiter_.take(p.id, p.rate_per_second.value_or(default_rate_),
                                   p.burst.value_or(default_burst_));
    // The epoch comes with every Redis answer; without announcements it is read each time.
    // Tokens reserved earlier carry the epoch Redis gave with them: newer than the grant's
    // means a bump this process's announcement has not brought yet (it may lag under load).
    std::optional<long long> epoch;
    if (d.asked_redis) epoch = d.auth_epoch;
    else if (!feed_.live()) epoch = read_auth_epoch(redis_);
    else if (d.auth_epoch > entry->epoch) epoch = d.auth_epoch;
    if (epoch && *epoch != entry->epoch) {
      // A revoke or rotation happened since this grant was read (the epoch was read before
      // PostgreSQL, so a grant read before a revoke always carries the older epoch): drop
      // every cached grant and read this one again.
      forget_all();
      {
        std::shared_lock lock(mu_);
        generation = generation_;
      }
      entry = load();  // cached with the epoch read before it, so a newer bump reloads again
      if (!entry)
        refuse("auth.token_invalid",
               "the token is unknown, expired or revoked; ask the hub operators for a new one",
               client, route);
    }
    remember(hash, *entry, generation);
    if (!d.allowed) {
      long long retry = std::max(1LL, static_cast<long long>(std::ceil(d.retry_after_seconds)));
      Problem prob{ProblemKind::kTooManyRequests, "rate.limited",
                   "partner '" + p.name + "' is over its rate limit; retry after " +
                       std::to_string(retry) + " s",
                   "", -1, {}};
      prob.headers["Retry-After"] = std::to_string(retry);
      throw ProblemError(prob);
    }
    return Principal{p.id, p.name, p.scopes, p.units};
  } catch (const RedisUnavailable& e) {
    fail(ProblemKind::kUnavailable, "dependency.redis",
         "the hub cannot reach Redis, so it refuses work rather than risk errors; retry later");
  } catch (const DatabaseUnavailable& e) {
    fail(ProblemKind::kUnavailable, "dependency.postgres",
         "the hub cannot reach PostgreSQL; retry later");
  }
}

}  // namespace hub
