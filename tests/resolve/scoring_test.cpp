// Scoring on Vietnamese student data with the shipped rules (mappings/matching/student.yaml):
// what merges, what goes to review, what stays apart.

#include <catch2/catch.hpp>

#include "hub/resolve/matching_rules.h"
#include "hub/resolve/scoring.h"

using namespace hub::resolve;

namespace {

const MatchingRules& student_rules() {
  static const auto rules = [] {
    auto set = load_matching_rules(std::string(HUB_SOURCE_DIR) + "/mappings/matching");
    REQUIRE(set.ok());
    return set->at("student");
  }();
  return *rules;
}

Profile student(const std::string& json, const std::string& school = "") {
  rapidjson::Document d;
  d.Parse(json.c_str());
  rapidjson::Document enrollment;
  enrollment.Parse(("{\"school\": \"" + school + "\"}").c_str());
  Related related;
  if (!school.empty()) related.emplace_back("enrollment", &enrollment);
  return make_profile(student_rules(), d, related);
}

}  // namespace

TEST_CASE("Jaro-Winkler on folded names", "[resolve]") {
  CHECK(jaro_winkler("martha", "marhta") == Approx(0.9611).epsilon(0.001));
  CHECK(jaro_winkler("dwayne", "duane") == Approx(0.84).epsilon(0.001));
  CHECK(jaro_winkler("", "") == 1.0);
  CHECK(jaro_winkler("lan", "") == 0.0);
  CHECK(jaro_winkler("nguyen", "nguyen") == 1.0);
  CHECK(jaro_winkler("nguyen", "nguyn") > 0.95);  // a dropped letter
  CHECK(jaro_winkler("huong", "phuong") < 0.97);
  // Code points, not bytes: unfolded "Đức" and "Đưc" differ by one character.
  CHECK(jaro_winkler("Đức", "Đưc") == Approx(jaro_winkler("abc", "adc")));
}

TEST_CASE("birth date agreement levels", "[resolve]") {
  CHECK(date_agreement("2014-03-05", "2014-03-05") == "exact");
  CHECK(date_agreement("2014-03-05", "2014-05-03") == "day_month_swapped");
  CHECK(date_agreement("2014-03-05", "2014-03-15") == "two_of_three");
  CHECK(date_agreement("2014-03-05", "2013-03-05") == "two_of_three");
  CHECK(date_agreement("2014-03-05", "2014-11-20") == "same_year");
  CHECK(date_agreement("2014-03-05", "2015-11-20") == "");
  CHECK(date_agreement("2014-03-05", "05/03/2014") == "");
}

TEST_CASE("Vietnamese names split into family - middle and given - profiles fold diacritics and NFD", "[resolve]") {
  auto p = split_name("nguyen thi thu trang");
  CHECK(p.family == "nguyen");
  CHECK(p.middle == "thi thu");
  CHECK(p.given == "trang");
  CHECK(split_name("lan").given == "lan");
  CHECK(split_name("lan").family.empty());

  // NFD "Nguyễn" and an all-caps name without diacritics give the same profile.
  auto a = student(R"({"full_name": "Nguye\u0302\u0303n Văn Đức", "birth_date": "2014-03-05", "gender": "M"})");
  auto b = student(R"({"full_name": "NGUYEN VAN DUC", "birth_date": "2014-03-05", "gender": "M"})");
  CHECK(a.values == b.values);
  CHECK(a.find("given_name")->at(0) == "duc");
  CHECK(blocking_keys(student_rules(), a) == blocking_keys(student_rules(), b));
}

TEST_CASE("the same child from two sources scores above the match threshold", "[resolve]") {
  const auto& r = student_rules();
  auto admissions = student(R"({"full_name": "Nguyễn Thị Thu Trang", "birth_date": "2014-03-05", "gender": "F"})", "HP-THCS-0012");
  auto transcripts = student(R"({"full_name": "Nguyen Thi Thu Trang", "birth_date": "2014-03-05", "gender": "F",
                                 "moet_student_code": "HS0001"})", "HP-THCS-0012");
  auto s = score(r, admissions, transcripts);
  CHECK(s.total >= r.match_threshold);
  CHECK(meets_requirements(r, s));

  // A day/month swap and a typo in the middle name still match in the same school.
  auto swapped = student(R"({"full_name": "Nguyễn Thi Thư Trang", "birth_date": "2014-05-03", "gender": "F"})", "HP-THCS-0012");
  CHECK(score(r, admissions, swapped).total >= r.match_threshold);
  // Shared blocking key despite the swap (given name + unordered date).
  auto ka = blocking_keys(r, admissions), kb = blocking_keys(r, swapped);
  bool shared = false;
  for (auto k : ka) shared = shared || std::find(kb.begin(), kb.end(), k) != kb.end();
  CHECK(shared);
}

TEST_CASE("namesakes and twins are not automatic matches", "[resolve]") {
  const auto& r = student_rules();
  // Same name and birth date, nothing else known: about 24, below the match threshold.
  auto a = student(R"({"full_name": "Trần Minh Anh", "birth_date": "2013-09-01", "gender": "M"})");
  auto b = student(R"({"full_name": "Tran Minh Anh", "birth_date": "2013-09-01", "gender": "M"})");
  auto s = score(r, a, b);
  CHECK(s.total < r.match_threshold);
  CHECK(s.total >= r.review_threshold);

  // Twins: same family, middle, birth date and school; given names differ.
  auto twin1 = student(R"({"full_name": "Lê Văn Minh", "birth_date": "2014-07-20", "gender": "M"})", "HP-TH-0001");
  auto twin2 = student(R"({"full_name": "Lê Văn Mạnh", "birth_date": "2014-07-20", "gender": "M"})", "HP-TH-0001");
  auto t = score(r, twin1, twin2);
  CHECK_FALSE((t.total >= r.match_threshold && meets_requirements(r, t)));
}

TEST_CASE("identifiers: deterministic agreement and distinct valid personal IDs", "[resolve]") {
  const auto& r = student_rules();
  auto a = student(R"({"full_name": "Phạm Thị Hoa", "birth_date": "2012-01-02", "gender": "F", "personal_id": "031312000123"})");
  auto same_id = student(R"({"full_name": "Pham Thi Hoa", "birth_date": "2012-02-01", "gender": "F", "personal_id": "031312000123"})");
  auto other_id = student(R"({"full_name": "Phạm Thị Hoa", "birth_date": "2012-01-02", "gender": "F", "personal_id": "031312000999"})");
  CHECK(deterministic_agreement(r, a, same_id) == "personal_id");
  CHECK(deterministic_agreement(r, a, other_id).empty());
  const DistinctRule* d = distinct_conflict(r, a, other_id);
  REQUIRE(d != nullptr);
  CHECK(d->field == "personal_id");
  // The other evidence is strong (a mistyped ID?), yet the different ID costs weight.
  auto s = score(r, a, other_id);
  CHECK(s.rest > s.total);
  CHECK(distinct_conflict(r, a, same_id) == nullptr);
}

TEST_CASE("profiles keep several values and round-trip through JSON", "[resolve]") {
  auto a = student(R"({"full_name": "Đỗ Hải Yến", "birth_date": "2011-12-31", "gender": "F"})", "HP-THCS-0001");
  auto b = student(R"({"full_name": "Đỗ Hải Yến", "birth_date": "2011-12-31", "gender": "F"})", "HP-THPT-0002");
  a.absorb(b);
  CHECK(a.find("school")->size() == 2);
  CHECK(a.find("given_name")->size() == 1);
  CHECK(Profile::from_json(a.to_json()).values == a.values);
}

TEST_CASE("typo levels: one keystroke off with the same first letter - twins are not doubts", "[resolve]") {
  const auto& r = student_rules();
  const auto* given = r.comparison("given_name");
  REQUIRE(given);
  auto level_of = [&](const Score& s, const std::string& field) {
    for (const auto& f : s.fields)
      if (f.field == field) return f.level < 0 ? std::string("-") : r.comparison(field)->levels[f.level].label;
    return std::string("?");
  };
  auto base = student(R"({"full_name": "Phạm Thị Vy", "birth_date": "2013-02-14", "gender": "F"})", "HP-THCS-0012");
  // "Vy" / "Vt": Jaro-Winkler 0.70, one substitution: a typo, not another name.
  auto slip = student(R"({"full_name": "Pham Thi Vt", "birth_date": "2013-02-14", "gender": "F"})", "HP-THCS-0012");
  auto s = score(r, base, slip);
  CHECK(level_of(s, "given_name") == "typo");
  CHECK(meets_requirements(r.review_requires, s));   // a person looks ...
  CHECK_FALSE(meets_requirements(r, s));              // ... it is never merged alone
  // Another first letter is another name: a twin, not even a doubt.
  auto twin = student(R"({"full_name": "Phạm Thị My", "birth_date": "2013-02-14", "gender": "F"})", "HP-THCS-0012");
  auto t = score(r, base, twin);
  CHECK(level_of(t, "given_name") == "other");
  CHECK_FALSE(meets_requirements(r.review_requires, t));
  // A family-name slip ("Le" / "Lw") in the same school with the rest alike still matches.
  auto le = student(R"({"full_name": "Lê Văn Nam", "birth_date": "2014-11-11", "gender": "M"})", "HP-THCS-0012");
  auto lw = student(R"({"full_name": "Lw Van Nam", "birth_date": "2014-11-11", "gender": "M"})", "HP-THCS-0012");
  auto l = score(r, le, lw);
  CHECK(level_of(l, "family_name") == "typo");
  CHECK(l.total >= r.match_threshold);
  CHECK(meets_requirements(r, l));
}
