// /v1/ingest/{feed}, /v1/batches and /v1/records: partners push data, follow their batches, and
// (with a pull or admin scope) read canonical records with lineage and as-of answers.

#include "hub/common/json.h"
#include "hub/common/scopes.h"
#include "hub/http/admin_handlers.h"
#include "hub/http/problem.h"

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

}  // namespace

void register_ingest_routes(Router& router, Components& c) {
  router.add({"POST", "/v1/ingest/{feed}", true, [&c](HttpRequest& req) {
                IngestCaller caller{req.principal->partner_id, req.principal->name, req.principal->scopes,
                                    req.principal->units};
                auto reply = c.ingest.submit(caller, req.params["feed"], req.body, req.content_type,
                                             req.header("Idempotency-Key"), req.request_id);
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
                if (!is_admin(req)) req.require_scope("pull:" + entity);
                std::optional<Date> as_of;
                if (req.query.count("as_of")) {
                  as_of = Date::parse_iso(req.query["as_of"]);
                  if (!as_of) fail(ProblemKind::kBadRequest, "request.parameter", "as_of must be a date YYYY-MM-DD", "as_of");
                }
                bool lineage = req.query.count("lineage") && req.query["lineage"] == "true";
                auto view = c.records.find(*snap->schemas, entity, req.params["id"], lineage, as_of);
                if (!view) fail(ProblemKind::kNotFound, "record.not_found", "no " + entity + " " + req.params["id"]);
                if (!view->merged_into.empty()) {
                  HttpResponse r{308, "application/json", view->json, {}};
                  r.headers["Location"] = "/v1/records/" + entity + "/" + view->merged_into;
                  return r;
                }
                if (view->place.province.empty() && !view->place.commune.empty())
                  view->place.province = snap->catalogs->province_of_commune(view->place.commune);
                if (!unit_allowed(req.principal->units, view->place)) {
                  std::string where = !view->place.school.empty() ? "school " + view->place.school
                                      : !view->place.commune.empty() ? "commune " + view->place.commune
                                                                     : "a record with no known unit";
                  fail(ProblemKind::kForbidden, "auth.unit",
                       "partner '" + req.principal->name + "' may not read data of " + where);
                }
                return HttpResponse{200, "application/json", view->json, {}};
              }});
}

}  // namespace hub
