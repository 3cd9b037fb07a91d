#pragma once
// Corrections: a person (or a partner with the scope correct:<entity>) replaces one value of a
// golden record. A correction is never an edit in place: it writes a new version of the record
// (record_version), the field's lineage names the person ("user:<login>") with the reason, a
// change-log row tells the warehouse, an audit row names who did it, and record_correction keeps
// the value it replaced.
//
// Survivorship afterwards (the write path, golden_store.cpp, asks CorrectionGuards): while the
// record still holds the person's value, a vendor sending again the very value the person
// replaced does not undo the correction (the vendor's system has not been fixed yet); a vendor
// sending any other value wins as usual (the source fixed its data).
//
// Who may correct what: the caller's units (unit_policy.h, the places of the record before and
// after the change) and, for a console account limited to school levels, the levels of the
// record's schools. Fields that identify a record (natural keys, personal IDs and the fields of
// their check, references to other records) are not corrected here: a wrong identity is a merge,
// an unmerge or a review decision. Every call bounds its inputs (reason, value size).
// Thread-safe (each call runs in its own transaction).

#include <rapidjson/document.h>
#include <pqxx/pqxx>

#include <map>
#include <string>
#include <vector>

#include "hub/common/result.h"
#include "hub/mapping/mapping_registry.h"
#include "hub/store/pg_pool.h"

namespace hub {

inline constexpr std::size_t kCorrectionReasonMax = 500;  // characters (UTF-8 bytes: 4x)

struct CorrectionRequest {
  std::string entity, record_id, field;
  const rapidjson::Value* value = nullptr;  // the new value; null (or JSON null): clear the field
  std::string reason;                       // required, at most kCorrectionReasonMax code points
  std::string actor;                        // "user:<login>" or the partner's name
  std::string source;                       // the client's address, for the audit row
  std::vector<std::string> units;           // the caller's units; empty: every unit
  std::vector<std::string> levels;          // a console account's school levels; empty: every level
};

struct CorrectionDone {
  std::string record_id;
  int version = 0;
  long long correction_id = 0;
};

// Errors (code, English message, path): record.unknown_entity, record.not_found,
// correction.record_merged, correction.field_unknown ($.field), correction.field_not_correctable
// ($.field), correction.reason ($.reason), correction.unchanged ($.value), the schema's codes
// for a bad value (schema.type, schema.code_unknown ... with path $.value), auth.unit,
// correction.level_forbidden.
Result<CorrectionDone> correct_value(PgPool& pg, const mapping::Snapshot& snap, const CorrectionRequest& req);

// The latest correction of each field of one record, for the write path's survivorship.
class RecordCorrections {
 public:
  // True when a vendor's `incoming` value for `field` must not replace what the record holds
  // (`stored`, null when the field is absent): it still holds the person's value and `incoming`
  // is the value the person replaced.
  bool keeps(const std::string& field, const rapidjson::Value* stored, const rapidjson::Value& incoming) const;

 private:
  friend std::map<std::string, RecordCorrections> latest_corrections(pqxx::work& tx, const std::string& ids_json);
  struct Latest {
    rapidjson::Document value, replaced;  // JSON null when absent
  };
  std::map<std::string, Latest, std::less<>> fields_;
};

// The latest corrections of the records `ids_json` (a JSON array of record ids) that have any,
// by record id: one statement, in the caller's transaction.
std::map<std::string, RecordCorrections> latest_corrections(pqxx::work& tx, const std::string& ids_json);

}  // namespace hub
