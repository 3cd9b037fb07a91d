#pragma once
// Structured logging: one JSON object per line on stderr (spdlog underneath), so log shippers
// need no parsing rules. Never pass a token or a personal ID in clear to these functions:
// mask it first (hub::validate::mask_personal_id). As a safety net for text the hub does not
// compose itself (a database error quoting a row), every 12-digit run in the message and the
// field values is masked the same way before the line is written. Thread-safe.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace hub::log {

void init(const std::string& level);  // trace|debug|info|warn|error|off

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
void info(std::string_view msg, Fields fields = {});
void warn(std::string_view msg, Fields fields = {});
void error(std::string_view msg, Fields fields = {});
void debug(std::string_view msg, Fields fields = {});
// A finished HTTP request: the one access-log line.
void request(std::string_view request_id, std::string_view partner, std::string_view method,
             std::string_view route, int status, double duration_ms, std::string_view code);

}  // namespace hub::log
