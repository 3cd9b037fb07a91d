// Guards: an error code the hub can emit without its own Vietnamese message, so a partner's
// staff read the generic "Dữ liệu không hợp lệ (mã lỗi ...)" instead of what is wrong.
// The codes are collected from the source itself (hub/ and connectors/): every string literal
// shaped like a code ("area.what") in a place that makes or compares an error code - make_error(,
// error(, Error{, fail(ProblemKind::k..., "...", Problem{ProblemKind::k..., "...", a table entry
// {"...", ProblemKind::k...}, refuse(, refusal(, make_issue(, issues.push_back({, code = , code == ,
// kv("code", ...), vietnamese_message(, a schema checker's add(field, and Violation{...}. A new code written in
// any of these ways fails this test until messages.cpp has its wording.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "hub/mapping/messages.h"

namespace fs = std::filesystem;

namespace {

// code -> "file:line" of one place that emits it
std::map<std::string, std::string> codes_in_source() {
  static const std::regex kCode(R"re("([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)")re");
  // What precedes the literal (white space collapsed), for it to be an error code.
  static const std::regex kBefore(
      R"re((make_error\(|\berror\(|Error\{|ProblemKind::k\w+,|refuse\(|refusal\(|make_issue\(|push_back\(\{|code ?[=!]=?|kv\("code", ?|vietnamese_message\(|\badd\([^;]{0,60},|Violation\{[^;]{0,60},)$)re");
  // What follows it: the code column of a table of codes and kinds.
  static const std::regex kAfter(R"re(^\s*,\s*ProblemKind::)re");
  std::map<std::string, std::string> out;
  for (const char* top : {"hub", "connectors"}) {
    for (const auto& entry : fs::recursive_directory_iterator(std::string(HUB_SOURCE_DIR) + "/" + top)) {
      auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".h") continue;
      std::ifstream in(entry.path());
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      for (auto it = std::sregex_iterator(text.begin(), text.end(), kCode); it != std::sregex_iterator(); ++it) {
        std::size_t at = static_cast<std::size_t>(it->position(0));
        std::size_t from = at > 120 ? at - 120 : 0;
        std::string before;
        for (std::size_t i = from; i < at; ++i) {
          char c = text[i];
          bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
          if (space && (before.empty() || before.back() == ' ')) continue;
          before += space ? ' ' : c;
        }
        while (!before.empty() && before.back() == ' ') before.pop_back();
        std::string after = text.substr(at + it->length(0), 40);
        if (!std::regex_search(before, kBefore) && !std::regex_search(after, kAfter)) continue;
        std::size_t line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + at, '\n'));
        out.emplace((*it)[1].str(), fs::relative(entry.path(), HUB_SOURCE_DIR).string() + ":" + std::to_string(line));
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("every error code the hub emits has a Vietnamese message of its own", "[mapping][messages]") {
  auto codes = codes_in_source();
  // The scan itself must keep finding codes written in each of the ways above.
  for (const char* known : {"auth.unit", "ref.unknown", "record.malformed_json", "date.impossible",
                            "dependency.redis", "schema.required", "record.duplicate_key", "rate.limited",
                            "catalog.load", "merge.not_found"})
    CHECK(codes.count(known) == 1);
  CHECK(codes.size() > 100);
  for (const auto& [code, where] : codes) {
    INFO(code << " (" << where << ") has no Vietnamese message in hub/mapping/messages.cpp");
    CHECK(hub::mapping::has_vietnamese_message(code));
  }
}

TEST_CASE("a code without its own message still gets a Vietnamese text naming it", "[mapping][messages]") {
  CHECK_FALSE(hub::mapping::has_vietnamese_message("no.such_code"));
  CHECK(hub::mapping::vietnamese_message("no.such_code").find("no.such_code") != std::string::npos);
  CHECK(hub::mapping::vietnamese_message("auth.unit") != hub::mapping::vietnamese_message("no.such_code"));
}

// Guards: a code added to the hub (with its Vietnamese message) that the vendor guide does not
// explain, or a guide whose Vietnamese differs from what the hub sends in message_vi.
TEST_CASE("the vendor guide lists every error code with the hub's Vietnamese message", "[mapping][messages]") {
  std::ifstream in(std::string(HUB_SOURCE_DIR) + "/docs/vendor-guide.md");
  REQUIRE(in);
  std::map<std::string, std::string> rows;  // code -> its table row
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| `", 0) != 0) continue;
    auto end = line.find('`', 3);
    rows[line.substr(3, end - 3)] = line;
  }
  auto all = hub::mapping::all_vietnamese_messages();
  CHECK(all.size() > 130);
  for (const auto& [code, vi] : all) {
    INFO(code << " is not in the table of docs/vendor-guide.md section 9 with its Vietnamese: " << vi);
    REQUIRE(rows.count(code) == 1);
    CHECK(rows[code].find("| " + vi + " |") != std::string::npos);
  }
  // And no code the hub no longer has (rows of other tables name statuses and headers, no dots).
  std::set<std::string> known;
  for (const auto& [code, vi] : all) known.insert(code);
  for (const auto& [code, row] : rows) {
    if (code.find('.') == std::string::npos) continue;
    INFO(code << " is in the guide but the hub has no message for it");
    CHECK(known.count(code) == 1);
  }
}
