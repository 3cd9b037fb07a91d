#include "hub/inbox/payload.h"

#include <unordered_map>

#include "hub/common/json.h"
#include "hub/mapping/messages.h"

namespace hub {
namespace {

std::unique_ptr<mapping::FieldIssue> refusal(const char* code, std::string path, std::string message) {
  auto issue = std::make_unique<mapping::FieldIssue>();
  issue->code = code;
  issue->path = std::move(path);
  issue->message = std::move(message);
  issue->message_vi = mapping::vietnamese_message(code);
  return issue;
}

std::string bad_text_message(const json::BadTextFinder& found, const std::string& path) {
  // The text itself is not echoed: it is what cannot be shown or stored.
  return std::string(found.is_name() ? "the member name at " : "the string at ") + path + " " +
         json::bad_text_reason(found.text()) + "; the hub accepts text as UTF-8 without NUL characters";
}

// The JSON document's records, each refused when it holds bad text. Bad text held by no record
// refuses the push: the mapping may read it through $root, and nothing may be silently kept.
Status refuse_bad_text(Payload& p, std::size_t bad_count) {
  std::unordered_multimap<const rapidjson::Value*, std::size_t> record_at;
  for (std::size_t i = 0; i < p.records.size(); ++i) record_at.emplace(p.records[i].value, i);
  json::BadTextFinder found(p.document);
  for (std::size_t seen = 0; seen < bad_count && found.next(); ++seen) {
    std::string path = "$" + found.relative_path();
    bool held = false;
    for (const rapidjson::Value* holder : found.holders()) {
      auto [from, to] = record_at.equal_range(holder);
      for (auto it = from; it != to; ++it) {
        held = true;
        auto& r = p.records[it->second];
        if (!r.refusal) r.refusal = refusal("record.invalid_text", path, bad_text_message(found, path));
      }
    }
    if (!held) {
      Error e = make_error("request.invalid_text", bad_text_message(found, path) + " (outside every record)", path);
      return e;
    }
  }
  return Status::Ok();
}

Status parse_ndjson(std::string_view body, int max_depth, Payload& p) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  for (std::size_t start = 0; start <= body.size();) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") != std::string_view::npos) spans.emplace_back(start, end - start);
    start = end + 1;
  }
  p.lines.resize(spans.size());
  p.records.resize(spans.size());
  json::DocumentParser parser(max_depth);
  rapidjson::Document line(&p.pool);
  for (std::size_t i = 0; i < spans.size(); ++i) {
    Payload::Record& r = p.records[i];
    r.path = "$[" + std::to_string(i) + "]";
    auto parsed = parser.parse(body.substr(spans[i].first, spans[i].second), line);
    if (!parsed) {
      Error e = parsed.error();
      if (e.code == "request.too_deep") {
        e.message = "line " + std::to_string(i + 1) + ": " + e.message;
        e.offset += spans[i].first;
        return e;
      }
      std::string_view why = e.message;
      if (why.rfind(json::kMalformedPrefix, 0) == 0) why.remove_prefix(json::kMalformedPrefix.size());
      r.refusal = refusal("record.malformed_json", r.path,
                          "line " + std::to_string(i + 1) + " is not valid JSON: " + std::string(why));
      continue;
    }
    p.lines[i].Swap(line);
    r.value = r.root = &p.lines[i];
    if (parsed->bad_text > 0) {
      json::BadTextFinder found(p.lines[i]);
      if (found.next()) {
        std::string path = r.path + found.relative_path();
        r.refusal = refusal("record.invalid_text", path, bad_text_message(found, path));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

bool is_ndjson(std::string_view content_type) {
  return content_type == "application/x-ndjson" || content_type == "application/ndjson";
}

Status parse_payload(std::string_view body, std::string_view content_type, const mapping::Mapping& m,
                     int max_depth, Payload& p) {
  if (is_ndjson(content_type)) return parse_ndjson(body, max_depth, p);
  auto parsed = json::parse(body, p.document, max_depth);
  if (!parsed) return parsed.error();
  auto nodes = m.select_records(p.document);
  p.records.resize(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    p.records[i].value = nodes[i].value;
    p.records[i].root = &p.document;
    p.records[i].path = std::move(nodes[i].path);
  }
  if (parsed->bad_text > 0) return refuse_bad_text(p, parsed->bad_text);
  return Status::Ok();
}

std::string no_records_message(const mapping::Mapping& m, std::string_view content_type) {
  if (is_ndjson(content_type)) return "the NDJSON body has no records (no line holds a value)";
  return "the document has no records at " + m.records_query() + ", where the mapping of feed '" + m.feed() +
         "' expects them";
}

mapping::RecordResult map_payload_record(const mapping::Mapping& m, const Payload::Record& r, std::size_t index) {
  if (!r.refusal) return m.run_record(*r.root, *r.value, index, r.path);
  mapping::RecordResult rejected;
  rejected.index = index;
  rejected.path = r.path;
  rejected.status = mapping::RecordStatus::kRejected;
  rejected.issues.push_back(*r.refusal);
  return rejected;
}

}  // namespace hub
