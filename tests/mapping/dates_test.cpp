#include <catch2/catch.hpp>

#include "hub/mapping/dates.h"

using hub::Date;
using namespace hub::dates;

namespace {

std::string iso_of(const hub::Result<Date>& r) { return r.ok() ? r->iso() : "error:" + r.error().code; }
std::string code_of(const hub::Result<Date>& r) { return r.ok() ? "ok" : r.error().code; }

}  // namespace

TEST_CASE("parse_date reads Vietnamese day-first formats", "[dates]") {
  CHECK(iso_of(parse_date("30/09/2025", "dd/mm/yyyy")) == "2025-09-30");
  CHECK(iso_of(parse_date("  05/01/2010 ", "dd/mm/yyyy")) == "2010-01-05");
  CHECK(iso_of(parse_date("5/1/2010", "d/m/yyyy")) == "2010-01-05");
  CHECK(iso_of(parse_date("05/01/2010", "d/m/yyyy")) == "2010-01-05");
  CHECK(iso_of(parse_date("15-08-2009", "dd-mm-yyyy")) == "2009-08-15");
  CHECK(iso_of(parse_date("15.08.2009", "dd.mm.yyyy")) == "2009-08-15");
  CHECK(iso_of(parse_date("2009-08-15", "yyyy-mm-dd")) == "2009-08-15");
  CHECK(iso_of(parse_date("20090815", "yyyymmdd")) == "2009-08-15");
  // Month-first only when the mapping says so.
  CHECK(iso_of(parse_date("08/15/2009", "mm/dd/yyyy")) == "2009-08-15");
  CHECK(iso_of(parse_date("03/04/2025", "dd/mm/yyyy")) == "2025-04-03");
  CHECK(iso_of(parse_date("03/04/2025", "mm/dd/yyyy")) == "2025-03-04");
}

TEST_CASE("parse_date rejects values that do not fit the format", "[dates]") {
  // dd means exactly two digits; only d accepts one.
  auto r = parse_date("5/1/2010", "dd/mm/yyyy");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "date.format");
  CHECK(r.error().message.find("dd/mm/yyyy") != std::string::npos);
  // The message describes the shape, not the birth date itself.
  CHECK(r.error().message.find("5/1/2010") == std::string::npos);
  CHECK(code_of(parse_date("2010-01-05", "dd/mm/yyyy")) == "date.format");
  CHECK(code_of(parse_date("05/01/2010 x", "dd/mm/yyyy")) == "date.format");
  CHECK(code_of(parse_date("05/01/20100", "dd/mm/yyyy")) == "date.format");
  CHECK(code_of(parse_date("05/01/10", "dd/mm/yyyy")) == "date.format");
  CHECK(code_of(parse_date("05 / 01 / 2010", "dd/mm/yyyy")) == "date.format");
  CHECK(code_of(parse_date("", "dd/mm/yyyy")) == "date.format");
  CHECK(code_of(parse_date("ngày 5/1/2010", "d/m/yyyy")) == "date.format");
  CHECK(code_of(parse_date("123/1/2010", "d/m/yyyy")) == "date.format");
  // The offset points at the byte where the value stopped fitting (after trimming one space).
  auto off = parse_date(" 05-01-2010", "dd/mm/yyyy");
  REQUIRE_FALSE(off.ok());
  CHECK(off.error().offset == 3);
}

TEST_CASE("parse_date never rolls an impossible date over", "[dates]") {
  CHECK(code_of(parse_date("31/02/2025", "dd/mm/yyyy")) == "date.impossible");
  CHECK(code_of(parse_date("29/02/2023", "dd/mm/yyyy")) == "date.impossible");
  CHECK(code_of(parse_date("31/04/2025", "dd/mm/yyyy")) == "date.impossible");
  CHECK(code_of(parse_date("00/01/2025", "dd/mm/yyyy")) == "date.impossible");
  CHECK(code_of(parse_date("15/13/2025", "dd/mm/yyyy")) == "date.impossible");
  CHECK(code_of(parse_date("15/00/2025", "dd/mm/yyyy")) == "date.impossible");
  auto r = parse_date("29/02/2023", "dd/mm/yyyy");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("February 2023") != std::string::npos);
}

TEST_CASE("parse_date knows the Gregorian leap-year rule", "[dates]") {
  CHECK(iso_of(parse_date("29/02/2024", "dd/mm/yyyy")) == "2024-02-29");
  CHECK(iso_of(parse_date("29/02/2000", "dd/mm/yyyy")) == "2000-02-29");
  CHECK(code_of(parse_date("29/02/1900", "dd/mm/yyyy")) == "date.impossible");
  CHECK(code_of(parse_date("29/02/2100", "dd/mm/yyyy")) == "date.impossible");
  CHECK(iso_of(parse_date("29/2/08", "d/m/yy")) == "2008-02-29");
}

TEST_CASE("parse_date limits years to 1900-2100", "[dates]") {
  CHECK(code_of(parse_date("31/12/1899", "dd/mm/yyyy")) == "date.out_of_range");
  CHECK(code_of(parse_date("01/01/2101", "dd/mm/yyyy")) == "date.out_of_range");
  CHECK(code_of(parse_date("0215-03-01", "yyyy-mm-dd")) == "date.out_of_range");
  CHECK(iso_of(parse_date("01/01/1900", "dd/mm/yyyy")) == "1900-01-01");
  CHECK(iso_of(parse_date("31/12/2100", "dd/mm/yyyy")) == "2100-12-31");
}

TEST_CASE("two-digit years follow the pivot", "[dates]") {
  CHECK(iso_of(parse_date("5/1/10", "d/m/yy")) == "2010-01-05");
  CHECK(iso_of(parse_date("5/1/49", "d/m/yy")) == "2049-01-05");
  CHECK(iso_of(parse_date("5/1/50", "d/m/yy")) == "1950-01-05");
  CHECK(iso_of(parse_date("5/1/99", "d/m/yy")) == "1999-01-05");
  CHECK(iso_of(parse_date("5/1/00", "d/m/yy")) == "2000-01-05");
  // A birth-date field where nobody can be born in the future uses a lower pivot.
  CHECK(iso_of(parse_date("5/1/30", "d/m/yy", 26)) == "1930-01-05");
  CHECK(iso_of(parse_date("5/1/25", "d/m/yy", 26)) == "2025-01-05");
  CHECK(iso_of(parse_date("5/1/99", "d/m/yy", 100)) == "2099-01-05");
  CHECK(iso_of(parse_date("5/1/00", "d/m/yy", 0)) == "1900-01-05");
  CHECK(code_of(parse_date("5/1/10", "d/m/yy", 101)) == "date.bad_pivot");
  CHECK(code_of(parse_date("5/1/10", "d/m/yy", -1)) == "date.bad_pivot");
}

TEST_CASE("the iso keyword ignores a trailing time and zone", "[dates]") {
  CHECK(iso_of(parse_date("2025-09-30", "iso")) == "2025-09-30");
  CHECK(iso_of(parse_date("2025-09-30T08:15:00+07:00", "iso")) == "2025-09-30");
  // The date is taken as written, not shifted to UTC.
  CHECK(iso_of(parse_date("2025-09-30T23:30:00-05:00", "iso")) == "2025-09-30");
  CHECK(iso_of(parse_date("2025-09-30T00:00:00Z", "iso")) == "2025-09-30");
  CHECK(code_of(parse_date("2025-9-30", "iso")) == "date.format");
  CHECK(code_of(parse_date("2025-09-30 08:15", "iso")) == "date.format");
  CHECK(code_of(parse_date("2025-09-30T", "iso")) == "date.format");
  CHECK(code_of(parse_date("30/09/2025", "iso")) == "date.format");
  CHECK(code_of(parse_date("2025-02-29T00:00:00Z", "iso")) == "date.impossible");
}

TEST_CASE("Excel serial numbers handle the 1900 leap-year bug", "[dates]") {
  CHECK(iso_of(from_excel_serial(1)) == "1900-01-01");
  CHECK(iso_of(from_excel_serial(59)) == "1900-02-28");
  CHECK(code_of(from_excel_serial(60)) == "date.impossible");
  CHECK(iso_of(from_excel_serial(61)) == "1900-03-01");
  CHECK(iso_of(from_excel_serial(45000)) == "2023-03-15");
  CHECK(iso_of(from_excel_serial(45000.75)) == "2023-03-15");
  CHECK(iso_of(from_excel_serial(40179)) == "2010-01-01");
  CHECK(iso_of(from_excel_serial(73415)) == "2100-12-31");
  CHECK(code_of(from_excel_serial(73416)) == "date.out_of_range");
  CHECK(code_of(from_excel_serial(0)) == "date.out_of_range");
  CHECK(code_of(from_excel_serial(-5)) == "date.out_of_range");
  CHECK(code_of(from_excel_serial(1e300)) == "date.out_of_range");
  CHECK(code_of(from_excel_serial(std::nan(""))) == "date.format");

  CHECK(iso_of(parse_date("45000", "excel")) == "2023-03-15");
  CHECK(iso_of(parse_date(" 45000.5 ", "excel")) == "2023-03-15");
  CHECK(code_of(parse_date("60", "excel")) == "date.impossible");
  CHECK(code_of(parse_date("4.5e4", "excel")) == "date.format");
  CHECK(code_of(parse_date("-45000", "excel")) == "date.format");
  CHECK(code_of(parse_date("45000.", "excel")) == "date.format");
  CHECK(code_of(parse_date("15/03/2023", "excel")) == "date.format");
}

TEST_CASE("parse_date_any takes the first format that yields a real date", "[dates]") {
  std::vector<std::string> formats{"dd/mm/yyyy", "yyyy-mm-dd", "excel"};
  CHECK(iso_of(parse_date_any("03/04/2025", formats)) == "2025-04-03");
  CHECK(iso_of(parse_date_any("2025-04-03", formats)) == "2025-04-03");
  CHECK(iso_of(parse_date_any("45000", formats)) == "2023-03-15");
  // Order decides ambiguity.
  CHECK(iso_of(parse_date_any("03/04/2025", {"mm/dd/yyyy", "dd/mm/yyyy"})) == "2025-03-04");
  // A value that looks like a date but is impossible reports date.impossible, not date.format.
  auto r = parse_date_any("31/02/2025", formats);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "date.impossible");
  CHECK(r.error().message.find("dd/mm/yyyy, yyyy-mm-dd, excel") != std::string::npos);
  auto none = parse_date_any("hôm qua", formats);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().code == "date.format");
  // Among shape mismatches the format that got furthest is reported.
  auto far = parse_date_any("2025-04-3", {"dd/mm/yyyy", "yyyy-mm-dd"});
  REQUIRE_FALSE(far.ok());
  CHECK(far.error().offset == 8);
  CHECK(code_of(parse_date_any("03/04/2025", {})) == "date.bad_format");
  CHECK(code_of(parse_date_any("03/04/2025", {"dd/mm/yyyy", "qq"})) == "ok");
  CHECK(code_of(parse_date_any("2025-04-03", {"dd/mm/yyyy", "qq"})) == "date.bad_format");
}

TEST_CASE("check_format validates mapping formats at load time", "[dates]") {
  for (const char* ok : {"dd/mm/yyyy", "d/m/yyyy", "d/m/yy", "dd-mm-yyyy", "dd.mm.yyyy",
                         "yyyy-mm-dd", "yyyymmdd", "mm/dd/yyyy", "iso", "excel", "dd mm yyyy"}) {
    INFO(ok);
    CHECK(check_format(ok).ok());
  }
  for (const char* bad : {"", "dd/mm", "dd/mm/yyy", "ddd/mm/yyyy", "dd/mm/yyyy/dd", "DD/MM/YYYY",
                          "dm/yyyy", "dmyyyy", "dd/mm/yyyy hh", "ISO", "dd–mm–yyyy"}) {
    INFO(bad);
    auto s = check_format(bad);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == "date.bad_format");
  }
  CHECK(code_of(parse_date("30/09/2025", "dd/mm/yyyyy")) == "date.bad_format");
}
