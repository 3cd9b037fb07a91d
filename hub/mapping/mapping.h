#pragma once
// Mapping: one vendor feed's YAML mapping file (mappings/partners/<partner>/<feed>.yaml),
// compiled once, then run against vendor documents. A vendor record becomes one or more
// canonical records (student, admission_application, subject_result ...), each field taken by
// JSONPath, cleaned by a transform pipeline, coded through a shared catalog, and validated
// against mappings/schema/<entity>.yaml. Problems are reported per record and field, never by
// dropping anything: each record ends mapped, review or rejected. The language is documented
// in docs/mappings.md. A compiled Mapping is immutable; run() is thread-safe.

#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hub/common/json.h"
#include "hub/common/result.h"
#include "hub/mapping/catalog.h"
#include "hub/mapping/jsonpath.h"
#include "hub/mapping/schema.h"

namespace hub::mapping {

struct FieldIssue {
  std::string code;        // stable, e.g. "date.impossible"
  std::string entity;      // canonical entity concerned
  std::string field;       // canonical field ("" for the whole record)
  std::string path;        // normalized JSONPath of the vendor value, e.g. $['hoSo'][3]['ngaySinh']
  std::string value;       // the offending value, masked when it is personal
  std::string message;     // English
  std::string message_vi;  // Vietnamese
  bool review = false;     // needs a person's decision rather than a correction by the partner
};

struct MappedRecord {
  std::string entity;
  std::string local_name;  // the emit's `as`: how other records of this vendor record refer to it
  std::string source_id;   // the vendor record's id, plus "/<as>/<key>" for exploded children
  // A small pool per record: RapidJSON's default first chunk is 64 KiB, which a batch of
  // thousands of small records would multiply into gigabytes. The allocator and its first
  // chunk are one heap block (one allocation per record, not two), which stays put when the
  // record is moved. RapidJSON gives every object room for 16 members (512 bytes): the chunk
  // holds a record's own and one {"$ref": ...} object's, with some text, without a second one
  // (records are kept by the thousand, so every byte more counts too).
  struct Pool {
    Pool() {}  // user-provided, so make_unique does not zero the chunk first
    alignas(16) char first_chunk[1152];
    rapidjson::MemoryPoolAllocator<> allocator{first_chunk, sizeof first_chunk, 1024};
  };
  std::unique_ptr<Pool> pool = std::make_unique<Pool>();
  rapidjson::Document fields{rapidjson::kObjectType, &pool->allocator};  // canonical field -> value;
                                                                          // references are {"$ref": name}
  // Flat whatever the vendor sent: fields hold scalars read from the document, and references.
  // The store copies and compares these values (and the golden records made of them) with
  // RapidJSON's recursive CopyFrom and ==, which that depth of 2 keeps shallow.
};

// kPending: everything passed but a reference names a record the hub does not hold yet (a
// school code); the record waits for it. Only reference checks after mapping set it.
enum class RecordStatus { kMapped, kReview, kRejected, kPending };
const char* status_name(RecordStatus s);

// A reference a pending record waits for, as a push reports it (hub/store/pending_store.h): the
// referenced entity, the natural key it is looked up by, the value, the canonical field holding
// it ("enrollment.school"), and the normalized path of that value in the vendor document.
struct WaitingRef {
  std::string entity;
  std::string key;
  std::string value;
  std::string field;
  std::string path;
};

struct RecordResult {
  std::size_t index = 0;
  std::string source_id;
  std::string path;  // normalized path of the vendor record
  RecordStatus status = RecordStatus::kMapped;
  std::vector<MappedRecord> records;
  std::vector<FieldIssue> issues;
  std::vector<WaitingRef> waiting_for;  // kPending: what it waits for (its issues say ref.unknown)
};

struct MappingOutput {
  std::string mapping_version;
  std::vector<RecordResult> results;
  std::optional<Error> document_error;  // the document as a whole is unusable
};

struct LoadContext {
  std::shared_ptr<const catalog::CatalogSet> catalogs;
  std::shared_ptr<const schema::SchemaSet> schemas;
};

struct CompiledMapping;  // defined in mapping.cpp

class Mapping {
 public:
  // Errors are "file:line:column: what is wrong" with code mapping.*; nothing is half-loaded.
  static Result<std::shared_ptr<const Mapping>> load_file(const std::string& path,
                                                          const LoadContext& context);
  static Result<std::shared_ptr<const Mapping>> load_text(const std::string& text,
                                                          const std::string& file_name,
                                                          const LoadContext& context);

  MappingOutput run(const rapidjson::Value& document) const;
  // The vendor records of a document (the `records:` path), with their normalized paths.
  std::vector<jsonpath::Node> select_records(const rapidjson::Value& document) const;
  // One vendor record on its own (NDJSON lines): `document` is what $root refers to.
  RecordResult run_record(const rapidjson::Value& document, const rapidjson::Value& record,
                          std::size_t index, const std::string& record_path) const;

  const std::string& partner() const;
  const std::string& feed() const;
  const std::string& version() const;  // "<version from the file>#<8 hex of its SHA-256>"
  const std::string& file() const;
  const std::string& records_query() const;  // the `records:` JSONPath, as written in the file
  std::vector<std::string> entities() const;  // canonical entities it emits
  // Normalized path of the vendor value that `field` of `rec` was read from, for reports made
  // after mapping (a reference the store does not know). `rec` is a record this mapping made of
  // `record` (at `record_path`, in `document`); the record's own path when the field has no
  // source path or its element is not found. Computed on demand: it runs the field's query again.
  std::string value_path(const rapidjson::Value& document, const rapidjson::Value& record,
                         const std::string& record_path, const MappedRecord& rec, std::string_view field) const;
  // What the file allows but is probably wrong ("file:line:column: warning: ..."): children
  // without a key, keys that cannot tell elements apart, required fields mapped only `when`.
  const std::vector<std::string>& warnings() const;
  // What the output of a sample vendor document shows to be probably wrong: coded values that
  // mean "unknown" (a code system that reads the vendor's codes wrongly, say "0" read as U where
  // the vendor means female), and records rejected for children sharing a source id.
  std::vector<std::string> sample_warnings(const MappingOutput& out) const;

  ~Mapping();

 private:
  explicit Mapping(std::unique_ptr<CompiledMapping> compiled);
  std::unique_ptr<CompiledMapping> compiled_;
};

// {"mapping_version":..., "results":[{"index","source_id","status","records":[...],"errors":[...]}]}
void write_output(json::JsonWriter& w, const MappingOutput& out);
void write_issue(json::JsonWriter& w, const FieldIssue& issue);
// "waiting_for": [{entity, key, value, path}, ...] of a pending record.
void write_waiting_for(json::JsonWriter& w, const std::vector<WaitingRef>& waiting);

}  // namespace hub::mapping
