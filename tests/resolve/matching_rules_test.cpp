// Loading mappings/matching/*.yaml: the shipped files load, and mistakes name the file and line.

#include <catch2/catch.hpp>

#include <cmath>

#include "hub/resolve/matching_rules.h"

using namespace hub::resolve;

namespace {

std::string error_of(const std::string& yaml) {
  auto r = parse_matching_rules(yaml, "student.yaml");
  return r.ok() ? "" : r.error().message;
}

const char* kMinimal = R"(
entity: student
profile:
  given_name: {from: full_name, part: given}
  birth_date: {from: birth_date}
blocking:
  - [given_name, birth_date:year]
compare:
  given_name:
    method: jaro_winkler
    levels:
      - {level: same, min: 0.95, m: 0.9, u: 0.01}
      - {level: other, m: 0.1, u: 0.99}
thresholds: {match: 10, review: 5}
)";

}  // namespace

TEST_CASE("the shipped matching rules load", "[resolve]") {
  auto set = load_matching_rules(std::string(HUB_SOURCE_DIR) + "/mappings/matching");
  REQUIRE(set.ok());
  CHECK(set->count("student") == 1);
  CHECK(set->count("staff") == 1);
  CHECK(set->count("school") == 1);
  const auto& s = *set->at("student");
  CHECK(s.deterministic == std::vector<std::string>{"personal_id", "moet_code"});
  REQUIRE(s.distinct.size() == 1);
  CHECK(s.distinct[0].field == "personal_id");
  CHECK(s.match_threshold > s.review_threshold);
  const Comparison* dob = s.comparison("birth_date");
  REQUIRE(dob != nullptr);
  CHECK(dob->levels.front().weight == Approx(std::log2(0.93 / 0.00023)));
  CHECK(s.field("given_name")->fold);
  CHECK(s.auto_match_requires.at("given_name") == 1);
  CHECK(s.distinct[0].review_requires.at("given_name") == 0);
  CHECK(s.survivorship.at("full_name") == std::vector<std::string>{"demo-admissions"});
  // Issue 19: names in another order, transposed IDs, verified IDs.
  REQUIRE(s.name_order);
  CHECK(s.name_order->weight == Approx(-1.0));
  CHECK(s.field("name_tokens")->part == ProfileField::Part::kTokens);
  const Comparison* pid = s.comparison("personal_id");
  REQUIRE(s.distinct[0].typo_level);
  CHECK(pid->levels[*s.distinct[0].typo_level].when == "transposed");
  CHECK(s.distinct[0].verified_field == "personal_id_status");
  CHECK(s.distinct[0].verified_value == "verified");
  // Survivorship of verified personal IDs (survivorship.h) reads this list.
  REQUIRE(s.verified_ids.size() == 1);
  CHECK(s.verified_ids[0].field == "personal_id");
  CHECK(s.verified_ids[0].status == "personal_id_status");
  CHECK(s.verified_ids[0].with == std::vector<std::string>{"personal_id_checked_on", "personal_id_checked_by"});
}

TEST_CASE("matching rule errors say where", "[resolve]") {
  CHECK(error_of(kMinimal).empty());
  std::string no_status = kMinimal;
  no_status += "verified_ids:\n  - {field: personal_id, value: verified}\n";
  CHECK(error_of(no_status).find("needs field:, status: and value:") != std::string::npos);
  std::string unknown = kMinimal;
  unknown += "colour: blue\n";
  CHECK(error_of(unknown).find("unknown key 'colour'") != std::string::npos);
  CHECK(error_of(unknown).find("student.yaml:") == 0);

  std::string bad_field = kMinimal;
  bad_field.replace(bad_field.find("[given_name, birth_date:year]"), 29, "[given, birth_date:year]");
  CHECK(error_of(bad_field).find("'given', which is not a profile field") != std::string::npos);

  std::string bad_m = kMinimal;
  bad_m.replace(bad_m.find("m: 0.9,"), 7, "m: 1.5,");
  CHECK(error_of(bad_m).find("probabilities") != std::string::npos);

  std::string no_otherwise = kMinimal;
  no_otherwise.replace(no_otherwise.find("{level: other, m: 0.1"), 21, "{level: other, min: 0.5, m: 0.1");
  CHECK(error_of(no_otherwise).find("only the last, has no condition") != std::string::npos);

  std::string thresholds = kMinimal;
  thresholds.replace(thresholds.find("{match: 10, review: 5}"), 22, "{match: 5, review: 10}");
  CHECK(error_of(thresholds).find("review must not be above") != std::string::npos);

  std::string no_blocking = kMinimal;
  no_blocking.replace(no_blocking.find("blocking:\n  - [given_name, birth_date:year]\n"), 44, "");
  CHECK(error_of(no_blocking).find("blocking") != std::string::npos);

  std::string both = kMinimal;
  both.replace(both.find("{level: other, m: 0.1"), 21, "{level: typo, min: 0.5, max_edits: 1, m: 0.1, u: 0.1}\n      - {level: other, m: 0.1");
  CHECK(error_of(both).find("min: or max_edits:, not both") != std::string::npos);

  std::string review = kMinimal;
  review += "review_requires: {given_name: nowhere}\n";
  CHECK(error_of(review).find("has no level 'nowhere'") != std::string::npos);

  CHECK(error_of("entity: [").find("student.yaml:") == 0);

  std::string typo = kMinimal;
  typo += "distinct:\n  - {field: given_name, typo: same}\n";
  CHECK(error_of(typo).find("distinct.typo names a level between") != std::string::npos);
  std::string verified = kMinimal;
  verified += "distinct:\n  - {field: given_name, verified: {field: status}}\n";
  CHECK(error_of(verified).find("distinct.verified needs field: and value:") != std::string::npos);
  std::string order = kMinimal;
  order += "name_order: {family: family_name, given: given_name, m: 0.1, u: 0.2}\n";
  CHECK(error_of(order).find("name_order names 'family_name'") != std::string::npos);
  std::string transposed = kMinimal;
  transposed.replace(transposed.find("method: jaro_winkler"), 20, "method: exact");
  transposed.replace(transposed.find("min: 0.95,"), 10, "when: transposed,");
  CHECK(error_of(transposed).empty());
  std::string bad_part = kMinimal;
  bad_part.replace(bad_part.find("part: given"), 11, "part: words");
  CHECK(error_of(bad_part).find("tokens") != std::string::npos);
}

// Guards the one survivorship rank the write pipeline and review merges share: a listed
// partner ranks by its place in the list, an unlisted one after every listed one, and a field
// or entity without a list ranks everyone equally (0), so the latest value wins there.
TEST_CASE("survivorship ranks partners by the entity's list", "[resolve]") {
  auto rules = parse_matching_rules(std::string(kMinimal) + "survivorship:\n  full_name: [moet, demo-admissions]\n",
                                    "student.yaml");
  REQUIRE(rules.ok());
  RuleSet set{{"student", std::make_shared<const MatchingRules>(std::move(*rules))}};
  CHECK(survivorship_rank(set, "student", "full_name", "moet") == 0);
  CHECK(survivorship_rank(set, "student", "full_name", "demo-admissions") == 1);
  CHECK(survivorship_rank(set, "student", "full_name", "demo-sis") == 2);
  CHECK(survivorship_rank(set, "student", "birth_date", "demo-sis") == 0);
  CHECK(survivorship_rank(set, "staff", "full_name", "demo-sis") == 0);
}
