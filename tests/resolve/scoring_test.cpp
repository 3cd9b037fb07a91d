// Scoring on Vietnamese student data with the shipped rules (mappings/matching/student.yaml):
// what merges, what goes to review, what stays apart.

#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>

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

// Issue 19: a name stored given-name first ("Hieu Dinh Le" for Lê Đình Hiếu) was not even a
// candidate (no shared blocking key) and scored as another child (family "hieu", given "le").
TEST_CASE("names in another order share a blocking key and score as the same name", "[resolve]") {
  const auto& r = student_rules();
  auto golden = student(R"({"full_name": "Lê Đình Hiếu", "birth_date": "2013-04-09", "gender": "M"})", "HP-THCS-0003");
  auto reversed = student(R"({"full_name": "Hieu Dinh Le", "birth_date": "2013-04-09", "gender": "M"})", "HP-THCS-0003");
  auto upper = student(R"({"full_name": "NHUNG KHANH TRAN", "birth_date": "2012-10-30", "gender": "F"})");
  auto nhung = student(R"({"full_name": "Trần Khánh Nhung", "birth_date": "2012-10-30", "gender": "F"})");
  CHECK(*reversed.find("name_tokens") == std::vector<std::string>{"dinh hieu le"});
  CHECK(*golden.find("name_tokens") == *reversed.find("name_tokens"));
  auto ka = blocking_keys(r, golden), kb = blocking_keys(r, reversed);
  std::vector<std::int64_t> shared;
  std::set_intersection(ka.begin(), ka.end(), kb.begin(), kb.end(), std::back_inserter(shared));
  CHECK(shared.size() == 1);  // the sorted name tokens with the birth date
  auto kn = blocking_keys(r, nhung), ku = blocking_keys(r, upper);
  CHECK(std::find_first_of(kn.begin(), kn.end(), ku.begin(), ku.end()) != kn.end());

  auto s = score(r, golden, reversed);
  CHECK(s.name_reversed);
  CHECK(s.total >= r.match_threshold);
  CHECK(meets_requirements(r, s));
  CHECK(s.to_json(r).find("\"name_order\":\"reversed\"") != std::string::npos);
  // In order, the same pair scores higher without the reversal's penalty.
  auto same = score(r, golden, golden);
  CHECK_FALSE(same.name_reversed);
  CHECK(same.total > s.total);
  // Four words: the middle words are reversed too.
  auto four = student(R"({"full_name": "Nguyễn Thị Minh Anh", "birth_date": "2013-01-01", "gender": "F"})", "HP-TH-0001");
  auto four_rev = student(R"({"full_name": "ANH MINH THI NGUYEN", "birth_date": "2013-01-01", "gender": "F"})", "HP-TH-0001");
  auto f = score(r, four, four_rev);
  CHECK(f.name_reversed);
  CHECK(f.total >= r.match_threshold);
  // Twins stay twins in either reading: Lê Đình Hiếu and Lê Đình Hùng.
  auto twin = student(R"({"full_name": "Lê Đình Hùng", "birth_date": "2013-04-09", "gender": "M"})", "HP-THCS-0003");
  auto t = score(r, golden, twin);
  CHECK_FALSE(t.name_reversed);
  CHECK_FALSE((t.total >= r.match_threshold && meets_requirements(r, t)));
  CHECK_FALSE(meets_requirements(r.review_requires, t));
}

// Issue 19: two neighbouring digits swapped in a personal ID made two valid IDs, never merged
// (review at best, or a second student).
TEST_CASE("transposed neighbouring digits are strong evidence unless both IDs are verified", "[resolve]") {
  const auto& r = student_rules();
  CHECK(transposed("031312000123", "031312000213"));
  CHECK(transposed("12", "21"));
  CHECK_FALSE(transposed("031312000123", "031312000123"));  // equal
  CHECK_FALSE(transposed("031312000123", "031312000124"));  // a substitution
  CHECK_FALSE(transposed("031312000123", "031312000321"));  // not neighbours
  CHECK_FALSE(transposed("031312001123", "031312010213"));  // two swaps
  CHECK_FALSE(transposed("0313", "03130"));

  auto a = student(R"({"full_name": "Phạm Thị Hoa", "birth_date": "2012-01-02", "gender": "F", "personal_id": "031312000123"})");
  auto b = student(R"({"full_name": "Pham Thi Hoa", "birth_date": "2012-01-02", "gender": "F", "personal_id": "031312000213"})");
  CHECK(distinct_conflict(r, a, b) == nullptr);
  auto s = score(r, a, b);
  CHECK(r.comparison("personal_id")->levels[s.fields[0].level].label == "transposed");
  CHECK(s.fields[0].weight > 9);
  CHECK(s.total >= r.match_threshold);
  CHECK(meets_requirements(r, s));
  // One side verified: still one ID keyed twice.
  auto bv = student(R"({"full_name": "Pham Thi Hoa", "birth_date": "2012-01-02", "gender": "F", "personal_id": "031312000213",
                        "personal_id_status": "verified"})");
  CHECK(distinct_conflict(r, a, bv) == nullptr);
  // Both verified against the population database: two children, never merged automatically.
  auto av = student(R"({"full_name": "Phạm Thị Hoa", "birth_date": "2012-01-02", "gender": "F", "personal_id": "031312000123",
                        "personal_id_status": "verified"})");
  const DistinctRule* d = distinct_conflict(r, av, bv);
  REQUIRE(d != nullptr);
  CHECK(d->field == "personal_id");
  // Another valid ID that is not a transposition stays a conflict, as before.
  auto c = student(R"({"full_name": "Pham Thi Hoa", "birth_date": "2012-01-02", "gender": "F", "personal_id": "031312000124"})");
  CHECK(distinct_conflict(r, a, c) != nullptr);
  // Ministry codes get the level too (evidence only: they are not a distinct field).
  auto m1 = student(R"({"full_name": "Phạm Thị Hoa", "moet_student_code": "HS00123"})");
  auto m2 = student(R"({"full_name": "Phạm Thị Hoa", "moet_student_code": "HS00213"})");
  auto ms = score(r, m1, m2);
  for (const auto& fs : ms.fields)
    if (fs.field == "moet_code") CHECK(r.comparison("moet_code")->levels[fs.level].label == "transposed");
}
