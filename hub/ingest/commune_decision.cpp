#include "hub/ingest/commune_decision.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "hub/common/json.h"
#include "hub/ingest/golden_store.h"
#include "hub/inbox/payload.h"
#include "hub/ingest/units_recode.h"
#include "hub/store/audit_log.h"
#include "hub/store/golden_rows.h"
#include "hub/inbox/pending_store.h"

namespace hub {
namespace {

constexpr const char* kSplitCode = "catalog.crosswalk_partial";
constexpr int kAttempts = 5;

std::string describe_commune(const catalog::CatalogSet& catalogs, const std::string& code) {
  const catalog::Catalog* communes = catalogs.find("commune");
  if (!communes) return code;
  catalog::LookupOptions o;
  o.by = catalog::LookupBy::kCode;
  o.as_of = Date::today();
  auto e = communes->lookup(code, o);
  return e ? code + " (" + e.value()->name + ")" : code;
}

std::string trimmed(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

Status choose_commune(model::RecordResult& result, const catalog::CatalogSet& catalogs, const std::string& commune) {
  std::string old_code;
  bool any = false;
  for (const auto& i : result.issues) {
    if (i.code != kSplitCode) continue;
    std::string code = trimmed(i.value);
    if (any && code != old_code)
      return make_error("review.not_a_commune_item",
                        "the record names several split communes (" + old_code + ", " + code +
                            "); one commune code cannot decide them: the partner must send the current codes",
                        "commune");
    old_code = code;
    any = true;
  }
  if (!any)
    return make_error("review.not_a_commune_item",
                      "the record no longer names a split commune when mapped again; nothing to decide with a commune",
                      "commune");
  auto cw = catalogs.crosswalk_commune(old_code);
  if (!cw || cw->kind != catalog::CrosswalkResult::Kind::kPartial)
    return make_error("review.not_a_commune_item", "old commune " + old_code + " is not a split commune in the crosswalk",
                      "commune");
  if (std::find(cw->new_codes.begin(), cw->new_codes.end(), commune) == cw->new_codes.end()) {
    std::string allowed;
    for (const auto& c : cw->new_codes) allowed += (allowed.empty() ? "" : ", ") + describe_commune(catalogs, c);
    return make_error("review.commune_not_allowed", "commune '" + commune + "' is not one of the new communes of old commune " +
                                                        old_code + "; choose one of: " + allowed,
                      "commune");
  }
  // The mapping left the field out where the split commune was; the chosen code goes there.
  for (const auto& i : result.issues) {
    if (i.code != kSplitCode) continue;
    for (auto& rec : result.records) {
      if (rec.entity != i.entity || rec.fields.HasMember(i.field.c_str())) continue;
      auto& a = rec.fields.GetAllocator();
      rec.fields.AddMember(rapidjson::Value(i.field.c_str(), a), rapidjson::Value(commune.c_str(), a), a);
      break;
    }
  }
  result.issues.erase(std::remove_if(result.issues.begin(), result.issues.end(),
                                     [](const model::FieldIssue& i) { return i.code == kSplitCode; }),
                      result.issues.end());
  bool rejected = false, review = false;
  for (const auto& i : result.issues) (i.review ? review : rejected) = true;
  result.status = rejected ? model::RecordStatus::kRejected
                  : review ? model::RecordStatus::kReview
                           : model::RecordStatus::kMapped;
  return Status();
}

Result<std::string> CommuneDecision::decide(long long review_id, const std::string& commune, const std::string& actor) {
  if (commune.empty() || commune.size() > 10 || commune.find_first_not_of("0123456789") != std::string::npos)
    return make_error("review.bad_decision", "'commune' must be a commune code (digits), not '" + commune.substr(0, 20) + "'",
                      "commune");
  auto snapshot = mappings_.current();
  for (int attempt = 1;; ++attempt) {
    // The resolver's locks live until the transaction has committed or rolled back.
    auto scope = resolver_.begin_chunk();
    try {
      return pg_.with_transaction([&](pqxx::work& tx) -> Result<std::string> {
        auto item = tx.exec_params(
            "select kind, status, coalesce(batch_id, 0), coalesce(index, -1) from review_item where id = $1 for update",
            review_id);
        if (item.empty()) return make_error("review.not_found", "no review item " + std::to_string(review_id));
        const std::string kind = item[0][0].c_str();
        if (kind != "mapping" && kind != "unit_recode")
          return make_error("review.bad_decision", "review item " + std::to_string(review_id) + " is a " + kind +
                                                       " review; a commune decides split communes only",
                            "decision");
        if (std::string(item[0][1].c_str()) != "open")
          return make_error("review.decided", "review item " + std::to_string(review_id) + " is already resolved");
        // A stored value a recode plan found split (units_recode.h): no vendor record to re-run.
        if (kind == "unit_recode") return decide_unit_recode(tx, review_id, commune, actor);
        const long long batch_id = item[0][2].as<long long>();
        const int index = item[0][3].as<int>();
        auto b = tx.exec_params(
            "select b.partner_id, p.name, p.units::text, b.feed, b.content_type, b.body, b.body_purged_at is not null"
            " from inbox_batch b join partner p on p.id = b.partner_id where b.id = $1",
            batch_id);
        if (b.empty() || index < 0)
          return make_error("review.not_a_commune_item", "review item " + std::to_string(review_id) + " names no vendor record");
        if (b[0][6].as<bool>())
          return make_error("review.payload_purged",
                            "the raw payload of batch " + std::to_string(batch_id) +
                                " was emptied by retention, so the record cannot be written again; the partner must send it again"
                                " (with the current commune code)");
        const std::string partner = b[0][1].c_str(), feed = b[0][3].c_str();
        auto m = snapshot->find(partner, feed);
        if (!m) return make_error("ingest.unknown_feed", "the mapping of feed '" + feed + "' is no longer loaded");
        const std::string body = pqxx::binarystring(b[0][5]).str();
        Payload payload;
        if (auto parsed = parse_payload(body, b[0][4].c_str(), *m, config_.json.max_depth, payload); !parsed)
          return parsed.error();
        if (static_cast<std::size_t>(index) >= payload.records.size())
          return make_error("review.not_a_commune_item", "batch " + std::to_string(batch_id) + " has no record " +
                                                             std::to_string(index) + " with the mapping loaded now");
        auto result = map_payload_record(*m, payload.records[index], static_cast<std::size_t>(index));
        if (auto chosen = choose_commune(result, *snapshot->catalogs, commune); !chosen) return chosen.error();

        // The record's outcome is written again, as a pending record's is when it is released.
        tx.exec_params("delete from batch_record where batch_id = $1 and index = $2", batch_id, index);
        ChunkContext ctx{b[0][0].as<long long>(), partner, json::parse_string_array(b[0][2].c_str()), batch_id,
                         m->version(), snapshot.get(), scope.get(), config_.ingest.pending_ttl_days};
        std::vector<mapping::RecordResult> one;
        one.push_back(std::move(result));
        auto outcome = GoldenStore(resolver_).apply(tx, ctx, one).front();
        pending::refresh_counts(tx, batch_id);

        // Who chose the commune, in the lineage of the fields that hold it.
        json::JsonWriter why;
        why.begin_object().kv("decided_by", actor).kv("review_item", review_id).end_object();
        for (const auto& [entity, id] : outcome.entities)
          golden::annotate_lineage(tx, id, "%commune%", commune, batch_id, why.str());

        tx.exec_params(
            "update review_item set status = 'resolved', decision = 'commune', decided_by = $2, decided_at = now()"
            " where id = $1",
            review_id, actor);
        json::JsonWriter out;
        out.begin_object().kv("id", review_id).kv("decision", "commune").kv("commune", commune)
            .kv("batch_id", batch_id).kv("index", static_cast<long long>(index)).kv("status", outcome.status)
            .key("entities");
        write_entities(out, outcome.entities);
        out.end_object();
        AuditLog::record(tx, actor, "review.decide", "review_item/" + std::to_string(review_id), "", out.str());
        return out.str();
      });
    } catch (const ChunkConflict&) {
      if (attempt >= kAttempts) throw;
    } catch (const resolve::ResolveRetry&) {
      if (attempt >= kAttempts) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
  }
}

}  // namespace hub
