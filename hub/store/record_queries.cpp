#include "hub/store/record_queries.h"

#include <regex>

namespace hub {

std::optional<RecordView> RecordQueries::find(const schema::SchemaSet& schemas, const std::string& entity,
                                              const std::string& id, std::optional<Date> as_of) {
  static const std::regex kUuid("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  if (!std::regex_match(id, kUuid)) return std::nullopt;
  return pg_.with_transaction([&](pqxx::work& tx) -> std::optional<RecordView> {
    auto rows = tx.exec_params(
        "select g.id::text, g.version, g.data::text, lineage_by_field(g.lineage)::text, coalesce(g.merged_into::text, ''),"
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
    view.id = r[0].c_str();
    view.entity = entity;
    view.version = r[1].as<int>();
    view.data = r[2].c_str();
    view.lineage = r[3].c_str();
    view.merged_into = r[4].c_str();
    view.created_at = r[5].c_str();
    view.updated_at = r[6].c_str();
    if (!r[7].is_null()) view.valid_from = r[7].c_str();
    if (!r[8].is_null()) view.valid_to = r[8].c_str();
    view.place = {r[9].c_str(), r[10].c_str(), r[11].c_str()};
    for (const auto& m : tx.exec_params("select id::text from golden_record where merged_into = $1::uuid order by id", id))
      view.merged_from.push_back(m[0].c_str());
    if (!as_of) return view;
    view.as_of = as_of;
    const auto* s = schemas.find(entity);
    if (s && s->effective_dated)
      view.in_force = view.valid_from && *view.valid_from <= as_of->iso() && (!view.valid_to || as_of->iso() <= *view.valid_to);
    // Effective-dated records that refer to this one through a field named after its entity
    // (enrollment.student), in force on as_of. Of an entity with one in force per owner (a
    // student's enrollment), the one in_force_per_owner (migration 0035) would give: the one
    // that started last, of two from the same day the one recorded last.
    for (const auto* other : schemas.list()) {
      if (!other->effective_dated) continue;
      const auto* ref = other->field(entity);
      if (!ref || ref->type != schema::FieldType::kRef || ref->ref_entity != entity) continue;
      const bool one = other->one_in_force_per == entity;
      std::vector<RelatedRecord> records;
      for (const auto& e : tx.exec_params(
               std::string("select id::text, version, data::text, valid_from::text, valid_to::text from golden_record"
                           " where entity = $1 and data->>$2 = $3 and valid_from <= $4::date"
                           " and (valid_to is null or valid_to >= $4::date) and merged_into is null") +
                   (one ? " order by valid_from desc, created_at desc, id limit 1" : " order by valid_from"),
               other->name, entity, id, as_of->iso())) {
        RelatedRecord rr{e[0].c_str(), e[1].as<int>(), e[2].c_str(), e[3].c_str(), std::nullopt};
        if (!e[4].is_null()) rr.valid_to = e[4].c_str();
        records.push_back(std::move(rr));
      }
      view.related.emplace_back(other->name, std::move(records));
    }
    return view;
  });
}

}  // namespace hub
