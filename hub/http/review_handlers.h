#pragma once
// Registers the review and merge routes of entity resolution (scope "admin"): the HTTP twin of
// `hubctl review` and `hubctl merge`.
#include "hub/http/router.h"
#include "hub/resolve/review_queue.h"
#include "hub/store/audit_log.h"

namespace hub {
// With `audit`, a person opening a review item (both records) gets an audit row `review.read`.
void register_review_routes(Router& router, resolve::ReviewQueue& review, AuditLog* audit = nullptr);
}
