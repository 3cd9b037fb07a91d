#include "hub/ingest/units_recode.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/store/audit_log.h"
#include "hub/store/change_log.h"
#include "hub/store/golden_rows.h"

namespace hub {
namespace {

constexpr long long kAdvisoryLock = 0x556e697473526563;  // "UnitsRec"
constexpr const char* kCrosswalk = "admin_crosswalk";

Error error(const std::string& code, const std::string& message, const std::string& path = "") {
  return make_error(code, message, path);
}

// Pre-reform commune codes that name no current commune, as a JSON array.
std::string old_codes_json(const catalog::CatalogSet& catalogs) {
  const catalog::Catalog* xw = catalogs.find(kCrosswalk);
  const catalog::Catalog* communes = catalogs.find("commune");
  std::set<std::string> codes;
  if (!xw || !communes) return "[]";
  for (const auto& e : xw->entries()) {
    bool current = false;
    for (const auto* c : communes->find_all_by_code(e.code)) current = current || !c->valid_to;
    if (!current) codes.insert(e.code);
  }
  json::JsonWriter w;
  w.begin_array();
  for (const auto& c : codes) w.value(c);
  w.end_array();
  return w.str();
}

std::vector<UnitsRecodeItem> compute(pqxx::work& tx, const mapping::Snapshot& snap) {
  std::vector<UnitsRecodeItem> items;
  const std::string old_codes = old_codes_json(*snap.catalogs);
  for (const auto* s : snap.schemas->list())
    for (const auto& f : s->fields) {
      if (f.type != schema::FieldType::kCode || f.catalog != "commune") continue;
      for (const auto& r : tx.exec_params(
               "select id::text, version, data->>$2 from golden_record where entity = $1 and merged_into is null"
               " and data->>$2 in (select jsonb_array_elements_text($3::jsonb)) order by id",
               s->name, f.name, old_codes)) {
        UnitsRecodeItem it{r[0].c_str(), s->name, f.name, r[1].as<int>(), r[2].c_str(), "", {}, 0};
        auto cw = snap.catalogs->crosswalk_commune(it.old_code);
        if (!cw) continue;  // old_codes come from the crosswalk: not reached
        if (cw->kind == catalog::CrosswalkResult::Kind::kPartial) it.candidates = cw->new_codes;
        else it.new_code = cw->new_codes.front();
        items.push_back(std::move(it));
      }
    }
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    return std::tie(a.record_id, a.field) < std::tie(b.record_id, b.field);
  });
  return items;
}

std::string fingerprint(const std::vector<UnitsRecodeItem>& items) {
  std::string text;
  for (const auto& it : items) {
    text += it.record_id + "|" + it.field + "|" + std::to_string(it.record_version) + "|" + it.old_code + "|" + it.new_code;
    for (const auto& c : it.candidates) text += "," + c;
    text += "\n";
  }
  return crypto::to_hex(crypto::sha256(text));
}

// Writes `code` into the record's field as a new version, the field's lineage keeping its source
// and gaining `why`. review.stale when the field no longer holds `old_code`.
Result<int> write_recode(pqxx::work& tx, ChangeLog& changes, const std::string& record_id, const std::string& field,
                         const std::string& old_code, const std::string& code, const std::string& why) {
  auto row = tx.exec_params(
      "select entity, coalesce(data->>$2, ''), coalesce(merged_into::text, '') from golden_record where id = $1::uuid"
      " for update",
      record_id, field);
  if (row.empty() || std::string(row[0][1].c_str()) != old_code || !std::string(row[0][2].c_str()).empty())
    return error("review.stale", "record " + record_id + " no longer holds commune " + old_code + " in " + field +
                                     "; nothing was changed");
  const int version = golden::recode_field(tx, record_id, field, code, why);
  golden::keep_version(tx, record_id);
  changes.add(row[0][0].c_str(), record_id, "update", version);
  return version;
}

}  // namespace

UnitsRecodePlan UnitsRecode::plan(const std::string& actor, const std::string& host) {
  return pg_.with_transaction([&](pqxx::work& tx) {
    UnitsRecodePlan p;
    p.status = "planned";
    p.items = compute(tx, snapshot_);
    for (const auto& it : p.items) (it.new_code.empty() ? p.splits : p.recodes)++;
    p.fingerprint = fingerprint(p.items);
    p.id = tx.exec_params1(
                 "insert into units_recode_plan(fingerprint, recodes, splits, created_by) values ($1, $2, $3, $4)"
                 " returning id",
                 p.fingerprint, p.recodes, p.splits, actor)[0]
               .as<long long>();
    for (std::size_t start = 0; start < p.items.size(); start += 5000) {
      json::JsonWriter w;
      w.begin_array();
      for (std::size_t i = start; i < std::min(p.items.size(), start + 5000); ++i) {
        const auto& it = p.items[i];
        w.begin_object().kv("r", it.record_id).kv("e", it.entity).kv("f", it.field).kv("v", it.record_version)
            .kv("o", it.old_code).key("n");
        if (it.new_code.empty()) w.null(); else w.value(it.new_code);
        w.key("c").strings(it.candidates).end_object();
      }
      w.end_array();
      tx.exec_params(
          "insert into units_recode_item(plan_id, record_id, entity, field, record_version, old_code, new_code, candidates)"
          " select $2, r.r, r.e, r.f, r.v, r.o, r.n, r.c"
          " from jsonb_to_recordset($1::jsonb) as r(r uuid, e text, f text, v int, o text, n text, c jsonb)",
          w.str(), p.id);
    }
    json::JsonWriter detail;
    detail.begin_object().kv("plan", p.id).kv("recodes", p.recodes).kv("splits", p.splits).end_object();
    AuditLog::record(tx, actor, "units.recode_plan", "units_recode_plan/" + std::to_string(p.id), host, detail.str());
    return p;
  });
}

std::optional<UnitsRecodePlan> UnitsRecode::load(long long plan_id) {
  return pg_.with_transaction([&](pqxx::work& tx) -> std::optional<UnitsRecodePlan> {
    auto rows = tx.exec_params("select status, fingerprint from units_recode_plan where id = $1", plan_id);
    if (rows.empty()) return std::nullopt;
    UnitsRecodePlan p;
    p.id = plan_id;
    p.status = rows[0][0].c_str();
    p.fingerprint = rows[0][1].c_str();
    for (const auto& r : tx.exec_params(
             "select record_id::text, entity, field, record_version, old_code, coalesce(new_code, ''), candidates::text,"
             " coalesce(review_item, 0) from units_recode_item where plan_id = $1 order by record_id, field",
             plan_id)) {
      UnitsRecodeItem it{r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].as<int>(), r[4].c_str(), r[5].c_str(),
                         json::parse_string_array(r[6].c_str()), r[7].as<long long>()};
      (it.new_code.empty() ? p.splits : p.recodes)++;
      p.items.push_back(std::move(it));
    }
    return p;
  });
}

Result<UnitsRecodeApplied> UnitsRecode::apply(long long plan_id, const std::string& actor, const std::string& host) {
  return pg_.with_transaction([&](pqxx::work& tx) -> Result<UnitsRecodeApplied> {
    tx.exec_params("select pg_advisory_xact_lock($1)", kAdvisoryLock);
    auto rows = tx.exec_params("select status, fingerprint from units_recode_plan where id = $1 for update", plan_id);
    if (rows.empty()) return error("units.unknown_plan", "there is no units recode plan " + std::to_string(plan_id));
    UnitsRecodeApplied out;
    out.plan_id = plan_id;
    if (std::string(rows[0][0].c_str()) == "applied") {
      out.already_applied = true;
      return out;
    }
    // Lock the records of the plan before deciding again, so what is decided is what is written.
    tx.exec_params(
        "select id from golden_record where id in (select record_id from units_recode_item where plan_id = $1)"
        " order by id for update",
        plan_id);
    auto items = compute(tx, snapshot_);
    if (fingerprint(items) != rows[0][1].c_str())
      return error("units.stale_plan", "the stored commune codes changed since plan " + std::to_string(plan_id) +
                                           " was made; make a new plan and review it");
    ChangeLog changes;
    json::JsonWriter reviews;
    reviews.begin_array();
    for (const auto& it : items) {
      if (!it.new_code.empty()) {
        json::JsonWriter why;
        why.begin_object().kv("recoded_from", it.old_code).kv("crosswalk", kCrosswalk).kv("units_recode_plan", plan_id)
            .kv("applied_by", actor).end_object();
        auto v = write_recode(tx, changes, it.record_id, it.field, it.old_code, it.new_code, why.str());
        if (!v) return v.error();  // the records are locked: not reached
        ++out.recoded;
        continue;
      }
      // A split: one open review item per record and field, whichever plan found it first.
      auto open = tx.exec_params(
          "select id from review_item where kind = 'unit_recode' and status = 'open' and record_id = $1::uuid"
          " and proposal->>'field' = $2",
          it.record_id, it.field);
      long long review = 0;
      if (!open.empty()) {
        review = open[0][0].as<long long>();
      } else {
        std::string list;
        for (const auto& c : it.candidates) list += (list.empty() ? "" : ", ") + c;
        json::JsonWriter reason, proposal;
        reason.begin_array().begin_object().kv("code", "catalog.crosswalk_partial").kv("entity", it.entity)
            .kv("field", it.field).kv("value", it.old_code)
            .kv("message", "old commune " + it.old_code + " was split on 2025-07-01 into " + list +
                               ": decide with the new commune's code")
            .key("candidates").strings(it.candidates).end_object().end_array();
        proposal.begin_object().kv("field", it.field).kv("old_code", it.old_code).key("candidates").strings(it.candidates)
            .kv("units_recode_plan", plan_id).end_object();
        review = tx.exec_params1(
                       "insert into review_item(kind, entity, record_id, reasons, proposal)"
                       " values ('unit_recode', $1, $2::uuid, $3::jsonb, $4::jsonb) returning id",
                       it.entity, it.record_id, reason.str(), proposal.str())[0]
                     .as<long long>();
      }
      reviews.begin_object().kv("r", it.record_id).kv("f", it.field).kv("i", review).end_object();
      ++out.reviews;
    }
    reviews.end_array();
    tx.exec_params(
        "update units_recode_item i set review_item = q.i from jsonb_to_recordset($1::jsonb) as q(r uuid, f text, i bigint)"
        " where i.plan_id = $2 and i.record_id = q.r and i.field = q.f",
        reviews.str(), plan_id);
    tx.exec_params("update units_recode_plan set status = 'applied', applied_by = $2, applied_at = now() where id = $1",
                   plan_id, actor);
    json::JsonWriter detail;
    detail.begin_object().kv("plan", plan_id).kv("recoded", out.recoded).kv("reviews", out.reviews).end_object();
    AuditLog::record(tx, actor, "units.recode_apply", "units_recode_plan/" + std::to_string(plan_id), host, detail.str());
    changes.write(tx);  // last: its trigger holds the change-log lock until commit
    return out;
  });
}

Result<std::string> decide_unit_recode(pqxx::work& tx, long long review_id, const std::string& commune,
                                       const std::string& actor) {
  auto row = tx.exec_params(
      "select record_id::text, proposal->>'field', proposal->>'old_code', (proposal->'candidates')::text,"
      " coalesce(proposal->>'units_recode_plan', '') from review_item where id = $1",
      review_id);
  if (row.empty() || row[0][1].is_null())
    return error("review.not_a_commune_item", "review item " + std::to_string(review_id) + " names no recode");
  const std::string record = row[0][0].c_str(), field = row[0][1].c_str(), old_code = row[0][2].c_str();
  auto candidates = json::parse_string_array(row[0][3].c_str());
  if (std::find(candidates.begin(), candidates.end(), commune) == candidates.end()) {
    std::string list;
    for (const auto& c : candidates) list += (list.empty() ? "" : ", ") + c;
    return error("review.commune_not_allowed", "commune '" + commune + "' is not one of the new communes of old commune " +
                                                   old_code + "; choose one of: " + list,
                 "commune");
  }
  json::JsonWriter why;
  why.begin_object().kv("recoded_from", old_code).kv("crosswalk", kCrosswalk);
  if (!std::string(row[0][4].c_str()).empty()) why.kv("units_recode_plan", std::stoll(row[0][4].c_str()));
  why.kv("decided_by", actor).kv("review_item", review_id).end_object();
  ChangeLog changes;
  auto version = write_recode(tx, changes, record, field, old_code, commune, why.str());
  if (!version) return version.error();
  tx.exec_params(
      "update review_item set status = 'resolved', decision = 'commune', decided_by = $2, decided_at = now() where id = $1",
      review_id, actor);
  json::JsonWriter out;
  out.begin_object().kv("id", review_id).kv("decision", "commune").kv("commune", commune).kv("record", record)
      .kv("field", field).kv("version", version.value()).end_object();
  AuditLog::record(tx, actor, "review.decide", "review_item/" + std::to_string(review_id), "", out.str());
  changes.write(tx);
  return out.str();
}

}  // namespace hub
