// Handlers of /v1/admin/review (match review queue) and /v1/admin/records/{id}:merge|:unmerge.
// Need the "admin" or the "review" scope.

#include "hub/http/review_handlers.h"

#include <cctype>

#include "hub/common/json.h"
#include "hub/common/scopes.h"
#include "hub/http/problem.h"
#include "hub/http/server.h"

namespace hub {
namespace {

// Each ReviewQueue error code to one problem kind.
[[noreturn]] void fail_with(const Error& e) {
  ProblemKind kind = ProblemKind::kUnprocessable;
  if (e.code == "review.not_found" || e.code == "merge.not_found" || e.code == "school.unknown_item")
    kind = ProblemKind::kNotFound;
  if (e.code == "review.payload_purged") kind = ProblemKind::kConflict;  // the record must be sent again
  if (e.code == "review.decided" || e.code == "merge.already_merged" || e.code == "merge.not_merged" ||
      e.code == "merge.survivor_merged" || e.code == "review.id_taken" || e.code == "review.record_merged" ||
      e.code == "review.stale")
    kind = ProblemKind::kConflict;
  fail(kind, e.code, e.message, e.path);
}

HttpResponse ok(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

long long id_param(HttpRequest& req) {
  const std::string& s = req.params["id"];
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
    fail(ProblemKind::kBadRequest, "request.bad_id", "the review item id must be a number", "id");
  return std::stoll(s);
}

int int_query(HttpRequest& req, const std::string& name, int fallback, int max) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return fallback;
  if (it->second.size() > 9 || it->second.find_first_not_of("0123456789") != std::string::npos)
    fail(ProblemKind::kBadRequest, "request.bad_parameter", "'" + name + "' must be a whole number", name);
  return std::min(max, std::stoi(it->second));
}

std::string string_field(const rapidjson::Document& d, const char* key) {
  if (!d.IsObject() || !d.HasMember(key) || !d[key].IsString())
    fail(ProblemKind::kUnprocessable, "request.field_missing", std::string("'") + key + "' (a string) is required",
         std::string("$.") + key);
  return d[key].GetString();
}

std::string actor_of(const HttpRequest& req) { return req.principal->name; }

// Department staff decide reviews without being admins of the hub (scope "review").
void require_reviewer(const HttpRequest& req) {
  if (req.principal && has_scope(req.principal->scopes, kReviewScope)) return;
  req.require_scope("admin");
}

// Record ids are UUIDs; anything else is refused before it reaches PostgreSQL.
const std::string& uuid(const std::string& s, const char* what) {
  bool ok = s.size() == 36;
  for (std::size_t i = 0; ok && i < s.size(); ++i)
    ok = (i == 8 || i == 13 || i == 18 || i == 23) ? s[i] == '-' : std::isxdigit(static_cast<unsigned char>(s[i])) != 0;
  if (!ok) fail(ProblemKind::kBadRequest, "request.bad_id", std::string(what) + " must be a record id (UUID)", what);
  return s;
}

// A person opened a review item: who saw which two records (their ids, nothing of their data).
void audit_item_read(AuditLog* audit, const HttpRequest& req, long long id, const std::string& item_json) {
  if (!audit || req.principal->user.empty()) return;
  rapidjson::Document d;
  d.Parse(item_json.c_str(), item_json.size());
  json::JsonWriter w;
  w.begin_object().key("records").begin_array();
  for (const char* side : {"record", "candidate"})
    if (d.IsObject() && d.HasMember(side) && d[side].IsObject() && d[side].HasMember("id") && d[side]["id"].IsString())
      w.value(d[side]["id"].GetString());
  w.end_array().end_object();
  audit->record(req.principal->name, "review.read", "review/" + std::to_string(id), req.client, w.str());
}

}  // namespace

void register_review_routes(Router& router, resolve::ReviewQueue& review, AuditLog* audit) {
  router.add({"GET", "/v1/admin/review", true, [&review](HttpRequest& req) {
                require_reviewer(req);
                std::string status = req.query.count("status") ? req.query["status"] : "open";
                if (status == "all") status = "";
                if (!status.empty() && status != "open" && status != "resolved")
                  fail(ProblemKind::kBadRequest, "request.bad_parameter", "status must be open, resolved or all", "status");
                return ok(review.list_json(status, int_query(req, "after", 0, 1 << 30), int_query(req, "limit", 50, 500)));
              }});
  router.add({"GET", "/v1/admin/review/{id}", true, [&review, audit](HttpRequest& req) {
                require_reviewer(req);
                long long id = id_param(req);
                auto r = review.show_json(id);
                if (!r) fail_with(r.error());
                audit_item_read(audit, req, id, r.value());
                return ok(r.value());
              }});
  router.add({"POST", "/v1/admin/review/{id}", true, [&review](HttpRequest& req) {
                require_reviewer(req);
                long long id = id_param(req);
                auto body = parse_json_body(req);
                std::string decision = string_field(body, "decision");
                if (decision == "not-a-match") decision = "not_a_match";
                // A split commune's review item: {"decision": "commune", "commune": "<new code>"}.
                // A split's or dissolved school's student: {"decision": "school", "school": "<code>"}
                // or {"decision": "left"}.
                auto r = decision == "commune" ? review.decide_commune(id, string_field(body, "commune"), actor_of(req))
                         : decision == "school" ? review.decide_school(id, string_field(body, "school"), actor_of(req))
                         : decision == "left"   ? review.decide_school(id, "left", actor_of(req))
                                                : review.decide(id, decision, actor_of(req));
                if (!r) fail_with(r.error());
                return ok(r.value());
              }});
  router.add({"POST", "/v1/admin/records/{id}:merge", true, [&review](HttpRequest& req) {
                require_reviewer(req);
                auto body = parse_json_body(req);
                auto r = review.merge(uuid(string_field(body, "into"), "into"), uuid(req.params["id"], "id"), actor_of(req));
                if (!r) fail_with(r.error());
                return ok(r.value());
              }});
  router.add({"POST", "/v1/admin/records/{id}:unmerge", true, [&review](HttpRequest& req) {
                require_reviewer(req);
                auto r = review.unmerge(uuid(req.params["id"], "id"), actor_of(req));
                if (!r) fail_with(r.error());
                return ok(r.value());
              }});
}

}  // namespace hub
