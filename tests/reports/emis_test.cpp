// The EMIS report's pure parts. Guards against: a cut-off date put in the wrong school year, a
// frozen report whose JSON does not read back to the same figures (its diff would then invent
// differences), a unit-limited caller given rows or totals of other units, and an xlsx whose
// bytes change from one run to the next.

#include <catch2/catch.hpp>

#include <thread>

#include "hub/reports/emis.h"
#include "tests/support/xlsx_reader.h"

using namespace hub::reports;
using hub::Date;

namespace {

EmisReport sample() {
  EmisReport r;
  r.as_of = *Date::parse_iso("2025-09-30");
  r.school_year = "2025-2026";
  r.by = EmisBy::kSchool;
  r.level = "03";
  r.columns = {{"schools", "Số trường", "Schools"}, {"students", "Số học sinh", "Students"},
               {"students.grade.6", "Học sinh - khối/nhóm tuổi: Lớp 6", "Students - grade: Grade 6"}};
  EmisRow a;
  a.province = "31";
  a.commune = "11383";
  a.commune_name = "Phường Lê Chân";
  a.school_code = "S-A";
  a.school_name = "Trường \"A\", Lê Chân";
  a.school_level = "03";
  a.counts = {{"schools", 1}, {"students", 12}, {"students.grade.6", 12}};
  EmisRow b = a;
  b.commune = "11329";
  b.school_code = "S-B";
  b.school_name = "Trường B";
  b.counts = {{"schools", 1}, {"students", 7}};
  r.rows = {a, b};
  r.total.counts = {{"schools", 2}, {"students", 19}, {"students.grade.6", 12}};
  return r;
}

}  // namespace

TEST_CASE("a cut-off date falls in the school year from September to August", "[reports][emis]") {
  CHECK(school_year_of(*Date::parse_iso("2025-09-30")) == "2025-2026");
  CHECK(school_year_of(*Date::parse_iso("2026-05-31")) == "2025-2026");
  CHECK(school_year_of(*Date::parse_iso("2026-08-31")) == "2025-2026");
  CHECK(school_year_of(*Date::parse_iso("2026-09-01")) == "2026-2027");
}

TEST_CASE("an emis report reads back from its JSON to the same figures and bytes", "[reports][emis]") {
  auto r = sample();
  std::string json = to_json(r);
  auto back = emis_from_json(json);
  REQUIRE(back.ok());
  CHECK(to_json(*back) == json);
  CHECK(back->rows[0].school_name == "Trường \"A\", Lê Chân");
  CHECK(back->rows[1].count("students.grade.6") == 0);
  CHECK_FALSE(emis_from_json("{\"report\": \"quality\"}").ok());
  CHECK_FALSE(emis_from_json("not json").ok());
  CHECK(parse_by("district").error().path == "by");
}

TEST_CASE("a caller limited to units sees its rows and their total only", "[reports][emis]") {
  auto r = sample();
  auto v = visible_part(r, {"commune:11329"});
  REQUIRE(v.rows.size() == 1);
  CHECK(v.rows[0].school_code == "S-B");
  CHECK(v.total.count("students") == 7);
  // Columns of categories that only the hidden rows had are gone too.
  for (const auto& c : v.columns) CHECK(c.key != "students.grade.6");
  CHECK(visible_part(r, {"school:S-A"}).total.count("students") == 12);
  CHECK(visible_part(r, {"province:01"}).rows.empty());
  CHECK(visible_part(r, {}).rows.size() == 2);
  // A commune row is visible to the commune or its province, never to one of its schools.
  EmisRow commune;
  commune.province = "31";
  commune.commune = "11383";
  CHECK(row_visible({"commune:11383"}, commune, EmisBy::kCommune));
  CHECK(row_visible({"province:31"}, commune, EmisBy::kCommune));
  CHECK_FALSE(row_visible({"school:S-A"}, commune, EmisBy::kCommune));
}

TEST_CASE("a row of a pre-reform commune is visible only to a caller covering every unit it became", "[reports][emis]") {
  // Gia Viên (11341) of 30 September 2024: its schools are today in Hồng Bàng and Ngô Quyền.
  EmisRow old;
  old.province = "31";
  old.commune = "11341";
  old.current_units = {"31|11311", "31|11329"};
  CHECK(row_visible({"commune:11311", "commune:11329"}, old, EmisBy::kCommune));
  CHECK(row_visible({"province:31"}, old, EmisBy::kCommune));
  CHECK_FALSE(row_visible({"commune:11329"}, old, EmisBy::kCommune));
  // Its own old code is not a unit a caller holds today.
  CHECK_FALSE(row_visible({"commune:11341"}, old, EmisBy::kCommune));

  // The units travel with a frozen report: the mode, the rows' current units, unplaced schools.
  auto r = sample();
  r.by = EmisBy::kCommune;
  r.units_mode = hub::catalog::UnitsMode::kCurrent;
  r.rows[1].current_units = {"31|11311", "31|11329"};
  r.rows[1].unplaced_schools = 1;
  auto back = emis_from_json(to_json(r));
  REQUIRE(back.ok());
  CHECK(back->units_mode == hub::catalog::UnitsMode::kCurrent);
  CHECK(back->rows[1].current_units == old.current_units);
  CHECK(back->rows[1].unplaced_schools == 1);
  CHECK(back->rows[0].current_units.empty());
  CHECK(to_json(*back) == to_json(r));
  // A report frozen before units existed reads as the units of its date.
  std::string legacy = to_json(sample());
  legacy.erase(legacy.find(",\"units_mode\":\"as_of\""), std::string(",\"units_mode\":\"as_of\"").size());
  REQUIRE(emis_from_json(legacy).ok());
  CHECK(emis_from_json(legacy)->units_mode == hub::catalog::UnitsMode::kAsOf);
  CHECK(parse_units("today").error().code == "report.units");
  CHECK(parse_units("today").error().path == "units");
}

TEST_CASE("the emis workbook is the same bytes on every run and reads back", "[reports][emis]") {
  auto r = sample();
  auto first = emis_xlsx(r);
  REQUIRE(first.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a creation time from the clock would differ
  auto second = emis_xlsx(r);
  REQUIRE(second.ok());
  CHECK(*first == *second);
  auto sheets = hub::test::read_xlsx(*first);
  REQUIRE(sheets.size() == 2);
  CHECK(sheets[0].at("E2")->text == "Trường \"A\", Lê Chân");
  CHECK(sheets[0].at("G1")->text == "Số trường");
  CHECK(sheets[0].at("H3")->text == "7");
  CHECK(sheets[0].at("H3")->number);
  CHECK(sheets[0].at("A4")->text == "Tổng cộng");
  CHECK(sheets[0].at("H4")->text == "19");
  auto csv = emis_csv(r);
  REQUIRE(csv.ok());
  CHECK(csv->find("\"Trường \"\"A\"\", Lê Chân\"") != std::string::npos);
}
