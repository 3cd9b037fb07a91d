// The compact lineage (hub/model/lineage.h): one entry per source that supplied values, read
// back per field, the shape the records API, the console and hubctl show. Guards: compacting
// loses or moves no field's source; extra members (a person's decision) survive; a person's
// source string fits; older per-field rows and per-field objects appended to the array read
// as before, the later one winning.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "hub/common/json.h"
#include "hub/model/lineage.h"

namespace {

rapidjson::Document parse(const char* text) {
  rapidjson::Document d;
  d.Parse(text);
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::string per_field(const char* stored) {
  auto s = parse(stored);
  rapidjson::Document out;
  hub::lineage::by_field(s, out);
  return hub::json::to_string(out);
}

}  // namespace

TEST_CASE("lineage is stored once per source and read per field", "[model][lineage]") {
  auto by_field = parse(R"({
    "full_name": {"partner": "demo-admissions", "batch": 7, "mapping_version": "m1", "source_id": "TS25-1"},
    "birth_date": {"partner": "demo-admissions", "batch": 7, "mapping_version": "m1", "source_id": "TS25-1"},
    "moet_student_code": {"partner": "demo-transcripts", "batch": 9, "mapping_version": "m2", "source_id": "HS-1"},
    "personal_id": {"partner": "user:lan", "source_id": "", "decided_by": "lan", "review_item": 3}
  })");
  const std::string compact = hub::lineage::compact(by_field);
  CHECK(compact ==
        R"([{"partner":"demo-admissions","batch":7,"mapping_version":"m1","source_id":"TS25-1","fields":["full_name","birth_date"]},)"
        R"({"partner":"demo-transcripts","batch":9,"mapping_version":"m2","source_id":"HS-1","fields":["moet_student_code"]},)"
        R"({"partner":"user:lan","source_id":"","decided_by":"lan","review_item":3,"fields":["personal_id"]}])");
  auto back = parse(per_field(compact.c_str()).c_str());
  CHECK(back == by_field);
}

TEST_CASE("lineage read per field from older rows and appended objects", "[model][lineage]") {
  // A row written before the compact shape: read as it is.
  CHECK(per_field(R"({"a": {"partner": "p", "batch": 1}})") == R"({"a":{"partner":"p","batch":1}})");
  // A per-field object appended with || (a review decision) overrides the entry before it.
  CHECK(per_field(R"([{"partner": "p", "batch": 1, "fields": ["a", "b"]}, {"a": {"partner": "user:lan", "decided_by": "lan"}}])") ==
        R"({"a":{"partner":"user:lan","decided_by":"lan"},"b":{"partner":"p","batch":1}})");
  // A later source entry wins for the fields it lists.
  CHECK(per_field(R"([{"partner": "p", "batch": 1, "fields": ["a", "b"]}, {"partner": "q", "batch": 2, "fields": ["b"]}])") ==
        R"({"a":{"partner":"p","batch":1},"b":{"partner":"q","batch":2}})");
  CHECK(per_field("[]") == "{}");
  CHECK(per_field("null") == "{}");
}
