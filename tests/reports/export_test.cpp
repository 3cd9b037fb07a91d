// Guards the files schools and communes open: a CSV that Excel reads as Latin-1 or splits on a
// comma inside a name, a vendor's "=HYPERLINK(...)" run as a formula, a workbook whose header
// scrolls away, whose shares show as 0.986 instead of 98.6%, or that does not open at all.

#include <catch2/catch.hpp>

#include "hub/reports/export.h"
#include "tests/support/xlsx_reader.h"

using namespace hub::reports;

namespace {

Table sample_table() {
  Table t;
  t.name = "Trường";
  t.columns = {{"Mã trường", CellKind::kText, 0},
               {"Số học sinh", CellKind::kInteger, 0},
               {"Tỷ lệ có số định danh", CellKind::kPercent, 0},
               {"Ngày cập nhật", CellKind::kDate, 0}};
  t.rows.push_back({std::string("HP-THCS-0012"), 1234.0, 0.986, std::string("2025-09-30")});
  t.rows.push_back({std::string("Trường \"Lê Chân\", phường"), 7.0, Cell{}, std::string("=HYPERLINK(\"x\")")});
  return t;
}

}  // namespace

TEST_CASE("csv has a BOM and a header and quotes what needs quoting", "[reports][export]") {
  auto csv = to_csv(sample_table());
  REQUIRE(csv.ok());
  CHECK(csv->rfind("\xEF\xBB\xBF" "Mã trường,Số học sinh,Tỷ lệ có số định danh,Ngày cập nhật\r\n", 0) == 0);
  CHECK(csv->find("HP-THCS-0012,1234,0.986,2025-09-30\r\n") != std::string::npos);
  CHECK(csv->find("\"Trường \"\"Lê Chân\"\", phường\",7,,") != std::string::npos);
  // A formula typed by a vendor is text in the file, never a formula.
  CHECK(csv->find(",\"'=HYPERLINK(\"\"x\"\")\"\r\n") != std::string::npos);
}

TEST_CASE("a table with a wrong row or sheet name is refused", "[reports][export]") {
  Table t = sample_table();
  t.rows.push_back({std::string("only one cell")});
  CHECK(to_csv(t).error().code == "export.bad_table");
  Table n = sample_table();
  n.name = "a/b";
  CHECK(to_xlsx({n}).error().code == "export.bad_table");
  n.name = std::string(32, 'x');
  CHECK(to_xlsx({n}).error().code == "export.bad_table");
  CHECK(to_xlsx({}).error().code == "export.bad_table");
}

TEST_CASE("the xlsx reads back with its sheets - cells - formats and a frozen header", "[reports][export]") {
  Table second;
  second.name = "Phường, xã";
  second.columns = {{"Mã xã", CellKind::kText, 12}, {"Số trường", CellKind::kInteger, 0}};
  second.rows.push_back({std::string("11383"), 2.0});
  auto bytes = to_xlsx({sample_table(), second});
  REQUIRE(bytes.ok());
  auto sheets = hub::test::read_xlsx(*bytes);
  REQUIRE(sheets.size() == 2);
  CHECK(sheets[0].name == "Trường");
  CHECK(sheets[1].name == "Phường, xã");
  const auto& s = sheets[0];
  CHECK(s.header_frozen);
  CHECK(sheets[1].header_frozen);
  CHECK(s.rows() == 3);
  CHECK(s.at("A1")->text == "Mã trường");
  CHECK(s.at("C1")->text == "Tỷ lệ có số định danh");
  CHECK(s.at("A2")->text == "HP-THCS-0012");
  CHECK_FALSE(s.at("A2")->number);
  CHECK(s.at("B2")->number);
  CHECK(s.at("B2")->text == "1234");
  CHECK(s.at("B2")->format == "#,##0");
  CHECK(s.at("C2")->number);
  CHECK(s.at("C2")->text == "0.986");
  CHECK(s.at("C2")->format == "0.0%");
  // 30 September 2025 is Excel day 45930.
  CHECK(s.at("D2")->text == "45930");
  CHECK(s.at("D2")->format == "dd/mm/yyyy");
  CHECK(s.at("C3") == nullptr);  // an empty cell stays empty
  CHECK(s.at("D3")->text == "=HYPERLINK(\"x\")");
  CHECK_FALSE(s.at("D3")->number);
  CHECK(sheets[1].at("B2")->text == "2");
}
