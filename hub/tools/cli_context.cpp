#include "hub/tools/cli_context.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace hub::cli {

const Config& CliContext::config() {
  if (!config_) {
    try {
      config_ = std::make_unique<Config>(Config::load(config_path));
    } catch (const ConfigError& e) {
      throw CommandFailed(kExitUsage, "configuration error in " + e.file +
                                          (e.key.empty() ? "" : " at " + e.key) + ": " + e.what());
    }
  }
  return *config_;
}

PgPool& CliContext::pg() {
  if (!pg_) pg_ = std::make_unique<PgPool>(config().postgres.url, 2, std::chrono::seconds(10));
  return *pg_;
}

RedisPool& CliContext::redis() {
  if (!redis_)
    redis_ = std::make_unique<RedisPool>(config().redis.url, 1,
                                         std::chrono::milliseconds(config().redis.timeout_ms));
  return *redis_;
}

std::string CliContext::actor_name() const {
  const char* sudo = std::getenv("SUDO_USER");
  if (sudo && *sudo) return std::string("hubctl:") + sudo;
  if (auto* pw = getpwuid(getuid())) return std::string("hubctl:") + pw->pw_name;
  return "hubctl:uid" + std::to_string(getuid());
}

std::string CliContext::host() const {
  char buf[256] = {0};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

void print_none(const CliContext& ctx, const std::string& what) {
  (ctx.json_output ? std::cerr : std::cout) << "no " << what << "\n";
}

}  // namespace hub::cli
