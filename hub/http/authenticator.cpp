#include "hub/http/authenticator.h"

#include <cmath>

#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/http/problem.h"

namespace hub {
namespace {

constexpr std::size_t kMaxCacheEntries = 10000;

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
      feed_(config.redis.url, [this] { forget_all(); }) {
  feed_.start();
}

Authenticator::~Authenticator() { feed_.stop(); }

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

void Authenticator::refuse(const std::string& code, const std::string& detail,
                           const std::string& client, const std::string& route,
                           const std::string& partner) {
  try {
    json::JsonWriter d;
    d.begin_object().kv("code", code).kv("route", route).end_object();
    audit_.record(partner.empty() ? "anonymous" : partner, "auth.failure", partner, client, d.str());
  } catch (const std::exception&) {
    // The refusal stands even if the audit row cannot be written (PostgreSQL down).
  }
  Problem p{ProblemKind::kUnauthorized, code, detail, "Authorization", -1, {}};
  p.headers["WWW-Authenticate"] = "Bearer realm=\"edu-data-hub\", error=\"invalid_token\"";
  throw ProblemError(p);
}

Principal Authenticator::authenticate(std::string_view authorization, const std::string& client,
                                      const std::string& route) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty())
    refuse("auth.missing_token", "send the partner token as 'Authorization: Bearer <token>'",
           client, route);
  if (authorization.size() <= kBearer.size() ||
      authorization.compare(0, kBearer.size(), kBearer) != 0)
    refuse("auth.malformed", "the Authorization header must be 'Bearer <token>'", client, route);
  std::string token(authorization.substr(kBearer.size()));
  std::string hash = crypto::sha256(token);

  try {
    long long generation;
    {
      std::shared_lock lock(mu_);
      generation = generation_;
    }
    std::optional<CacheEntry> entry = cached(hash);
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
