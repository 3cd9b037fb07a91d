// /v1/admin/mappings and /v1/admin/reload: what ops staff use to see which mapping versions
// run, to reload after editing files, and to try a mapping on a vendor payload (nothing stored;
// references to stored records are checked, read only).

#include "hub/common/json.h"
#include "hub/common/log.h"
#include "hub/http/admin_handlers.h"
#include "hub/http/json_body.h"
#include "hub/http/problem.h"
#include "hub/http/server.h"
#include "hub/ingest/dry_run.h"
#include "hub/inbox/payload.h"

namespace hub {
namespace {

void write_errors(json::JsonWriter& w, const std::vector<Error>& errors) {
  w.key("errors").begin_array();
  for (const auto& e : errors) w.begin_object().kv("code", e.code).kv("message", e.message).end_object();
  w.end_array();
}

}  // namespace

void register_mapping_routes(Router& router, Components& c) {
  router.add({"GET", "/v1/admin/mappings", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                auto snap = c.mappings.current();
                json::JsonWriter w;
                w.begin_object().kv("generation", snap->generation).key("mappings").begin_array();
                for (const auto& [key, m] : snap->mappings) {
                  w.begin_object().kv("partner", key.first).kv("feed", key.second)
                      .kv("version", m->version()).key("entities").strings(m->entities()).end_object();
                }
                w.end_array();
                write_errors(w, c.mappings.last_errors());
                w.end_object();
                return HttpResponse{200, "application/json", w.str(), {}};
              }});

  router.add({"POST", "/v1/admin/reload", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                auto report = c.mappings.reload();
                log::info("mappings reloaded", {{"by", req.principal->name},
                                                {"loaded", std::to_string(report.mappings_loaded)},
                                                {"errors", std::to_string(report.errors.size())}});
                json::JsonWriter w;
                w.begin_object().kv("generation", report.generation).kv("loaded", report.mappings_loaded);
                write_errors(w, report.errors);
                w.end_object();
                // Who changed the mappings in force (a person from the console, or an ops token).
                json::JsonWriter d;
                d.begin_object().kv("generation", report.generation).kv("loaded", report.mappings_loaded)
                    .kv("errors", static_cast<long long>(report.errors.size())).end_object();
                c.audit.record(req.principal->name, "mappings.reload", "mappings", req.client, d.str());
                // 200 even with errors: the hub keeps the versions that worked, and says which did not.
                return HttpResponse{200, "application/json", w.str(), {}};
              }});

  router.add({"POST", "/v1/admin/mappings/{partner}/{feed}:test", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                auto snap = c.mappings.current();  // this request finishes with this version
                auto m = snap->find(req.params["partner"], req.params["feed"]);
                if (!m)
                  fail(ProblemKind::kNotFound, "mapping.not_found",
                       "no mapping loaded for partner '" + req.params["partner"] + "' feed '" +
                           req.params["feed"] + "' (file mappings/partners/" + req.params["partner"] +
                           "/" + req.params["feed"] + ".yaml)");
                // Read as ingest reads a push, so a record ingest would reject is rejected here too.
                Payload payload;
                if (auto parsed = parse_payload(req.body, req.content_type, *m, c.config.json.max_depth, payload); !parsed)
                  refuse_json_body(parsed.error(), req.request_id);
                mapping::MappingOutput out;
                out.mapping_version = m->version();
                if (payload.records.empty()) {
                  out = m->run(payload.document);  // says where the mapping looks for records
                  if (is_ndjson(req.content_type)) out.document_error = make_error("mapping.no_records", "the NDJSON body has no records");
                }
                if (out.document_error)
                  fail(ProblemKind::kUnprocessable, out.document_error->code, out.document_error->message, "$");
                // References to stored records are looked up as the store would (read only), so a
                // record naming an unknown school says so instead of "mapped".
                if (!payload.records.empty())
                  out.results = c.pg.with_transaction([&](pqxx::work& tx) {
                    tx.exec("set transaction read only");
                    return map_and_check(tx, *m, *snap, payload);
                  });
                json::JsonWriter w;
                mapping::write_output(w, out);
                return HttpResponse{200, "application/json", w.str(), {}};
              }});
}

}  // namespace hub
