#include "hub/ingest/school_lifecycle.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <functional>

#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/ingest/golden_store.h"
#include "hub/mapping/messages.h"
#include "hub/resolve/identity_resolver.h"
#include "hub/store/audit_log.h"
#include "hub/store/change_log.h"
#include "hub/store/golden_rows.h"

namespace hub {
namespace {

// Vendor records per GoldenStore::apply call, as the rollover's chunks.
constexpr std::size_t kChunk = 500;
// Any constant shared by every process that applies school events: one at a time.
constexpr long long kAdvisoryLock = 0x5363686f6f6c4576;  // "SchoolEv"
constexpr std::size_t kMaxSchools = 50;

const std::set<std::string> kKinds = {"open", "rename", "recode", "merge", "split", "change_level", "change_type",
                                      "dissolve"};
// The field each attribute change sets, and the catalog its value must be in ("" = free text).
const std::map<std::string, std::pair<std::string, std::string>> kChangeField = {
    {"rename", {"name", ""}},
    {"recode", {"school_code", ""}},
    {"change_level", {"school_level", "school_level"}},
    {"change_type", {"school_type", "school_type"}}};

Error error(const std::string& code, const std::string& message) { return Error{code, message, "", 0}; }

std::string str_member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return "";
  auto m = v.FindMember(name);
  return m != v.MemberEnd() && m->value.IsString() ? std::string(m->value.GetString(), m->value.GetStringLength()) : "";
}

std::string pg_array(const std::vector<std::string>& ids) {
  std::string s = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + ids[i];
  return s + "}";
}

// The ids of a JSON array of strings (array_to_json of a uuid[]).
std::vector<std::string> ids_of(const pqxx::field& f) {
  std::vector<std::string> out;
  rapidjson::Document d;
  d.Parse(f.c_str());
  if (d.IsArray())
    for (const auto& v : d.GetArray())
      if (v.IsString()) out.emplace_back(v.GetString());
  return out;
}

// A stored school, found by its code.
struct School {
  std::string id, code;
  int version = 0;
  std::optional<Date> valid_to;
};

std::optional<School> school_by_code(pqxx::work& tx, const std::string& code) {
  auto rows = tx.exec_params(
      "select g.id::text, g.version, coalesce(g.data->>'school_code', ''), g.valid_to::text from natural_key k"
      " join golden_record g on g.id = k.record_id"
      " where k.entity = 'school' and k.key_name = 'school_code' and k.key_value = $1 and g.merged_into is null",
      code);
  if (rows.empty()) return std::nullopt;
  School s{rows[0][0].c_str(), rows[0][2].c_str(), rows[0][1].as<int>(), std::nullopt};
  if (!rows[0][3].is_null()) s.valid_to = Date::parse_iso(rows[0][3].c_str());
  return s;
}

// What a plan is computed from (the stored plan row).
struct Params {
  std::string kind;
  Date effective_on;
  std::vector<std::string> predecessors, successors;  // school ids
  std::string changes = "{}";                         // JSON object
};

std::string detail_json(const std::function<void(json::JsonWriter&)>& fill) {
  json::JsonWriter w;
  w.begin_object();
  fill(w);
  w.end_object();
  return w.str();
}

// The school versions the event writes.
void school_items(pqxx::work& tx, const Params& p, std::vector<SchoolEventItem>& items) {
  const std::string day_before = Date::from_days(p.effective_on.days_since_epoch() - 1).iso();
  rapidjson::Document changes;
  changes.Parse(p.changes.c_str());
  for (const auto& id : p.predecessors) {
    if (p.kind == "split" && std::find(p.successors.begin(), p.successors.end(), id) != p.successors.end())
      continue;  // a school that keeps part of its students goes on
    auto row = tx.exec_params1("select version, coalesce(data->>'school_code', ''), valid_from::text"
                               " from golden_record where id = $1::uuid", id);
    SchoolEventItem it;
    it.entity = "school";
    it.record_id = id;
    it.record_version = row[0].as<int>();
    it.action = "school_version";
    it.label = row[1].c_str();
    it.detail = detail_json([&](json::JsonWriter& w) {
      w.key("set").begin_object();
      if (p.kind == "merge") w.kv("operating_status", "SAP_NHAP");
      if (p.kind == "dissolve") w.kv("operating_status", "GIAI_THE");
      if (kChangeField.count(p.kind)) {
        const auto& field = kChangeField.at(p.kind).first;
        w.kv(field, str_member(changes, field.c_str()));
      }
      w.end_object();
      if (p.kind == "merge" || p.kind == "split" || p.kind == "dissolve") {
        // The school ends; it keeps the start of its current version.
        w.key("valid_from");
        if (row[2].is_null()) w.null(); else w.value(row[2].c_str());
        w.kv("valid_to", day_before);
      } else {
        w.kv("valid_from", p.effective_on.iso());
      }
    });
    items.push_back(std::move(it));
  }
}

// Enrollments of the predecessors in force on the effective date, in its school year: moved to
// the successor (merge) or asked about (split, dissolve); and the classes that move with them.
void enrollment_items(pqxx::work& tx, const Params& p, std::vector<SchoolEventItem>& items) {
  if (p.kind != "merge" && p.kind != "split" && p.kind != "dissolve") return;
  const std::string year = school_year_of(p.effective_on);
  const std::string successor = p.kind == "merge" ? p.successors.front() : "";
  std::map<std::string, SchoolEventItem> classes;  // class id -> its move
  std::vector<SchoolEventItem> enrollments;
  for (const auto& r : tx.exec_params(
           "select e.id::text, e.version, coalesce(s.data->>'school_code', ''), coalesce(e.data->>'class', ''),"
           " coalesce(c.data->>'name', ''), coalesce(e.data->>'grade', ''), e.valid_from::text,"
           " coalesce(c.version, 0),"
           // the student already has an enrollment of that year in the successor
           " exists (select 1 from golden_record x where x.entity = 'enrollment' and x.merged_into is null"
           "   and x.data->>'student' = e.data->>'student' and x.data->>'school' = $4 and x.data->>'school_year' = $2),"
           // a class of that name and year is in the successor already
           " exists (select 1 from golden_record y where y.entity = 'class' and y.merged_into is null"
           "   and y.data->>'school' = $4 and y.data->>'school_year' = $2 and y.data->>'name' = c.data->>'name')"
           " from golden_record e join golden_record s on s.id::text = e.data->>'school'"
           " left join golden_record c on c.entity = 'class' and c.id::text = e.data->>'class'"
           " where e.entity = 'enrollment' and e.merged_into is null and e.data->>'school' = any($1::text[])"
           "   and e.data->>'school_year' = $2 and (e.valid_to is null or e.valid_to >= $3::date)"
           " order by e.id",
           pg_array(p.predecessors), year, p.effective_on.iso(), successor)) {
    SchoolEventItem it;
    it.entity = "enrollment";
    it.record_id = r[0].c_str();
    it.record_version = r[1].as<int>();
    const std::string class_id = r[3].c_str(), class_name = r[4].c_str();
    it.label = std::string(r[2].c_str()) + " grade " + r[5].c_str() + (class_name.empty() ? "" : " class " + class_name);
    std::string reason;
    if (p.kind == "merge") {
      if (Date::parse_iso(r[6].c_str()).value_or(p.effective_on) >= p.effective_on)
        reason = "starts on or after the effective date: send it for the successor";
      else if (r[8].as<bool>())
        reason = "the student already has an enrollment of " + year + " in the successor";
      else if (r[9].as<bool>())
        reason = "the successor already has a class " + class_name + " in " + year;
    }
    it.action = p.kind != "merge" ? "review" : reason.empty() ? "move" : "conflict";
    if (it.action == "move") it.target_id = successor;
    it.detail = detail_json([&](json::JsonWriter& w) {
      w.kv("school_code", r[2].c_str()).kv("grade", r[5].c_str());
      w.key("class");
      if (class_id.empty()) w.null(); else w.value(class_id);
      w.kv("class_name", class_name);
      if (!reason.empty()) w.kv("reason", reason);
    });
    if (it.action == "move" && !class_id.empty() && !classes.count(class_id)) {
      SchoolEventItem c;
      c.entity = "class";
      c.record_id = class_id;
      c.record_version = r[7].as<int>();
      c.action = "move_class";
      c.target_id = successor;
      c.label = std::string(r[2].c_str()) + " class " + class_name;
      c.detail = detail_json([&](json::JsonWriter& w) { w.kv("class_name", class_name); });
      classes.emplace(class_id, std::move(c));
    }
    enrollments.push_back(std::move(it));
  }
  for (auto& [id, c] : classes) items.push_back(std::move(c));
  for (auto& e : enrollments) items.push_back(std::move(e));
}

std::vector<SchoolEventItem> compute(pqxx::work& tx, const Params& p) {
  std::vector<SchoolEventItem> items;
  school_items(tx, p, items);
  enrollment_items(tx, p, items);
  for (std::size_t i = 0; i < items.size(); ++i) items[i].seq = static_cast<int>(i);
  return items;
}

std::string fingerprint(const Params& p, const std::vector<SchoolEventItem>& items) {
  std::string text = p.kind + "|" + p.effective_on.iso() + "|" + p.changes + "\n";
  for (const auto& it : items)
    text += it.entity + "|" + it.record_id + "|" + std::to_string(it.record_version) + "|" + it.action + "|" +
            it.target_id + "\n";
  return crypto::to_hex(crypto::sha256(text));
}

std::map<std::string, long long> count_items(const std::vector<SchoolEventItem>& items) {
  std::map<std::string, long long> c;
  for (const char* k : {"school_version", "move", "move_class", "review", "conflict"}) c[k] = 0;
  for (const auto& it : items) ++c[it.action];
  return c;
}

std::string counts_json(const std::map<std::string, long long>& counts) {
  json::JsonWriter w;
  w.begin_object();
  for (const auto& [k, v] : counts) w.kv(k, v);
  w.end_object();
  return w.str();
}

// A batch of the reserved partner holding the event's changes (lineage, /v1/batches).
std::pair<long long, long long> open_batch(pqxx::work& tx, long long plan_id, const std::string& what,
                                           const std::string& actor, std::size_t records) {
  long long partner_id = tx.exec_params1(
      "insert into partner(name, display_name) values ($1, 'School lifecycle events (hubctl school)')"
      " on conflict (name) do update set name = excluded.name returning id",
      kSchoolEventsPartner)[0].as<long long>();
  json::JsonWriter body;
  body.begin_object().kv("school_event_plan", plan_id).kv("step", what).kv("actor", actor).end_object();
  long long batch_id = tx.exec_params1(
      "insert into inbox_batch(partner_id, feed, content_type, body, body_sha256, status, record_count, next_index,"
      " mapping_version, started_at)"
      " values ($1, 'school-event', 'application/json', $2, $3, 'processing', $4, $4, $5, now()) returning id",
      partner_id, pqxx::binarystring(body.str()), pqxx::binarystring(crypto::sha256(body.str())),
      static_cast<int>(records), "school event plan " + std::to_string(plan_id))[0].as<long long>();
  return {partner_id, batch_id};
}

void close_batch(pqxx::work& tx, long long batch_id) {
  tx.exec_params(
      "update inbox_batch set status = 'done', finished_at = now(),"
      " counts = coalesce((select jsonb_object_agg(status, n) from (select status, count(*) n"
      "   from batch_record where batch_id = $1 group by status) c), '{}') where id = $1",
      batch_id);
}

// A new version of one record written by the event itself (not from a vendor's record): the
// school's dated versions, and undo's restoring versions. `data` replaces the record's values;
// the lineage of the fields in `changed` names the event's batch. Refuses (stale) when the
// record is no longer at `expected_version`.
void write_version(pqxx::work& tx, ChangeLog& log, const std::string& id, int expected_version,
                   const std::string& data, const std::optional<std::string>& valid_from,
                   const std::optional<std::string>& valid_to, const std::vector<std::string>& changed,
                   long long partner_id, long long batch_id, long long plan_id, const std::string& op = "update") {
  auto cur = tx.exec_params("select entity, version from golden_record where id = $1::uuid for update", id);
  if (cur.empty() || cur[0][1].as<int>() != expected_version)
    throw std::runtime_error("stale:" + id);
  json::JsonWriter lin;
  lin.begin_object();
  for (const auto& f : changed)
    lin.key(f).begin_object().kv("partner", kSchoolEventsPartner).kv("batch", batch_id)
        .kv("mapping_version", "school event plan " + std::to_string(plan_id))
        .kv("source_id", "school-event/" + std::to_string(plan_id)).end_object();
  lin.end_object();
  const int version = expected_version + 1;
  golden::apply_dated(tx, id, data, lin.str(), version, valid_from, valid_to);
  golden::keep_version(tx, id, batch_id, partner_id);
  log.add(cur[0][0].c_str(), id, op, version, batch_id);
}

// The school version of a plan item: its values set, its dates as the item says.
void apply_school_version(pqxx::work& tx, ChangeLog& log, const SchoolEventItem& it, long long partner_id,
                          long long batch_id, long long plan_id) {
  rapidjson::Document detail, data;
  detail.Parse(it.detail.c_str());
  auto row = tx.exec_params1("select data::text, valid_from::text, valid_to::text from golden_record where id = $1::uuid",
                             it.record_id);
  data.Parse(row[0].c_str());
  std::vector<std::string> changed;
  auto& a = data.GetAllocator();
  for (auto m = detail["set"].MemberBegin(); m != detail["set"].MemberEnd(); ++m) {
    changed.emplace_back(m->name.GetString());
    if (data.HasMember(m->name)) data[m->name].CopyFrom(m->value, a);
    else data.AddMember(rapidjson::Value(m->name, a), rapidjson::Value(m->value, a), a);
  }
  auto date_of = [&](const char* key, const pqxx::field& current) -> std::optional<std::string> {
    if (detail.HasMember(key)) {
      if (detail[key].IsString()) return std::string(detail[key].GetString());
      return std::nullopt;
    }
    return current.is_null() ? std::nullopt : std::optional<std::string>(current.c_str());
  };
  write_version(tx, log, it.record_id, it.record_version, json::to_string(data), date_of("valid_from", row[1]),
                date_of("valid_to", row[2]), changed, partner_id, batch_id, plan_id);
  const std::string code = str_member(detail["set"], "school_code");
  if (!code.empty()) {
    if (!golden::add_key(tx, "school", "school_code", code, it.record_id))
      throw std::runtime_error("stale:school code " + code + " was taken meanwhile");
  }
}

void write_ref(json::JsonWriter& w, const std::string& field, const std::string& id) {
  w.key(field).begin_object().kv("$id", id).end_object();
}

// The canonical records of one move, as GoldenStore::apply takes them: the class continued in
// the successor (when the enrollment has one), the enrollment ended the day before, and the one
// continuing in the successor from the effective date.
mapping::RecordResult move_records(pqxx::work& tx, long long plan_id, const SchoolEventItem& it,
                                   const std::string& successor, Date effective_on, std::size_t index) {
  mapping::RecordResult r;
  r.index = index;
  r.source_id = it.record_id;
  r.path = "$.items[" + std::to_string(it.seq) + "]";
  auto add = [&](const std::string& entity, const std::string& local, const std::string& source_id,
                 const std::string& fields) {
    mapping::MappedRecord rec;
    rec.entity = entity;
    rec.local_name = local;
    rec.source_id = source_id;
    rec.fields.Parse(fields.c_str());
    r.records.push_back(std::move(rec));
  };
  const std::string prefix = "plan/" + std::to_string(plan_id) + "/";
  auto e = tx.exec_params1(
      "select e.data::text, coalesce(c.data::text, ''), coalesce(s.data->>'school_code', '') from golden_record e"
      " left join golden_record c on c.entity = 'class' and c.id::text = e.data->>'class'"
      " left join golden_record s on s.id::text = e.data->>'school' where e.id = $1::uuid",
      it.record_id);
  rapidjson::Document enrollment, klass;
  enrollment.Parse(e[0].c_str());
  const bool has_class = std::string(e[1].c_str()).size() > 0;
  if (has_class) {
    klass.Parse(e[1].c_str());
    json::JsonWriter w;
    w.begin_object();
    for (auto m = klass.MemberBegin(); m != klass.MemberEnd(); ++m) {
      std::string name = m->name.GetString();
      // The class code is the old school's identifier: the successor gives its own.
      if (name == "school" || name == "class_code") continue;
      if (name == "homeroom_teacher" && m->value.IsString()) write_ref(w, name, m->value.GetString());
      else w.key(name).value(m->value);
    }
    write_ref(w, "school", successor);
    w.end_object();
    add("class", "class", prefix + "class/" + str_member(enrollment, "class"), w.str());
  }
  const std::string year = str_member(enrollment, "school_year");
  {
    json::JsonWriter w;
    w.begin_object();
    write_ref(w, "student", str_member(enrollment, "student"));
    write_ref(w, "school", str_member(enrollment, "school"));
    w.kv("school_year", year).kv("valid_to", Date::from_days(effective_on.days_since_epoch() - 1).iso()).end_object();
    add("enrollment", "ended", prefix + "end/" + it.record_id, w.str());
  }
  json::JsonWriter w;
  w.begin_object();
  write_ref(w, "student", str_member(enrollment, "student"));
  write_ref(w, "school", successor);
  if (has_class) w.key("class").begin_object().kv("$ref", "class").end_object();
  w.kv("school_year", year).kv("valid_from", effective_on.iso()).kv("previous_school_code", e[2].c_str());
  for (const char* f : {"grade", "status", "status_reason", "is_repeating", "semi_boarding", "study_mode"})
    if (enrollment.HasMember(f)) w.key(f).value(enrollment[f]);
  w.end_object();
  add("enrollment", "continued", prefix + "continue/" + it.record_id, w.str());
  return r;
}

// Writes the moves through the golden store; sets new_record_id of each item (the continued
// enrollment) and returns the classes created, class id -> new class id.
std::map<std::string, std::string> write_moves(pqxx::work& tx, const mapping::Snapshot& snap, long long plan_id,
                                               Date effective_on, std::vector<SchoolEventItem*>& moves,
                                               long long partner_id, long long batch_id) {
  std::map<std::string, std::string> classes;
  if (moves.empty()) return classes;
  resolve::ExactResolver resolver;
  GoldenStore store(resolver);
  const std::string version = "school event plan " + std::to_string(plan_id);
  ChunkContext ctx{partner_id, kSchoolEventsPartner, {}, batch_id, version, &snap};
  for (std::size_t start = 0; start < moves.size(); start += kChunk) {
    std::size_t end = std::min(moves.size(), start + kChunk);
    std::vector<mapping::RecordResult> results;
    for (std::size_t i = start; i < end; ++i)
      results.push_back(move_records(tx, plan_id, *moves[i], moves[i]->target_id, effective_on, i));
    auto outcomes = store.apply(tx, ctx, results);
    for (std::size_t i = start; i < end; ++i) {
      auto& it = *moves[i];
      const auto& o = outcomes[i - start];
      if (o.status == "rejected" || o.status == "pending")
        throw std::runtime_error("the golden store refused the move of enrollment " + it.record_id + ": " +
                                 (o.errors.empty() ? o.status : o.errors.front().message));
      const bool has_class = o.entities.size() == 3;
      std::size_t k = has_class ? 1 : 0;
      if (k >= o.entities.size() || o.entities[k].second != it.record_id)
        throw std::runtime_error("enrollment " + it.record_id +
                                 " is not the record of its natural key (student, school, school_year); nothing was applied");
      it.new_record_id = o.entities[k + 1].second;
      if (has_class) {
        rapidjson::Document d;
        d.Parse(it.detail.c_str());
        classes[str_member(d, "class")] = o.entities[0].second;
      }
    }
  }
  return classes;
}

// A student who left the system when the school closed: the enrollment ends the day before the
// effective date with the status "transferred out", through the golden store like a move.
void write_leave(pqxx::work& tx, const mapping::Snapshot& snap, long long plan_id, Date effective_on,
                 SchoolEventItem& it, long long partner_id, long long batch_id) {
  auto e = tx.exec_params1("select data::text from golden_record where id = $1::uuid", it.record_id);
  rapidjson::Document enrollment;
  enrollment.Parse(e[0].c_str());
  mapping::RecordResult r;
  r.source_id = it.record_id;
  r.path = "$.items[" + std::to_string(it.seq) + "]";
  json::JsonWriter w;
  w.begin_object();
  write_ref(w, "student", str_member(enrollment, "student"));
  write_ref(w, "school", str_member(enrollment, "school"));
  w.kv("school_year", str_member(enrollment, "school_year"))
      .kv("valid_to", Date::from_days(effective_on.days_since_epoch() - 1).iso())
      .kv("status", "CHUYEN_DI").kv("status_reason", "school dissolved").end_object();
  mapping::MappedRecord rec;
  rec.entity = "enrollment";
  rec.local_name = "ended";
  rec.source_id = "plan/" + std::to_string(plan_id) + "/end/" + it.record_id;
  rec.fields.Parse(w.str().c_str());
  r.records.push_back(std::move(rec));
  resolve::ExactResolver resolver;
  GoldenStore store(resolver);
  ChunkContext ctx{partner_id, kSchoolEventsPartner, {}, batch_id, "school event plan " + std::to_string(plan_id), &snap};
  std::vector<mapping::RecordResult> results;
  results.push_back(std::move(r));
  auto outcomes = store.apply(tx, ctx, results);
  const auto& o = outcomes.front();
  if (o.status == "rejected" || o.status == "pending")
    throw std::runtime_error("the golden store refused to end enrollment " + it.record_id + ": " +
                             (o.errors.empty() ? o.status : o.errors.front().message));
  if (o.entities.empty() || o.entities.front().second != it.record_id)
    throw std::runtime_error("enrollment " + it.record_id + " is not the record of its natural key; nothing was applied");
  it.new_record_id = it.record_id;
}

void save_item_results(pqxx::work& tx, long long plan_id, const std::vector<SchoolEventItem>& items) {
  json::JsonWriter w;
  w.begin_array();
  for (const auto& it : items) {
    if (it.new_record_id.empty() && !it.review_item_id && it.target_id.empty()) continue;
    w.begin_object().kv("s", it.seq);
    w.key("n");
    if (it.new_record_id.empty()) w.null(); else w.value(it.new_record_id);
    w.key("t");
    if (it.target_id.empty()) w.null(); else w.value(it.target_id);
    w.key("r");
    if (it.review_item_id) w.value(it.review_item_id); else w.null();
    w.end_object();
  }
  w.end_array();
  tx.exec_params(
      "update school_event_plan_item i set new_record_id = coalesce(r.n, i.new_record_id),"
      " target_id = coalesce(r.t, i.target_id), review_item_id = coalesce(r.r, i.review_item_id)"
      " from jsonb_to_recordset($1::jsonb) as r(s int, n uuid, t uuid, r bigint)"
      " where i.plan_id = $2 and i.seq = r.s",
      w.str(), plan_id);
}

// Review items for the enrollments a person must place (split: which successor; dissolve:
// where now).
void open_reviews(pqxx::work& tx, const Params& p, long long plan_id, long long batch_id,
                  std::vector<SchoolEventItem>& items) {
  std::vector<std::string> codes;
  for (const auto& id : p.successors)
    codes.push_back(tx.exec_params1("select coalesce(data->>'school_code', '') from golden_record where id = $1::uuid", id)[0].c_str());
  const std::string code = p.kind == "split" ? "school.split_pending" : "school.dissolved";
  const std::string message =
      p.kind == "split" ? "the school was split: which successor does the student go to (decidable by class)"
                        : "the school was dissolved: the student's enrollment needs a decision";
  for (auto& it : items) {
    if (it.action != "review") continue;
    rapidjson::Document d;
    d.Parse(it.detail.c_str());
    json::JsonWriter why;
    why.begin_array().begin_object().kv("code", code).kv("message", message)
        .kv("message_vi", mapping::vietnamese_message(code)).kv("plan", plan_id)
        .kv("school", str_member(d, "school_code")).kv("class", str_member(d, "class_name"))
        .kv("effective_on", p.effective_on.iso()).key("successors").begin_array();
    for (const auto& c : codes) why.value(c);
    why.end_array().end_object().end_array();
    it.review_item_id = tx.exec_params1(
        "insert into review_item(kind, batch_id, entity, reasons, record_id) values ('school_event', $1, 'enrollment',"
        " $2::jsonb, $3::uuid) returning id",
        batch_id, why.str(), it.record_id)[0].as<long long>();
  }
}

Params params_of(const pqxx::row& r) {
  Params p;
  p.kind = r["kind"].c_str();
  p.effective_on = *Date::parse_iso(r["effective_on"].c_str());
  p.predecessors = ids_of(r["predecessors"]);
  p.successors = ids_of(r["successors"]);
  // As the plan wrote it (jsonb spells it with spaces): the fingerprint covers it.
  rapidjson::Document changes;
  changes.Parse(r["changes"].c_str());
  p.changes = changes.IsObject() ? json::to_string(changes) : "{}";
  return p;
}

const char* kPlanColumns =
    "kind, effective_on::text as effective_on, decision_number, array_to_json(predecessors)::text as predecessors,"
    " array_to_json(successors)::text as successors, changes::text as changes, status, encode(fingerprint, 'hex') as fingerprint";

std::vector<SchoolEventItem> load_items(pqxx::work& tx, long long plan_id) {
  std::vector<SchoolEventItem> items;
  for (const auto& r : tx.exec_params(
           "select i.seq, i.entity, i.record_id::text, i.record_version, i.action, coalesce(i.target_id::text, ''),"
           " i.detail::text, coalesce(i.new_record_id::text, ''), coalesce(i.review_item_id, 0),"
           " concat_ws(' ', g.data->>'school_code', case when i.entity = 'class' then g.data->>'name' end,"
           "   case when i.entity = 'enrollment' then 'grade ' || (g.data->>'grade') end)"
           " from school_event_plan_item i left join golden_record g on g.id = i.record_id"
           " where i.plan_id = $1 order by i.seq",
           plan_id)) {
    SchoolEventItem it;
    it.seq = r[0].as<int>();
    it.entity = r[1].c_str();
    it.record_id = r[2].c_str();
    it.record_version = r[3].as<int>();
    it.action = r[4].c_str();
    it.target_id = r[5].c_str();
    it.detail = r[6].c_str();
    it.new_record_id = r[7].c_str();
    it.review_item_id = r[8].as<long long>();
    it.label = r[9].c_str();
    items.push_back(std::move(it));
  }
  return items;
}

// Turns write_version's refusal (another change meanwhile) into the stale error.
template <class Fn>
Result<SchoolEventApplied> refusing_stale(long long plan_id, Fn&& fn) {
  try {
    return fn();
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    if (!what.starts_with("stale:")) throw;
    return error("school.stale_plan", "record " + what.substr(6) + " changed after plan " + std::to_string(plan_id) +
                                          " was made or applied; nothing was written");
  }
}

}  // namespace

std::string school_year_of(Date d) {
  int start = d.month >= 9 ? d.year : d.year - 1;
  return std::to_string(start) + "-" + std::to_string(start + 1);
}

Result<SchoolEventPlan> SchoolEvents::plan(const SchoolEventSpec& spec, const std::string& actor,
                                           const std::string& host) {
  return pg_->with_transaction([&](pqxx::work& tx) { return plan(tx, spec, actor, host); });
}

Result<SchoolEventPlan> SchoolEvents::plan(pqxx::work& tx, const SchoolEventSpec& spec, const std::string& actor,
                                           const std::string& host) {
  if (!kKinds.count(spec.kind))
    return error("school.bad_event", "'" + spec.kind + "' is not a school event (open, rename, recode, merge, split,"
                                     " change_level, change_type, dissolve)");
  auto eff = Date::parse_iso(spec.effective_on);
  if (!eff) return error("school.bad_event", "the effective date '" + spec.effective_on + "' is not a date YYYY-MM-DD");
  if (spec.decision_number.empty() || spec.decision_number.size() > 100 ||
      std::any_of(spec.decision_number.begin(), spec.decision_number.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    return error("school.bad_event", "the decision number (legal reference) is required: 1 to 100 characters");
  if (spec.schools.empty() || spec.schools.size() > kMaxSchools || spec.successors.size() > kMaxSchools)
    return error("school.bad_event", "name 1 to " + std::to_string(kMaxSchools) + " schools");
  if (spec.kind == "merge" && spec.successors.size() != 1)
    return error("school.bad_event", "a merge names exactly one successor school");
  if (spec.kind == "split" && (spec.schools.size() != 1 || spec.successors.size() < 2))
    return error("school.bad_event", "a split names one school and at least two successors");
  if (spec.kind != "merge" && spec.kind != "split" && (spec.schools.size() != 1 || !spec.successors.empty()))
    return error("school.bad_event", "a " + spec.kind + " names one school and no successor");
  std::string field, value;
  if (kChangeField.count(spec.kind)) {
    field = kChangeField.at(spec.kind).first;
    auto v = spec.changes.find(field);
    if (v == spec.changes.end() || v->second.empty() || v->second.size() > (field == "name" ? 200u : 20u))
      return error("school.bad_event", "a " + spec.kind + " needs the new " + field + " (" + field + "=...)");
    value = v->second;
    const auto& catalog = kChangeField.at(spec.kind).second;
    if (!catalog.empty()) {
      const auto* c = snapshot_.catalogs ? snapshot_.catalogs->find(catalog) : nullptr;
      if (!c || !c->lookup(value, {"", catalog::LookupBy::kCode, *eff, ""}))
        return error("school.bad_event", "'" + value + "' is not a code of the catalog " + catalog);
    }
  }
  if (spec.changes.size() > (field.empty() ? 0u : 1u))
    return error("school.bad_event", "a " + spec.kind + " changes " + (field.empty() ? "no field" : "only " + field));
  Params p;
  p.kind = spec.kind;
  p.effective_on = *eff;
  auto find = [&](const std::vector<std::string>& codes, std::vector<std::string>& ids) -> std::optional<Error> {
    for (const auto& code : codes) {
      auto s = school_by_code(tx, code);
      if (!s) return error("school.unknown", "no school has the code '" + code + "'");
      if (s->valid_to && *s->valid_to < *eff)
        return error("school.bad_event", "school " + code + " ended on " + s->valid_to->iso());
      if (std::find(ids.begin(), ids.end(), s->id) != ids.end())
        return error("school.bad_event", "school " + code + " is named twice");
      ids.push_back(s->id);
    }
    return std::nullopt;
  };
  if (auto e = find(spec.schools, p.predecessors)) return *e;
  if (auto e = find(spec.successors, p.successors)) return *e;
  if (spec.kind == "merge" &&
      std::find(p.predecessors.begin(), p.predecessors.end(), p.successors.front()) != p.predecessors.end())
    return error("school.bad_event", "the successor of a merge is not one of the schools it absorbs");
  if (spec.kind == "recode" && school_by_code(tx, value))
    return error("school.bad_event", "the code " + value + " is held by a school already");
  p.changes = field.empty() ? "{}" : detail_json([&](json::JsonWriter& w) { w.kv(field, value); });
  SchoolEventPlan out;
  out.kind = p.kind;
  out.status = "planned";
  out.effective_on = p.effective_on;
  out.decision_number = spec.decision_number;
  out.predecessors = p.predecessors;
  out.successors = p.successors;
  out.changes = p.changes;
  out.items = compute(tx, p);
  out.counts = count_items(out.items);
  out.fingerprint = fingerprint(p, out.items);
  out.id = tx.exec_params1(
                 "insert into school_event_plan(kind, effective_on, decision_number, predecessors, successors, changes,"
                 " fingerprint, counts, created_by) values ($1, $2::date, $3, $4::uuid[], $5::uuid[], $6::jsonb,"
                 " decode($7, 'hex'), $8::jsonb, $9) returning id",
                 p.kind, p.effective_on.iso(), spec.decision_number, pg_array(p.predecessors), pg_array(p.successors),
                 p.changes, out.fingerprint, counts_json(out.counts), actor)[0].as<long long>();
  json::JsonWriter w;
  w.begin_array();
  for (const auto& it : out.items) {
    w.begin_object().kv("s", it.seq).kv("e", it.entity).kv("r", it.record_id).kv("v", it.record_version)
        .kv("a", it.action).key("d").raw(it.detail).key("t");
    if (it.target_id.empty()) w.null(); else w.value(it.target_id);
    w.end_object();
  }
  w.end_array();
  tx.exec_params(
      "insert into school_event_plan_item(plan_id, seq, entity, record_id, record_version, action, target_id, detail)"
      " select $2, r.s, r.e, r.r, r.v, r.a, r.t, r.d from jsonb_to_recordset($1::jsonb)"
      " as r(s int, e text, r uuid, v int, a text, t uuid, d jsonb)",
      w.str(), out.id);
  json::JsonWriter detail;
  detail.begin_object().kv("plan", out.id).kv("kind", p.kind).kv("effective_on", p.effective_on.iso())
      .kv("decision_number", spec.decision_number).key("counts").raw(counts_json(out.counts)).end_object();
  AuditLog::record(tx, actor, "school.plan", spec.kind + " " + spec.schools.front(), host, detail.str());
  return out;
}

std::optional<SchoolEventApplied> SchoolEvents::applied_before(pqxx::work& tx, const SchoolEventSpec& spec) {
  auto ids_of_codes = [&](const std::vector<std::string>& codes) -> std::optional<std::vector<std::string>> {
    std::vector<std::string> ids;
    for (const auto& code : codes) {
      auto s = school_by_code(tx, code);
      if (!s) return std::nullopt;
      ids.push_back(s->id);
    }
    return ids;
  };
  auto schools = ids_of_codes(spec.schools), successors = ids_of_codes(spec.successors);
  if (!schools || !successors || !Date::parse_iso(spec.effective_on)) return std::nullopt;
  auto rows = tx.exec_params(
      "select plan_id, id from school_event where kind = $1 and effective_on = $2::date and decision_number = $3"
      " and predecessors @> $4::uuid[] and predecessors <@ $4::uuid[]"
      " and successors @> $5::uuid[] and successors <@ $5::uuid[] and undone_at is null order by id limit 1",
      spec.kind, spec.effective_on, spec.decision_number, pg_array(*schools), pg_array(*successors));
  if (rows.empty()) return std::nullopt;
  SchoolEventApplied out;
  out.plan_id = rows[0][0].as<long long>();
  out.event_id = rows[0][1].as<long long>();
  return out;
}

std::optional<SchoolEventPlan> SchoolEvents::load(long long plan_id) {
  return pg_->with_transaction([&](pqxx::work& tx) -> std::optional<SchoolEventPlan> {
    auto rows = tx.exec_params(std::string("select ") + kPlanColumns + " from school_event_plan where id = $1", plan_id);
    if (rows.empty()) return std::nullopt;
    Params p = params_of(rows[0]);
    SchoolEventPlan out;
    out.id = plan_id;
    out.kind = p.kind;
    out.status = rows[0]["status"].c_str();
    out.effective_on = p.effective_on;
    out.decision_number = rows[0]["decision_number"].c_str();
    out.predecessors = p.predecessors;
    out.successors = p.successors;
    out.changes = p.changes;
    out.fingerprint = rows[0]["fingerprint"].c_str();
    out.items = load_items(tx, plan_id);
    out.counts = count_items(out.items);
    return out;
  });
}

Result<SchoolEventApplied> SchoolEvents::apply(long long plan_id, const std::string& actor, const std::string& host) {
  return pg_->with_transaction([&](pqxx::work& tx) {
    // A refusal met half-way (stale) leaves nothing of the apply behind.
    tx.exec("savepoint school_event_apply");
    auto r = apply(tx, plan_id, actor, host);
    tx.exec(r ? "release savepoint school_event_apply" : "rollback to savepoint school_event_apply");
    return r;
  });
}

Result<SchoolEventApplied> SchoolEvents::apply(pqxx::work& tx, long long plan_id, const std::string& actor,
                                               const std::string& host) {
  tx.exec_params("select pg_advisory_xact_lock($1)", kAdvisoryLock);
  auto rows = tx.exec_params(std::string("select ") + kPlanColumns + " from school_event_plan where id = $1 for update",
                             plan_id);
  if (rows.empty()) return error("school.unknown_plan", "there is no school event plan " + std::to_string(plan_id));
  if (std::string(rows[0]["status"].c_str()) != "planned") {
    auto ev = tx.exec_params("select applied_by, applied_at::text from school_event where plan_id = $1", plan_id);
    return error("school.already_applied",
                 "school event plan " + std::to_string(plan_id) + " was applied" +
                     (ev.empty() ? "" : std::string(" by ") + ev[0][0].c_str() + " at " + ev[0][1].c_str()) +
                     (std::string(rows[0]["status"].c_str()) == "undone" ? " and undone" : "") +
                     "; a plan is applied once: make a new plan");
  }
  Params p = params_of(rows[0]);
  auto items = compute(tx, p);
  if (fingerprint(p, items) != rows[0]["fingerprint"].c_str())
    return error("school.stale_plan", "the schools, classes or enrollments changed since plan " +
                                          std::to_string(plan_id) + " was made; make a new plan and review it");
  return refusing_stale(plan_id, [&]() -> Result<SchoolEventApplied> {
    SchoolEventApplied out;
    out.plan_id = plan_id;
    auto [partner_id, batch_id] = open_batch(tx, plan_id, "apply", actor, items.size());
    out.batch_id = batch_id;
    ChangeLog log;
    for (const auto& it : items)
      if (it.action == "school_version") {
        apply_school_version(tx, log, it, partner_id, batch_id, plan_id);
        ++out.school_versions;
      }
    log.write(tx);
    std::vector<SchoolEventItem*> moves;
    for (auto& it : items)
      if (it.action == "move") moves.push_back(&it);
    auto classes = write_moves(tx, snapshot_, plan_id, p.effective_on, moves, partner_id, batch_id);
    for (auto& it : items)
      if (it.action == "move_class" && classes.count(it.record_id)) {
        it.new_record_id = classes[it.record_id];
        ++out.classes;
      }
    out.moved = static_cast<long long>(moves.size());
    open_reviews(tx, p, plan_id, batch_id, items);
    for (const auto& it : items) out.reviews += it.review_item_id ? 1 : 0;
    save_item_results(tx, plan_id, items);
    close_batch(tx, batch_id);
    out.event_id = tx.exec_params1(
        "insert into school_event(plan_id, kind, effective_on, decision_number, predecessors, successors, batch_id,"
        " applied_by) select id, kind, effective_on, decision_number, predecessors, successors, $2, $3"
        " from school_event_plan where id = $1 returning id",
        plan_id, batch_id, actor)[0].as<long long>();
    // Old codes answer for the successor (merge) or for the same school (recode).
    if (p.kind == "merge" || p.kind == "recode")
      tx.exec_params(
          "insert into school_code_crosswalk(old_code, successor_id, from_date, event_id)"
          " select v.data->>'school_code', $2::uuid, $3::date, $4 from record_version v"
          " join school_event_plan_item i on i.record_id = v.record_id and i.record_version = v.version"
          " where i.plan_id = $1 and i.action = 'school_version'",
          plan_id, p.kind == "merge" ? p.successors.front() : p.predecessors.front(), p.effective_on.iso(),
          out.event_id);
    tx.exec_params("update school_event_plan set status = 'applied' where id = $1", plan_id);
    json::JsonWriter detail;
    detail.begin_object().kv("plan", plan_id).kv("event", out.event_id).kv("batch", batch_id)
        .kv("school_versions", out.school_versions).kv("moved", out.moved).kv("classes", out.classes)
        .kv("reviews", out.reviews).end_object();
    AuditLog::record(tx, actor, "school.apply", p.kind + " plan " + std::to_string(plan_id), host, detail.str());
    return out;
  });
}

Result<SchoolEventApplied> SchoolEvents::undo(long long plan_id, const std::string& actor, const std::string& host) {
  return pg_->with_transaction([&](pqxx::work& tx) -> Result<SchoolEventApplied> {
    tx.exec_params("select pg_advisory_xact_lock($1)", kAdvisoryLock);
    auto rows = tx.exec_params(std::string("select ") + kPlanColumns + " from school_event_plan where id = $1 for update",
                               plan_id);
    if (rows.empty()) return error("school.unknown_plan", "there is no school event plan " + std::to_string(plan_id));
    if (std::string(rows[0]["status"].c_str()) != "applied")
      return error("school.not_applied", "school event plan " + std::to_string(plan_id) + " is " +
                                             rows[0]["status"].c_str() + ": only an applied event can be undone");
    Params p = params_of(rows[0]);
    const std::string year = school_year_of(p.effective_on);
    if (school_year_of(Date::today()) != year)
      return error("school.undo_too_late", "the event took effect in the school year " + year +
                                               ", which is over: an event is undone within its school year only;"
                                               " plan the reverse event instead");
    auto items = load_items(tx, plan_id);
    return refusing_stale(plan_id, [&]() -> Result<SchoolEventApplied> {
      SchoolEventApplied out;
      out.plan_id = plan_id;
      auto [partner_id, batch_id] = open_batch(tx, plan_id, "undo", actor, items.size());
      out.batch_id = batch_id;
      ChangeLog log;
      // A record the event wrote goes back to the version it had before: a new version with
      // those values and dates. A record the event created is deleted (its versions stay).
      auto restore = [&](const std::string& id, int before, int now) {
        auto v = tx.exec_params1("select data::text, valid_from::text, valid_to::text from record_version"
                                 " where record_id = $1::uuid and version = $2", id, before);
        auto opt = [](const pqxx::field& f) { return f.is_null() ? std::nullopt : std::optional<std::string>(f.c_str()); };
        write_version(tx, log, id, now, v[0].c_str(), opt(v[1]), opt(v[2]), {}, partner_id, batch_id, plan_id);
      };
      auto remove = [&](const std::string& id) {
        auto v = tx.exec_params1("select version, data::text, valid_from::text, valid_to::text from golden_record"
                                 " where id = $1::uuid", id);
        auto opt = [](const pqxx::field& f) { return f.is_null() ? std::nullopt : std::optional<std::string>(f.c_str()); };
        write_version(tx, log, id, v[0].as<int>(), v[1].c_str(), opt(v[2]), opt(v[3]), {}, partner_id, batch_id,
                      plan_id, "delete");
      };
      for (auto it = items.rbegin(); it != items.rend(); ++it) {
        if (it->action == "school_version") {
          restore(it->record_id, it->record_version, it->record_version + 1);
          ++out.school_versions;
        } else if ((it->action == "move" || it->action == "review") && !it->new_record_id.empty()) {
          // A student who left (decide_item "left") kept the record: only its end is undone.
          if (it->new_record_id != it->record_id) remove(it->new_record_id);
          restore(it->record_id, it->record_version, it->record_version + 1);
          ++out.moved;
        } else if (it->action == "move_class" && !it->new_record_id.empty()) {
          remove(it->new_record_id);
          ++out.classes;
        }
      }
      tx.exec_params(
          "update review_item set status = 'resolved', decided_by = $2, decided_at = now()"
          " where status = 'open' and id in (select review_item_id from school_event_plan_item where plan_id = $1)",
          plan_id, actor);
      log.write(tx);
      close_batch(tx, batch_id);
      tx.exec_params("update school_event set undone_by = $2, undone_at = now(), undo_batch_id = $3 where plan_id = $1",
                     plan_id, actor, batch_id);
      tx.exec_params("update school_event_plan set status = 'undone' where id = $1", plan_id);
      json::JsonWriter detail;
      detail.begin_object().kv("plan", plan_id).kv("batch", batch_id).kv("school_versions", out.school_versions)
          .kv("moved", out.moved).kv("classes", out.classes).end_object();
      AuditLog::record(tx, actor, "school.undo", p.kind + " plan " + std::to_string(plan_id), host, detail.str());
      return out;
    });
  });
}

Result<ClassDecision> SchoolEvents::decide_class(long long plan_id, const std::string& class_ref,
                                                 const std::string& successor_code, const std::string& actor,
                                                 const std::string& host) {
  return pg_->with_transaction([&](pqxx::work& tx) -> Result<ClassDecision> {
    tx.exec_params("select pg_advisory_xact_lock($1)", kAdvisoryLock);
    auto rows = tx.exec_params(std::string("select ") + kPlanColumns + " from school_event_plan where id = $1 for update",
                               plan_id);
    if (rows.empty()) return error("school.unknown_plan", "there is no school event plan " + std::to_string(plan_id));
    Params p = params_of(rows[0]);
    if (p.kind != "split" || std::string(rows[0]["status"].c_str()) != "applied")
      return error("school.not_a_split", "school event plan " + std::to_string(plan_id) + " is not an applied split");
    auto successor = school_by_code(tx, successor_code);
    if (!successor || std::find(p.successors.begin(), p.successors.end(), successor->id) == p.successors.end())
      return error("school.bad_event", "'" + successor_code + "' is not a successor of the split of plan " +
                                           std::to_string(plan_id));
    auto items = load_items(tx, plan_id);
    std::vector<SchoolEventItem*> moves;
    for (auto& it : items) {
      rapidjson::Document d;
      d.Parse(it.detail.c_str());
      if (it.action == "review" && it.new_record_id.empty() &&
          (str_member(d, "class") == class_ref || str_member(d, "class_name") == class_ref)) {
        it.target_id = successor->id;
        moves.push_back(&it);
      }
    }
    if (moves.empty())
      return error("school.bad_event", "no student of class '" + class_ref + "' is left to place in plan " +
                                           std::to_string(plan_id));
    auto [partner_id, batch_id] = open_batch(tx, plan_id, "decide-class " + class_ref, actor, moves.size());
    write_moves(tx, snapshot_, plan_id, p.effective_on, moves, partner_id, batch_id);
    std::vector<SchoolEventItem> done;
    for (auto* m : moves) done.push_back(*m);
    save_item_results(tx, plan_id, done);
    json::JsonWriter seqs;
    seqs.begin_array();
    for (auto* m : moves) seqs.value(m->seq);
    seqs.end_array();
    tx.exec_params(
        "update school_event_plan_item set decided_by = $3, decided_at = now()"
        " where plan_id = $1 and seq in (select jsonb_array_elements_text($2::jsonb)::int)",
        plan_id, seqs.str(), actor);
    tx.exec_params(
        "update review_item set status = 'resolved', decided_by = $3, decided_at = now() where status = 'open' and id in"
        " (select review_item_id from school_event_plan_item where plan_id = $1"
        "  and seq in (select jsonb_array_elements_text($2::jsonb)::int))",
        plan_id, seqs.str(), actor);
    close_batch(tx, batch_id);
    ClassDecision out{plan_id, batch_id, static_cast<long long>(moves.size())};
    json::JsonWriter detail;
    detail.begin_object().kv("plan", plan_id).kv("class", class_ref).kv("successor", successor_code)
        .kv("moved", out.moved).kv("batch", batch_id).end_object();
    AuditLog::record(tx, actor, "school.decide_class", "plan " + std::to_string(plan_id), host, detail.str());
    return out;
  });
}

Result<ClassDecision> SchoolEvents::decide_item(long long review_item_id, const std::string& choice,
                                                const std::string& actor, const std::string& host) {
  return pg_->with_transaction([&](pqxx::work& tx) -> Result<ClassDecision> {
    tx.exec_params("select pg_advisory_xact_lock($1)", kAdvisoryLock);
    auto found = tx.exec_params(
        "select i.plan_id, i.seq from school_event_plan_item i join review_item r on r.id = i.review_item_id"
        " where i.review_item_id = $1 and r.kind = 'school_event' and r.status = 'open' and i.new_record_id is null",
        review_item_id);
    if (found.empty())
      return error("school.unknown_item", "there is no open school event review item " + std::to_string(review_item_id));
    const long long plan_id = found[0][0].as<long long>();
    const int seq = found[0][1].as<int>();
    auto rows = tx.exec_params(std::string("select ") + kPlanColumns + " from school_event_plan where id = $1 for update",
                               plan_id);
    Params p = params_of(rows[0]);
    if (std::string(rows[0]["status"].c_str()) != "applied")
      return error("school.not_applied", "school event plan " + std::to_string(plan_id) + " is not applied");
    auto items = load_items(tx, plan_id);
    auto it = std::find_if(items.begin(), items.end(), [&](const SchoolEventItem& i) { return i.seq == seq; });
    const bool left = choice == "left";
    if (!left) {
      auto target = school_by_code(tx, choice);
      if (!target) return error("school.unknown", "no school has the code '" + choice + "'");
      const bool successor = std::find(p.successors.begin(), p.successors.end(), target->id) != p.successors.end();
      if (p.kind == "split" && !successor)
        return error("school.bad_event", "'" + choice + "' is not a successor of the split of plan " + std::to_string(plan_id));
      if (std::find(p.predecessors.begin(), p.predecessors.end(), target->id) != p.predecessors.end() ||
          (target->valid_to && *target->valid_to < p.effective_on))
        return error("school.bad_event", "school " + choice + " is not open on " + p.effective_on.iso());
      it->target_id = target->id;
    } else if (p.kind != "dissolve") {
      return error("school.bad_event", "a split's student goes to one of its successors, not 'left'");
    }
    auto [partner_id, batch_id] = open_batch(tx, plan_id, "decide-item " + std::to_string(review_item_id), actor, 1);
    if (left) {
      write_leave(tx, snapshot_, plan_id, p.effective_on, *it, partner_id, batch_id);
    } else {
      std::vector<SchoolEventItem*> moves{&*it};
      write_moves(tx, snapshot_, plan_id, p.effective_on, moves, partner_id, batch_id);
    }
    save_item_results(tx, plan_id, {*it});
    tx.exec_params("update school_event_plan_item set decided_by = $3, decided_at = now() where plan_id = $1 and seq = $2",
                   plan_id, seq, actor);
    tx.exec_params("update review_item set status = 'resolved', decided_by = $2, decided_at = now() where id = $1",
                   review_item_id, actor);
    close_batch(tx, batch_id);
    ClassDecision out{plan_id, batch_id, left ? 0 : 1};
    json::JsonWriter detail;
    detail.begin_object().kv("plan", plan_id).kv("review_item", review_item_id).kv("choice", choice)
        .kv("batch", batch_id).end_object();
    AuditLog::record(tx, actor, "school.decide_item", "plan " + std::to_string(plan_id), host, detail.str());
    return out;
  });
}

std::string school_event_plan_json(const SchoolEventPlan& p) {
  json::JsonWriter w;
  w.begin_object().kv("plan", p.id).kv("kind", p.kind).kv("status", p.status)
      .kv("effective_on", p.effective_on.iso()).kv("decision_number", p.decision_number)
      .key("changes").raw(p.changes).key("counts").begin_object();
  for (const auto& [k, v] : p.counts) w.kv(k, v);
  w.end_object().key("items").begin_array();
  for (const auto& it : p.items) {
    w.begin_object().kv("seq", it.seq).kv("entity", it.entity).kv("record", it.record_id)
        .kv("version", it.record_version).kv("action", it.action).kv("target", it.target_id).kv("label", it.label)
        .key("detail").raw(it.detail);
    if (!it.new_record_id.empty()) w.kv("new_record", it.new_record_id);
    if (it.review_item_id) w.kv("review_item", it.review_item_id);
    w.end_object();
  }
  w.end_array().end_object();
  return w.str();
}

void redirect_superseded_school_codes(pqxx::transaction_base& tx, std::vector<mapping::RecordResult>& results,
                                      const schema::SchemaSet& schemas) {
  std::set<std::string> codes;
  auto each_school_ref = [&](auto&& fn) {
    for (auto& r : results) {
      if (r.status != mapping::RecordStatus::kMapped) continue;
      for (auto& rec : r.records)
        if (const auto* s = schemas.find(rec.entity))
          for (const auto& fs : s->fields) {
            auto m = rec.fields.FindMember(fs.name.c_str());
            if (fs.type == schema::FieldType::kRef && fs.ref_entity == "school" && m != rec.fields.MemberEnd() &&
                m->value.IsString())
              fn(r, rec, fs.name, m->value);
          }
    }
  };
  // A school's own code too: after a recode the school list may still carry the old one.
  auto each_own_code = [&](auto&& fn) {
    for (auto& r : results) {
      if (r.status != mapping::RecordStatus::kMapped) continue;
      for (auto& rec : r.records) {
        auto m = rec.fields.FindMember("school_code");
        if (rec.entity == "school" && m != rec.fields.MemberEnd() && m->value.IsString())
          fn(r, rec, std::string("school_code"), m->value);
      }
    }
  };
  each_school_ref([&](auto&, auto&, const std::string&, rapidjson::Value& v) { codes.insert(v.GetString()); });
  each_own_code([&](auto&, auto&, const std::string&, rapidjson::Value& v) { codes.insert(v.GetString()); });
  if (codes.empty()) return;
  json::JsonWriter q;
  q.begin_array();
  for (const auto& c : codes) q.value(c);
  q.end_array();
  // Per old code, the latest event in force today that was not undone, and the code its
  // school has now.
  std::map<std::string, std::string> now, recoded;  // old code -> the code now (recoded: the same school)
  for (const auto& r : tx.exec_params(
           "select distinct on (x.old_code) x.old_code, coalesce(g.data->>'school_code', ''), e.kind = 'recode'"
           " from school_code_crosswalk x join school_event e on e.id = x.event_id and e.undone_at is null"
           " join golden_record g on g.id = x.successor_id"
           " where x.old_code in (select jsonb_array_elements_text($1::jsonb)) and x.from_date <= current_date"
           " order by x.old_code, x.from_date desc, x.event_id desc",
           q.str()))
    if (std::string(r[0].c_str()) != r[1].c_str() && r[1].size() > 0) {
      now[r[0].c_str()] = r[1].c_str();
      if (r[2].as<bool>()) recoded[r[0].c_str()] = r[1].c_str();
    }
  if (now.empty()) return;
  auto redirect = [&](const std::map<std::string, std::string>& to, mapping::RecordResult& r, mapping::MappedRecord& rec,
                      const std::string& field, rapidjson::Value& v) {
    auto n = to.find(v.GetString());
    if (n == to.end()) return;
    if (n == now.end()) return;
    const std::string old_code = v.GetString();
    v.SetString(n->second.c_str(), rec.fields.GetAllocator());
    bool noted = std::any_of(r.issues.begin(), r.issues.end(), [&](const mapping::FieldIssue& i) {
      return i.code == "school.code_superseded" && i.value == old_code;
    });
    if (!noted) r.issues.push_back(code_superseded_issue(rec.entity, field, old_code, n->second, r.path));
  };
  each_school_ref([&](auto& r, auto& rec, const std::string& field, rapidjson::Value& v) { redirect(now, r, rec, field, v); });
  // A merged school's own record is left to itself (it ended): only a recoded one is renamed.
  each_own_code([&](auto& r, auto& rec, const std::string& field, rapidjson::Value& v) { redirect(recoded, r, rec, field, v); });
}

mapping::FieldIssue code_superseded_issue(const std::string& entity, const std::string& field,
                                          const std::string& old_code, const std::string& new_code,
                                          const std::string& path) {
  const std::string code = "school.code_superseded";
  return mapping::FieldIssue{code,
                             entity,
                             field,
                             path,
                             old_code,
                             "school code " + old_code + " was superseded by " + new_code +
                                 " (school event); the record was stored for " + new_code + ": send the new code",
                             mapping::vietnamese_message(code),
                             false};
}

}  // namespace hub
