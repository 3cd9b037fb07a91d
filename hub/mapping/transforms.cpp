#include "hub/mapping/transforms.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <optional>
#include <map>
#include <memory>

#include "hub/common/date.h"
#include "hub/mapping/dates.h"
#include "hub/mapping/iregexp.h"
#include "hub/mapping/text.h"
#include "hub/mapping/validators.h"

namespace hub::mapping {
namespace {

using Factory = std::function<Result<Transform>(const YAML::Node& arg, const TransformOptions&)>;

Error arg_error(const std::string& name, const std::string& what) {
  return make_error("mapping.transform_argument", "transform '" + name + "': " + what);
}

// A transform on text: non-null scalars are turned into text first; null passes through.
// Steps are plain function pointers and read strings in place: they run for every field of
// every record, so neither a second std::function nor a copy of the input is worth paying.
using TextFn = Status (*)(std::string_view in, Scalar& out);

Transform text_transform(std::string name, TextFn fn, bool sensitive = false) {
  return Transform{std::move(name),
                   [fn](Scalar& v) -> Status {
                     if (is_null(v)) return Status::Ok();
                     // The input moves out of `v` (no copy), which then takes the output.
                     if (auto* s = std::get_if<std::string>(&v)) {
                       std::string in = std::move(*s);
                       return fn(in, v);
                     }
                     return fn(scalar_text(v), v);
                   },
                   sensitive, fn};
}

Factory plain(TextFn fn, bool sensitive = false) {
  return [fn, sensitive](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
    if (arg && !arg.IsNull()) return arg_error("this transform", "takes no argument");
    return text_transform("", fn, sensitive);
  };
}

// Steps that usually hand their input back unchanged (trim of clean text, empty_to_null of a
// value) edit the string they were given instead of building a new one.
using InPlaceFn = void (*)(Scalar&);

Factory in_place(InPlaceFn fn) {
  return [fn](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
    if (arg && !arg.IsNull()) return arg_error("this transform", "takes no argument");
    return Transform{"", [fn](Scalar& v) -> Status {
                       if (is_null(v)) return Status::Ok();
                       if (!std::holds_alternative<std::string>(v)) v = scalar_text(v);
                       fn(v);
                       return Status::Ok();
                     }};
  };
}

// Cuts `s` down to text::trim(s) without reallocating.
void trim_in_place(std::string& s) {
  std::string_view t = text::trim(s);
  if (t.size() == s.size()) return;
  std::size_t begin = static_cast<std::size_t>(t.data() - s.data());
  s.erase(begin + t.size());
  s.erase(0, begin);
}

// Stores a text result in `out`, or passes its error on.
Status put(Result<std::string> r, Scalar& out) {
  if (!r) return r.error();
  out = std::move(r.value());
  return Status::Ok();
}

// Stores `s` in `out`; for the steps that cannot fail.
Status put(std::string s, Scalar& out) {
  out = std::move(s);
  return Status::Ok();
}

// Turns `v` into an integer or a number (double) in place; text is parsed.
Status to_number(Scalar& v, bool integer) {
  if (const auto* i = std::get_if<long long>(&v)) {
    if (!integer) v = static_cast<double>(*i);
    return Status::Ok();
  }
  if (const auto* d = std::get_if<double>(&v)) {
    if (!integer) return Status::Ok();
    if (!std::isfinite(*d)) return make_error("number.out_of_range", "the number is not finite");
    if (*d != std::floor(*d))
      return make_error("number.not_integer", "expected a whole number, got a fraction");
    // Beyond 2^53 a double no longer holds every integer (and beyond 2^63 the cast is undefined).
    if (std::fabs(*d) > 9007199254740992.0)
      return make_error("number.out_of_range", "the integer is too large to be read exactly");
    v = static_cast<long long>(*d);
    return Status::Ok();
  }
  if (std::holds_alternative<bool>(v)) return make_error("number.format", "expected a number, got true/false");
  const auto* s = std::get_if<std::string>(&v);
  std::string text = s ? std::string() : scalar_text(v);
  std::string_view in = s ? std::string_view(*s) : std::string_view(text);
  if (integer) {
    auto r = validate::parse_integer(in);
    if (!r) return r.error();
    v = *r;
    return Status::Ok();
  }
  auto r = validate::parse_decimal(in);
  if (!r) return r.error();
  v = *r;
  return Status::Ok();
}

std::vector<std::string> string_list(const YAML::Node& n) {
  std::vector<std::string> out;
  if (n.IsScalar()) out.push_back(n.Scalar());
  if (n.IsSequence())
    for (const auto& x : n) out.push_back(x.Scalar());
  return out;
}

// Byte offsets where the code points of `s` start, plus s.size() at the end: the text steps
// below count in characters, as people do, not in bytes.
std::vector<std::size_t> char_starts(std::string_view s) {
  std::vector<std::size_t> out;
  out.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
  out.push_back(s.size());
  return out;
}

// Text that is blank after a step counts as missing, as blank vendor values do.
void put_part(std::string_view part, Scalar& out) {
  if (text::trim(part).empty()) out = Scalar();
  else out = std::string(part);
}

// The words of `s`, split at runs of white space.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (i < s.size()) {
    while (i < s.size() && space(s[i])) ++i;
    std::size_t start = i;
    while (i < s.size() && !space(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// Runs `fn` on the value's text (moved out of `v` when it is a string); null passes through.
template <class Fn>
Status on_text(Scalar& v, Fn fn) {
  if (is_null(v)) return Status::Ok();
  std::string in = std::holds_alternative<std::string>(v) ? std::move(std::get<std::string>(v)) : scalar_text(v);
  return fn(std::string_view(in), v);
}

// A "MM-DD" day of the year (29 February refused: not every year has it).
std::optional<std::pair<int, int>> month_day(const std::string& s) {
  if (s.size() != 5 || s[2] != '-') return std::nullopt;
  for (int i : {0, 1, 3, 4})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  int m = (s[0] - '0') * 10 + (s[1] - '0'), d = (s[3] - '0') * 10 + (s[4] - '0');
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(2001, m)) return std::nullopt;
  return std::pair{m, d};
}

// The first or last day of a school year, from the year itself ("2025-2026"): `second_year`
// puts the day in the year the school year ends.
Factory school_year_day(const char* name, const char* default_day, bool second_year) {
  return [name, default_day, second_year](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
    std::string day = arg && !arg.IsNull() ? (arg.IsScalar() ? arg.Scalar() : "") : default_day;
    auto md = month_day(day);
    if (!md) return arg_error(name, "takes the day of the year as \"MM-DD\" (default \"" + std::string(default_day) + "\")");
    int month = md->first, dom = md->second;  // named copies: clang cannot capture structured bindings
    return Transform{name, [month, dom, second_year](Scalar& v) -> Status {
                       return on_text(v, [&](std::string_view s, Scalar& out) -> Status {
                         auto year = validate::school_year(s);
                         if (!year) return year.error();
                         int first = std::stoi(year->substr(0, 4));
                         out = Date{first + (second_year ? 1 : 0), month, dom}.iso();
                         return Status::Ok();
                       });
                     }};
  };
}

// The "(?<name>...)" groups of a capture step: an I-Regexp that must match the whole value,
// compiled once; matching runs under a step limit, so no pattern can stall a record.
struct CapturePattern {
  static constexpr std::uint32_t kMaxGroups = 16;
  static constexpr std::uint32_t kMatchLimit = 100000;
  pcre2_code* code = nullptr;
  pcre2_match_context* context = nullptr;
  std::uint32_t group = 0;
  std::string pattern, group_name;
  ~CapturePattern() {
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

Result<std::shared_ptr<CapturePattern>> compile_capture(const std::string& pattern, std::string group) {
  std::string translated = "\\A(?:";
  if (!jsonpath::translate_iregexp(pattern, translated, true))
    return arg_error("capture", "'" + pattern + "' is not an I-Regexp (RFC 9485) with (?<name>...) groups");
  translated += ")\\z";
  auto c = std::make_shared<CapturePattern>();
  c->pattern = pattern;
  int err = 0;
  PCRE2_SIZE offset = 0;
  c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                          PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &offset, nullptr);
  if (!c->code) return arg_error("capture", "'" + pattern + "' cannot be compiled (for example {5,2})");
  std::uint32_t groups = 0, names = 0;
  pcre2_pattern_info(c->code, PCRE2_INFO_CAPTURECOUNT, &groups);
  pcre2_pattern_info(c->code, PCRE2_INFO_NAMECOUNT, &names);
  if (groups == 0) return arg_error("capture", "'" + pattern + "' has no (?<name>...) group to take the value from");
  if (groups > CapturePattern::kMaxGroups) return arg_error("capture", "at most 16 groups");
  if (group.empty()) {
    if (names != 1) return arg_error("capture", "the pattern has several groups: say which one with {pattern: ..., group: <name>}");
    PCRE2_SPTR table = nullptr;
    std::uint32_t entry_size = 0;
    pcre2_pattern_info(c->code, PCRE2_INFO_NAMETABLE, &table);
    pcre2_pattern_info(c->code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
    group = reinterpret_cast<const char*>(table + 2);
  }
  int number = pcre2_substring_number_from_name(c->code, reinterpret_cast<PCRE2_SPTR>(group.c_str()));
  if (number <= 0) return arg_error("capture", "the pattern has no group named '" + group + "'");
  c->group = static_cast<std::uint32_t>(number);
  c->group_name = group;
  pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE);
  c->context = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(c->context, CapturePattern::kMatchLimit);
  return c;
}

Status run_capture(const CapturePattern& c, std::string_view s, Scalar& out) {
  struct MatchData {
    pcre2_match_data* data = pcre2_match_data_create(CapturePattern::kMaxGroups + 1, nullptr);
    ~MatchData() { pcre2_match_data_free(data); }
  };
  thread_local MatchData md;
  int rc = pcre2_match(c.code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, md.data, c.context);
  if (rc == PCRE2_ERROR_MATCHLIMIT)
    return make_error("value.pattern", "the pattern " + c.pattern + " needs too many steps on this value");
  if (rc < 0) return make_error("value.pattern", "the value does not match the pattern " + c.pattern);
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.data);
  if (c.group >= static_cast<std::uint32_t>(rc) || ov[2 * c.group] == PCRE2_UNSET) {
    out = Scalar();  // the group took no part in the match
    return Status::Ok();
  }
  put_part(s.substr(ov[2 * c.group], ov[2 * c.group + 1] - ov[2 * c.group]), out);
  return Status::Ok();
}

// The character of a person's name refused by the default rule, described for the vendor.
Status check_person_name(std::string_view s, const std::string& extra) {
  auto bad = text::first_non_name_character(s, extra);
  if (!bad) return Status::Ok();
  if (bad->code_point == 0) return make_error("text.invalid_utf8", "the name is not valid UTF-8");
  char hex[16];
  std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(bad->code_point));
  std::string shown;
  if (bad->code_point > 0x20 && bad->code_point < 0x7F) shown = "'" + std::string(1, static_cast<char>(bad->code_point)) + "' ";
  return make_error("name.invalid_character",
                    "the name has " + shown + "(" + hex + "), which has no place in a person's name: letters, "
                    "combining marks, spaces, apostrophes and hyphens only" +
                        (extra.empty() ? "" : " (and '" + extra + "')"));
}

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> kFactories = {
      {"trim", in_place([](Scalar& v) { trim_in_place(std::get<std::string>(v)); })},
      {"collapse_spaces", plain([](std::string_view s, Scalar& out) { return put(text::collapse_spaces(s), out); })},
      {"nfc", plain([](std::string_view s, Scalar& out) { return put(text::nfc(s), out); })},
      {"normalize", plain([](std::string_view s, Scalar& out) { return put(text::normalize_text(s), out); })},
      {"upper", plain([](std::string_view s, Scalar& out) { return put(text::upper(s), out); })},
      {"lower", plain([](std::string_view s, Scalar& out) { return put(text::lower(s), out); })},
      {"name_case", plain([](std::string_view s, Scalar& out) { return put(text::name_case(s), out); })},
      {"fold", plain([](std::string_view s, Scalar& out) { return put(text::fold_key(s), out); })},
      {"digits_only", plain([](std::string_view s, Scalar& out) { return put(validate::digits_only(s), out); })},
      {"school_year", plain([](std::string_view s, Scalar& out) { return put(validate::school_year(s), out); })},
      {"phone", plain([](std::string_view s, Scalar& out) { return put(validate::phone(s), out); })},
      {"email", plain([](std::string_view s, Scalar& out) { return put(validate::email(s), out); })},
      {"score", plain([](std::string_view s, Scalar& out) -> Status {
         auto r = validate::score(s);
         if (!r) return r.error();
         out = *r;
         return Status::Ok();
       })},
      {"empty_to_null", in_place([](Scalar& v) {
         if (text::trim(std::get<std::string>(v)).empty()) v = Scalar();
       })},
      {"string", plain([](std::string_view s, Scalar& out) { return put(std::string(s), out); })},
      {"integer", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         return Transform{"integer", [](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            return to_number(v, true);
                          }};
       }},
      {"decimal", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         return Transform{"decimal", [](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            return to_number(v, false);
                          }};
       }},
      {"range", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         if (!arg.IsMap()) return arg_error("range", "expects {min: <number>, max: <number>}");
         std::optional<double> lo, hi;
         try {
           if (arg["min"]) lo = arg["min"].as<double>();
           if (arg["max"]) hi = arg["max"].as<double>();
         } catch (const YAML::Exception&) {
           return arg_error("range", "min and max must be numbers");
         }
         return Transform{"range", [lo, hi](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            Scalar n = v;  // the value passes unchanged
                            if (auto st = to_number(n, false); !st) return st;
                            return validate::check_range(std::get<double>(n), lo, hi);
                          }};
       }},
      {"date", [](const YAML::Node& arg, const TransformOptions& opts) -> Result<Transform> {
         std::vector<std::string> formats;
         int pivot = opts.date_pivot;
         if (arg.IsMap()) {
           formats = string_list(arg["formats"]);
           if (arg["pivot"]) pivot = arg["pivot"].as<int>();
         } else {
           formats = string_list(arg);
         }
         if (formats.empty())
           return arg_error("date", "give the vendor's format, e.g. {date: dd/mm/yyyy} or a list of formats");
         for (const auto& f : formats)
           if (auto st = dates::check_format(f); !st) return arg_error("date", st.error().message);
         return Transform{"date", [formats, pivot](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            Result<Date> d = std::holds_alternative<std::string>(v)
                                                 ? dates::parse_date_any(std::get<std::string>(v), formats, pivot)
                                                 : dates::parse_date_any(scalar_text(v), formats, pivot);
                            if (!d) return d.error();
                            v = d->iso();
                            return Status::Ok();
                          }};
       }},
      {"personal_id", [](const YAML::Node& arg, const TransformOptions& opts) -> Result<Transform> {
         auto known = opts.is_personal_id_prefix;
         return Transform{"personal_id",
                          [known](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            if (!std::holds_alternative<std::string>(v)) v = scalar_text(v);
                            auto& s = std::get<std::string>(v);
                            auto r = validate::personal_id(s, known);
                            if (!r) return r.error();
                            trim_in_place(s);
                            return Status::Ok();
                          },
                          true};
       }},
      {"regex", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         if (!arg.IsScalar()) return arg_error("regex", "expects an I-Regexp pattern the whole value must match");
         std::string pattern = arg.Scalar();
         auto re = jsonpath::Regex::compile(pattern, true);
         if (!re) return arg_error("regex", "'" + pattern + "' is not a valid I-Regexp (RFC 9485)");
         return Transform{"regex", [re, pattern](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            if (!re->matches(scalar_text(v)))
                              return make_error("value.pattern", "the value does not match the pattern " + pattern);
                            return Status::Ok();
                          }};
       }},
      {"person_name", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         std::string extra;
         if (arg && !arg.IsNull()) {
           if (!arg.IsMap() || arg.size() != 1 || !arg["allow"] || !arg["allow"].IsScalar())
             return arg_error("person_name", "takes no argument, or {allow: \"<characters>\"}: characters a name may "
                                             "have besides letters, marks, spaces, apostrophes and hyphens");
           extra = arg["allow"].Scalar();
         }
         return Transform{"person_name", [extra](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            if (const auto* s = std::get_if<std::string>(&v)) return check_person_name(*s, extra);
                            return check_person_name(scalar_text(v), extra);
                          }};
       }},
      {"substring", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         const char* usage = "expects {start: <character, from 0; negative counts from the end>, length: <characters>}";
         if (!arg.IsMap() || !arg["start"]) return arg_error("substring", usage);
         long start = 0, length = -1;
         try {
           for (const auto& kv : arg)
             if (kv.first.Scalar() != "start" && kv.first.Scalar() != "length") return arg_error("substring", usage);
           start = arg["start"].as<long>();
           if (arg["length"]) length = arg["length"].as<long>();
         } catch (const YAML::Exception&) {
           return arg_error("substring", usage);
         }
         if (arg["length"] && length < 1) return arg_error("substring", "length must be at least 1");
         return Transform{"substring", [start, length](Scalar& v) -> Status {
                            return on_text(v, [&](std::string_view s, Scalar& out) {
                              auto at = char_starts(s);
                              long n = static_cast<long>(at.size()) - 1;
                              long from = start < 0 ? std::max(0L, n + start) : std::min(start, n);
                              long to = length < 0 ? n : std::min(n, from + length);
                              put_part(s.substr(at[from], at[to] - at[from]), out);
                              return Status::Ok();
                            });
                          }};
       }},
      {"split", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         const char* usage = "expects {separator: \"-\", part: <n>} (n from 0, negative from the end) or "
                             "part: \"<from>:<to>\" for several parts joined again";
         if (!arg.IsMap() || !arg["part"]) return arg_error("split", usage);
         for (const auto& kv : arg)
           if (kv.first.Scalar() != "separator" && kv.first.Scalar() != "part") return arg_error("split", usage);
         std::string sep = arg["separator"] ? arg["separator"].Scalar() : " ";
         if (sep.empty()) return arg_error("split", "the separator must not be empty");
         std::string part = arg["part"].Scalar();
         long from = 0, to = 0;
         bool slice = part.find(':') != std::string::npos;
         try {
           std::size_t colon = part.find(':');
           std::string a = slice ? part.substr(0, colon) : part, b = slice ? part.substr(colon + 1) : "";
           std::size_t used = 0;
           from = a.empty() ? 0 : std::stol(a, &used);
           if (!a.empty() && used != a.size()) return arg_error("split", usage);
           to = b.empty() ? LONG_MAX : std::stol(b, &used);
           if (!b.empty() && used != b.size()) return arg_error("split", usage);
         } catch (const std::exception&) {
           return arg_error("split", usage);
         }
         return Transform{"split", [sep, from, to, slice](Scalar& v) -> Status {
                            return on_text(v, [&](std::string_view s, Scalar& out) {
                              std::vector<std::string_view> parts;
                              if (sep == " ") {
                                parts = words(s);
                              } else {
                                for (std::size_t i = 0;;) {
                                  std::size_t j = s.find(sep, i);
                                  parts.push_back(s.substr(i, j == std::string_view::npos ? j : j - i));
                                  if (j == std::string_view::npos) break;
                                  i = j + sep.size();
                                }
                              }
                              long n = static_cast<long>(parts.size());
                              auto index = [n](long i) { return i < 0 ? n + i : i; };
                              if (!slice) {
                                long i = index(from);
                                if (i < 0 || i >= n) out = Scalar();
                                else put_part(parts[i], out);
                                return Status::Ok();
                              }
                              long a = std::clamp(index(from), 0L, n), b = to == LONG_MAX ? n : std::clamp(index(to), 0L, n);
                              std::string joined;
                              for (long i = a; i < b; ++i) joined += (i > a ? sep : "") + std::string(parts[i]);
                              put_part(joined, out);
                              return Status::Ok();
                            });
                          }};
       }},
      // Vietnamese order: family name first, given name last, the middle names between.
      {"name_part", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         std::string which = arg && arg.IsScalar() ? arg.Scalar() : "";
         if (which != "family" && which != "middle" && which != "given")
           return arg_error("name_part", "expects family, middle or given (Vietnamese order: Nguyễn | Thị Minh | Khai)");
         int part = which == "family" ? 0 : which == "middle" ? 1 : 2;
         return Transform{"name_part", [part](Scalar& v) -> Status {
                            return on_text(v, [&](std::string_view s, Scalar& out) {
                              auto w = words(s);
                              std::size_t n = w.size();
                              if (n == 0 || (part == 0 && n < 2) || (part == 1 && n < 3)) {
                                out = Scalar();
                              } else if (part == 2) {
                                out = std::string(w.back());
                              } else if (part == 0) {
                                out = std::string(w.front());
                              } else {
                                std::string middle(w[1]);
                                for (std::size_t i = 2; i + 1 < n; ++i) middle.append(" ").append(w[i]);
                                out = std::move(middle);
                              }
                              return Status::Ok();
                            });
                          }};
       }},
      {"capture", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         std::string pattern, group;
         if (arg.IsScalar()) {
           pattern = arg.Scalar();
         } else if (arg.IsMap() && arg["pattern"] && arg["pattern"].IsScalar()) {
           for (const auto& kv : arg)
             if (kv.first.Scalar() != "pattern" && kv.first.Scalar() != "group")
               return arg_error("capture", "expects a pattern, or {pattern: ..., group: <name>}");
           pattern = arg["pattern"].Scalar();
           if (arg["group"]) group = arg["group"].Scalar();
         } else {
           return arg_error("capture", "expects a pattern with a (?<name>...) group, or {pattern: ..., group: <name>}");
         }
         auto c = compile_capture(pattern, group);
         if (!c) return c.error();
         std::shared_ptr<const CapturePattern> compiled = std::move(c.value());
         return Transform{"capture", [compiled](Scalar& v) -> Status {
                            return on_text(v, [&](std::string_view s, Scalar& out) { return run_capture(*compiled, s, out); });
                          }};
       }},
      {"school_year_start", school_year_day("school_year_start", "09-05", false)},
      {"school_year_end", school_year_day("school_year_end", "05-31", true)},
      {"pad", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         int width = 0;
         try {
           width = arg.as<int>();
         } catch (const YAML::Exception&) {
         }
         if (width < 1 || width > 64) return arg_error("pad", "expects a width from 1 to 64 (left-pads with zeros)");
         return Transform{"pad", [width](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            std::string s = scalar_text(v);
                            if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
                            return put(std::move(s), v);
                          }};
       }},
      {"map", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         if (!arg.IsMap() || arg.size() == 0)
           return arg_error("map", "expects a table of vendor value: canonical value");
         std::map<std::string, Scalar> table;
         for (const auto& kv : arg) {
           std::string key = text::fold_key(kv.first.Scalar());
           if (table.count(key)) return arg_error("map", "'" + kv.first.Scalar() + "' is listed twice (case and accents are ignored)");
           table[key] = kv.second.IsNull() ? Scalar() : Scalar(kv.second.Scalar());
         }
         return Transform{"map", [table](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            auto it = table.find(text::fold_key(scalar_text(v)));
                            if (it == table.end())
                              return make_error("value.unmapped", "the value is not in the mapping's table");
                            v = it->second;
                            return Status::Ok();
                          }};
       }},
      // Like map, but values not in the table pass unchanged: a vendor's few own codes in front
      // of a catalog lookup (TIENG_ANH -> NGOAI_NGU_1).
      {"recode", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         if (!arg.IsMap() || arg.size() == 0)
           return arg_error("recode", "expects a table of vendor value: canonical value");
         std::map<std::string, std::string> table;
         for (const auto& kv : arg) table[text::fold_key(kv.first.Scalar())] = kv.second.Scalar();
         return Transform{"recode", [table](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            auto it = table.find(text::fold_key(scalar_text(v)));
                            if (it != table.end()) v = it->second;
                            return Status::Ok();
                          }};
       }},
      {"enum", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         auto allowed = string_list(arg);
         if (allowed.empty()) return arg_error("enum", "expects the list of allowed values");
         std::map<std::string, std::string> by_key;
         for (const auto& a : allowed) by_key[text::fold_key(a)] = a;
         std::string list;
         for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
         return Transform{"enum", [by_key, list](Scalar& v) -> Status {
                            if (is_null(v)) return Status::Ok();
                            auto it = by_key.find(text::fold_key(scalar_text(v)));
                            if (it == by_key.end())
                              return make_error("value.not_allowed", "the value is not one of: " + list);
                            v = it->second;
                            return Status::Ok();
                          }};
       }},
  };
  return kFactories;
}

}  // namespace

bool is_null(const Scalar& v) { return std::holds_alternative<std::monostate>(v); }

std::string scalar_text(const Scalar& v) {
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  if (std::holds_alternative<long long>(v)) return std::to_string(std::get<long long>(v));
  if (std::holds_alternative<bool>(v)) return std::get<bool>(v) ? "true" : "false";
  if (std::holds_alternative<double>(v)) {
    double d = std::get<double>(v);
    if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", d);
    return buf;
  }
  return "";
}

const std::vector<std::string>& transform_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& [name, _] : factories()) names.push_back(name);
    return names;
  }();
  return kNames;
}

Result<Transform> compile_transform(const YAML::Node& step, const TransformOptions& options) {
  std::string name;
  YAML::Node arg;
  if (step.IsScalar()) {
    name = step.Scalar();
  } else if (step.IsMap() && step.size() == 1) {
    name = step.begin()->first.Scalar();
    arg = step.begin()->second;
  } else {
    return make_error("mapping.transform_syntax",
                      "a transform step is a name (trim) or a one-key map ({date: dd/mm/yyyy})");
  }
  auto it = factories().find(name);
  if (it == factories().end()) {
    std::string known;
    for (const auto& n : transform_names()) known += (known.empty() ? "" : ", ") + n;
    return make_error("mapping.unknown_transform", "unknown transform '" + name + "'; known: " + known);
  }
  auto t = it->second(arg, options);
  if (!t) {
    Error e = t.error();
    if (e.message.find("this transform") != std::string::npos)
      e.message.replace(e.message.find("this transform"), 14, name);
    return e;
  }
  t->name = name;
  return t;
}

}  // namespace hub::mapping
