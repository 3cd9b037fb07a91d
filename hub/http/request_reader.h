#pragma once
// RequestReader: reads one HTTP/1.1 request at a time from the bytes of a connection, with the
// hub's limits enforced while reading: the request line, the head (request line + headers) and
// the number of headers are bounded before anything else is kept, the body limit is checked
// against Content-Length before any of the body is read, and a chunked body is counted as it
// arrives. Every refusal is a status and a stable problem code, so the server answers it as
// problem+json and closes the connection. Each byte is examined once (no rescanning of the head
// on every read), so a client sending megabytes of header costs the hub only up to the limit.
//
// feed() stops right after the head and right after a complete request, so that the caller can
// check the head (route, authentication, memory budget) before it reads any of the body, and so
// that the bytes of a pipelined next request stay with the caller. Not thread-safe: one reader
// per connection, used by the connection's I/O thread.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hub {

struct RequestLimits {
  std::size_t max_request_line = 8 << 10;   // method, target and version
  std::size_t max_head_bytes = 64 << 10;    // request line and headers together
  std::size_t max_headers = 100;
  std::size_t max_body_bytes = 32u << 20;
};

// The request line and headers of a request.
struct RequestHead {
  std::string method;
  std::string target;  // as sent: path and query
  int minor_version = 1;  // HTTP/1.<minor_version>
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case, in order
  std::optional<std::size_t> content_length;
  bool chunked = false;
  bool keep_alive = true;          // false when the request asks for the connection to close
  bool expect_continue = false;    // "Expect: 100-continue"
  std::size_t head_bytes = 0;

  // The first value of header `lower_name`, "" if absent.
  std::string_view header(std::string_view lower_name) const;
  bool has_body() const { return chunked || content_length.value_or(0) > 0; }
};

struct RequestRefusal {
  int status = 400;
  std::string code;    // problem code, e.g. "request.header_too_large"
  std::string detail;  // English, names the limit
};

class RequestReader {
 public:
  enum class State {
    kIdle,      // nothing of a request yet
    kHead,      // inside the request line or headers
    kBody,      // head complete, body to come
    kComplete,  // a whole request is ready: head() and take_body()
    kRefused,   // refusal() says why; the connection must be closed
  };

  explicit RequestReader(RequestLimits limits) : limits_(limits) {}

  // Consumes bytes of the request; returns how many were used. Stops after the head and after
  // a complete request, so fewer than `len` may be used: call again with the rest once the
  // caller has looked at the new state (kBody: the head; kComplete: the request, then reset()).
  std::size_t feed(const char* data, std::size_t len);

  State state() const { return state_; }
  const RequestHead& head() const { return head_; }
  const RequestRefusal& refusal() const { return refusal_; }
  std::size_t body_size() const { return body_.size(); }
  std::string take_body() { return std::move(body_); }
  // Ready for the next request on the same connection.
  void reset();

 private:
  std::size_t feed_head(const char* data, std::size_t len);
  std::size_t feed_body(const char* data, std::size_t len);
  std::size_t feed_chunked(const char* data, std::size_t len);
  bool parse_request_line(std::string_view line);
  bool parse_header_line(std::string_view line);
  bool finish_head();
  void refuse(int status, std::string code, std::string detail);

  RequestLimits limits_;
  State state_ = State::kIdle;
  RequestHead head_;
  RequestRefusal refusal_;
  std::string line_;  // the line being read (head, chunk size or trailer)
  bool request_line_done_ = false;
  std::string body_;
  // Chunked bodies: bytes left in the current chunk; then the CRLF after it; then the trailer.
  enum class ChunkStep { kSize, kData, kDataEnd, kTrailer } chunk_step_ = ChunkStep::kSize;
  std::size_t chunk_left_ = 0;
  std::size_t trailer_bytes_ = 0;
};

}  // namespace hub
