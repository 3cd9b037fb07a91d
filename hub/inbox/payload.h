#pragma once
// Payload: a partner's push as the hub reads it, for ingest and for a mapping's :test route
// alike. The body is a JSON document or NDJSON (one vendor record per non-blank line), parsed
// by json::DocumentParser: without recursion, nesting bounded by json.max_depth, the whole body
// one value. Its vendor records are what the feed's mapping selects (`records:`), or the lines.
// A record that cannot be mapped carries its refusal, so it ends rejected with a reason while
// its neighbours go on: an NDJSON line that is not JSON, or a string or member name in the
// record that is not valid UTF-8 or holds a NUL character (PostgreSQL could not store it).
// Built by one thread, then read-only: several threads may map its records at once.

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hub/common/result.h"
#include "hub/mapping/mapping.h"

namespace hub {

bool is_ndjson(std::string_view content_type);

struct Payload {
  Payload() = default;
  Payload(const Payload&) = delete;
  Payload& operator=(const Payload&) = delete;

  // Every value of the body, the document's or all the lines' (one pool: a pool per NDJSON
  // line would take 64 KiB per line).
  rapidjson::MemoryPoolAllocator<> pool;
  rapidjson::Document document{&pool};  // a JSON body
  std::vector<rapidjson::Value> lines;  // an NDJSON body: each line's value (null if malformed)

  struct Record {
    const rapidjson::Value* value = nullptr;  // the vendor record
    const rapidjson::Value* root = nullptr;   // what $root refers to: the document, or the line
    std::string path;                         // normalized path of the record
    std::unique_ptr<mapping::FieldIssue> refusal;  // set: rejected for this, without mapping
  };
  std::vector<Record> records;
};

// Parses `body` (NDJSON when `content_type` says so, else one JSON document) and selects its
// records with `m`. An Error refuses the push as a whole (answer 400): "request.malformed_json"
// (a JSON document that is not JSON), "request.too_deep" (the document or any NDJSON line
// nests deeper than `max_depth`), "request.invalid_text" (a bad string or member name outside
// every record; `path` names it). Errors carry the byte offset where that applies.
Status parse_payload(std::string_view body, std::string_view content_type, const mapping::Mapping& m,
                     int max_depth, Payload& p);

// Why a payload has no records, for `ingest.no_records`: the NDJSON body has no lines, or the
// JSON document has nothing where the mapping's `records:` JSONPath looks (named).
std::string no_records_message(const mapping::Mapping& m, std::string_view content_type);

// Maps record `index` of a payload: its refusal, or what the mapping makes of it.
mapping::RecordResult map_payload_record(const mapping::Mapping& m, const Payload::Record& r, std::size_t index);

}  // namespace hub
