// The SQL readers of the compact lineage (migration 0027: lineage_by_field, field_lineage)
// against hub/model/lineage.h, on the real PostgreSQL: statements (the records API, review
// merges, the quality report) must read what the write path stores exactly as the C++ reader
// does, for the compact shape, older per-field rows and per-field objects appended with ||.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "hub/common/json.h"
#include "hub/model/lineage.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

std::string cpp_by_field(const std::string& stored) {
  rapidjson::Document s, out;
  s.Parse(stored.c_str());
  hub::lineage::by_field(s, out);
  return hub::json::to_string(out);
}

std::string normalized(const std::string& json) {  // member order as PostgreSQL's jsonb keeps it
  return sql_value("select ('" + json + "'::jsonb)::text");
}

}  // namespace

TEST_CASE("lineage_by_field and field_lineage read as the write path writes", "[db][store][lineage]") {
  reset_database();
  const std::vector<std::string> stored = {
      R"([{"partner":"demo-admissions","batch":7,"mapping_version":"m1","source_id":"TS25-1","fields":["full_name","birth_date"]},)"
      R"({"partner":"user:lan","source_id":"","decided_by":"lan","fields":["birth_date"]}])",
      R"([{"partner":"p","batch":1,"fields":["a","b"]},{"a":{"partner":"user:lan","decided_by":"lan"}}])",
      R"({"a":{"partner":"p","batch":1},"b":{"partner":"q","batch":2}})",
      "[]",
  };
  for (const auto& s : stored) {
    INFO(s);
    CHECK(sql_value("select lineage_by_field('" + s + "'::jsonb)::text") == normalized(cpp_by_field(s)));
  }
  CHECK(sql_value("select field_lineage('" + stored[0] + "'::jsonb, 'birth_date')->>'partner'") == "user:lan");
  CHECK(sql_value("select field_lineage('" + stored[0] + "'::jsonb, 'full_name')->>'source_id'") == "TS25-1");
  CHECK(sql_value("select field_lineage('" + stored[0] + "'::jsonb, 'full_name') ? 'fields'") == "f");
  CHECK(sql_value("select field_lineage('" + stored[1] + "'::jsonb, 'a')->>'partner'") == "user:lan");
  CHECK(sql_value("select field_lineage('" + stored[1] + "'::jsonb, 'b')->>'partner'") == "p");
  CHECK(sql_value("select field_lineage('" + stored[2] + "'::jsonb, 'b')->>'batch'") == "2");
  CHECK(sql_value("select coalesce(field_lineage('" + stored[0] + "'::jsonb, 'nothing')::text, 'null')") == "null");
}
