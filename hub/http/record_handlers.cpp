#include "hub/http/record_handlers.h"

#include "hub/common/json.h"
#include "hub/common/scopes.h"
#include "hub/http/problem.h"
#include "hub/http/server.h"
#include "hub/http/sync_handlers.h"
#include "hub/inbox/batch_records.h"
#include "hub/store/corrections.h"
#include "hub/store/record_search.h"

namespace hub {
namespace {

std::string text_member(const rapidjson::Document& d, const char* key) {
  if (!d.HasMember(key) || !d[key].IsString())
    fail(ProblemKind::kUnprocessable, "request.field_missing", std::string("'") + key + "' (a string) is required",
         std::string("$.") + key);
  return std::string(d[key].GetString(), d[key].GetStringLength());
}

int int_param(HttpRequest& req, const std::string& name, int fallback, int lo, int hi) {
  if (!req.query.count(name)) return fallback;
  const std::string& v = req.query[name];
  try {
    std::size_t pos = 0;
    int n = std::stoi(v, &pos);
    if (pos == v.size() && n >= lo && n <= hi) return n;
  } catch (const std::exception&) {
  }
  fail(ProblemKind::kBadRequest, "request.parameter",
       name + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi), name);
}

HttpResponse search(Components& c, HttpRequest& req) {
  const std::string& entity = req.params["entity"];
  const bool admin = has_scope(req.principal->scopes, "admin");
  auto snap = c.mappings.current();
  if (!admin) {
    req.require_scope("pull:" + entity);
    // The names listed are data like any other: a reader whose publication profile does not send
    // the name field does not get it through a search either.
    const auto* schema = snap->schemas ? snap->schemas->find(entity) : nullptr;
    auto profile = caller_profile(req, c, entity);
    if (schema && !profile.profile->sends(*schema, entity == "school" ? "name" : "full_name"))
      fail(ProblemKind::kForbidden, "publication.entity",
           "the publication profile of '" + req.principal->name + "' does not send the names of " + entity);
  }
  NameSearch s;
  s.entity = entity;
  s.query = req.query.count("q") ? req.query["q"] : "";
  s.limit = int_param(req, "limit", 20, 1, kSearchMaxLimit);
  s.offset = int_param(req, "offset", 0, 0, kSearchMaxOffset);
  s.units = req.principal->units;
  auto r = search_by_name(c.pg, *snap, s);
  if (!r) fail(ProblemKind::kBadRequest, r.error().code, r.error().message, r.error().path);
  json::JsonWriter w;
  std::vector<std::string> ids;
  w.begin_object().kv("entity", entity).kv("offset", s.offset).kv("limit", s.limit).key("records").begin_array();
  for (const auto& h : r->hits) {
    ids.push_back(h.id);
    w.begin_object().kv("id", h.id).kv("name", h.name);
    if (!h.school_code.empty()) w.kv("school_code", h.school_code);
    w.end_object();
  }
  w.end_array().kv("has_more", r->has_more).kv("truncated", r->truncated).end_object();
  audit_person_read(c, req, "record.search", entity, ids);
  return HttpResponse{200, "application/json", w.str(), {}};
}

}  // namespace

void audit_person_read(Components& c, const HttpRequest& req, const std::string& action, const std::string& target,
                       const std::vector<std::string>& ids) {
  if (req.principal->user.empty()) return;
  json::JsonWriter d;
  d.begin_object().key("records").strings(ids).end_object();
  c.audit.record(req.principal->name, action, target, req.client, d.str());
}

void register_record_routes(Router& router, Components& c) {
  // The vendor's original of one record of a batch, beside the canonical result (batches page).
  router.add({"GET", "/v1/batches/{id}/records/{index}", true, [&c](HttpRequest& req) {
                auto number = [&](const std::string& name, long long hi) {
                  const std::string& v = req.params[name];
                  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos ||
                      std::stoll(v) > hi)
                    fail(ProblemKind::kNotFound, "batch.not_found", "no batch record " + req.params["id"] + "/" + v);
                  return std::stoll(v);
                };
                long long id = number("id", 1LL << 62);
                int index = static_cast<int>(number("index", 100000000));
                const bool admin = has_scope(req.principal->scopes, "admin");
                // A partner sees its own batches only; another partner's is simply not found.
                auto r = vendor_record(c.pg, *c.mappings.current(), id, admin ? -1 : req.principal->partner_id, index,
                                       c.config.json.max_depth);
                if (!r) fail(ProblemKind::kNotFound, r.error().code, r.error().message);
                json::JsonWriter w;
                w.begin_object().kv("batch_id", id).kv("index", r->index).kv("path", r->path).kv("mapping_version", r->mapping)
                    .key("record").raw(r->record).end_object();
                audit_person_read(c, req, "batch.record_read", "batch/" + std::to_string(id) + "/" + std::to_string(index), {});
                return HttpResponse{200, "application/json", w.str(), {}};
              }});
  router.add({"GET", "/v1/records/{entity}", true, [&c](HttpRequest& req) { return search(c, req); }});

  router.add({"POST", "/v1/records/{entity}/{id}/corrections", true, [&c](HttpRequest& req) {
                const std::string& entity = req.params["entity"];
                req.require_scope("correct:" + entity);
                auto doc = parse_json_body(req);
                if (!doc.IsObject())
                  fail(ProblemKind::kUnprocessable, "request.field_missing",
                       "the body is an object {\"field\", \"value\", \"reason\"}", "$");
                if (!doc.HasMember("value"))
                  fail(ProblemKind::kUnprocessable, "request.field_missing",
                       "'value' is required (null clears the field)", "$.value");
                CorrectionRequest r;
                r.entity = entity;
                r.record_id = req.params["id"];
                r.field = text_member(doc, "field");
                r.reason = text_member(doc, "reason");
                r.value = &doc["value"];
                r.actor = req.principal->name;
                r.source = req.client;
                r.units = req.principal->units;
                r.levels = req.principal->levels;
                auto snap = c.mappings.current();
                auto done = correct_value(c.pg, *snap, r);
                if (!done) {
                  const auto& e = done.error();
                  ProblemKind kind = e.code.rfind("schema.", 0) == 0 ? ProblemKind::kUnprocessable : kind_for_code(e.code);
                  fail(kind, e.code, e.message, e.path);
                }
                json::JsonWriter w;
                w.begin_object().kv("id", done->record_id).kv("entity", entity).kv("version", done->version)
                    .kv("field", r.field).kv("correction", done->correction_id).end_object();
                HttpResponse res{201, "application/json", w.str(), {}};
                res.headers["Location"] = "/v1/records/" + entity + "/" + done->record_id;
                return res;
              }});
}

}  // namespace hub
