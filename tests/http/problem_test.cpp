// problem+json (hub/http/problem.cpp) and the answers HAProxy makes in front of the hub
// (config/haproxy/problems/). Guards issue 18, finding 9 (a 503 without Retry-After) and the
// rule that every refusal carries a stable code and an English and a Vietnamese message, in one
// shape whether the hub or the proxy answers.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "hub/http/problem.h"
#include "hub/mapping/messages.h"

using namespace hub;

namespace {

std::set<std::string> keys_of(const rapidjson::Document& d) {
  std::set<std::string> out;
  for (const auto& m : d.GetObject()) out.insert(m.name.GetString());
  return out;
}

}  // namespace

TEST_CASE("every 503 gets Retry-After unless it set its own", "[http][problem]") {
  Problem redis{ProblemKind::kUnavailable, "dependency.redis", "down", "", -1, {}};
  add_retry_after(redis);
  CHECK(redis.headers["Retry-After"] == "5");
  Problem own{ProblemKind::kUnavailable, "server.overloaded", "busy", "", -1, {{"Retry-After", "2"}}};
  add_retry_after(own);
  CHECK(own.headers["Retry-After"] == "2");
  Problem bad{ProblemKind::kBadRequest, "request.malformed", "no", "", -1, {}};
  add_retry_after(bad);
  CHECK(bad.headers.count("Retry-After") == 0);
}

TEST_CASE("problem+json carries the code and a Vietnamese message", "[http][problem]") {
  Problem p{ProblemKind::kHeaderTooLarge, "request.header_too_large", "the head is larger than 64 KiB", "", -1, {}};
  rapidjson::Document d;
  d.Parse(problem_json(p, "abc", "/v1/me").c_str());
  REQUIRE(d.IsObject());
  CHECK(d["status"].GetInt() == 431);
  CHECK(std::string(d["code"].GetString()) == "request.header_too_large");
  CHECK(std::string(d["message_vi"].GetString()) == mapping::problem_message_vi("request.header_too_large"));
  CHECK(std::string(d["message_vi"].GetString()).find("tiêu đề") != std::string::npos);
  // A code without a message of its own still gets a Vietnamese sentence naming it.
  CHECK(mapping::problem_message_vi("no.such_code").find("no.such_code") != std::string::npos);
  CHECK(status_for(kind_for_status(408)) == 408);
  CHECK(status_for(kind_for_status(414)) == 414);
  CHECK(status_for(kind_for_status(505)) == 505);
}

TEST_CASE("HAProxy's answers have the hub's problem+json shape and words", "[http][problem]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(HUB_SOURCE_DIR) / "config" / "haproxy" / "problems";
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    // The %[...] log-format expressions HAProxy fills in stand for strings and numbers here.
    std::string text = std::regex_replace(ss.str(), std::regex(R"(%\[[^\]]*\])"), "0");
    INFO(entry.path().string());
    rapidjson::Document d;
    d.Parse(text.c_str());
    REQUIRE(d.IsObject());
    int status = std::stoi(entry.path().stem().string());
    CHECK(d["status"].GetInt() == status);
    std::string code = d["code"].GetString();
    CHECK(std::string(d["type"].GetString()) == "https://edu-data-hub.invalid/problems/" + code);
    CHECK(std::string(d["message_vi"].GetString()) == mapping::problem_message_vi(code));
    // The same keys, in the same order, as the hub's own answer with that code.
    Problem p{kind_for_status(status), code, "detail", d.HasMember("path") ? "Authorization" : "", -1, {}};
    rapidjson::Document hub;
    hub.Parse(problem_json(p, "id", "/x").c_str());
    CHECK(keys_of(d) == keys_of(hub));
    if (status_for(p.kind) == status) CHECK(std::string(d["title"].GetString()) == title_for(p.kind));
    ++files;
  }
  CHECK(files >= 9);
}

TEST_CASE("problem answers carry message_vi from the table or a neutral text naming the code", "[http][problem]") {
  auto answer = [](const std::string& code) {
    rapidjson::Document d;
    d.Parse(problem_json(Problem{ProblemKind::kBadRequest, code, "detail", "", -1, {}}, "rid", "/x").c_str());
    return d;
  };
  auto known = answer("request.too_deep");
  REQUIRE(known.HasMember("message_vi"));
  CHECK(std::string(known["message_vi"].GetString()).find("json.max_depth") != std::string::npos);
  auto unknown = answer("test.code_without_message");
  REQUIRE(unknown.HasMember("message_vi"));
  std::string vi = unknown["message_vi"].GetString();
  CHECK(vi.find("test.code_without_message") != std::string::npos);
  // A request error is not worded as a data error.
  CHECK(vi.find("Dữ liệu không hợp lệ") == std::string::npos);
}

// Guards the table of the codes ingest returns as values (hub/ingest: Refusal): each is
// answered with the status it had when ingest threw problems itself, a dependency outage is a
// 503 (which gets Retry-After), and a code nobody put in the table is a 500, not a 4xx blaming
// the partner.
TEST_CASE("codes ingest returns map to their HTTP status", "[http][problem]") {
  CHECK(status_for(kind_for_code("ingest.unknown_feed")) == 404);
  CHECK(status_for(kind_for_code("auth.scope")) == 403);
  CHECK(status_for(kind_for_code("request.empty_body")) == 400);
  CHECK(status_for(kind_for_code("request.idempotency_key")) == 400);
  CHECK(status_for(kind_for_code("idempotency.conflict")) == 409);
  CHECK(status_for(kind_for_code("ingest.no_records")) == 422);
  CHECK(status_for(kind_for_code("ingest.too_many_records")) == 413);
  CHECK(status_for(kind_for_code("dependency.redis")) == 503);
  CHECK(status_for(kind_for_code("dependency.postgres")) == 503);
  CHECK(status_for(kind_for_code("ingest.code_nobody_mapped")) == 500);
}
