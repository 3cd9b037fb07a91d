#include "hub/resolve/scoring.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "hub/common/crypto.h"
#include "hub/common/json.h"
#include "hub/mapping/text.h"

namespace hub::resolve {
namespace {

std::string value_text(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsNumber()) return json::to_string(v);
  return "";
}

// UTF-8 -> code points; malformed bytes are taken one by one (profiles are NFC text already).
std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + n > s.size()) n = 1;
    char32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    out.push_back(cp);
    i += n;
  }
  return out;
}

// Optimal string alignment distance (Damerau–Levenshtein with adjacent swaps) on code points,
// at most `max` with the same first code point: typists rarely miss the first letter.
bool within_edits(std::string_view as, std::string_view bs, int max) {
  auto a = code_points(as), b = code_points(bs);
  if (a.empty() || b.empty() || a[0] != b[0]) return false;
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  if (std::abs(la - lb) > max) return false;
  std::vector<std::vector<int>> d(la + 1, std::vector<int>(lb + 1));
  for (int i = 0; i <= la; ++i) d[i][0] = i;
  for (int j = 0; j <= lb; ++j) d[0][j] = j;
  for (int i = 1; i <= la; ++i)
    for (int j = 1; j <= lb; ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[la][lb] <= max;
}

struct Ymd {
  int y = 0, m = 0, d = 0;
};
bool parse_ymd(std::string_view s, Ymd& out) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  out.y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  out.m = (s[5] - '0') * 10 + (s[6] - '0');
  out.d = (s[8] - '0') * 10 + (s[9] - '0');
  return true;
}

bool holds(const Level& l, Method method, std::string_view a, std::string_view b, double similarity,
           const std::string& date_when) {
  switch (method) {
    case Method::kExact:
      if (l.when == "transposed") return transposed(a, b);
      return l.when.empty() || a == b;
    case Method::kJaroWinkler:
      if (l.max_edits >= 0) return within_edits(a, b, l.max_edits);
      return l.min_similarity < 0 || similarity >= l.min_similarity;
    case Method::kDate:
      // date_agreement gives the most specific agreement; a level takes exactly that one.
      return l.when.empty() || (!date_when.empty() && l.when == date_when);
  }
  return false;
}

// Best level index of one comparison over all value pairs.
int best_level(const Comparison& c, const std::vector<std::string>& av, const std::vector<std::string>& bv) {
  int best = static_cast<int>(c.levels.size()) - 1;
  for (const auto& a : av) {
    for (const auto& b : bv) {
      double sim = c.method == Method::kJaroWinkler ? jaro_winkler(a, b) : 0;
      std::string when = c.method == Method::kDate ? date_agreement(a, b) : "";
      for (int i = 0; i < best; ++i) {
        if (holds(c.levels[i], c.method, a, b, sim, when)) {
          best = i;
          break;
        }
      }
      if (best == 0) return 0;
    }
  }
  return best;
}

bool shares_value(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a)
    for (const auto& y : b)
      if (x == y) return true;
  return false;
}

// The words of a folded name, in order.
std::vector<std::string> words_of(std::string_view folded) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < folded.size()) {
    while (i < folded.size() && folded[i] == ' ') ++i;
    std::size_t j = i;
    while (j < folded.size() && folded[j] != ' ') ++j;
    if (j > i) words.emplace_back(folded.substr(i, j - i));
    i = j;
  }
  return words;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Levels and weights of one comparison field, or of nothing (-1, 0) when a side lacks it.
FieldScore field_score(const Comparison& c, const std::vector<std::string>* av, const std::vector<std::string>* bv) {
  FieldScore fs{c.field, -1, 0};
  if (av && bv) {
    fs.level = best_level(c, *av, *bv);
    fs.weight = c.levels[fs.level].weight;
  }
  return fs;
}

// `a`'s name read the other way round (name_order): family and given swapped, middle words
// reversed. Empty when `a` has neither a family nor a given name to swap.
Profile reversed_name(const NameOrder& o, const Profile& a) {
  Profile r;
  const auto* family = a.find(o.family);
  const auto* given = a.find(o.given);
  if (!family || !given) return r;
  r.values[o.family] = *given;
  r.values[o.given] = *family;
  if (const auto* middle = o.middle.empty() ? nullptr : a.find(o.middle)) {
    auto& out = r.values[o.middle];
    for (const auto& m : *middle) {
      auto words = words_of(m);
      std::reverse(words.begin(), words.end());
      out.push_back(joined(words));
    }
  }
  return r;
}

}  // namespace

bool transposed(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.size() < 2) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (i + 1 >= a.size()) return false;  // equal, or only the last character differs
  return a[i] == b[i + 1] && a[i + 1] == b[i] && a[i] != a[i + 1] && a.substr(i + 2) == b.substr(i + 2);
}

const std::vector<std::string>* Profile::find(const std::string& field) const {
  auto it = values.find(field);
  return it == values.end() || it->second.empty() ? nullptr : &it->second;
}

void Profile::absorb(const Profile& other) {
  for (const auto& [field, vs] : other.values) {
    auto& mine = values[field];
    for (const auto& v : vs)
      if (mine.size() < kMaxValues && std::find(mine.begin(), mine.end(), v) == mine.end()) mine.push_back(v);
  }
}

std::string Profile::to_json() const {
  json::JsonWriter w;
  w.begin_object();
  for (const auto& [field, vs] : values)
    if (!vs.empty()) w.key(field).strings(vs);
  w.end_object();
  return w.str();
}

Profile Profile::from_json(std::string_view text) {
  Profile p;
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) return p;
  for (auto m = d.MemberBegin(); m != d.MemberEnd(); ++m) {
    if (!m->value.IsArray()) continue;
    auto& vs = p.values[m->name.GetString()];
    for (const auto& v : m->value.GetArray())
      if (v.IsString()) vs.emplace_back(v.GetString(), v.GetStringLength());
  }
  return p;
}

NameParts split_name(std::string_view folded) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < folded.size()) {
    while (i < folded.size() && folded[i] == ' ') ++i;
    std::size_t j = i;
    while (j < folded.size() && folded[j] != ' ') ++j;
    if (j > i) words.push_back(folded.substr(i, j - i));
    i = j;
  }
  NameParts p;
  if (words.empty()) return p;
  p.given = std::string(words.back());
  if (words.size() >= 2) p.family = std::string(words.front());
  for (std::size_t k = 1; k + 1 < words.size(); ++k) {
    if (!p.middle.empty()) p.middle += ' ';
    p.middle += words[k];
  }
  return p;
}

Profile make_profile(const MatchingRules& rules, const rapidjson::Value& fields, const Related& related) {
  Profile p;
  for (const auto& f : rules.profile) {
    std::vector<std::string> raw;
    for (const auto& src : f.from) {
      auto dot = src.find('.');
      if (dot == std::string::npos) {
        auto m = fields.FindMember(src.c_str());
        if (m != fields.MemberEnd()) raw.push_back(value_text(m->value));
        continue;
      }
      std::string entity = src.substr(0, dot), field = src.substr(dot + 1);
      for (const auto& [e, rec] : related) {
        if (e != entity || !rec) continue;
        auto m = rec->FindMember(field.c_str());
        if (m != rec->MemberEnd()) raw.push_back(value_text(m->value));
      }
    }
    auto& out = p.values[f.name];
    for (auto& v : raw) {
      if (f.fold) v = text::fold_key(v);
      if (f.part == ProfileField::Part::kTokens) {
        auto words = words_of(v);
        std::sort(words.begin(), words.end());
        v = joined(words);
      } else if (f.part != ProfileField::Part::kWhole) {
        auto parts = split_name(v);
        v = f.part == ProfileField::Part::kFamily ? parts.family
            : f.part == ProfileField::Part::kMiddle ? parts.middle
                                                    : parts.given;
      }
      if (!v.empty() && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
    }
    if (out.empty()) p.values.erase(f.name);
  }
  return p;
}

double jaro_winkler(std::string_view as, std::string_view bs) {
  auto a = code_points(as), b = code_points(bs);
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  const int la = static_cast<int>(a.size()), lb = static_cast<int>(b.size());
  const int window = std::max(0, std::max(la, lb) / 2 - 1);
  std::vector<char> am(la, 0), bm(lb, 0);
  int matches = 0;
  for (int i = 0; i < la; ++i) {
    int lo = std::max(0, i - window), hi = std::min(lb - 1, i + window);
    for (int j = lo; j <= hi; ++j) {
      if (bm[j] || a[i] != b[j]) continue;
      am[i] = bm[j] = 1;
      ++matches;
      break;
    }
  }
  if (matches == 0) return 0.0;
  int transpositions = 0;
  for (int i = 0, j = 0; i < la; ++i) {
    if (!am[i]) continue;
    while (!bm[j]) ++j;
    if (a[i] != b[j]) ++transpositions;
    ++j;
  }
  double m = matches;
  double jaro = (m / la + m / lb + (m - transpositions / 2.0) / m) / 3.0;
  int prefix = 0;
  while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix]) ++prefix;
  return jaro + prefix * 0.1 * (1.0 - jaro);
}

std::string date_agreement(std::string_view as, std::string_view bs) {
  Ymd a, b;
  if (!parse_ymd(as, a) || !parse_ymd(bs, b)) return "";
  if (a.y == b.y && a.m == b.m && a.d == b.d) return "exact";
  if (a.y == b.y && a.d == b.m && a.m == b.d) return "day_month_swapped";
  int same = (a.y == b.y) + (a.m == b.m) + (a.d == b.d);
  if (same == 2) return "two_of_three";
  if (a.y == b.y) return "same_year";
  return "";
}

Score score(const MatchingRules& rules, const Profile& a, const Profile& b) {
  Score s;
  for (const auto& c : rules.comparisons) s.fields.push_back(field_score(c, a.find(c.field), b.find(c.field)));
  if (rules.name_order) {
    // The name in the other order, if it agrees better than in order even after the weight
    // of the reversal (a penalty): a name stored given-name first.
    const NameOrder& o = *rules.name_order;
    Profile rev = reversed_name(o, a);
    if (!rev.values.empty()) {
      double in_order = 0, other = o.weight;
      std::vector<std::pair<std::size_t, FieldScore>> replaced;
      for (std::size_t i = 0; i < rules.comparisons.size(); ++i) {
        const Comparison& c = rules.comparisons[i];
        if (c.field != o.family && c.field != o.middle && c.field != o.given) continue;
        in_order += s.fields[i].weight;
        replaced.emplace_back(i, field_score(c, rev.find(c.field), b.find(c.field)));
        other += replaced.back().second.weight;
      }
      if (other > in_order) {
        for (auto& [i, fs] : replaced) s.fields[i] = fs;
        s.name_reversed = true;
      }
    }
  }
  for (std::size_t i = 0; i < rules.comparisons.size(); ++i) {
    const FieldScore& fs = s.fields[i];
    s.total += fs.weight;
    const std::string& field = rules.comparisons[i].field;
    bool identifier = std::find(rules.deterministic.begin(), rules.deterministic.end(), field) != rules.deterministic.end() ||
                      std::any_of(rules.distinct.begin(), rules.distinct.end(), [&](const DistinctRule& d) { return d.field == field; });
    if (!identifier) s.rest += fs.weight;
  }
  if (s.name_reversed) {
    s.total += rules.name_order->weight;
    s.rest += rules.name_order->weight;
  }
  return s;
}

bool meets_requirements(const MatchingRules& rules, const Score& s) {
  return meets_requirements(rules.auto_match_requires, s);
}

bool meets_requirements(const std::map<std::string, std::size_t>& needed, const Score& s) {
  for (const auto& [field, max_level] : needed) {
    for (const auto& f : s.fields) {
      // A missing value is no evidence either way: it does not block a match by itself.
      if (f.field == field && f.level >= 0 && static_cast<std::size_t>(f.level) > max_level) return false;
    }
  }
  return true;
}

std::string Score::to_json(const MatchingRules& rules) const {
  json::JsonWriter w;
  w.begin_object().kv("total", total).kv("rest", rest);
  if (name_reversed) w.kv("name_order", "reversed");
  w.key("fields").begin_object();
  for (const auto& f : fields) {
    if (f.level < 0) continue;
    const Comparison* c = rules.comparison(f.field);
    w.key(f.field).begin_object().kv("level", c->levels[f.level].label).kv("weight", f.weight).end_object();
  }
  w.end_object().end_object();
  return w.str();
}

std::string deterministic_agreement(const MatchingRules& rules, const Profile& a, const Profile& b) {
  for (const auto& f : rules.deterministic) {
    const auto* av = a.find(f);
    const auto* bv = b.find(f);
    if (av && bv && shares_value(*av, *bv)) return f;
  }
  return "";
}

bool appears_verified(const DistinctRule& d, const Profile& p) {
  if (d.verified_field.empty()) return false;
  const auto* vs = p.find(d.verified_field);
  return vs && std::find(vs->begin(), vs->end(), d.verified_value) != vs->end();
}

const DistinctRule* distinct_conflict(const MatchingRules& rules, const Profile& a, const Profile& b) {
  for (const auto& d : rules.distinct) {
    const auto* av = a.find(d.field);
    const auto* bv = b.find(d.field);
    if (!av || !bv || shares_value(*av, *bv)) continue;
    // A keying slip (two neighbouring digits swapped) is one value, not two, unless both
    // sides were checked against the population database.
    const Comparison* c = d.typo_level ? rules.comparison(d.field) : nullptr;
    if (c && static_cast<std::size_t>(best_level(*c, *av, *bv)) <= *d.typo_level &&
        !(appears_verified(d, a) && appears_verified(d, b)))
      continue;
    return &d;
  }
  return nullptr;
}

std::vector<std::int64_t> blocking_keys(const MatchingRules& rules, const Profile& p) {
  std::vector<std::int64_t> out;
  for (std::size_t k = 0; k < rules.blocking.size(); ++k) {
    // Every combination of the components' values (profiles of one record have one each).
    std::vector<std::string> combos = {rules.entity + "\x1f" + std::to_string(k)};
    for (const auto& part : rules.blocking[k]) {
      auto colon = part.find(':');
      std::string field = part.substr(0, colon), how = colon == std::string::npos ? "" : part.substr(colon + 1);
      const auto* vs = p.find(field);
      if (!vs) {
        combos.clear();
        break;
      }
      std::vector<std::string> next;
      for (const auto& c : combos) {
        for (const auto& v : *vs) {
          std::string t = v;
          Ymd d;
          if (how == "year") t = v.substr(0, 4);
          else if (how == "initial") t = v.substr(0, 1);
          else if (how == "unordered" && parse_ymd(v, d))
            t = std::to_string(d.y) + "|" + std::to_string(std::min(d.m, d.d)) + "|" + std::to_string(std::max(d.m, d.d));
          next.push_back(c + "\x1f" + t);
          if (next.size() >= 16) break;
        }
      }
      combos = std::move(next);
    }
    for (const auto& c : combos) {
      std::string h = crypto::sha256(c);
      std::int64_t v = 0;
      std::memcpy(&v, h.data(), sizeof v);
      out.push_back(v);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace hub::resolve
