#pragma once
// MatchingRules: the entity-resolution rules of one entity, read from
// mappings/matching/<entity>.yaml (format: docs/matching.md). They say which values of a
// canonical record are compared (its "profile"), which identifiers decide on their own, which
// blocking keys find candidates, the Fellegi–Sunter agreement levels with their m/u
// probabilities, and the two thresholds. Loaded once, then read-only: safe to share across
// threads. A malformed file is an error value naming the file and the key, never a crash.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hub/common/result.h"

namespace hub::resolve {

// How a profile value is derived from the canonical record.
struct ProfileField {
  std::string name;
  // Canonical fields it is read from: "full_name", or "<entity>.<field>" for a field of another
  // record of the same vendor record (a student's school comes from its enrollment).
  std::vector<std::string> from;
  // kTokens: the folded words of the value sorted, whatever order they were written in (a name
  // stored given-name first, "Hieu Dinh Le", has the tokens of "Lê Đình Hiếu").
  enum class Part { kWhole, kFamily, kMiddle, kGiven, kTokens } part = Part::kWhole;
  bool fold = false;  // diacritic-folded, lower case (names); codes are compared as sent
};

enum class Method { kExact, kJaroWinkler, kDate };

// One agreement level of a compared field: the first level whose condition holds is taken.
struct Level {
  std::string label;       // "exact", "jw>=0.92", "day_month_swapped", "other" ...
  double min_similarity = -1;  // kJaroWinkler: similarity at least this (-1: any)
  // kJaroWinkler: at most this many edits (insertion, deletion, substitution, adjacent swap)
  // and the same first letter: a typo, which short names miss by similarity (-1: not used).
  int max_edits = -1;
  // kExact: exact | transposed (one swap of two different neighbouring characters, the
  // commonest keying error in an ID); kDate: exact | day_month_swapped | two_of_three |
  // same_year; "" = otherwise
  std::string when;
  double m = 0, u = 0;
  double weight = 0;       // log2(m / u), computed at load
};

struct Comparison {
  std::string field;  // a profile field
  Method method = Method::kExact;
  std::vector<Level> levels;  // the last one has no condition (otherwise)
};

// Two different values of this identifier mean two different people; an automatic merge is
// never made. When the rest of the evidence scores at least review_at, a person decides (an ID
// may have been mistyped into another valid one); otherwise the record is new.
struct DistinctRule {
  std::string field;
  std::optional<double> review_at;
  // Levels the other evidence must also reach for that review (by comparison field), on top of
  // auto_match_requires: a mistyped ID leaves the name as it was.
  std::map<std::string, std::size_t> review_requires;
  // `typo:` values that agree at this level of the field's comparison or better (two
  // neighbouring digits swapped) are one value keyed twice, not two: the pair is scored like any
  // other, with the level's own weight, unless both sides appear verified (below).
  std::optional<std::size_t> typo_level;
  // `verified: {field, value}`: a side appears verified when this profile field holds this value
  // (personal_id_status: verified, checked against the national population database). Two
  // verified values are two people even a typo apart. Empty field: nothing is ever verified.
  std::string verified_field, verified_value;
};

// A name a source stored given-name first ("Hieu Dinh Le" for Lê Đình Hiếu gives family
// "hieu", given "le"). Scoring also reads one side's name the other way round (family and given
// swapped, the middle words reversed); the better reading counts, plus `weight`, log2(m/u): m how
// often one of two records of the same person is written the other way round, u how often the
// reversed reading is the better one for two different persons.
struct NameOrder {
  std::string family, middle, given;  // profile fields with comparisons; middle may be empty
  double m = 0, u = 0;
  double weight = 0;
};

// A personal ID checked against the national population database (CSDLQGvDC), in canonical
// fields: `field` holds the ID, `status` the check's answer, `value` the answer that means
// verified, `with` the fields describing the check (date, checker). Survivorship keeps a verified
// ID against an unverified one from any source, and never replaces it without a person
// (survivorship.h).
struct VerifiedId {
  std::string field, status, value;
  std::vector<std::string> with;
};

struct MatchingRules {
  std::string entity;
  std::string file;
  std::vector<ProfileField> profile;
  std::vector<std::string> deterministic;          // profile fields: the same value = the same entity
  std::vector<DistinctRule> distinct;
  // A deterministic match whose other evidence scores below this goes to review: an ID typed
  // into another child's record must not merge two children.
  double deterministic_veto = -1e9;
  // Each key is a list of "field" or "field:transform" (transform: unordered | year | initial).
  std::vector<std::vector<std::string>> blocking;
  int max_candidates_per_key = 30;
  std::vector<Comparison> comparisons;
  std::optional<NameOrder> name_order;
  // An automatic match needs each of these comparisons at this level index or better (twins
  // agree on everything but their given name).
  std::map<std::string, std::size_t> auto_match_requires;
  // A doubtful pair (review band, namesake, ambiguous) is only proposed to a person when these
  // levels are reached: a clearly different given name with the rest alike is a twin, not a doubt.
  std::map<std::string, std::size_t> review_requires;
  double match_threshold = 0;
  double review_threshold = 0;
  // Namesakes: when another candidate scores within this margin of the best, the record is
  // ambiguous between two people and goes to review.
  double ambiguity_margin = 4;
  // Survivorship: canonical field -> partners whose values win over others', best first. Fields
  // not listed, and partners of equal rank: the latest value wins.
  std::map<std::string, std::vector<std::string>> survivorship;
  std::vector<VerifiedId> verified_ids;

  const ProfileField* field(const std::string& name) const;
  const Comparison* comparison(const std::string& field) const;
};

// Parses one YAML document. Errors "matching.invalid" with file and key in the message.
Result<MatchingRules> parse_matching_rules(const std::string& yaml_text, const std::string& file);

// All rules of a folder (mappings/matching/*.yaml), by entity.
using RuleSet = std::map<std::string, std::shared_ptr<const MatchingRules>>;
Result<RuleSet> load_matching_rules(const std::string& dir);

// Survivorship: the rank of a partner's values for one field of an entity (lower wins), from
// the entity's `survivorship` list; a partner not listed, or a field or entity without a list,
// ranks after the listed ones (0 when there is no list). The one rule the write pipeline and
// review merges both apply.
int survivorship_rank(const RuleSet& rules, const std::string& entity, const std::string& field,
                      const std::string& partner);

}  // namespace hub::resolve
