#pragma once
// GET /metrics: the Prometheus text exposition of the hub process (hub/common/metrics.h) and of
// the figures PostgreSQL holds for every process (records by outcome and partner, pending
// records, review queue, change-log lag and dead letters per consumer, lock waits), read at
// scrape time. Guarded by its own bearer secret (metrics.token), checked without PostgreSQL or
// Redis, so that it keeps answering while they are down: that is when it matters. Off (404)
// while no secret is set. Thread-safe.

#include "hub/http/routes.h"

namespace hub {

void register_metrics_routes(Router& router, Components& c);

}  // namespace hub
