// Handlers of /v1/admin/schools/events: school lifecycle events, planned, applied once, undone
// within their school year (hub/ingest/school_lifecycle.h). Scope "admin".

#include "hub/http/school_handlers.h"

#include "hub/common/json.h"
#include "hub/http/problem.h"
#include "hub/http/server.h"
#include "hub/ingest/school_lifecycle.h"

namespace hub {
namespace {

constexpr std::size_t kMaxText = 200;

// Each SchoolEvents error code to one problem kind.
[[noreturn]] void fail_with(const Error& e) {
  ProblemKind kind = ProblemKind::kConflict;
  if (e.code == "school.bad_event" || e.code == "school.unknown") kind = ProblemKind::kUnprocessable;
  if (e.code == "school.unknown_plan") kind = ProblemKind::kNotFound;
  fail(kind, e.code, e.message, e.path);
}

std::string text_field(const rapidjson::Document& d, const char* key, bool required) {
  auto m = d.FindMember(key);
  if (m == d.MemberEnd() || m->value.IsNull()) {
    if (required)
      fail(ProblemKind::kUnprocessable, "request.field_missing", std::string("'") + key + "' (a string) is required",
           std::string("$.") + key);
    return "";
  }
  if (!m->value.IsString() || m->value.GetStringLength() > kMaxText)
    fail(ProblemKind::kUnprocessable, "request.field_type",
         std::string("'") + key + "' must be a string of at most " + std::to_string(kMaxText) + " characters",
         std::string("$.") + key);
  return m->value.GetString();
}

std::vector<std::string> codes_field(const rapidjson::Document& d, const char* key) {
  std::vector<std::string> out;
  auto m = d.FindMember(key);
  if (m == d.MemberEnd()) return out;
  if (!m->value.IsArray() || m->value.Size() > 50)
    fail(ProblemKind::kUnprocessable, "request.field_type", std::string("'") + key + "' must be a list of at most 50 school codes",
         std::string("$.") + key);
  for (rapidjson::SizeType i = 0; i < m->value.Size(); ++i) {
    const auto& v = m->value[i];
    if (!v.IsString() || v.GetStringLength() == 0 || v.GetStringLength() > 20)
      fail(ProblemKind::kUnprocessable, "request.field_type", "a school code is a string of 1 to 20 characters",
           std::string("$.") + key + "[" + std::to_string(i) + "]");
    out.emplace_back(v.GetString());
  }
  return out;
}

long long plan_field(const rapidjson::Document& d) {
  auto m = d.FindMember("plan");
  if (m == d.MemberEnd() || !m->value.IsInt64() || m->value.GetInt64() <= 0)
    fail(ProblemKind::kUnprocessable, "request.field_missing", "'plan' (the plan's number) is required", "$.plan");
  return m->value.GetInt64();
}

std::string applied_json(const SchoolEventApplied& r) {
  json::JsonWriter w;
  w.begin_object().kv("plan", r.plan_id).kv("event", r.event_id).kv("batch", r.batch_id)
      .kv("school_versions", r.school_versions).kv("moved", r.moved).kv("classes", r.classes)
      .kv("reviews", r.reviews).end_object();
  return w.str();
}

HttpResponse json_response(int status, std::string body) { return HttpResponse{status, "application/json", std::move(body), {}}; }

HttpResponse handle(HttpRequest& req, Components& c) {
  auto body = parse_json_body(req);
  if (!body.IsObject()) fail(ProblemKind::kUnprocessable, "request.not_object", "the body must be a JSON object", "$");
  const std::string action = text_field(body, "action", true);
  auto snap = c.mappings.current();
  SchoolEvents events(c.pg, *snap);
  const std::string actor = req.principal->name;
  if (action == "plan") {
    SchoolEventSpec spec;
    spec.kind = text_field(body, "kind", true);
    spec.effective_on = text_field(body, "effective_on", true);
    spec.decision_number = text_field(body, "decision_number", true);
    spec.schools = codes_field(body, "schools");
    spec.successors = codes_field(body, "successors");
    auto ch = body.FindMember("changes");
    if (ch != body.MemberEnd()) {
      if (!ch->value.IsObject() || ch->value.MemberCount() > 4)
        fail(ProblemKind::kUnprocessable, "request.field_type", "'changes' must be an object of new values", "$.changes");
      for (auto m = ch->value.MemberBegin(); m != ch->value.MemberEnd(); ++m) {
        if (!m->value.IsString() || m->value.GetStringLength() > kMaxText)
          fail(ProblemKind::kUnprocessable, "request.field_type", "each new value is a string",
               std::string("$.changes.") + m->name.GetString());
        spec.changes[m->name.GetString()] = m->value.GetString();
      }
    }
    auto p = events.plan(spec, actor, "api");
    if (!p) fail_with(p.error());
    return json_response(201, school_event_plan_json(*p));
  }
  if (action == "apply" || action == "undo") {
    long long plan = plan_field(body);
    auto r = action == "apply" ? events.apply(plan, actor, "api") : events.undo(plan, actor, "api");
    if (!r) fail_with(r.error());
    return json_response(200, applied_json(*r));
  }
  if (action == "decide_class") {
    long long plan = plan_field(body);
    auto r = events.decide_class(plan, text_field(body, "class", true), text_field(body, "successor", true), actor, "api");
    if (!r) fail_with(r.error());
    json::JsonWriter w;
    w.begin_object().kv("plan", r->plan_id).kv("batch", r->batch_id).kv("moved", r->moved).end_object();
    return json_response(200, w.str());
  }
  fail(ProblemKind::kUnprocessable, "request.field_type", "'action' must be plan, apply, undo or decide_class",
       "$.action");
}

}  // namespace

void register_school_routes(Router& router, Components& c) {
  router.add({"POST", "/v1/admin/schools/events", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                return handle(req, c);
              }});
  router.add({"GET", "/v1/admin/schools/events/{plan}", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                const std::string& s = req.params["plan"];
                if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos)
                  fail(ProblemKind::kBadRequest, "request.bad_id", "the plan must be a number", "plan");
                auto snap = c.mappings.current();
                auto p = SchoolEvents(c.pg, *snap).load(std::stoll(s));
                if (!p) fail(ProblemKind::kNotFound, "school.unknown_plan", "there is no school event plan " + s, "plan");
                return json_response(200, school_event_plan_json(*p));
              }});
}

}  // namespace hub
