#include "hub/http/server.h"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/net.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "hub/common/crypto.h"
#include "hub/common/log.h"
#include "hub/http/problem.h"

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

std::string header_of(const Http::Request& req, const std::string& name) {
  const auto& headers = req.headers();
  if (auto raw = headers.tryGetRaw(name)) return raw->value();
  try {
    if (auto h = headers.tryGet(name)) {
      std::ostringstream os;
      h->write(os);
      return os.str();
    }
  } catch (const std::exception&) {
  }
  return {};
}

bool accepted_media_type(const std::string& type) {
  return type == "application/json" || type == "application/x-ndjson" ||
         type == "application/ndjson" ||
         (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

// A response header whose name is known only at run time. Pistache 0.0.5 writes typed headers
// only (raw ones are dropped from responses), hence this small type.
class NamedHeader : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override { return 0; }
#endif

 private:
  std::string name_;
  std::string value_;
};

// Bridges Pistache to HttpServer::handle. Pistache clones the handler per worker thread.
class PistacheAdapter : public Http::Handler {
 public:
  HTTP_PROTOTYPE(PistacheAdapter)
  explicit PistacheAdapter(HttpServer* server) : server_(server) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
    HttpRequest req;
    req.method = Http::methodString(request.method());
    req.path = request.resource();
    std::string query_string;
    for (auto it = request.query().parameters_begin(); it != request.query().parameters_end(); ++it)
      req.query[it->first] = url_decode(it->second);
    req.body = request.body();
    req.client = request.address().host();
    std::string ct = header_of(request, "Content-Type");
    req.content_type = lower(ct.substr(0, ct.find(';')));
    while (!req.content_type.empty() && req.content_type.back() == ' ') req.content_type.pop_back();
    req.header = [&request](const std::string& name) { return header_of(request, name); };

    HttpResponse res = server_->handle(req);

    response.headers().add(std::make_shared<NamedHeader>("X-Request-Id", req.request_id));
    for (const auto& [k, v] : res.headers) response.headers().add(std::make_shared<NamedHeader>(k, v));
    response.setMime(Http::Mime::MediaType::fromString(res.content_type));
    response.send(static_cast<Http::Code>(res.status), res.body);
  }

 private:
  HttpServer* server_;
};

}  // namespace

std::string new_request_id() { return crypto::to_hex(crypto::random_bytes(16)); }

HttpServer::HttpServer(const Config& config, Router& router, Authenticator& auth)
    : config_(config), router_(router), auth_(auth) {}

HttpServer::~HttpServer() {
  if (endpoint_) endpoint_->shutdown();
}

void HttpServer::start() {
  Address addr(config_.http.host, Port(static_cast<uint16_t>(config_.http.port)));
  endpoint_ = std::make_shared<Http::Endpoint>(addr);
  // Pistache's own limit covers headers and body; it sits above ours so that an oversized body
  // normally reaches handle() and gets a problem+json 413 rather than Pistache's plain text.
  auto opts = Http::Endpoint::options()
                  .threads(config_.http.threads)
                  .flags(Tcp::Options::ReuseAddr)
                  .maxRequestSize(config_.http.max_body_bytes + (64u << 10))
                  .maxResponseSize(256u << 20)
                  .headerTimeout(std::chrono::milliseconds(config_.http.header_timeout_ms))
                  .bodyTimeout(std::chrono::milliseconds(config_.http.body_timeout_ms));
  endpoint_->init(opts);
  if (!config_.http.tls_cert.empty()) endpoint_->useSSL(config_.http.tls_cert, config_.http.tls_key);
  endpoint_->setHandler(Http::make_handler<PistacheAdapter>(this));
  endpoint_->serveThreaded();
}

void HttpServer::drain_and_stop(int timeout_ms) {
  draining_ = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (endpoint_) {
    endpoint_->shutdown();
    endpoint_.reset();
  }
}

HttpResponse HttpServer::handle(HttpRequest& req) {
  auto started = std::chrono::steady_clock::now();
  std::string incoming_id = req.header("X-Request-Id");
  req.request_id = valid_request_id(incoming_id) ? incoming_id : new_request_id();
  req.max_json_depth = config_.json.max_depth;
  in_flight_.fetch_add(1);

  HttpResponse res;
  std::string route_name = "unmatched";
  std::string code;
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
    if (match.route->authenticated)
      req.principal = auth_.authenticate(req.header("Authorization"), req.client, route_name);
    res = match.route->handler(req);
  } catch (const ProblemError& e) {
    code = e.problem.code;
    res.status = status_for(e.problem.kind);
    res.content_type = "application/problem+json";
    res.body = problem_json(e.problem, req.request_id, req.path);
    res.headers = e.problem.headers;
  } catch (const DatabaseUnavailable& e) {
    code = "dependency.postgres";
    res.status = 503;
    res.content_type = "application/problem+json";
    res.body = problem_json({ProblemKind::kUnavailable, code,
                             "the hub cannot reach PostgreSQL; retry later", "", -1, {}},
                            req.request_id, req.path);
    res.headers["Retry-After"] = "5";
  } catch (const RedisUnavailable& e) {
    code = "dependency.redis";
    res.status = 503;
    res.content_type = "application/problem+json";
    res.body = problem_json({ProblemKind::kUnavailable, code,
                             "the hub cannot reach Redis, so it refuses work; retry later", "", -1, {}},
                            req.request_id, req.path);
    res.headers["Retry-After"] = "5";
  } catch (const std::exception& e) {
    code = "internal";
    log::error("unhandled error", {{"request_id", req.request_id}, {"route", route_name},
                                   {"error", e.what()}});
    res.status = 500;
    res.content_type = "application/problem+json";
    res.body = problem_json({ProblemKind::kInternal, "internal",
                             "an unexpected error occurred; quote the request id to the operators",
                             "", -1, {}},
                            req.request_id, req.path);
  }
  in_flight_.fetch_sub(1);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  log::request(req.request_id, req.principal ? req.principal->name : "", req.method, route_name,
               res.status, ms, code);
  return res;
}

}  // namespace hub
