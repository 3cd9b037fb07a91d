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
  }
  return 500;
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
  }
  return "Error";
}

namespace {

// The Vietnamese message of a problem's code; for a code without one, a neutral text rather
// than the data-error wording records get (a 503 or a 404 is no fault in the data).
std::string vietnamese_detail(const std::string& code) {
  if (auto known = mapping::find_vietnamese_message(code)) return *known;
  return "Yêu cầu không được xử lý (mã lỗi " + code + "); chi tiết bằng tiếng Anh ở trường detail";
}

}  // namespace

std::string problem_json(const Problem& p, const std::string& request_id,
                         const std::string& instance) {
  json::JsonWriter w;
  w.begin_object()
      .kv("type", "https://edu-data-hub.invalid/problems/" + p.code)
      .kv("title", title_for(p.kind))
      .kv("status", status_for(p.kind))
      .kv("code", p.code)
      .kv("detail", p.detail)
      .kv("message_vi", vietnamese_detail(p.code))
      .kv("instance", instance)
      .kv("request_id", request_id);
  if (!p.path.empty()) w.kv("path", p.path);
  if (p.offset >= 0) w.kv("offset", p.offset);
  w.end_object();
  return w.str();
}

}  // namespace hub
