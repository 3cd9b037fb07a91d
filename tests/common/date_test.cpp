#include <catch2/catch.hpp>

#include "hub/common/date.h"

using hub::Date;

TEST_CASE("Date validity knows leap years and month lengths", "[date]") {
  CHECK(Date{2024, 2, 29}.valid());
  CHECK_FALSE(Date{2025, 2, 29}.valid());
  CHECK_FALSE(Date{2025, 2, 31}.valid());
  CHECK_FALSE(Date{1900, 2, 29}.valid());
  CHECK(Date{2000, 2, 29}.valid());
}

TEST_CASE("Date day numbers round-trip", "[date]") {
  CHECK(Date{1970, 1, 1}.days_since_epoch() == 0);
  CHECK(Date{2025, 9, 30}.days_since_epoch() - Date{2025, 5, 31}.days_since_epoch() == 122);
  for (long d = -800000; d < 800000; d += 997) CHECK(Date::from_days(d).days_since_epoch() == d);
}

TEST_CASE("Date::parse_iso is strict", "[date]") {
  REQUIRE(Date::parse_iso("2025-09-30"));
  CHECK(Date::parse_iso("2025-09-30")->iso() == "2025-09-30");
  CHECK_FALSE(Date::parse_iso("2025-02-30"));
  CHECK_FALSE(Date::parse_iso("2025-9-30"));
  CHECK_FALSE(Date::parse_iso("30/09/2025"));
}
