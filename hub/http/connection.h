#pragma once
// The hub's HTTP/1.1 connections on Pistache's TCP layer. Pistache 0.0.5's own HTTP handler
// buffers a whole request before anything can look at it, re-parses the head from its start on
// every read (a multi-megabyte header keeps a thread busy for minutes), knows one size limit for
// head and body together, answers its errors in plain text, and never closes a keep-alive
// connection. So the hub keeps Pistache's listener, I/O threads and writes, and reads requests
// itself (RequestReader):
//
//  - limits on the request line, head and body are enforced while reading, and refusals are
//    problem+json, answered at once, after which the connection is closed;
//  - the head is checked (EdgeDispatcher::check_head) before any of the body is read, so an
//    unauthenticated or oversized upload is refused without being received;
//  - request bodies held in memory at once are capped (EdgeSettings::max_body_memory);
//  - requests are handed to the dispatcher, which answers from worker threads; the answer is
//    written by the connection's own I/O thread (a mailbox), in order, so a late answer can
//    never reach a connection that reused the same socket;
//  - header, body and keep-alive timeouts and a cap on open connections, without ever timing
//    out a request that a worker is still processing; "Connection: close" is honoured.
//
// Thread-safety: one HubTransport per I/O thread; everything below runs on that thread except
// Mailbox::post and the counters of EdgeShared, which are atomic.

#include <pistache/tcp.h>
#include <pistache/transport.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/http/request_reader.h"
#include "hub/http/router.h"

namespace hub {

struct EdgeSettings {
  RequestLimits limits;
  std::chrono::milliseconds header_timeout{10000};  // from a request's first byte to its head's end
  std::chrono::milliseconds body_timeout{120000};   // from a request's first byte to its body's end
  std::chrono::milliseconds keepalive_timeout{15000};  // an idle connection is closed after this
  std::chrono::milliseconds linger{2000};  // after a closing answer, unread input is drained this long
  std::size_t max_connections = 1000;      // per process; the oldest idle one makes room
  std::size_t max_body_memory = 256u << 20;  // request bodies held at once, per process
  std::size_t max_pipelined_bytes = 64 << 10;  // input kept while a request is with the workers
};

// What a connection asks of the server. Implemented by HttpServer.
class EdgeDispatcher {
 public:
  virtual ~EdgeDispatcher() = default;

  struct HeadCheck {
    std::optional<HttpResponse> answer;  // refuse now, without reading the body
    bool skip_body = false;  // dispatch the request without its body, then close
  };
  // I/O thread, once a request's head is read and before any of its body.
  virtual HeadCheck check_head(const RequestHead& head, const std::string& peer_host) = 0;
  // I/O thread, with a complete request. Calls `done` exactly once, from any thread.
  virtual void dispatch(RequestHead head, std::string body, const std::string& peer_host,
                        std::function<void(HttpResponse)> done) = 0;
  // A problem+json answer made at the edge (a refused head, a timeout, the connection cap),
  // logged like any other answer. `target` is the request target if known.
  virtual HttpResponse edge_answer(int status, const std::string& code, const std::string& detail,
                                   const std::string& target, const std::string& method) = 0;
};

// State shared by the I/O threads of one server.
struct EdgeShared {
  EdgeSettings settings;
  EdgeDispatcher* dispatcher = nullptr;
  std::size_t threads = 1;
  std::atomic<std::size_t> body_memory{0};  // bytes of request bodies reserved now
  std::atomic<int> pending{0};              // requests dispatched and not yet answered on the wire

  bool reserve_body(std::size_t bytes);
  void release_body(std::size_t bytes);
};

// Serialises an answer; `close` adds "Connection: close".
std::string serialize_response(const HttpResponse& res, bool close);

class HubTransport : public Pistache::Tcp::Transport {
 public:
  HubTransport(const std::shared_ptr<Pistache::Tcp::Handler>& handler, std::shared_ptr<EdgeShared> shared);
  ~HubTransport() override;

  void registerPoller(Pistache::Polling::Epoll& poller) override;
  void onReady(const Pistache::Aio::FdSet& fds) override;
  std::shared_ptr<Pistache::Aio::Handler> clone() const override;

  // Called by ConnectionHandler.
  void on_connection(const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  void on_input(const char* data, std::size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  void on_disconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer);

 private:
  struct Connection;
  struct Completion {
    int fd;
    std::uint64_t conn_id;
    HttpResponse response;
    std::size_t reserved;
    bool close;
  };
  // Answers from worker threads, written by this transport's thread.
  class Mailbox {
   public:
    Mailbox();
    ~Mailbox();
    void post(Completion c);
    std::vector<Completion> take();
    int fd() const { return fd_; }

   private:
    int fd_;
    std::mutex mu_;
    std::vector<Completion> items_;
  };

  void process(Connection& c, const char* data, std::size_t len);
  bool on_head(Connection& c);
  void dispatch(Connection& c);
  void answer(Connection& c, const HttpResponse& res, bool close);
  void refuse(Connection& c, int status, const std::string& code, const std::string& detail);
  void close_now(Connection& c);
  void tick();
  void deliver();
  bool evict_idle(int keep_fd);  // closes the connection idle the longest, except keep_fd

  std::shared_ptr<EdgeShared> shared_;
  std::shared_ptr<Mailbox> mailbox_;
  int timer_fd_ = -1;
  std::uint64_t next_id_ = 1;
  std::unordered_map<int, std::shared_ptr<Connection>> conns_;
};

// The Tcp::Handler Pistache calls: hands everything to its HubTransport.
class ConnectionHandler : public Pistache::Tcp::Handler {
 public:
  std::shared_ptr<Pistache::Tcp::Handler> clone() const override {
    return std::make_shared<ConnectionHandler>();
  }
  void onInput(const char* buffer, std::size_t len,
               const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
};

}  // namespace hub
