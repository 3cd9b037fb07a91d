#include "hub/ingest/dry_run.h"

#include <algorithm>

#include "hub/common/json.h"
#include "hub/common/scopes.h"
#include "hub/ingest/school_lifecycle.h"
#include "hub/store/reference_lookup.h"

namespace hub {
namespace {

// A record the push would store is `valid` here: whether it ends accepted, merged or unchanged
// depends on matching, which the dry run does not run. A record naming a record the hub does not
// hold yet is `pending` with `waiting_for`, as a push parks it.
const char* dry_run_status(mapping::RecordStatus s) {
  switch (s) {
    case mapping::RecordStatus::kMapped: return "valid";
    case mapping::RecordStatus::kReview: return "review";
    case mapping::RecordStatus::kRejected: return "rejected";
    case mapping::RecordStatus::kPending: return "pending";
  }
  return "rejected";
}

std::string answer_json(const IngestCaller& caller, const std::string& feed, const mapping::Mapping& m,
                        const std::vector<mapping::RecordResult>& results) {
  std::size_t counts[4] = {0, 0, 0, 0};
  for (const auto& r : results) ++counts[static_cast<int>(r.status)];
  json::JsonWriter w;
  w.begin_object().kv("dry_run", true).kv("partner", caller.partner_name).kv("feed", feed)
      .kv("mapping_version", m.version()).kv("record_count", static_cast<long long>(results.size()))
      .key("counts").begin_object();
  for (auto s : {mapping::RecordStatus::kMapped, mapping::RecordStatus::kReview, mapping::RecordStatus::kPending,
                 mapping::RecordStatus::kRejected})
    if (counts[static_cast<int>(s)] > 0) w.kv(dry_run_status(s), static_cast<long long>(counts[static_cast<int>(s)]));
  w.end_object().key("results").begin_array();
  for (const auto& r : results) {
    w.begin_object().kv("index", static_cast<long long>(r.index)).kv("source_id", r.source_id).kv("path", r.path)
        .kv("status", dry_run_status(r.status)).key("entities").begin_object();
    // The canonical records the vendor record makes, counted by entity (a push names their ids).
    if (r.status != mapping::RecordStatus::kRejected) {
      std::vector<std::pair<std::string, long long>> per_entity;
      for (const auto& rec : r.records) {
        auto it = std::find_if(per_entity.begin(), per_entity.end(), [&](const auto& e) { return e.first == rec.entity; });
        if (it == per_entity.end()) per_entity.emplace_back(rec.entity, 1);
        else ++it->second;
      }
      for (const auto& [entity, n] : per_entity) w.kv(entity, n);
    }
    w.end_object().key("errors").begin_array();
    for (const auto& i : r.issues) mapping::write_issue(w, i);
    w.end_array();
    if (r.status == mapping::RecordStatus::kPending) mapping::write_waiting_for(w, r.waiting_for);
    w.kv("mapping_version", m.version()).end_object();
  }
  w.end_array().end_object();
  return w.str();
}

}  // namespace

namespace {

std::vector<mapping::RecordResult> map_and_check_range(pqxx::transaction_base& tx, const mapping::Mapping& m,
                                                       const mapping::Snapshot& snapshot, const Payload& payload,
                                                       std::size_t first, std::size_t last, const UnitScope* scope) {
  std::vector<mapping::RecordResult> results;
  results.reserve(last - first);
  for (std::size_t i = first; i < last; ++i) results.push_back(map_payload_record(m, payload.records[i], i));
  auto value_path = [&](std::size_t v, const mapping::MappedRecord& rec, const std::string& field) {
    const Payload::Record& pr = payload.records[results[v].index];
    return pr.value ? m.value_path(*pr.root, *pr.value, pr.path, rec, field) : pr.path;
  };
  // A dry run answers what a push would store: an old school code names its successor.
  redirect_superseded_school_codes(tx, results, *snapshot.schemas);
  check_references(tx, snapshot, results, value_path, scope);
  return results;
}

}  // namespace

std::vector<mapping::RecordResult> map_and_check(pqxx::transaction_base& tx, const mapping::Mapping& m,
                                                 const mapping::Snapshot& snapshot, const Payload& payload,
                                                 const UnitScope* scope) {
  return map_and_check_range(tx, m, snapshot, payload, 0, payload.records.size(), scope);
}

std::vector<mapping::RecordResult> map_and_check(pqxx::transaction_base& tx, const mapping::Mapping& m,
                                                 const mapping::Snapshot& snapshot, const Payload& payload,
                                                 std::size_t first, std::size_t last) {
  return map_and_check_range(tx, m, snapshot, payload, first, std::min(last, payload.records.size()), nullptr);
}

IngestReply dry_run(PgPool& pg, mapping::MappingRegistry& mappings, const Config& config, const IngestCaller& caller,
                    const std::string& feed, const std::string& body, const std::string& content_type) {
  auto refuse = [](std::string code, std::string message, std::string path = {}) {
    IngestReply r;
    r.refusal = Refusal{make_error(std::move(code), std::move(message), std::move(path)), false, {}};
    return r;
  };
  auto snapshot = mappings.current();  // this request finishes with this version
  auto m = snapshot->find(caller.partner_name, feed);
  if (!m)
    return refuse("ingest.unknown_feed",
         "partner '" + caller.partner_name + "' has no feed '" + feed + "' (no mapping file mappings/partners/" +
             caller.partner_name + "/" + feed + ".yaml is loaded)",
         "feed");
  for (const auto& entity : m->entities())
    if (!has_scope(caller.scopes, "ingest:" + entity))
      return refuse("auth.scope",
           "feed '" + feed + "' writes " + entity + " records; partner '" + caller.partner_name +
               "' lacks the scope 'ingest:" + entity + "'");
  if (body.empty()) return refuse("request.empty_body", "the body is empty; send the vendor document");

  Payload payload;
  if (auto parsed = parse_payload(body, content_type, *m, config.json.max_depth, payload); !parsed) {
    IngestReply r;
    r.refusal = Refusal{parsed.error(), true, {}};
    return r;
  }
  if (payload.records.empty())
    return refuse("ingest.no_records", no_records_message(*m, content_type), "$");
  const auto limit = static_cast<std::size_t>(std::min(config.ingest.max_records, config.ingest.dry_run_max_records));
  if (payload.records.size() > limit)
    return refuse("ingest.too_many_records",
         "the payload holds " + std::to_string(payload.records.size()) + " records; a dry run takes at most " +
             std::to_string(limit) + " (ingest.dry_run_max_records, ingest.max_records): try a part of it",
         "$");

  const UnitScope scope{caller.partner_name, caller.units};
  auto results = pg.with_transaction([&](pqxx::work& tx) {
    tx.exec("set transaction read only");
    return map_and_check(tx, *m, *snapshot, payload, &scope);
  });
  IngestReply reply;
  reply.body = answer_json(caller, feed, *m, results);
  return reply;
}

}  // namespace hub
