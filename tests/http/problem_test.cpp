// hub/http/problem: every problem+json answer carries a Vietnamese message next to the English
// detail. Guards against: answers in English only; a request error worded as a data error.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "hub/http/problem.h"

using namespace hub;

namespace {
rapidjson::Document answer(const std::string& code) {
  rapidjson::Document d;
  d.Parse(problem_json(Problem{ProblemKind::kBadRequest, code, "detail", "", -1, {}}, "rid", "/x").c_str());
  REQUIRE(d.IsObject());
  return d;
}
}  // namespace

TEST_CASE("problem answers carry message_vi from the table or a neutral text naming the code", "[problem]") {
  auto known = answer("request.too_deep");
  REQUIRE(known.HasMember("message_vi"));
  CHECK(std::string(known["message_vi"].GetString()).find("json.max_depth") != std::string::npos);
  auto unknown = answer("test.code_without_message");
  REQUIRE(unknown.HasMember("message_vi"));
  std::string vi = unknown["message_vi"].GetString();
  CHECK(vi.find("test.code_without_message") != std::string::npos);
  CHECK(vi.find("Dữ liệu không hợp lệ") == std::string::npos);
}
