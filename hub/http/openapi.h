#pragma once
// The hub's API description and its reader's page. docs/openapi.yaml is the OpenAPI 3.1
// description of every route (kept equal to the router's table by tests/http/openapi_test.cpp);
// it and the files of hub/http/docs_page/ are compiled into the binaries
// (cmake/embed_files.cmake), so any hub serves them from any working directory, with no internet:
//   GET /v1/openapi.json   the description as JSON
//   GET /docs              a page that renders it (its script and style are files of their own,
//                          served under a Content-Security-Policy that allows no inline code)
// Pure lookups of constant data; thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "hub/http/router.h"

namespace hub {

// A file compiled in, by its path in the source tree ("docs/openapi.yaml"); nullopt if none.
std::optional<std::string_view> embedded_file(std::string_view path);

// docs/openapi.yaml as JSON (converted once): quoted YAML scalars are strings, plain ones are
// read as null, booleans and numbers where they spell one.
const std::string& openapi_json();

// The Content-Security-Policy of the /docs page: its own script, style and the description only.
extern const char* const kDocsContentSecurityPolicy;

void register_docs_routes(Router& router);

}  // namespace hub
