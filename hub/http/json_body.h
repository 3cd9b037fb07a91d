#pragma once
// JSON request bodies: the one place where a body the hub cannot read becomes a 400
// problem+json answer (and a log line), for every route that takes a body. Ingest and a
// mapping's :test route parse theirs as a Payload (hub/inbox/payload.h), whose bad records are
// rejected one by one; the other routes take one small document of commands, which must be
// entirely readable. Thread-safe.

#include <rapidjson/document.h>

#include <string_view>

#include "hub/common/result.h"

namespace hub {

// Throws ProblemError 400 with e's code, message, path and offset (json::DocumentParser's and
// parse_payload's errors), after logging the refusal (request id, code, offset; never the body).
[[noreturn]] void refuse_json_body(const Error& e, std::string_view request_id);

// Parses a body of commands: json::DocumentParser with `max_depth`, and any string or member
// name that is not valid UTF-8 or holds a NUL refuses it too ("request.invalid_text", with the
// normalized path of that text).
rapidjson::Document parse_command_body(std::string_view body, int max_depth, std::string_view request_id);

}  // namespace hub
