// The read-only reference lookup (hub/store/reference_lookup.h) on the real PostgreSQL. Guards: a
// stored school not found by one of its natural keys, or a value found that no record holds
// (the dry run would then call a record valid that the push parks or rejects); a partner limited to units
// whose record names no place passing the check (the push rejects it with auth.unit_missing);
// and a check that writes anything.

#include <catch2/catch.hpp>

#include "hub/mapping/mapping_registry.h"
#include "hub/store/pg_pool.h"
#include "hub/store/reference_lookup.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

hub::mapping::RecordResult one_record(const std::string& entity, const std::vector<std::pair<std::string, std::string>>& fields) {
  hub::mapping::RecordResult r;
  r.path = "$['rows'][0]";
  r.source_id = "R1";
  auto& rec = r.records.emplace_back();
  rec.entity = entity;
  rec.local_name = entity;
  rec.source_id = "R1";
  for (const auto& [k, v] : fields)
    rec.fields.AddMember(rapidjson::Value(k.c_str(), rec.fields.GetAllocator()),
                         rapidjson::Value(v.c_str(), rec.fields.GetAllocator()), rec.fields.GetAllocator());
  return r;
}

}  // namespace

TEST_CASE("stored schools are found by either natural key - unknown values are not", "[db][store][references]") {
  reset_database();
  {
    HubProcess hub;
    REQUIRE(hub.start());
    std::string ops = add_partner("demo-ops", {"--scope", "ingest:school"});
    REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  }
  hub::mapping::MappingRegistry registry(std::string(HUB_SOURCE_DIR) + "/mappings");
  registry.reload();
  auto snap = registry.current();
  REQUIRE(snap->schemas);
  CHECK(hub::reference_key_names(*snap->schemas, "school") == std::vector<std::string>{"school_code", "moet_school_id"});

  hub::PgPool pg(postgres_url(), 1, std::chrono::milliseconds(5000));
  const std::string before = count_rows("golden_record") + "/" + count_rows("natural_key") + "/" + count_rows("change_log");
  auto found = pg.with_transaction([&](pqxx::work& tx) {
    tx.exec("set transaction read only");
    return hub::lookup_references(tx, *snap->schemas,
                                  {{"school", "HP-THCS-0012"}, {"school", "31011202"}, {"school", "HP-THCS-9999"},
                                   {"student", "HP-THCS-0012"}});
  });
  REQUIRE(found.size() == 2);
  const auto& by_code = found.at({"school", "HP-THCS-0012"});
  CHECK(by_code.key_name == "school_code");
  CHECK(by_code.place.school == "HP-THCS-0012");
  CHECK(by_code.place.province == "31");
  CHECK(by_code.id == sql_value("select record_id::text from natural_key where key_value = 'HP-THCS-0012'"));
  CHECK(found.at({"school", "31011202"}).key_name == "moet_school_id");
  CHECK(found.count({"school", "HP-THCS-9999"}) == 0);
  CHECK(found.count({"student", "HP-THCS-0012"}) == 0);  // a value of another entity's key is no student

  // check_references: an unknown school makes its record pending, waiting for that school, with
  // ref.unknown at the value's path; a limited
  // partner's record that names no place is auth.unit_missing; one in its units passes.
  std::vector<hub::mapping::RecordResult> results;
  results.push_back(one_record("enrollment", {{"school", "HP-THCS-9999"}, {"school_year", "2025-2026"}}));
  results.push_back(one_record("subject_result", {{"subject", "TOAN"}}));
  results.push_back(one_record("enrollment", {{"school", "HP-THCS-0012"}, {"school_year", "2025-2026"}}));
  results.push_back(one_record("enrollment", {{"school", "HN-THCS-0001"}, {"school_year", "2025-2026"}}));
  const std::vector<std::string> units = {"province:31"};
  const std::string partner = "demo-transcripts";
  const hub::UnitScope scope{partner, units};
  pg.with_transaction([&](pqxx::work& tx) {
    tx.exec("set transaction read only");
    hub::check_references(
        tx, *snap, results,
        [](std::size_t v, const hub::mapping::MappedRecord&, const std::string& field) {
          return "$['rows'][" + std::to_string(v) + "]['" + field + "']";
        },
        &scope);
  });
  REQUIRE(results[0].status == hub::mapping::RecordStatus::kPending);
  CHECK(results[0].issues.at(0).code == "ref.unknown");
  CHECK(results[0].issues.at(0).path == "$['rows'][0]['school']");
  CHECK(results[0].issues.at(0).value == "HP-THCS-9999");
  REQUIRE(results[0].waiting_for.size() == 1);
  CHECK(results[0].waiting_for[0].entity == "school");
  CHECK(results[0].waiting_for[0].key == "school_code");
  CHECK(results[0].waiting_for[0].value == "HP-THCS-9999");
  CHECK(results[0].waiting_for[0].field == "enrollment.school");
  CHECK(results[0].waiting_for[0].path == "$['rows'][0]['school']");
  REQUIRE(results[1].status == hub::mapping::RecordStatus::kRejected);
  CHECK(results[1].issues.at(0).code == "auth.unit_missing");
  CHECK(results[2].status == hub::mapping::RecordStatus::kMapped);
  CHECK(results[2].issues.empty());
  REQUIRE(results[3].status == hub::mapping::RecordStatus::kRejected);
  CHECK(results[3].issues.at(0).code == "auth.unit");
  CHECK(count_rows("golden_record") + "/" + count_rows("natural_key") + "/" + count_rows("change_log") == before);
}
