#include "hub/http/server.h"

#include <pistache/listener.h>
#include <pistache/net.h>
#include <sys/resource.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "hub/common/crypto.h"
#include "hub/common/log.h"
#include "hub/common/metrics.h"
#include "hub/http/console_handlers.h"
#include "hub/http/problem.h"
#include "hub/store/pg_error.h"

namespace hub {
namespace {

using namespace Pistache;

bool valid_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':'))
      return false;
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The media type of a Content-Type value, without parameters, in lower case.
std::string media_type(std::string_view content_type) {
  return lower(std::string(trim(content_type.substr(0, content_type.find(';')))));
}

bool accepted_media_type(const std::string& type) {
  return type == "application/json" || type == "application/x-ndjson" ||
         type == "application/ndjson" ||
         (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

bool looks_like_ip(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  for (char c : s)
    if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == ':')) return false;
  return true;
}

HttpResponse problem_response(Problem p, const std::string& request_id, const std::string& instance) {
  add_retry_after(p);
  HttpResponse res;
  res.status = status_for(p.kind);
  res.content_type = "application/problem+json";
  res.body = problem_json(p, request_id, instance);
  res.headers = p.headers;
  return res;
}

// The open-file limit bounds the connections the listener can accept: when it is reached,
// accept() fails and Pistache's accept loop spins. Raise it to the hard limit (or 65536).
std::size_t raise_open_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  rlim_t want = lim.rlim_max == RLIM_INFINITY ? 65536 : std::min<rlim_t>(lim.rlim_max, 65536);
  if (lim.rlim_cur < want) {
    lim.rlim_cur = want;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return static_cast<std::size_t>(lim.rlim_cur);
}

}  // namespace

std::string new_request_id() { return crypto::to_hex(crypto::random_bytes(16)); }

HttpServer::HttpServer(const Config& config, Router& router, Authenticator& auth)
    : config_(config), router_(router), auth_(auth) {
  std::stringstream list(config.http.trusted_proxies);
  for (std::string item; std::getline(list, item, ',');)
    if (auto t = trim(item); !t.empty()) trusted_proxies_.emplace_back(t);
}

HttpServer::~HttpServer() {
  if (listener_) listener_->shutdown();
  listener_.reset();
  if (workers_) workers_->stop();
  if (probes_) probes_->stop();
}

int HttpServer::in_flight() const { return shared_ ? shared_->pending.load() : 0; }

void HttpServer::start() {
  const auto& h = config_.http;
  EdgeSettings s;
  s.limits.max_request_line = static_cast<std::size_t>(h.max_request_line_bytes);
  s.limits.max_head_bytes = static_cast<std::size_t>(h.max_header_bytes);
  s.limits.max_body_bytes = h.max_body_bytes;
  s.header_timeout = std::chrono::milliseconds(h.header_timeout_ms);
  s.body_timeout = std::chrono::milliseconds(h.body_timeout_ms);
  s.keepalive_timeout = std::chrono::milliseconds(h.keepalive_timeout_ms);
  s.max_body_memory = std::max(h.max_body_memory_bytes, h.max_body_bytes);
  // Room for the connections under the open-file limit, keeping some for PostgreSQL, Redis,
  // files and the listener itself.
  std::size_t files = raise_open_file_limit();
  std::size_t reserve = static_cast<std::size_t>(config_.postgres.pool_size + config_.redis.pool_size) + 64;
  s.max_connections = std::min<std::size_t>(h.max_connections, files > reserve + 16 ? files - reserve : 16);

  shared_ = std::make_shared<EdgeShared>();
  shared_->settings = s;
  shared_->dispatcher = this;
  shared_->threads = static_cast<std::size_t>(h.threads);
  workers_ = std::make_unique<WorkerPool>(h.workers, static_cast<std::size_t>(h.queue_depth), "hub-worker");
  probes_ = std::make_unique<WorkerPool>(1, 8, "hub-probe");

  listener_ = std::make_unique<Tcp::Listener>();
  listener_->init(static_cast<std::size_t>(h.threads), Flags<Tcp::Options>(Tcp::Options::ReuseAddr), "hub-io", 1024);
  auto shared = shared_;
  listener_->setTransportFactory([shared] {
    return std::make_shared<HubTransport>(std::make_shared<ConnectionHandler>(), shared);
  });
  listener_->setHandler(std::make_shared<ConnectionHandler>());
  if (!h.tls_cert.empty()) listener_->setupSSL(h.tls_cert, h.tls_key, false, nullptr);
  listener_->bind(Address(h.host, Port(static_cast<uint16_t>(h.port))));
  listener_->runThreaded();
}

bool HttpServer::drain_and_stop(std::chrono::steady_clock::time_point deadline) {
  draining_ = true;
  while (in_flight() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  bool drained = in_flight() == 0;
  if (listener_) {
    listener_->shutdown();
    listener_.reset();
  }
  if (!drained) return false;  // a handler still runs: the process exits without joining it
  if (workers_) workers_->stop();
  if (probes_) probes_->stop();
  return true;
}

std::string HttpServer::client_address(const std::string& peer_host, std::string_view forwarded_for) const {
  if (forwarded_for.empty() ||
      std::find(trusted_proxies_.begin(), trusted_proxies_.end(), peer_host) == trusted_proxies_.end())
    return peer_host;
  // The proxy appends the address it saw; entries before it were written by the client.
  auto comma = forwarded_for.rfind(',');
  std::string_view last = trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
  return looks_like_ip(last) ? std::string(last) : peer_host;
}

HttpRequest HttpServer::make_request(RequestHead head, std::string body, const std::string& peer_host) const {
  HttpRequest req;
  req.method = head.method;
  auto q = head.target.find('?');
  req.path = head.target.substr(0, q);
  if (q != std::string::npos) {
    req.query_string = head.target.substr(q + 1);
    std::string_view rest(req.query_string);
    while (!rest.empty()) {
      auto amp = rest.find('&');
      std::string_view item = rest.substr(0, amp);
      if (!item.empty()) {
        auto eq = item.find('=');
        std::string key = url_decode(item.substr(0, eq));
        // The first occurrence of a parameter wins, as before.
        req.query.emplace(key, eq == std::string_view::npos ? std::string() : url_decode(item.substr(eq + 1)));
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  req.body = std::move(body);
  req.content_type = media_type(head.header("content-type"));
  req.client = client_address(peer_host, head.header("x-forwarded-for"));
  auto headers = std::make_shared<std::vector<std::pair<std::string, std::string>>>(std::move(head.headers));
  req.header = [headers](const std::string& name) {
    std::string key = lower(name);
    for (const auto& [n, v] : *headers)
      if (n == key) return v;
    return std::string();
  };
  return req;
}

EdgeDispatcher::HeadCheck HttpServer::check_head(const RequestHead& head, const std::string& peer_host) {
  HeadCheck check;
  if (draining_) {
    check.answer = edge_answer(503, "server.shutting_down", "the hub is shutting down; retry", head.target, head.method);
    return check;
  }
  if (!head.has_body()) return check;  // nothing to save by not reading a body
  auto match = router_.match(head.method, path_of(head.target));
  if (!match.route) {  // 404 or 405: the router alone says so
    HttpRequest req = make_request(head, std::string(), peer_host);
    check.answer = handle(req);
    return check;
  }
  // Refusals that need nothing but the head are given before the body is read.
  std::string type = media_type(head.header("content-type"));
  if (!accepted_media_type(type)) {
    check.answer = edge_answer(415, "request.media_type",
                               "send the body as application/json or application/x-ndjson, not '" +
                                   (type.empty() ? std::string("(none)") : type) + "'",
                               head.target, head.method);
    return check;
  }
  if (!match.route->authenticated) return check;
  std::string client = client_address(peer_host, head.header("x-forwarded-for"));
  if (auto wait = auth_.throttled_locally(client)) {
    HttpResponse res = edge_answer(429, "auth.throttled",
                                   "too many failed authentications from " + client + "; retry after " +
                                       std::to_string(*wait) + " s",
                                   head.target, head.method);
    res.headers["Retry-After"] = std::to_string(*wait);
    check.answer = std::move(res);
    return check;
  }
  // Without a bearer token or a session cookie the request will be refused whatever its body: authenticate it (so
  // the refusal is counted and audited like any other) without reading the body.
  if (head.header("authorization").rfind("Bearer ", 0) != 0 &&
      (!accounts_ || cookie_value(head.header("cookie"), auth::kSessionCookie).empty()))
    check.skip_body = true;
  return check;
}

void HttpServer::dispatch(RequestHead head, std::string body, const std::string& peer_host,
                          std::function<void(HttpResponse)> done) {
  Lane lane = Lane::kInline;  // unknown routes and draining answers need no worker
  if (!draining_)
    if (auto match = router_.match(head.method, path_of(head.target)); match.route) lane = match.route->lane;
  auto req = std::make_shared<HttpRequest>(make_request(std::move(head), std::move(body), peer_host));
  if (lane == Lane::kInline) {
    done(handle(*req));
    return;
  }
  WorkerPool& pool = lane == Lane::kProbe ? *probes_ : *workers_;
  if (pool.try_submit([this, req, done] { done(handle(*req)); })) return;
  // The pool is full: say so now rather than queue without bound. Nothing was done.
  req->request_id = new_request_id();
  Problem p{ProblemKind::kUnavailable, "server.overloaded",
            "the hub is busy with other requests; nothing was done, retry after the Retry-After delay",
            "", -1, {}};
  p.headers["Retry-After"] = "2";
  HttpResponse res = problem_response(p, req->request_id, req->path);
  res.headers["X-Request-Id"] = req->request_id;
  log::request(req->request_id, "", req->method, "overloaded", res.status, 0, p.code);
  done(std::move(res));
}

HttpResponse HttpServer::edge_answer(int status, const std::string& code, const std::string& detail,
                                     const std::string& target, const std::string& method) {
  std::string request_id = new_request_id();
  std::string path = path_of(target);
  HttpResponse res = problem_response({kind_for_status(status), code, detail, "", -1, {}}, request_id, path);
  res.headers["X-Request-Id"] = request_id;
  log::request(request_id, "", method, "edge", res.status, 0, code);
  return res;
}

HttpResponse HttpServer::handle(HttpRequest& req) {
  auto started = std::chrono::steady_clock::now();
  std::string incoming_id = req.header ? req.header("X-Request-Id") : std::string();
  req.request_id = valid_request_id(incoming_id) ? incoming_id : new_request_id();
  req.max_json_depth = config_.json.max_depth;

  HttpResponse res;
  std::string route_name = "unmatched";
  std::optional<Problem> problem;
  try {
    if (draining_)
      fail(ProblemKind::kUnavailable, "server.shutting_down", "the hub is shutting down; retry");
    auto match = router_.match(req.method, req.path);
    if (!match.route) {
      if (!match.allowed.empty()) {
        std::string allow;
        for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
        Problem p{ProblemKind::kMethodNotAllowed, "request.method_not_allowed",
                  req.method + " is not allowed on " + req.path + "; allowed: " + allow, "", -1, {}};
        p.headers["Allow"] = allow;
        throw ProblemError(p);
      }
      fail(ProblemKind::kNotFound, "request.not_found", "no route for " + req.path);
    }
    route_name = match.route->pattern;
    req.params = std::move(match.params);
    if (req.body.size() > config_.http.max_body_bytes)
      fail(ProblemKind::kPayloadTooLarge, "request.too_large",
           "the body has " + std::to_string(req.body.size()) + " bytes; the limit is " +
               std::to_string(config_.http.max_body_bytes));
    if (!req.body.empty() && !accepted_media_type(req.content_type))
      fail(ProblemKind::kUnsupportedMediaType, "request.media_type",
           "send the body as application/json or application/x-ndjson, not '" +
               (req.content_type.empty() ? std::string("(none)") : req.content_type) + "'");
    if (match.route->authenticated) {
      std::string authorization = req.header("Authorization");
      std::string session = accounts_ && authorization.empty()
                                ? cookie_value(req.header("Cookie"), auth::kSessionCookie)
                                : std::string();
      req.principal = session.empty()
                          ? auth_.authenticate(authorization, req.client, route_name)
                          : session_principal(*accounts_, req, session, config_.auth.cookie_secure);
    }
    res = match.route->handler(req);
  } catch (const ProblemError& e) {
    problem = e.problem;
  } catch (const DatabaseUnavailable& e) {
    problem = Problem{ProblemKind::kUnavailable, "dependency.postgres",
                      "the hub cannot reach PostgreSQL; retry later", "", -1, {}};
  } catch (const RedisUnavailable& e) {
    problem = Problem{ProblemKind::kUnavailable, "dependency.redis",
                      "the hub cannot reach Redis, so it refuses work; retry later", "", -1, {}};
  } catch (const std::exception& e) {
    // A database error's text may quote row data: only its SQLSTATE and primary message.
    log::error("unhandled error", {{"request_id", req.request_id}, {"route", route_name},
                                   {"error", safe_error_text(e)}});
    problem = Problem{ProblemKind::kInternal, "internal",
                      "an unexpected error occurred; quote the request id to the operators", "", -1, {}};
  }
  std::string code;
  if (problem) {
    code = problem->code;
    res = problem_response(std::move(*problem), req.request_id, req.path);
  }
  res.headers["X-Request-Id"] = req.request_id;
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  log::request(req.request_id, req.principal ? req.principal->name : "", req.method, route_name,
               res.status, ms, code);
  metrics::observe_request(route_name, req.method, res.status, ms / 1000, code);
  return res;
}

}  // namespace hub
