#pragma once
// Checks the hub's answers against its own description (docs/openapi.yaml, as the hub serves it):
// the route, method and status must be described, the answer's media type must be one the
// description lists, and a JSON body must validate against that response's schema (RapidJSON's
// JSON Schema validator, draft-04). Used by the integration tests on the answers they get, so an
// answer that drifts from the description fails a test. Not thread-safe (tests run one at a time).

#include <string>

#include "tests/support/test_env.h"

namespace hub::test {

// "" when `r`, the answer to `method` `target` (a path, with or without its query), conforms to
// the description; else what does not.
std::string openapi_mismatch(const std::string& method, const std::string& target, const HttpResult& r);

}  // namespace hub::test
