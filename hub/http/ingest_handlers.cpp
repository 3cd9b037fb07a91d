// /v1/ingest/{feed}, /v1/batches and /v1/records: partners push data (or try it first with a dry
// run, /v1/ingest/{feed}:validate), follow their batches, and
// read canonical records with lineage and as-of answers: an admin whole, a partner with a pull
// scope through its publication profile (docs/sync.md). A batch shows only its own partner's
// results, whose values are what that partner sent, personal IDs masked.

#include "hub/common/json.h"
#include "hub/common/scopes.h"
#include "hub/http/admin_handlers.h"
#include "hub/http/json_body.h"
#include "hub/http/problem.h"
#include "hub/http/record_handlers.h"
#include "hub/http/sync_handlers.h"
#include "hub/ingest/dry_run.h"
#include "hub/store/record_queries.h"

namespace hub {
namespace {

int int_param(HttpRequest& req, const std::string& name, int fallback, int lo, int hi) {
  if (!req.query.count(name)) return fallback;
  try {
    size_t pos = 0;
    int v = std::stoi(req.query[name], &pos);
    if (pos == req.query[name].size() && v >= lo && v <= hi) return v;
  } catch (const std::exception&) {
  }
  fail(ProblemKind::kBadRequest, "request.parameter",
       name + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi), name);
}

long long batch_id_of(HttpRequest& req) {
  try {
    size_t pos = 0;
    long long id = std::stoll(req.params["id"], &pos);
    if (pos == req.params["id"].size() && id > 0) return id;
  } catch (const std::exception&) {
  }
  fail(ProblemKind::kNotFound, "batch.not_found", "no batch " + req.params["id"]);
}

bool is_admin(const HttpRequest& req) { return has_scope(req.principal->scopes, "admin"); }

// A record of the records API as its caller may see it: whole for an admin (`profile` null),
// else through the caller's publication profile: its data and lineage (hub/sync/publication.h),
// and the related records of each entity its profile includes (the others are left out).
std::string record_json(const RecordView& v, const schema::SchemaSet& schemas, const CallerProfile* profile,
                        bool lineage) {
  const auto* schema = schemas.find(v.entity);
  auto write_data = [&](json::JsonWriter& w, const std::string& data, const sync::EntityProfile* p,
                        const schema::EntitySchema* s) {
    if (!profile) {
      w.raw(data);
      return;
    }
    rapidjson::Document d;
    d.Parse(data.c_str(), data.size());
    profile->publication->project(*p, *s, d, w);
  };
  json::JsonWriter w;
  w.begin_object().kv("id", v.id).kv("entity", v.entity).kv("version", v.version)
      .kv("created_at", v.created_at).kv("updated_at", v.updated_at).key("data");
  write_data(w, v.data, profile ? profile->profile : nullptr, schema);
  if (v.valid_from) w.kv("valid_from", *v.valid_from);
  if (v.valid_to) w.kv("valid_to", *v.valid_to);
  if (!v.merged_from.empty()) w.key("merged_from").strings(v.merged_from);
  if (lineage) {
    w.key("lineage");
    if (!profile) {
      w.raw(v.lineage);
    } else {
      rapidjson::Document d;
      d.Parse(v.lineage.c_str(), v.lineage.size());
      profile->publication->project_lineage(*profile->profile, *schema, d, w);
    }
  }
  if (v.as_of) {
    w.kv("as_of", v.as_of->iso());
    if (v.in_force) w.kv("in_force", *v.in_force);
    for (const auto& [entity, records] : v.related) {
      const sync::EntityProfile* p = profile ? profile->consumer->entity(entity) : nullptr;
      if (profile && !p) continue;
      const auto* s = schemas.find(entity);
      w.key(entity + "s").begin_array();
      for (const auto& r : records) {
        w.begin_object().kv("id", r.id).kv("version", r.version).key("data");
        write_data(w, r.data, p, s);
        w.kv("valid_from", r.valid_from).key("valid_to");
        if (r.valid_to) w.value(*r.valid_to); else w.null();
        w.end_object();
      }
      w.end_array();
    }
  }
  w.end_object();
  return w.str();
}

// A refusal of hub/ingest as a problem+json answer: the status by its code (problem.cpp); a
// body the hub cannot read is refused as every route refuses one (json_body.h).
[[noreturn]] void refuse(const Refusal& r, const std::string& request_id) {
  if (r.of_body) refuse_json_body(r.error, request_id);
  Problem p{kind_for_code(r.error.code), r.error.code, r.error.message, r.error.path, -1, {}};
  if (!r.location.empty()) p.headers["Location"] = r.location;
  throw ProblemError(p);
}

}  // namespace

void register_ingest_routes(Router& router, Components& c) {
  // The dry run: mapped and checked like a push, nothing stored (hub/ingest/dry_run.h). Before
  // the push route, whose {feed} would otherwise take "<feed>:validate" as a feed name.
  router.add({"POST", "/v1/ingest/{feed}:validate", true, [&c](HttpRequest& req) {
                IngestCaller caller{req.principal->partner_id, req.principal->name, req.principal->scopes,
                                    req.principal->units};
                auto reply = dry_run(c.pg, c.mappings, c.config, caller, req.params["feed"], req.body,
                                     req.content_type);
                if (reply.refusal) refuse(*reply.refusal, req.request_id);
                return HttpResponse{200, "application/json", std::move(reply.body), {}};
              }});

  router.add({"POST", "/v1/ingest/{feed}", true, [&c](HttpRequest& req) {
                IngestCaller caller{req.principal->partner_id, req.principal->name, req.principal->scopes,
                                    req.principal->units};
                auto reply = c.ingest.submit(caller, req.params["feed"], req.body, req.content_type,
                                             req.header("Idempotency-Key"), req.request_id);
                if (reply.refusal) refuse(*reply.refusal, req.request_id);
                HttpResponse res{reply.status, "application/json", reply.body, {}};
                res.headers["Location"] = reply.location;
                if (reply.replayed) res.headers["Idempotent-Replayed"] = "true";
                return res;
              }});

  router.add({"GET", "/v1/batches", true, [&c](HttpRequest& req) {
                int limit = int_param(req, "limit", 50, 1, 1000);
                std::string status = req.query.count("status") ? req.query["status"] : "";
                if (!status.empty() && status != "received" && status != "processing" && status != "done" &&
                    status != "failed")
                  fail(ProblemKind::kBadRequest, "request.parameter",
                       "status must be one of received, processing, done, failed", "status");
                return HttpResponse{200, "application/json",
                                    c.ingest.batches_json(is_admin(req) ? -1 : req.principal->partner_id, limit,
                                                          status),
                                    {}};
              }});

  router.add({"GET", "/v1/batches/{id}", true, [&c](HttpRequest& req) {
                long long id = batch_id_of(req);
                int offset = int_param(req, "offset", 0, 0, 100000000);
                int limit = int_param(req, "limit", 100, 1, 10000);
                // A partner sees its own batches only; another partner's id is simply not found.
                auto body = c.ingest.batch_json(id, is_admin(req) ? -1 : req.principal->partner_id, offset, limit);
                if (body.empty()) fail(ProblemKind::kNotFound, "batch.not_found", "no batch " + req.params["id"]);
                return HttpResponse{200, "application/json", body, {}};
              }});

  router.add({"GET", "/v1/records/{entity}/{id}", true, [&c](HttpRequest& req) {
                const std::string& entity = req.params["entity"];
                auto snap = c.mappings.current();
                if (!snap->schemas || !snap->schemas->find(entity))
                  fail(ProblemKind::kNotFound, "record.unknown_entity", "'" + entity + "' is not a canonical entity");
                // An admin reads the record whole; anyone else through its publication profile.
                std::optional<CallerProfile> profile;
                if (!is_admin(req)) {
                  req.require_scope("pull:" + entity);
                  profile = caller_profile(req, c, entity);
                }
                std::optional<Date> as_of;
                if (req.query.count("as_of")) {
                  as_of = Date::parse_iso(req.query["as_of"]);
                  if (!as_of) fail(ProblemKind::kBadRequest, "request.parameter", "as_of must be a date YYYY-MM-DD", "as_of");
                }
                bool lineage = req.query.count("lineage") && req.query["lineage"] == "true";
                auto view = c.records.find(*snap->schemas, entity, req.params["id"], as_of);
                if (!view) fail(ProblemKind::kNotFound, "record.not_found", "no " + entity + " " + req.params["id"]);
                if (view->place.province.empty() && !view->place.commune.empty())
                  view->place.province = snap->catalogs->province_of_commune(view->place.commune);
                // Before the redirect of a merged id too: its answer carries the record's data.
                // The refusal names the reader's units, not the record's place.
                if (!unit_allowed(req.principal->units, view->place)) {
                  std::string units;
                  for (const auto& u : req.principal->units) units += (units.empty() ? "" : ", ") + u;
                  fail(ProblemKind::kForbidden, "auth.unit",
                       "partner '" + req.principal->name + "' may read only records of its units (" + units +
                           "); this " + entity + " is not in them");
                }
                std::string body = record_json(*view, *snap->schemas, profile ? &*profile : nullptr, lineage);
                audit_person_read(c, req, "record.read", entity + "/" + view->id, {view->id});
                if (!view->merged_into.empty()) {
                  HttpResponse r{308, "application/json", body, {}};
                  r.headers["Location"] = "/v1/records/" + entity + "/" + view->merged_into;
                  return r;
                }
                return HttpResponse{200, "application/json", body, {}};
              }});
}

}  // namespace hub
