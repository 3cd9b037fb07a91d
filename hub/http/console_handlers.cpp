#include "hub/http/console_handlers.h"

#include "hub/common/config.h"
#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/http/openapi.h"
#include "hub/http/problem.h"
#include "hub/http/server.h"

namespace hub {

const char* const kConsoleContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
    " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

namespace {

constexpr const char* kConsoleDir = "hub/http/console_page/";

std::string session_cookie(const std::string& value, long long max_age, bool secure) {
  return std::string(auth::kSessionCookie) + "=" + value + "; Path=/; Max-Age=" + std::to_string(max_age) +
         "; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
}

const char* media_type_of(const std::string& file) {
  auto ends = [&](const char* ext) {
    std::string e(ext);
    return file.size() > e.size() && file.compare(file.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return nullptr;
}

HttpResponse console_file(const std::string& file) {
  const char* type = media_type_of(file);
  auto text = type && file.find('/') == std::string::npos ? embedded_file(kConsoleDir + file) : std::nullopt;
  if (!text) fail(ProblemKind::kNotFound, "request.not_found", "the console has no file '" + file + "'");
  HttpResponse r;
  r.content_type = type;
  r.body = std::string(*text);
  r.headers["Content-Security-Policy"] = kConsoleContentSecurityPolicy;
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["X-Frame-Options"] = "DENY";
  r.headers["Referrer-Policy"] = "no-referrer";
  r.headers["Cache-Control"] = "no-cache";
  return r;
}

void write_user(json::JsonWriter& w, const auth::User& u) {
  w.begin_object()
      .kv("login", u.login)
      .kv("name", u.name)
      .kv("email", u.email)
      .kv("role", u.role)
      .key("units").strings(u.units)
      .key("levels").strings(u.levels)
      .key("scopes").strings(auth::role_scopes(u.role))
      .end_object();
}

std::string string_member(const rapidjson::Document& d, const char* key) {
  if (!d.IsObject() || !d.HasMember(key) || !d[key].IsString())
    fail(ProblemKind::kUnprocessable, "request.field_missing", std::string("'") + key + "' (a string) is required",
         std::string("$.") + key);
  return std::string(d[key].GetString(), d[key].GetStringLength());
}

// A session is ended by its own cookie only: a partner token has no session to end.
auth::SessionGrant grant_of(auth::Accounts& accounts, const HttpRequest& req) {
  if (req.principal->session_hash.empty())
    fail(ProblemKind::kForbidden, "auth.session_required", "this route ends a console session: sign in first");
  auth::SessionGrant g;
  g.id_hash = req.principal->session_hash;
  g.user.login = req.principal->user;
  g.user.id = req.principal->user_id;
  return g;
}

HttpResponse no_store(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  r.headers["Cache-Control"] = "no-store";
  return r;
}

}  // namespace

std::string cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view item = header.substr(0, semi);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.size() > name.size() && item.compare(0, name.size(), name) == 0 && item[name.size()] == '=')
      return std::string(item.substr(name.size() + 1));
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

Principal session_principal(auth::Accounts& accounts, const HttpRequest& req, const std::string& cookie,
                            bool secure_cookie) {
  auto grant = accounts.session(cookie);
  if (!grant) {
    Problem p{ProblemKind::kUnauthorized, "auth.session_invalid",
              "the console session is unknown, expired or ended; sign in again", "Cookie", -1, {}};
    p.headers["Set-Cookie"] = session_cookie("", 0, secure_cookie);
    throw ProblemError(p);
  }
  // A cookie goes with any request the browser makes; a page of another site cannot read the
  // token, so a state change carrying it comes from the console itself.
  if (req.method != "GET" && req.method != "HEAD" &&
      !crypto::constant_time_equal(req.header(auth::kCsrfHeader), grant->csrf_token))
    fail(ProblemKind::kForbidden, "auth.csrf",
         "a change made with the console's session must send its CSRF token in the X-CSRF-Token header",
         auth::kCsrfHeader);
  Principal p;
  p.user_id = grant->user.id;
  p.name = auth::actor_name(grant->user.login);
  p.scopes = auth::role_scopes(grant->user.role);
  p.units = grant->user.units;
  p.user = grant->user.login;
  p.levels = grant->user.levels;
  p.session_hash = grant->id_hash;
  return p;
}

void register_console_routes(Router& router, const Config& config, auth::Accounts& accounts) {
  router.add({"GET", "/console", false, [](HttpRequest&) { return console_file("index.html"); }, Lane::kInline});
  router.add({"GET", "/console/{file}", false,
              [](HttpRequest& req) { return console_file(req.params["file"]); }, Lane::kInline});

  const bool secure = config.auth.cookie_secure;
  router.add({"POST", "/v1/console/login", false, [&accounts, secure](HttpRequest& req) {
                auto doc = parse_json_body(req);
                std::string login = string_member(doc, "login");
                std::string password = string_member(doc, "password");
                auto s = accounts.login(login, password, req.client);
                if (!s) {
                  if (s.error().code == "user.login_throttled") {
                    Problem p{ProblemKind::kTooManyRequests, s.error().code, s.error().message, "login", -1, {}};
                    p.headers["Retry-After"] = s.error().path;
                    throw ProblemError(p);
                  }
                  fail(ProblemKind::kUnauthorized, s.error().code, s.error().message, s.error().path);
                }
                json::JsonWriter w;
                w.begin_object().key("user");
                write_user(w, s->user);
                w.kv("csrf_token", s->csrf_token).kv("expires_in", s->max_age_seconds).end_object();
                HttpResponse r = no_store(w.str());
                // A new id at every sign-in: a cookie planted before it (session fixation) is never promoted.
                r.headers["Set-Cookie"] = session_cookie(s->id, s->max_age_seconds, secure);
                return r;
              }});

  router.add({"GET", "/v1/console/session", true, [&accounts](HttpRequest& req) {
                json::JsonWriter w;
                w.begin_object();
                if (!req.principal->session_hash.empty()) {
                  auto g = accounts.session_by_hash(req.principal->session_hash);
                  if (!g) fail(ProblemKind::kUnauthorized, "auth.session_invalid", "the console session has ended; sign in again");
                  w.key("user");
                  write_user(w, g->user);
                  w.kv("csrf_token", g->csrf_token);
                } else {
                  w.key("partner").begin_object().kv("name", req.principal->name)
                      .key("scopes").strings(req.principal->scopes)
                      .key("units").strings(req.principal->units).end_object();
                }
                w.end_object();
                return no_store(w.str());
              }});

  router.add({"POST", "/v1/console/logout", true, [&accounts, secure](HttpRequest& req) {
                accounts.logout(grant_of(accounts, req), req.client);
                HttpResponse r = no_store(R"({"sessions_ended":1})");
                r.headers["Set-Cookie"] = session_cookie("", 0, secure);
                return r;
              }});

  router.add({"POST", "/v1/console/logout-everywhere", true, [&accounts, secure](HttpRequest& req) {
                long long n = accounts.logout_everywhere(grant_of(accounts, req), req.client);
                json::JsonWriter w;
                w.begin_object().kv("sessions_ended", n).end_object();
                HttpResponse r = no_store(w.str());
                r.headers["Set-Cookie"] = session_cookie("", 0, secure);
                return r;
              }});
}

}  // namespace hub
