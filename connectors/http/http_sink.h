#pragma once
// HttpSink: POSTs each batch as one JSON document
//   {"consumer", "first_seq", "last_seq", "idempotency_key", "changes": [...]}
// with an Idempotency-Key header, and either a bearer token or an HMAC-SHA256 signature:
//   X-Hub-Timestamp: <unix seconds>
//   X-Hub-Signature: sha256=<hex HMAC(secret, "<timestamp>.<body>")>
// (the timestamp inside the signed text lets the receiver refuse old replays). 2xx = delivered;
// timeouts, connection errors, 5xx, 408 and 429 = retry; other statuses = rejected. The libcurl
// handle is kept between batches (keep-alive). One thread at a time.
//
// Options: url (http:// or https://), auth (bearer | hmac | none, default hmac), secret_env (the
// environment variable holding the token or the signing secret), connect_timeout_ms (default
// 2000), timeout_ms (default 15000).

#include <memory>
#include <string>

#include "connectors/sink.h"
#include "hub/common/result.h"

namespace hub::connectors {

Result<std::unique_ptr<Sink>> make_http_sink(const std::string& consumer, const SinkOptions& options);

// The signature header value for `body` at `timestamp`: "sha256=<hex>". Shared with receivers.
std::string http_signature(const std::string& secret, const std::string& timestamp, const std::string& body);

}  // namespace hub::connectors
