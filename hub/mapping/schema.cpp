// Loading mappings/schema/*.yaml and validating canonical records against it. Everything that
// can be checked once at start-up (types, catalogs, refs, keys) is checked in load_dir, so that
// validate() never meets a malformed schema.

#include "hub/mapping/schema.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "hub/mapping/text.h"
#include "hub/mapping/validators.h"

namespace hub::schema {

namespace fs = std::filesystem;

namespace {

struct TypeSpelling {
  FieldType type;
  std::string_view name;
};

constexpr TypeSpelling kTypes[] = {
    {FieldType::kString, "string"},          {FieldType::kInteger, "integer"},
    {FieldType::kDecimal, "decimal"},        {FieldType::kBoolean, "boolean"},
    {FieldType::kDate, "date"},              {FieldType::kCode, "code"},
    {FieldType::kPersonalId, "personal_id"}, {FieldType::kPhone, "phone"},
    {FieldType::kEmail, "email"},            {FieldType::kSchoolYear, "school_year"},
    {FieldType::kRef, "ref"},
};

const std::set<std::string> kEntityKeys = {"entity",       "title",           "description", "effective_dated",
                                           "natural_keys", "one_in_force_per", "fields"};
const std::set<std::string> kFieldKeys = {"type", "required", "max_length", "min",   "max",  "enum",
                                          "sensitive", "label", "description", "catalog", "entity",
                                          "person_name", "expected"};

// Thrown inside the loader only, to unwind out of nested parsing; load_dir turns it into an Error.
struct LoadFailure {
  Error error;
};

struct Where {
  std::size_t line = 0, column = 0;
};

Where where(const YAML::Mark& m) {
  if (m.line < 0) return {};
  return {static_cast<std::size_t>(m.line) + 1, static_cast<std::size_t>(m.column) + 1};
}
Where where(const YAML::Node& n) { return where(n.Mark()); }

[[noreturn]] void fail(const std::string& file, Where w, const std::string& what) {
  std::string msg = file;
  if (w.line > 0) msg += ":" + std::to_string(w.line) + ":" + std::to_string(w.column);
  msg += ": " + what;
  throw LoadFailure{Error{"schema.load", std::move(msg), file, w.line}};
}

bool is_snake_case(std::string_view s) {
  if (s.empty() || s.front() < 'a' || s.front() > 'z') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// One file being read; keeps the file name for every error.
class FileReader {
 public:
  explicit FileReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail_at(const YAML::Node& n, const std::string& what) const { fail(file_, where(n), what); }

  std::string string(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail_at(n, what + " must be a string");
    return n.Scalar();
  }

  bool boolean(const YAML::Node& n, const std::string& what) const {
    // Only true/false: YAML 1.1's yes/no/on/off are a classic source of surprises.
    if (n.IsScalar() && n.Scalar() == "true") return true;
    if (n.IsScalar() && n.Scalar() == "false") return false;
    fail_at(n, what + " must be true or false");
  }

  double number(const YAML::Node& n, const std::string& what) const {
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      double v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (!s.empty() && ec == std::errc() && end == s.data() + s.size() && std::isfinite(v)) return v;
    }
    fail_at(n, what + " must be a number");
  }

  std::size_t positive_integer(const YAML::Node& n, const std::string& what) const {
    if (n.IsScalar()) {
      const std::string& s = n.Scalar();
      std::size_t v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (!s.empty() && ec == std::errc() && end == s.data() + s.size() && v > 0) return v;
    }
    fail_at(n, what + " must be a positive integer");
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// A ref whose target is checked once every file is loaded.
struct PendingRef {
  std::string file;
  Where where;
  std::string entity, field, target;
};

FieldSchema read_field(const FileReader& r, const std::string& name, const YAML::Node& key_node,
                       const YAML::Node& node, const catalog::CatalogSet* catalogs,
                       std::vector<PendingRef>& refs, const std::string& entity) {
  if (!is_snake_case(name)) r.fail_at(key_node, "field name '" + name + "' is not snake_case ([a-z][a-z0-9_]*)");
  FieldSchema f;
  f.name = name;
  const std::string what = "field '" + name + "'";
  if (!node.IsMap()) r.fail_at(node, what + " must be a mapping of attributes");
  std::map<std::string, YAML::Node> attrs;
  for (const auto& kv : node) {
    std::string key = r.string(kv.first, "an attribute name");
    if (!kFieldKeys.count(key)) r.fail_at(kv.first, "unknown attribute '" + key + "' of " + what);
    // yaml-cpp keeps both copies of a repeated key; the second would silently lose.
    if (!attrs.emplace(key, kv.second).second) r.fail_at(kv.first, "duplicate attribute '" + key + "' of " + what);
  }
  auto attr = [&](const char* key) -> const YAML::Node* {
    auto it = attrs.find(key);
    return it == attrs.end() ? nullptr : &it->second;
  };

  const YAML::Node* type = attr("type");
  if (!type) r.fail_at(node, what + " has no type");
  std::string type_str = r.string(*type, "type");
  auto parsed = parse_type(type_str);
  if (!parsed) {
    std::string known;
    for (const auto& t : kTypes) known += (known.empty() ? "" : ", ") + std::string(t.name);
    r.fail_at(*type, "unknown type '" + type_str + "' of " + what + " (known: " + known + ")");
  }
  f.type = *parsed;
  const bool numeric = f.type == FieldType::kInteger || f.type == FieldType::kDecimal;

  if (auto* n = attr("label")) f.label = r.string(*n, "label");
  if (auto* n = attr("description")) f.description = r.string(*n, "description");
  if (auto* n = attr("required")) {
    // `required: new`: needed to create a record, not to update one the record identifies
    // (a birth date missing from a record that carries a known personal ID). Checked by the
    // write path once identity is resolved; quality reports count it as expected.
    if (n->IsScalar() && n->Scalar() == "new") f.required_for_new = f.expected = true;
    else if (n->IsScalar() && n->Scalar() != "true" && n->Scalar() != "false")
      r.fail_at(*n, "required must be true or false (or new: required to create a record only)");
    else f.required = r.boolean(*n, "required");
  }
  if (auto* n = attr("expected")) {
    f.expected = r.boolean(*n, "expected");
    if (f.expected && (f.required || f.required_for_new)) r.fail_at(*n, what + ": a field is either required or expected, not both");
  }
  if (auto* n = attr("sensitive")) {
    f.sensitive = r.boolean(*n, "sensitive");
    if (!f.sensitive && f.type == FieldType::kPersonalId)
      r.fail_at(*n, what + ": a personal_id is always sensitive");
  }
  if (f.type == FieldType::kPersonalId) f.sensitive = true;

  if (auto* n = attr("catalog")) {
    if (f.type != FieldType::kCode) r.fail_at(*n, what + ": 'catalog' applies to code fields only");
    f.catalog = r.string(*n, "catalog");
    if (catalogs && !catalogs->find(f.catalog)) {
      std::string known;
      for (const auto* c : catalogs->list()) known += (known.empty() ? "" : ", ") + c->name();
      r.fail_at(*n, what + ": catalog '" + f.catalog + "' is not loaded; known catalogs: " + known);
    }
  } else if (f.type == FieldType::kCode) {
    r.fail_at(node, what + " is of type code but names no catalog");
  }

  if (auto* n = attr("entity")) {
    if (f.type != FieldType::kRef) r.fail_at(*n, what + ": 'entity' applies to ref fields only");
    f.ref_entity = r.string(*n, "entity");
    refs.push_back(PendingRef{r.file(), where(*n), entity, name, f.ref_entity});
  } else if (f.type == FieldType::kRef) {
    r.fail_at(node, what + " is of type ref but names no entity");
  }

  if (auto* n = attr("min")) {
    if (!numeric) r.fail_at(*n, what + ": 'min' applies to integer and decimal fields only");
    f.min = r.number(*n, "min");
  }
  if (auto* n = attr("max")) {
    if (!numeric) r.fail_at(*n, what + ": 'max' applies to integer and decimal fields only");
    f.max = r.number(*n, "max");
    if (f.min && *f.min > *f.max) r.fail_at(*n, what + ": max is below min");
  }
  if (auto* n = attr("person_name")) {
    if (f.type != FieldType::kString) r.fail_at(*n, what + ": 'person_name' applies to string fields only");
    f.person_name = r.boolean(*n, "person_name");
  }
  if (auto* n = attr("max_length")) {
    if (f.type != FieldType::kString) r.fail_at(*n, what + ": 'max_length' applies to string fields only");
    f.max_length = r.positive_integer(*n, "max_length");
  }
  if (auto* n = attr("enum")) {
    if (f.type != FieldType::kString && f.type != FieldType::kCode)
      r.fail_at(*n, what + ": 'enum' applies to string and code fields only");
    if (!n->IsSequence() || n->size() == 0) r.fail_at(*n, what + ": 'enum' must be a non-empty list");
    const catalog::Catalog* cat = catalogs && f.type == FieldType::kCode ? catalogs->find(f.catalog) : nullptr;
    for (const auto& v : *n) {
      std::string s = r.string(v, "an enum value");
      if (std::find(f.enum_values.begin(), f.enum_values.end(), s) != f.enum_values.end())
        r.fail_at(v, what + ": duplicate enum value '" + s + "'");
      if (cat) {
        catalog::LookupOptions o;
        o.by = catalog::LookupBy::kCode;
        if (!cat->lookup(s, o).ok())
          r.fail_at(v, what + ": enum value '" + s + "' is not a code of catalog " + f.catalog);
      }
      f.enum_values.push_back(std::move(s));
    }
  }
  return f;
}

std::unique_ptr<EntitySchema> read_entity(const fs::path& path, const catalog::CatalogSet* catalogs,
                                          std::vector<PendingRef>& refs) {
  FileReader r(path.string());
  YAML::Node root;
  try {
    root = YAML::LoadFile(r.file());
  } catch (const YAML::Exception& e) {
    fail(r.file(), where(e.mark), "YAML error: " + e.msg);
  }
  if (!root.IsMap()) fail(r.file(), where(root), "top level must be a mapping");

  auto e = std::make_unique<EntitySchema>();
  e->file = r.file();
  std::map<std::string, YAML::Node> top;
  for (const auto& kv : root) {
    std::string key = r.string(kv.first, "a top-level key");
    if (!kEntityKeys.count(key)) r.fail_at(kv.first, "unknown key '" + key + "'");
    if (top.count(key)) r.fail_at(kv.first, "duplicate key '" + key + "'");
    top.emplace(key, kv.second);
  }
  auto need = [&](const char* key) -> const YAML::Node& {
    auto it = top.find(key);
    if (it == top.end()) fail(r.file(), where(root), std::string("missing required key '") + key + "'");
    return it->second;
  };

  const YAML::Node& entity = need("entity");
  e->name = r.string(entity, "entity");
  if (e->name != path.stem().string())
    r.fail_at(entity, "entity '" + e->name + "' differs from the file name");
  e->title = r.string(need("title"), "title");
  if (top.count("description")) e->description = r.string(top["description"], "description");
  if (top.count("effective_dated")) e->effective_dated = r.boolean(top["effective_dated"], "effective_dated");

  const YAML::Node& fields = need("fields");
  if (!fields.IsMap() || fields.size() == 0) r.fail_at(fields, "'fields' must be a non-empty mapping");
  std::set<std::string> seen;
  for (const auto& kv : fields) {
    std::string name = r.string(kv.first, "a field name");
    if (!seen.insert(name).second) r.fail_at(kv.first, "duplicate field '" + name + "'");
    e->fields.push_back(read_field(r, name, kv.first, kv.second, catalogs, refs, e->name));
    e->index[name] = e->fields.size() - 1;
    if (e->fields.back().required) e->required.push_back(e->fields.size() - 1);
    if (e->fields.back().required_for_new) e->required_for_new.push_back(e->fields.size() - 1);
  }

  if (e->effective_dated) {
    // The warehouse's snapshots read the period valid on a cut-off date; without these two
    // fields an effective-dated entity could not be placed in time.
    const YAML::Node& flag = top["effective_dated"];
    for (const char* name : {"valid_from", "valid_to"}) {
      const FieldSchema* f = e->field(name);
      if (!f || f->type != FieldType::kDate)
        r.fail_at(flag, std::string("an effective-dated entity needs a date field '") + name + "'");
    }
    if (!e->field("valid_from")->required) r.fail_at(flag, "valid_from of an effective-dated entity must be required");
  }
  if (top.count("one_in_force_per")) {
    const YAML::Node& per = top["one_in_force_per"];
    e->one_in_force_per = r.string(per, "one_in_force_per");
    if (!e->effective_dated) r.fail_at(per, "'one_in_force_per' applies to effective-dated entities only");
    const FieldSchema* owner = e->field(e->one_in_force_per);
    if (!owner || owner->type != FieldType::kRef)
      r.fail_at(per, "'one_in_force_per' names '" + e->one_in_force_per + "', which is not a ref field of " + e->name);
  }

  if (top.count("natural_keys")) {
    const YAML::Node& keys = top["natural_keys"];
    if (!keys.IsSequence()) r.fail_at(keys, "'natural_keys' must be a list of lists of field names");
    for (const auto& key : keys) {
      if (!key.IsSequence() || key.size() == 0) r.fail_at(key, "a natural key must be a non-empty list of field names");
      std::vector<std::string> names;
      for (const auto& n : key) {
        std::string name = r.string(n, "a natural-key field");
        if (!e->field(name)) r.fail_at(n, "natural key names unknown field '" + name + "'");
        if (std::find(names.begin(), names.end(), name) != names.end())
          r.fail_at(n, "natural key names '" + name + "' twice");
        names.push_back(std::move(name));
      }
      e->natural_keys.push_back(std::move(names));
    }
  }
  return e;
}

// ---- validation helpers ----

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

std::string range_text(const FieldSchema& f) {
  if (f.min && f.max) return "[" + format_number(*f.min) + ", " + format_number(*f.max) + "]";
  if (f.min) return ">= " + format_number(*f.min);
  return "<= " + format_number(*f.max);
}

std::string expected(const FieldSchema& f) {
  switch (f.type) {
    case FieldType::kString: return "a string";
    case FieldType::kInteger: return "an integer (JSON number)";
    case FieldType::kDecimal: return "a decimal (JSON number)";
    case FieldType::kBoolean: return "a boolean (true/false)";
    case FieldType::kDate: return "a date (ISO YYYY-MM-DD string)";
    case FieldType::kCode: return "a code (string) of catalog " + f.catalog;
    case FieldType::kPersonalId: return "a personal ID (12-digit string)";
    case FieldType::kPhone: return "a phone number in canonical national form (string, e.g. 0912345678)";
    case FieldType::kEmail: return "an e-mail address (string, domain in lower case)";
    case FieldType::kSchoolYear: return "a school year (string, e.g. 2025-2026)";
    case FieldType::kRef: return "a ref to " + f.ref_entity + ": a string id or {\"$ref\": \"<local name>\"}";
  }
  return "?";
}

std::string json_kind(const rapidjson::Value& v) {
  if (v.IsString()) return "a string";
  if (v.IsBool()) return "a boolean";
  if (v.IsNumber()) return "a number";
  if (v.IsObject()) return "an object";
  if (v.IsArray()) return "an array";
  return "null";
}

class Checker {
 public:
  Checker(const catalog::CatalogSet* catalogs, std::optional<Date> as_of, std::vector<Violation>& out)
      : catalogs_(catalogs), as_of_(as_of), out_(out) {}

  void check(const FieldSchema& f, const rapidjson::Value& v) {
    switch (f.type) {
      case FieldType::kString:
        if (!v.IsString()) return type_error(f, v);
        check_string(f, str(v));
        return;
      case FieldType::kInteger: {
        if (!v.IsNumber()) return type_error(f, v);
        double d = v.GetDouble();
        // 8.0 written by a serializer is still an integer; 8.5 is not.
        if (!(v.IsInt64() || v.IsUint64()) && std::trunc(d) != d) return type_error(f, v);
        check_range(f, d);
        return;
      }
      case FieldType::kDecimal:
        if (!v.IsNumber()) return type_error(f, v);
        check_range(f, v.GetDouble());
        return;
      case FieldType::kBoolean:
        if (!v.IsBool()) type_error(f, v);
        return;
      case FieldType::kDate:
        if (!v.IsString()) return type_error(f, v);
        if (!Date::parse_iso(str(v)))
          add(f, "schema.date_invalid",
              "expected a real date as YYYY-MM-DD, got something shaped '" + text::value_shape(str(v)) + "'");
        return;
      case FieldType::kCode:
        if (!v.IsString()) return type_error(f, v);
        check_code(f, str(v));
        return;
      case FieldType::kPersonalId:
        if (!v.IsString()) return type_error(f, v);
        check_personal_id(f, str(v));
        return;
      case FieldType::kPhone:
        if (!v.IsString()) return type_error(f, v);
        check_canonical(f, str(v), validate::phone(str(v)));
        return;
      case FieldType::kEmail:
        if (!v.IsString()) return type_error(f, v);
        check_canonical(f, str(v), validate::email(str(v)));
        return;
      case FieldType::kSchoolYear:
        if (!v.IsString()) return type_error(f, v);
        check_canonical(f, str(v), validate::school_year(str(v)));
        return;
      case FieldType::kRef:
        if (v.IsString()) return;  // non-empty: empty strings were treated as absent
        if (v.IsObject() && v.MemberCount() == 1) {
          auto it = v.FindMember("$ref");
          if (it != v.MemberEnd() && it->value.IsString() && it->value.GetStringLength() > 0) return;
        }
        type_error(f, v);
        return;
    }
  }

  void add(const FieldSchema& f, const char* code, std::string message) {
    out_.push_back(Violation{f.name, code, f.name + ": " + message});
  }

 private:
  static std::string_view str(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

  void type_error(const FieldSchema& f, const rapidjson::Value& v) {
    add(f, "schema.type", "expected " + expected(f) + ", got " + json_kind(v));
  }

  void check_string(const FieldSchema& f, std::string_view s) {
    // A code point takes at least one byte: short text needs no counting.
    if (f.max_length && s.size() > *f.max_length && text::code_points(s) > *f.max_length)
      add(f, "schema.too_long",
          std::to_string(text::code_points(s)) + " characters, at most " + std::to_string(*f.max_length) + " allowed");
    check_enum(f, s);
  }

  bool check_enum(const FieldSchema& f, std::string_view s) {
    if (f.enum_values.empty() ||
        std::find(f.enum_values.begin(), f.enum_values.end(), s) != f.enum_values.end())
      return true;
    std::string allowed;
    for (const auto& e : f.enum_values) allowed += (allowed.empty() ? "" : ", ") + e;
    // Repeating a wrong code helps the vendor, except in a sensitive field (blood type ...).
    std::string shown = f.sensitive ? "a value shaped '" + text::value_shape(s) + "'" : "'" + std::string(s) + "'";
    add(f, "schema.not_in_enum", shown + " is not one of: " + allowed);
    return false;
  }

  void check_range(const FieldSchema& f, double d) {
    if ((f.min && d < *f.min) || (f.max && d > *f.max))
      add(f, "schema.out_of_range", format_number(d) + " is outside " + range_text(f));
  }

  void check_code(const FieldSchema& f, std::string_view s) {
    if (!check_enum(f, s) || !catalogs_) return;
    const catalog::Catalog* cat = catalogs_->find(f.catalog);
    if (!cat) {
      add(f, "schema.code_unknown", "catalog " + f.catalog + " is not loaded");
      return;
    }
    catalog::LookupOptions o;
    o.by = catalog::LookupBy::kCode;
    o.as_of = as_of_;
    auto r = cat->lookup(s, o);
    if (!r.ok()) add(f, "schema.code_unknown", "not a code of catalog " + f.catalog + ": " + r.error().message);
  }

  void check_personal_id(const FieldSchema& f, std::string_view s) {
    if (text::trim(s).size() != s.size()) {
      add(f, "schema.personal_id", "white space around the personal ID " + validate::mask_personal_id(s));
      return;
    }
    std::function<bool(std::string_view)> known;
    if (catalogs_) known = [this](std::string_view p) { return catalogs_->is_personal_id_prefix(p); };
    auto r = validate::personal_id(s, known);
    if (!r.ok()) add(f, "schema.personal_id", r.error().message + " (" + validate::mask_personal_id(s) + ")");
  }

  template <class T>
  void check_canonical(const FieldSchema& f, std::string_view s, const Result<T>& r) {
    if (r.ok() && *r == s) return;
    std::string why = r.ok() ? "valid but not in canonical form (the mapping should canonicalise it)"
                             : r.error().message;
    add(f, "schema.type", "expected " + expected(f) + ": " + why);
  }

  const catalog::CatalogSet* catalogs_;
  std::optional<Date> as_of_;
  std::vector<Violation>& out_;
};

bool absent(const rapidjson::Value* v) {
  return !v || v->IsNull() || (v->IsString() && v->GetStringLength() == 0);
}

const rapidjson::Value* find_member(const rapidjson::Value& record, const char* name) {
  auto it = record.FindMember(name);
  return it == record.MemberEnd() ? nullptr : &it->value;
}

// Reports each required field for which present(position in schema.fields) is false.
template <class Present>
void check_required(const EntitySchema& schema, Checker& checker, const Present& present) {
  if (schema.index.empty()) {  // a schema built by hand, without the loader's list
    for (std::size_t i = 0; i < schema.fields.size(); ++i)
      if (schema.fields[i].required && !present(i)) checker.add(schema.fields[i], "schema.required", "required field is missing");
    return;
  }
  for (std::size_t i : schema.required)
    if (!present(i)) checker.add(schema.fields[i], "schema.required", "required field is missing");
}

void check_effective_dates(const EntitySchema& schema, Checker& checker, const rapidjson::Value* from,
                           const rapidjson::Value* to) {
  if (!schema.effective_dated || !from || !to || !from->IsString() || !to->IsString()) return;
  auto a = Date::parse_iso(from->GetString()), b = Date::parse_iso(to->GetString());
  if (a && b && *b < *a) checker.add(*schema.field("valid_to"), "schema.out_of_range", "valid_to is before valid_from");
}

}  // namespace

std::string_view type_name(FieldType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.name;
  return "?";
}

std::optional<FieldType> parse_type(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.name == name) return t.type;
  return std::nullopt;
}

const FieldSchema* EntitySchema::field(std::string_view name) const {
  if (!index.empty()) {
    auto it = index.find(name);
    return it == index.end() ? nullptr : &fields[it->second];
  }
  for (const auto& f : fields)  // a schema built by hand, without the loader's index
    if (f.name == name) return &f;
  return nullptr;
}

Result<std::shared_ptr<const SchemaSet>> SchemaSet::load_dir(const std::string& dir,
                                                             const catalog::CatalogSet* catalogs) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error{"schema.load", dir + ": not a directory", dir, 0};
  std::vector<fs::path> files;
  for (const auto& de : fs::directory_iterator(dir, ec))
    if (de.is_regular_file() && de.path().extension() == ".yaml") files.push_back(de.path());
  if (ec) return Error{"schema.load", dir + ": " + ec.message(), dir, 0};
  if (files.empty()) return Error{"schema.load", dir + ": no *.yaml schema files", dir, 0};
  std::sort(files.begin(), files.end());

  auto set = std::make_shared<SchemaSet>();
  std::vector<PendingRef> refs;
  try {
    for (const auto& p : files) set->entities_.push_back(read_entity(p, catalogs, refs));
    for (const auto& ref : refs)
      if (!set->find(ref.target))
        fail(ref.file, ref.where,
             "field '" + ref.field + "' refers to entity '" + ref.target + "', which is not loaded");
  } catch (const LoadFailure& f) {
    return f.error;
  }
  return std::shared_ptr<const SchemaSet>(std::move(set));
}

const EntitySchema* SchemaSet::find(std::string_view entity) const {
  auto it = std::lower_bound(entities_.begin(), entities_.end(), entity,
                             [](const auto& e, std::string_view n) { return e->name < n; });
  return it != entities_.end() && (*it)->name == entity ? it->get() : nullptr;
}

std::vector<const EntitySchema*> SchemaSet::list() const {
  std::vector<const EntitySchema*> out;
  for (const auto& e : entities_) out.push_back(e.get());
  return out;
}

std::vector<Violation> validate(const EntitySchema& schema, const rapidjson::Value& record,
                                const catalog::CatalogSet* catalogs, std::optional<Date> as_of) {
  std::vector<Violation> out;
  if (!record.IsObject()) {
    out.push_back(Violation{"", "schema.type", "a " + schema.name + " record must be a JSON object, got " +
                                                   json_kind(record)});
    return out;
  }
  Checker checker(catalogs, as_of, out);
  // One pass over the record's own members (a handful), then the required fields: schemas have
  // dozens of fields and records carry few of them.
  for (const auto& m : record.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const FieldSchema* f = schema.field(name);
    if (!f) {
      out.push_back(Violation{std::string(name), "schema.unknown_field",
                              "'" + std::string(name) + "' is not a field of " + schema.name});
      continue;
    }
    if (!absent(&m.value)) checker.check(*f, m.value);
  }
  check_required(schema, checker, [&](std::size_t pos) {
    const std::string& name = schema.fields[pos].name;
    auto it = record.FindMember(rapidjson::StringRef(name.data(), name.size()));
    return !absent(it == record.MemberEnd() ? nullptr : &it->value);
  });
  check_effective_dates(schema, checker, find_member(record, "valid_from"), find_member(record, "valid_to"));
  return out;
}

std::vector<Violation> check_value(const FieldSchema& field, const rapidjson::Value& value,
                                   const catalog::CatalogSet* catalogs, std::optional<Date> as_of) {
  std::vector<Violation> out;
  Checker checker(catalogs, as_of, out);
  if (!absent(&value)) checker.check(field, value);
  return out;
}

std::vector<Violation> validate_known(const EntitySchema& entity, const std::vector<KnownField>& fields,
                                      const catalog::CatalogSet* catalogs, std::optional<Date> as_of) {
  std::vector<Violation> out;
  Checker checker(catalogs, as_of, out);
  // Which fields hold a value, by position in the schema: the required check needs no lookup.
  constexpr std::size_t kSmall = 64;
  bool small[kSmall] = {};
  std::vector<bool> large;
  const std::size_t n = entity.fields.size();
  if (n > kSmall) large.assign(n, false);
  const rapidjson::Value *from = nullptr, *to = nullptr;
  for (const auto& kf : fields) {
    if (absent(kf.value)) continue;
    std::size_t pos = static_cast<std::size_t>(kf.schema - entity.fields.data());
    if (n > kSmall) large[pos] = true;
    else small[pos] = true;
    if (!kf.canonical) checker.check(*kf.schema, *kf.value);
    if (entity.effective_dated && kf.schema->name == "valid_from") from = kf.value;
    if (entity.effective_dated && kf.schema->name == "valid_to") to = kf.value;
  }
  auto present = [&](std::size_t pos) { return n > kSmall ? bool(large[pos]) : small[pos]; };
  check_required(entity, checker, present);
  check_effective_dates(entity, checker, from, to);
  return out;
}

}  // namespace hub::schema
