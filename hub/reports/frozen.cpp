#include "hub/reports/frozen.h"

#include <set>

#include "hub/common/crypto.h"
#include "hub/store/audit_log.h"
#include "hub/mapping/text.h"

namespace hub::reports {
namespace {

FrozenMeta meta_of(const pqxx::row& r) {
  FrozenMeta m;
  m.id = r["id"].as<long long>();
  m.label = r["label"].c_str();
  m.as_of = r["as_of"].c_str();
  m.by = r["by_unit"].c_str();
  m.level = r["level"].c_str();
  m.units = json::parse_string_array(r["units"].c_str());
  m.change_seq = r["change_seq"].as<long long>();
  m.figures_sha256 = r["figures_sha256"].c_str();
  m.frozen_by = r["frozen_by"].c_str();
  m.frozen_at = r["frozen_at"].c_str();
  return m;
}

constexpr const char* kMetaColumns =
    "id, label, as_of::text as as_of, by_unit, level, units::text as units, change_seq, figures_sha256, frozen_by,"
    " to_char(frozen_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') as frozen_at";

void write_unit(json::JsonWriter& w, const EmisRow& r, EmisBy by) {
  w.kv("province", r.province).kv("commune", r.commune).kv("commune_name", r.commune_name);
  if (by == EmisBy::kSchool) w.kv("school_code", r.school_code).kv("school_name", r.school_name).kv("school_level", r.school_level);
}

void write_side(json::JsonWriter& w, const DiffRow& row, const std::vector<EmisColumn>& columns) {
  w.key("frozen").begin_object();
  for (const auto& c : columns) w.kv(c.key, row.frozen.count(c.key));
  w.end_object().key("now").begin_object();
  for (const auto& c : columns) w.kv(c.key, row.now.count(c.key));
  w.end_object().key("difference").begin_object();
  for (const auto& c : columns)
    if (long long d = row.now.count(c.key) - row.frozen.count(c.key); d != 0) w.kv(c.key, d);
  w.end_object();
}

}  // namespace

Status check_label(const std::string& label) {
  if (json::find_bad_text(label) != std::string::npos)
    return make_error("request.parameter", "label " + json::bad_text_reason(label), "label");
  if (text::code_points(label) > kMaxLabelChars)
    return make_error("request.parameter", "label must be at most " + std::to_string(kMaxLabelChars) + " characters",
                      "label");
  return Status::Ok();
}

FrozenMeta freeze(pqxx::work& tx, const EmisReport& report, long long change_seq, const std::string& label,
                  const std::string& actor, const std::string& source) {
  std::string figures = to_json(report);
  std::string sha = crypto::to_hex(crypto::sha256(figures));
  auto row = tx.exec_params(
      std::string("insert into frozen_report(kind, label, as_of, by_unit, level, units, change_seq, figures,"
                  " figures_sha256, frozen_by) values ('emis', $1, $2::date, $3, $4, $5::jsonb, $6, $7, $8, $9)"
                  " returning ") + kMetaColumns,
      label, report.as_of.iso(), by_name(report.by), report.level, json::string_array(report.units), change_seq, figures,
      sha, actor);
  FrozenMeta m = meta_of(row[0]);
  json::JsonWriter d;
  d.begin_object().kv("label", label).kv("as_of", m.as_of).kv("by", m.by).kv("level", m.level).key("units").strings(m.units)
      .kv("change_seq", change_seq).kv("figures_sha256", sha).kv("rows", static_cast<long long>(report.rows.size())).end_object();
  AuditLog::record(tx, actor, "report.freeze", "frozen_report:" + std::to_string(m.id), source, d.str());
  return m;
}

std::vector<FrozenMeta> list_frozen(pqxx::work& tx, int limit) {
  std::vector<FrozenMeta> out;
  for (const auto& r : tx.exec_params(std::string("select ") + kMetaColumns + " from frozen_report order by id desc limit $1", limit))
    out.push_back(meta_of(r));
  return out;
}

std::optional<FrozenReport> load_frozen(pqxx::work& tx, long long id) {
  auto rows = tx.exec_params(std::string("select ") + kMetaColumns + ", figures from frozen_report where id = $1", id);
  if (rows.empty()) return std::nullopt;
  return FrozenReport{meta_of(rows[0]), rows[0]["figures"].c_str()};
}

bool frozen_visible(const EmisReport& figures, const std::vector<std::string>& units) {
  if (units.empty()) return true;
  for (const auto& r : figures.rows)
    if (row_visible(units, r, figures.by)) return true;
  return false;
}

EmisDiff diff(const EmisReport& frozen, const EmisReport& now) {
  EmisDiff d;
  d.by = frozen.by;
  std::map<std::string, EmisColumn> cols;
  for (const auto* r : {&frozen, &now})
    for (const auto& c : r->columns) cols.emplace(c.key, c);
  // Columns in the report's own order: the frozen report's, then any new ones of now's.
  std::set<std::string> seen;
  for (const auto* r : {&frozen, &now})
    for (const auto& c : r->columns)
      if (seen.insert(c.key).second) d.columns.push_back(c);

  auto key = [](const EmisRow& r) { return r.province + "|" + r.commune + "|" + r.school_code; };
  std::map<std::string, DiffRow> rows;
  for (const auto& r : frozen.rows) {
    auto& x = rows[key(r)];
    x.unit = r;
    x.frozen = r;
  }
  for (const auto& r : now.rows) {
    auto& x = rows[key(r)];
    if (x.unit.commune.empty() && x.unit.province.empty()) x.unit = r;
    x.now = r;
  }
  auto settle = [&](DiffRow& x, bool in_frozen, bool in_now) -> long long {
    long long changed = 0;
    for (const auto& c : d.columns)
      if (x.frozen.count(c.key) != x.now.count(c.key)) ++changed;
    x.status = !in_frozen ? "only_now" : !in_now ? "only_frozen" : changed ? "changed" : "same";
    return changed;
  };
  std::set<std::string> in_frozen, in_now;
  for (const auto& r : frozen.rows) in_frozen.insert(key(r));
  for (const auto& r : now.rows) in_now.insert(key(r));
  for (auto& [k, x] : rows) {
    x.unit.counts.clear();
    d.changed_cells += settle(x, in_frozen.count(k) > 0, in_now.count(k) > 0);
    d.rows.push_back(std::move(x));
  }
  d.total.frozen = frozen.total;
  d.total.now = now.total;
  settle(d.total, true, true);
  return d;
}

long long changes_since(pqxx::work& tx, long long seq) {
  return tx.exec_params("select count(*) from change_log where seq > $1"
                        " and entity in ('school', 'class', 'student', 'enrollment', 'staff')",
                        seq)[0][0].as<long long>();
}

void write_meta(json::JsonWriter& w, const FrozenMeta& m) {
  w.begin_object().kv("id", m.id).kv("label", m.label).kv("as_of", m.as_of).kv("by", m.by).kv("level", m.level)
      .key("units").strings(m.units).kv("change_seq", m.change_seq).kv("figures_sha256", m.figures_sha256)
      .kv("frozen_by", m.frozen_by).kv("frozen_at", m.frozen_at).end_object();
}

std::string diff_json(const FrozenMeta& meta, const EmisDiff& d, long long now_seq, long long changes) {
  json::JsonWriter w;
  w.begin_object().key("frozen_report");
  write_meta(w, meta);
  w.key("now").begin_object().kv("change_seq", now_seq).kv("input_changes_since_freeze", changes).end_object();
  w.key("columns").begin_array();
  for (const auto& c : d.columns) w.begin_object().kv("key", c.key).kv("label_vi", c.label_vi).kv("label_en", c.label_en).end_object();
  w.end_array().key("rows").begin_array();
  for (const auto& r : d.rows) {
    w.begin_object();
    write_unit(w, r.unit, d.by);
    w.kv("status", r.status);
    write_side(w, r, d.columns);
    w.end_object();
  }
  w.end_array().key("total").begin_object();
  write_side(w, d.total, d.columns);
  w.end_object().kv("changed_cells", d.changed_cells).end_object();
  return w.str();
}

Table diff_table(const EmisDiff& d) {
  Table t;
  t.name = "Chênh lệch - Differences";
  t.columns = {{"Mã phường/xã", CellKind::kText, 0}, {"Mã trường", CellKind::kText, 0}, {"Cột", CellKind::kText, 0},
               {"Mã cột (key)", CellKind::kText, 0}, {"Đã chốt", CellKind::kInteger, 0}, {"Hiện nay", CellKind::kInteger, 0},
               {"Chênh lệch", CellKind::kInteger, 0}};
  auto add = [&](const DiffRow& r, const std::string& commune, const std::string& school) {
    for (const auto& c : d.columns) {
      long long f = r.frozen.count(c.key), n = r.now.count(c.key);
      if (f == n) continue;
      t.rows.push_back({commune, school, c.label_vi, c.key, static_cast<double>(f), static_cast<double>(n),
                        static_cast<double>(n - f)});
    }
  };
  for (const auto& r : d.rows) add(r, r.unit.commune, r.unit.school_code);
  add(d.total, "Tổng cộng", "");
  return t;
}

}  // namespace hub::reports
