// Small-cell suppression of the open data. Guards against: a cell of 1 to 4 persons published,
// a suppressed cell recomputable from its row total and the other cells of its breakdown (a
// single suppressed cell, or two that together hold fewer than 5), zeros or school and class
// counts hidden for nothing, and breakdowns of a hidden total left visible.

#include <catch2/catch.hpp>

#include "hub/reports/open_data.h"

using namespace hub::reports;

namespace {

EmisReport one_row(std::map<std::string, long long> counts) {
  EmisReport r;
  r.as_of = *hub::Date::parse_iso("2025-09-30");
  r.school_year = "2025-2026";
  r.by = EmisBy::kSchool;
  EmisRow row;
  row.province = "31";
  row.commune = "11383";
  row.school_code = "S1";
  row.counts = std::move(counts);
  for (const auto& [k, v] : row.counts) r.columns.push_back({k, k, k});
  r.rows.push_back(row);
  r.total = row;
  return r;
}

}  // namespace

TEST_CASE("open data hides a small cell and the smallest other cell of its breakdown", "[reports][open_data]") {
  auto d = make_open_data(one_row({{"schools", 1}, {"classes", 3}, {"students", 20}, {"students.gender.F", 3},
                                   {"students.gender.M", 17}, {"students.grade.6", 20}, {"students.grade.7", 0}}));
  const auto& s = d.suppressed[0];
  CHECK(s.count("students.gender.F") == 1);
  CHECK(s.count("students.gender.M") == 1);  // else 20 - 17 = 3
  CHECK(s.count("students") == 0);
  CHECK(s.count("students.grade.6") == 0);
  CHECK(s.count("students.grade.7") == 0);  // a zero identifies nobody
  CHECK(s.count("schools") == 0);
  CHECK(s.count("classes") == 0);
}

TEST_CASE("open data goes on hiding until the hidden cells hold 5 persons", "[reports][open_data]") {
  // 1 and 2 hidden would tell that the two hold 3 persons: the next smallest goes too.
  auto d = make_open_data(one_row({{"students", 30}, {"students.ethnicity.01", 20}, {"students.ethnicity.04", 1},
                                   {"students.ethnicity.06", 2}, {"students.ethnicity.07", 7}}));
  const auto& s = d.suppressed[0];
  CHECK(s.count("students.ethnicity.04") == 1);
  CHECK(s.count("students.ethnicity.06") == 1);
  CHECK(s.count("students.ethnicity.07") == 1);
  CHECK(s.count("students.ethnicity.01") == 0);
  // Two small cells that already hold 5 persons need no third.
  auto e = make_open_data(one_row({{"students", 25}, {"students.grade.6", 2}, {"students.grade.7", 3}, {"students.grade.8", 20}}));
  CHECK(e.suppressed[0].count("students.grade.8") == 0);
  CHECK(e.suppressed[0].count("students.grade.6") == 1);
}

TEST_CASE("open data hides a small total with all its breakdowns", "[reports][open_data]") {
  auto d = make_open_data(one_row({{"staff", 3}, {"staff.group.GV", 3}, {"staff.group.NV", 0}, {"students", 0}}));
  const auto& s = d.suppressed[0];
  CHECK(s.count("staff") == 1);
  CHECK(s.count("staff.group.GV") == 1);
  CHECK(s.count("staff.group.NV") == 1);  // a zero next to a hidden total would say where the 3 are not
  CHECK(s.count("students") == 0);
}

TEST_CASE("open data CSV and JSON carry the marker and no hidden value", "[reports][open_data]") {
  auto d = make_open_data(one_row({{"students", 9}, {"students.gender.F", 4}, {"students.gender.M", 5}}));
  auto csv = open_data_csv(d);
  REQUIRE(csv.ok());
  CHECK(csv->find("students.gender.F") != std::string::npos);
  CHECK(csv->find(",9,x,x") != std::string::npos);
  std::string json = open_data_json(d);
  CHECK(json.find("\"students.gender.F\":\"x\"") != std::string::npos);
  CHECK(json.find("\"students\":9") != std::string::npos);
  CHECK(json.find("\"min_persons\":5") != std::string::npos);
  std::string md = dictionary_markdown(d);
  CHECK(md.find("| `students.gender.M` | integer / x |") != std::string::npos);
}
