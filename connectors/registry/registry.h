#pragma once
// The built-in sinks, in one explicit list (no static registration): a consumer's `push.sink` in
// config/publication.yaml names one, and its `push.options` go to that sink's factory, which
// checks them. Adding a sink = a folder under connectors/ with its factory, plus one line in
// registry.cpp. Thread-safe (the list is immutable).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/sink.h"
#include "hub/common/result.h"

namespace hub::connectors {

struct SinkFactory {
  std::string name;         // the value of push.sink
  std::string description;  // one line, for docs and errors
  // Errors: code "sink.options" naming the option.
  std::function<Result<std::unique_ptr<Sink>>(const std::string& consumer, const SinkOptions& options)> make;
};

const std::vector<SinkFactory>& sink_factories();

// Error "sink.unknown" (listing the known sinks) or the factory's error.
Result<std::unique_ptr<Sink>> make_sink(const std::string& name, const std::string& consumer,
                                        const SinkOptions& options);

}  // namespace hub::connectors
