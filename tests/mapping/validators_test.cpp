#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <set>
#include <string>

#include "hub/mapping/validators.h"

using namespace hub;
using namespace hub::validate;

namespace {

template <class T>
std::string code_of(const Result<T>& r) { return r.ok() ? "ok" : r.error().code; }
std::string code_of(const Status& s) { return s.ok() ? "ok" : s.error().code; }

// The 63 province-of-birth-registration prefixes, read from the shared catalog source.
std::set<std::string> load_cccd_prefixes() {
  std::ifstream in(std::string(HUB_SHARED_DIR) +
                   "/catalog-sources/cccd-structure/cccd_birth_registration_province_codes.csv");
  std::set<std::string> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line))
    if (line.size() > 3) out.insert(line.substr(0, line.find(',')));
  return out;
}

}  // namespace

TEST_CASE("digits_only keeps ASCII digits in order", "[validators]") {
  CHECK(digits_only("0912.345-678") == "0912345678");
  CHECK(digits_only("CCCD số: 031 310") == "031310");
  CHECK(digits_only("không có").empty());
}

TEST_CASE("parse_decimal reads Vietnamese and English separators safely", "[validators]") {
  CHECK(*parse_decimal("8.5") == 8.5);
  CHECK(*parse_decimal("8,5") == 8.5);
  CHECK(*parse_decimal(" 9 ") == 9.0);
  CHECK(*parse_decimal("-1.25") == -1.25);
  CHECK(*parse_decimal("+3") == 3.0);
  CHECK(*parse_decimal("1.234,5") == 1234.5);
  CHECK(*parse_decimal("1,234.5") == 1234.5);
  CHECK(*parse_decimal("12.345.678,25") == 12345678.25);
  // A single separator is always the decimal separator.
  CHECK(*parse_decimal("1.234") == 1.234);
  CHECK(*parse_decimal("1,234") == 1.234);
  for (const char* bad : {"", " ", "-", "1e3", "1E3", "inf", "nan", "0x10", ".5", "5.", "5,",
                          "1.234.567", "1,234,567", "12.34,5", "1,2345.6", "1.234,5,6", "1,234.5.6",
                          "8 , 5", "8.5đ", "--1", "+-1", "1 234"}) {
    INFO(bad);
    CHECK(code_of(parse_decimal(bad)) == "number.format");
  }
  CHECK(code_of(parse_decimal(std::string(400, '9'))) == "number.out_of_range");
}

TEST_CASE("parse_integer rejects fractions but accepts a zero fraction", "[validators]") {
  CHECK(*parse_integer("2010") == 2010);
  CHECK(*parse_integer(" -42 ") == -42);
  CHECK(*parse_integer("+7") == 7);
  CHECK(*parse_integer("2010.0") == 2010);
  CHECK(*parse_integer("8,00") == 8);
  CHECK(*parse_integer("1.234.567,0") == 1234567);
  CHECK(code_of(parse_integer("8.5")) == "number.not_integer");
  CHECK(code_of(parse_integer("8,5")) == "number.not_integer");
  CHECK(code_of(parse_integer("abc")) == "number.format");
  CHECK(code_of(parse_integer("+-7")) == "number.format");
  CHECK(code_of(parse_integer("")) == "number.format");
  CHECK(*parse_integer("9223372036854775807") == 9223372036854775807LL);
  CHECK(code_of(parse_integer("9223372036854775808")) == "number.out_of_range");
}

TEST_CASE("check_range includes its bounds and names them", "[validators]") {
  CHECK(check_range(0, 0.0, 10.0).ok());
  CHECK(check_range(10, 0.0, 10.0).ok());
  CHECK(check_range(-5, std::nullopt, 10.0).ok());
  CHECK(check_range(1e9, 0.0, std::nullopt).ok());
  CHECK(check_range(1e9, std::nullopt, std::nullopt).ok());
  auto above = check_range(10.5, 0.0, 10.0);
  REQUIRE_FALSE(above.ok());
  CHECK(above.error().code == "number.out_of_range");
  CHECK(above.error().message.find("between 0 and 10") != std::string::npos);
  auto below = check_range(-0.25, 0.0, std::nullopt);
  REQUIRE_FALSE(below.ok());
  CHECK(below.error().message.find("at least 0") != std::string::npos);
  CHECK(code_of(check_range(std::nan(""), 0.0, 10.0)) == "number.out_of_range");
  CHECK(code_of(check_range(std::nan(""), std::nullopt, std::nullopt)) == "number.out_of_range");
}

TEST_CASE("score accepts 0-10 with at most two decimals", "[validators]") {
  CHECK(*score("8,5") == 8.5);
  CHECK(*score("8.25") == 8.25);
  CHECK(*score(" 10 ") == 10.0);
  CHECK(*score("10,00") == 10.0);
  CHECK(*score("0") == 0.0);
  CHECK(*score("-0") == 0.0);
  CHECK(*score("07,5") == 7.5);
  CHECK(code_of(score("8.555")) == "score.format");
  CHECK(code_of(score("8.")) == "score.format");
  CHECK(code_of(score(",5")) == "score.format");
  CHECK(code_of(score("8,5,0")) == "score.format");
  CHECK(code_of(score("tám")) == "score.format");
  CHECK(code_of(score("")) == "score.format");
  CHECK(code_of(score("1e1")) == "score.format");
  CHECK(code_of(score("10.01")) == "score.out_of_range");
  CHECK(code_of(score("11")) == "score.out_of_range");
  CHECK(code_of(score("-1")) == "score.out_of_range");
  CHECK(code_of(score("85")) == "score.out_of_range");
}

TEST_CASE("school_year canonicalises to YYYY-YYYY", "[validators]") {
  for (const char* ok : {"2025-2026", "2025 - 2026", "2025/2026", " 2025-26 ", "2025–2026", "2025 / 26"}) {
    INFO(ok);
    CHECK(code_of(school_year(ok)) == "ok");
    if (school_year(ok).ok()) CHECK(*school_year(ok) == "2025-2026");
  }
  CHECK(*school_year("2099-00") == "2099-2100");
  CHECK(*school_year("1999-2000") == "1999-2000");
  CHECK(code_of(school_year("2025-2027")) == "school_year.not_consecutive");
  CHECK(code_of(school_year("2025-2025")) == "school_year.not_consecutive");
  CHECK(code_of(school_year("2026-2025")) == "school_year.not_consecutive");
  CHECK(code_of(school_year("2025-27")) == "school_year.not_consecutive");
  for (const char* bad : {"2025", "2025-", "2025-2026-2027", "25-26", "2025-202", "2025.2026",
                          "năm học 2025-2026", "1899-1900", "2025--2026", ""}) {
    INFO(bad);
    CHECK(code_of(school_year(bad)) == "school_year.format");
  }
}

TEST_CASE("phone canonicalises Vietnamese numbers", "[validators]") {
  for (const char* ok : {"0912345678", "+84 912 345 678", "84912345678", "0912.345.678",
                         "0912-345-678", "(+84) 912 345 678", "+84 (0) 912 345 678", "0084912345678",
                         "912345678"}) {
    INFO(ok);
    auto r = phone(ok);
    REQUIRE(r.ok());
    CHECK(*r == "0912345678");
  }
  CHECK(*phone("0336 123 456") == "0336123456");
  CHECK(*phone("070 123 4567") == "0701234567");
  CHECK(*phone("0581234567") == "0581234567");
  CHECK(*phone("0861234567") == "0861234567");
  // Landlines are 11 digits: Hải Phòng 0225 + 7 digits, Hà Nội 024 + 8 digits.
  CHECK(*phone("0225 3842 123") == "02253842123");
  CHECK(*phone("(0225) 384.2123") == "02253842123");
  CHECK(*phone("+84 225 3842 123") == "02253842123");
  CHECK(*phone("024 3825 1234") == "02438251234");
  CHECK(*phone("2253842123") == "02253842123");
  for (const char* bad : {"", "091234567", "09123456789", "0112345678", "01912345678",
                          "0612345678", "0412345678", "0225384212", "1900 1234", "1800123456",
                          "+1 212 555 0100", "0912345678 / 0987654321", "0912abc678",
                          "0912345678 ext 12", "++84912345678", "0912+345678"}) {
    INFO(bad);
    auto r = phone(bad);
    CHECK(code_of(r) == "phone.format");
    // The message never repeats the number.
    if (!r.ok() && std::string(bad).size() > 4) CHECK(r.error().message.find(bad) == std::string::npos);
  }
}

TEST_CASE("email checks syntax and lower-cases the domain", "[validators]") {
  CHECK(*email("  nguyen.van.an@THPT-NgoQuyen.EDU.VN ") == "nguyen.van.an@thpt-ngoquyen.edu.vn");
  CHECK(*email("An.Nguyen+tuyensinh@gmail.com") == "An.Nguyen+tuyensinh@gmail.com");
  CHECK(*email("hs_2010@haiphong.edu.vn") == "hs_2010@haiphong.edu.vn");
  CHECK(*email("a@xn--vit-nam-2va.xn--vn-ab") == "a@xn--vit-nam-2va.xn--vn-ab");
  for (const char* bad : {"", "an", "an@", "@gmail.com", "an@@gmail.com", "an@b@gmail.com",
                          "an nguyen@gmail.com", "an@gmail", "an@gmail.c", "an@gmail..com",
                          "an@.gmail.com", "an@gmail.com.", "an@-gmail.com", "an@gmail-.com",
                          ".an@gmail.com", "an.@gmail.com", "an..nguyen@gmail.com",
                          "an@gmail.123", "an@gm ail.com", "nguyễn@gmail.com", "an@trường.vn",
                          "\"an\"@gmail.com", "an@gmail.com, binh@gmail.com"}) {
    INFO(bad);
    CHECK(code_of(email(bad)) == "email.format");
  }
  CHECK(code_of(email(std::string(65, 'a') + "@gmail.com")) == "email.format");
  CHECK(code_of(email("a@" + std::string(64, 'b') + ".vn")) == "email.format");
}

TEST_CASE("personal_id decodes the 12-digit CCCD structure", "[validators][personal_id]") {
  const auto prefixes = load_cccd_prefixes();
  REQUIRE(prefixes.size() == 63);
  auto known = [&](std::string_view p) { return prefixes.count(std::string(p)) > 0; };

  // A girl born in 2010 whose birth was registered in Hải Phòng (031).
  auto girl = personal_id(" 031310004512 ", known);
  REQUIRE(girl.ok());
  CHECK(girl->province_prefix == "031");
  CHECK(girl->gender == 'F');
  CHECK(girl->birth_century_start == 2000);
  CHECK(girl->birth_year_two_digits == 10);
  CHECK(personal_id_consistent(*girl, Date{2010, 5, 17}, 'F').ok());
  CHECK(personal_id_consistent(*girl, Date{2010, 5, 17}, 'f').ok());
  CHECK(personal_id_consistent(*girl, std::nullopt, std::nullopt).ok());
  CHECK(code_of(personal_id_consistent(*girl, Date{2010, 5, 17}, 'M')) == "personal_id.gender_mismatch");
  CHECK(code_of(personal_id_consistent(*girl, Date{2009, 12, 31}, 'F')) ==
        "personal_id.birth_year_mismatch");
  CHECK(code_of(personal_id_consistent(*girl, Date{1910, 5, 17}, std::nullopt)) ==
        "personal_id.birth_year_mismatch");
  CHECK(code_of(personal_id_consistent(*girl, std::nullopt, 'X')) == "personal_id.bad_gender");

  // A boy born 2009 registered in the former Hải Dương keeps 030 after the 2025 merger.
  auto boy = personal_id("030209123456", known);
  REQUIRE(boy.ok());
  CHECK(boy->gender == 'M');
  CHECK(personal_id_consistent(*boy, Date{2009, 1, 1}, 'M').ok());
  // 20th-century digits 0/1, and the later centuries of the table.
  auto parent = personal_id("001185000001", known);
  REQUIRE(parent.ok());
  CHECK(parent->gender == 'F');
  CHECK(parent->birth_century_start == 1900);
  CHECK(personal_id_consistent(*parent, Date{1985, 3, 8}, 'F').ok());
  CHECK(personal_id(std::string("079") + "0" + "75000001", known)->birth_century_start == 1900);
  CHECK(personal_id("079500000001", known)->birth_century_start == 2100);
  CHECK(personal_id("079700000001", known)->birth_century_start == 2200);
  CHECK(personal_id("079900000001", known)->birth_century_start == 2300);
  CHECK(personal_id("079800000001", known)->gender == 'M');
}

TEST_CASE("personal_id rejects malformed IDs and unknown prefixes", "[validators][personal_id]") {
  const auto prefixes = load_cccd_prefixes();
  auto known = [&](std::string_view p) { return prefixes.count(std::string(p)) > 0; };
  for (const char* bad : {"", "03131000451", "0313100045123", "031 310 004 512", "031-310-004512",
                          "O31310004512", "031310OO4512", "031310004512a", "031310004512\xC2\xA0x",
                          "０３１３１０００４５１２"}) {
    INFO(bad);
    auto r = personal_id(bad, known);
    CHECK(code_of(r) == "personal_id.format");
    if (!r.ok()) CHECK(r.error().message.find("004512") == std::string::npos);
  }
  for (const char* bad : {"000310004512", "099310004512", "003310004512", "097310004512"}) {
    INFO(bad);
    auto r = personal_id(bad, known);
    REQUIRE(code_of(r) == "personal_id.province");
    CHECK(r.error().message.find("province-of-birth-registration") != std::string::npos);
    // Only the prefix is named, never the rest of the ID.
    CHECK(r.error().message.find("310004512") == std::string::npos);
  }
  // Without a catalog only the structure is checked.
  CHECK(personal_id("000310004512", nullptr).ok());
}

// Guards the log safety net: a personal ID inside free text (a database error quoting a row)
// must come out masked, while request ids, uuids and other digit runs stay readable.
TEST_CASE("mask_personal_ids_in_text masks every free-standing 12-digit run", "[validators][personal_id]") {
  CHECK(mask_personal_ids_in_text("031214000666") == "031*******66");
  CHECK(mask_personal_ids_in_text(R"(Failing row contains ({"personal_id": "031214000666"}, 031214000777).)") ==
        R"(Failing row contains ({"personal_id": "031*******66"}, 031*******77).)");
  CHECK(mask_personal_ids_in_text("CCCD:031214000666;") == "CCCD:031*******66;");
  CHECK(mask_personal_ids_in_text("Số031214000666") == "Số031*******66");  // a Vietnamese letter is not ASCII
  // Not personal IDs: other lengths, or digits inside a word (hex request ids).
  CHECK(mask_personal_ids_in_text("1733000000000 12345678901") == "1733000000000 12345678901");
  CHECK(mask_personal_ids_in_text("a031214000666") == "a031214000666");
  CHECK(mask_personal_ids_in_text("031214000666b") == "031214000666b");
  CHECK(mask_personal_ids_in_text("no digits") == "no digits");
  CHECK(mask_personal_ids_in_text("") == "");
}

TEST_CASE("mask_personal_id never reveals more than five digits", "[validators][personal_id]") {
  CHECK(mask_personal_id("031310004545") == "031*******45");
  CHECK(mask_personal_id(" 031310004545 ") == "031*******45");
  CHECK(mask_personal_id("12345") == "*****");
  CHECK(mask_personal_id("") == "");
  CHECK(mask_personal_id("0313100045451") == "*************");
  CHECK(mask_personal_id("031 310 004 545") == "***************");
  CHECK(mask_personal_id("Nguyễn") == "******");
  CHECK(mask_personal_id(std::string(50, '1')).size() == 20);

  std::mt19937 rng(20250930);
  const std::string alphabet = "0123456789 -.aZ";
  for (int i = 0; i < 5000; ++i) {
    std::string id;
    int len = static_cast<int>(rng() % 24);
    bool digits_only_id = rng() % 2 == 0;
    for (int k = 0; k < len; ++k)
      id.push_back(digits_only_id ? static_cast<char>('0' + rng() % 10) : alphabet[rng() % alphabet.size()]);
    std::string masked = mask_personal_id(id);
    INFO(id << " -> " << masked);
    CHECK(digits_only(masked).size() <= 5);
  }
}
