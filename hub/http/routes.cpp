#include "hub/http/routes.h"

#include "hub/common/json.h"
#include "hub/http/admin_handlers.h"
#include "hub/http/console_handlers.h"
#include "hub/http/record_handlers.h"
#include "hub/http/openapi.h"
#include "hub/http/problem.h"
#include "hub/http/reports_handlers.h"
#include "hub/http/report_handlers.h"
#include "hub/http/review_handlers.h"
#include "hub/http/school_handlers.h"
#include "hub/http/sync_admin_handlers.h"
#include "hub/http/sync_handlers.h"

namespace hub {

void register_routes(Router& router, Components& c) {
  // Liveness: the process answers. Never touches PostgreSQL or Redis.
  router.add({"GET", "/healthz", false,
              [](HttpRequest&) { return HttpResponse{200, "application/json", R"({"status":"ok"})", {}}; },
              Lane::kInline});

  // Readiness: can this process do work now? Checked on every call, so it turns 200 again
  // as soon as PostgreSQL and Redis are back, without a restart.
  router.add({"GET", "/readyz", false, [&c](HttpRequest&) {
                bool pg = c.pg.ping();
                bool redis = c.redis.ping();
                if (!pg || !redis) {
                  std::string why;
                  if (!pg) why = "PostgreSQL is unreachable";
                  if (!redis) why += std::string(why.empty() ? "" : "; ") + "Redis is unreachable";
                  Problem p{ProblemKind::kUnavailable, "dependency.unavailable", why, "", -1, {}};
                  p.headers["Retry-After"] = "5";
                  throw ProblemError(p);
                }
                return HttpResponse{200, "application/json",
                                    R"({"status":"ready","postgres":"ok","redis":"ok"})", {}};
              },
              Lane::kProbe});

  router.add({"GET", "/v1/me", true, [](HttpRequest& req) {
                json::JsonWriter w;
                w.begin_object().kv("name", req.principal->name)
                    .key("scopes").strings(req.principal->scopes)
                    .key("units").strings(req.principal->units).end_object();
                return HttpResponse{200, "application/json", w.str(), {}};
              }});

  register_admin_routes(router, c);
  register_school_routes(router, c);
  register_mapping_routes(router, c);
  register_ingest_routes(router, c);
  register_sync_routes(router, c);
  register_reports_routes(router, c);
  register_report_routes(router, c);
  register_record_routes(router, c);
  register_sync_admin_routes(router, c);
  register_docs_routes(router);
}

void register_all_routes(Router& router, Components& c, resolve::ReviewQueue& review, auth::Accounts& accounts) {
  register_routes(router, c);
  register_review_routes(router, review, &c.audit);
  register_console_routes(router, c.config, accounts);
}

}  // namespace hub
