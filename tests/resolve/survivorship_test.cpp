// Survivorship of verified personal IDs (hub/resolve/survivorship.h). Guards against a vendor's
// unchecked or different ID silently replacing one verified against the national population
// database, and against a verified ID losing to an unchecked one.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "hub/resolve/survivorship.h"

using hub::resolve::IdVerdict;

namespace {

const hub::resolve::VerifiedId kId{"personal_id", "personal_id_status", "verified",
                                   {"personal_id_checked_on", "personal_id_checked_by"}};

rapidjson::Document doc(const char* json) {
  rapidjson::Document d;
  d.Parse(json);
  return d;
}

IdVerdict verdict_of(const char* stored, const char* incoming) {
  auto s = doc(stored), i = doc(incoming);
  return hub::resolve::verdict(kId, s, i);
}

}  // namespace

TEST_CASE("survivorship: a different ID for a verified one goes to review", "[resolve]") {
  const char* verified = R"({"personal_id": "031214000303", "personal_id_status": "verified"})";
  CHECK(verdict_of(verified, R"({"personal_id": "031214000999"})") == IdVerdict::kReview);
  CHECK(verdict_of(verified, R"({"personal_id": "031214000999", "personal_id_status": "verified"})") ==
        IdVerdict::kReview);
  // The same ID again, or no ID: nothing to decide.
  CHECK(verdict_of(verified, R"({"personal_id": "031214000303"})") == IdVerdict::kNormal);
  CHECK(verdict_of(verified, R"({"full_name": "Lê Hoàng Nam"})") == IdVerdict::kNormal);
}

TEST_CASE("survivorship: not checked does not undo a check - mismatch does", "[resolve]") {
  const char* verified = R"({"personal_id": "031214000303", "personal_id_status": "verified"})";
  CHECK(verdict_of(verified, R"({"personal_id": "031214000303", "personal_id_status": "not_checked"})") ==
        IdVerdict::kKeepStored);
  CHECK(verdict_of(verified, R"({"personal_id_checked_by": "the school"})") == IdVerdict::kKeepStored);
  CHECK(verdict_of(verified, R"({"personal_id": "031214000303", "personal_id_status": "mismatch"})") ==
        IdVerdict::kNormal);
  // A newer check of the same ID: applied as usual (its date replaces the old one).
  CHECK(verdict_of(verified, R"({"personal_id_status": "verified", "personal_id_checked_on": "2026-01-05"})") ==
        IdVerdict::kNormal);
}

TEST_CASE("survivorship: a verified ID wins over an unverified one", "[resolve]") {
  CHECK(verdict_of(R"({"personal_id": "031214000303"})",
                   R"({"personal_id": "031214000999", "personal_id_status": "verified"})") == IdVerdict::kTakeIncoming);
  CHECK(verdict_of(R"({"personal_id": "031214000303", "personal_id_status": "not_checked"})",
                   R"({"personal_id_status": "verified"})") == IdVerdict::kTakeIncoming);
  CHECK(verdict_of(R"({})", R"({"personal_id": "031214000999", "personal_id_status": "verified"})") ==
        IdVerdict::kTakeIncoming);
  // A status without any ID on either side verifies nothing.
  CHECK(verdict_of(R"({})", R"({"personal_id_status": "verified"})") == IdVerdict::kNormal);
  // Neither side verified: the usual rules.
  CHECK(verdict_of(R"({"personal_id": "031214000303"})", R"({"personal_id": "031214000999"})") == IdVerdict::kNormal);
}

TEST_CASE("survivorship: the group is the ID - its status and the check's fields", "[resolve]") {
  CHECK(hub::resolve::in_group(kId, "personal_id"));
  CHECK(hub::resolve::in_group(kId, "personal_id_status"));
  CHECK(hub::resolve::in_group(kId, "personal_id_checked_on"));
  CHECK_FALSE(hub::resolve::in_group(kId, "full_name"));
  CHECK(hub::resolve::holds_verified(kId, doc(R"({"personal_id": "031214000303", "personal_id_status": "verified"})")));
  CHECK_FALSE(hub::resolve::holds_verified(kId, doc(R"({"personal_id_status": "verified"})")));
}

// takes_incoming is the one per-field rule of the write path and of review merges: guards
// against a lower-ranked source overwriting a higher-ranked value, an older value winning a
// tie, and an ID verdict being ignored.
TEST_CASE("survivorship: a field keeps the higher-ranked source's value, ties go to the newer", "[resolve]") {
  using hub::resolve::FieldOffer;
  using hub::resolve::takes_incoming;
  CHECK(takes_incoming(FieldOffer{IdVerdict::kNormal, false, 5, 9, false}));   // nothing stored: filled
  CHECK(takes_incoming(FieldOffer{IdVerdict::kNormal, true, 2, 1, false}));    // ranked higher
  CHECK_FALSE(takes_incoming(FieldOffer{IdVerdict::kNormal, true, 1, 2, true}));  // ranked lower, though newer
  CHECK(takes_incoming(FieldOffer{IdVerdict::kNormal, true, 1, 1, true}));     // tie: the newer
  CHECK_FALSE(takes_incoming(FieldOffer{IdVerdict::kNormal, true, 1, 1, false}));  // tie: the older loses
  CHECK(takes_incoming(FieldOffer{IdVerdict::kTakeIncoming, true, 1, 2, false}));  // a verified ID wins
  CHECK_FALSE(takes_incoming(FieldOffer{IdVerdict::kKeepStored, false, 2, 1, true}));
  CHECK_FALSE(takes_incoming(FieldOffer{IdVerdict::kReview, true, 2, 1, true}));
}
