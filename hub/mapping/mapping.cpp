#include "hub/mapping/mapping.h"
#include "hub/mapping/output.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "hub/common/crypto.h"
#include "hub/mapping/iregexp.h"
#include "hub/mapping/jsonpath.h"
#include "hub/mapping/messages.h"
#include "hub/mapping/text.h"
#include "hub/mapping/transforms.h"
#include "hub/mapping/validators.h"

namespace hub::mapping {

// ---- compiled form -------------------------------------------------------------------------

// A JSONPath with the node it starts from: `$` the current context (the vendor record, or the
// element of a `foreach`), `$record` the vendor record, `$root` the whole document, `$path` the
// member names and indexes that lead from the foreach's starting node to the element (a JSON
// array: for `foreach: $.ketQua.*.*`, $path[1] is the subject's member name, $path[2] the term's).
struct PathRef {
  enum class Base { kContext, kRecord, kRoot, kElementPath } base = Base::kContext;
  std::string text;
  std::optional<jsonpath::Query> query;
  // Slot of the query's first member in CompiledMapping::record_members, when that member is
  // one of the vendor record's own; -1 otherwise.
  int record_member = -1;
  bool member_only = false;  // the query is that member and nothing more ($.x)
};

// A `when:` test: one comparison of the value at `path`, or all / any / not of others.
struct Condition {
  enum class Op { kExists, kMissing, kEquals, kNotEquals, kIn, kNotIn, kRegex, kPrefix, kAll, kAny, kNot };
  Op op = Op::kExists;
  PathRef path;
  std::vector<std::string> values;  // equals, not_equals, in, not_in, prefix (any of them)
  std::shared_ptr<const jsonpath::Regex> regex;
  std::vector<Condition> children;  // all, any, not (one)
};

struct CatalogRule {
  const catalog::Catalog* catalog = nullptr;
  catalog::LookupOptions options;
  std::optional<Date> valid_on;  // codes are read as valid on this date (default: today)
  bool crosswalk = false;        // pre-reform commune codes are turned into current ones
};

struct FieldRule {
  std::string name;
  // The same name, interned for the life of the process: records store it by reference
  // instead of copying it into every record's pool.
  const std::string* key = nullptr;
  const schema::FieldSchema* schema = nullptr;
  std::optional<PathRef> from;
  std::optional<Scalar> constant;
  std::optional<Scalar> default_value;
  std::vector<Transform> transforms;
  std::optional<CatalogRule> catalog;
  std::string ref;  // local name of another record of the same vendor record
  bool required = false;
  bool sensitive = false;
  // The last step is the transform that defines the canonical form of the field's type (date
  // for a date, phone for a phone ...), or the value is known at load time to pass the schema's
  // check: it needs no check against the schema per record.
  bool canonical_output = false;
  std::optional<Condition> when;
};

struct EmitRule {
  std::string entity;
  std::string as;
  const schema::EntitySchema* schema = nullptr;
  std::optional<PathRef> foreach;
  // The parts of each child's key, read from the element; joined with '/' into the child's
  // source id. Empty: the element's index. Without foreach, the parts of the record's own key,
  // read from the vendor record and $root: a record that the vendor's id alone does not tell
  // apart from the vendor's other records of that entity (an enrollment per school and year).
  std::vector<PathRef> child_key;
  bool uses_element_path = false;  // some path of the emit starts at $path
  std::optional<Condition> when;
  std::vector<FieldRule> fields;
};

struct CompiledMapping {
  std::uint64_t serial = 0;  // unique per compiled mapping in this process (memo keys)
  std::string partner, feed, version, file;
  PathRef records;
  PathRef source_id;
  std::vector<EmitRule> emits;
  // The vendor record's members that the paths read, looked up once per record.
  jsonpath::MemberIndex record_members;
  std::shared_ptr<const catalog::CatalogSet> catalogs;
  std::shared_ptr<const schema::SchemaSet> schemas;
  // What the file allows but is likely wrong ("file:line:column: warning: ..."), for
  // `hubctl mapping check`.
  std::vector<std::string> warnings;
  // Some emit explodes children, or two emits make the same entity: two records of one vendor
  // record may then share a source id, which each record is checked for.
  bool may_share_source_ids = false;
};

// ---- loading -------------------------------------------------------------------------------

namespace {

void put(rapidjson::Document& doc, const std::string& interned_key, const Scalar& v);

// Canonical field names, kept for the life of the process (a few hundred at most, from the
// schemas), so mapped records can refer to them without a copy and outlive their mapping.
const std::string& intern(const std::string& name) {
  static std::mutex mutex;
  static std::unordered_set<std::string> names;  // node-based: addresses are stable
  std::lock_guard<std::mutex> lock(mutex);
  return *names.insert(name).first;
}

struct Compiler {
  std::string file;
  const LoadContext& ctx;
  // While an emit with `foreach` is compiled: its paths may start at $path; each use is counted.
  mutable bool element_paths_allowed = false;
  mutable int element_path_uses = 0;
  mutable std::vector<std::string> warnings{};

  void warn(const YAML::Node& node, const std::string& what) const {
    auto m = node.Mark();
    std::string where = file;
    if (!m.is_null()) where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    warnings.push_back(where + ": warning: " + what);
  }

  // Errors carry file:line:column of the YAML node they are about.
  Error at(const YAML::Node& node, const std::string& what) const {
    auto m = node.Mark();
    std::string where = file;
    if (!m.is_null()) where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    return make_error("mapping.invalid", where + ": " + what, file);
  }

  static void check_keys(const YAML::Node& map, const std::set<std::string>& allowed,
                         const std::string& where, std::optional<YAML::Node>& bad, std::string& bad_key) {
    for (const auto& kv : map) {
      if (!allowed.count(kv.first.Scalar())) {
        bad = kv.first;
        bad_key = kv.first.Scalar();
        return;
      }
    }
  }

  Status keys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& what) const {
    std::optional<YAML::Node> bad;
    std::string key;
    check_keys(map, allowed, what, bad, key);
    if (!bad) return Status::Ok();
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return at(*bad, "unknown key '" + key + "' in " + what + "; allowed: " + list);
  }

  std::string known_catalogs() const {
    std::string list;
    for (const auto* c : ctx.catalogs->list()) list += (list.empty() ? "" : ", ") + c->name();
    return list;
  }

  Result<PathRef> path(const YAML::Node& node) const {
    if (!node.IsScalar()) return at(node, "expected a JSONPath such as $.hoTen");
    PathRef p;
    std::string text = node.Scalar();
    p.text = text;
    if (text.rfind("$root", 0) == 0) {
      p.base = PathRef::Base::kRoot;
      text = "$" + text.substr(5);
    } else if (text.rfind("$record", 0) == 0) {
      p.base = PathRef::Base::kRecord;
      text = "$" + text.substr(7);
    } else if (text.rfind("$path", 0) == 0) {
      if (!element_paths_allowed)
        return at(node, "'" + text + "': $path (the element's member names and indexes) exists only in an emit with foreach");
      p.base = PathRef::Base::kElementPath;
      text = "$" + text.substr(5);
      ++element_path_uses;
    }
    auto q = jsonpath::Query::parse(text);
    if (!q)
      return at(node, "invalid JSONPath '" + p.text + "': " + q.error().message + " (at character " +
                          std::to_string(q.error().offset) + ")");
    p.query = std::move(q.value());
    return p;
  }

  // Gives `p` a slot in the mapping's record member index when it starts with a member of the
  // vendor record ($record.x, or $.x where the context is the record itself).
  static void index_record_member(CompiledMapping& m, PathRef& p, bool context_is_record) {
    const std::string* name = p.query->first_name();
    bool on_record = p.base == PathRef::Base::kRecord || (p.base == PathRef::Base::kContext && context_is_record);
    if (!name || !on_record) return;
    p.record_member = static_cast<int>(m.record_members.add(*name));
    p.member_only = p.query->is_singular_name();
  }

  // Conditions nest (all / any / not) at most this deep: deeper is surely a mistake.
  static constexpr int kMaxConditionDepth = 8;

  Result<Condition> condition(const YAML::Node& node, int depth = 0) const {
    const char* usage = "a condition is {path: <JSONPath>, equals|not_equals|in|not_in|regex|prefix|exists: ...}, "
                        "or {all: [...]}, {any: [...]}, {not: {...}} of conditions";
    if (!node.IsMap()) return at(node, usage);
    if (depth >= kMaxConditionDepth) return at(node, "conditions nest at most 8 deep");
    Condition c;
    for (const char* group : {"all", "any", "not"}) {
      const YAML::Node& g = node[group];
      if (!g) continue;
      if (node.size() != 1) return at(node, std::string("'") + group + "' stands alone in its condition");
      std::vector<YAML::Node> kids;
      if (std::string(group) == "not") {
        c.op = Condition::Op::kNot;
        kids.push_back(g);
      } else {
        if (!g.IsSequence() || g.size() == 0) return at(g, std::string("'") + group + "' takes a list of conditions");
        c.op = std::string(group) == "all" ? Condition::Op::kAll : Condition::Op::kAny;
        for (const auto& k : g) kids.push_back(k);
      }
      for (const auto& k : kids) {
        auto child = condition(k, depth + 1);
        if (!child) return child.error();
        c.children.push_back(std::move(child.value()));
      }
      return c;
    }
    if (!node["path"]) return at(node, usage);
    if (auto st = keys(node, {"path", "equals", "not_equals", "in", "not_in", "regex", "prefix", "exists"}, "a condition"); !st)
      return st.error();
    if (node.size() > 2) return at(node, "one test per condition; combine several with all: [...] or any: [...]");
    auto p = path(node["path"]);
    if (!p) return p.error();
    c.path = std::move(p.value());
    auto list = [&](const YAML::Node& n) -> Status {
      if (n.IsScalar()) c.values = {n.Scalar()};
      else if (n.IsSequence() && n.size() > 0)
        for (const auto& v : n) c.values.push_back(v.Scalar());
      else return at(n, "expected a value or a list of values");
      return Status::Ok();
    };
    if (node["equals"]) {
      c.op = Condition::Op::kEquals;
      c.values = {node["equals"].Scalar()};
    } else if (node["not_equals"]) {
      c.op = Condition::Op::kNotEquals;
      c.values = {node["not_equals"].Scalar()};
    } else if (node["in"] || node["not_in"]) {
      const YAML::Node& n = node["in"] ? node["in"] : node["not_in"];
      if (!n.IsSequence()) return at(n, std::string("'") + (node["in"] ? "in" : "not_in") + "' takes a list of values");
      c.op = node["in"] ? Condition::Op::kIn : Condition::Op::kNotIn;
      if (auto st = list(n); !st) return st.error();
    } else if (node["prefix"]) {
      c.op = Condition::Op::kPrefix;
      if (auto st = list(node["prefix"]); !st) return st.error();
    } else if (node["regex"]) {
      c.op = Condition::Op::kRegex;
      c.regex = jsonpath::Regex::compile(node["regex"].Scalar(), true);
      if (!c.regex) return at(node["regex"], "'" + node["regex"].Scalar() + "' is not a valid I-Regexp (RFC 9485)");
    } else if (node["exists"]) {
      c.op = node["exists"].as<bool>(true) ? Condition::Op::kExists : Condition::Op::kMissing;
    }
    return c;
  }

  static Scalar scalar_of(const YAML::Node& n) {
    if (n.IsNull()) return Scalar();
    const std::string& s = n.Scalar();
    // Quoted YAML strings stay strings ("01" is a code, not the number 1).
    if (n.Tag() == "!") return Scalar(s);
    try {
      if (s == "true" || s == "false") return Scalar(s == "true");
      size_t pos = 0;
      long long i = std::stoll(s, &pos);
      if (pos == s.size()) return Scalar(i);
      double d = std::stod(s, &pos);
      if (pos == s.size()) return Scalar(d);
    } catch (const std::exception&) {
    }
    return Scalar(s);
  }

  Result<FieldRule> field(const std::string& name, const YAML::Node& spec, const EmitRule& emit,
                          const std::set<std::string>& known_refs,
                          const std::map<std::string, std::string>& code_systems,
                          const TransformOptions& topts, std::optional<Date> default_valid_on) const {
    FieldRule f;
    f.name = name;
    f.key = &intern(name);
    f.schema = emit.schema->field(name);
    if (!f.schema) {
      std::string list;
      for (const auto& fs : emit.schema->fields) list += (list.empty() ? "" : ", ") + fs.name;
      return at(spec, "'" + name + "' is not a field of the canonical " + emit.entity + " (fields: " + list + ")");
    }
    f.sensitive = f.schema->sensitive || f.schema->type == schema::FieldType::kPersonalId;
    // Shorthand `full_name: $.hoTen` means {from: $.hoTen}. (A yaml-cpp Node assigned after
    // construction writes through to the node it refers to, hence the fresh node.)
    YAML::Node s;
    if (spec.IsScalar()) {
      s = YAML::Node(YAML::NodeType::Map);
      s["from"] = spec;
    } else {
      s = spec;
    }
    if (!s.IsMap()) return at(spec, "a field is a JSONPath or a map with from/value/transform/catalog/...");
    if (auto st = keys(s, {"from", "value", "default", "required", "transform", "catalog", "code_system",
                           "by", "valid_on", "crosswalk", "ref", "when"},
                       "field '" + name + "'");
        !st)
      return st.error();
    int sources = (s["from"] ? 1 : 0) + (s["value"] ? 1 : 0) + (s["ref"] ? 1 : 0);
    if (sources != 1) return at(spec, "field '" + name + "' needs exactly one of from, value or ref");
    if (s["from"]) {
      auto p = path(s["from"]);
      if (!p) return p.error();
      f.from = std::move(p.value());
    }
    if (s["value"]) f.constant = scalar_of(s["value"]);
    if (s["default"]) f.default_value = scalar_of(s["default"]);
    if (s["ref"]) {
      f.ref = s["ref"].Scalar();
      if (!known_refs.count(f.ref))
        return at(s["ref"], "ref '" + f.ref + "' names no record emitted before this one (give that emit `as: " + f.ref + "`)");
      if (f.schema->type != schema::FieldType::kRef)
        return at(s["ref"], "'" + name + "' is not a reference field of " + emit.entity);
    }
    f.required = s["required"] ? s["required"].as<bool>(false) : f.schema->required;
    // A mapping may ask more of a vendor than the schema does, not less: a record without a
    // field the canonical schema requires is rejected whatever the mapping says.
    if (!f.required && f.schema->required)
      return at(s["required"], "'" + name + "' is required by the canonical " + emit.entity +
                                   " schema, so a mapping cannot make it optional; give `default:` for the "
                                   "records where the vendor leaves it out");
    if (s["transform"]) {
      const YAML::Node& t = s["transform"];
      std::vector<YAML::Node> steps;
      if (t.IsSequence())
        for (const auto& step : t) steps.push_back(step);
      else
        steps.push_back(t);
      for (const auto& step : steps) {
        auto compiled = compile_transform(step, topts);
        if (!compiled) return at(step, compiled.error().message);
        if (compiled->sensitive) f.sensitive = true;
        f.transforms.push_back(std::move(compiled.value()));
      }
    }
    std::string catalog_name = s["catalog"] ? s["catalog"].Scalar()
                                            : (f.schema->type == schema::FieldType::kCode ? f.schema->catalog : "");
    if (!catalog_name.empty() && !s["value"] && !s["ref"]) {
      CatalogRule c;
      c.catalog = ctx.catalogs->find(catalog_name);
      if (!c.catalog) return at(s["catalog"] ? s["catalog"] : spec, "unknown catalog '" + catalog_name + "'; known: " + known_catalogs());
      auto cs = code_systems.find(catalog_name);
      if (s["code_system"]) c.options.code_system = s["code_system"].Scalar();
      else if (cs != code_systems.end()) c.options.code_system = cs->second;
      if (!c.options.code_system.empty()) {
        bool known = c.options.code_system == c.catalog->canonical_code_system();
        for (const auto& sys : c.catalog->code_systems()) known = known || sys.id == c.options.code_system;
        if (!known) return at(s["code_system"] ? s["code_system"] : spec,
                              "catalog '" + catalog_name + "' has no code system '" + c.options.code_system + "'");
        if (c.options.code_system == c.catalog->canonical_code_system()) c.options.code_system.clear();
      }
      std::string by = s["by"] ? s["by"].Scalar() : "any";
      if (by == "code") c.options.by = catalog::LookupBy::kCode;
      else if (by == "name") c.options.by = catalog::LookupBy::kName;
      else if (by == "any") c.options.by = catalog::LookupBy::kAny;
      else return at(s["by"], "'by' is code, name or any");
      c.valid_on = default_valid_on;
      if (s["valid_on"]) {
        c.valid_on = Date::parse_iso(s["valid_on"].Scalar());
        if (!c.valid_on) return at(s["valid_on"], "valid_on must be a date YYYY-MM-DD");
      }
      c.crosswalk = s["crosswalk"] && s["crosswalk"].as<bool>(false);
      if (c.crosswalk && catalog_name != "commune")
        return at(s["crosswalk"], "crosswalk applies to the commune catalog only");
      f.catalog = c;
    } else if (s["code_system"] || s["by"] || s["crosswalk"] || s["valid_on"]) {
      return at(spec, "code_system, by, valid_on and crosswalk need a catalog");
    }
    if (s["when"]) {
      auto c = condition(s["when"]);
      if (!c) return c.error();
      f.when = std::move(c.value());
    }
    // Checked here once, since records are validated without catalog lookups: a constant code
    // must exist, and a personal ID always gets its structure checked.
    if (f.constant && f.schema->type == schema::FieldType::kCode && !is_null(*f.constant)) {
      const auto* cat = ctx.catalogs->find(f.schema->catalog);
      catalog::LookupOptions o;
      o.by = catalog::LookupBy::kCode;
      if (!cat || !cat->lookup(scalar_text(*f.constant), o))
        return at(s["value"], "'" + scalar_text(*f.constant) + "' is not a code of the catalog '" +
                                  f.schema->catalog + "'");
    }
    // A person's name gets the default character check unless the pipeline has its own.
    if (f.schema->person_name && f.from &&
        std::none_of(f.transforms.begin(), f.transforms.end(), [](const Transform& t) { return t.name == "person_name"; }))
      f.transforms.push_back(std::move(compile_transform(YAML::Node("person_name"), topts).value()));
    if (f.schema->type == schema::FieldType::kPersonalId && f.from &&
        std::none_of(f.transforms.begin(), f.transforms.end(), [](const Transform& t) { return t.name == "personal_id"; })) {
      auto t = compile_transform(YAML::Node("personal_id"), topts);
      f.transforms.push_back(std::move(t.value()));
      f.sensitive = true;
    }
    if (!f.catalog && !f.transforms.empty()) {
      static const std::map<std::string, schema::FieldType> kCanonicalizers = {
          {"date", schema::FieldType::kDate},         {"personal_id", schema::FieldType::kPersonalId},
          {"phone", schema::FieldType::kPhone},       {"email", schema::FieldType::kEmail},
          {"school_year", schema::FieldType::kSchoolYear}};
      auto it = kCanonicalizers.find(f.transforms.back().name);
      f.canonical_output = it != kCanonicalizers.end() && it->second == f.schema->type;
    }
    // Catalog rules write codes as text, and the per-record check of a code (without catalogs)
    // is only the schema's enum.
    if (f.catalog && f.schema->type == schema::FieldType::kCode && f.schema->enum_values.empty())
      f.canonical_output = true;
    // A constant is written as it is (a blank one, never written, could bring in the default):
    // check it once here.
    if (f.constant && f.transforms.empty() && !f.default_value) {
      rapidjson::Document doc(rapidjson::kObjectType);
      put(doc, *f.key, *f.constant);
      f.canonical_output = schema::check_value(*f.schema, doc.MemberBegin()->value).empty();
    }
    return f;
  }

  // Every field the canonical schema requires must be mapped: otherwise every record of the
  // feed would be rejected at run time (`required: new` ones: every record that creates one).
  Status check_required_fields(const EmitRule& rule, const YAML::Node& e) const {
    std::vector<std::size_t> needed = rule.schema->required;
    needed.insert(needed.end(), rule.schema->required_for_new.begin(), rule.schema->required_for_new.end());
    for (std::size_t i : needed) {
      const schema::FieldSchema& fs = rule.schema->fields[i];
      auto it = std::find_if(rule.fields.begin(), rule.fields.end(), [&](const FieldRule& f) { return f.name == fs.name; });
      if (it == rule.fields.end())
        return at(e["fields"], "the canonical " + rule.entity + " requires '" + fs.name +
                                   "', which this emit does not map: every record would be rejected "
                                   "(schema.required); map it from the vendor's data");
      if (it->when && !it->default_value)
        warn(e["fields"][fs.name], "'" + fs.name + "' is required by the canonical " + rule.entity +
                                       " but mapped only `when` its condition holds: records where it does not are rejected");
    }
    return Status::Ok();
  }

  // The same text for the same node, however the path was spelled ($.a and $['a']).
  static std::string path_key(const PathRef& p) {
    auto singular = p.query->singular_path();
    return std::to_string(static_cast<int>(p.base)) + (singular ? *singular : p.query->text());
  }

  // Children of one vendor record must have different keys, or they would share a source id
  // (such a record is rejected at run time). Warns when the key cannot tell them apart by
  // construction: no key at all, a key that is the same for every element, or a key that
  // leaves out an element's value that is part of the entity's natural key.
  void warn_about_keys(const EmitRule& rule, const YAML::Node& e) const {
    if (!rule.foreach) return;
    if (rule.child_key.empty()) {
      warn(e["foreach"], "no key: children are told apart by their position in the vendor's list, so a vendor "
                         "that sends them in another order updates the wrong records; give `key:`");
      return;
    }
    bool varies = false;
    std::set<std::string> parts;
    for (const auto& k : rule.child_key) {
      varies = varies || k.base == PathRef::Base::kContext || k.base == PathRef::Base::kElementPath;
      parts.insert(path_key(k));
    }
    if (!varies) {
      warn(e["key"], "the key reads nothing from the element ($record and $root are the same for every element), "
                     "so two elements always share a source id");
      return;
    }
    for (const auto& natural : rule.schema->natural_keys) {
      for (const auto& name : natural) {
        auto f = std::find_if(rule.fields.begin(), rule.fields.end(), [&](const FieldRule& r) { return r.name == name; });
        if (f == rule.fields.end() || !f->from) continue;
        bool per_element = f->from->base == PathRef::Base::kContext || f->from->base == PathRef::Base::kElementPath;
        if (!per_element || parts.count(path_key(*f->from))) continue;
        std::string list;
        for (const auto& n : natural) list += (list.empty() ? "" : ", ") + n;
        warn(e["key"], "the key leaves out " + f->from->text + ", which gives '" + name + "' (natural key [" + list +
                           "] of " + rule.entity + "): two elements that differ only there get the same source "
                           "id and the vendor record is rejected; add it to the key");
      }
    }
  }

  Result<std::unique_ptr<CompiledMapping>> compile(const YAML::Node& root, const std::string& text) const {
    if (!root.IsMap()) return at(root, "a mapping file is a YAML map with partner, feed, records, source_id, emit");
    if (auto st = keys(root, {"partner", "feed", "version", "description", "records", "source_id",
                              "code_systems", "options", "emit"},
                       "the mapping");
        !st)
      return st.error();
    for (const char* k : {"partner", "feed", "records", "source_id", "emit"})
      if (!root[k]) return at(root, std::string("missing '") + k + "'");
    auto m = std::make_unique<CompiledMapping>();
    static std::atomic<std::uint64_t> next_serial{1};
    m->serial = next_serial++;
    m->file = file;
    m->catalogs = ctx.catalogs;
    m->schemas = ctx.schemas;
    m->partner = root["partner"].Scalar();
    m->feed = root["feed"].Scalar();
    std::string declared = root["version"] ? root["version"].Scalar() : "0";
    m->version = declared + "#" + crypto::to_hex(crypto::sha256(text)).substr(0, 8);
    auto records = path(root["records"]);
    if (!records) return records.error();
    m->records = std::move(records.value());
    auto sid = path(root["source_id"]);
    if (!sid) return sid.error();
    m->source_id = std::move(sid.value());
    index_record_member(*m, m->source_id, true);

    std::map<std::string, std::string> code_systems;
    if (root["code_systems"]) {
      if (!root["code_systems"].IsMap()) return at(root["code_systems"], "code_systems maps a catalog to the vendor's code system");
      for (const auto& kv : root["code_systems"]) {
        if (!ctx.catalogs->find(kv.first.Scalar()))
          return at(kv.first, "unknown catalog '" + kv.first.Scalar() + "'; known: " + known_catalogs());
        code_systems[kv.first.Scalar()] = kv.second.Scalar();
      }
    }
    TransformOptions topts;
    auto catalogs = ctx.catalogs;
    topts.is_personal_id_prefix = [catalogs](std::string_view p) { return catalogs->is_personal_id_prefix(p); };
    std::optional<Date> default_valid_on;
    if (const auto& opts = root["options"]) {
      if (auto st = keys(opts, {"date_pivot", "codes_valid_on"}, "options"); !st) return st.error();
      if (opts["date_pivot"]) topts.date_pivot = opts["date_pivot"].as<int>(50);
      if (opts["codes_valid_on"]) {
        default_valid_on = Date::parse_iso(opts["codes_valid_on"].Scalar());
        if (!default_valid_on) return at(opts["codes_valid_on"], "codes_valid_on must be a date YYYY-MM-DD");
      }
    }

    if (!root["emit"].IsSequence() || root["emit"].size() == 0)
      return at(root["emit"], "emit is a list of the canonical records made from each vendor record");
    std::set<std::string> known_refs;
    for (const auto& e : root["emit"]) {
      if (!e.IsMap()) return at(e, "each emit is a map with entity, fields ...");
      if (auto st = keys(e, {"entity", "as", "foreach", "key", "when", "fields"}, "an emit"); !st) return st.error();
      if (!e["entity"] || !e["fields"]) return at(e, "an emit needs 'entity' and 'fields'");
      EmitRule rule;
      rule.entity = e["entity"].Scalar();
      rule.schema = ctx.schemas->find(rule.entity);
      if (!rule.schema) return at(e["entity"], "unknown canonical entity '" + rule.entity + "'");
      rule.as = e["as"] ? e["as"].Scalar() : rule.entity;
      for (const auto& other : m->emits)
        if (other.as == rule.as) return at(e, "two emits are named '" + rule.as + "'; give one an `as:`");
      if (e["foreach"]) {
        auto p = path(e["foreach"]);
        if (!p) return p.error();
        rule.foreach = std::move(p.value());
      }
      element_paths_allowed = rule.foreach.has_value();
      element_path_uses = 0;
      if (e["key"]) {
        std::vector<YAML::Node> parts;
        if (e["key"].IsSequence())
          for (const auto& k : e["key"]) parts.push_back(k);
        else
          parts.push_back(e["key"]);
        if (parts.empty()) return at(e["key"], "'key' is a path, or a list of paths, giving each child's key");
        for (const auto& k : parts) {
          auto p = path(k);
          if (!p) return p.error();
          rule.child_key.push_back(std::move(p.value()));
        }
      }
      if (e["when"]) {
        auto c = condition(e["when"]);
        if (!c) return c.error();
        rule.when = std::move(c.value());
      }
      if (!e["fields"].IsMap()) return at(e["fields"], "fields maps canonical field names to their source");
      for (const auto& kv : e["fields"]) {
        auto f = field(kv.first.Scalar(), kv.second, rule, known_refs, code_systems, topts, default_valid_on);
        if (!f) return f.error();
        rule.fields.push_back(std::move(f.value()));
        if (auto& from = rule.fields.back().from) index_record_member(*m, *from, !rule.foreach);
      }
      rule.uses_element_path = element_path_uses > 0;
      element_paths_allowed = false;
      if (auto st = check_required_fields(rule, e); !st) return st.error();
      warn_about_keys(rule, e);
      known_refs.insert(rule.as);
      m->emits.push_back(std::move(rule));
    }
    m->warnings = std::move(warnings);
    for (std::size_t i = 0; i < m->emits.size(); ++i) {
      m->may_share_source_ids = m->may_share_source_ids || m->emits[i].foreach.has_value();
      for (std::size_t j = 0; j < i; ++j)
        m->may_share_source_ids = m->may_share_source_ids || m->emits[i].entity == m->emits[j].entity;
    }
    return m;
  }
};

// ---- running -------------------------------------------------------------------------------

// The member names and indexes from a foreach's starting node to one element, as the JSON
// array `$path` selects from, with where each one ends in the element's normalized path.
struct ElementPath {
  rapidjson::Document segments{rapidjson::kArrayType};
  std::vector<std::size_t> ends;  // segments[i] is named by element_path.substr(0, ends[i])
};

struct Contexts {
  const rapidjson::Value* root;
  const rapidjson::Value* record;
  const rapidjson::Value* current;
  const std::string* record_path;
  const std::string* current_path;  // normalized path of `current`
  const rapidjson::Value* const* record_members;  // found by CompiledMapping::record_members
  const ElementPath* element_path = nullptr;      // inside a foreach that reads $path
};

const rapidjson::Value& empty_array() {
  static const rapidjson::Value kEmpty(rapidjson::kArrayType);
  return kEmpty;
}

const rapidjson::Value& base_of(const PathRef& p, const Contexts& c) {
  switch (p.base) {
    case PathRef::Base::kRoot: return *c.root;
    case PathRef::Base::kRecord: return *c.record;
    case PathRef::Base::kElementPath: return c.element_path ? c.element_path->segments : empty_array();
    case PathRef::Base::kContext: break;
  }
  return *c.current;
}

// Splits the normalized path of an element, relative to its foreach's starting node
// ("$['ketQua']['TOAN'][0]"), into its member names and indexes. `offset` is where that relative
// path starts inside the element's full path.
void parse_element_path(std::string_view rel, std::size_t offset, ElementPath& out) {
  auto& a = out.segments.GetAllocator();
  out.segments.SetArray();
  out.ends.clear();
  std::size_t i = 1;  // after '$'
  while (i < rel.size() && rel[i] == '[') {
    ++i;
    if (i < rel.size() && rel[i] == '\'') {
      std::string name;
      for (++i; i < rel.size() && rel[i] != '\''; ++i) {
        if (rel[i] != '\\' || i + 1 >= rel.size()) {
          name += rel[i];
          continue;
        }
        char e = rel[++i];
        switch (e) {
          case 'b': name += '\b'; break;
          case 'f': name += '\f'; break;
          case 'n': name += '\n'; break;
          case 'r': name += '\r'; break;
          case 't': name += '\t'; break;
          case 'u':  // a 4-hex-digit escape: the other control characters
            if (i + 4 < rel.size()) name += static_cast<char>(std::stoi(std::string(rel.substr(i + 1, 4)), nullptr, 16));
            i += 4;
            break;
          default: name += e;  // \' and \\ (backslash)
        }
      }
      out.segments.PushBack(rapidjson::Value(name.c_str(), static_cast<rapidjson::SizeType>(name.size()), a), a);
      i += 2;  // ']
    } else {
      std::size_t close = rel.find(']', i);
      if (close == std::string_view::npos) return;
      out.segments.PushBack(rapidjson::Value(static_cast<std::int64_t>(std::stoll(std::string(rel.substr(i, close - i))))), a);
      i = close + 1;
    }
    out.ends.push_back(offset + i);
  }
}

// The node `p` selects, or nullptr.
const rapidjson::Value* select(const PathRef& p, const Contexts& c) {
  if (p.record_member < 0) return p.query->select_one(base_of(p, c));
  const rapidjson::Value* first = c.record_members[p.record_member];
  return first && !p.member_only ? p.query->select_one_after_first(*first) : first;
}

// Normalized path of the node `p` selects, for error reports (computed only when reporting).
// When it selects nothing: the path where a singular query's value would be, else the node the
// query starts from. A value read from $path is reported at the element's member it names.
std::string node_path(const PathRef& p, const Contexts& c) {
  auto nodes = p.query->select_with_paths(base_of(p, c));
  if (p.base == PathRef::Base::kElementPath) {
    std::size_t k = nodes.empty() ? SIZE_MAX : std::strtoull(nodes.front().path.c_str() + 2, nullptr, 10);
    return c.element_path && k < c.element_path->ends.size() ? c.current_path->substr(0, c.element_path->ends[k])
                                                              : *c.current_path;
  }
  std::string prefix = p.base == PathRef::Base::kRoot ? "$"
                       : p.base == PathRef::Base::kRecord ? *c.record_path
                                                          : *c.current_path;
  if (!nodes.empty()) return prefix + nodes.front().path.substr(1);
  auto singular = p.query->singular_path();
  return singular ? prefix + singular->substr(1) : prefix;
}

// Reads a JSON scalar into `out`; false (and `out` unchanged) for an array or an object.
bool read_scalar(const rapidjson::Value& v, Scalar& out) {
  if (v.IsNull()) out = std::monostate();
  else if (v.IsString()) out.emplace<std::string>(v.GetString(), v.GetStringLength());
  else if (v.IsBool()) out = v.GetBool();
  else if (v.IsInt64()) out = static_cast<long long>(v.GetInt64());
  else if (v.IsNumber()) out = v.GetDouble();
  else return false;
  return true;
}

std::optional<Scalar> to_scalar(const rapidjson::Value& v) {
  Scalar s;
  if (!read_scalar(v, s)) return std::nullopt;
  return s;
}

// The node's text when it is a string that is not blank, else an empty view.
std::string_view non_blank_text(const rapidjson::Value* node) {
  if (!node || !node->IsString()) return {};
  std::string_view text(node->GetString(), node->GetStringLength());
  return text::trim(text).empty() ? std::string_view() : text;
}

rapidjson::Value key_of(const std::string& interned) {
  return rapidjson::Value(rapidjson::StringRef(interned.c_str(), interned.size()));
}

// The text member a record was given under an interned field name, or nullptr. Records name
// their members by the interned strings themselves, so the address is the name.
const rapidjson::Value* written_text(const rapidjson::Value& fields, const std::string& interned) {
  for (auto it = fields.MemberBegin(); it != fields.MemberEnd(); ++it)
    if (it->name.GetString() == interned.c_str()) return it->value.IsString() ? &it->value : nullptr;
  return nullptr;
}

void put_text(rapidjson::Document& doc, const std::string& interned_key, std::string_view text) {
  auto& a = doc.GetAllocator();
  rapidjson::Value k = key_of(interned_key);
  rapidjson::Value val(text.data(), static_cast<rapidjson::SizeType>(text.size()), a);
  doc.AddMember(k, val, a);
}

void put(rapidjson::Document& doc, const std::string& interned_key, const Scalar& v) {
  auto& a = doc.GetAllocator();
  rapidjson::Value k = key_of(interned_key);
  rapidjson::Value val;
  if (std::holds_alternative<std::string>(v)) {
    const auto& s = std::get<std::string>(v);
    val.SetString(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
  } else if (std::holds_alternative<long long>(v)) {
    val.SetInt64(std::get<long long>(v));
  } else if (std::holds_alternative<double>(v)) {
    val.SetDouble(std::get<double>(v));
  } else if (std::holds_alternative<bool>(v)) {
    val.SetBool(std::get<bool>(v));
  }
  doc.AddMember(k, val, a);
}

bool holds(const Condition& cond, const Contexts& c) {
  using Op = Condition::Op;
  switch (cond.op) {
    case Op::kAll:
      for (const auto& k : cond.children)
        if (!holds(k, c)) return false;
      return true;
    case Op::kAny:
      for (const auto& k : cond.children)
        if (holds(k, c)) return true;
      return false;
    case Op::kNot: return !holds(cond.children.front(), c);
    default: break;
  }
  const rapidjson::Value* v = select(cond.path, c);
  bool present = v && !v->IsNull();
  if (cond.op == Op::kExists) return present;
  if (cond.op == Op::kMissing) return !present;
  // Tests on text see a single value's text; an array or an object has none.
  std::optional<std::string> text;
  if (present)
    if (auto s = to_scalar(*v)) text = scalar_text(*s);
  switch (cond.op) {
    case Op::kRegex: return text && cond.regex->matches(*text);
    case Op::kPrefix:
      for (const auto& x : cond.values)
        if (text && text->rfind(x, 0) == 0) return true;
      return false;
    default: break;
  }
  bool in = false;
  for (const auto& x : cond.values) in = in || (text && x == *text);
  return cond.op == Op::kNotEquals || cond.op == Op::kNotIn ? !in : in;
}

// What a catalog rule makes of one vendor value: the canonical code, or the error to report.
struct CodeOutcome {
  std::string code;
  std::optional<Error> error;
  bool mask = false;    // the error shows the vendor's value masked
  bool review = false;  // a person must decide (split commune), the partner cannot fix it
};

CodeOutcome compute_code(const CompiledMapping& m, const FieldRule& f, std::string_view value, Date today) {
  const CatalogRule& rule = *f.catalog;
  catalog::LookupOptions opts = rule.options;
  opts.as_of = rule.valid_on.value_or(today);
  auto found = rule.catalog->lookup(value, opts);
  if (!found) return {"", found.error(), f.sensitive, false};
  const catalog::Entry* entry = found.value();
  if (!rule.crosswalk || entry->valid_on(today)) return {entry->code, std::nullopt, false, false};
  // A pre-reform commune: follow the crosswalk; a split commune goes to a person.
  auto cw = m.catalogs->crosswalk_commune(entry->code);
  if (!cw) return {"", make_error("catalog.crosswalk_missing", cw.error().message), false, false};
  if (cw->kind == catalog::CrosswalkResult::Kind::kPartial) {
    std::string list;
    for (const auto& code : cw->new_codes) list += (list.empty() ? "" : ", ") + code;
    return {"",
            make_error("catalog.crosswalk_partial",
                       "old commune " + entry->code + " (" + entry->name +
                           ") was split on 2025-07-01; its people now belong to one of " + list +
                           ": an operator must choose"),
            false, true};
  }
  return {cw->new_codes.front(), std::nullopt, false, false};
}

// Keys of the per-thread catalog memo below; looked up by string_view, stored with a string.
struct MemoKey {
  std::uint64_t mapping;
  const FieldRule* field;
  long day;
  std::string value;
};
struct MemoView {
  std::uint64_t mapping;
  const FieldRule* field;
  long day;
  std::string_view value;
};
struct MemoHash {
  using is_transparent = void;
  std::size_t of(std::uint64_t m, const void* f, long d, std::string_view v) const {
    return std::hash<std::string_view>()(v) ^ (std::hash<const void*>()(f) * 31) ^
           (std::hash<std::uint64_t>()(m) * 131) ^ std::hash<long>()(d);
  }
  std::size_t operator()(const MemoKey& k) const { return of(k.mapping, k.field, k.day, k.value); }
  std::size_t operator()(const MemoView& k) const { return of(k.mapping, k.field, k.day, k.value); }
};
struct MemoEqual {
  using is_transparent = void;
  static MemoView view(const MemoKey& k) { return {k.mapping, k.field, k.day, k.value}; }
  static MemoView view(const MemoView& k) { return k; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    MemoView x = view(a), y = view(b);
    return x.mapping == y.mapping && x.field == y.field && x.day == y.day && x.value == y.value;
  }
};

// Vendors repeat a few values ("Nam", "Kinh", "Trúng tuyển", a school's commune) on every
// record: remember each thread's recent outcomes so folding, indexing and the crosswalk run
// once per distinct value, not per record. The key names the mapping by its serial number
// (addresses are reused after a reload) and the day (validity depends on it).
// `day` is today.days_since_epoch(), which the caller works out once per record.
const CodeOutcome& code_memo(const CompiledMapping& m, const FieldRule& f, std::string_view value, Date today,
                             long day) {
  thread_local std::unordered_map<MemoKey, CodeOutcome, MemoHash, MemoEqual> memo;
  constexpr std::size_t kMaxEntries = 4096;
  if (auto it = memo.find(MemoView{m.serial, &f, day, value}); it != memo.end()) return it->second;
  if (memo.size() >= kMaxEntries) memo.clear();
  return memo.emplace(MemoKey{m.serial, &f, day, std::string(value)}, compute_code(m, f, value, today)).first->second;
}

struct RecordBuilder {
  const CompiledMapping& m;
  RecordResult& result;
  Date today = Date::today();  // once per record: codes are read as valid today
  long today_day = today.days_since_epoch();

  void issue(const Error& e, const EmitRule& emit, const FieldRule* f, const std::string& path,
             const std::string& raw_value, bool sensitive, bool review = false) {
    FieldIssue i;
    i.code = e.code;
    i.entity = emit.entity;
    i.field = f ? f->name : "";
    i.path = path;
    i.value = sensitive ? validate::mask_personal_id(raw_value) : raw_value;
    i.message = e.message;
    i.message_vi = vietnamese_message(e.code);
    i.review = review;
    result.issues.push_back(std::move(i));
  }

  // One field: read, default, transform, code, check, then write it into `doc`. Returns
  // false when nothing was written.
  bool field_value(const FieldRule& f, const EmitRule& emit, const Contexts& c, rapidjson::Document& doc) {
    if (f.when && !holds(*f.when, c)) return false;
    Scalar v;
    const rapidjson::Value* node = nullptr;
    std::size_t first_step = 0;  // pipeline steps already run
    if (f.constant) v = *f.constant;
    if (f.from) {
      node = select(*f.from, c);
      // Vendor text is read where it lies in the parsed document, without building a Scalar:
      // taken as is or coded when there are no steps, else given to a first step on text.
      bool in_place = f.transforms.empty() || f.transforms.front().text;
      std::string_view text = in_place ? non_blank_text(node) : std::string_view();
      if (!text.empty() && f.transforms.empty())
        return write(f, emit, c, text, [&] { return std::string(text); }, doc);
      if (!text.empty() && f.transforms.front().text) {
        if (auto st = f.transforms.front().text(text, v); !st) {
          issue(st.error(), emit, &f, node_path(*f.from, c), std::string(text), f.sensitive);
          return false;
        }
        first_step = 1;
      }
      if (node && first_step == 0) {
        if (!read_scalar(*node, v)) {
          issue(make_error("value.not_scalar", "expected a single value here, found an " +
                                                   std::string(node->IsArray() ? "array" : "object")),
                emit, &f, node_path(*f.from, c), "", false);
          return false;
        }
      }
    }
    // Blank text counts as missing: vendors send "" for "unknown" (a first step already run
    // had text that was not blank).
    if (first_step == 0 && std::holds_alternative<std::string>(v) && text::trim(std::get<std::string>(v)).empty())
      v = Scalar();
    bool defaulted = false;
    if (first_step == 0 && is_null(v) && f.default_value) {
      v = *f.default_value;
      defaulted = true;
    }
    // The value as the vendor sent it (after the blank and default rules), rendered only when
    // an error is reported: the pipeline's steps consume `v` in place.
    auto raw = [&]() -> std::string {
      if (defaulted) return scalar_text(*f.default_value);
      if (f.constant) return scalar_text(*f.constant);
      std::string_view sent = non_blank_text(node);
      if (!sent.empty() || !node || node->IsString()) return std::string(sent);
      auto s = to_scalar(*node);
      return s ? scalar_text(*s) : "";
    };
    for (std::size_t i = first_step; i < f.transforms.size(); ++i) {
      if (auto st = f.transforms[i].apply(v); !st) {
        issue(st.error(), emit, &f, f.from ? node_path(*f.from, c) : "", raw(), f.sensitive);
        return false;
      }
    }
    if (is_null(v)) {
      if (f.required)
        issue(make_error("value.required", "the field is required but the vendor record has no value for it"),
              emit, &f, f.from ? node_path(*f.from, c) : "", "", false);
      return false;
    }
    if (const auto* s = std::get_if<std::string>(&v)) return write(f, emit, c, *s, raw, doc);
    if (f.catalog) return write(f, emit, c, scalar_text(v), raw, doc);
    put(doc, *f.key, v);
    return true;
  }

  // Writes a text value, coded through the field's catalog when it has one; `raw` renders the
  // value as sent for an error report.
  template <class Raw>
  bool write(const FieldRule& f, const EmitRule& emit, const Contexts& c, std::string_view value, const Raw& raw,
             rapidjson::Document& doc) {
    if (!f.catalog) {
      put_text(doc, *f.key, value);
      return true;
    }
    const CodeOutcome& coded = code_memo(m, f, value, today, today_day);
    if (coded.error) {
      issue(*coded.error, emit, &f, f.from ? node_path(*f.from, c) : "", raw(), coded.mask, coded.review);
      return false;
    }
    put_text(doc, *f.key, coded.code);
    return true;
  }

  // Makes the emit's record; the caller has checked the emit's `when`.
  void emit_one(const EmitRule& emit, const Contexts& c, const std::string& source_id) {
    // Built where it is kept: valid until the next emit_one, which emits nothing meanwhile.
    MappedRecord& rec = result.records.emplace_back();
    rec.entity = emit.entity;
    rec.local_name = emit.as;
    rec.source_id = source_id;
    rec.fields.SetObject();
    auto& a = rec.fields.GetAllocator();
    // The rule of each member written, in order: validation then needs no name lookups. Both
    // lists are reused by the thread's next records (emit_one never nests).
    thread_local std::vector<const FieldRule*> written;
    thread_local std::vector<schema::KnownField> known;
    written.clear();
    known.clear();
    for (const auto& f : emit.fields) {
      if (!f.ref.empty()) {
        rapidjson::Value ref(rapidjson::kObjectType);
        ref.AddMember("$ref", rapidjson::Value(f.ref.c_str(), a), a);
        rec.fields.AddMember(key_of(*f.key), ref, a);
        written.push_back(&f);
        continue;
      }
      if (field_value(f, emit, c, rec.fields)) written.push_back(&f);
    }
    auto member = rec.fields.MemberBegin();
    for (const auto* f : written) known.push_back({f->schema, &(member++)->value, f->canonical_output});
    // Codes were produced by the catalog rules (or checked at load time for constants), so the
    // schema check here skips catalog lookups.
    for (const auto& viol : schema::validate_known(*emit.schema, known, nullptr)) {
      // Fields already reported by their own pipeline are not reported twice.
      bool already = false;
      for (const auto& i : result.issues) already = already || (i.entity == emit.entity && i.field == viol.field);
      if (!already)
        issue(make_error(viol.code, viol.message), emit, nullptr, *c.current_path, "", false);
      if (!already) result.issues.back().field = viol.field;
    }
    check_personal_id(rec, emit, c);
  }

  // The 12-digit ID encodes the century and gender and the birth year: they must agree with
  // the record's own birth date and gender.
  void check_personal_id(const MappedRecord& rec, const EmitRule& emit, const Contexts& c) {
    static const std::string& kPersonalId = intern("personal_id");
    static const std::string& kBirthDate = intern("birth_date");
    static const std::string& kGender = intern("gender");
    const auto& f = rec.fields;
    const rapidjson::Value* pid = written_text(f, kPersonalId);
    if (!pid) return;
    std::string id = pid->GetString();
    auto info = validate::personal_id(id, {});
    if (!info) return;  // format problems are reported by the field itself
    std::optional<Date> birth;
    if (const auto* b = written_text(f, kBirthDate)) birth = Date::parse_iso(b->GetString());
    std::optional<char> gender;
    if (const auto* g = written_text(f, kGender)) {
      std::string_view code(g->GetString());
      if (code == "M" || code == "F") gender = code[0];
    }
    if (auto st = validate::personal_id_consistent(*info, birth, gender); !st) {
      const FieldRule* rule = nullptr;
      for (const auto& fr : emit.fields) if (fr.name == "personal_id") rule = &fr;
      issue(st.error(), emit, rule, rule && rule->from ? node_path(*rule->from, c) : *c.current_path, id, true);
    }
  }
};

std::string scalar_id(const rapidjson::Value* v) {
  if (!v) return "";
  auto s = to_scalar(*v);
  return s ? std::string(text::trim(scalar_text(*s))) : "";
}

}  // namespace

// ---- Mapping -------------------------------------------------------------------------------

Mapping::Mapping(std::unique_ptr<CompiledMapping> compiled) : compiled_(std::move(compiled)) {}
Mapping::~Mapping() = default;

const std::string& Mapping::partner() const { return compiled_->partner; }
const std::string& Mapping::feed() const { return compiled_->feed; }
const std::string& Mapping::version() const { return compiled_->version; }
const std::string& Mapping::file() const { return compiled_->file; }
const std::string& Mapping::records_query() const { return compiled_->records.text; }

const std::vector<std::string>& Mapping::warnings() const { return compiled_->warnings; }

std::vector<std::string> Mapping::sample_warnings(const MappingOutput& out) const {
  std::vector<std::string> warnings;
  // field (by its rule) -> [records coded to an unknown code, records with the field, the code]
  std::map<const FieldRule*, std::tuple<std::size_t, std::size_t, std::string>> unknown;
  std::vector<const FieldRule*> order;
  for (const auto& r : out.results) {
    for (const auto& rec : r.records) {
      auto emit = std::find_if(compiled_->emits.begin(), compiled_->emits.end(),
                               [&](const EmitRule& e) { return e.as == rec.local_name; });
      if (emit == compiled_->emits.end()) continue;
      for (const auto& f : emit->fields) {
        if (!f.catalog || f.catalog->catalog->unknown_codes().empty()) continue;
        auto member = rec.fields.FindMember(f.name.c_str());
        if (member == rec.fields.MemberEnd() || !member->value.IsString()) continue;
        auto& [unknown_count, total, code] = unknown[&f];
        if (total++ == 0) order.push_back(&f);
        if (f.catalog->catalog->is_unknown_code(member->value.GetString())) {
          ++unknown_count;
          code = member->value.GetString();
        }
      }
    }
    for (const auto& i : r.issues)
      if (i.code == "record.duplicate_key" || i.code == "record.key_missing")
        warnings.push_back("record " + std::to_string(r.index) + " (" + r.source_id + ") is rejected: " + i.code +
                           ": " + i.message);
  }
  for (const FieldRule* f : order) {
    const auto& [unknown_count, total, code] = unknown[f];
    if (unknown_count == 0) continue;
    const catalog::Catalog& cat = *f->catalog->catalog;
    const std::string& system = f->catalog->options.code_system;
    std::string meanings = cat.describe_codes(system);
    warnings.push_back("field '" + f->name + "': " + std::to_string(unknown_count) + " of " + std::to_string(total) +
                       " sample values are coded " + code + " (not known) through catalog " + cat.name() +
                       (system.empty() ? "" : ", code system " + system) +
                       (meanings.empty() ? "" : " (" + meanings + ")") +
                       ": if the vendor's codes mean something else there, translate them first with "
                       "{map: {...}} or choose the code system that matches the vendor's");
  }
  return warnings;
}

std::vector<std::string> Mapping::entities() const {
  std::vector<std::string> out;
  for (const auto& e : compiled_->emits)
    if (std::find(out.begin(), out.end(), e.entity) == out.end()) out.push_back(e.entity);
  return out;
}

Result<std::shared_ptr<const Mapping>> Mapping::load_text(const std::string& text,
                                                          const std::string& file_name,
                                                          const LoadContext& context) {
  Compiler compiler{file_name, context};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return make_error("mapping.invalid", file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                             std::to_string(e.mark.column + 1) + ": not valid YAML: " + e.msg,
                      file_name);
  }
  try {
    auto compiled = compiler.compile(root, text);
    if (!compiled) return compiled.error();
    return std::shared_ptr<const Mapping>(new Mapping(std::move(compiled.value())));
  } catch (const YAML::Exception& e) {
    return make_error("mapping.invalid", file_name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                             std::to_string(e.mark.column + 1) + ": " + e.msg,
                      file_name);
  }
}

Result<std::shared_ptr<const Mapping>> Mapping::load_file(const std::string& path,
                                                          const LoadContext& context) {
  std::ifstream in(path);
  if (!in) return make_error("mapping.unreadable", path + ": cannot read the file", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return load_text(ss.str(), path, context);
}

namespace {

// The values of the emit's key paths joined with '/'; nothing, and the record rejected with
// `record.key_missing`, when a part has no value (no position or blank stands in for it, which
// would give two different records one source id).
std::optional<std::string> keyed_id(const EmitRule& emit, const Contexts& c, RecordBuilder& b) {
  std::string key;
  for (const auto& part : emit.child_key) {
    std::string value = scalar_id(select(part, c));
    if (value.empty()) {
      b.issue(make_error("record.key_missing", std::string(emit.foreach ? "the element" : "the record") +
                                                   " has no value at " + part.text + ", part of the key that tells its " +
                                                   emit.as + " record apart from the others"),
              emit, nullptr, node_path(part, c), "", false);
      return std::nullopt;
    }
    key += (key.empty() ? "" : "/") + value;
  }
  return key;
}

// One record per element of the emit's foreach, each with its own key: the values of the key's
// paths joined with '/', or the element's index when the emit has no key.
void emit_children(const EmitRule& emit, const Contexts& c, RecordBuilder& b, std::vector<std::string>& origins) {
  auto children = emit.foreach->query->select_with_paths(base_of(*emit.foreach, c));
  std::string prefix = emit.foreach->base == PathRef::Base::kRoot ? "$"
                       : emit.foreach->base == PathRef::Base::kRecord ? *c.record_path
                                                                    : *c.current_path;
  std::optional<ElementPath> element_path;
  if (emit.uses_element_path) element_path.emplace();
  std::string key;
  for (std::size_t i = 0; i < children.size(); ++i) {
    std::string child_path = prefix + children[i].path.substr(1);
    if (element_path) parse_element_path(children[i].path, prefix.size() - 1, *element_path);
    Contexts child{c.root, c.record, children[i].value, c.record_path, &child_path, c.record_members,
                   element_path ? &*element_path : nullptr};
    if (emit.when && !holds(*emit.when, child)) continue;
    if (emit.child_key.empty()) {
      key = std::to_string(i);
    } else {
      auto keyed = keyed_id(emit, child, b);
      if (!keyed) continue;
      key = std::move(*keyed);
    }
    b.emit_one(emit, child, b.result.source_id + "/" + emit.as + "/" + key);
    origins.push_back(std::move(child_path));
  }
}

// Two canonical records of one entity with one source id would be one record to the store: the
// second would overwrite the first. The vendor record is rejected instead, naming both elements.
void report_shared_source_ids(RecordResult& result, const std::vector<std::string>& origins) {
  const auto& recs = result.records;
  auto same = [&](std::size_t a, std::size_t b) {
    return recs[a].source_id == recs[b].source_id && recs[a].entity == recs[b].entity;
  };
  auto report = [&](std::size_t first_index, std::size_t again_index) {
    const MappedRecord& first = recs[first_index];
    const MappedRecord& again = recs[again_index];
    const std::string& here = origins[again_index].empty() ? result.path : origins[again_index];
    const std::string& there = origins[first_index].empty() ? result.path : origins[first_index];
    FieldIssue i;
    i.code = "record.duplicate_key";
    i.entity = again.entity;
    i.path = here;
    i.value = again.source_id;
    i.message = here != there
                    ? "the elements at " + there + " and " + here + " would both be the " + again.entity +
                          " with source id " + again.source_id +
                          ", and the second would overwrite the first: make the emit's key tell them apart"
                    : "two emits (as: " + first.local_name + ", as: " + again.local_name + ") both make the " +
                          again.entity + " with source id " + again.source_id;
    i.message_vi = vietnamese_message(i.code);
    result.issues.push_back(std::move(i));
  };
  // A vendor record makes a handful of records (a transcript a few dozen): compare pairs; sort
  // only a long list.
  constexpr std::size_t kPairwise = 32;
  if (recs.size() <= kPairwise) {
    for (std::size_t b = 1; b < recs.size(); ++b)
      for (std::size_t a = 0; a < b; ++a)
        if (same(a, b)) {
          report(a, b);
          break;
        }
    return;
  }
  thread_local std::vector<std::size_t> order;
  order.resize(recs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    int e = recs[a].entity.compare(recs[b].entity);
    if (e != 0) return e < 0;
    int id = recs[a].source_id.compare(recs[b].source_id);
    return id != 0 ? id < 0 : a < b;
  });
  for (std::size_t k = 1; k < order.size(); ++k)
    if (same(order[k - 1], order[k])) report(order[k - 1], order[k]);
}

// Mapping::run_record, taking the record's path to keep in the result.
RecordResult map_record(const CompiledMapping& m, const rapidjson::Value& document, const rapidjson::Value& record,
                        std::size_t index, std::string path) {
  RecordResult result;
  result.index = index;
  result.path = std::move(path);
  const std::string& record_path = result.path;
  RecordBuilder b{m, result};
  result.records.reserve(m.emits.size());
  // Reused by the thread's next records (run_record never nests).
  thread_local std::vector<const rapidjson::Value*> members;
  members.resize(m.record_members.size());
  Contexts c{&document, &record, &record, &record_path, &record_path, members.data()};
  if (!record.IsObject()) {
    result.issues.push_back({"record.not_object", "", "", record_path, "", "each vendor record must be a JSON object",
                             vietnamese_message("record.not_object"), false});
    result.status = RecordStatus::kRejected;
    return result;
  }
  m.record_members.find(record, members.data());
  result.source_id = scalar_id(select(m.source_id, c));
  if (result.source_id.empty()) {
    result.issues.push_back({"record.source_id_missing", "", "", node_path(m.source_id, c), "",
                             "the record has no source id at " + m.source_id.text,
                             vietnamese_message("record.source_id_missing"), false});
    result.status = RecordStatus::kRejected;
    return result;
  }
  // Where each record came from (its foreach element's path; "" for the vendor record itself),
  // for reporting children that share a source id. Reused by the thread's next records.
  thread_local std::vector<std::string> origins;
  origins.clear();
  for (const auto& emit : m.emits) {
    if (!emit.foreach) {
      if (emit.when && !holds(*emit.when, c)) continue;
      if (!emit.child_key.empty()) {
        auto key = keyed_id(emit, c, b);
        if (!key) continue;
        b.emit_one(emit, c, result.source_id + "/" + emit.as + "/" + *key);
        if (m.may_share_source_ids) origins.emplace_back();
        continue;
      }
      b.emit_one(emit, c, result.source_id);
      if (m.may_share_source_ids) origins.emplace_back();
      continue;
    }
    emit_children(emit, c, b, origins);
  }
  if (m.may_share_source_ids) report_shared_source_ids(result, origins);
  bool rejected = false, review = false;
  for (const auto& i : result.issues) (i.review ? review : rejected) = true;
  result.status = rejected ? RecordStatus::kRejected : review ? RecordStatus::kReview : RecordStatus::kMapped;
  return result;
}

}  // namespace

RecordResult Mapping::run_record(const rapidjson::Value& document, const rapidjson::Value& record,
                                 std::size_t index, const std::string& record_path) const {
  return map_record(*compiled_, document, record, index, record_path);
}

std::string Mapping::value_path(const rapidjson::Value& document, const rapidjson::Value& record,
                               const std::string& record_path, const MappedRecord& rec, std::string_view field) const {
  const CompiledMapping& m = *compiled_;
  const EmitRule* emit = nullptr;
  for (const auto& e : m.emits)
    if (e.as == rec.local_name && e.entity == rec.entity) emit = &e;
  const FieldRule* rule = nullptr;
  if (emit)
    for (const auto& f : emit->fields)
      if (f.name == field) rule = &f;
  if (!rule || !rule->from || !record.IsObject()) return record_path;
  std::vector<const rapidjson::Value*> members(m.record_members.size());
  m.record_members.find(record, members.data());
  Contexts c{&document, &record, &record, &record_path, &record_path, members.data()};
  if (!emit->foreach) return node_path(*rule->from, c);
  // The element whose key makes the record's source id ("<vendor id>/<as>/<key>"), keyed as
  // emit_children keys it.
  auto children = emit->foreach->query->select_with_paths(base_of(*emit->foreach, c));
  std::string prefix = emit->foreach->base == PathRef::Base::kRoot ? "$" : record_path;
  std::optional<ElementPath> element_path;
  if (emit->uses_element_path) element_path.emplace();
  for (std::size_t i = 0; i < children.size(); ++i) {
    std::string child_path = prefix + children[i].path.substr(1);
    if (element_path) parse_element_path(children[i].path, prefix.size() - 1, *element_path);
    Contexts child{c.root, c.record, children[i].value, c.record_path, &child_path, c.record_members,
                   element_path ? &*element_path : nullptr};
    std::string key;
    for (const auto& part : emit->child_key) key += (key.empty() ? "" : "/") + scalar_id(select(part, child));
    if (emit->child_key.empty()) key = std::to_string(i);
    std::string suffix = "/" + emit->as + "/" + key;
    if (rec.source_id.size() > suffix.size() &&
        rec.source_id.compare(rec.source_id.size() - suffix.size(), suffix.size(), suffix) == 0)
      return node_path(*rule->from, child);
  }
  return record_path;
}

std::vector<jsonpath::Node> Mapping::select_records(const rapidjson::Value& document) const {
  return compiled_->records.query->select_with_paths(document);
}

MappingOutput Mapping::run(const rapidjson::Value& document) const {
  MappingOutput out;
  out.mapping_version = compiled_->version;
  auto records = select_records(document);
  if (records.empty()) {
    out.document_error = make_error("mapping.no_records",
                                    "the document has no records at " + compiled_->records.text, "$");
    return out;
  }
  out.results.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i)
    out.results.push_back(map_record(*compiled_, document, *records[i].value, i, std::move(records[i].path)));
  return out;
}

void write_issue(json::JsonWriter& w, const FieldIssue& i) {
  w.begin_object().kv("code", i.code).kv("entity", i.entity).kv("field", i.field).kv("path", i.path);
  if (!i.value.empty()) w.kv("value", i.value);
  w.kv("message", i.message).kv("message_vi", i.message_vi).kv("review", i.review).end_object();
}

void write_output(json::JsonWriter& w, const MappingOutput& out) {
  w.begin_object().kv("mapping_version", out.mapping_version);
  if (out.document_error) {
    w.key("error").begin_object().kv("code", out.document_error->code)
        .kv("message", out.document_error->message).end_object();
  }
  w.key("results").begin_array();
  for (const auto& r : out.results) write_result(w, r);
  w.end_array().end_object();
}

void write_result(json::JsonWriter& w, const RecordResult& r) {
  {
    w.begin_object().kv("index", static_cast<long long>(r.index)).kv("source_id", r.source_id)
        .kv("path", r.path).kv("status", status_name(r.status)).key("records").begin_array();
    for (const auto& rec : r.records) {
      w.begin_object().kv("entity", rec.entity).kv("as", rec.local_name).kv("source_id", rec.source_id)
          .key("fields").value(rec.fields).end_object();
    }
    w.end_array().key("errors").begin_array();
    for (const auto& i : r.issues) write_issue(w, i);
    w.end_array();
    if (r.status == RecordStatus::kPending) write_waiting_for(w, r.waiting_for);
    w.end_object();
  }
}

void write_waiting_for(json::JsonWriter& w, const std::vector<WaitingRef>& waiting) {
  w.key("waiting_for").begin_array();
  for (const auto& ref : waiting)
    w.begin_object().kv("entity", ref.entity).kv("key", ref.key).kv("value", ref.value).kv("field", ref.field)
        .kv("path", ref.path)
        .end_object();
  w.end_array();
}

}  // namespace hub::mapping
