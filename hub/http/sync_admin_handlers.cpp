#include "hub/http/sync_admin_handlers.h"

#include <algorithm>

#include "hub/common/json.h"
#include "hub/http/problem.h"
#include "hub/http/server.h"
#include "hub/sync/consumer_admin.h"

namespace hub {
namespace {

void write_status(json::JsonWriter& w, const sync::ConsumerStatus& s) {
  w.begin_object().kv("consumer", s.name).kv("state", s.state).kv("sink", s.sink).kv("cursor", s.cursor)
      .kv("lag", s.lag).kv("delivered", s.delivered).kv("attempts", s.attempts).kv("dead_letters", s.dead_letters)
      .kv("last_success_at", s.last_success_at).kv("last_error", s.last_error).end_object();
}

}  // namespace

void register_sync_admin_routes(Router& router, Components& c) {
  router.add({"GET", "/v1/admin/sync/consumers", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                json::JsonWriter w;
                w.begin_object().key("consumers").begin_array();
                for (const auto& s : sync::consumer_statuses(c.pg, c.publication.publication.get())) write_status(w, s);
                w.end_array().end_object();
                return HttpResponse{200, "application/json", w.str(), {}};
              }});

  router.add({"GET", "/v1/admin/sync/dead-letters", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                std::string consumer = req.query.count("consumer") ? req.query["consumer"] : "";
                if (consumer.size() > 100)
                  fail(ProblemKind::kBadRequest, "request.parameter", "consumer is a name of at most 100 characters", "consumer");
                int limit = 50;
                if (req.query.count("limit")) {
                  const std::string& v = req.query["limit"];
                  if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos ||
                      std::stoi(v) < 1 || std::stoi(v) > 1000)
                    fail(ProblemKind::kBadRequest, "request.parameter", "limit must be a whole number from 1 to 1000", "limit");
                  limit = std::stoi(v);
                }
                json::JsonWriter w;
                w.begin_object().key("dead_letters").begin_array();
                for (const auto& d : sync::dead_letters(c.pg, consumer, limit))
                  w.begin_object().kv("id", d.id).kv("consumer", d.consumer).kv("first_seq", d.first_seq)
                      .kv("last_seq", d.last_seq).kv("changes", d.changes).kv("attempts", d.attempts)
                      .kv("error", d.error).kv("at", d.at).kv("idempotency_key", d.idempotency_key).end_object();
                w.end_array().end_object();
                return HttpResponse{200, "application/json", w.str(), {}};
              }});

  router.add({"POST", "/v1/admin/sync/consumers/{name}:replay", true, [&c](HttpRequest& req) {
                req.require_scope("admin");
                const std::string& name = req.params["name"];
                auto all = sync::consumer_statuses(c.pg, c.publication.publication.get());
                if (std::none_of(all.begin(), all.end(), [&](const auto& s) { return s.name == name; }))
                  fail(ProblemKind::kNotFound, "sync.consumer_unknown",
                       "no push consumer '" + name + "' (config/publication.yaml) and no cursor of that name");
                auto doc = parse_json_body(req);
                if (!doc.IsObject() || !doc.HasMember("from") || !doc["from"].IsInt64() || doc["from"].GetInt64() < 1)
                  fail(ProblemKind::kUnprocessable, "request.field_missing",
                       "'from' (the first change to send again, its seq: 1 or more) is required", "$.from");
                long long from = doc["from"].GetInt64();
                sync::replay(c.pg, name, from, sync::SyncActor{req.principal->name, req.client});
                for (const auto& s : sync::consumer_statuses(c.pg, c.publication.publication.get()))
                  if (s.name == name) {
                    json::JsonWriter w;
                    write_status(w, s);
                    return HttpResponse{200, "application/json", w.str(), {}};
                  }
                fail(ProblemKind::kNotFound, "sync.consumer_unknown", "no push consumer '" + name + "'");
              }});
}

}  // namespace hub
