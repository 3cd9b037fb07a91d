#include "hub/http/connection.h"

#include <pistache/peer.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>

namespace hub {

using namespace Pistache;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTick = std::chrono::milliseconds(250);
// A chunked body reserves memory in steps of this size as it grows.
constexpr std::size_t kChunkedReserveStep = 1u << 20;

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 207: return "Multi-Status";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
  }
  return "Status";
}

// Header values come from the hub itself, but a CR or LF in one would split the response.
std::string header_safe(const std::string& v) {
  std::string out = v;
  for (auto& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

}  // namespace

bool EdgeShared::reserve_body(std::size_t bytes) {
  std::size_t cur = body_memory.load();
  do {
    if (cur + bytes > settings.max_body_memory) return false;
  } while (!body_memory.compare_exchange_weak(cur, cur + bytes));
  return true;
}

void EdgeShared::release_body(std::size_t bytes) {
  if (bytes) body_memory.fetch_sub(bytes);
}

std::string serialize_response(const HttpResponse& res, bool close) {
  std::string out;
  out.reserve(res.body.size() + 256);
  out += "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  out += reason_phrase(res.status);
  out += "\r\n";
  if (!res.content_type.empty()) out += "Content-Type: " + header_safe(res.content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(res.body.size()) + "\r\n";
  for (const auto& [name, value] : res.headers) out += name + ": " + header_safe(value) + "\r\n";
  out += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
  out += res.body;
  return out;
}

struct HubTransport::Connection {
  enum class Phase {
    kOpen,     // between requests
    kReading,  // a request's head or body is arriving
    kBusy,     // the request is with the dispatcher; input is kept for later
    kClosing,  // a closing answer was sent; input is drained until the peer closes or `deadline`
  };
  std::shared_ptr<Tcp::Peer> peer;
  int fd = -1;
  std::uint64_t id = 0;
  std::string peer_host;
  RequestReader reader;
  Phase phase = Phase::kOpen;
  bool head_checked = false;
  bool skip_body = false;    // the request in progress went to the dispatcher without its body
  bool close_after = false;  // answer the request in progress with "Connection: close"
  std::size_t reserved = 0;  // body bytes reserved for the request being read
  std::string pending;       // input that arrived while the request was with the dispatcher
  Clock::time_point last_activity;
  Clock::time_point request_started;
  Clock::time_point deadline;

  explicit Connection(const RequestLimits& limits) : reader(limits) {}
};

HubTransport::Mailbox::Mailbox() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

HubTransport::Mailbox::~Mailbox() {
  if (fd_ >= 0) ::close(fd_);
}

void HubTransport::Mailbox::post(Completion c) {
  {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(c));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
}

std::vector<HubTransport::Completion> HubTransport::Mailbox::take() {
  std::uint64_t count;
  while (::read(fd_, &count, sizeof count) > 0) {
  }
  std::lock_guard lock(mu_);
  std::vector<Completion> out;
  out.swap(items_);
  return out;
}

HubTransport::HubTransport(const std::shared_ptr<Tcp::Handler>& handler, std::shared_ptr<EdgeShared> shared)
    : Tcp::Transport(handler), shared_(std::move(shared)), mailbox_(std::make_shared<Mailbox>()) {}

HubTransport::~HubTransport() {
  if (timer_fd_ >= 0) ::close(timer_fd_);
}

std::shared_ptr<Aio::Handler> HubTransport::clone() const {
  return std::make_shared<HubTransport>(std::make_shared<ConnectionHandler>(), shared_);
}

void HubTransport::registerPoller(Polling::Epoll& poller) {
  Tcp::Transport::registerPoller(poller);
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  itimerspec spec{};
  spec.it_value.tv_nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(kTick).count();
  spec.it_interval = spec.it_value;
  timerfd_settime(timer_fd_, 0, &spec, nullptr);
  poller.addFd(timer_fd_, Flags<Polling::NotifyOn>(Polling::NotifyOn::Read),
               Polling::Tag(static_cast<uint64_t>(timer_fd_)));
  poller.addFd(mailbox_->fd(), Flags<Polling::NotifyOn>(Polling::NotifyOn::Read),
               Polling::Tag(static_cast<uint64_t>(mailbox_->fd())));
}

void HubTransport::onReady(const Aio::FdSet& fds) {
  for (const auto& entry : fds) {
    auto tag = entry.getTag().value();
    if (tag == static_cast<uint64_t>(mailbox_->fd())) {
      deliver();
    } else if (tag == static_cast<uint64_t>(timer_fd_)) {
      std::uint64_t wakeups;
      [[maybe_unused]] auto n = ::read(timer_fd_, &wakeups, sizeof wakeups);
      tick();
    }
  }
  // Pistache's own events (peers, writes); it ignores the two descriptors above.
  Tcp::Transport::onReady(fds);
}

void HubTransport::on_connection(const std::shared_ptr<Tcp::Peer>& peer) {
  auto c = std::make_shared<Connection>(shared_->settings.limits);
  c->peer = peer;
  c->fd = peer->fd();
  c->id = next_id_++;
  c->peer_host = peer->address().host();
  c->last_activity = Clock::now();
  conns_[c->fd] = c;
  std::size_t cap = std::max<std::size_t>(1, shared_->settings.max_connections / shared_->threads);
  if (conns_.size() > cap && !evict_idle(c->fd)) {
    // Every connection is busy: refuse this one. Pistache registers the socket after this call,
    // so the answer goes through the mailbox and is written on the next turn of the loop.
    c->phase = Connection::Phase::kBusy;
    shared_->pending.fetch_add(1);
    mailbox_->post({c->fd, c->id,
                    shared_->dispatcher->edge_answer(503, "server.busy",
                                                     "the hub has too many open connections; retry later", "", ""),
                    0, true});
  }
}

bool HubTransport::evict_idle(int keep_fd) {
  std::shared_ptr<Connection> oldest;
  for (auto& [fd, c] : conns_)
    if (fd != keep_fd && c->phase == Connection::Phase::kOpen && c->reader.state() == RequestReader::State::kIdle &&
        (!oldest || c->last_activity < oldest->last_activity))
      oldest = c;
  if (!oldest) return false;
  close_now(*oldest);
  return true;
}

void HubTransport::on_disconnection(const std::shared_ptr<Tcp::Peer>& peer) {
  auto it = conns_.find(peer->fd());
  if (it == conns_.end() || it->second->peer != peer) return;
  shared_->release_body(it->second->reserved);
  conns_.erase(it);
}

void HubTransport::close_now(Connection& c) {
  auto peer = c.peer;
  int fd = c.fd;
  shared_->release_body(c.reserved);
  c.reserved = 0;
  conns_.erase(fd);
  auto it = peers.find(fd);
  if (it != peers.end() && it->second == peer) removePeer(peer);
}

void HubTransport::on_input(const char* data, std::size_t len, const std::shared_ptr<Tcp::Peer>& peer) {
  auto it = conns_.find(peer->fd());
  if (it == conns_.end()) return;
  auto conn = it->second;  // kept alive while it is processed
  conn->last_activity = Clock::now();
  process(*conn, data, len);
}

void HubTransport::process(Connection& c, const char* data, std::size_t len) {
  using State = RequestReader::State;
  while (len > 0 || c.reader.state() == State::kComplete) {
    if (c.phase == Connection::Phase::kClosing) return;  // drained: the answer is on its way
    if (c.phase == Connection::Phase::kBusy) {
      // Pipelined input waits for the answer in progress; too much of it (or input after a
      // request sent on without its body, which is the unread body) closes the connection.
      if (c.skip_body) return;
      if (c.pending.size() + len > shared_->settings.max_pipelined_bytes) {
        c.close_after = true;
        return;
      }
      c.pending.append(data, len);
      return;
    }
    State before = c.reader.state();
    std::size_t used = c.reader.feed(data, len);
    data += used;
    len -= used;
    State now = c.reader.state();
    if (before == State::kIdle && now != State::kIdle) {
      c.phase = Connection::Phase::kReading;
      c.request_started = Clock::now();
    }
    switch (now) {
      case State::kIdle:
      case State::kHead:
        return;  // every byte was used: wait for more
      case State::kRefused:
        refuse(c, c.reader.refusal().status, c.reader.refusal().code, c.reader.refusal().detail);
        return;
      case State::kBody:
        if (!c.head_checked && !on_head(c)) return;
        while (c.reader.body_size() > c.reserved) {  // a chunked body reserves as it grows
          if (!shared_->reserve_body(kChunkedReserveStep)) {
            refuse(c, 503, "server.busy", "the hub holds too many request bodies at once; retry later");
            return;
          }
          c.reserved += kChunkedReserveStep;
        }
        continue;
      case State::kComplete:
        if (!c.head_checked && !on_head(c)) return;
        dispatch(c);
        if (len > 0) process(c, data, len);  // kept as pending input
        return;
    }
  }
}

bool HubTransport::on_head(Connection& c) {
  c.head_checked = true;
  const RequestHead& head = c.reader.head();
  auto check = shared_->dispatcher->check_head(head, c.peer_host);
  if (check.answer) {
    // The body, if any, is not read: the connection cannot carry another request.
    answer(c, *check.answer, true);
    return false;
  }
  if (check.skip_body) {
    c.skip_body = true;
    c.close_after = true;
    dispatch(c);
    return false;
  }
  if (head.has_body()) {
    std::size_t want = head.content_length ? *head.content_length : kChunkedReserveStep;
    if (!shared_->reserve_body(want)) {
      refuse(c, 503, "server.busy", "the hub holds too many request bodies at once; retry later");
      return false;
    }
    c.reserved = want;
    if (head.expect_continue && c.reader.state() == RequestReader::State::kBody) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      c.peer->send(RawBuffer(kContinue, kContinue.size()));
      flush();
    }
  }
  return true;
}

void HubTransport::dispatch(Connection& c) {
  RequestHead head = c.reader.head();
  std::string body = c.skip_body ? std::string() : c.reader.take_body();
  bool close = !head.keep_alive || c.close_after;
  c.close_after = close;
  c.reader.reset();
  c.head_checked = false;
  c.phase = Connection::Phase::kBusy;
  std::size_t reserved = c.reserved;
  c.reserved = 0;
  shared_->pending.fetch_add(1);
  std::weak_ptr<Mailbox> mailbox = mailbox_;
  int fd = c.fd;
  std::uint64_t id = c.id;
  shared_->dispatcher->dispatch(std::move(head), std::move(body), c.peer_host,
                                [mailbox, fd, id, reserved, close, shared = shared_](HttpResponse res) {
                                  if (auto m = mailbox.lock()) {
                                    m->post({fd, id, std::move(res), reserved, close});
                                  } else {  // the I/O thread is gone (shutdown)
                                    shared->release_body(reserved);
                                    shared->pending.fetch_sub(1);
                                  }
                                });
}

void HubTransport::deliver() {
  for (auto& done : mailbox_->take()) {
    shared_->release_body(done.reserved);
    auto it = conns_.find(done.fd);
    if (it == conns_.end() || it->second->id != done.conn_id ||
        it->second->phase != Connection::Phase::kBusy) {
      shared_->pending.fetch_sub(1);  // the client left before its answer
      continue;
    }
    auto conn = it->second;
    bool close = done.close || conn->close_after;
    answer(*conn, done.response, close);
    shared_->pending.fetch_sub(1);
    if (close) continue;
    conn->phase = Connection::Phase::kOpen;
    conn->skip_body = false;
    conn->last_activity = Clock::now();
    std::string input;
    input.swap(conn->pending);
    if (!input.empty()) process(*conn, input.data(), input.size());
  }
}

void HubTransport::answer(Connection& c, const HttpResponse& res, bool close) {
  std::string wire = serialize_response(res, close);
  if (close) {
    c.phase = Connection::Phase::kClosing;
    c.deadline = Clock::now() + shared_->settings.linger;
    c.pending.clear();
  }
  std::size_t size = wire.size();
  auto written = c.peer->send(RawBuffer(std::move(wire), size));
  if (close) {
    // Half-close once the answer is out: the client reads it, then sees the end. Closing at
    // once could reset the connection while unread input is pending, losing the answer.
    std::weak_ptr<Tcp::Peer> weak = c.peer;
    written.then(
        [weak](ssize_t) {
          if (auto p = weak.lock()) ::shutdown(p->fd(), SHUT_WR);
        },
        [](std::exception_ptr) {});
  }
  flush();
}

void HubTransport::refuse(Connection& c, int status, const std::string& code, const std::string& detail) {
  const RequestHead& head = c.reader.head();
  HttpResponse res = shared_->dispatcher->edge_answer(status, code, detail, head.target, head.method);
  answer(c, res, true);
}

void HubTransport::tick() {
  const auto now = Clock::now();
  const auto& s = shared_->settings;
  std::vector<std::shared_ptr<Connection>> timed_out, expired;
  for (auto& [fd, c] : conns_) {
    switch (c->phase) {
      case Connection::Phase::kOpen:
        if (now - c->last_activity > s.keepalive_timeout) expired.push_back(c);
        break;
      case Connection::Phase::kReading: {
        auto limit = c->reader.state() == RequestReader::State::kBody ? s.body_timeout : s.header_timeout;
        if (now - c->request_started > limit) timed_out.push_back(c);
        break;
      }
      case Connection::Phase::kBusy: break;  // a worker has the request: never timed out here
      case Connection::Phase::kClosing:
        if (now > c->deadline) expired.push_back(c);
        break;
    }
  }
  for (auto& c : timed_out) {
    bool in_body = c->reader.state() == RequestReader::State::kBody;
    refuse(*c, 408, "request.timeout",
           std::string("the request's ") + (in_body ? "body" : "headers") + " did not arrive within " +
               std::to_string((in_body ? s.body_timeout : s.header_timeout).count()) + " ms");
  }
  for (auto& c : expired) close_now(*c);
}

void ConnectionHandler::onInput(const char* buffer, std::size_t len, const std::shared_ptr<Tcp::Peer>& peer) {
  static_cast<HubTransport*>(transport())->on_input(buffer, len, peer);
}

void ConnectionHandler::onConnection(const std::shared_ptr<Tcp::Peer>& peer) {
  static_cast<HubTransport*>(transport())->on_connection(peer);
}

void ConnectionHandler::onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) {
  static_cast<HubTransport*>(transport())->on_disconnection(peer);
}

}  // namespace hub
