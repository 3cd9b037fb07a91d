// Lookups over loaded catalogs. Loading and index building live in catalog_loader.cpp.

#include "hub/mapping/catalog.h"

#include <algorithm>
#include <set>

#include "hub/mapping/text.h"

namespace hub::catalog {

namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string period(const Entry& e) {
  std::string from = e.valid_from ? e.valid_from->iso() : "…";
  std::string to = e.valid_to ? e.valid_to->iso() : "…";
  return from + " – " + to;
}

std::string describe(const Entry& e) {
  std::string s = e.code + " " + e.name;
  if (!e.parent.empty()) s += " (parent " + e.parent + ")";
  return s;
}

void append_unique(std::vector<std::uint32_t>& to, const std::vector<std::uint32_t>& from) {
  for (auto i : from)
    if (std::find(to.begin(), to.end(), i) == to.end()) to.push_back(i);
}

constexpr std::size_t kMaxListed = 12;  // keep error messages readable

}  // namespace

bool Entry::valid_on(Date d) const {
  if (valid_from && d < *valid_from) return false;
  if (valid_to && *valid_to < d) return false;
  return true;
}

std::vector<std::uint32_t> Catalog::candidates_by_code(std::string_view code,
                                                       const std::string& code_system) const {
  std::vector<std::uint32_t> out;
  std::string key(code);
  if (code_system.empty() || code_system == canonical_code_system_) {
    if (auto it = code_index_.find(key); it != code_index_.end()) append_unique(out, it->second);
    for (const auto& sys : alias_systems_) {
      const auto& idx = system_index_.at(sys);
      if (auto it = idx.find(key); it != idx.end()) append_unique(out, it->second);
    }
  } else if (auto sit = system_index_.find(code_system); sit != system_index_.end()) {
    if (auto it = sit->second.find(key); it != sit->second.end()) append_unique(out, it->second);
  }
  return out;
}

std::vector<std::uint32_t> Catalog::candidates_by_name(std::string_view value) const {
  std::string key = text::fold_key(value);
  if (key.empty()) return {};
  if (auto it = name_index_.find(key); it != name_index_.end()) return it->second;
  // Abbreviated unit types ("TP. Hải Phòng", "P. Lê Chân") are common in vendor data; expand
  // only when the literal form found nothing, so a real name starting with "P" is never rewritten.
  for (const auto& [abbr, full] : abbreviations_) {
    if (key.size() > abbr.size() && key.compare(0, abbr.size(), abbr) == 0) {
      std::string expanded = full + key.substr(abbr.size());
      if (auto it = name_index_.find(expanded); it != name_index_.end()) return it->second;
    }
  }
  return {};
}

bool Catalog::has_ancestor(std::uint32_t index, const std::string& code) const {
  if (entries_[index].parent == code) return true;
  const auto& a = ancestors_[index];
  return std::find(a.begin(), a.end(), code) != a.end();
}

std::vector<const Entry*> Catalog::find_all_by_code(std::string_view code) const {
  std::vector<const Entry*> out;
  if (auto it = code_index_.find(std::string(trim(code))); it != code_index_.end())
    for (auto i : it->second) out.push_back(&entries_[i]);
  return out;
}

Result<const Entry*> Catalog::lookup(std::string_view value, const LookupOptions& options) const {
  std::string_view v = trim(value);
  if (!options.code_system.empty() && options.code_system != canonical_code_system_ &&
      !system_index_.count(options.code_system)) {
    std::string known;
    for (const auto& cs : code_systems_) known += (known.empty() ? "" : ", ") + cs.id;
    return make_error("catalog.unknown_code_system",
                      "catalog " + name_ + " has no code system '" + options.code_system +
                          "' (known: " + known + ")",
                      name_);
  }
  if (v.empty()) return make_error("catalog.not_found", "empty value for catalog " + name_, name_);

  auto restrict_parent = [&](std::vector<std::uint32_t> c) {
    if (options.parent.empty()) return c;
    std::vector<std::uint32_t> out;
    for (auto i : c)
      if (has_ancestor(i, options.parent)) out.push_back(i);
    return out;
  };

  std::vector<std::uint32_t> cands;
  bool matched_code = false;
  if (options.by != LookupBy::kName) {
    cands = restrict_parent(candidates_by_code(v, options.code_system));
    matched_code = !cands.empty();
  }
  if (cands.empty() && options.by != LookupBy::kCode) cands = restrict_parent(candidates_by_name(v));

  if (cands.empty()) {
    std::string what = options.by == LookupBy::kCode ? "code" : options.by == LookupBy::kName ? "name" : "code or name";
    std::string msg = what + " '" + std::string(v) + "' not found in catalog " + name_;
    if (!options.code_system.empty()) msg += " (code system " + options.code_system + ")";
    if (!options.parent.empty()) msg += " under parent " + options.parent;
    if (!options.code_system.empty() && options.by != LookupBy::kName) {
      std::string meanings = describe_codes(options.code_system);
      if (!meanings.empty()) msg += "; its codes: " + meanings;
    }
    if (code_width_ > 0 && all_digits(v) && static_cast<int>(v.size()) != code_width_ &&
        (options.code_system.empty() || options.code_system == canonical_code_system_))
      msg += "; its codes have " + std::to_string(code_width_) +
             " digits and are matched exactly (leading zero lost?)";
    return make_error("catalog.not_found", msg, name_);
  }

  std::vector<std::uint32_t> chosen;
  if (options.as_of) {
    for (auto i : cands)
      if (entries_[i].valid_on(*options.as_of)) chosen.push_back(i);
    if (chosen.empty()) {
      std::string msg = "'" + std::string(v) + "' in catalog " + name_ + " is not valid on " +
                        options.as_of->iso() + ":";
      for (std::size_t k = 0; k < cands.size() && k < kMaxListed; ++k)
        msg += (k ? "; " : " ") + describe(entries_[cands[k]]) + " valid " + period(entries_[cands[k]]);
      return make_error("catalog.not_valid_on", msg, name_);
    }
  } else {
    // No date given: the unit in force today is what a caller means; expired entries remain
    // reachable (returned with their valid_to) when nothing current matches.
    for (auto i : cands)
      if (!entries_[i].valid_to) chosen.push_back(i);
    if (chosen.empty()) chosen = cands;
  }

  if (chosen.size() == 1) return &entries_[chosen[0]];
  std::sort(chosen.begin(), chosen.end());
  std::string msg = "'" + std::string(v) + "' matches " + std::to_string(chosen.size()) +
                    (matched_code ? " entries by code" : " entries by name") + " in catalog " +
                    name_ + ":";
  for (std::size_t k = 0; k < chosen.size() && k < kMaxListed; ++k)
    msg += (k ? ", " : " ") + describe(entries_[chosen[k]]);
  if (chosen.size() > kMaxListed) msg += ", …";
  msg += "; qualify with parent or as_of";
  return make_error("catalog.ambiguous", msg, name_);
}

bool Catalog::is_unknown_code(std::string_view code) const {
  return std::find(unknown_codes_.begin(), unknown_codes_.end(), code) != unknown_codes_.end();
}

std::string Catalog::describe_codes(const std::string& code_system, std::size_t max_entries) const {
  if (entries_.size() > max_entries) return "";
  bool canonical = code_system.empty() || code_system == canonical_code_system_;
  std::vector<std::pair<std::string, const Entry*>> codes;
  for (const auto& e : entries_) {
    if (canonical) {
      codes.emplace_back(e.code, &e);
    } else if (auto it = e.codes.find(code_system); it != e.codes.end()) {
      codes.emplace_back(it->second, &e);
    }
  }
  std::sort(codes.begin(), codes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [code, e] : codes) {
    out += (out.empty() ? "" : ", ") + code + " = ";
    out += canonical ? e->name : e->code + " (" + e->name + ")";
  }
  return out;
}

const Catalog* CatalogSet::find(std::string_view name) const {
  auto it = std::lower_bound(catalogs_.begin(), catalogs_.end(), name,
                             [](const std::unique_ptr<Catalog>& c, std::string_view n) { return c->name() < n; });
  if (it == catalogs_.end() || (*it)->name() != name) return nullptr;
  return it->get();
}

std::vector<const Catalog*> CatalogSet::list() const {
  std::vector<const Catalog*> out;
  for (const auto& c : catalogs_) out.push_back(c.get());
  return out;
}

Result<CrosswalkResult> CatalogSet::crosswalk_commune(std::string_view old_code) const {
  const Catalog* xw = find("admin_crosswalk");
  if (!xw) return make_error("catalog.not_found", "catalog admin_crosswalk is not loaded", "admin_crosswalk");
  std::string code(trim(old_code));
  auto links = xw->find_all_by_code(code);
  if (links.empty()) {
    std::string msg = "old unit code '" + code + "' is not in admin_crosswalk";
    if (const Catalog* c = find("commune")) {
      for (const Entry* e : c->find_all_by_code(code))
        if (!e->valid_to) msg += "; it is a current commune code (" + e->name + "), no crosswalk needed";
      if (c->code_width() > 0 && all_digits(code) && static_cast<int>(code.size()) != c->code_width() &&
          code.size() != 3)
        msg += "; commune codes have " + std::to_string(c->code_width()) + " digits";
    }
    return make_error("catalog.not_found", msg, "admin_crosswalk");
  }
  CrosswalkResult r{CrosswalkResult::Kind::kFull, {}};
  std::set<std::string> targets;
  bool partial = false;
  for (const Entry* e : links) {
    targets.insert(e->parent);
    if (e->level != "full") partial = true;
  }
  r.new_codes.assign(targets.begin(), targets.end());
  // Several "full" links for one old unit would contradict each other; treat as needing review.
  if (partial || r.new_codes.size() > 1) {
    r.kind = CrosswalkResult::Kind::kPartial;
  } else if (r.new_codes[0] == code) {
    r.kind = CrosswalkResult::Kind::kSame;
  }
  return r;
}

std::string CatalogSet::province_of_commune(std::string_view commune_code) const {
  const Catalog* communes = find("commune");
  if (!communes) return "";
  LookupOptions o;
  o.by = LookupBy::kCode;
  o.as_of = Date::today();
  auto e = communes->lookup(commune_code, o);
  return e ? e.value()->parent : "";
}

int CatalogSet::prefix_index(std::string_view three_digits) {
  if (three_digits.size() != 3 || !all_digits(three_digits)) return -1;
  return (three_digits[0] - '0') * 100 + (three_digits[1] - '0') * 10 + (three_digits[2] - '0');
}

bool CatalogSet::is_personal_id_prefix(std::string_view three_digits) const {
  int i = prefix_index(three_digits);
  return i >= 0 && personal_id_prefixes_.test(static_cast<std::size_t>(i));
}

}  // namespace hub::catalog
