#include "hub/sync/change_feed.h"

namespace hub::sync {
namespace {

// A PostgreSQL text[] literal; entity names are schema names ([a-z_]), so no quoting is needed.
std::string text_array(const std::vector<std::string>& v) {
  std::string out = "{";
  for (const auto& s : v) out += (out.size() > 1 ? "," : "") + s;
  return out + "}";
}

// The data of the version the change made; the current data when that version is not kept
// (an unmerge that restores a record without a new version row).
//
// record_version is partitioned by recorded_at (migration 0028): joined on (record_id, version)
// alone, each change probes every monthly partition, so a page costs more with every month
// kept. Every writer of a version also writes its change in the same transaction, both dated by
// the column default now(), which is the transaction's start time: the version's recorded_at
// is its change's `at` (golden_store write_golden_records, review_queue write_version for merges
// and unmerges, school_lifecycle write_version for events and their undo, units_recode
// write_recode, corrections; rollover and pending releases go through golden_store). Naming it
// in the join lets PostgreSQL prune each probe to the one partition of that instant, with no
// column of its own on change_log for the version's month.
// The writers' tests check the equality (tests/support dangling_rows), tests/sync/change_feed_db_test
// the pruning.
const std::string kSelect =
    "select c.seq, c.entity, c.record_id::text, c.op, c.version,"
    " to_char(c.at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " case when c.op in ('delete', 'merge') then null else coalesce(v.data, g.data)::text end,"
    " coalesce(g.merged_into::text, ''),"
    " coalesce(coalesce(v.valid_from, g.valid_from)::text, ''), coalesce(coalesce(v.valid_to, g.valid_to)::text, '')"
    " from change_log c"
    " left join record_version v on v.record_id = c.record_id and v.version = c.version and v.recorded_at = c.at"
    " left join golden_record g on g.id = c.record_id";
const std::string kOneEntity = " where c.entity = $1 and c.seq > $2 order by c.seq limit $3";

}  // namespace

std::optional<long long> cursor_ahead(pqxx::transaction_base& tx, long long after) {
  if (after <= 0) return std::nullopt;
  auto r = tx.exec_params1(
      "select coalesce((select max(seq) from change_log), 0),"
      " (select max(last_seq) from change_log_restore where $1 > last_seq and $1 < resumes_at)",
      after);
  long long last = r[0].as<long long>();
  if (!r[1].is_null()) return r[1].as<long long>();  // inside a stretch lost by a restore
  if (after > last) return last;
  return std::nullopt;
}

std::optional<long long> cursor_expired(pqxx::transaction_base& tx, long long after) {
  auto r = tx.exec_params1(
      "select max(last_seq) from detached_partition where parent = 'change_log' and last_seq > $1", after);
  if (r[0].is_null()) return std::nullopt;
  return r[0].as<long long>();
}

std::string changes_page_sql_one_entity() { return kSelect + kOneEntity; }

std::vector<ChangeRow> read_changes(pqxx::transaction_base& tx, const std::vector<std::string>& entities,
                                    long long after, int limit) {
  pqxx::result rows;
  if (entities.size() == 1)
    rows = tx.exec_params(kSelect + kOneEntity, entities[0], after, limit);
  else if (entities.empty())
    rows = tx.exec_params(kSelect + " where c.seq > $1 order by c.seq limit $2", after, limit);
  else
    rows = tx.exec_params(kSelect + " where c.seq > $1 and c.entity = any($2::text[]) order by c.seq limit $3", after,
                          text_array(entities), limit);
  std::vector<ChangeRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    ChangeRow c;
    c.seq = r[0].as<long long>();
    c.entity = r[1].c_str();
    c.record_id = r[2].c_str();
    c.op = r[3].c_str();
    c.version = r[4].as<int>();
    c.at = r[5].c_str();
    if (!r[6].is_null()) c.data = r[6].c_str();
    c.merged_into = r[7].c_str();
    c.valid_from = r[8].c_str();
    c.valid_to = r[9].c_str();
    out.push_back(std::move(c));
  }
  return out;
}

long long head_seq(pqxx::transaction_base& tx) {
  return tx.exec("select coalesce(max(seq), 0) from change_log")[0][0].as<long long>();
}

void write_change(json::JsonWriter& w, const ChangeRow& c, const Publication& pub, const EntityProfile& profile,
                  const schema::EntitySchema& schema) {
  w.begin_object().kv("seq", c.seq).kv("entity", c.entity).kv("id", c.record_id).kv("op", c.op)
      .kv("version", c.version).kv("at", c.at);
  if (c.tombstone()) {
    w.kv("tombstone", true);
    if (c.op == "merge" && !c.merged_into.empty()) w.kv("merged_into", c.merged_into);
  } else {
    rapidjson::Document d;
    d.Parse(c.data.c_str());
    w.key("data");
    pub.project(profile, schema, d, w);
    if (!c.valid_from.empty()) w.kv("valid_from", c.valid_from);
    if (!c.valid_to.empty()) w.kv("valid_to", c.valid_to);
  }
  w.end_object();
}

}  // namespace hub::sync
