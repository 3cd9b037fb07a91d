#pragma once
// Registers the review and merge routes of entity resolution (scope "admin"): the HTTP twin of
// `hubctl review` and `hubctl merge`.
#include "hub/http/router.h"
#include "hub/resolve/review_queue.h"

namespace hub {
void register_review_routes(Router& router, resolve::ReviewQueue& review);
}
