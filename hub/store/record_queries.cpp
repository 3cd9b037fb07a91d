#include "hub/store/record_queries.h"

#include <regex>

#include "hub/common/json.h"

namespace hub {

std::optional<RecordView> RecordQueries::find(const schema::SchemaSet& schemas, const std::string& entity,
                                              const std::string& id, bool lineage, std::optional<Date> as_of) {
  static const std::regex kUuid("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  if (!std::regex_match(id, kUuid)) return std::nullopt;
  return pg_.with_transaction([&](pqxx::work& tx) -> std::optional<RecordView> {
    auto rows = tx.exec_params(
        "select g.id::text, g.version, g.data::text, g.lineage::text, coalesce(g.merged_into::text, ''),"
        " to_char(g.created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        " to_char(g.updated_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        " g.valid_from::text, g.valid_to::text,"
        " coalesce(s.data->>'school_code', g.data->>'school_code', ''),"
        " coalesce(s.data->>'commune', g.data->>'commune', g.data->>'residence_commune', ''),"
        " coalesce(s.data->>'province', g.data->>'province', '')"
        " from golden_record g left join golden_record s on s.entity = 'school' and s.id::text = g.data->>'school'"
        " where g.id = $1::uuid and g.entity = $2",
        id, entity);
    if (rows.empty()) return std::nullopt;
    const auto& r = rows[0];
    RecordView view;
    view.merged_into = r[4].c_str();
    view.place = {r[9].c_str(), r[10].c_str(), r[11].c_str()};
    json::JsonWriter w;
    w.begin_object().kv("id", r[0].c_str()).kv("entity", entity).kv("version", r[1].as<int>())
        .kv("created_at", r[5].c_str()).kv("updated_at", r[6].c_str()).key("data").raw(r[2].c_str());
    if (!r[7].is_null()) w.kv("valid_from", r[7].c_str());
    if (!r[8].is_null()) w.kv("valid_to", r[8].c_str());
    if (lineage) w.key("lineage").raw(r[3].c_str());
    if (as_of) {
      w.kv("as_of", as_of->iso());
      const auto* s = schemas.find(entity);
      if (s && s->effective_dated) {
        bool in_force = !r[7].is_null() && r[7].c_str() <= as_of->iso() && (r[8].is_null() || as_of->iso() <= r[8].c_str());
        view.not_in_force = !in_force;
        w.kv("in_force", in_force);
      }
      // Effective-dated records that refer to this one through a field named after its entity
      // (enrollment.student), in force on as_of.
      for (const auto* other : schemas.list()) {
        if (!other->effective_dated) continue;
        const auto* ref = other->field(entity);
        if (!ref || ref->type != schema::FieldType::kRef || ref->ref_entity != entity) continue;
        w.key(other->name + "s").begin_array();
        for (const auto& e : tx.exec_params(
                 "select id::text, version, data::text, valid_from::text, valid_to::text from golden_record"
                 " where entity = $1 and data->>$2 = $3 and valid_from <= $4::date"
                 " and (valid_to is null or valid_to >= $4::date) and merged_into is null order by valid_from",
                 other->name, entity, id, as_of->iso())) {
          w.begin_object().kv("id", e[0].c_str()).kv("version", e[1].as<int>()).key("data").raw(e[2].c_str())
              .kv("valid_from", e[3].c_str());
          w.key("valid_to");
          if (e[4].is_null()) w.null(); else w.value(e[4].c_str());
          w.end_object();
        }
        w.end_array();
      }
    }
    w.end_object();
    view.json = w.str();
    return view;
  });
}

}  // namespace hub
