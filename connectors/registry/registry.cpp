#include "connectors/registry/registry.h"

#include "connectors/file/file_sink.h"
#include "connectors/http/http_sink.h"

namespace hub::connectors {

const std::vector<SinkFactory>& sink_factories() {
  static const std::vector<SinkFactory> kFactories = {
      {"http", "POST JSON batches to a URL (bearer token or HMAC-SHA256 signature, Idempotency-Key)", make_http_sink},
      {"file", "append NDJSON to rotating, fsync'ed files listed in a manifest", make_file_sink},
  };
  return kFactories;
}

Result<std::unique_ptr<Sink>> make_sink(const std::string& name, const std::string& consumer,
                                        const SinkOptions& options) {
  std::string known;
  for (const auto& f : sink_factories()) {
    if (f.name == name) return f.make(consumer, options);
    known += (known.empty() ? "" : ", ") + f.name;
  }
  return make_error("sink.unknown", "unknown sink '" + name + "' (known: " + known + ")", "sink");
}

}  // namespace hub::connectors
