// hub/common/json: the parser of documents from outside and the writer of every answer.
// Guards against: a deeply nested body overflowing the stack (the recursive parse killed the
// hub with SIGSEGV); data after a NUL byte silently ignored; NUL and malformed UTF-8 text
// reaching PostgreSQL unnoticed; answers that echo malformed UTF-8 (invalid JSON); recursion
// in the writer that hashes and serialises documents.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <cmath>
#include <string>

#include "hub/common/json.h"

using namespace hub;

namespace {

std::string nested_arrays(int depth, const std::string& inner = "") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

bool valid_utf8_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  return !d.HasParseError();
}

}  // namespace

TEST_CASE("nesting deeper than the limit is refused while parsing and never recurses", "[json]") {
  rapidjson::Document doc;
  auto ok = json::parse(nested_arrays(64), doc, 64);
  REQUIRE(ok.ok());
  CHECK(doc.IsArray());

  auto deep = json::parse(nested_arrays(65), doc, 64);
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().code == "request.too_deep");
  CHECK(deep.error().offset == 64);  // the 65th '[' is refused: parsing stopped there

  // A million levels (2 MB) is refused the same way: neither the parse nor anything else
  // recurses per level, so there is no stack to overflow.
  auto huge = json::parse("{\"hoSo\":" + nested_arrays(1000000) + "}", doc, 64);
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().code == "request.too_deep");

  // The limit is the caller's (json.max_depth).
  CHECK(json::parse(nested_arrays(3), doc, 2).error().code == "request.too_deep");
  CHECK(json::parse("{\"a\":{\"b\":[1]}}", doc, 3).ok());
  CHECK_FALSE(json::parse("{\"a\":{\"b\":[1]}}", doc, 2).ok());
}

TEST_CASE("data after the JSON value is malformed JSON - a NUL byte included", "[json]") {
  rapidjson::Document doc;
  using namespace std::string_literals;
  auto after_nul = json::parse("{\"a\":1}\0{\"b\":2}"s, doc);
  REQUIRE_FALSE(after_nul.ok());
  CHECK(after_nul.error().code == "request.malformed_json");
  CHECK(after_nul.error().offset == 7);
  CHECK(after_nul.error().message.find("NUL") != std::string::npos);

  CHECK(json::parse("{\"a\":1}\0"s, doc).error().code == "request.malformed_json");
  CHECK(json::parse("[1,\0 2]"s, doc).error().code == "request.malformed_json");
  CHECK(json::parse("{\"a\":1} x", doc).error().offset == 8);
  CHECK(json::parse("{\"a\":1}  \r\n", doc).ok());
  CHECK(json::parse("\xEF\xBB\xBF{\"a\":1}", doc).ok());  // a UTF-8 byte order mark is allowed
  CHECK(json::parse("", doc).error().code == "request.malformed_json");
}

TEST_CASE("strings and names with NUL or malformed UTF-8 are counted and found with their paths", "[json]") {
  rapidjson::Document doc;
  auto clean = json::parse(R"({"hoTen":"Nguyễn Văn An","n":[1,"x"]})", doc);
  REQUIRE(clean.ok());
  CHECK(clean->bad_text == 0);

  std::string text = R"({"hoSo":[{"hoTen":"ok"},{"hoTen":"A\u0000B"},{"x":")" "\xFF" R"("}],)"
                     R"("bad)" "\xC3\x28" R"(":1,"tail":"\uDC00"})";
  auto parsed = json::parse(text, doc);
  REQUIRE(parsed.ok());  // kept as sent; the caller decides
  // \u0000 (an escaped NUL), a 0xFF byte, an invalid member name, an escaped lone low surrogate
  CHECK(parsed->bad_text == 4);

  json::BadTextFinder found(doc);
  REQUIRE(found.next());
  CHECK(found.relative_path() == "['hoSo'][1]['hoTen']");
  CHECK_FALSE(found.is_name());
  CHECK(found.holders().size() == 4);  // the string, its record, the array, the document
  CHECK(found.holders()[1] == &doc["hoSo"][1]);
  REQUIRE(found.next());
  CHECK(found.relative_path() == "['hoSo'][2]['x']");
  REQUIRE(found.next());
  CHECK(found.is_name());
  CHECK(found.relative_path() == "['bad\xEF\xBF\xBD(']");  // shown with U+FFFD
  CHECK(found.holders().front() == &doc);
  REQUIRE(found.next());
  CHECK(found.relative_path() == "['tail']");
  CHECK_FALSE(found.next());
}

TEST_CASE("UTF-8 checks follow the Unicode well-formed table", "[json]") {
  CHECK(json::find_bad_text("plain ASCII text, long enough for the word loop") == std::string::npos);
  CHECK(json::find_bad_text("Trần Thị Lan 😀") == std::string::npos);
  CHECK(json::find_bad_text(std::string("abcdefghij\0k", 12)) == 10);
  CHECK(json::find_invalid_utf8(std::string("abcdefghij\0k", 12)) == std::string::npos);
  CHECK(json::find_bad_text("\xC0\xAF") == 0);          // overlong '/'
  CHECK(json::find_bad_text("ab\xED\xA0\x80") == 2);    // surrogate D800
  CHECK(json::find_bad_text("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(json::find_bad_text("abc\xE1\x80") == 3);       // cut short
  CHECK(json::to_valid_utf8("a\xFF" "b\xE1\x80") == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(json::bad_text_reason(std::string("ab\0", 3)).find("NUL") != std::string::npos);
}

TEST_CASE("the writer's output is valid UTF-8 JSON whatever text it is given", "[json]") {
  json::JsonWriter w;
  w.begin_object().kv("detail", "no route for /v1/ingest/\xFF").kv(std::string_view("k\xC3"), 1).end_object();
  CHECK(valid_utf8_json(w.str()));
  CHECK(w.str().find("\xEF\xBF\xBD") != std::string::npos);

  rapidjson::Document doc;
  REQUIRE(json::parse("{\"a\":\"x\xFFy\",\"n\":\"\\u0000\"}", doc).ok());
  std::string out = json::to_string(doc);
  CHECK(valid_utf8_json(out));
  CHECK(out.find("\\u0000") != std::string::npos);  // NUL stays escaped, not cut
}

TEST_CASE("the writer serialises deep values without recursion and exactly as RapidJSON does", "[json]") {
  rapidjson::Document doc;
  std::string text = R"({"a":[1,-2,3.5,4294967296,-9007199254740993,true,false,null,"s",{"b":{}},[]],"c":"Việt"})";
  REQUIRE(json::parse(text, doc).ok());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> reference(buf);
  doc.Accept(reference);
  CHECK(json::to_string(doc) == std::string(buf.GetString(), buf.GetSize()));

  // Built in memory, 200,000 levels deep: only parse-time limits keep documents shallow, so the
  // writer must not depend on them.
  rapidjson::Document deep(rapidjson::kArrayType);
  rapidjson::Value* cur = &deep;
  for (int i = 0; i < 200000; ++i) {
    cur->PushBack(rapidjson::Value(rapidjson::kArrayType), deep.GetAllocator());
    cur = &(*cur)[0];
  }
  std::string written = json::to_string(deep);
  CHECK(written.size() == 2 * 200001);
  CHECK(written.front() == '[');
  CHECK(written.back() == ']');
}

// Found by fuzzing: RapidJSON 1.1.0's full-precision conversion read 0e202 as 5.02e58 and
// -0e300 as 2.2e-75 (invented values), and 1.7976931348623159e308 as infinity.
TEST_CASE("numbers are read exactly and typed as RapidJSON types them", "[json]") {
  rapidjson::Document doc;
  REQUIRE(json::parse("[0e202, -0e300, 0.0e100, 1e-400, -1e-400, 0.1, 2.2250738585072011e-308]", doc).ok());
  CHECK(doc[0].GetDouble() == 0.0);
  CHECK(doc[1].GetDouble() == 0.0);
  CHECK(std::signbit(doc[1].GetDouble()));
  CHECK(doc[2].GetDouble() == 0.0);
  CHECK(doc[3].GetDouble() == 0.0);
  CHECK(std::signbit(doc[4].GetDouble()));
  CHECK(doc[5].GetDouble() == 0.1);
  CHECK(doc[6].GetDouble() == 2.2250738585072011e-308);

  REQUIRE(json::parse("[1, -1, 4294967296, -2147483649, 18446744073709551615, 123456789012345678901234567890, -0, 1.0]",
                      doc).ok());
  CHECK(doc[0].IsInt());
  CHECK(doc[1].IsInt());
  CHECK((doc[2].IsUint64() && !doc[2].IsUint()));
  CHECK((doc[3].IsInt64() && !doc[3].IsInt()));
  CHECK(doc[4].GetUint64() == 18446744073709551615ull);
  CHECK((doc[5].IsDouble() && doc[5].GetDouble() == 1.2345678901234568e29));
  CHECK((doc[6].IsInt() && doc[6].GetInt() == 0));
  CHECK(doc[7].IsDouble());

  auto too_big = json::parse("[1, 1.7976931348623159e308]", doc);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().code == "request.malformed_json");
  CHECK(too_big.error().offset == 4);
}
