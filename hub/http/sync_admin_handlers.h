#pragma once
// The operators' routes of the push consumers (scope admin), the HTTP twin of `hubctl sync`
// (hub/sync/consumer_admin.h), used by the console's sync page:
//   GET  /v1/admin/sync/consumers                 each consumer: state, sink, cursor, lag, attempts,
//                                                 dead letters, last success and error
//   GET  /v1/admin/sync/dead-letters?consumer=&limit=   batches given up on, newest first
//   POST /v1/admin/sync/consumers/{name}:replay   {"from": seq}: every change from seq on again
// Handlers are thread-safe.

#include "hub/http/routes.h"

namespace hub {

void register_sync_admin_routes(Router& router, Components& c);

}  // namespace hub
