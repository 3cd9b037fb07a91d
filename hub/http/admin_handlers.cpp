// Handlers of /v1/admin/partners and /v1/admin/audit: the HTTP twin of `hubctl partner` and
// `hubctl audit`, for ops tools. All need the "admin" scope.

#include "hub/http/admin_handlers.h"

#include "hub/common/json.h"
#include "hub/http/problem.h"
#include "hub/http/rate_limiter.h"
#include "hub/http/server.h"

namespace hub {
namespace {

void write_partner(json::JsonWriter& w, const Partner& p) {
  w.begin_object()
      .kv("name", p.name)
      .kv("display_name", p.display_name)
      .key("scopes").strings(p.scopes)
      .key("units").strings(p.units)
      .kv("created_at", p.created_at)
      .kv("active_tokens", p.active_tokens);
  w.key("revoked_at");
  if (p.revoked_at) w.value(*p.revoked_at); else w.null();
  w.key("rate_per_second");
  if (p.rate_per_second) w.value(*p.rate_per_second); else w.null();
  w.end_object();
}

HttpResponse json_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

[[noreturn]] void fail_with(const Error& e) {
  ProblemKind kind = ProblemKind::kUnprocessable;
  if (e.code == "partner.not_found") kind = ProblemKind::kNotFound;
  if (e.code == "partner.exists") kind = ProblemKind::kConflict;
  fail(kind, e.code, e.message, e.path);
}

std::vector<std::string> string_list(const rapidjson::Value& obj, const char* key) {
  std::vector<std::string> out;
  if (!obj.HasMember(key)) return out;
  const auto& v = obj[key];
  if (!v.IsArray()) fail(ProblemKind::kUnprocessable, "request.field_type",
                         std::string("'") + key + "' must be an array of strings", std::string("$.") + key);
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    if (!v[i].IsString())
      fail(ProblemKind::kUnprocessable, "request.field_type",
           std::string("'") + key + "' must hold only strings",
           std::string("$.") + key + "[" + std::to_string(i) + "]");
    out.emplace_back(v[i].GetString(), v[i].GetStringLength());
  }
  return out;
}

std::optional<int> optional_int(const rapidjson::Value& obj, const char* key) {
  if (!obj.HasMember(key) || obj[key].IsNull()) return std::nullopt;
  if (!obj[key].IsInt())
    fail(ProblemKind::kUnprocessable, "request.field_type",
         std::string("'") + key + "' must be a whole number", std::string("$.") + key);
  return obj[key].GetInt();
}

const rapidjson::Value& body_object(const rapidjson::Document& d) {
  if (!d.IsObject())
    fail(ProblemKind::kUnprocessable, "request.not_object", "the body must be a JSON object", "$");
  return d;
}

Actor actor_of(const HttpRequest& req) { return Actor{req.principal->name, req.client}; }

// Revocation and rotation must reach every hub process now: bump the epoch they all check.
void announce_token_change(RedisPool& redis) { bump_auth_epoch(redis); }

}  // namespace

void register_admin_routes(Router& router, Components& c) {
  router.add({"GET", "/v1/admin/partners", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                json::JsonWriter w;
                w.begin_object().key("partners").begin_array();
                for (const auto& p : c.partners.list()) write_partner(w, p);
                w.end_array().end_object();
                return json_response(200, w.str());
              }});

  router.add({"POST", "/v1/admin/partners", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                auto doc = parse_json_body(req);
                const auto& body = body_object(doc);
                NewPartner np;
                if (!body.HasMember("name") || !body["name"].IsString())
                  fail(ProblemKind::kUnprocessable, "request.field_missing",
                       "'name' (a string) is required", "$.name");
                np.name = body["name"].GetString();
                if (body.HasMember("display_name") && body["display_name"].IsString())
                  np.display_name = body["display_name"].GetString();
                np.scopes = string_list(body, "scopes");
                np.units = string_list(body, "units");
                np.expires_in_days = optional_int(body, "expires_in_days");
                auto added = c.partners.add(np, actor_of(req));
                if (!added) fail_with(added.error());
                json::JsonWriter w;
                w.begin_object().key("partner");
                write_partner(w, added->first);
                w.kv("token", added->second.token).key("token_expires_at");
                if (added->second.expires_at) w.value(*added->second.expires_at); else w.null();
                w.end_object();
                auto r = json_response(201, w.str());
                r.headers["Location"] = "/v1/admin/partners/" + np.name;
                r.headers["Cache-Control"] = "no-store";
                return r;
              }});

  router.add({"GET", "/v1/admin/partners/{name}", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                auto p = c.partners.find(req.params["name"]);
                if (!p) fail_with(p.error());
                json::JsonWriter w;
                write_partner(w, *p);
                return json_response(200, w.str());
              }});

  router.add({"POST", "/v1/admin/partners/{name}:rotate", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                int grace = c.config.auth.rotation_grace_seconds;
                std::optional<int> days;
                if (!req.body.empty()) {
                  auto doc = parse_json_body(req);
                  const auto& body = body_object(doc);
                  grace = optional_int(body, "grace_seconds").value_or(grace);
                  days = optional_int(body, "expires_in_days");
                }
                auto t = c.partners.rotate(req.params["name"], grace, days, actor_of(req));
                if (!t) fail_with(t.error());
                announce_token_change(c.redis);
                json::JsonWriter w;
                w.begin_object().kv("token", t->token).kv("old_tokens_valid_for_seconds", grace).end_object();
                auto r = json_response(200, w.str());
                r.headers["Cache-Control"] = "no-store";
                return r;
              }});

  router.add({"POST", "/v1/admin/partners/{name}:revoke", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                auto p = c.partners.revoke(req.params["name"], actor_of(req));
                if (!p) fail_with(p.error());
                announce_token_change(c.redis);
                json::JsonWriter w;
                write_partner(w, *p);
                return json_response(200, w.str());
              }});

  router.add({"POST", "/v1/admin/partners/{name}:scope", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                auto doc = parse_json_body(req);
                const auto& body = body_object(doc);
                ScopeChange ch;
                ch.add_scopes = string_list(body, "add_scopes");
                ch.remove_scopes = string_list(body, "remove_scopes");
                ch.add_units = string_list(body, "add_units");
                ch.remove_units = string_list(body, "remove_units");
                ch.clear_units = body.HasMember("clear_units") && body["clear_units"].IsBool() &&
                                 body["clear_units"].GetBool();
                auto p = c.partners.change_scopes(req.params["name"], ch, actor_of(req));
                if (!p) fail_with(p.error());
                announce_token_change(c.redis);
                json::JsonWriter w;
                write_partner(w, *p);
                return json_response(200, w.str());
              }});

  router.add({"GET", "/v1/admin/audit", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                AuditFilter f;
                if (req.query.count("actor")) f.actor = req.query["actor"];
                if (req.query.count("action")) f.action = req.query["action"];
                if (req.query.count("since")) f.since = req.query["since"];
                if (req.query.count("until")) f.until = req.query["until"];
                if (req.query.count("limit")) {
                  try {
                    f.limit = std::stoi(req.query["limit"]);
                  } catch (const std::exception&) {
                    f.limit = -1;
                  }
                  if (f.limit < 1 || f.limit > 10000)
                    fail(ProblemKind::kBadRequest, "request.parameter",
                         "limit must be a whole number from 1 to 10000", "limit");
                }
                std::vector<AuditEntry> entries;
                try {
                  entries = c.audit.query(f);
                } catch (const pqxx::data_exception& e) {
                  fail(ProblemKind::kBadRequest, "request.parameter",
                       "since/until must be dates or timestamps, e.g. 2026-11-23T10:00:00Z", "since");
                }
                json::JsonWriter w;
                w.begin_object().key("entries").begin_array();
                for (const auto& e : entries) {
                  w.begin_object().kv("id", e.id).kv("at", e.at).kv("actor", e.actor)
                      .kv("action", e.action).kv("target", e.target).kv("source", e.source)
                      .key("detail").raw(e.detail).end_object();
                }
                w.end_array().end_object();
                return json_response(200, w.str());
              }});
}

}  // namespace hub
