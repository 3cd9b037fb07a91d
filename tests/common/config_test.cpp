#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "hub/common/config.h"

using hub::Config;
using hub::ConfigError;

namespace {
std::string write_temp(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("hub_config_test_" + std::to_string(std::rand()) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}
}  // namespace

TEST_CASE("the shipped config/hub.yaml loads with its documented defaults", "[config]") {
  std::map<std::string, std::string> env;
  auto c = Config::load(std::string(HUB_SOURCE_DIR) + "/config/hub.yaml", &env);
  CHECK(c.http.host == "127.0.0.1");
  CHECK(c.http.port == 8080);
  CHECK(c.postgres.url.rfind("postgresql://", 0) == 0);
  CHECK(std::filesystem::path(c.mappings.dir).is_absolute());
  CHECK(std::filesystem::exists(c.mappings.dir));
  CHECK(c.json.max_depth == 64);
}

TEST_CASE("environment variables override the file", "[config]") {
  auto file = write_temp("http:\n  threads: 3\n");
  std::map<std::string, std::string> env = {{"HUB_LISTEN", "0.0.0.0:9999"},
                                            {"HUB_HTTP_THREADS", "5"},
                                            {"HUB_POSTGRES_URL", "postgresql://x@h/db"},
                                            {"HUB_REDIS_URL", "redis://h:1/2"},
                                            {"HUB_TEST_UNRELATED", "ignored"}};
  auto c = Config::load(file, &env);
  CHECK(c.http.host == "0.0.0.0");
  CHECK(c.http.port == 9999);
  CHECK(c.http.threads == 5);
  CHECK(c.postgres.url == "postgresql://x@h/db");
  CHECK(c.redis.url == "redis://h:1/2");
}

TEST_CASE("HUB_CONFIG names the file", "[config]") {
  auto file = write_temp("log:\n  level: debug\n");
  std::map<std::string, std::string> env = {{"HUB_CONFIG", file}};
  CHECK(Config::load("", &env).log.level == "debug");
}

TEST_CASE("bad settings name the key and the file", "[config]") {
  std::map<std::string, std::string> env;
  auto unknown = write_temp("http:\n  threadz: 3\n");
  try {
    Config::load(unknown, &env);
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.key == "http.threadz");
    CHECK(e.file == unknown);
    CHECK(std::string(e.what()).find("unknown setting") != std::string::npos);
  }

  auto wrong_type = write_temp("http:\n  threads: many\n");
  try {
    Config::load(wrong_type, &env);
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.key == "http.threads");
    CHECK(std::string(e.what()).find("whole number") != std::string::npos);
  }

  auto ok = write_temp("{}\n");
  std::map<std::string, std::string> bad_env = {{"HUB_REDIS_URL", "localhost:6379"}};
  try {
    Config::load(ok, &bad_env);
    FAIL("expected ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.key == "redis.url");
    CHECK(e.file == "HUB_REDIS_URL");
  }

  CHECK_THROWS_AS(Config::load("/nonexistent/hub.yaml", &env), ConfigError);
  CHECK_THROWS_AS(Config::load(write_temp("http: [1, 2\n"), &env), ConfigError);
  CHECK_THROWS_AS(Config::load(write_temp("http:\n  listen: nohostport\n"), &env), ConfigError);
}
