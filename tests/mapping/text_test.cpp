#include <catch2/catch.hpp>

#include "hub/mapping/text.h"

using namespace hub;

TEST_CASE("fold_key makes spelling variants of Vietnamese names equal", "[text]") {
  CHECK(text::fold_key("Nguyễn  Văn ĐỨC") == "nguyen van duc");
  CHECK(text::fold_key(" nguyen van duc ") == "nguyen van duc");
  // NFD input (e + combining circumflex + combining tilde) folds the same as NFC.
  CHECK(text::fold_key("Nguye\xCC\x82\xCC\x83n") == "nguyen");
  // Both tone-mark placements of "Hòa"/"Hoà" fold to one key.
  CHECK(text::fold_key("Hòa") == text::fold_key("Hoà"));
  CHECK(text::fold_key("Phường Lê Chân, TP. Hải Phòng") == "phuong le chan tp hai phong");
  CHECK(text::fold_key("\xff\xfe").empty());
}

TEST_CASE("nfc composes and rejects invalid UTF-8", "[text]") {
  auto r = text::nfc("Nguye\xCC\x82\xCC\x83n");
  REQUIRE(r.ok());
  CHECK(*r == "Nguyễn");
  auto bad = text::nfc("ab\xC3");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "text.invalid_utf8");
}

TEST_CASE("collapse_spaces trims and collapses Unicode spaces", "[text]") {
  CHECK(text::collapse_spaces("  Trần\t\tThị \xC2\xA0 Mai  ") == "Trần Thị Mai");
  CHECK(text::collapse_spaces("") == "");
}
