#include "hub/common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "hub/common/json.h"
#include "hub/common/masking.h"

namespace hub::log {
namespace {

std::string now_iso() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

void emit(spdlog::level::level_enum level, std::string_view msg, Fields fields) {
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  json::JsonWriter w;
  w.begin_object().kv("ts", now_iso()).kv("level", spdlog::level::to_string_view(level).data())
      .kv("msg", mask_personal_ids_in_text(msg));
  for (const auto& [k, v] : fields) w.kv(k, mask_personal_ids_in_text(v));
  w.end_object();
  logger->log(level, "{}", w.str());
}

}  // namespace

void init(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("hub");
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void info(std::string_view msg, Fields fields) { emit(spdlog::level::info, msg, fields); }
void warn(std::string_view msg, Fields fields) { emit(spdlog::level::warn, msg, fields); }
void error(std::string_view msg, Fields fields) { emit(spdlog::level::err, msg, fields); }
void debug(std::string_view msg, Fields fields) { emit(spdlog::level::debug, msg, fields); }

void request(std::string_view request_id, std::string_view partner, std::string_view method,
             std::string_view route, int status, double duration_ms, std::string_view code) {
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(spdlog::level::info)) return;
  json::JsonWriter w;
  w.begin_object().kv("ts", now_iso()).kv("level", "info").kv("msg", "request")
      .kv("request_id", request_id).kv("partner", partner).kv("method", method)
      .kv("route", route).kv("status", status).kv("duration_ms", duration_ms);
  if (!code.empty()) w.kv("code", code);
  w.end_object();
  logger->info("{}", w.str());
}

}  // namespace hub::log
