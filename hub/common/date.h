#pragma once
// Date: a calendar date without time zone (birth dates, effective dates, cut-offs, catalog
// validity). A plain value type; thread-safe as any value.

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace hub {

struct Date {
  int year = 0;
  int month = 0;
  int day = 0;

  auto operator<=>(const Date&) const = default;

  // True for a real proleptic-Gregorian date (no 31/02, 29/02 only in leap years).
  bool valid() const;
  // "YYYY-MM-DD".
  std::string iso() const;
  // Days since 1970-01-01 (negative before); the inverse is from_days.
  long days_since_epoch() const;
  static Date from_days(long days);
  // Strict "YYYY-MM-DD"; nullopt when malformed or impossible.
  static std::optional<Date> parse_iso(std::string_view s);
  // Today in UTC.
  static Date today();
};

bool is_leap_year(int year);
int days_in_month(int year, int month);

}  // namespace hub
