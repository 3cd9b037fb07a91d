#pragma once
// What the write path answers for one vendor record (its batch_record row): the status, the
// records it became, its issues and, when it waits, the references it waits for. Shared by the
// write pipeline (hub/ingest), the pending records (hub/inbox/pending_store.h) and the tools.
// Plain values.

#include <string>
#include <utility>
#include <vector>

#include "hub/common/json.h"
#include "hub/model/record.h"

namespace hub {

// A reference to a record the hub does not know yet (no record holds that natural key).
struct WaitingRef {
  std::string entity;                  // the referenced entity, e.g. school
  std::string key;                     // the natural key reported, e.g. school_code
  std::vector<std::string> key_names;  // every single-field natural key the value may match
  std::string value;                   // as the vendor sent it
  std::string field;                   // entity.field holding the reference, e.g. enrollment.school
  std::string path;                    // normalized path of the vendor record
};

struct RecordOutcome {
  std::size_t index = 0;
  std::string source_id;
  std::string status;  // accepted | merged | review | rejected | unchanged | pending
  std::vector<std::pair<std::string, std::string>> entities;  // entity -> record id
  std::vector<model::FieldIssue> errors;
  std::vector<WaitingRef> waiting_for;  // pending: what the record waits for (pending_store.h)
};

// Writes {"student": "id", "subject_result": ["id", "id"]} for an outcome's entities.
void write_entities(json::JsonWriter& w, const std::vector<std::pair<std::string, std::string>>& entities);

}  // namespace hub
