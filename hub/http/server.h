#pragma once
// HttpServer: the hub's HTTP edge. Connections are read by Pistache's I/O threads with the
// limits of hub/http/connection.h (request line, head, body, bodies in memory, timeouts,
// keep-alive); each complete request gets a request id, is routed (404/405), checked for size
// (413) and media type (415), authenticated and rate limited (401/429/503), handled, and every
// error becomes RFC 9457 problem+json; one access-log line per request. Handlers that may wait
// on PostgreSQL or Redis run on a bounded worker pool, so the I/O threads answer /healthz at
// once whatever the load; when the pool's queue is full a request gets 503 server.overloaded
// with Retry-After instead of waiting without bound. begin_drain() and drain_and_stop() stop taking
// new work and wait for requests in flight, for a graceful SIGTERM. Thread-safe; one instance per process.

#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hub/auth/accounts.h"
#include "hub/common/config.h"
#include "hub/http/connection.h"
#include "hub/http/router.h"
#include "hub/http/worker_pool.h"

namespace Pistache::Tcp {
class Listener;
}

namespace hub {

class HttpServer : private EdgeDispatcher {
 public:
  HttpServer(const Config& config, Router& router, Authenticator& auth);
  ~HttpServer() override;

  void start();  // binds and serves on background threads; throws if the port is taken
  // Refuses new requests from now on (503 server.shutting_down, /readyz included, so a
  // balancer's health check takes the process out at once); requests in flight go on.
  void begin_drain() { draining_ = true; }
  // begin_drain(), waits until `deadline` for the requests in flight, then stops listening.
  // False when some were still running at the deadline.
  bool drain_and_stop(std::chrono::steady_clock::time_point deadline);
  int in_flight() const;

  // Lets authenticated routes accept a console session cookie (hub/http/console_handlers.h)
  // when no Authorization header is sent. Call before start().
  void set_accounts(auth::Accounts* accounts) { accounts_ = accounts; }

  // The whole request pipeline, independent of the transport; runs on any thread.
  HttpResponse handle(HttpRequest& req);

  // The client's address: the last X-Forwarded-For entry when the peer is a trusted proxy
  // (http.trusted_proxies), else the peer itself.
  std::string client_address(const std::string& peer_host, std::string_view forwarded_for) const;

 private:
  HeadCheck check_head(const RequestHead& head, const std::string& peer_host) override;
  void dispatch(RequestHead head, std::string body, const std::string& peer_host,
                std::function<void(HttpResponse)> done) override;
  HttpResponse edge_answer(int status, const std::string& code, const std::string& detail,
                           const std::string& target, const std::string& method) override;
  HttpRequest make_request(RequestHead head, std::string body, const std::string& peer_host) const;

  const Config& config_;
  Router& router_;
  Authenticator& auth_;
  auth::Accounts* accounts_ = nullptr;
  std::vector<std::string> trusted_proxies_;
  std::shared_ptr<EdgeShared> shared_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<WorkerPool> probes_;
  std::unique_ptr<Pistache::Tcp::Listener> listener_;
  std::atomic<bool> draining_{false};
};

// Parses a JSON request body of commands (hub/http/json_body.h, parse_command_body) with the
// request's json.max_depth; throws 400 problem+json for a body it cannot read.
rapidjson::Document parse_json_body(const HttpRequest& req);

std::string new_request_id();

}  // namespace hub
