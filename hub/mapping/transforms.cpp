#include "hub/mapping/transforms.h"

#include <cmath>
#include <cstdio>
#include <map>

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
    if (*d != std::floor(*d))
      return make_error("number.not_integer", "expected a whole number, got a fraction");
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
