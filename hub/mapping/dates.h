#pragma once
// Date parsing for mapped fields. Each mapping names the format of each date field explicitly,
// because "03/04/2025" means 3 April to a Vietnamese vendor and 4 March to an American export;
// nothing here guesses a format or rolls an impossible date over into the next month.
// All functions are pure and thread-safe.
//
// Format strings: d, dd (day), m, mm (month), yy, yyyy (year) and single-character separators
// (ASCII punctuation or space), e.g. "dd/mm/yyyy", "d/m/yy", "dd.mm.yyyy", "yyyymmdd". "dd",
// "mm", "yy", "yyyy" need exactly that many digits; "d" and "m" take one or two, so they must be
// followed by a separator or end the format. Two keywords:
//   iso    YYYY-MM-DD, optionally followed by "T" and a time/zone that is ignored (the date
//          is taken as written, not converted between zones).
//   excel  an Excel serial day number (1900 date system) as text, e.g. "45000" or "45000.5";
//          the time-of-day fraction is dropped.
//
// Error codes:
//   date.format        the value does not fit the format (message names the format; offset is
//                      the byte in the value where it stopped fitting)
//   date.impossible    fits the format but is no calendar day (31/02/2025, 29/02/2023, month 13,
//                      Excel serial 60)
//   date.out_of_range  year before 1900 or after 2100
//   date.bad_format    the format string itself is invalid (a mapping error, not a data error)
//   date.bad_pivot     two_digit_pivot outside 0..100

#include <string>
#include <string_view>
#include <vector>

#include "hub/common/date.h"
#include "hub/common/result.h"

namespace hub::dates {

inline constexpr int kMinYear = 1900;
inline constexpr int kMaxYear = 2100;
inline constexpr int kDefaultTwoDigitPivot = 50;

// Parses `value` (surrounding white space ignored) with one format. Two-digit years below
// `two_digit_pivot` are 20yy, the others 19yy (pivot 50: "49" -> 2049, "50" -> 1950).
Result<Date> parse_date(std::string_view value, std::string_view format,
                        int two_digit_pivot = kDefaultTwoDigitPivot);

// Tries the formats in order and returns the first that yields a real date, so the order in
// the mapping decides ambiguous values. When none fits, the error is the one from the format
// that came closest (a real-looking but impossible date beats a shape mismatch; among shape
// mismatches the one that matched furthest wins), with all formats named in the message.
Result<Date> parse_date_any(std::string_view value, const std::vector<std::string>& formats,
                            int pivot = kDefaultTwoDigitPivot);

// Excel 1900 date system: 1 = 1900-01-01, 59 = 1900-02-28, 60 is Excel's fictitious 1900-02-29
// (date.impossible), 61 = 1900-03-01. The fractional part (time of day) is dropped. The 1904
// (old Mac) date system is not supported.
Result<Date> from_excel_serial(double serial);

// Validates a format string when a mapping is loaded, so bad formats fail at start-up rather
// than on every record. Error "date.bad_format".
Status check_format(std::string_view format);

}  // namespace hub::dates
