#include "hub/inbox/batch_records.h"

#include "hub/common/json.h"
#include "hub/common/masking.h"
#include "hub/inbox/payload.h"

namespace hub {

Result<VendorRecord> vendor_record(PgPool& pg, const mapping::Snapshot& snap, long long batch_id, long long partner_id,
                                   int index, int max_depth) {
  struct Stored {
    std::string partner, feed, content_type, body;
    bool purged = false;
  };
  auto stored = pg.with_transaction([&](pqxx::work& tx) -> std::optional<Stored> {
    auto r = tx.exec_params(
        "select p.name, b.feed, coalesce(b.content_type, ''), b.body, b.body_purged_at is not null"
        " from inbox_batch b join partner p on p.id = b.partner_id where b.id = $1 and ($2 < 0 or b.partner_id = $2)",
        batch_id, partner_id);
    if (r.empty()) return std::nullopt;
    return Stored{r[0][0].c_str(), r[0][1].c_str(), r[0][2].c_str(),
                  r[0][3].is_null() ? "" : pqxx::binarystring(r[0][3]).str(), r[0][4].as<bool>()};
  });
  if (!stored) return make_error("batch.not_found", "no batch " + std::to_string(batch_id));
  if (stored->purged || stored->body.empty())
    return make_error("batch.payload_purged", "the payload of batch " + std::to_string(batch_id) +
                                                  " was emptied by retention: the vendor's original is gone");
  auto m = snap.find(stored->partner, stored->feed);
  if (!m) return make_error("ingest.unknown_feed", "the mapping of feed '" + stored->feed + "' is no longer loaded");
  Payload payload;
  if (auto parsed = parse_payload(stored->body, stored->content_type, *m, max_depth, payload); !parsed) return parsed.error();
  if (index < 0 || static_cast<std::size_t>(index) >= payload.records.size())
    return make_error("batch.record_not_found", "batch " + std::to_string(batch_id) + " has no record " + std::to_string(index));
  const auto& rec = payload.records[index];
  VendorRecord out;
  out.index = index;
  out.path = rec.path;
  out.record = rec.value ? mask_personal_ids_in_text(json::to_string(*rec.value)) : "null";
  out.mapping = m->version();
  return out;
}

}  // namespace hub
