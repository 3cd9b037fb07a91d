#pragma once
// The hub's HTTP API: every route in one explicit list (register_routes), each bound to the
// components it needs. Components outlive the router; handlers are thread-safe.

#include "hub/auth/accounts.h"
#include "hub/common/config.h"
#include "hub/common/redis.h"
#include "hub/http/router.h"
#include "hub/ingest/ingest_service.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/resolve/review_queue.h"
#include "hub/store/record_queries.h"
#include "hub/store/audit_log.h"
#include "hub/store/partner_store.h"
#include "hub/store/pg_pool.h"
#include "hub/sync/publication.h"

namespace hub {

struct Components {
  const Config& config;
  PgPool& pg;
  RedisPool& redis;
  AuditLog& audit;
  PartnerStore& partners;
  mapping::MappingRegistry& mappings;
  IngestService& ingest;
  RecordQueries& records;
  const sync::LoadedPublication& publication;
};

void register_routes(Router& router, Components& c);

// Every route of the hub: register_routes, then the review routes. The hub builds its router with
// it, and so does the test that holds docs/openapi.yaml to the router's table.
// The console's routes (hub/http/console_handlers.h) come with it.
void register_all_routes(Router& router, Components& c, resolve::ReviewQueue& review, auth::Accounts& accounts);

}  // namespace hub
