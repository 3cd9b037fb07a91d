#include "hub/http/request_reader.h"

#include <algorithm>
#include <cstring>

namespace hub {
namespace {

constexpr std::size_t kMaxChunkLine = 1024;  // chunk size and extensions

bool is_tchar(unsigned char c) {
  return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s)
    if (!is_tchar(c)) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `f` with each comma-separated element of a header value, trimmed and in lower case.
template <typename F>
void for_each_token(std::string_view value, F f) {
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (!item.empty()) f(lower(item));
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

std::string kib(std::size_t bytes) { return std::to_string(bytes / 1024) + " KiB"; }

}  // namespace

std::string_view RequestHead::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return value;
  return {};
}

void RequestReader::reset() {
  state_ = State::kIdle;
  head_ = RequestHead{};
  refusal_ = RequestRefusal{};
  line_.clear();
  request_line_done_ = false;
  body_ = std::string();  // gives a large body's memory back at once
  chunk_step_ = ChunkStep::kSize;
  chunk_left_ = 0;
  trailer_bytes_ = 0;
}

void RequestReader::refuse(int status, std::string code, std::string detail) {
  state_ = State::kRefused;
  refusal_ = RequestRefusal{status, std::move(code), std::move(detail)};
}

std::size_t RequestReader::feed(const char* data, std::size_t len) {
  switch (state_) {
    case State::kIdle:
    case State::kHead: return feed_head(data, len);
    case State::kBody: return head_.chunked ? feed_chunked(data, len) : feed_body(data, len);
    case State::kComplete:
    case State::kRefused: return 0;
  }
  return 0;
}

std::size_t RequestReader::feed_head(const char* data, std::size_t len) {
  std::size_t used = 0;
  while (used < len && (state_ == State::kIdle || state_ == State::kHead)) {
    if (state_ == State::kIdle) {
      // Empty lines before a request line are allowed (RFC 9112 2.2); they count as head bytes.
      char c = data[used];
      if (c == '\r' || c == '\n') {
        ++used;
        if (++head_.head_bytes > limits_.max_head_bytes)
          refuse(431, "request.header_too_large", "the request has more than " + kib(limits_.max_head_bytes) + " of empty lines");
        continue;
      }
      state_ = State::kHead;
    }
    const char* start = data + used;
    std::size_t avail = len - used;
    const void* nl = std::memchr(start, '\n', avail);
    std::size_t take = nl ? static_cast<const char*>(nl) - start + 1 : avail;
    // Limits are checked before the bytes are kept, so an oversized head never grows line_.
    if (head_.head_bytes + take > limits_.max_head_bytes) {
      if (!request_line_done_ && line_.size() + take > limits_.max_request_line)
        refuse(414, "request.uri_too_long",
               "the request line is longer than " + kib(limits_.max_request_line));
      else
        refuse(431, "request.header_too_large",
               "the request line and headers are larger than " + kib(limits_.max_head_bytes));
      return used;
    }
    if (!request_line_done_ && line_.size() + take > limits_.max_request_line + (nl ? 2 : 0)) {
      refuse(414, "request.uri_too_long", "the request line is longer than " + kib(limits_.max_request_line));
      return used;
    }
    line_.append(start, take);
    used += take;
    head_.head_bytes += take;
    if (!nl) break;
    std::string_view line(line_);
    line.remove_suffix(1);  // '\n'
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool ok;
    if (!request_line_done_) {
      ok = parse_request_line(line);
      request_line_done_ = true;
    } else if (line.empty()) {
      ok = finish_head();
    } else {
      ok = parse_header_line(line);
    }
    line_.clear();
    if (!ok) return used;
  }
  return used;
}

bool RequestReader::parse_request_line(std::string_view line) {
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    refuse(400, "request.malformed", "the request line must be 'METHOD /path HTTP/1.1'");
    return false;
  }
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (!is_token(method) || target.empty()) {
    refuse(400, "request.malformed", "the request line must be 'METHOD /path HTTP/1.1'");
    return false;
  }
  for (unsigned char c : target)
    if (c <= 0x20 || c == 0x7f) {
      refuse(400, "request.malformed", "the request target holds a control character or a space");
      return false;
    }
  if (version == "HTTP/1.1") {
    head_.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    head_.minor_version = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/") {
    refuse(505, "request.http_version", "only HTTP/1.1 and HTTP/1.0 are served here");
    return false;
  } else {
    refuse(400, "request.malformed", "the request line must end with HTTP/1.1");
    return false;
  }
  // Absolute form (http://host/path), as a proxy may send it: keep the path and query.
  if (target.front() != '/') {
    auto scheme = target.find("://");
    if (scheme == std::string_view::npos) {
      refuse(400, "request.malformed", "the request target must be a path starting with '/'");
      return false;
    }
    auto path = target.find('/', scheme + 3);
    target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
  }
  head_.method = std::string(method);
  head_.target = std::string(target);
  head_.keep_alive = head_.minor_version == 1;
  return true;
}

bool RequestReader::parse_header_line(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') {
    refuse(400, "request.malformed", "folded header lines are not accepted (RFC 9112 5.2)");
    return false;
  }
  auto colon = line.find(':');
  std::string_view name = colon == std::string_view::npos ? line : line.substr(0, colon);
  if (colon == std::string_view::npos || !is_token(name)) {
    refuse(400, "request.malformed", "a header line must be 'Name: value' with no space before the colon");
    return false;
  }
  std::string_view value = trim(line.substr(colon + 1));
  for (unsigned char c : value)
    if (c == 0 || c == '\r' || c == '\n') {
      refuse(400, "request.malformed", "the header '" + std::string(name) + "' holds a control character");
      return false;
    }
  if (head_.headers.size() >= limits_.max_headers) {
    refuse(431, "request.header_too_large",
           "the request has more than " + std::to_string(limits_.max_headers) + " headers");
    return false;
  }
  head_.headers.emplace_back(lower(name), std::string(value));
  return true;
}

bool RequestReader::finish_head() {
  bool has_te = false;
  std::vector<std::string> codings;
  for (const auto& [name, value] : head_.headers) {
    if (name == "content-length") {
      // Digits only; several Content-Length headers must agree (RFC 9112 6.3), else the body's
      // end is ambiguous and a proxy and the hub could read different requests from the bytes.
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), [](unsigned char c) { return std::isdigit(c); })) {
        refuse(400, "request.malformed", "Content-Length must be a whole number of bytes");
        return false;
      }
      std::size_t n = std::stoull(value);
      if (head_.content_length && *head_.content_length != n) {
        refuse(400, "request.malformed", "the request has several different Content-Length headers");
        return false;
      }
      head_.content_length = n;
    } else if (name == "transfer-encoding") {
      has_te = true;
      for_each_token(value, [&](std::string t) { codings.push_back(std::move(t)); });
    } else if (name == "connection") {
      for_each_token(value, [&](const std::string& t) {
        if (t == "close") head_.keep_alive = false;
        else if (t == "keep-alive" && head_.minor_version == 0) head_.keep_alive = true;
      });
    } else if (name == "expect") {
      head_.expect_continue = lower(value) == "100-continue";
    }
  }
  if (has_te) {
    if (head_.content_length || head_.minor_version == 0) {
      refuse(400, "request.malformed",
             "Transfer-Encoding cannot be combined with Content-Length or HTTP/1.0");
      return false;
    }
    if (codings.size() != 1 || codings[0] != "chunked") {
      refuse(codings.empty() || codings.back() != "chunked" ? 400 : 501, "request.transfer_encoding",
             "the only Transfer-Encoding accepted is 'chunked'");
      return false;
    }
    head_.chunked = true;
  }
  if (head_.content_length && *head_.content_length > limits_.max_body_bytes) {
    refuse(413, "request.too_large",
           "the body has " + std::to_string(*head_.content_length) + " bytes; the limit is " +
               std::to_string(limits_.max_body_bytes));
    return false;
  }
  if (head_.content_length) body_.reserve(*head_.content_length);
  state_ = head_.has_body() ? State::kBody : State::kComplete;
  return true;
}

std::size_t RequestReader::feed_body(const char* data, std::size_t len) {
  std::size_t want = *head_.content_length - body_.size();
  std::size_t take = std::min(want, len);
  body_.append(data, take);
  if (body_.size() == *head_.content_length) state_ = State::kComplete;
  return take;
}

std::size_t RequestReader::feed_chunked(const char* data, std::size_t len) {
  std::size_t used = 0;
  while (used < len && state_ == State::kBody) {
    if (chunk_step_ == ChunkStep::kData) {
      std::size_t take = std::min(chunk_left_, len - used);
      body_.append(data + used, take);
      used += take;
      chunk_left_ -= take;
      if (chunk_left_ == 0) chunk_step_ = ChunkStep::kDataEnd;
      continue;
    }
    // Line-based steps: the chunk size line, the CRLF after the data, the trailer lines.
    const char* start = data + used;
    const void* nl = std::memchr(start, '\n', len - used);
    std::size_t take = nl ? static_cast<const char*>(nl) - start + 1 : len - used;
    if (line_.size() + take > kMaxChunkLine) {
      refuse(400, "request.malformed", "a chunk size line is longer than 1 KiB");
      return used;
    }
    line_.append(start, take);
    used += take;
    if (chunk_step_ == ChunkStep::kTrailer) {
      trailer_bytes_ += take;
      if (head_.head_bytes + trailer_bytes_ > limits_.max_head_bytes) {
        refuse(431, "request.header_too_large", "the trailer makes the headers larger than " + kib(limits_.max_head_bytes));
        return used;
      }
    }
    if (!nl) break;
    std::string_view line(line_);
    line.remove_suffix(1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    switch (chunk_step_) {
      case ChunkStep::kSize: {
        std::string_view size = trim(line.substr(0, line.find(';')));
        if (size.empty() || size.size() > 15 ||
            !std::all_of(size.begin(), size.end(), [](unsigned char c) { return std::isxdigit(c); })) {
          refuse(400, "request.malformed", "a chunk size must be hexadecimal digits");
          return used;
        }
        std::size_t n = std::stoull(std::string(size), nullptr, 16);
        if (body_.size() + n > limits_.max_body_bytes) {
          refuse(413, "request.too_large",
                 "the chunked body exceeds the limit of " + std::to_string(limits_.max_body_bytes) + " bytes");
          return used;
        }
        chunk_left_ = n;
        chunk_step_ = n == 0 ? ChunkStep::kTrailer : ChunkStep::kData;
        break;
      }
      case ChunkStep::kDataEnd:
        if (!line.empty()) {
          refuse(400, "request.malformed", "a chunk's data must be followed by CRLF");
          return used;
        }
        chunk_step_ = ChunkStep::kSize;
        break;
      case ChunkStep::kTrailer:
        if (line.empty()) state_ = State::kComplete;
        break;
      case ChunkStep::kData: break;
    }
    line_.clear();
  }
  return used;
}

}  // namespace hub
