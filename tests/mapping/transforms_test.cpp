// The text steps that let a mapping say what a vendor sends without constants: substring,
// split, Vietnamese name parts, regex capture with named groups, the first and last day of a
// school year, and the person-name character check. Each case guards the step's own output and
// errors; a broken step would put wrong data in canonical records or let bad data through.

#include <catch2/catch.hpp>

#include <chrono>
#include <limits>

#include "hub/mapping/transforms.h"

using namespace hub;
using namespace hub::mapping;

namespace {

Transform step(const std::string& yaml) {
  auto t = compile_transform(YAML::Load(yaml), TransformOptions{});
  INFO(yaml << ": " << (t ? "" : t.error().message));
  REQUIRE(t.ok());
  return t.value();
}

// The step's output as text ("(null)" when it gave no value), or "error <code>".
std::string run(const std::string& yaml, Scalar v) {
  auto t = step(yaml);
  if (auto st = t.apply(v); !st) return "error " + st.error().code;
  return is_null(v) ? "(null)" : scalar_text(v);
}

std::string refused(const std::string& yaml) {
  auto t = compile_transform(YAML::Load(yaml), TransformOptions{});
  return t ? "" : t.error().message;
}

}  // namespace

TEST_CASE("substring counts characters - from the end when negative", "[transforms]") {
  CHECK(run("{substring: {start: 0, length: 1}}", std::string("4A7")) == "4");
  CHECK(run("{substring: {start: 1}}", std::string("4A7")) == "A7");
  CHECK(run("{substring: {start: -2}}", std::string("Hải Phòng")) == "ng");
  CHECK(run("{substring: {start: 0, length: 3}}", std::string("Đặng Thị")) == "Đặn");  // not bytes
  CHECK(run("{substring: {start: 9}}", std::string("4A7")) == "(null)");              // nothing left
  CHECK(run("{substring: {start: 0, length: 2}}", 2014LL) == "20");
  CHECK(run("{substring: {start: 0}}", Scalar()) == "(null)");
  CHECK(refused("{substring: {length: 2}}").find("start") != std::string::npos);
  CHECK(refused("{substring: {start: 0, length: 0}}").find("at least 1") != std::string::npos);
  CHECK_FALSE(refused("{substring: {start: 0, lenght: 2}}").empty());
}

TEST_CASE("split takes one part or a range of parts", "[transforms]") {
  CHECK(run("{split: {separator: '-', part: 0}}", std::string("HP-THCS-0012")) == "HP");
  CHECK(run("{split: {separator: '-', part: -1}}", std::string("HP-THCS-0012")) == "0012");
  CHECK(run("{split: {separator: '-', part: '1:'}}", std::string("HP-THCS-0012")) == "THCS-0012");
  CHECK(run("{split: {separator: '-', part: 5}}", std::string("HP-THCS-0012")) == "(null)");
  // The default separator is white space, however much of it.
  CHECK(run("{split: {part: 1}}", std::string("  Nguyễn   Văn An ")) == "Văn");
  CHECK(run("{split: {part: '1:-1'}}", std::string("Nguyễn Thị Minh Khai")) == "Thị Minh");
  CHECK(refused("{split: {separator: ''}}").find("part") != std::string::npos);
  CHECK(refused("{split: {separator: '', part: 0}}").find("empty") != std::string::npos);
  CHECK_FALSE(refused("{split: {part: x}}").empty());
}

TEST_CASE("name_part splits a Vietnamese full name - family first and given last", "[transforms]") {
  CHECK(run("{name_part: family}", std::string("Nguyễn Thị Minh Khai")) == "Nguyễn");
  CHECK(run("{name_part: middle}", std::string("Nguyễn Thị Minh Khai")) == "Thị Minh");
  CHECK(run("{name_part: given}", std::string("Nguyễn Thị Minh Khai")) == "Khai");
  CHECK(run("{name_part: middle}", std::string("Lê  Bình")) == "(null)");  // no middle name
  CHECK(run("{name_part: family}", std::string("Lê  Bình")) == "Lê");
  CHECK(run("{name_part: family}", std::string("Bình")) == "(null)");  // one word: a given name
  CHECK(run("{name_part: given}", std::string("Bình")) == "Bình");
  CHECK(refused("{name_part: surname}").find("family, middle or given") != std::string::npos);
}

TEST_CASE("capture takes a named group of a pattern the whole value matches", "[transforms]") {
  const char* grade = "{capture: '(?<khoi>[0-9]{1,2})[A-Z].*'}";
  CHECK(run(grade, std::string("4A7")) == "4");
  CHECK(run(grade, std::string("10A1")) == "10");
  CHECK(run(grade, std::string("Lớp bốn")) == "error value.pattern");
  CHECK(run(grade, std::string("x4A7")) == "error value.pattern");  // anchored at both ends
  // Several groups: say which; a group that took no part gives no value.
  const char* room = "{capture: {pattern: '(?<block>[A-Z])-(?<floor>[0-9])(?<wing>[a-z])?', group: wing}}";
  CHECK(run(room, std::string("B-3")) == "(null)");
  CHECK(run(room, std::string("B-3c")) == "c");
  CHECK(refused("{capture: '(?<a>x)(?<b>y)'}").find("say which") != std::string::npos);
  CHECK(refused("{capture: '[0-9]+'}").find("no (?<name>...) group") != std::string::npos);
  CHECK(refused("{capture: {pattern: '(?<a>x)', group: b}}").find("no group named 'b'") != std::string::npos);
  CHECK(refused("{capture: '(?<a>x'}").find("I-Regexp") != std::string::npos);
  CHECK(refused("{capture: '(?<1a>x)'}").find("I-Regexp") != std::string::npos);
  // A pattern that backtracks without end stops at its step limit instead of stalling a record.
  auto start = std::chrono::steady_clock::now();
  CHECK(run("{capture: '(?<a>(x+x+)+)y'}", std::string(40, 'x')) == "error value.pattern");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("school_year_start and school_year_end derive dates from the school year", "[transforms]") {
  CHECK(run("school_year_start", std::string("2025-2026")) == "2025-09-05");
  CHECK(run("school_year_end", std::string("2025-2026")) == "2026-05-31");
  CHECK(run("school_year_start", std::string("2025 - 26")) == "2025-09-05");
  CHECK(run("{school_year_start: '09-01'}", std::string("2026-2027")) == "2026-09-01");
  CHECK(run("{school_year_end: '06-30'}", std::string("2026-2027")) == "2027-06-30");
  CHECK(run("school_year_start", std::string("2025-2027")) == "error school_year.not_consecutive");
  CHECK(run("school_year_end", std::string("năm nay")) == "error school_year.format");
  CHECK(refused("{school_year_start: '02-29'}").find("MM-DD") != std::string::npos);
  CHECK(refused("{school_year_end: '13-01'}").find("MM-DD") != std::string::npos);
}

TEST_CASE("person_name refuses characters no name has", "[transforms]") {
  CHECK(run("person_name", std::string("Lê Văn Bình")) == "Lê Văn Bình");
  CHECK(run("person_name", std::string("Lê Văn Bình<script>")) == "error name.invalid_character");
  CHECK(run("person_name", 12345LL) == "error name.invalid_character");
  CHECK(run("{person_name: {allow: '.'}}", std::string("Nguyễn T. Hà")) == "Nguyễn T. Hà");
  Scalar v = std::string("Lê Văn Bình<script>");
  auto st = step("person_name").apply(v);
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("'<' (U+003C)") != std::string::npos);
  CHECK(refused("{person_name: {allow: ['.']}}").find("allow") != std::string::npos);
}

// A JSON number the vendor sent as 5e202 reaches `integer` as a double; casting it to a 64-bit
// integer is undefined (the fuzzer found it), so the step must refuse it with a code instead.
TEST_CASE("integer refuses a number beyond the exact range of a 64-bit integer", "[transforms]") {
  CHECK(run("integer", 5e202) == "error number.out_of_range");
  CHECK(run("integer", -1e19) == "error number.out_of_range");
  CHECK(run("integer", std::numeric_limits<double>::infinity()) == "error number.out_of_range");
  CHECK(run("integer", 12.0) == "12");
  CHECK(run("integer", 12.5) == "error number.not_integer");
  CHECK(run("integer", 9007199254740992.0) == "9007199254740992");
}
