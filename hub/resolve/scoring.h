#pragma once
// Scoring for entity resolution: a record's profile (the values its MatchingRules compare),
// its blocking keys, Jaro–Winkler similarity, birth-date agreement levels and the
// Fellegi–Sunter total of per-field weights. Pure functions of their arguments: thread-safe.

#include <rapidjson/document.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hub/resolve/matching_rules.h"

namespace hub::resolve {

// Profile field -> its values. A stored profile may hold several (the spellings and schools
// each source sent); a comparison takes the best agreement over all pairs.
struct Profile {
  std::map<std::string, std::vector<std::string>> values;

  const std::vector<std::string>* find(const std::string& field) const;
  bool has(const std::string& field) const { return find(field) != nullptr; }
  // Adds the values of `other` that are new; at most kMaxValues per field (oldest kept).
  void absorb(const Profile& other);
  std::string to_json() const;
  static Profile from_json(std::string_view json);

  static constexpr std::size_t kMaxValues = 6;
};

// Another canonical record of the same vendor record (e.g. the enrollment of a student).
using Related = std::vector<std::pair<std::string, const rapidjson::Value*>>;

Profile make_profile(const MatchingRules& rules, const rapidjson::Value& fields, const Related& related);

// Splits a folded Vietnamese full name: the first word is the family name (họ), the last the
// given name (tên), the words between the middle name (đệm). One word: a given name only.
struct NameParts {
  std::string family, middle, given;
};
NameParts split_name(std::string_view folded);

// Jaro–Winkler similarity in [0, 1] (prefix scale 0.1, at most 4 prefix characters), over
// UTF-8 code points.
double jaro_winkler(std::string_view a, std::string_view b);

// Which `when` of a date level two ISO dates satisfy, most specific first: "exact",
// "day_month_swapped", "two_of_three", "same_year", or "" (none). Malformed dates: "".
std::string date_agreement(std::string_view a, std::string_view b);

struct FieldScore {
  std::string field;
  int level = -1;  // index into the comparison's levels; -1: a side has no value (weight 0)
  double weight = 0;
};

struct Score {
  double total = 0;
  double rest = 0;  // total without deterministic and distinct fields (the other evidence)
  std::vector<FieldScore> fields;  // one per comparison, in the rules' order
  bool name_reversed = false;      // the name was read the other way round (rules.name_order)

  // For review items: {"total": .., "fields": {"given_name": {"level": "same", "weight": 5.2}}}.
  std::string to_json(const MatchingRules& rules) const;
};

Score score(const MatchingRules& rules, const Profile& a, const Profile& b);

// Whether the score clears rules.auto_match_requires (or the given requirements).
bool meets_requirements(const MatchingRules& rules, const Score& s);
bool meets_requirements(const std::map<std::string, std::size_t>& needed, const Score& s);

// Whether two values differ only by one swap of two different neighbouring characters
// ("123456789012" / "123456789102"): the commonest keying error in an ID.
bool transposed(std::string_view a, std::string_view b);

// Whether the profile holds the verified value of the rule's verified field.
bool appears_verified(const DistinctRule& d, const Profile& p);

// The deterministic field on which both profiles share a value ("" if none).
std::string deterministic_agreement(const MatchingRules& rules, const Profile& a, const Profile& b);
// The distinct rule both profiles have different values for (nullptr if none). Values within
// the rule's `typo` level of each other are the same value mistyped, unless both sides appear
// verified.
const DistinctRule* distinct_conflict(const MatchingRules& rules, const Profile& a, const Profile& b);

// The blocking keys of a profile: 64-bit hashes of (entity, key index, values), so neither
// PostgreSQL's block table nor Redis lock names hold a personal ID in clear.
std::vector<std::int64_t> blocking_keys(const MatchingRules& rules, const Profile& p);

}  // namespace hub::resolve
