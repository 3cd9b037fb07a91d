#include "hub/mapping/validators.h"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>

#include "hub/mapping/text.h"

namespace hub::validate {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}

// Shortest round-trip spelling, so "10" stays "10" and 0.1 stays "0.1" in messages.
std::string format_number(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

Error number_error(std::string_view v, std::string why) {
  return make_error("number.format", "the value is not a number: " + why + " (the value looks like '" +
                                         text::value_shape(v) + "')");
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c)) return true;
  return std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}

bool is_ldh(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-'; }

}  // namespace

std::string digits_only(std::string_view s) {
  std::string out;
  for (char c : s)
    if (is_digit(c)) out.push_back(c);
  return out;
}

Result<double> parse_decimal(std::string_view s) {
  std::string_view v = text::trim(s);
  std::string_view body = v;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return number_error(v, "it has no digits");
  std::size_t dots = 0, commas = 0;
  for (char c : body) {
    if (c == '.') ++dots;
    else if (c == ',') ++commas;
    else if (!is_digit(c)) return number_error(v, "only digits, one sign and ',' or '.' are allowed");
  }
  std::string_view int_part = body, frac_part;
  bool has_decimal = false;
  if (dots + commas > 0) {
    std::size_t last = body.find_last_of(".,");
    char dec = body[last];
    if ((dec == '.' ? dots : commas) != 1)
      return number_error(v, std::string("'") + dec +
                                 "' appears more than once, so it is neither a decimal separator "
                                 "nor an unambiguous thousands separator");
    has_decimal = true;
    int_part = body.substr(0, last);
    frac_part = body.substr(last + 1);
    if (int_part.empty() || frac_part.empty() || !all_digits(frac_part))
      return number_error(v, "the decimal separator needs digits on both sides");
  }
  std::string digits;
  if (int_part.find_first_of(".,") != std::string_view::npos) {
    // Thousands groups: 1-3 digits, then groups of exactly 3.
    std::size_t start = 0;
    bool first = true;
    while (true) {
      std::size_t sep = int_part.find_first_of(".,", start);
      std::string_view group = int_part.substr(start, sep == std::string_view::npos ? sep : sep - start);
      bool ok = all_digits(group) && (first ? group.size() <= 3 : group.size() == 3);
      if (!ok) return number_error(v, "thousands separators must group the digits in threes");
      digits.append(group);
      first = false;
      if (sep == std::string_view::npos) break;
      start = sep + 1;
    }
  } else {
    if (!all_digits(int_part)) return number_error(v, "it has no digits before the separator");
    digits.append(int_part);
  }
  if (has_decimal) {
    digits.push_back('.');
    digits.append(frac_part);
  }
  double out = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  if (r.ec == std::errc::result_out_of_range || !std::isfinite(out))
    return make_error("number.out_of_range", "the number has too many digits to be represented");
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size())
    return number_error(v, "it could not be read");
  return negative ? -out : out;
}

Result<long long> parse_integer(std::string_view s) {
  std::string_view v = text::trim(s);
  // from_chars takes '-' but not '+', and must see exactly one sign at most.
  std::string_view number = !v.empty() && v[0] == '+' ? v.substr(1) : v;
  std::string_view unsigned_digits = !v.empty() && (v[0] == '+' || v[0] == '-') ? v.substr(1) : v;
  if (all_digits(unsigned_digits)) {
    long long out = 0;
    auto r = std::from_chars(number.data(), number.data() + number.size(), out);
    if (r.ec == std::errc::result_out_of_range)
      return make_error("number.out_of_range", "the integer does not fit in 64 bits");
    if (r.ec == std::errc() && r.ptr == number.data() + number.size()) return out;
  }
  auto d = parse_decimal(v);
  if (!d.ok()) return d.error();
  if (std::trunc(*d) != *d)
    return make_error("number.not_integer", "the value " + format_number(*d) +
                                                " has a fractional part where an integer is expected");
  // Beyond 2^53 a double no longer holds every integer, so the decimal spelling is not exact.
  constexpr double kExact = 9007199254740992.0;
  if (std::fabs(*d) > kExact)
    return make_error("number.out_of_range", "the integer is too large to be read exactly");
  return static_cast<long long>(*d);
}

Status check_range(double v, std::optional<double> min, std::optional<double> max) {
  bool below = min && !(v >= *min);
  bool above = max && !(v <= *max);
  if (std::isnan(v)) below = above = true;
  if (!below && !above) return Status::Ok();
  std::string bounds = min && max ? "between " + format_number(*min) + " and " + format_number(*max)
                       : min      ? "at least " + format_number(*min)
                       : max      ? "at most " + format_number(*max)
                                  : "a number";
  return make_error("number.out_of_range",
                    "the value " + format_number(v) + " is out of range: it must be " + bounds +
                        " (bounds included)");
}

Result<double> score(std::string_view s) {
  std::string_view v = text::trim(s);
  std::string_view body = v;
  bool negative = !body.empty() && body[0] == '-';
  if (negative) body.remove_prefix(1);
  std::size_t sep = body.find_first_of(".,");
  std::string_view int_part = body.substr(0, sep);
  std::string_view frac_part = sep == std::string_view::npos ? std::string_view() : body.substr(sep + 1);
  auto fail = [&](std::string why) {
    return make_error("score.format", "the score is not a number on the 0-10 scale: " + why +
                                          " (the value looks like '" + text::value_shape(v) + "')");
  };
  if (!all_digits(int_part) || (sep != std::string_view::npos && !all_digits(frac_part)))
    return fail("expected digits with at most one ',' or '.' decimal separator");
  if (frac_part.size() > 2) return fail("it has more than 2 decimals");
  std::string digits(int_part);
  if (!frac_part.empty()) digits += "." + std::string(frac_part);
  double out = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), out);
  if (negative && out != 0) out = -out;  // "-0" is plain 0, not a negative zero
  if (!(out >= 0 && out <= 10))
    return make_error("score.out_of_range",
                      "the score " + format_number(out) + " is outside 0-10 (bounds included)");
  return out;
}

Result<std::string> school_year(std::string_view s) {
  std::string_view v = text::trim(s);
  auto fail = [&](std::string why) {
    return make_error("school_year.format",
                      "the school year is not of the form 2025-2026: " + why +
                          " (the value looks like '" + text::value_shape(v) + "')");
  };
  if (v.size() < 4 || !all_digits(v.substr(0, 4))) return fail("it must start with a 4-digit year");
  std::string_view rest = v.substr(4);
  auto skip_spaces = [&] {
    while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  };
  skip_spaces();
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '/')) rest.remove_prefix(1);
  else if (rest.substr(0, 3) == "\xE2\x80\x93") rest.remove_prefix(3);  // en dash
  else return fail("the years must be separated by '-' or '/'");
  skip_spaces();
  if (!all_digits(rest) || (rest.size() != 4 && rest.size() != 2))
    return fail("the second year must have 4 or 2 digits");
  int first = 0, second = 0;
  std::from_chars(v.data(), v.data() + 4, first);
  std::from_chars(rest.data(), rest.data() + rest.size(), second);
  if (first < 1900 || first > 2099) return fail("the first year must be between 1900 and 2099");
  bool consecutive = rest.size() == 4 ? second == first + 1 : second == (first + 1) % 100;
  if (!consecutive)
    return make_error("school_year.not_consecutive",
                      "the school year " + std::to_string(first) + "-" + std::string(rest) +
                          " does not end the year after it starts");
  return std::to_string(first) + "-" + std::to_string(first + 1);
}

Result<std::string> phone(std::string_view s) {
  std::string_view v = text::trim(s);
  auto fail = [&](std::string why) {
    return make_error("phone.format", "the value is not a Vietnamese phone number: " + why +
                                          " (the value looks like '" + text::value_shape(v) + "')");
  };
  std::string d;
  bool plus = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (is_digit(c)) d.push_back(c);
    else if (c == '+' && d.empty() && !plus) plus = true;
    else if (c == ' ' || c == '.' || c == '-' || c == '(' || c == ')') continue;
    else if (c == '\xC2' && i + 1 < v.size() && v[i + 1] == '\xA0') ++i;
    else return fail("only digits, a leading '+', spaces, dots, dashes and parentheses are allowed");
  }
  if (d.empty()) return fail("it has no digits");
  bool international = plus;
  if (plus && d.rfind("84", 0) != 0) return fail("only numbers with country code +84 are accepted");
  if (!plus && d.rfind("0084", 0) == 0) {
    d.erase(0, 2);
    international = true;
  }
  if (!plus && !international && d.rfind("84", 0) == 0 && (d.size() == 11 || d.size() == 12))
    international = true;
  if (international) {
    std::string national = d.substr(2);
    if (!national.empty() && national[0] == '0') national.erase(0, 1);
    d = "0" + national;
  } else if (d[0] != '0') {
    // A spreadsheet that stored the number as a number dropped the trunk 0.
    bool mobile = d.size() == 9 && std::string_view("35789").find(d[0]) != std::string_view::npos;
    bool landline = d.size() == 10 && d[0] == '2';
    if (mobile || landline) d = "0" + d;
  }
  if (d.size() < 2 || d[0] != '0') return fail("a national number must start with 0");
  if (d[1] == '2') {
    if (d.size() != 11) return fail("a landline number (02...) must have 11 digits");
  } else if (std::string_view("35789").find(d[1]) != std::string_view::npos) {
    if (d.size() != 10) return fail("a mobile number must have 10 digits");
  } else {
    return fail("it must start with 02 (landline) or 03, 05, 07, 08, 09 (mobile)");
  }
  return d;
}

Result<std::string> email(std::string_view s) {
  std::string_view v = text::trim(s);
  auto fail = [&](std::string why) {
    return make_error("email.format", "the value is not an e-mail address: " + why +
                                          " (the value looks like '" + text::value_shape(v) + "')");
  };
  if (v.empty()) return fail("it is empty");
  if (v.size() > 254) return fail("it is longer than 254 characters");
  std::size_t at = v.find('@');
  if (at == std::string_view::npos) return fail("it has no '@'");
  if (v.find('@', at + 1) != std::string_view::npos) return fail("it has more than one '@'");
  std::string_view local = v.substr(0, at), domain = v.substr(at + 1);
  if (local.empty() || local.size() > 64) return fail("the part before '@' must have 1-64 characters");
  for (std::size_t i = 0; i < local.size(); ++i) {
    char c = local[i];
    if (c == '.') {
      if (i == 0 || i + 1 == local.size() || local[i + 1] == '.')
        return fail("a dot before '@' cannot be first, last or doubled");
    } else if (!is_atext(c)) {
      return fail("the part before '@' has a space or a character not allowed in addresses");
    }
  }
  if (domain.empty()) return fail("it has no domain after '@'");
  std::string lowered;
  std::size_t labels = 0, start = 0;
  std::string_view last_label;
  while (true) {
    std::size_t dot = domain.find('.', start);
    std::string_view label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63) return fail("each domain label must have 1-63 characters");
    for (char c : label)
      if (!is_ldh(c)) return fail("the domain may contain only ASCII letters, digits, '-' and '.'");
    if (label.front() == '-' || label.back() == '-')
      return fail("a domain label cannot start or end with '-'");
    ++labels;
    last_label = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2) return fail("the domain needs a top-level part such as .vn");
  bool tld_ok = last_label.size() >= 2;
  bool punycode = last_label.size() > 4 && (last_label.substr(0, 4) == "xn--" || last_label.substr(0, 4) == "XN--");
  for (char c : last_label)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) tld_ok = false;
  if (!tld_ok && !punycode) return fail("the top-level domain must be letters only");
  lowered.reserve(domain.size());
  for (char c : domain) lowered.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  return std::string(local) + "@" + lowered;
}

Result<PersonalIdInfo> personal_id(std::string_view id,
                                   const std::function<bool(std::string_view prefix)>& is_known_prefix) {
  std::string_view v = text::trim(id);
  if (v.size() != 12 || !all_digits(v)) {
    std::size_t digits = digits_only(v).size();
    return make_error("personal_id.format",
                      "a personal ID must be exactly 12 digits; the value has " +
                          std::to_string(utf8_length(v)) + " characters of which " +
                          std::to_string(digits) + " are digits");
  }
  PersonalIdInfo info;
  info.province_prefix = std::string(v.substr(0, 3));
  if (is_known_prefix && !is_known_prefix(info.province_prefix))
    return make_error("personal_id.province",
                      "the personal ID starts with " + info.province_prefix +
                          ", which is not a province-of-birth-registration code");
  int g = v[3] - '0';
  info.gender = g % 2 == 0 ? 'M' : 'F';
  info.birth_century_start = 1900 + (g / 2) * 100;
  info.birth_year_two_digits = (v[4] - '0') * 10 + (v[5] - '0');
  return info;
}

Status personal_id_consistent(const PersonalIdInfo& info, std::optional<Date> birth_date,
                              std::optional<char> gender) {
  if (birth_date) {
    int encoded = info.birth_century_start + info.birth_year_two_digits;
    if (encoded != birth_date->year)
      return make_error("personal_id.birth_year_mismatch",
                        "the personal ID encodes birth year " + std::to_string(encoded) +
                            " but the record's birth date is in " + std::to_string(birth_date->year));
  }
  if (gender) {
    char g = *gender == 'm' ? 'M' : *gender == 'f' ? 'F' : *gender;
    if (g != 'M' && g != 'F')
      return make_error("personal_id.bad_gender",
                        "the record's gender must be given as 'M' or 'F' to check the personal ID");
    if (g != info.gender) {
      auto word = [](char c) { return std::string(c == 'M' ? "male" : "female"); };
      return make_error("personal_id.gender_mismatch",
                        "the personal ID's century digit encodes a " + word(info.gender) +
                            " but the record says " + word(g));
    }
  }
  return Status::Ok();
}

std::string mask_personal_id(std::string_view id) {
  std::string_view v = text::trim(id);
  if (v.size() == 12 && all_digits(v))
    return std::string(v.substr(0, 3)) + std::string(7, '*') + std::string(v.substr(10));
  constexpr std::size_t kMaxStars = 20;
  return std::string(std::min(utf8_length(v), kMaxStars), '*');
}

}  // namespace hub::validate
