// libFuzzer target: a partner's push as ingest reads and maps it (hub/inbox/payload.h, the
// mapping runner), and the writer that answers it. Input: one byte choosing the content type
// and the demo mapping, then the body. Fails on a crash, a hang, a sanitizer report, or an
// answer that is not valid UTF-8 JSON. Built by scripts/fuzz.sh (clang, build-fuzz/).

#include <rapidjson/document.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "hub/common/json.h"
#include "hub/inbox/payload.h"
#include "hub/mapping/mapping_registry.h"

namespace {

std::vector<std::shared_ptr<const hub::mapping::Mapping>> load_mappings() {
  hub::mapping::MappingRegistry registry(std::string(HUB_SOURCE_DIR) + "/mappings");
  auto report = registry.reload();
  std::vector<std::shared_ptr<const hub::mapping::Mapping>> out;
  for (const auto& [key, m] : registry.current()->mappings) out.push_back(m);
  if (out.empty()) {
    std::fprintf(stderr, "payload_fuzz: no mapping loaded from %s/mappings\n", HUB_SOURCE_DIR);
    std::abort();
  }
  return out;
}

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "payload_fuzz: %s\n", what);
    std::abort();
  }
}

bool strict_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  return !d.HasParseError();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto kMappings = load_mappings();
  if (size == 0) return 0;
  const auto& m = *kMappings[(data[0] >> 1) % kMappings.size()];
  const char* type = (data[0] & 1) ? "application/x-ndjson" : "application/json";
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  hub::Payload p;
  auto parsed = hub::parse_payload(body, type, m, hub::json::kDefaultMaxDepth, p);
  hub::json::JsonWriter w;
  if (!parsed) {
    require(!parsed.error().code.empty(), "an error without a code");
    w.begin_object().kv("code", parsed.error().code).kv("detail", parsed.error().message)
        .kv("path", parsed.error().path).end_object();
    require(strict_json(w.str()), "a refusal that is not valid UTF-8 JSON");
    return 0;
  }
  hub::mapping::MappingOutput out;
  out.mapping_version = m.version();
  for (std::size_t i = 0; i < p.records.size() && i < 200; ++i) {
    out.results.push_back(hub::map_payload_record(m, p.records[i], i));
    const auto& r = out.results.back();
    // A record with bad text never reaches the mapping, so nothing it maps holds bad text.
    if (!p.records[i].refusal)
      for (const auto& rec : r.records) {
        hub::json::BadTextFinder found(rec.fields);
        require(!found.next(), "a mapped record holds a NUL or malformed UTF-8");
      }
  }
  hub::mapping::write_output(w, out);
  require(strict_json(w.str()), "an answer that is not valid UTF-8 JSON");
  return 0;
}
