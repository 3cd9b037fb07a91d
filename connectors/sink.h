#pragma once
// Sink: where a push connector delivers a consumer's changes (an HTTP endpoint, NDJSON files).
// The outbox worker (hub/sync/outbox_worker.h) reads the change log after the consumer's durable
// cursor, applies the consumer's publication profile, and hands batches to the sink in seq order;
// it moves the cursor only after send() reports kDelivered. A crash between the two re-sends the
// batch, so a sink (or what it writes to) must accept the same changes twice: every change
// carries its seq, and every batch an idempotency key that is the same when the same batch is
// sent again. A Sink is used by one worker thread at a time; it need not be thread-safe.

#include <map>
#include <string>
#include <vector>

namespace hub::connectors {

// A consumer's `push.options` (config/publication.yaml), checked by the sink's factory.
using SinkOptions = std::map<std::string, std::string>;

struct Batch {
  std::string consumer;
  long long first_seq = 0;
  long long last_seq = 0;
  std::string idempotency_key;       // "<consumer>:<first_seq>-<last_seq>"
  std::vector<long long> seqs;       // seq of each change, ascending
  std::vector<std::string> changes;  // each one JSON object, the profile already applied
};

enum class SendOutcome {
  kDelivered,  // the receiver has it durably
  kRetry,      // a failure that may pass (timeout, connection refused, 5xx, 408, 429)
  kRejected,   // retrying the same batch cannot help (4xx): dead-letter it
};

struct SendResult {
  SendOutcome outcome = SendOutcome::kDelivered;
  std::string error;  // for logs and the dead-letter table; never holds data or secrets
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual SendResult send(const Batch& batch) = 0;
  // What the sink writes to, for logs and `hubctl sync status` (no secrets).
  virtual std::string describe() const = 0;
};

}  // namespace hub::connectors
