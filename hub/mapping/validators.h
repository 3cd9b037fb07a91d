#pragma once
// Field validators and canonicalisers for vendor data: numbers written the Vietnamese way
// ("8,5"), scores, school years, phone numbers, e-mail addresses and the 12-digit personal ID
// (CCCD / số định danh cá nhân). Each returns the canonical value or an Error with a stable code;
// messages describe the shape of a bad value and never repeat a personal ID, phone number or
// e-mail address. All functions are pure and thread-safe (the personal-ID prefix predicate must
// be thread-safe too if callers share it between threads).
//
// Error codes:
//   number.format, number.not_integer, number.out_of_range
//   score.format, score.out_of_range
//   school_year.format, school_year.not_consecutive
//   phone.format
//   email.format
//   personal_id.format, personal_id.province, personal_id.birth_year_mismatch,
//   personal_id.gender_mismatch, personal_id.bad_gender (the caller passed a gender other
//   than 'M'/'F')

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "hub/common/date.h"
#include "hub/common/masking.h"
#include "hub/common/result.h"

namespace hub::validate {

// The ASCII digits of s, in order ("0912.345.678" -> "0912345678").
std::string digits_only(std::string_view s);

// A decimal number as vendors write it, surrounding white space ignored. Rule, chosen so that a
// value is never read with the wrong separator silently:
//   - an optional sign, digits, at most one decimal separator with digits on both sides;
//   - a single ',' or '.' is the decimal separator ("8,5" = "8.5" = 8.5; note "1.234" = 1.234);
//   - when both appear, the last one is the decimal separator and the other must group the
//     integer digits in threes ("1.234,5" = "1,234.5" = 1234.5; "12.34,5" is an error);
//   - repeated separators of one kind alone ("1.234.567"), exponents, "inf"/"nan", ".5" and
//     "5." are errors.
// Error "number.format" (or "number.out_of_range" beyond double range).
Result<double> parse_decimal(std::string_view s);

// An integer; a decimal spelling with a zero fraction is accepted ("8,0" -> 8) because
// spreadsheet exports write integers that way. Errors: "number.format", "number.not_integer"
// ("8.5"), "number.out_of_range" (beyond 64-bit).
Result<long long> parse_integer(std::string_view s);

// Inclusive bounds; either may be absent. NaN is always out of range. "number.out_of_range".
Status check_range(double v, std::optional<double> min, std::optional<double> max);

// A mark on the 0-10 scale: ',' or '.' as decimal separator, at most 2 decimals, 0 and 10
// included. Errors "score.format", "score.out_of_range".
Result<double> score(std::string_view s);

// A school year in canonical "2025-2026" form. Accepts "2025-2026", "2025 - 2026", "2025/2026",
// "2025–2026" (en dash) and "2025-26"; the first year must be 1900-2099 and the second must be
// the next year. Errors "school_year.format", "school_year.not_consecutive".
Result<std::string> school_year(std::string_view s);

// A Vietnamese phone number in canonical national form with the trunk 0. Spaces, dots, dashes
// and parentheses are removed; "+84", "0084" and a bare "84" country code become "0"; a "0" after
// the country code ("+84 0912...") is tolerated. Mobile numbers (03, 05, 07, 08, 09) have 10
// digits ("0912345678"). Landlines (02 + area code + subscriber) have 11 digits since the 2017
// renumbering ("02253xxxxxx" in Hải Phòng, "024xxxxxxxx" in Hà Nội). A mobile number with the
// leading 0 lost by a spreadsheet (9 digits starting 3/5/7/8/9) or a landline with it lost (10
// digits starting 2) gets it back. Anything else (foreign numbers, old 11-digit 01x mobiles,
// 1800/1900 service numbers, two numbers in one field) is "phone.format".
Result<std::string> phone(std::string_view s);

// An e-mail address, trimmed, with the domain lower-cased (the local part is kept as written).
// Accepts dot-atom local parts (letters, digits, !#$%&'*+/=?^_`{|}~- and single dots inside)
// and an ASCII domain of at least two labels (letters, digits, inner hyphens; a letters-only or
// "xn--" top-level label). Quoted local parts and non-ASCII addresses are rejected. "email.format".
Result<std::string> email(std::string_view s);

// What the 12-digit personal ID encodes: PPP (province where the birth was registered), G
// (century and gender), YY (birth year), then 6 random digits with no check digit.
struct PersonalIdInfo {
  std::string province_prefix;    // "031"
  char gender = 'M';              // 'M' or 'F'
  int birth_century_start = 0;    // 1900, 2000, ...
  int birth_year_two_digits = 0;  // 0-99
};

// Structure check of a personal ID, surrounding white space ignored; nothing is stripped from
// inside it, since a letter or separator means the value was mistyped or is another document.
// is_known_prefix says whether PPP is a province-of-birth-registration code (built by the caller
// from the catalog); an empty function skips that check, for tools that have no catalog.
// Errors "personal_id.format", "personal_id.province".
Result<PersonalIdInfo> personal_id(std::string_view id,
                                   const std::function<bool(std::string_view prefix)>& is_known_prefix);

// Whether the ID agrees with the record: birth year (century digit + YY) and gender, each
// checked only when given. Gender is 'M' or 'F' (lower case accepted). Errors
// "personal_id.birth_year_mismatch", "personal_id.gender_mismatch", "personal_id.bad_gender".
Status personal_id_consistent(const PersonalIdInfo& info, std::optional<Date> birth_date,
                              std::optional<char> gender);

// For logs and error messages: a well-formed 12-digit ID keeps its first 3 and last 2 digits
// ("031*******45"); anything else is fully masked, one '*' per character (at most 20).
std::string mask_personal_id(std::string_view id);

// Masks personal IDs in free text (hub/common/masking.h).
using hub::mask_personal_ids_in_text;

}  // namespace hub::validate
