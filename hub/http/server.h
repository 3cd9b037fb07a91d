#pragma once
// HttpServer: the hub's HTTP edge on Pistache. For every request it assigns the request id,
// routes (404/405), enforces the body limit (413) and media types (415), authenticates and rate
// limits (401/429/503), runs the handler, turns every error into RFC 9457 problem+json, and
// writes one access-log line. drain() stops taking new work and waits for requests in flight,
// for a graceful SIGTERM. Thread-safe; one instance per process.

#include <rapidjson/document.h>

#include <atomic>
#include <memory>
#include <string>

#include "hub/common/config.h"
#include "hub/http/router.h"

namespace Pistache::Http {
class Endpoint;
}

namespace hub {

class HttpServer {
 public:
  HttpServer(const Config& config, Router& router, Authenticator& auth);
  ~HttpServer();

  void start();  // binds and serves on background threads; throws if the port is taken
  // Refuses new requests (503), waits up to `timeout_ms` for those in flight, then stops.
  void drain_and_stop(int timeout_ms);
  int in_flight() const { return in_flight_.load(); }

  // The whole request pipeline, independent of Pistache (the adapter calls it).
  HttpResponse handle(HttpRequest& req);

 private:
  const Config& config_;
  Router& router_;
  Authenticator& auth_;
  std::shared_ptr<Pistache::Http::Endpoint> endpoint_;
  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};
};

// Parses a JSON request body of commands (hub/http/json_body.h, parse_command_body) with the
// request's json.max_depth; throws 400 problem+json for a body it cannot read.
rapidjson::Document parse_json_body(const HttpRequest& req);

std::string new_request_id();

}  // namespace hub
