#include "hub/inbox/outcomes.h"

#include "hub/common/json.h"
#include "hub/mapping/mapping.h"
#include "hub/store/copy_rows.h"
#include "hub/store/partitions.h"

namespace hub::inbox {

void write_outcomes(pqxx::work& tx, long long batch_id, const std::string& mapping_version,
                    const std::vector<RecordOutcome>& outcomes) {
  CopyRows<8> rows("batch_record", {"batch_id", "index", "source_id", "status", "entities", "errors", "mapping_version",
                                    "batch_received_at"});
  const std::string batch_text = std::to_string(batch_id);
  const std::string received_at = batch_received_at(tx, batch_id);
  for (const auto& out : outcomes) {
    json::JsonWriter ents, errs;
    write_entities(ents, out.entities);
    errs.begin_array();
    for (const auto& i : out.errors) mapping::write_issue(errs, i);
    errs.end_array();
    rows.add({batch_text, std::to_string(out.index), out.source_id, out.status, ents.str(), errs.str(), mapping_version,
              received_at});
  }
  rows.write(tx);
}

}  // namespace hub::inbox
