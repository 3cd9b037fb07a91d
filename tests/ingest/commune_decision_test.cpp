// choose_commune: the chosen commune goes where the split commune left the field empty, only
// when it is one of the crosswalk's new communes of the old code.

#include <catch2/catch.hpp>

#include "hub/ingest/commune_decision.h"

using namespace hub;

namespace {

const catalog::CatalogSet& catalogs() {
  static std::shared_ptr<const catalog::CatalogSet> set = [] {
    auto r = catalog::CatalogSet::load_dir(HUB_SOURCE_DIR "/mappings/catalogs");
    if (!r.ok()) FAIL("load_dir failed: " << r.error().message);
    return *r;
  }();
  return *set;
}

// A student record whose residence commune was the split 11341, as the mapping leaves it.
model::RecordResult split_record() {
  model::RecordResult r;
  r.status = model::RecordStatus::kReview;
  auto& rec = r.records.emplace_back();
  rec.entity = "student";
  auto& a = rec.fields.GetAllocator();
  rec.fields.AddMember(rapidjson::Value("full_name", a), rapidjson::Value("Lê Hoàng Nam", a), a);
  model::FieldIssue i;
  i.code = "catalog.crosswalk_partial";
  i.entity = "student";
  i.field = "residence_commune";
  i.value = "11341";
  i.review = true;
  r.issues.push_back(i);
  return r;
}

}  // namespace

TEST_CASE("choose commune: one of the successors fills the field and the record is mapped", "[ingest][units]") {
  auto r = split_record();
  REQUIRE(choose_commune(r, catalogs(), "11329").ok());
  CHECK(r.status == model::RecordStatus::kMapped);
  CHECK(r.issues.empty());
  REQUIRE(r.records[0].fields.HasMember("residence_commune"));
  CHECK(std::string(r.records[0].fields["residence_commune"].GetString()) == "11329");
}

TEST_CASE("choose commune: another code is refused with the allowed ones", "[ingest][units]") {
  auto r = split_record();
  auto s = choose_commune(r, catalogs(), "11320");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "review.commune_not_allowed");
  CHECK(s.error().message.find("11311 (Phường Hồng Bàng)") != std::string::npos);
  CHECK(s.error().message.find("11359") != std::string::npos);
  CHECK(s.error().path == "commune");
  CHECK(r.status == model::RecordStatus::kReview);  // untouched
  CHECK_FALSE(r.records[0].fields.HasMember("residence_commune"));
}

TEST_CASE("choose commune: a record without a split commune or with two is not decided by a code", "[ingest][units]") {
  model::RecordResult plain;
  CHECK(choose_commune(plain, catalogs(), "11329").error().code == "review.not_a_commune_item");
  auto two = split_record();
  auto other = two.issues.front();
  other.field = "birth_commune";
  other.value = "11383";
  two.issues.push_back(other);
  CHECK(choose_commune(two, catalogs(), "11329").error().code == "review.not_a_commune_item");
  // Another issue that is not a review stays: the record is rejected as before.
  auto rejected = split_record();
  model::FieldIssue bad;
  bad.code = "date.impossible";
  rejected.issues.push_back(bad);
  REQUIRE(choose_commune(rejected, catalogs(), "11311").ok());
  CHECK(rejected.status == model::RecordStatus::kRejected);
}
