#pragma once
// A plain TCP client for the HTTP edge tests: sends exactly the bytes given (oversized heads,
// heads without their body, pipelined requests), reads one response at a time, and tells when
// the server closed the connection. Not thread-safe: one per thread.

#include <chrono>
#include <map>
#include <string>

namespace hub::test {

struct RawResponse {
  int status = 0;  // 0 when nothing (or no complete head) arrived in time
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

class RawClient {
 public:
  explicit RawClient(int port);  // connects to 127.0.0.1:port; connected() says if it worked
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends all of `bytes`; false if the peer closed or reset the connection meanwhile.
  bool send(const std::string& bytes);
  // Reads one response (head, then Content-Length bytes of body) within `timeout`.
  RawResponse read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the peer closes the connection within `timeout` (anything it sends first is
  // discarded).
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  // reads more into buf_
  int fd_ = -1;
  std::string buf_;
};

}  // namespace hub::test
