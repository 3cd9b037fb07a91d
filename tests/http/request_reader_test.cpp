// RequestReader (hub/http/request_reader.cpp): the limits are enforced while reading, before
// the bytes are kept, and the reader stops after the head (so the head can be refused before
// any body is read) and after each request (so pipelined requests stay apart). Guards issue 18,
// finding 4 (an 8 MB header was read in full and refused after 21 s).

#include <catch2/catch.hpp>

#include <string>

#include "hub/http/request_reader.h"

using hub::RequestLimits;
using hub::RequestReader;
using State = RequestReader::State;

namespace {

RequestLimits small_limits() {
  RequestLimits l;
  l.max_request_line = 64;
  l.max_head_bytes = 256;
  l.max_headers = 4;
  l.max_body_bytes = 100;
  return l;
}

// Feeds `bytes` in pieces of `piece`, as the network would; returns the bytes used.
std::size_t feed_all(RequestReader& r, const std::string& bytes, std::size_t piece = 7) {
  std::size_t used = 0;
  while (used < bytes.size()) {
    std::size_t n = r.feed(bytes.data() + used, std::min(piece, bytes.size() - used));
    used += n;
    if (r.state() == State::kBody && n == 0) break;
    if (r.state() == State::kComplete || r.state() == State::kRefused) break;
  }
  return used;
}

}  // namespace

TEST_CASE("a request read in small pieces: head - then body - then the next request", "[http][reader]") {
  RequestReader r(small_limits());
  std::string first = "POST /v1/ingest/x?a=1 HTTP/1.1\r\nHost: hub\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n";
  std::string wire = first + "hello" + "GET /healthz HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n";
  std::size_t used = 0;
  while (r.state() != State::kBody) used += r.feed(wire.data() + used, 3);
  CHECK(used == first.size());  // stopped right after the head
  CHECK(r.head().method == "POST");
  CHECK(r.head().target == "/v1/ingest/x?a=1");
  CHECK(r.head().content_length == 5u);
  CHECK(r.head().header("host") == "hub");
  used += r.feed(wire.data() + used, wire.size() - used);
  REQUIRE(r.state() == State::kComplete);
  CHECK(used == first.size() + 5);  // stopped right after the body
  CHECK(r.take_body() == "hello");
  CHECK(r.head().keep_alive);
  r.reset();
  used += r.feed(wire.data() + used, wire.size() - used);
  REQUIRE(r.state() == State::kComplete);
  CHECK(used == wire.size());
  CHECK(r.head().target == "/healthz");
  CHECK_FALSE(r.head().keep_alive);
}

TEST_CASE("heads over the limits are refused before they are kept", "[http][reader]") {
  SECTION("a long request line: 414") {
    RequestReader r(small_limits());
    std::string line = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n";
    feed_all(r, line);
    REQUIRE(r.state() == State::kRefused);
    CHECK(r.refusal().status == 414);
    CHECK(r.refusal().code == "request.uri_too_long");
  }
  SECTION("a large head: 431 after no more than the limit is read") {
    RequestReader r(small_limits());
    std::string head = "GET / HTTP/1.1\r\nX-Big: " + std::string(8u << 20, 'a') + "\r\n\r\n";
    std::size_t used = feed_all(r, head, 4096);
    REQUIRE(r.state() == State::kRefused);
    CHECK(r.refusal().status == 431);
    CHECK(r.refusal().code == "request.header_too_large");
    CHECK(used <= 256 + 4096);
  }
  SECTION("too many headers: 431") {
    RequestReader r(small_limits());
    feed_all(r, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n");
    REQUIRE(r.state() == State::kRefused);
    CHECK(r.refusal().status == 431);
  }
  SECTION("a body announced over the limit: 413 before any of it") {
    RequestReader r(small_limits());
    std::string head = "POST / HTTP/1.1\r\nContent-Length: 52428800\r\n\r\n";
    CHECK(feed_all(r, head + "xxxx") == head.size());
    REQUIRE(r.state() == State::kRefused);
    CHECK(r.refusal().status == 413);
  }
  SECTION("a chunked body over the limit: 413 as it grows") {
    RequestReader r(small_limits());
    feed_all(r, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    REQUIRE(r.state() == State::kBody);
    feed_all(r, "40\r\n" + std::string(64, 'a') + "\r\n40\r\n");
    REQUIRE(r.state() == State::kRefused);
    CHECK(r.refusal().status == 413);
  }
}

TEST_CASE("ambiguous or malformed requests are refused", "[http][reader]") {
  auto refusal_of = [](const std::string& wire) {
    RequestReader r(small_limits());
    feed_all(r, wire);
    return r.state() == State::kRefused ? r.refusal().status : 0;
  };
  CHECK(refusal_of("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n") == 400);
  CHECK(refusal_of("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(refusal_of("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501);
  CHECK(refusal_of("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(refusal_of("GET / HTTP/1.1\r\nBad Header\r\n\r\n") == 400);
  CHECK(refusal_of("GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n") == 400);
  CHECK(refusal_of("GET / HTTP/2.0\r\n\r\n") == 505);
  CHECK(refusal_of("GET /a b HTTP/1.1\r\n\r\n") == 400);
  CHECK(refusal_of("GET / HTTP/1.1\r\nX: a\r\n\r\n") == 0);
}

TEST_CASE("chunked bodies - HTTP/1.0 and absolute targets", "[http][reader]") {
  RequestReader r(small_limits());
  feed_all(r, "POST http://hub.example/v1/x?y=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n", 5);
  REQUIRE(r.state() == State::kBody);
  CHECK(r.head().target == "/v1/x?y=1");
  CHECK(r.head().expect_continue);
  feed_all(r, "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n", 2);
  REQUIRE(r.state() == State::kComplete);
  CHECK(r.take_body() == "hello world");

  RequestReader old(small_limits());
  feed_all(old, "\r\nGET / HTTP/1.0\r\n\r\n");
  REQUIRE(old.state() == State::kComplete);
  CHECK_FALSE(old.head().keep_alive);
  RequestReader kept(small_limits());
  feed_all(kept, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  CHECK(kept.head().keep_alive);
}
