#include "hub/resolve/review_queue.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <set>

#include "hub/common/json.h"
#include "hub/mapping/validators.h"
#include "hub/model/lineage.h"
#include "hub/resolve/scoring.h"
#include "hub/resolve/survivorship.h"
#include "hub/store/audit_log.h"
#include "hub/store/golden_rows.h"

namespace hub::resolve {
namespace {

// Review screens show what a person needs to decide, not the IDs themselves.
void write_masked(json::JsonWriter& w, const rapidjson::Value& data) {
  w.begin_object();
  for (auto m = data.MemberBegin(); m != data.MemberEnd(); ++m) {
    std::string name(m->name.GetString(), m->name.GetStringLength());
    w.key(name);
    if (name == "personal_id" && m->value.IsString()) w.value(validate::mask_personal_id(m->value.GetString()));
    else w.value(m->value);
  }
  w.end_object();
}

rapidjson::Document parse(const char* s) {
  rapidjson::Document d;
  d.Parse(s);
  if (d.HasParseError()) d.SetObject();
  return d;
}

std::string to_json(const rapidjson::Value& v) { return json::to_string(v); }

using Row = golden::Locked;

Result<std::pair<Row, Row>> lock_pair(pqxx::work& tx, const std::string& a, const std::string& b) {
  auto rows = golden::lock(tx, {a, b});
  if (!rows.count(a) || !rows.count(b))
    return Error{"merge.not_found", "no record " + (rows.count(a) ? b : a), "", 0};
  return std::make_pair(rows[a], rows[b]);
}

// A decision's audit row: no client address (hubctl and the admin API alike), in the decision's
// transaction.
void audit(pqxx::work& tx, const std::string& actor, const std::string& action, const std::string& target,
           const std::string& detail) {
  AuditLog::record(tx, actor, action, target, "", detail);
}

// The per-field lineage a decision edited, in the stored compact shape (hub/model/lineage.h).
std::string stored_lineage(const rapidjson::Value& by_field) { return lineage::compact(by_field); }

std::string lineage_text(const rapidjson::Value& lineage, const char* field, const char* key) {
  if (!lineage.IsObject() || !lineage.HasMember(field) || !lineage[field].IsObject()) return "";
  const auto& l = lineage[field];
  return l.HasMember(key) && l[key].IsString() ? l[key].GetString() : "";
}

long long lineage_batch(const rapidjson::Value& lineage, const char* field) {
  if (!lineage.IsObject() || !lineage.HasMember(field) || !lineage[field].IsObject()) return 0;
  const auto& l = lineage[field];
  return l.HasMember("batch") && l["batch"].IsInt64() ? l["batch"].GetInt64() : 0;
}

// The survivor's data and lineage after merging `m` into `s` (JSON texts; the lineage in the
// stored compact shape): each field of `m` offered to `s` with the write path's survivorship
// (survivorship.h, takes_incoming), each value taken with its lineage. Both records' lineage is
// read per field (golden::lock), so a field's source is found whatever shape each row holds.
std::pair<std::string, std::string> survive(const RuleSet& rules, const Row& s, const Row& m) {
  auto data = parse(s.data.c_str()), lineage = parse(s.lineage.c_str());
  auto mdata = parse(m.data.c_str()), mlineage = parse(m.lineage.c_str());
  if (!data.IsObject()) data.SetObject();
  if (!lineage.IsObject()) lineage.SetObject();
  auto& a = data.GetAllocator();
  auto& la = lineage.GetAllocator();
  // A verified personal ID survives an unverified one; two different verified IDs: the
  // survivor's stays (a person chose this survivor), with its own check (survivorship.h).
  std::vector<std::pair<const VerifiedId*, IdVerdict>> ids;
  if (auto r = rules.find(s.entity); r != rules.end())
    for (const auto& id : r->second->verified_ids) ids.emplace_back(&id, verdict(id, data, mdata));
  auto id_verdict = [&](std::string_view name) {
    for (const auto& [id, v] : ids)
      if (in_group(*id, name)) return v;
    return IdVerdict::kNormal;
  };
  for (auto f = mdata.MemberBegin(); f != mdata.MemberEnd(); ++f) {
    const char* name = f->name.GetString();
    auto mine = data.FindMember(name);
    if (mine != data.MemberEnd() && mine->value == f->value) continue;
    const FieldOffer offer{id_verdict(name), mine != data.MemberEnd(),
                           survivorship_rank(rules, s.entity, name, lineage_text(lineage, name, "partner")),
                           survivorship_rank(rules, s.entity, name, lineage_text(mlineage, name, "partner")),
                           lineage_batch(mlineage, name) > lineage_batch(lineage, name)};
    if (!takes_incoming(offer)) continue;
    if (mine != data.MemberEnd()) mine->value.CopyFrom(f->value, a);
    else data.AddMember(rapidjson::Value(name, a), rapidjson::Value(f->value, a), a);
    if (lineage.HasMember(name)) lineage.RemoveMember(name);
    if (mlineage.IsObject() && mlineage.HasMember(name))
      lineage.AddMember(rapidjson::Value(name, la), rapidjson::Value(mlineage[name], la), la);
  }
  return {to_json(data), stored_lineage(lineage)};
}

Result<std::string> merge_in(pqxx::work& tx, const RuleSet& rules, const std::string& survivor_id,
                             const std::string& merged_id, const std::string& actor) {
  if (survivor_id == merged_id) return Error{"merge.same_record", "a record cannot be merged into itself", "", 0};
  auto pair = lock_pair(tx, survivor_id, merged_id);
  if (!pair) return pair.error();
  auto& [s, m] = pair.value();
  if (s.entity != m.entity)
    return Error{"merge.entity", "a " + m.entity + " cannot be merged into a " + s.entity, "", 0};
  if (!s.merged_into.empty() || !m.merged_into.empty())
    return Error{"merge.already_merged",
                 "record " + (s.merged_into.empty() ? m.id : s.id) + " is already merged into " +
                     (s.merged_into.empty() ? m.merged_into : s.merged_into),
                 "", 0};

  const std::string links = golden::source_links(tx, merged_id), keys = golden::natural_keys(tx, merged_id);
  std::map<std::string, std::string> profiles;
  for (const auto& r : tx.exec_params(
           "select record_id::text, profile::text from match_profile where record_id in ($1::uuid, $2::uuid)",
           survivor_id, merged_id))
    profiles[r[0].c_str()] = r[1].c_str();

  json::JsonWriter sb, mb;
  sb.begin_object().key("data").raw(s.data).key("lineage").raw(s.lineage).key("profile")
      .raw(profiles.count(s.id) ? profiles[s.id] : "null").end_object();
  mb.begin_object().key("data").raw(m.data).key("lineage").raw(m.lineage).key("profile")
      .raw(profiles.count(m.id) ? profiles[m.id] : "null").end_object();
  auto merge_id = tx.exec_params1(
      "insert into record_merge(entity, survivor_id, merged_id, survivor_before, merged_before, links, keys, merged_by)"
      " values ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7::jsonb, $8) returning id",
      s.entity, survivor_id, merged_id, sb.str(), mb.str(), links, keys, actor)[0].as<long long>();

  // Survivorship per field, as in ingestion: the value from the partner ranked higher for that
  // field survives; equal ranks: the more recent batch; the merged record fills what the
  // survivor lacks. Each value keeps its lineage.
  auto [data, lineage] = survive(rules, s, m);
  golden::replace(tx, survivor_id, data, lineage);
  golden::mark_merged(tx, merged_id, survivor_id);
  golden::move_links_and_keys(tx, merged_id, survivor_id);

  // The survivor is what the resolver finds from now on, under both records' spellings.
  const Profile mprofile = Profile::from_json(profiles.count(m.id) ? profiles[m.id] : "{}");
  Profile merged_profile = Profile::from_json(profiles.count(s.id) ? profiles[s.id] : "{}");
  merged_profile.absorb(mprofile);
  tx.exec_params(
      "insert into match_profile(record_id, entity, profile) values ($1, $2, $3::jsonb)"
      " on conflict (record_id) do update set profile = excluded.profile, updated_at = now()",
      survivor_id, s.entity, merged_profile.to_json());
  // The merged record's blocks move to the survivor. They are its profile's blocking keys
  // (match_block has no index by record: migration 0010); the profile holds every source's
  // values, so its keys include each source's.
  if (auto r = rules.find(m.entity); r != rules.end() && profiles.count(m.id)) {
    json::JsonWriter blocks;
    blocks.begin_array();
    for (auto b : blocking_keys(*r->second, mprofile)) blocks.value(static_cast<long long>(b));
    blocks.end_array();
    tx.exec_params(
        "insert into match_block(entity, block, record_id) select distinct $1, b::bigint, $2::uuid"
        " from jsonb_array_elements_text($4::jsonb) b where exists (select 1 from match_block m"
        "   where m.block = b::bigint and m.record_id = $3::uuid) and not exists (select 1 from match_block s"
        "   where s.block = b::bigint and s.record_id = $2::uuid)",
        m.entity, survivor_id, merged_id, blocks.str());
    tx.exec_params(
        "delete from match_block where block in (select jsonb_array_elements_text($1::jsonb)::bigint)"
        " and record_id = $2::uuid",
        blocks.str(), merged_id);
  }
  tx.exec_params("delete from match_profile where record_id = $1", merged_id);

  golden::write_version(tx, s.entity, survivor_id, s.version + 1, "update");
  golden::write_version(tx, m.entity, merged_id, m.version + 1, "merge");
  json::JsonWriter d;
  d.begin_object().kv("merge", merge_id).kv("survivor", survivor_id).kv("merged", merged_id).end_object();
  audit(tx, actor, "record.merge", s.entity + "/" + merged_id, d.str());
  return d.str();
}

// A held change of a verified personal ID (golden_store.cpp, survivorship.h). "apply" writes
// the proposed group as a new version, with the deciding person in its lineage, and moves the
// ID's natural key; "keep" leaves the record as it is. An ID another record already holds is
// refused: the two records are then one person, a merge, not an edit.
Result<std::string> decide_id_change(pqxx::work& tx, long long id, const std::string& entity,
                                     const std::string& record, const std::string& decision, const std::string& actor) {
  json::JsonWriter out;
  out.begin_object().kv("id", id).kv("decision", decision).kv("record", record);
  if (decision == "apply") {
    auto item = tx.exec_params(
        "select proposal::text, coalesce(reasons->0->>'partner', ''), coalesce(reasons->0->>'source_id', ''),"
        " batch_id, coalesce(reasons->0->>'field', '') from review_item where id = $1",
        id);
    auto held = record.empty() ? std::map<std::string, golden::Locked>{} : golden::lock(tx, {record});
    if (item.empty() || !held.count(record)) return Error{"merge.not_found", "no record " + record, "", 0};
    const auto& g = held[record];
    if (!g.merged_into.empty())
      return Error{"review.record_merged", "record " + record + " was merged into " + g.merged_into +
                                               "; decide the change on that record", "", 0};
    auto data = parse(g.data.c_str()), proposal = parse(item[0][0].c_str());
    if (!data.IsObject()) data.SetObject();
    const std::string id_field = item[0][4].c_str();
    rapidjson::Document lineage(rapidjson::kObjectType);
    auto& a = data.GetAllocator();
    auto& la = lineage.GetAllocator();
    for (auto m = proposal.MemberBegin(); m != proposal.MemberEnd(); ++m) {
      if (m->name.GetString() == id_field && m->value.IsString()) {
        // The old ID no longer names this record (its natural key); the new one must be free.
        if (auto holder = golden::key_holder(tx, entity, m->name.GetString(), m->value.GetString(), record))
          return Error{"review.id_taken", "record " + *holder + " already holds this " + m->name.GetString() +
                                              "; if they are one person, merge the two records",
                       "", 0};
        std::optional<std::string> old_value;
        if (data.HasMember(m->name) && data[m->name].IsString()) old_value = data[m->name].GetString();
        golden::move_key(tx, entity, m->name.GetString(), old_value, m->value.GetString(), record);
      }
      if (data.HasMember(m->name)) data[m->name].CopyFrom(m->value, a);
      else data.AddMember(rapidjson::Value(m->name, a), rapidjson::Value(m->value, a), a);
      rapidjson::Value l(rapidjson::kObjectType);
      l.AddMember("partner", rapidjson::Value(item[0][1].c_str(), la), la);
      if (!item[0][3].is_null()) l.AddMember("batch", static_cast<int64_t>(item[0][3].as<long long>()), la);
      l.AddMember("source_id", rapidjson::Value(item[0][2].c_str(), la), la);
      l.AddMember("decided_by", rapidjson::Value(actor.c_str(), la), la);
      l.AddMember("review_item", static_cast<int64_t>(id), la);
      lineage.AddMember(rapidjson::Value(m->name, la), l, la);
    }
    int version = g.version + 1;
    golden::apply_decided(tx, record, to_json(data), to_json(lineage), version);
    golden::write_version(tx, entity, record, version, "update");
    out.kv("version", version);
  }
  tx.exec_params(
      "update review_item set status = 'resolved', decision = $2, decided_by = $3, decided_at = now() where id = $1", id,
      decision, actor);
  json::JsonWriter d;
  d.begin_object().kv("decision", decision).kv("record", record).end_object();
  audit(tx, actor, "review.decide", "review_item/" + std::to_string(id), d.str());
  out.end_object();
  return out.str();
}

}  // namespace

std::string ReviewQueue::list_json(const std::string& status, long long after_id, int limit) {
  return pg_.with_transaction([&](pqxx::work& tx) {
    json::JsonWriter w;
    w.begin_object().key("items").begin_array();
    long long last = 0;
    int n = 0;
    for (const auto& r : tx.exec_params(
             "select id, kind, coalesce(entity, ''), status, coalesce(record_id::text, ''),"
             " coalesce(candidate_id::text, ''), score, reasons::text, coalesce(decision, ''), batch_id, index,"
             " to_char(created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
             " from review_item where ($1 = '' or status = $1) and id > $2 order by id limit $3",
             status, after_id, limit)) {
      last = r[0].as<long long>();
      ++n;
      w.begin_object().kv("id", last).kv("kind", r[1].c_str()).kv("entity", r[2].c_str()).kv("status", r[3].c_str());
      if (!std::string(r[4].c_str()).empty()) w.kv("record", r[4].c_str()).kv("candidate", r[5].c_str());
      if (!r[6].is_null()) w.kv("score", r[6].as<double>());
      w.key("reasons").raw(r[7].c_str());
      if (!std::string(r[8].c_str()).empty()) w.kv("decision", r[8].c_str());
      if (!r[9].is_null()) w.kv("batch_id", r[9].as<long long>());
      if (!r[10].is_null()) w.kv("index", r[10].as<int>());
      w.kv("created_at", r[11].c_str()).end_object();
    }
    w.end_array().key("next_after");
    if (n == limit) w.value(last); else w.null();
    w.end_object();
    return w.str();
  });
}

Result<std::string> ReviewQueue::show_json(long long id) {
  return pg_.with_transaction([&](pqxx::work& tx) -> Result<std::string> {
    auto item = tx.exec_params(
        "select kind, coalesce(entity, ''), status, coalesce(record_id::text, ''), coalesce(candidate_id::text, ''),"
        " score, reasons::text, coalesce(decision, ''), coalesce(decided_by, '') from review_item where id = $1",
        id);
    if (item.empty()) return Error{"review.not_found", "no review item " + std::to_string(id), "", 0};
    const auto& r = item[0];
    json::JsonWriter w;
    w.begin_object().kv("id", id).kv("kind", r[0].c_str()).kv("entity", r[1].c_str()).kv("status", r[2].c_str());
    if (!r[5].is_null()) w.kv("score", r[5].as<double>());
    w.key("reasons").raw(r[6].c_str());
    if (!std::string(r[7].c_str()).empty()) w.kv("decision", r[7].c_str()).kv("decided_by", r[8].c_str());
    for (auto [key, rid] : {std::pair<const char*, std::string>{"record", r[3].c_str()}, {"candidate", r[4].c_str()}}) {
      if (rid.empty()) continue;
      auto g = golden::current(tx, rid);
      if (!g) continue;
      auto data = parse(g->data.c_str());
      w.key(key).begin_object().kv("id", rid).kv("version", g->version);
      if (!g->merged_into.empty()) w.kv("merged_into", g->merged_into);
      w.key("data");
      write_masked(w, data);
      w.key("sources").begin_array();
      for (const auto& [partner, source_id] : golden::linked_sources(tx, rid))
        w.begin_object().kv("partner", partner).kv("source_id", source_id).end_object();
      w.end_array().end_object();
    }
    w.end_object();
    return w.str();
  });
}

Result<std::string> ReviewQueue::decide(long long id, const std::string& decision, const std::string& actor) {
  return pg_.with_transaction([&](pqxx::work& tx) -> Result<std::string> {
    auto item = tx.exec_params(
        "select kind, status, coalesce(entity, ''), coalesce(record_id::text, ''), coalesce(candidate_id::text, '')"
        " from review_item where id = $1 for update",
        id);
    if (item.empty()) return Error{"review.not_found", "no review item " + std::to_string(id), "", 0};
    std::string kind = item[0][0].c_str(), status = item[0][1].c_str(), entity = item[0][2].c_str();
    std::string record = item[0][3].c_str(), candidate = item[0][4].c_str();
    if (kind == "id_change") {
      if (decision != "apply" && decision != "keep")
        return Error{"review.bad_decision", "a personal ID change is decided with 'apply' or 'keep', not '" + decision + "'",
                     "decision", 0};
      if (status != "open") return Error{"review.decided", "review item " + std::to_string(id) + " is already resolved", "", 0};
      return decide_id_change(tx, id, entity, record, decision, actor);
    }
    if (kind != "match" || record.empty())
      return Error{"review.not_a_match_item", "review item " + std::to_string(id) + " is a " + kind +
                                                  " review; it is resolved by correcting the data" +
                                                  (kind == "mapping" ? " or, for a split commune, with the decision"
                                                                       " 'commune' and the new commune's code"
                                                                     : ""),
                   "", 0};
    if (decision != "match" && decision != "not_a_match")
      return Error{"review.bad_decision", "decision must be 'match' or 'not_a_match', not '" + decision + "'", "decision", 0};
    if (status != "open") return Error{"review.decided", "review item " + std::to_string(id) + " is already resolved", "", 0};
    json::JsonWriter out;
    out.begin_object().kv("id", id).kv("decision", decision);
    if (decision == "match") {
      // The new record joins the one it was proposed to be.
      auto merged = merge_in(tx, rules_, candidate, record, actor);
      if (!merged) return merged.error();
      out.key("merge").raw(merged.value());
    } else {
      tx.exec_params(
          "insert into match_exclusion(entity, record_a, record_b, decided_by)"
          " values ($1, least($2::uuid, $3::uuid), greatest($2::uuid, $3::uuid), $4) on conflict do nothing",
          entity, record, candidate, actor);
    }
    tx.exec_params(
        "update review_item set status = 'resolved', decision = $2, decided_by = $3, decided_at = now() where id = $1",
        id, decision, actor);
    json::JsonWriter d;
    d.begin_object().kv("decision", decision).kv("record", record).kv("candidate", candidate).end_object();
    audit(tx, actor, "review.decide", "review_item/" + std::to_string(id), d.str());
    out.end_object();
    return out.str();
  });
}

Result<std::string> ReviewQueue::decide_commune(long long id, const std::string& commune, const std::string& actor) {
  if (!commune_decider_)
    return Error{"review.bad_decision", "this process cannot decide split communes", "decision", 0};
  return commune_decider_(id, commune, actor);
}

Result<std::string> ReviewQueue::decide_school(long long id, const std::string& choice, const std::string& actor) {
  if (!school_decider_)
    return Error{"review.bad_decision", "this process cannot decide school event items", "decision", 0};
  return school_decider_(id, choice, actor);
}

Result<std::string> ReviewQueue::merge(const std::string& survivor_id, const std::string& merged_id,
                                       const std::string& actor) {
  return pg_.with_transaction(
      [&](pqxx::work& tx) -> Result<std::string> { return merge_in(tx, rules_, survivor_id, merged_id, actor); });
}

Result<std::string> ReviewQueue::unmerge(const std::string& merged_id, const std::string& actor) {
  return pg_.with_transaction([&](pqxx::work& tx) -> Result<std::string> {
    auto rm = tx.exec_params(
        "select id, survivor_id::text, survivor_before::text, merged_before::text, links::text, keys::text, entity"
        " from record_merge where merged_id = $1 and unmerged_at is null order by id desc limit 1 for update",
        merged_id);
    if (rm.empty()) return Error{"merge.not_merged", "record " + merged_id + " is not merged into another", "", 0};
    long long merge_id = rm[0][0].as<long long>();
    std::string survivor_id = rm[0][1].c_str(), entity = rm[0][6].c_str();
    auto pair = lock_pair(tx, survivor_id, merged_id);
    if (!pair) return pair.error();
    auto& [s, m] = pair.value();
    if (!s.merged_into.empty())
      return Error{"merge.survivor_merged", "the survivor " + survivor_id + " was itself merged into " + s.merged_into +
                                                "; unmerge that first",
                   "", 0};
    auto before = parse(rm[0][2].c_str()), mbefore = parse(rm[0][3].c_str());

    // The merged record's sources, as lineage names them.
    const auto sources = golden::link_sources(tx, rm[0][4].c_str());

    // The survivor keeps what its own sources sent, including after the merge; values that
    // came from the merged record's sources go back to what the survivor had before.
    auto data = parse(s.data.c_str()), lineage = parse(s.lineage.c_str());
    const auto& old_data = before["data"];
    const auto& old_lineage = before["lineage"];
    rapidjson::Document nd(rapidjson::kObjectType), nl(rapidjson::kObjectType);
    auto& a = nd.GetAllocator();
    auto& la = nl.GetAllocator();
    for (auto f = data.MemberBegin(); f != data.MemberEnd(); ++f) {
      const char* name = f->name.GetString();
      bool from_merged = false;
      if (lineage.HasMember(name) && lineage[name].IsObject() && lineage[name].HasMember("partner") &&
          lineage[name].HasMember("source_id"))
        from_merged = sources.count({lineage[name]["partner"].GetString(), lineage[name]["source_id"].GetString()}) > 0;
      if (!from_merged) {
        nd.AddMember(rapidjson::Value(name, a), rapidjson::Value(f->value, a), a);
        if (lineage.HasMember(name)) nl.AddMember(rapidjson::Value(name, la), rapidjson::Value(lineage[name], la), la);
      } else if (old_data.IsObject() && old_data.HasMember(name)) {
        nd.AddMember(rapidjson::Value(name, a), rapidjson::Value(old_data[name], a), a);
        if (old_lineage.IsObject() && old_lineage.HasMember(name))
          nl.AddMember(rapidjson::Value(name, la), rapidjson::Value(old_lineage[name], la), la);
      }
    }
    golden::replace(tx, survivor_id, to_json(nd), stored_lineage(nl));
    golden::restore_unmerged(tx, merged_id, to_json(mbefore["data"]), stored_lineage(mbefore["lineage"]));
    golden::restore_links_and_keys(tx, merged_id, rm[0][4].c_str(), rm[0][5].c_str());

    // Profiles and blocking keys as they were, so each record is found again on its own.
    for (auto [id, snap] : {std::pair<std::string, const rapidjson::Value*>{survivor_id, &before},
                            {merged_id, &mbefore}}) {
      if (!snap->HasMember("profile") || !(*snap)["profile"].IsObject()) continue;
      std::string profile = to_json((*snap)["profile"]);
      tx.exec_params(
          "insert into match_profile(record_id, entity, profile) values ($1, $2, $3::jsonb)"
          " on conflict (record_id) do update set profile = excluded.profile, updated_at = now()",
          id, entity, profile);
      auto rules = rules_.find(entity);
      if (rules == rules_.end()) continue;
      json::JsonWriter blocks;
      blocks.begin_array();
      for (auto b : blocking_keys(*rules->second, Profile::from_json(profile))) blocks.value(static_cast<long long>(b));
      blocks.end_array();
      tx.exec_params(
          "insert into match_block(entity, block, record_id) select distinct $1, b::bigint, $2::uuid"
          " from jsonb_array_elements_text($3::jsonb) b where not exists (select 1 from match_block m"
          "   where m.block = b::bigint and m.record_id = $2::uuid)",
          entity, id, blocks.str());
    }
    tx.exec_params(
        "insert into match_exclusion(entity, record_a, record_b, decided_by)"
        " values ($1, least($2::uuid, $3::uuid), greatest($2::uuid, $3::uuid), $4) on conflict do nothing",
        entity, survivor_id, merged_id, actor);
    tx.exec_params("update record_merge set unmerged_at = now() where id = $1", merge_id);
    golden::write_version(tx, entity, survivor_id, s.version + 1, "update");
    golden::write_version(tx, entity, merged_id, m.version + 1, "unmerge");
    json::JsonWriter d;
    d.begin_object().kv("merge", merge_id).kv("survivor", survivor_id).kv("restored", merged_id).end_object();
    audit(tx, actor, "record.unmerge", entity + "/" + merged_id, d.str());
    return d.str();
  });
}

}  // namespace hub::resolve
