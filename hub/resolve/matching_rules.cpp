#include "hub/resolve/matching_rules.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace hub::resolve {
namespace {

// Thrown inside the parser only; parse_matching_rules turns it into an Error value.
struct Invalid {
  std::string message;
};

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const {
    std::string at = file_;
    if (n.IsDefined() && n.Mark().line >= 0)
      at += ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
    throw Invalid{at + ": " + what};
  }
  std::string string(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, what + " must be a text value");
    return n.as<std::string>();
  }
  double number(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, what + " must be a number");
    try {
      return n.as<double>();
    } catch (const YAML::Exception&) {
      fail(n, what + " must be a number, not '" + n.as<std::string>() + "'");
    }
  }
  std::vector<std::string> strings(const YAML::Node& n, const std::string& what) const {
    std::vector<std::string> out;
    if (n.IsScalar()) return {n.as<std::string>()};
    if (!n.IsSequence()) fail(n, what + " must be a name or a list of names");
    for (const auto& e : n) out.push_back(string(e, what));
    return out;
  }

 private:
  std::string file_;
};

ProfileField::Part part_of(const Reader& r, const YAML::Node& n) {
  std::string p = r.string(n, "part");
  if (p == "family") return ProfileField::Part::kFamily;
  if (p == "middle") return ProfileField::Part::kMiddle;
  if (p == "given") return ProfileField::Part::kGiven;
  if (p == "whole") return ProfileField::Part::kWhole;
  if (p == "tokens") return ProfileField::Part::kTokens;
  r.fail(n, "part must be family, middle, given, tokens or whole, not '" + p + "'");
}

Method method_of(const Reader& r, const YAML::Node& n) {
  std::string m = r.string(n, "method");
  if (m == "exact") return Method::kExact;
  if (m == "jaro_winkler") return Method::kJaroWinkler;
  if (m == "date") return Method::kDate;
  r.fail(n, "method must be exact, jaro_winkler or date, not '" + m + "'");
}

// One agreement level of a comparison: its label, m and u, and the condition that selects it
// (`when:` for exact and date methods, `min:` / `max_edits:` for jaro_winkler; none: otherwise).
Level read_level(const YAML::Node& l, const Reader& r, Method method, const std::string& where) {
  if (!l.IsMap() || !l["level"] || !l["m"] || !l["u"]) r.fail(l, where + " needs level:, m: and u:");
  Level lv;
  lv.label = r.string(l["level"], where + ".level");
  lv.m = r.number(l["m"], where + ".m");
  lv.u = r.number(l["u"], where + ".u");
  if (!(lv.m > 0 && lv.m <= 1) || !(lv.u > 0 && lv.u <= 1))
    r.fail(l, where + ": m and u are probabilities, above 0 and at most 1");
  lv.weight = std::log2(lv.m / lv.u);
  if (l["min"]) {
    if (method != Method::kJaroWinkler) r.fail(l["min"], where + ": min: is for jaro_winkler levels");
    lv.min_similarity = r.number(l["min"], where + ".min");
  }
  if (l["max_edits"]) {
    if (method != Method::kJaroWinkler) r.fail(l["max_edits"], where + ": max_edits: is for jaro_winkler levels");
    double e = r.number(l["max_edits"], where + ".max_edits");
    if (e < 0 || e > 3 || e != static_cast<int>(e)) r.fail(l["max_edits"], where + ".max_edits must be 0 to 3");
    lv.max_edits = static_cast<int>(e);
  }
  if (l["when"]) {
    lv.when = r.string(l["when"], where + ".when");
    static const std::set<std::string> kExact = {"exact", "transposed"};
    static const std::set<std::string> kDate = {"exact", "day_month_swapped", "two_of_three", "same_year"};
    if (method == Method::kJaroWinkler) r.fail(l["when"], where + ": jaro_winkler levels use min:, not when:");
    if (method == Method::kExact && !kExact.count(lv.when)) r.fail(l["when"], where + ": an exact level is when: exact or transposed");
    if (method == Method::kDate && !kDate.count(lv.when))
      r.fail(l["when"], where + ": a date level is when: exact, day_month_swapped, two_of_three or same_year");
  }
  if (lv.min_similarity >= 0 && lv.max_edits >= 0) r.fail(l, where + ": a level has min: or max_edits:, not both");
  return lv;
}

// One compare: entry: the method and its agreement levels, the last one "otherwise".
Comparison read_comparison(const std::string& field, const YAML::Node& spec, const Reader& r) {
  Comparison c;
  c.field = field;
  if (!spec.IsMap() || !spec["method"] || !spec["levels"] || !spec["levels"].IsSequence())
    r.fail(spec, "compare." + c.field + " needs method: and levels:");
  c.method = method_of(r, spec["method"]);
  const auto& levels = spec["levels"];
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const auto& l = levels[i];
    std::string where = "compare." + c.field + ".levels[" + std::to_string(i) + "]";
    Level lv = read_level(l, r, c.method, where);
    bool otherwise = lv.when.empty() && lv.min_similarity < 0 && lv.max_edits < 0;
    if (otherwise != (i + 1 == levels.size()))
      r.fail(l, where + ": the last level, and only the last, has no condition (it is 'otherwise')");
    c.levels.push_back(lv);
  }
  if (c.levels.size() < 2) r.fail(levels, "compare." + c.field + " needs at least two levels");
  return c;
}

// name_order: the fields of a name that scoring may also read the other way round, and the
// weight of that reading (matching_rules.h, NameOrder).
NameOrder read_name_order(const YAML::Node& n, const Reader& r, const MatchingRules& rules) {
  if (!n.IsMap() || !n["family"] || !n["given"] || !n["m"] || !n["u"])
    r.fail(n, "name_order needs family:, given:, m: and u: (middle: is optional)");
  NameOrder o;
  o.family = r.string(n["family"], "name_order.family");
  o.given = r.string(n["given"], "name_order.given");
  if (n["middle"]) o.middle = r.string(n["middle"], "name_order.middle");
  for (const auto* f : {&o.family, &o.middle, &o.given})
    if (!f->empty() && !rules.comparison(*f)) r.fail(n, "name_order names '" + *f + "', which has no compare: entry");
  o.m = r.number(n["m"], "name_order.m");
  o.u = r.number(n["u"], "name_order.u");
  if (!(o.m > 0 && o.m <= 1) || !(o.u > 0 && o.u <= 1)) r.fail(n, "name_order: m and u are probabilities, above 0 and at most 1");
  o.weight = std::log2(o.m / o.u);
  return o;
}

// verified_ids: the canonical fields of a personal ID checked against the national population
// database (matching_rules.h, VerifiedId).
std::vector<VerifiedId> read_verified_ids(const YAML::Node& vs, const Reader& r) {
  std::vector<VerifiedId> out;
  if (!vs.IsSequence()) r.fail(vs, "verified_ids is a list of {field, status, value, with}");
  for (const auto& v : vs) {
    if (!v.IsMap() || !v["field"] || !v["status"] || !v["value"])
      r.fail(v, "each verified_ids entry needs field:, status: and value:");
    VerifiedId id{r.string(v["field"], "verified_ids.field"), r.string(v["status"], "verified_ids.status"),
                  r.string(v["value"], "verified_ids.value"), {}};
    if (v["with"]) id.with = r.strings(v["with"], "verified_ids.with");
    out.push_back(std::move(id));
  }
  return out;
}

MatchingRules parse(const YAML::Node& root, const Reader& r, const std::string& file) {
  MatchingRules rules;
  rules.file = file;
  if (!root.IsMap()) r.fail(root, "the file must be a mapping with entity, profile, blocking, compare, thresholds");
  static const std::set<std::string> kKeys = {"entity", "profile", "deterministic", "deterministic_veto",
                                              "distinct", "blocking", "max_candidates_per_key", "compare",
                                              "auto_match_requires", "thresholds", "ambiguity_margin",
                                              "review_requires", "survivorship", "name_order",
                                              "verified_ids"};
  for (const auto& kv : root)
    if (!kKeys.count(kv.first.as<std::string>())) r.fail(kv.first, "unknown key '" + kv.first.as<std::string>() + "'");
  if (!root["entity"]) r.fail(root, "entity is required");
  rules.entity = r.string(root["entity"], "entity");

  if (!root["profile"] || !root["profile"].IsMap()) r.fail(root, "profile (a mapping of compared values) is required");
  for (const auto& kv : root["profile"]) {
    ProfileField f;
    f.name = kv.first.as<std::string>();
    const auto& spec = kv.second;
    if (!spec.IsMap() || !spec["from"]) r.fail(spec, "profile." + f.name + " needs from:");
    f.from = r.strings(spec["from"], "profile." + f.name + ".from");
    if (spec["part"]) f.part = part_of(r, spec["part"]);
    if (spec["fold"]) f.fold = spec["fold"].as<bool>();
    if (f.part != ProfileField::Part::kWhole) f.fold = true;  // name parts are always folded
    rules.profile.push_back(std::move(f));
  }
  auto known = [&](const YAML::Node& n, const std::string& name, const std::string& what) {
    if (!rules.field(name)) r.fail(n, what + " names '" + name + "', which is not a profile field");
  };

  if (root["deterministic"])
    for (const auto& n : root["deterministic"]) {
      std::string f = r.string(n, "deterministic");
      known(n, f, "deterministic");
      rules.deterministic.push_back(f);
    }
  // distinct[i].review_requires, read once the comparisons are known
  std::vector<std::pair<std::size_t, YAML::Node>> pending_requires, pending_typo;
  if (root["deterministic_veto"]) rules.deterministic_veto = r.number(root["deterministic_veto"], "deterministic_veto");
  if (root["distinct"])
    for (const auto& n : root["distinct"]) {
      DistinctRule d;
      if (n.IsScalar()) {
        d.field = n.as<std::string>();
      } else {
        if (!n["field"]) r.fail(n, "a distinct rule needs field:");
        d.field = r.string(n["field"], "distinct.field");
        if (n["review_at"]) d.review_at = r.number(n["review_at"], "distinct.review_at");
        if (n["review_requires"]) pending_requires.emplace_back(rules.distinct.size(), n["review_requires"]);
        if (n["typo"]) pending_typo.emplace_back(rules.distinct.size(), n["typo"]);
        if (const auto& v = n["verified"]) {
          if (!v.IsMap() || !v["field"] || !v["value"]) r.fail(v, "distinct.verified needs field: and value:");
          d.verified_field = r.string(v["field"], "distinct.verified.field");
          known(v["field"], d.verified_field, "distinct.verified");
          d.verified_value = r.string(v["value"], "distinct.verified.value");
        }
      }
      known(n, d.field, "distinct");
      rules.distinct.push_back(d);
    }

  if (!root["blocking"] || !root["blocking"].IsSequence() || root["blocking"].size() == 0)
    r.fail(root, "blocking (a list of keys) is required: without it every record would be compared with every other");
  for (const auto& key : root["blocking"]) {
    auto parts = r.strings(key, "blocking key");
    for (const auto& p : parts) {
      auto colon = p.find(':');
      std::string field = p.substr(0, colon);
      known(key, field, "blocking");
      if (colon != std::string::npos) {
        std::string t = p.substr(colon + 1);
        if (t != "unordered" && t != "year" && t != "initial")
          r.fail(key, "blocking transform must be unordered, year or initial, not '" + t + "'");
      }
    }
    rules.blocking.push_back(parts);
  }
  if (root["max_candidates_per_key"]) {
    rules.max_candidates_per_key = static_cast<int>(r.number(root["max_candidates_per_key"], "max_candidates_per_key"));
    if (rules.max_candidates_per_key < 1 || rules.max_candidates_per_key > 1000)
      r.fail(root["max_candidates_per_key"], "max_candidates_per_key must be between 1 and 1000");
  }

  if (!root["compare"] || !root["compare"].IsMap()) r.fail(root, "compare (fields with agreement levels) is required");
  for (const auto& kv : root["compare"]) {
    known(kv.first, kv.first.as<std::string>(), "compare");
    rules.comparisons.push_back(read_comparison(kv.first.as<std::string>(), kv.second, r));
  }

  auto requirements = [&](const YAML::Node& node, const std::string& what) {
    std::map<std::string, std::size_t> out;
    if (!node.IsMap()) r.fail(node, what + " must map compared fields to level names");
    for (const auto& kv : node) {
      std::string field = kv.first.as<std::string>();
      const Comparison* c = rules.comparison(field);
      if (!c) r.fail(kv.first, what + " names '" + field + "', which has no compare: entry");
      std::string label = r.string(kv.second, what + "." + field);
      auto it = std::find_if(c->levels.begin(), c->levels.end(), [&](const Level& l) { return l.label == label; });
      if (it == c->levels.end()) r.fail(kv.second, "compare." + field + " has no level '" + label + "'");
      out[field] = static_cast<std::size_t>(it - c->levels.begin());
    }
    return out;
  };
  if (root["auto_match_requires"]) rules.auto_match_requires = requirements(root["auto_match_requires"], "auto_match_requires");
  if (root["review_requires"]) rules.review_requires = requirements(root["review_requires"], "review_requires");
  for (const auto& [i, node] : pending_requires) rules.distinct[i].review_requires = requirements(node, "distinct.review_requires");
  for (const auto& [i, node] : pending_typo) {
    const Comparison* c = rules.comparison(rules.distinct[i].field);
    if (!c) r.fail(node, "distinct.typo needs a compare: entry for " + rules.distinct[i].field);
    std::string label = r.string(node, "distinct.typo");
    auto it = std::find_if(c->levels.begin(), c->levels.end(), [&](const Level& l) { return l.label == label; });
    if (it == c->levels.end()) r.fail(node, "compare." + c->field + " has no level '" + label + "'");
    if (it == c->levels.begin() || it + 1 == c->levels.end())
      r.fail(node, "distinct.typo names a level between the first (the same value) and the last (otherwise)");
    rules.distinct[i].typo_level = static_cast<std::size_t>(it - c->levels.begin());
  }
  if (const auto& n = root["name_order"]) rules.name_order = read_name_order(n, r, rules);

  const auto& t = root["thresholds"];
  if (!t || !t["match"] || !t["review"]) r.fail(root, "thresholds: match: and review: are required");
  rules.match_threshold = r.number(t["match"], "thresholds.match");
  rules.review_threshold = r.number(t["review"], "thresholds.review");
  if (rules.review_threshold > rules.match_threshold)
    r.fail(t, "thresholds.review must not be above thresholds.match");
  if (root["ambiguity_margin"]) rules.ambiguity_margin = r.number(root["ambiguity_margin"], "ambiguity_margin");
  if (root["survivorship"]) {
    if (!root["survivorship"].IsMap()) r.fail(root["survivorship"], "survivorship maps fields to lists of partners");
    for (const auto& kv : root["survivorship"])
      rules.survivorship[kv.first.as<std::string>()] = r.strings(kv.second, "survivorship." + kv.first.as<std::string>());
  }
  if (const auto& vs = root["verified_ids"]) rules.verified_ids = read_verified_ids(vs, r);
  return rules;
}

}  // namespace

const ProfileField* MatchingRules::field(const std::string& name) const {
  for (const auto& f : profile)
    if (f.name == name) return &f;
  return nullptr;
}

const Comparison* MatchingRules::comparison(const std::string& name) const {
  for (const auto& c : comparisons)
    if (c.field == name) return &c;
  return nullptr;
}

Result<MatchingRules> parse_matching_rules(const std::string& yaml_text, const std::string& file) {
  Reader r(file);
  try {
    return parse(YAML::Load(yaml_text), r, file);
  } catch (const Invalid& e) {
    return Error{"matching.invalid", e.message, file, 0};
  } catch (const YAML::Exception& e) {
    return Error{"matching.invalid",
                 file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg,
                 file, 0};
  }
}

Result<RuleSet> load_matching_rules(const std::string& dir) {
  namespace fs = std::filesystem;
  RuleSet out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;  // no matching rules: exact resolution only
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    auto rules = parse_matching_rules(ss.str(), f.string());
    if (!rules) return rules.error();
    if (rules->entity + ".yaml" != f.filename().string())
      return Error{"matching.invalid", f.string() + ": entity '" + rules->entity + "' must be in " + rules->entity + ".yaml",
                   f.string(), 0};
    std::string entity = rules->entity;  // before the move below
    out[entity] = std::make_shared<const MatchingRules>(std::move(rules.value()));
  }
  return out;
}

int survivorship_rank(const RuleSet& rules, const std::string& entity, const std::string& field,
                      const std::string& partner) {
  auto r = rules.find(entity);
  if (r == rules.end()) return 0;
  auto f = r->second->survivorship.find(field);
  if (f == r->second->survivorship.end()) return 0;
  return static_cast<int>(std::find(f->second.begin(), f->second.end(), partner) - f->second.begin());
}

}  // namespace hub::resolve
