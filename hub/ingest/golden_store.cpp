#include "hub/ingest/golden_store.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/common/scopes.h"
#include "hub/inbox/outcomes.h"
#include "hub/inbox/pending_store.h"
#include "hub/ingest/school_lifecycle.h"
#include "hub/mapping/messages.h"
#include "hub/mapping/validators.h"
#include "hub/model/lineage.h"
#include "hub/resolve/survivorship.h"
#include "hub/store/change_log.h"
#include "hub/store/corrections.h"
#include "hub/store/golden_bulk.h"
#include "hub/store/reference_lookup.h"
#include "hub/store/unit_policy.h"

namespace hub {
namespace {

using mapping::FieldIssue;
using mapping::MappedRecord;
using mapping::RecordResult;
using mapping::RecordStatus;

// One canonical record of the chunk on its way to the store.
struct Item {
  std::size_t vendor;  // position in `results`
  MappedRecord* rec;
  const schema::EntitySchema* schema;
  int wave = 0;  // order of its `as` name: references only point to earlier waves
  std::string id;
  std::string hash;  // hex SHA-256 of entity + canonical JSON
  std::vector<std::pair<std::string, std::string>> keys;
  resolve::Resolution resolution;
  resolve::Candidate candidate;  // as given to the resolver (for remember)
  bool unchanged = false;
  bool merged = false;  // matched another source's record
};

struct VendorState {
  bool failed = false;
  std::vector<FieldIssue> issues;
  std::map<std::string, std::string> local_ids;  // `as` name -> record id
  std::vector<UnitPath> places;
  std::vector<WaitingRef> waiting;  // natural-key references to records not known yet
};

FieldIssue make_issue(const std::string& code, const std::string& entity, const std::string& field,
                      const std::string& message) {
  return FieldIssue{code, entity, field, "", "", message, mapping::vietnamese_message(code), false};
}

std::string value_text(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsNumber()) return json::to_string(v);
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  return "";
}

// Natural keys the record carries, e.g. ("personal_id", "031...") or
// ("student+school+school_year", "<id>|<id>|2025-2026").
std::vector<std::pair<std::string, std::string>> natural_keys(const Item& it) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto& f = it.rec->fields;
  for (const auto& key : it.schema->natural_keys) {
    std::string name, value;
    bool complete = true;
    for (const auto& field : key) {
      if (!f.HasMember(field.c_str()) || f[field.c_str()].IsNull()) {
        complete = false;
        break;
      }
      std::string v = value_text(f[field.c_str()]);
      if (v.empty()) {
        complete = false;
        break;
      }
      name += (name.empty() ? "" : "+") + field;
      value += (value.empty() ? "" : "|") + v;
    }
    if (complete) out.emplace_back(name, value);
  }
  return out;
}

std::string content_hash(const Item& it) {
  return crypto::to_hex(crypto::sha256(it.rec->entity + "\n" + json::to_string(it.rec->fields)));
}

std::optional<std::string> date_field(const rapidjson::Value& data, const char* name) {
  if (data.HasMember(name) && data[name].IsString()) return std::string(data[name].GetString());
  return std::nullopt;
}

// A stored record as the chunk found it, locked for update.
struct Current {
  int version;
  rapidjson::Document data;
  rapidjson::Document lineage;                // per field (hub/model/lineage.h)
  std::map<std::string, std::string> holder;  // field -> partner that supplied its value
  RecordCorrections corrected;                 // values a person corrected (corrections.h)
};

// Natural-key references (a school code) of every vendor record that has canonical records,
// rejected ones included, so a rejection lists an unknown reference along with its other faults.
std::set<std::pair<std::string, std::string>> referenced_keys(const std::vector<RecordResult>& results,
                                                              const schema::SchemaSet& schemas) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& r : results)
    for (const auto& rec : r.records)
      if (const auto* s = schemas.find(rec.entity))
        for (const auto& fs : s->fields) {
          auto m = rec.fields.FindMember(fs.name.c_str());
          if (fs.type == schema::FieldType::kRef && m != rec.fields.MemberEnd() && m->value.IsString())
            out.insert({fs.ref_entity, m->value.GetString()});
        }
  return out;
}

FieldIssue unknown_reference_issue(const WaitingRef& ref, const std::string& path) {
  auto dot = ref.field.find('.');
  const std::string value = validate::mask_personal_ids_in_text(ref.value);  // a student's personal ID
  FieldIssue i = make_issue("ref.unknown", ref.field.substr(0, dot), ref.field.substr(dot + 1),
                            ref.entity + " '" + value + "' is not known to the hub; it must be sent (or loaded)"
                            " before records that refer to it");
  i.path = path;
  i.value = value;
  return i;
}

// References no record answers to. A mapped vendor record that has some waits for them instead
// of failing: it is marked failed here (nothing of it is resolved or written) and ends pending,
// its fields untouched, so they can be parked and replayed as mapped. A vendor record rejected
// for other faults gets them as ref.unknown issues: it can never succeed, so it is not parked.
template <class Targets>
void park_unknown_references(std::vector<RecordResult>& results, const schema::SchemaSet& schemas,
                             const Targets& targets, std::vector<VendorState>& state) {
  for (std::size_t v = 0; v < results.size(); ++v) {
    auto& r = results[v];
    if (r.status == RecordStatus::kReview) continue;
    for (const auto& rec : r.records) {
      const auto* s = schemas.find(rec.entity);
      if (!s) continue;
      for (const auto& fs : s->fields) {
        auto m = rec.fields.FindMember(fs.name.c_str());
        if (fs.type != schema::FieldType::kRef || m == rec.fields.MemberEnd() || !m->value.IsString()) continue;
        const std::string value = m->value.GetString();
        if (targets.count({fs.ref_entity, value})) continue;
        WaitingRef ref{fs.ref_entity, "", {}, value, rec.entity + "." + fs.name, r.path};
        if (const auto* target = schemas.find(fs.ref_entity))
          for (const auto& key : target->natural_keys)
            if (key.size() == 1) ref.key_names.push_back(key[0]);
        if (ref.key_names.empty()) {  // nothing could ever answer to it: no reason to wait
          state[v].failed = true;
          state[v].issues.push_back(unknown_reference_issue(ref, ""));
          continue;
        }
        ref.key = ref.key_names.front();
        if (r.status == RecordStatus::kMapped) {
          state[v].failed = true;
          auto& w = state[v].waiting;  // the enrollment and each result name one school: once
          if (std::none_of(w.begin(), w.end(),
                           [&](const WaitingRef& o) { return o.entity == ref.entity && o.value == ref.value; }))
            w.push_back(std::move(ref));
        } else {
          r.issues.push_back(unknown_reference_issue(ref, r.path));
        }
      }
    }
    // Another fault besides: it is rejected, and the references it would wait for are listed.
    if (!state[v].issues.empty()) {
      for (const auto& ref : state[v].waiting) state[v].issues.push_back(unknown_reference_issue(ref, ""));
      state[v].waiting.clear();
    }
  }
}

// Unit policy rules 1 and 2 (unit_policy.h): the places each mapped vendor record names.
void check_named_places(const ChunkContext& ctx, const std::vector<RecordResult>& results,
                        std::vector<VendorState>& state) {
  if (ctx.units.empty()) return;
  const UnitScope scope{ctx.partner_name, ctx.units};
  for (std::size_t v = 0; v < results.size(); ++v) {
    auto& vs = state[v];
    if (results[v].status != RecordStatus::kMapped || vs.failed) continue;
    if (auto issue = refuse_named_places(scope, vs.places)) {
      vs.issues.push_back(std::move(*issue));
      vs.failed = true;
    }
  }
}

// Whether an item would change a record stored before this chunk (if the record is stored).
bool changes_stored(const Item& it, const std::vector<VendorState>& state) {
  return !state[it.vendor].failed && !it.unchanged && it.resolution.kind != resolve::Resolution::Kind::kNew;
}

// Unit policy rule 3: every stored record a vendor record would change is inside the partner's
// units. Records created earlier in this chunk are not in `current` and are not stored yet.
void check_stored_places(pqxx::work& tx, const ChunkContext& ctx, const std::vector<Item>& items,
                         const std::map<std::string, Current>& current, std::vector<VendorState>& state) {
  if (ctx.units.empty() || current.empty()) return;
  std::vector<StoredRecord> stored;
  for (const auto& it : items) {
    auto cur = current.find(it.id);
    if (changes_stored(it, state) && cur != current.end()) stored.push_back({it.rec->entity, it.id, &cur->second.data});
  }
  auto places = stored_places(tx, *ctx.snapshot, stored);
  const UnitScope scope{ctx.partner_name, ctx.units};
  for (const auto& it : items) {
    auto& vs = state[it.vendor];
    auto p = places.find(it.id);
    if (!changes_stored(it, state) || p == places.end()) continue;
    if (auto issue = refuse_stored_record(scope, it.rec->entity, p->second)) {
      vs.issues.push_back(std::move(*issue));
      vs.failed = true;
    }
  }
}

// A newer version of a parked source record supersedes it; records waiting for unknown
// references are parked (pending_store.h).
void settle_pending(pqxx::work& tx, const ChunkContext& ctx, const std::vector<RecordResult>& results,
                    const std::vector<RecordOutcome>& out) {
  const pending::ChunkOrigin origin{ctx.partner_id, ctx.batch_id, ctx.mapping_version, ctx.pending_ttl_days};
  pending::supersede(tx, origin, out);
  std::vector<pending::Parked> parked;
  for (std::size_t v = 0; v < out.size(); ++v)
    if (out[v].status == "pending") parked.push_back({&results[v], &out[v].waiting_for});
  pending::park(tx, origin, parked);
}

// A record that would create a new record must carry the fields its schema requires for
// creation (`required: new`, e.g. a student's birth date): the mapping lets a record without
// them through because it may update a record its identifiers point to, which keeps its value.
// A record created by this chunk gets each such field from any of its records (the same child
// twice in one push, once without the birth date); when none has it, every vendor record that
// would create it is rejected with the mapping's own code and message.
void reject_incomplete_new(const std::vector<Item>& items, std::vector<VendorState>& state) {
  std::set<std::string> created;
  for (const auto& it : items)
    if (!state[it.vendor].failed && it.resolution.kind == resolve::Resolution::Kind::kNew) created.insert(it.id);
  if (created.empty()) return;
  auto has = [](const Item& it, const std::string& field) {
    auto m = it.rec->fields.FindMember(field.c_str());
    return m != it.rec->fields.MemberEnd() && !m->value.IsNull() && !(m->value.IsString() && m->value.GetStringLength() == 0);
  };
  std::set<std::pair<std::string, std::string>> supplied;  // (record id, field)
  for (const auto& it : items)
    if (!state[it.vendor].failed && it.schema && created.count(it.id))
      for (std::size_t pos : it.schema->required_for_new)
        if (has(it, it.schema->fields[pos].name)) supplied.insert({it.id, it.schema->fields[pos].name});
  for (const auto& it : items) {
    auto& vs = state[it.vendor];
    if (vs.failed || !it.schema || !created.count(it.id)) continue;
    for (std::size_t pos : it.schema->required_for_new) {
      const auto& name = it.schema->fields[pos].name;
      if (supplied.count({it.id, name})) continue;
      vs.issues.push_back(make_issue("value.required", it.rec->entity, name,
                                     "the field is required but the vendor record has no value for it"));
      vs.failed = true;
    }
  }
}

// A change of a verified personal ID that a vendor record would make: held for a person
// (review item kind id_change), the rest of the record applied as usual.
struct IdChange {
  std::size_t vendor;  // position in `results`
  std::string entity, record_id, field;
  std::string stored, proposed;  // the IDs as stored and as sent
  std::string proposal;          // JSON object: the incoming group, applied if a person accepts it
};

// The survivorship verdicts (survivorship.h) of one incoming canonical record against the
// golden record's current data, per verified-ID group of its entity.
class IdVerdicts {
 public:
  IdVerdicts(const std::vector<resolve::VerifiedId>& ids, const rapidjson::Value& stored,
             const rapidjson::Value& incoming)
      : incoming_(incoming) {
    for (const auto& id : ids) groups_.emplace_back(&id, resolve::verdict(id, stored, incoming));
  }

  // The verdict for one canonical field (kNormal outside every group).
  resolve::IdVerdict of(std::string_view field) const {
    for (const auto& [id, v] : groups_)
      if (resolve::in_group(*id, field)) return v;
    return resolve::IdVerdict::kNormal;
  }

  // Whether a natural key (fields joined by '+') is made of an ID held for review.
  bool held(const std::string& key_name) const {
    for (const auto& [id, v] : groups_) {
      if (v != resolve::IdVerdict::kReview) continue;
      std::size_t start = 0;
      while (start <= key_name.size()) {
        auto end = key_name.find('+', start);
        if (end == std::string::npos) end = key_name.size();
        if (std::string_view(key_name).substr(start, end - start) == id->field) return true;
        start = end + 1;
      }
    }
    return false;
  }

  // Adds the changes held for review to `out`.
  void hold_changes(const Item& it, const rapidjson::Value& stored, std::vector<IdChange>& out) const {
    for (const auto& [id, v] : groups_) {
      if (v != resolve::IdVerdict::kReview) continue;
      json::JsonWriter proposal;
      proposal.begin_object();
      for (auto m = incoming_.MemberBegin(); m != incoming_.MemberEnd(); ++m)
        if (resolve::in_group(*id, std::string_view(m->name.GetString(), m->name.GetStringLength())))
          proposal.key(std::string(m->name.GetString(), m->name.GetStringLength())).value(m->value);
      proposal.end_object();
      out.push_back(IdChange{it.vendor, it.rec->entity, it.id, id->field, value_text(stored[id->field.c_str()]),
                             value_text(incoming_[id->field.c_str()]), proposal.str()});
    }
  }

 private:
  const rapidjson::Value& incoming_;
  std::vector<std::pair<const resolve::VerifiedId*, resolve::IdVerdict>> groups_;
};

FieldIssue verified_change_issue(const IdChange& c, const std::string& path) {
  FieldIssue i = make_issue("personal_id.verified_change", c.entity, c.field,
                            "the stored " + c.field + " was verified against the national population database;"
                            " the new value is kept for a person to decide (review), the rest of the record is applied");
  i.path = path;
  i.value = validate::mask_personal_id(c.proposed);
  i.review = true;
  return i;
}

// One review item (kind id_change) per held change; the same change already open is not
// proposed twice. `reasons` is what review screens show (IDs masked), `proposal` what an
// accepting decision applies.
void write_id_changes(pqxx::work& tx, const ChunkContext& ctx, const std::vector<RecordResult>& results,
                      const std::vector<IdChange>& changes) {
  if (changes.empty()) return;
  json::JsonWriter rows;
  rows.begin_array();
  for (const auto& c : changes) {
    json::JsonWriter why;
    why.begin_array().begin_object().kv("code", "personal_id.verified_change").kv("field", c.field)
        .kv("stored", validate::mask_personal_id(c.stored))
        .kv("proposed", validate::mask_personal_id(c.proposed)).kv("partner", ctx.partner_name)
        .kv("source_id", results[c.vendor].source_id).end_object().end_array();
    rows.begin_object().kv("i", static_cast<long long>(results[c.vendor].index)).kv("e", c.entity).kv("r", c.record_id)
        .key("why").raw(why.str()).key("p").raw(c.proposal).end_object();
  }
  rows.end_array();
  tx.exec_params(
      "insert into review_item(kind, batch_id, index, entity, reasons, record_id, proposal)"
      " select 'id_change', $2, r.i, r.e, r.why, r.r, r.p"
      " from jsonb_to_recordset($1::jsonb) as r(i int, e text, r uuid, why jsonb, p jsonb)"
      " where not exists (select 1 from review_item x where x.kind = 'id_change' and x.status = 'open'"
      "   and x.record_id = r.r and x.proposal = r.p)",
      rows.str(), ctx.batch_id);
}

}  // namespace

resolve::Candidate resolver_candidate(const mapping::RecordResult& vendor, const mapping::MappedRecord& rec) {
  resolve::Candidate c{rec.entity, 0, rec.source_id, {}, "", &rec.fields, {}};
  for (const auto& other : vendor.records)
    if (&other != &rec) c.related.emplace_back(other.entity, &other.fields);
  return c;
}

namespace {

using Resolution = resolve::Resolution;

// The canonical records of a chunk and what is known of each vendor record, as the steps of
// apply fill them in.
struct Chunk {
  std::vector<VendorState> state;  // per vendor record
  std::vector<Item> items;         // per canonical record of a mapped vendor record
};

// The stored records natural-key references name, and the places they are in.
using Targets = std::map<ReferenceKey, ReferenceTarget>;

// Step 1: the canonical records of the mapped vendor records, with their waves.
Chunk collect_records(std::vector<RecordResult>& results, const mapping::Snapshot& snap) {
  Chunk c;
  c.state.resize(results.size());
  for (std::size_t v = 0; v < results.size(); ++v) {
    auto& r = results[v];
    if (r.status != RecordStatus::kMapped) continue;
    std::map<std::string, int> wave_of;
    for (auto& rec : r.records) {
      if (!wave_of.count(rec.local_name)) wave_of[rec.local_name] = static_cast<int>(wave_of.size());
      c.items.push_back(Item{v, &rec, snap.schemas->find(rec.entity), wave_of[rec.local_name], "", "", {}, {}, {}, false, false});
    }
  }
  return c;
}

// Step 2: references by natural key (e.g. a school code) -> record ids, and the places they
// are in. The vendor records naming one nobody holds wait for it (park_unknown_references).
Targets find_reference_targets(pqxx::work& tx, std::vector<RecordResult>& results, const mapping::Snapshot& snap,
                               Chunk& chunk) {
  redirect_superseded_school_codes(tx, results, *snap.schemas);  // old codes -> successors (school events)
  // Each distinct value once, tried against every single-field natural key of its entity in the
  // schema's order, as the dry run looks them up (reference_lookup.h).
  Targets targets = lookup_references(tx, *snap.schemas, referenced_keys(results, *snap.schemas));
  park_unknown_references(results, *snap.schemas, targets, chunk.state);
  return targets;
}

// Step 3a: an item's references replaced by record ids (of this vendor record's earlier waves,
// given by the hub's own writers, or found by natural key), and the places it names collected
// for the unit policy. False when a reference is unknown.
bool bind_references(Item& it, VendorState& vs, const Targets& targets, const mapping::Snapshot& snap) {
  auto place_of_commune = [&](const std::string& commune) {
    return UnitPath{"", commune, snap.catalogs->province_of_commune(commune)};
  };
  auto& f = it.rec->fields;
  auto& a = f.GetAllocator();
  bool ok = true;
  for (const auto& fs : it.schema->fields) {
    auto m = f.FindMember(fs.name.c_str());
    if (m == f.MemberEnd()) continue;
    if (fs.type == schema::FieldType::kRef) {
      if (m->value.IsObject() && m->value.HasMember("$ref")) {
        std::string local = m->value["$ref"].GetString();
        m->value.SetString(vs.local_ids[local].c_str(), a);
      } else if (m->value.IsObject() && m->value.HasMember("$id")) {
        // A record id given by the hub's own writers (the school year rollover), which
        // address records that may have no natural key a vendor would send.
        std::string id = m->value["$id"].GetString();
        m->value.SetString(id.c_str(), a);
      } else if (m->value.IsString()) {
        auto t = targets.find({fs.ref_entity, m->value.GetString()});
        if (t == targets.end()) {  // found by park_unknown_references: not reached
          vs.issues.push_back(make_issue("ref.unknown", it.rec->entity, fs.name, fs.ref_entity + " unknown"));
          ok = false;
          continue;
        }
        if (fs.ref_entity == "school") vs.places.push_back(t->second.place);
        m->value.SetString(t->second.id.c_str(), a);
      }
    } else if (fs.type == schema::FieldType::kCode && fs.catalog == "commune" && m->value.IsString()) {
      vs.places.push_back(place_of_commune(m->value.GetString()));
    }
  }
  if (it.rec->entity == "school" && f.HasMember("school_code") && f["school_code"].IsString()) {
    UnitPath p = f.HasMember("commune") && f["commune"].IsString() ? place_of_commune(f["commune"].GetString()) : UnitPath{};
    p.school = f["school_code"].GetString();
    vs.places.push_back(p);
  }
  return ok;
}

// Step 3b: which record each resolved item is. The same new record twice in one chunk (one
// child in two vendor records) is created once: `created_keys` holds the keys of the records
// this chunk creates.
void settle_identity(Item& it, const Resolution& resolution,
                     std::map<std::pair<std::string, std::string>, std::string>& created_keys) {
  it.resolution = resolution;
  if (it.resolution.kind == Resolution::Kind::kNew) {
    for (const auto& k : it.keys) {
      auto c = created_keys.find({it.rec->entity + "/" + k.first, k.second});
      if (c != created_keys.end()) {
        it.resolution = {Resolution::Kind::kNaturalKey, c->second, k.first, ""};
        break;
      }
    }
  }
  if (it.resolution.kind == Resolution::Kind::kNew) {
    it.id = it.resolution.record_id.empty() ? new_uuid() : it.resolution.record_id;
    for (const auto& k : it.keys) created_keys[{it.rec->entity + "/" + k.first, k.second}] = it.id;
  } else {
    it.id = it.resolution.record_id;
  }
  it.unchanged = it.resolution.kind == Resolution::Kind::kSourceLink && it.resolution.content_hash == it.hash;
  it.merged = it.resolution.kind == Resolution::Kind::kNaturalKey || it.resolution.kind == Resolution::Kind::kMatch;
}

// Step 3: identity, wave by wave: a wave's references point to records of earlier waves.
void resolve_identities(pqxx::work& tx, const ChunkContext& ctx, const std::vector<RecordResult>& results,
                        const Targets& targets, resolve::IdentityResolver& resolver, resolve::ChunkScope& scope,
                        Chunk& chunk) {
  int waves = 0;
  for (const auto& it : chunk.items) waves = std::max(waves, it.wave + 1);
  std::map<std::pair<std::string, std::string>, std::string> created_keys;  // in this chunk
  for (int wave = 0; wave < waves; ++wave) {
    std::vector<Item*> batch;
    for (auto& it : chunk.items) {
      auto& vs = chunk.state[it.vendor];
      if (it.wave != wave || vs.failed) continue;
      if (!bind_references(it, vs, targets, *ctx.snapshot)) {
        vs.failed = true;
        continue;
      }
      it.keys = natural_keys(it);
      it.hash = content_hash(it);
      batch.push_back(&it);
    }
    std::vector<resolve::Candidate> cands;
    for (auto* it : batch) {
      resolve::Candidate c = resolver_candidate(results[it->vendor], *it->rec);
      c.partner_id = ctx.partner_id;
      c.keys = it->keys;
      c.content_hash = it->hash;
      cands.push_back(std::move(c));
    }
    auto resolutions = resolver.resolve(tx, cands, scope);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Item& it = *batch[i];
      settle_identity(it, resolutions[i], created_keys);
      chunk.state[it.vendor].local_ids[it.rec->local_name] = it.id;
      it.candidate = std::move(cands[i]);
    }
  }
}

// Step 4 (between the unit policy's rules): the current data of the existing records the chunk
// changes, locked in id order (no deadlocks between chunks).
std::map<std::string, Current> lock_current(pqxx::work& tx, const Chunk& chunk) {
  std::set<std::string> existing_ids;
  for (const auto& it : chunk.items)
    if (!chunk.state[it.vendor].failed && it.resolution.kind != Resolution::Kind::kNew && !it.unchanged)
      existing_ids.insert(it.id);
  std::map<std::string, Current> current;
  if (existing_ids.empty()) return current;
  const std::vector<std::string> id_list(existing_ids.begin(), existing_ids.end());
  for (auto& row : golden::bulk::lock(tx, id_list)) {
    Current c{row.version, rapidjson::Document(), rapidjson::Document(), {}, {}};
    c.data.Parse(row.data.c_str());
    rapidjson::Document stored;
    stored.Parse(row.lineage.c_str());
    lineage::by_field(stored, c.lineage);
    for (auto l = c.lineage.MemberBegin(); l != c.lineage.MemberEnd(); ++l)
      if (l->value.IsObject() && l->value.HasMember("partner") && l->value["partner"].IsString())
        c.holder[l->name.GetString()] = l->value["partner"].GetString();
    current.emplace(std::move(row.id), std::move(c));
  }
  json::JsonWriter ids;
  ids.begin_array();
  for (const auto& id : id_list) ids.value(id);
  ids.end_array();
  for (auto& [id, corrected] : latest_corrections(tx, ids.str()))
    if (auto c = current.find(id); c != current.end()) c->second.corrected = std::move(corrected);
  return current;
}

// One golden record as the chunk leaves it: the stored values, then the chunk's records folded
// in vendor order (survivorship).
struct Merged {
  explicit Merged(rapidjson::MemoryPoolAllocator<>* pool) : data(pool) {}
  bool is_new = false;
  int version = 0;
  const Item* last = nullptr;
  rapidjson::Document data;
  std::map<std::string, const Item*> supplier;  // field -> the item that supplied its value
  const std::map<std::string, std::string>* holder = nullptr;  // stored values' partners
  const RecordCorrections* corrected = nullptr;                 // stored values a person corrected
  const rapidjson::Value* lineage = nullptr;                   // stored lineage, per field
  bool changed = false;
};

// What survivorship decides for the chunk: the golden records, and the keys and source links
// of its records. Keys and source links that cannot exist yet are copied (a conflict there is
// a concurrent writer: the chunk is retried); the others are upserted. A new record's keys
// cannot exist (the exact resolver found none, under the locks), unless it is kept apart for
// review next to the record that holds them. A source link exists only for source-linked records.
struct Survivors {
  // The chunk's golden records are built in one pool, declared first so it outlives them: a
  // Document with an allocator of its own takes a 64 KB block for its first value, 32 MB of
  // mostly untouched memory for a chunk of 500 records, and page faults to fill it.
  rapidjson::MemoryPoolAllocator<> pool;
  std::map<std::string, Merged> records;
  std::vector<std::string> order;  // ids in first-touch order
  std::map<std::tuple<std::string, std::string, std::string>, std::string> new_keys;  // (e, n, v) -> id
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> new_links;  // (e, s) -> (id, hash)
  std::vector<golden::bulk::KeyRow> keys;    // upserted
  std::vector<golden::bulk::LinkRow> links;  // upserted: records the chunk found by source link
  std::vector<IdChange> id_changes;  // verified personal IDs a vendor would change: for review
};

// Step 5: survivorship. Records are folded in vendor order, so when one record appears several
// times in a chunk (the same child in two vendor records) the later values win, once. Per
// field: a verified personal ID is kept against an unverified one and replaced only by a person
// (survivorship.h; a different one is held for review, and no natural key is made of it);
// otherwise a value from a partner the matching rules rank higher for that field is kept, and
// else the latest value wins (with its lineage).
void fold_survivors(const ChunkContext& ctx, const Chunk& chunk, const std::map<std::string, Current>& current,
                    resolve::IdentityResolver& resolver, Survivors& out) {
  for (const auto& it : chunk.items) {
    if (chunk.state[it.vendor].failed || it.unchanged) continue;
    const auto& f = it.rec->fields;
    if (it.resolution.kind == Resolution::Kind::kSourceLink)
      out.links.push_back({it.rec->entity, it.rec->source_id, it.id, it.hash});
    else  // the same vendor record twice in the chunk: the later one wins, as in the data
      out.new_links[{it.rec->entity, it.rec->source_id}] = {it.id, it.hash};
    auto [pos, first] = out.records.try_emplace(it.id, &out.pool);
    Merged& p = pos->second;
    if (first) {
      out.order.push_back(it.id);
      auto cur = current.find(it.id);
      if (cur != current.end()) {
        p.version = cur->second.version;
        p.data.CopyFrom(cur->second.data, p.data.GetAllocator());
        p.holder = &cur->second.holder;
        p.corrected = &cur->second.corrected;
        p.lineage = &cur->second.lineage;
      } else {
        p.is_new = true;
        p.data.SetObject();
      }
    }
    p.last = &it;
    const IdVerdicts verdicts(resolver.verified_ids(it.rec->entity), p.data, f);
    if (!p.is_new) verdicts.hold_changes(it, p.data, out.id_changes);
    const bool keys_are_new = it.resolution.kind == Resolution::Kind::kNew && it.resolution.review_candidate.empty();
    for (const auto& k : it.keys) {
      if (verdicts.held(k.first)) continue;  // an ID a person has not accepted yet finds nothing
      if (keys_are_new) out.new_keys.try_emplace({it.rec->entity, k.first, k.second}, it.id);
      else out.keys.push_back({it.rec->entity, k.first, k.second, it.id});
    }
    auto& a = p.data.GetAllocator();
    for (auto m = f.MemberBegin(); m != f.MemberEnd(); ++m) {
      auto old = p.data.FindMember(m->name);
      if (old != p.data.MemberEnd() && old->value == m->value) continue;
      resolve::FieldOffer offer{verdicts.of(m->name.GetString()), old != p.data.MemberEnd()};
      if (offer.id_verdict == resolve::IdVerdict::kKeepStored || offer.id_verdict == resolve::IdVerdict::kReview) continue;
      // A person's correction outlives the vendor re-sending the value it replaced (corrections.h).
      if (p.corrected && p.corrected->keeps(m->name.GetString(), old != p.data.MemberEnd() ? &old->value : nullptr, m->value))
        continue;
      // A stored value is ranked by the partner that supplied it; one this chunk supplied is
      // the chunk's own partner's (same rank), so the later record of the chunk wins.
      if (offer.id_verdict == resolve::IdVerdict::kNormal && offer.stored_present && p.holder &&
          !p.supplier.count(m->name.GetString())) {
        if (auto h = p.holder->find(m->name.GetString()); h != p.holder->end()) {
          offer.stored_rank = resolver.source_rank(it.rec->entity, h->first, h->second);
          offer.incoming_rank = resolver.source_rank(it.rec->entity, h->first, ctx.partner_name);
        }
      }
      if (!resolve::takes_incoming(offer)) continue;  // a vendor record is the newest value
      if (old != p.data.MemberEnd()) old->value.CopyFrom(m->value, a);
      else p.data.AddMember(rapidjson::Value(m->name, a), rapidjson::Value(m->value, a), a);
      p.supplier[std::string(m->name.GetString(), m->name.GetStringLength())] = &it;
      p.changed = true;
    }
  }
}

// A record's lineage after the chunk, compact (hub/model/lineage.h): the stored entries of the
// fields the chunk left alone, then one entry per vendor record of the chunk that supplied
// values. Written whole: the stored lineage was read (locked) with the record.
std::string written_lineage(const ChunkContext& ctx, const Merged& p) {
  std::vector<std::pair<const Item*, std::vector<const std::string*>>> sources;  // in first-supply order
  for (const auto& [field, supplier] : p.supplier) {
    auto s = std::find_if(sources.begin(), sources.end(), [&](const auto& e) { return e.first == supplier; });
    if (s == sources.end()) s = sources.insert(s, {supplier, {}});
    s->second.push_back(&field);
  }
  json::JsonWriter w;
  w.begin_array();
  if (p.lineage && p.lineage->IsObject() && !p.lineage->ObjectEmpty()) {
    rapidjson::Document kept(rapidjson::kObjectType);
    auto& a = kept.GetAllocator();
    for (auto m = p.lineage->MemberBegin(); m != p.lineage->MemberEnd(); ++m)
      if (!p.supplier.count(std::string(m->name.GetString(), m->name.GetStringLength())))
        kept.AddMember(rapidjson::Value(m->name, a), rapidjson::Value(m->value, a), a);
    lineage::write_entries(kept, w);
  }
  for (const auto& [item, fields] : sources) {
    w.begin_object().kv("partner", ctx.partner_name).kv("batch", ctx.batch_id)
        .kv("mapping_version", ctx.mapping_version).kv("source_id", item->rec->source_id).key("fields").begin_array();
    for (const auto* f : fields) w.value(*f);
    w.end_array().end_object();
  }
  w.end_array();
  return w.str();
}

// Step 6a: the golden records and their versions (golden_bulk.h: new ones copied, changed ones
// replaced with their versions in one statement). Each change is added to `changes`.
void write_golden_records(pqxx::work& tx, const ChunkContext& ctx, Survivors& s, ChangeLog& changes) {
  std::vector<golden::bulk::RecordRow> created, changed;
  for (const auto& id : s.order) {
    Merged& p = s.records.at(id);
    if (!p.is_new && !p.changed) continue;  // same values from another source: nothing new
    const Item& it = *p.last;
    bool effective = it.schema->effective_dated;
    auto vf = effective ? date_field(p.data, "valid_from") : std::nullopt;
    auto vt = effective ? date_field(p.data, "valid_to") : std::nullopt;
    const int version = p.is_new ? 1 : p.version + 1;
    (p.is_new ? created : changed)
        .push_back({id, it.rec->entity, version, json::to_string(p.data), written_lineage(ctx, p), std::move(vf),
                    std::move(vt)});
    changes.add(it.rec->entity, id, p.is_new ? "create" : "update", version, ctx.batch_id);
  }
  golden::bulk::write_records(tx, {ctx.batch_id, ctx.partner_id}, created, changed);
}

// Step 6b: natural keys and source links. A new record's key that someone else took meanwhile
// would be a duplicate: the copy fails (unique violation) and the chunk is retried, which then
// finds that record. Keys of existing records that belong to another record are left as they
// are: an identity conflict for entity resolution, not for ingest.
void write_keys_and_links(pqxx::work& tx, const ChunkContext& ctx, const Survivors& s) {
  std::vector<golden::bulk::KeyRow> new_keys;
  new_keys.reserve(s.new_keys.size());
  for (const auto& [k, id] : s.new_keys) new_keys.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), id});
  golden::bulk::write_keys(tx, new_keys, s.keys);
  std::vector<golden::bulk::LinkRow> new_links;
  new_links.reserve(s.new_links.size());
  for (const auto& [l, target] : s.new_links) new_links.push_back({l.first, l.second, target.first, target.second});
  golden::bulk::write_links(tx, {ctx.batch_id, ctx.partner_id}, new_links, s.links);
}

// Step 6c: what later resolutions compare these records with (profiles, blocking keys).
void remember_written(pqxx::work& tx, const Chunk& chunk, resolve::IdentityResolver& resolver,
                      resolve::ChunkScope& scope) {
  std::vector<resolve::Candidate> written;
  std::vector<std::string> ids;
  for (const auto& it : chunk.items) {
    if (chunk.state[it.vendor].failed || it.unchanged || it.hash.empty()) continue;
    written.push_back(it.candidate);
    ids.push_back(it.id);
  }
  if (!written.empty()) resolver.remember(tx, written, ids, scope);
}

// The outcomes of the chunk and the review items they propose.
struct Outcomes {
  std::vector<RecordOutcome> out;
  json::JsonWriter reviews;  // [{i}]: mapping reviews, by batch_record index
  json::JsonWriter matches;  // [{i, e, r, c, s, why}]: doubtful matches
};

// Step 7: each vendor record's outcome and its batch_record row; pending records parked.
void record_outcomes(pqxx::work& tx, const ChunkContext& ctx, std::vector<RecordResult>& results, Chunk& chunk,
                     const std::vector<IdChange>& id_changes, Outcomes& o) {
  o.out.resize(results.size());
  o.reviews.begin_array();
  o.matches.begin_array();
  for (std::size_t v = 0; v < results.size(); ++v) {
    auto& r = results[v];
    auto& out = o.out[v];
    auto& vs = chunk.state[v];
    out.index = r.index;
    out.source_id = r.source_id;
    out.errors = r.issues;
    if (r.status == RecordStatus::kMapped && !vs.waiting.empty() && vs.issues.empty()) {
      out.status = "pending";  // parked below
      out.waiting_for = vs.waiting;
    } else if (r.status == RecordStatus::kRejected || vs.failed) {
      out.status = "rejected";
      for (auto& i : vs.issues) {
        i.path = r.path;
        out.errors.push_back(i);
      }
    } else if (r.status == RecordStatus::kReview) {
      out.status = "review";
      // The review item points at the batch_record row, which keeps the reasons.
      o.reviews.begin_object().kv("i", static_cast<long long>(r.index)).end_object();
    } else {
      bool all_unchanged = true, any_merged = false, any_review = false;
      for (const auto& it : chunk.items) {
        if (it.vendor != v) continue;
        out.entities.emplace_back(it.rec->entity, it.id);
        all_unchanged = all_unchanged && it.unchanged;
        any_merged = any_merged || it.merged;
        if (!it.resolution.review_candidate.empty()) {
          // Stored on its own; a person decides whether it is the candidate (review_item).
          any_review = true;
          o.matches.begin_object().kv("i", static_cast<long long>(r.index)).kv("e", it.rec->entity).kv("r", it.id)
              .kv("c", it.resolution.review_candidate).kv("s", it.resolution.score)
              .key("why").raw(it.resolution.reasons.empty() ? "{}" : it.resolution.reasons).end_object();
        }
      }
      for (const auto& c : id_changes) {
        if (c.vendor != v) continue;
        any_review = true;
        out.errors.push_back(verified_change_issue(c, r.path));
      }
      out.status = any_review ? "review" : all_unchanged ? "unchanged" : any_merged ? "merged" : "accepted";
    }
  }
  o.reviews.end_array();
  o.matches.end_array();
  inbox::write_outcomes(tx, ctx.batch_id, ctx.mapping_version, o.out);
  settle_pending(tx, ctx, results, o.out);
}

// Step 8: review items, for records a mapping sent to review, for doubtful matches (a pair
// already open for review, or decided "not a match", is not proposed again) and for changes of
// verified personal IDs.
void propose_reviews(pqxx::work& tx, const ChunkContext& ctx, const std::vector<RecordResult>& results,
                     const Outcomes& o, const std::vector<IdChange>& id_changes) {
  if (o.reviews.str() != "[]")
    tx.exec_params(
      "insert into review_item(kind, batch_id, index, reasons)"
      " select 'mapping', $2, b.index, b.errors from batch_record b"
      " join jsonb_to_recordset($1::jsonb) as r(i int) on b.batch_id = $2 and b.index = r.i",
      o.reviews.str(), ctx.batch_id);
  if (o.matches.str() != "[]")
    tx.exec_params(
      "insert into review_item(kind, batch_id, index, entity, reasons, record_id, candidate_id, score)"
      " select 'match', $2, r.i, r.e, jsonb_build_array(r.why), r.r, r.c, r.s"
      " from jsonb_to_recordset($1::jsonb) as r(i int, e text, r uuid, c uuid, s float8, why jsonb)"
      " where not exists (select 1 from match_exclusion x where x.entity = r.e"
      "   and x.record_a = least(r.r, r.c) and x.record_b = greatest(r.r, r.c))"
      " on conflict (entity, record_id, candidate_id) where kind = 'match' and status = 'open' do nothing",
      o.matches.str(), ctx.batch_id);
  write_id_changes(tx, ctx, results, id_changes);
}

}  // namespace

// The write path of one chunk, step by step; each step is a function above, in this order.
std::vector<RecordOutcome> GoldenStore::apply(pqxx::work& tx, const ChunkContext& ctx,
                                              std::vector<RecordResult>& results) {
  std::unique_ptr<resolve::ChunkScope> own_scope;
  resolve::ChunkScope* scope = ctx.scope;
  if (!scope) {
    own_scope = resolver_.begin_chunk();
    scope = own_scope.get();
  }
  Chunk chunk = collect_records(results, *ctx.snapshot);                          // 1
  const Targets targets = find_reference_targets(tx, results, *ctx.snapshot, chunk);  // 2. bind references
  resolve_identities(tx, ctx, results, targets, resolver_, *scope, chunk);        // 3. resolve
  reject_incomplete_new(chunk.items, chunk.state);  // a new record lacking a field needed for creation
  check_named_places(ctx, results, chunk.state);    // 4. unit policy, rules 1 and 2
  const auto current = lock_current(tx, chunk);
  check_stored_places(tx, ctx, chunk.items, current, chunk.state);  // unit policy, rule 3
  Survivors survivors;
  fold_survivors(ctx, chunk, current, resolver_, survivors);  // 5. survivorship
  ChangeLog changes;
  write_golden_records(tx, ctx, survivors, changes);  // 6. golden state
  write_keys_and_links(tx, ctx, survivors);
  remember_written(tx, chunk, resolver_, *scope);
  Outcomes outcomes;
  record_outcomes(tx, ctx, results, chunk, survivors.id_changes, outcomes);  // 7. outcomes (batch_record, pending)
  propose_reviews(tx, ctx, results, outcomes, survivors.id_changes);         // 8. review proposals
  // 9. The change log last, because its trigger (migration 0005) takes the change-log lock that
  // every writer waits for until this transaction commits: after the resolver's writes and the
  // batch results it is held for the commit only, not for the rest of the chunk. Nothing here
  // reads change_log, so the order of the writes changes nothing else.
  changes.write(tx);  // no rows, no COPY: the trigger is not fired for nothing
  return std::move(outcomes.out);
}

}  // namespace hub
