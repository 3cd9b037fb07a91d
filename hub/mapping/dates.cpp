#include "hub/mapping/dates.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>

#include "hub/mapping/text.h"

namespace hub::dates {
namespace {

enum class Field { kDay, kMonth, kYear, kLiteral };

struct Token {
  Field field = Field::kLiteral;
  int min_digits = 0;
  int max_digits = 0;
  char literal = 0;
};

constexpr std::string_view kIso = "iso";
constexpr std::string_view kExcel = "excel";

const char* const kMonthNames[] = {"January", "February", "March",     "April",
                                   "May",     "June",     "July",      "August",
                                   "September", "October", "November", "December"};

Error bad_format(std::string_view format, std::string reason) {
  return make_error("date.bad_format",
                    "the date format '" + std::string(format) + "' is invalid: " + reason);
}

Result<std::vector<Token>> compile(std::string_view format) {
  if (format.empty()) return bad_format(format, "it is empty");
  std::vector<Token> tokens;
  int days = 0, months = 0, years = 0;
  std::size_t i = 0;
  while (i < format.size()) {
    char c = format[i];
    if (c == 'd' || c == 'm' || c == 'y') {
      std::size_t j = i;
      while (j < format.size() && format[j] == c) ++j;
      std::size_t run = j - i;
      Token t;
      if (c == 'd' || c == 'm') {
        if (run > 2)
          return bad_format(format, "'" + std::string(run, c) + "' is not a field; use " + c +
                                        " or " + std::string(2, c));
        t.field = c == 'd' ? Field::kDay : Field::kMonth;
        t.min_digits = static_cast<int>(run);
        t.max_digits = 2;
        ++(c == 'd' ? days : months);
      } else {
        if (run != 2 && run != 4)
          return bad_format(format, "'" + std::string(run, 'y') + "' is not a field; use yy or yyyy");
        t.field = Field::kYear;
        t.min_digits = t.max_digits = static_cast<int>(run);
        ++years;
      }
      tokens.push_back(t);
      i = j;
      continue;
    }
    unsigned char uc = static_cast<unsigned char>(c);
    bool separator = uc >= 0x20 && uc < 0x7F && !std::isalnum(uc);
    if (!separator)
      return bad_format(format, std::string("only d, m, y and punctuation separators are allowed, ") +
                                    "found " + (uc >= 0x80 ? std::string("a non-ASCII character")
                                                           : "'" + std::string(1, c) + "'"));
    Token t;
    t.literal = c;
    tokens.push_back(t);
    ++i;
  }
  if (days != 1 || months != 1 || years != 1)
    return bad_format(format, "it needs exactly one day (d/dd), one month (m/mm) and one year (yy/yyyy)");
  for (std::size_t k = 0; k + 1 < tokens.size(); ++k) {
    if (tokens[k].field != Field::kLiteral && tokens[k].min_digits != tokens[k].max_digits &&
        tokens[k + 1].field != Field::kLiteral)
      return bad_format(format, "a one-or-two digit field (d or m) must be followed by a separator");
  }
  return tokens;
}

// Mappings name a handful of formats and every record parses with them: compile each once per
// thread instead of once per value. Bounded, since formats come from mapping files, not data.
const Result<std::vector<Token>>& compiled(std::string_view format) {
  thread_local std::vector<std::pair<std::string, Result<std::vector<Token>>>> cache;
  for (const auto& entry : cache)
    if (entry.first == format) return entry.second;
  if (cache.size() >= 64) cache.clear();
  cache.emplace_back(std::string(format), compile(format));
  return cache.back().second;  // valid until this thread's next call
}

Error format_error(std::string_view value, std::string_view format, std::size_t offset,
                   std::string expected) {
  Error e = make_error("date.format", "the value does not match the date format '" +
                                          std::string(format) + "': expected " + expected +
                                          " at character " + std::to_string(offset + 1) +
                                          " (the value looks like '" + text::value_shape(value) + "')");
  e.offset = offset;
  return e;
}

// Range first: a year outside 1900-2100 is the more useful thing to report. `format` names the
// date format the value was read with (or what else it came from, e.g. "Excel serial 45000").
Result<Date> checked(int year, int month, int day, std::string_view format) {
  auto source = [format] {
    return format.rfind("Excel", 0) == 0 ? std::string(format) : "format " + std::string(format);
  };
  if (year < kMinYear || year > kMaxYear)
    return make_error("date.out_of_range", "the year " + std::to_string(year) + " is outside " +
                                               std::to_string(kMinYear) + "-" +
                                               std::to_string(kMaxYear) + " (" + source() + ")");
  if (month < 1 || month > 12)
    return make_error("date.impossible", "month " + std::to_string(month) +
                                             " does not exist (" + source() + ")");
  Date d{year, month, day};
  if (!d.valid())
    return make_error("date.impossible",
                      "day " + std::to_string(day) + " does not exist in " +
                          kMonthNames[month - 1] + " " + std::to_string(year) + ", which has " +
                          std::to_string(days_in_month(year, month)) + " days (" + source() +
                          ")");
  return d;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Result<Date> parse_iso(std::string_view v, std::size_t lead) {
  static constexpr std::string_view kPattern = "NNNN-NN-NN";
  for (std::size_t i = 0; i < kPattern.size(); ++i) {
    bool fits = i < v.size() && (kPattern[i] == 'N' ? is_digit(v[i]) : v[i] == kPattern[i]);
    if (!fits)
      return format_error(v, kIso, lead + i,
                          kPattern[i] == 'N' ? std::string("a digit") : std::string("'-'"));
  }
  if (v.size() > kPattern.size()) {
    std::size_t t = kPattern.size();
    if (v[t] != 'T' || t + 1 >= v.size() || !is_digit(v[t + 1]))
      return format_error(v, kIso, lead + t, "the end of the value or 'T' and a time");
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int out = 0;
    std::from_chars(v.data() + pos, v.data() + pos + len, out);
    return out;
  };
  return checked(num(0, 4), num(5, 2), num(8, 2), "iso");
}

Result<Date> parse_excel(std::string_view v, std::size_t lead) {
  std::size_t i = 0;
  while (i < v.size() && is_digit(v[i])) ++i;
  bool ok = i > 0;
  if (ok && i < v.size()) {
    ok = v[i] == '.' && i + 1 < v.size();
    for (std::size_t j = i + 1; ok && j < v.size(); ++j) ok = is_digit(v[j]);
  }
  if (!ok)
    return format_error(v, kExcel, lead + i, "a serial day number such as 45000 or 45000.5");
  double serial = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), serial);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size())
    return format_error(v, kExcel, lead, "a serial day number such as 45000 or 45000.5");
  return from_excel_serial(serial);
}

}  // namespace

Status check_format(std::string_view format) {
  if (format == kIso || format == kExcel) return Status::Ok();
  auto tokens = compile(format);
  if (!tokens.ok()) return tokens.error();
  return Status::Ok();
}

Result<Date> from_excel_serial(double serial) {
  if (!std::isfinite(serial))
    return make_error("date.format", "the Excel serial day number is not a finite number");
  if (serial < 1)
    return make_error("date.out_of_range",
                      "an Excel serial day number below 1 is before 1900-01-01");
  // Well past 2100; keeps the conversion to long exact.
  if (serial > 1e7)
    return make_error("date.out_of_range", "the Excel serial day number is after the year 2100");
  long whole = static_cast<long>(std::floor(serial));
  if (whole == 60)
    return make_error("date.impossible",
                      "Excel serial day 60 is 1900-02-29, a day that does not exist (Excel "
                      "counts it for compatibility with Lotus 1-2-3)");
  // Serials from 61 on are one day too high because of the fictitious 29 February 1900.
  static const long kDay0 = Date{1899, 12, 31}.days_since_epoch();
  Date d = Date::from_days(kDay0 + whole - (whole > 60 ? 1 : 0));
  return checked(d.year, d.month, d.day, "Excel serial " + std::to_string(whole));
}

Result<Date> parse_date(std::string_view value, std::string_view format, int two_digit_pivot) {
  if (two_digit_pivot < 0 || two_digit_pivot > 100)
    return make_error("date.bad_pivot", "the two-digit year pivot " +
                                            std::to_string(two_digit_pivot) +
                                            " is outside 0-100");
  std::string_view v = text::trim(value);
  std::size_t lead = static_cast<std::size_t>(v.data() - value.data());
  if (format == kIso) return parse_iso(v, lead);
  if (format == kExcel) return parse_excel(v, lead);

  const auto& tokens = compiled(format);
  if (!tokens.ok()) return tokens.error();
  int day = 0, month = 0, year = 0;
  bool two_digit_year = false;
  std::size_t pos = 0;
  for (const Token& t : *tokens) {
    if (t.field == Field::kLiteral) {
      if (pos >= v.size() || v[pos] != t.literal)
        return format_error(v, format, lead + pos, "'" + std::string(1, t.literal) + "'");
      ++pos;
      continue;
    }
    int n = 0, got = 0;
    while (got < t.max_digits && pos < v.size() && is_digit(v[pos])) {
      n = n * 10 + (v[pos] - '0');
      ++pos;
      ++got;
    }
    if (got < t.min_digits) {
      const char* what = t.field == Field::kDay ? "day" : t.field == Field::kMonth ? "month" : "year";
      std::string width = t.min_digits == t.max_digits ? std::to_string(t.min_digits) + "-digit"
                                                       : "1- or 2-digit";
      return format_error(v, format, lead + pos - static_cast<std::size_t>(got),
                          "a " + width + " " + what);
    }
    switch (t.field) {
      case Field::kDay: day = n; break;
      case Field::kMonth: month = n; break;
      default:
        year = n;
        two_digit_year = t.max_digits == 2;
        break;
    }
  }
  if (pos != v.size()) return format_error(v, format, lead + pos, "the end of the value");
  if (two_digit_year) year += year < two_digit_pivot ? 2000 : 1900;
  return checked(year, month, day, format);
}

Result<Date> parse_date_any(std::string_view value, const std::vector<std::string>& formats,
                            int pivot) {
  if (formats.empty())
    return make_error("date.bad_format", "no date formats are configured for this field");
  // Higher is closer to fitting: a date that parsed but is not real beats a shape mismatch.
  auto closeness = [](const Error& e) -> std::size_t {
    if (e.code == "date.impossible" || e.code == "date.out_of_range") return SIZE_MAX;
    if (e.code == "date.format") return e.offset + 1;
    return 0;
  };
  std::optional<Error> best;
  std::string names;
  for (const auto& f : formats) {
    auto r = parse_date(value, f, pivot);
    if (r.ok()) return r;
    if (r.error().code == "date.bad_format" || r.error().code == "date.bad_pivot")
      return r.error();
    if (!best || closeness(r.error()) > closeness(*best)) best = r.error();
    names += names.empty() ? "" : ", ";
    names += f;
  }
  if (formats.size() == 1) return *best;
  Error e = *best;
  e.message = "none of the date formats " + names + " fits; closest: " + e.message;
  return e;
}

}  // namespace hub::dates
