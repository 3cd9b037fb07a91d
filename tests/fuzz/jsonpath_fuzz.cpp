// libFuzzer target: the JSONPath parser and evaluator (hub/mapping/jsonpath.h), the I-Regexp
// translator behind match()/search(), and the document parser. Input: a query, a newline, a
// JSON document. Fails on a crash, a hang, a sanitizer report or a broken invariant (the
// selecting functions agree; every normalized path is a singular query).

#include <rapidjson/document.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hub/common/json.h"
#include "hub/mapping/iregexp.h"
#include "hub/mapping/jsonpath.h"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "jsonpath_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t nl = input.find('\n');
  std::string_view query_text = input.substr(0, nl);
  std::string_view doc_text = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

  // The query text as an I-Regexp too: the translator reads hostile patterns from documents.
  auto re = hub::jsonpath::Regex::compile(query_text, (size & 1) != 0);
  if (re) re->matches(doc_text.substr(0, 256));

  auto query = hub::jsonpath::Query::parse(query_text);
  if (!query) {
    require(query.error().code == "jsonpath.syntax", "a query error without its code");
    return 0;
  }
  rapidjson::Document doc;
  if (!hub::json::parse(doc_text, doc)) return 0;

  std::vector<const rapidjson::Value*> values;
  query->select(doc, values);
  auto nodes = query->select_with_paths(doc);
  require(nodes.size() == values.size(), "select and select_with_paths disagree");
  const rapidjson::Value* one = query->select_one(doc);
  require(values.empty() ? one == nullptr : one == values.front(), "select_one is not the first node");
  for (std::size_t i = 0; i < nodes.size() && i < 64; ++i) {
    require(nodes[i].value == values[i], "select_with_paths reorders nodes");
    // A normalized path is itself a singular query (member names of malformed UTF-8 aside,
    // which no query can spell).
    if (hub::json::find_invalid_utf8(nodes[i].path) != std::string_view::npos) continue;
    auto back = hub::jsonpath::Query::parse(nodes[i].path);
    require(back.ok() && back->is_singular(), "a normalized path that is not a singular query");
  }
  hub::json::JsonWriter w;
  w.begin_array();
  for (const auto* v : values) w.value(*v);
  w.end_array();
  return 0;
}
