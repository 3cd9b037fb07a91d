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
using TextFn = Result<Scalar> (*)(std::string_view);

Transform text_transform(std::string name, TextFn fn, bool sensitive = false) {
  return Transform{std::move(name),
                   [fn](Scalar v) -> Result<Scalar> {
                     if (is_null(v)) return v;
                     if (const auto* s = std::get_if<std::string>(&v)) return fn(*s);
                     return fn(scalar_text(v));
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
    return Transform{"", [fn](Scalar v) -> Result<Scalar> {
                       if (is_null(v)) return v;
                       if (!std::holds_alternative<std::string>(v)) v = scalar_text(v);
                       fn(v);
                       return v;
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

Result<Scalar> as_string(Result<std::string> r) {
  if (!r) return r.error();
  return Scalar(std::move(r.value()));
}

Result<Scalar> to_number(const Scalar& v, bool integer) {
  if (std::holds_alternative<long long>(v)) return integer ? v : Scalar(double(std::get<long long>(v)));
  if (std::holds_alternative<double>(v)) {
    double d = std::get<double>(v);
    if (!integer) return v;
    if (d != std::floor(d))
      return make_error("number.not_integer", "expected a whole number, got a fraction");
    return Scalar(static_cast<long long>(d));
  }
  if (std::holds_alternative<bool>(v)) return make_error("number.format", "expected a number, got true/false");
  if (integer) {
    auto r = validate::parse_integer(scalar_text(v));
    if (!r) return r.error();
    return Scalar(*r);
  }
  auto r = validate::parse_decimal(scalar_text(v));
  if (!r) return r.error();
  return Scalar(*r);
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
      {"collapse_spaces", plain([](std::string_view s) -> Result<Scalar> { return Scalar(text::collapse_spaces(s)); })},
      {"nfc", plain([](std::string_view s) { return as_string(text::nfc(s)); })},
      {"normalize", plain([](std::string_view s) { return as_string(text::normalize_text(s)); })},
      {"upper", plain([](std::string_view s) -> Result<Scalar> { return Scalar(text::upper(s)); })},
      {"lower", plain([](std::string_view s) -> Result<Scalar> { return Scalar(text::lower(s)); })},
      {"name_case", plain([](std::string_view s) -> Result<Scalar> { return Scalar(text::name_case(s)); })},
      {"fold", plain([](std::string_view s) -> Result<Scalar> { return Scalar(text::fold_key(s)); })},
      {"digits_only", plain([](std::string_view s) -> Result<Scalar> { return Scalar(validate::digits_only(s)); })},
      {"school_year", plain([](std::string_view s) { return as_string(validate::school_year(s)); })},
      {"phone", plain([](std::string_view s) { return as_string(validate::phone(s)); })},
      {"email", plain([](std::string_view s) { return as_string(validate::email(s)); })},
      {"score", plain([](std::string_view s) -> Result<Scalar> {
         auto r = validate::score(s);
         if (!r) return r.error();
         return Scalar(*r);
       })},
      {"empty_to_null", in_place([](Scalar& v) {
         if (text::trim(std::get<std::string>(v)).empty()) v = Scalar();
       })},
      {"string", plain([](std::string_view s) -> Result<Scalar> { return Scalar(std::string(s)); })},
      {"integer", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         return Transform{"integer", [](Scalar v) -> Result<Scalar> {
                            if (is_null(v)) return v;
                            return to_number(v, true);
                          }};
       }},
      {"decimal", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         return Transform{"decimal", [](Scalar v) -> Result<Scalar> {
                            if (is_null(v)) return v;
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
         return Transform{"range", [lo, hi](Scalar v) -> Result<Scalar> {
                            if (is_null(v)) return v;
                            auto n = to_number(v, false);
                            if (!n) return n.error();
                            if (auto st = validate::check_range(std::get<double>(*n), lo, hi); !st)
                              return st.error();
                            return v;
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
         return Transform{"date", [formats, pivot](Scalar v) -> Result<Scalar> {
                            if (is_null(v)) return v;
                            Result<Date> d = std::holds_alternative<std::string>(v)
                                                 ? dates::parse_date_any(std::get<std::string>(v), formats, pivot)
                                                 : dates::parse_date_any(scalar_text(v), formats, pivot);
                            if (!d) return d.error();
                            return Scalar(d->iso());
                          }};
       }},
      {"personal_id", [](const YAML::Node& arg, const TransformOptions& opts) -> Result<Transform> {
         auto known = opts.is_personal_id_prefix;
         return Transform{"personal_id",
                          [known](Scalar v) -> Result<Scalar> {
                            if (is_null(v)) return v;
                            if (!std::holds_alternative<std::string>(v)) v = scalar_text(v);
                            auto& s = std::get<std::string>(v);
                            auto r = validate::personal_id(s, known);
                            if (!r) return r.error();
                            trim_in_place(s);
                            return v;
                          },
                          true};
       }},
      {"regex", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         if (!arg.IsScalar()) return arg_error("regex", "expects an I-Regexp pattern the whole value must match");
         std::string pattern = arg.Scalar();
         auto re = jsonpath::Regex::compile(pattern, true);
         if (!re) return arg_error("regex", "'" + pattern + "' is not a valid I-Regexp (RFC 9485)");
         return Transform{"regex", [re, pattern](Scalar v) -> Result<Scalar> {
                            if (is_null(v)) return v;
                            if (!re->matches(scalar_text(v)))
                              return make_error("value.pattern", "the value does not match the pattern " + pattern);
                            return v;
                          }};
       }},
      {"pad", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         int width = 0;
         try {
           width = arg.as<int>();
         } catch (const YAML::Exception&) {
         }
         if (width < 1 || width > 64) return arg_error("pad", "expects a width from 1 to 64 (left-pads with zeros)");
         return Transform{"pad", [width](Scalar v) -> Result<Scalar> {
                            if (is_null(v)) return v;
                            std::string s = scalar_text(v);
                            if (static_cast<int>(s.size()) < width) s.insert(0, width - s.size(), '0');
                            return Scalar(s);
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
         return Transform{"map", [table](Scalar v) -> Result<Scalar> {
                            if (is_null(v)) return v;
                            auto it = table.find(text::fold_key(scalar_text(v)));
                            if (it == table.end())
                              return make_error("value.unmapped", "the value is not in the mapping's table");
                            return it->second;
                          }};
       }},
      // Like map, but values not in the table pass unchanged: a vendor's few own codes in front
      // of a catalog lookup (TIENG_ANH -> NGOAI_NGU_1).
      {"recode", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         if (!arg.IsMap() || arg.size() == 0)
           return arg_error("recode", "expects a table of vendor value: canonical value");
         std::map<std::string, std::string> table;
         for (const auto& kv : arg) table[text::fold_key(kv.first.Scalar())] = kv.second.Scalar();
         return Transform{"recode", [table](Scalar v) -> Result<Scalar> {
                            if (is_null(v)) return v;
                            auto it = table.find(text::fold_key(scalar_text(v)));
                            return it == table.end() ? v : Scalar(it->second);
                          }};
       }},
      {"enum", [](const YAML::Node& arg, const TransformOptions&) -> Result<Transform> {
         auto allowed = string_list(arg);
         if (allowed.empty()) return arg_error("enum", "expects the list of allowed values");
         std::map<std::string, std::string> by_key;
         for (const auto& a : allowed) by_key[text::fold_key(a)] = a;
         std::string list;
         for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
         return Transform{"enum", [by_key, list](Scalar v) -> Result<Scalar> {
                            if (is_null(v)) return v;
                            auto it = by_key.find(text::fold_key(scalar_text(v)));
                            if (it == by_key.end())
                              return make_error("value.not_allowed", "the value is not one of: " + list);
                            return Scalar(it->second);
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
