#include "hub/http/problem.h"

#include "hub/common/json.h"
#include "hub/mapping/messages.h"

namespace hub {

int status_for(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kBadRequest: return 400;
    case ProblemKind::kUnauthorized: return 401;
    case ProblemKind::kForbidden: return 403;
    case ProblemKind::kNotFound: return 404;
    case ProblemKind::kMethodNotAllowed: return 405;
    case ProblemKind::kConflict: return 409;
    case ProblemKind::kPayloadTooLarge: return 413;
    case ProblemKind::kUnsupportedMediaType: return 415;
    case ProblemKind::kUnprocessable: return 422;
    case ProblemKind::kTooManyRequests: return 429;
    case ProblemKind::kInternal: return 500;
    case ProblemKind::kUnavailable: return 503;
    case ProblemKind::kRequestTimeout: return 408;
    case ProblemKind::kUriTooLong: return 414;
    case ProblemKind::kHeaderTooLarge: return 431;
    case ProblemKind::kNotImplemented: return 501;
    case ProblemKind::kHttpVersion: return 505;
  }
  return 500;
}

ProblemKind kind_for_status(int status) {
  for (auto kind : {ProblemKind::kBadRequest, ProblemKind::kUnauthorized, ProblemKind::kForbidden,
                    ProblemKind::kNotFound, ProblemKind::kMethodNotAllowed, ProblemKind::kConflict,
                    ProblemKind::kPayloadTooLarge, ProblemKind::kUnsupportedMediaType,
                    ProblemKind::kUnprocessable, ProblemKind::kTooManyRequests, ProblemKind::kInternal,
                    ProblemKind::kUnavailable, ProblemKind::kRequestTimeout, ProblemKind::kUriTooLong,
                    ProblemKind::kHeaderTooLarge, ProblemKind::kNotImplemented, ProblemKind::kHttpVersion})
    if (status_for(kind) == status) return kind;
  return status >= 500 ? ProblemKind::kInternal : ProblemKind::kBadRequest;
}

ProblemKind kind_for_code(std::string_view code) {
  static const std::map<std::string_view, ProblemKind> kKinds = {
      {"ingest.unknown_feed", ProblemKind::kNotFound},
      {"auth.scope", ProblemKind::kForbidden},
      {"request.empty_body", ProblemKind::kBadRequest},
      {"request.idempotency_key", ProblemKind::kBadRequest},
      {"idempotency.conflict", ProblemKind::kConflict},
      {"ingest.no_records", ProblemKind::kUnprocessable},
      {"ingest.too_many_records", ProblemKind::kPayloadTooLarge},
      {"record.unknown_entity", ProblemKind::kNotFound},
      {"record.not_found", ProblemKind::kNotFound},
      {"auth.unit", ProblemKind::kForbidden},
      {"correction.field_unknown", ProblemKind::kUnprocessable},
      {"correction.field_not_correctable", ProblemKind::kUnprocessable},
      {"correction.reason", ProblemKind::kUnprocessable},
      {"correction.unchanged", ProblemKind::kConflict},
      {"correction.record_merged", ProblemKind::kConflict},
      {"correction.level_forbidden", ProblemKind::kForbidden},
  };
  if (auto k = kKinds.find(code); k != kKinds.end()) return k->second;
  if (code.starts_with("dependency.")) return ProblemKind::kUnavailable;
  return ProblemKind::kInternal;
}

void add_retry_after(Problem& p) {
  if (p.kind == ProblemKind::kUnavailable && !p.headers.count("Retry-After"))
    p.headers["Retry-After"] = std::to_string(kRetryAfterSeconds);
}

const char* title_for(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kBadRequest: return "Bad request";
    case ProblemKind::kUnauthorized: return "Authentication required";
    case ProblemKind::kForbidden: return "Forbidden";
    case ProblemKind::kNotFound: return "Not found";
    case ProblemKind::kMethodNotAllowed: return "Method not allowed";
    case ProblemKind::kConflict: return "Conflict";
    case ProblemKind::kPayloadTooLarge: return "Payload too large";
    case ProblemKind::kUnsupportedMediaType: return "Unsupported media type";
    case ProblemKind::kUnprocessable: return "Unprocessable content";
    case ProblemKind::kTooManyRequests: return "Too many requests";
    case ProblemKind::kInternal: return "Internal error";
    case ProblemKind::kUnavailable: return "Service unavailable";
    case ProblemKind::kRequestTimeout: return "Request timeout";
    case ProblemKind::kUriTooLong: return "Request line too long";
    case ProblemKind::kHeaderTooLarge: return "Request header fields too large";
    case ProblemKind::kNotImplemented: return "Not implemented";
    case ProblemKind::kHttpVersion: return "HTTP version not supported";
  }
  return "Error";
}

std::string problem_json(const Problem& p, const std::string& request_id,
                         const std::string& instance) {
  json::JsonWriter w;
  w.begin_object()
      .kv("type", "https://edu-data-hub.invalid/problems/" + p.code)
      .kv("title", title_for(p.kind))
      .kv("status", status_for(p.kind))
      .kv("code", p.code)
      .kv("detail", p.detail)
      .kv("message_vi", mapping::problem_message_vi(p.code))
      .kv("instance", instance)
      .kv("request_id", request_id);
  if (!p.path.empty()) w.kv("path", p.path);
  if (p.offset >= 0) w.kv("offset", p.offset);
  w.end_object();
  return w.str();
}

}  // namespace hub
