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
#include "hub/model/record.h"

namespace hub::mapping {

// The record types a mapping produces live in the shared kernel (hub/model/record.h), since
// every later stage reads them; they keep their names here.
using model::FieldIssue;
using model::MappedRecord;
using model::RecordResult;
using model::RecordStatus;
using model::status_name;
using model::WaitingRef;

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
