#include "hub/http/json_body.h"

#include "hub/common/json.h"
#include "hub/common/log.h"
#include "hub/http/problem.h"
#include "hub/http/server.h"

namespace hub {

void refuse_json_body(const Error& e, std::string_view request_id) {
  log::warn("request body refused", {{"request_id", std::string(request_id)},
                                     {"code", e.code},
                                     {"offset", std::to_string(e.offset)}});
  bool has_offset = e.code == "request.malformed_json" || e.code == "request.too_deep";
  throw ProblemError(Problem{ProblemKind::kBadRequest, e.code, e.message, e.path,
                             has_offset ? static_cast<long long>(e.offset) : -1, {}});
}

rapidjson::Document parse_command_body(std::string_view body, int max_depth, std::string_view request_id) {
  rapidjson::Document doc;
  auto parsed = json::parse(body, doc, max_depth);
  if (!parsed) refuse_json_body(parsed.error(), request_id);
  if (parsed->bad_text > 0) {
    json::BadTextFinder found(doc);
    if (found.next()) {
      std::string path = "$" + found.relative_path();
      refuse_json_body(make_error("request.invalid_text",
                                  std::string(found.is_name() ? "the member name at " : "the string at ") + path +
                                      " " + json::bad_text_reason(found.text()) +
                                      "; the hub accepts text as UTF-8 without NUL characters",
                                  path),
                       request_id);
    }
  }
  return doc;
}

rapidjson::Document parse_json_body(const HttpRequest& req) {
  return parse_command_body(req.body, req.max_json_depth, req.request_id);
}

}  // namespace hub
