#pragma once
// Router: the hub's routes in one explicit table. A pattern is a path of literal segments and
// captures: "/v1/records/{entity}/{id}"; a capture may carry a literal suffix, as in Google-style
// custom methods: "/v1/admin/mappings/{partner}/{entity}:test". A path that matches a pattern
// under another method gives 405 with Allow. Built at start-up, then read-only (thread-safe).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/http/authenticator.h"

namespace hub {

struct HttpRequest {
  std::string method;
  std::string path;
  std::string query_string;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> params;  // captures of the route pattern
  std::string body;
  std::string content_type;  // media type without parameters, lower case
  std::string client;        // peer address
  std::string request_id;
  int max_json_depth = 64;  // json.max_depth, set by HttpServer::handle
  std::optional<Principal> principal;  // set on authenticated routes
  std::function<std::string(const std::string&)> header;  // case-insensitive lookup, "" if absent

  // Throws 403 "auth.scope" unless the principal holds `scope`.
  void require_scope(const std::string& scope) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
};

using RouteHandler = std::function<HttpResponse(HttpRequest&)>;

// Where the server runs a route's handler.
enum class Lane {
  kWorker,  // the worker pool: anything that may wait on PostgreSQL or Redis
  kInline,  // the I/O thread, at once: only handlers that never block (liveness)
  kProbe,   // a thread of its own, so readiness is not queued behind ingest
};

struct Route {
  std::string method;
  std::string pattern;
  bool authenticated = true;  // false only for health probes
  RouteHandler handler;
  Lane lane = Lane::kWorker;
};

class Router {
 public:
  void add(Route route);

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // methods for the path when the method did not match
  };
  Match match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Segment {
    std::string literal;  // when not a capture
    std::string capture;  // name, when a capture
    std::string suffix;   // literal that must end the captured segment
  };
  static std::vector<Segment> compile(const std::string& pattern);
  static bool match_path(const std::vector<Segment>& segs, std::string_view path,
                         std::map<std::string, std::string>& params);
  std::vector<Route> routes_;
  std::vector<std::vector<Segment>> compiled_;
};

std::string url_decode(std::string_view s);

}  // namespace hub
