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
  // Every Unicode space separator counts, whatever its UTF-8 length; other bytes, even
  // malformed ones, are kept as they are.
  CHECK(text::collapse_spaces("a\xE2\x80\x83" "b\xE3\x80\x80" "c\xE1\x9A\x80" "d\xE2\x80\xAF" "e") == "a b c d e");
  CHECK(text::collapse_spaces("\xE2\x80\x8B" "x") == "\xE2\x80\x8B" "x");  // U+200B is not a space (Cf)
  CHECK(text::collapse_spaces("x \xC2\x85 \xFF  y") == "x \xC2\x85 \xFF y");
  // Text that is already clean comes back as it is; one stray space anywhere is still caught.
  CHECK(text::collapse_spaces("Trần Thị Mai") == "Trần Thị Mai");
  CHECK(text::collapse_spaces("a \xC2\xA9 b\x01" "c") == "a \xC2\xA9 b\x01" "c");
  CHECK(text::collapse_spaces(" a") == "a");
  CHECK(text::collapse_spaces("a ") == "a");
  CHECK(text::collapse_spaces(" ") == "");
  CHECK(text::collapse_spaces("a \xC2\xA0" "b") == "a b");
  CHECK(text::collapse_spaces("a\tb") == "a b");
  CHECK(text::name_case("nguyễn văn an") == "Nguyễn Văn An");
}

TEST_CASE("trim removes ASCII white space and no-break spaces only at the ends", "[text]") {
  CHECK(text::trim(" \t\xC2\xA0" "8,5 \xC2\xA0\r\n") == "8,5");
  CHECK(text::trim("Lê  Chân") == "Lê  Chân");
  CHECK(text::trim(" \xC2\xA0 ").empty());
}

TEST_CASE("upper and lower map Vietnamese letters both ways", "[text]") {
  CHECK(text::upper("đặng thị ngọc ánh") == "ĐẶNG THỊ NGỌC ÁNH");
  CHECK(text::lower("ĐẶNG THỊ NGỌC ÁNH") == "đặng thị ngọc ánh");
  CHECK(text::upper("ươ ư ơ ă â ê ô ỹ") == "ƯƠ Ư Ơ Ă Â Ê Ô Ỹ");
  CHECK(text::lower("Trường THPT Ngô Quyền") == "trường thpt ngô quyền");
  // NFD input stays NFD: only the base letter changes case.
  CHECK(text::upper("nguye\xCC\x82\xCC\x83n") == "NGUYE\xCC\x82\xCC\x83N");
  // Malformed bytes survive rather than vanishing silently.
  CHECK(text::upper("a\xFF" "b") == "A\xFF" "B");
}

TEST_CASE("name_case capitalises each word of a Vietnamese name", "[text]") {
  CHECK(text::name_case("NGUYỄN văn  đức") == "Nguyễn Văn Đức");
  CHECK(text::name_case("lê thị HOÀ") == "Lê Thị Hoà");
  CHECK(text::name_case("  đỗ   ĐÌNH\tđạt ") == "Đỗ Đình Đạt");
  // NFD input comes out composed.
  CHECK(text::name_case("NGUYE\xCC\x82\xCC\x83N THI\xCC\xA3") == "Nguyễn Thị");
  // Names without diacritics (vendors that strip them) are cased the same way.
  CHECK(text::name_case("TRAN VAN AN") == "Tran Van An");
  // Minority names keep every hyphen/apostrophe part capitalised.
  CHECK(text::name_case("y-moan ÊBAN") == "Y-Moan Êban");
  CHECK(text::name_case("H'HEN NIÊ") == "H'Hen Niê");
  CHECK(text::name_case("").empty());
  // Text already clean and in NFC is cased as it is; a no-break space or a doubled space is not clean.
  CHECK(text::name_case("lê văn an") == "Lê Văn An");
  CHECK(text::name_case("lê\xC2\xA0văn  an") == "Lê Văn An");
  CHECK(*text::normalize_text("Lê Văn An") == "Lê Văn An");
  CHECK(*text::normalize_text("Lê\xC2\xA0Văn An\t") == "Lê Văn An");
  CHECK(*text::normalize_text("Lê\x01Văn") == "Lê\x01" "Văn");
}

TEST_CASE("normalize_text composes and collapses spaces", "[text]") {
  auto r = text::normalize_text("  Trường  THCS\tTrần Phu\xCC\x81 ");
  REQUIRE(r.ok());
  CHECK(*r == "Trường THCS Trần Phú");
  auto bad = text::normalize_text("Tr\xC6");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "text.invalid_utf8");
}

TEST_CASE("canonical_tone_marks makes old and new tone placement equal", "[text]") {
  auto canon = [](std::string_view s) {
    auto r = text::canonical_tone_marks(s);
    REQUIRE(r.ok());
    return *r;
  };
  CHECK(canon("Tỉnh Hoà Bình") == "Tỉnh Hòa Bình");
  CHECK(canon("Tỉnh Hòa Bình") == "Tỉnh Hòa Bình");
  CHECK(canon("Khánh Hoà") == canon("Khánh Hòa"));
  CHECK(canon("Thanh Hoá") == "Thanh Hóa");
  CHECK(canon("Thuỷ Nguyên") == "Thủy Nguyên");
  CHECK(canon("khoẻ") == "khỏe");
  CHECK(canon("UỶ BAN") == "ỦY BAN");
  CHECK(canon("HOẠ") == "HỌA");
  // NFD input with the new placement gives the composed old placement.
  CHECK(canon("Hoa\xCC\x80") == "Hòa");
  // Closed syllables and "quy" have one spelling and must not change.
  CHECK(canon("Hoàng Toán Quỳnh quý Nguyễn") == "Hoàng Toán Quỳnh quý Nguyễn");
  // Vowels with their own diacritic are other syllables ("thuế", "khuê").
  CHECK(canon("thuế khuê") == "thuế khuê");
  CHECK_FALSE(text::canonical_tone_marks("Ho\xE0").ok());
}

TEST_CASE("value_shape hides digits and letters but keeps the layout", "[text]") {
  CHECK(text::value_shape("05/01/2010") == "NN/NN/NNNN");
  CHECK(text::value_shape("ngày 5") == "aa?a N");
  CHECK(text::value_shape(std::string(100, '7')).size() == 43);
}

// Guards: markup, digits or control characters passing as part of a person's name.
TEST_CASE("first_non_name_character finds what no person's name has", "[text]") {
  CHECK_FALSE(text::first_non_name_character("Lê Văn Bình"));
  CHECK_FALSE(text::first_non_name_character("H'Hen Niê"));        // apostrophe
  CHECK_FALSE(text::first_non_name_character("Y-Moan Ênuôl"));     // hyphen
  CHECK_FALSE(text::first_non_name_character("H\xE2\x80\x99Hen"));  // U+2019 apostrophe
  CHECK_FALSE(text::first_non_name_character("Nguye\xCC\x82\xCC\x83n Thu\xCC\x89y"));  // NFD: combining marks
  auto script = text::first_non_name_character("Lê Văn Bình<script>");
  REQUIRE(script);
  CHECK(script->code_point == U'<');
  CHECK(script->position == 12);
  CHECK(text::first_non_name_character("Nguyễn Văn 2")->code_point == U'2');
  CHECK(text::first_non_name_character("Trần\tMai")->code_point == U'\t');
  CHECK(text::first_non_name_character("Mai\xC3")->code_point == 0);  // malformed UTF-8
  // A mapping may allow more, e.g. initials.
  CHECK(text::first_non_name_character("Nguyễn T. Hà")->code_point == U'.');
  CHECK_FALSE(text::first_non_name_character("Nguyễn T. Hà", "."));
}
