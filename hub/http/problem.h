#pragma once
// Problem: an RFC 9457 problem+json error. Handlers throw ProblemError; the server turns it into
// a response. status_for() is the one place that maps an error kind to an HTTP status.

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hub {

enum class ProblemKind {
  kBadRequest,            // 400: malformed syntax, invalid parameters
  kUnauthorized,          // 401
  kForbidden,             // 403: scope or unit refused
  kNotFound,              // 404
  kMethodNotAllowed,      // 405 (+ Allow)
  kConflict,              // 409
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415
  kUnprocessable,         // 422: well-formed but invalid content
  kTooManyRequests,       // 429 (+ Retry-After)
  kInternal,              // 500
  kUnavailable,           // 503: PostgreSQL or Redis unreachable, shutting down, overloaded
  kRequestTimeout,        // 408: the request did not arrive in time
  kUriTooLong,            // 414: request line over http.max_request_line_bytes
  kHeaderTooLarge,        // 431: head over http.max_header_bytes
  kNotImplemented,        // 501: a transfer coding the hub does not read
  kHttpVersion,           // 505
};

int status_for(ProblemKind kind);
const char* title_for(ProblemKind kind);
// The kind answered with `status` (kBadRequest for a 4xx without its own kind, kInternal for 5xx).
ProblemKind kind_for_status(int status);

// The kind answered for an error code the data plane returns as a value (hub/ingest's
// refusals): the one table of those codes, here at the edge. dependency.* is 503; a code not in
// the table is 500, so a new code is noticed rather than answered as the partner's fault.
ProblemKind kind_for_code(std::string_view code);

struct Problem {
  ProblemKind kind = ProblemKind::kInternal;
  std::string code;    // stable machine code, e.g. "auth.token_expired"
  std::string detail;  // human message for this occurrence
  std::string path;    // JSON path, field or parameter concerned, if any
  long long offset = -1;                     // byte offset for parse errors
  std::map<std::string, std::string> headers;  // Allow, Retry-After, WWW-Authenticate
};

struct ProblemError : std::runtime_error {
  explicit ProblemError(Problem p) : std::runtime_error(p.detail), problem(std::move(p)) {}
  Problem problem;
};

[[noreturn]] inline void fail(ProblemKind kind, std::string code, std::string detail,
                              std::string path = {}) {
  throw ProblemError(Problem{kind, std::move(code), std::move(detail), std::move(path), -1, {}});
}

// Every 503 says when to come back (Retry-After, RFC 9110 10.2.3), so that clients retry
// without guessing: adds kRetryAfterSeconds unless the problem set its own.
inline constexpr int kRetryAfterSeconds = 5;
void add_retry_after(Problem& p);

// application/problem+json body: type, title, status, code, detail (English), message_vi
// (Vietnamese, what the code means), instance, request_id, and path/offset when known.
std::string problem_json(const Problem& p, const std::string& request_id,
                         const std::string& instance);

}  // namespace hub
