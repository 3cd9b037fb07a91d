// Request bodies the hub cannot read, against a real hub process, PostgreSQL and Redis.
// Guards against: a body of a million nested arrays killing the hub (stack overflow in the
// recursive parse, SIGSEGV, nothing logged) on ingest (JSON and NDJSON), on admin routes and on
// the mapping :test route; data after a NUL byte silently ignored (the push got 200); a record
// with a NUL or malformed UTF-8 string answered 202 then retried for ever because PostgreSQL
// refused it, instead of that record alone being rejected; the raw body cut at a NUL byte in the
// inbox; answers echoing malformed UTF-8 from the request (invalid JSON).

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>
#include <string>
#include <vector>

#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::string_literals;

namespace {

std::string bearer(const std::string& token) { return "Authorization: Bearer " + token; }

// A member of the answer's JSON object as text ("" when absent): checks read answers of any
// shape without tripping over a missing member.
std::string field(const HttpResult& r, const char* name) {
  auto d = parse_json(r.body);
  if (!d.IsObject() || !d.HasMember(name)) return "";
  const auto& v = d[name];
  if (v.IsString()) return v.GetString();
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  return "";
}

std::string code_of(const HttpResult& r) { return field(r, "code"); }

// Each record's result in a batch answer: its status and its first error's code, path and
// Vietnamese message ("" where there is none).
struct RecordOutcome {
  std::string status, code, path, message_vi;
};
std::vector<RecordOutcome> outcomes(const HttpResult& r) {
  std::vector<RecordOutcome> out;
  auto d = parse_json(r.body);
  if (!d.IsObject() || !d.HasMember("results") || !d["results"].IsArray()) return out;
  auto text = [](const rapidjson::Value& o, const char* name) {
    return o.IsObject() && o.HasMember(name) && o[name].IsString() ? std::string(o[name].GetString()) : "";
  };
  for (const auto& res : d["results"].GetArray()) {
    RecordOutcome o{text(res, "status"), "", "", ""};
    if (res.HasMember("errors") && res["errors"].IsArray() && !res["errors"].Empty()) {
      const auto& e = res["errors"][0];
      o.code = text(e, "code");
      o.path = text(e, "path");
      o.message_vi = text(e, "message_vi");
    }
    out.push_back(o);
  }
  return out;
}

// Valid UTF-8 and valid JSON, checked strictly (RapidJSON's own parse does not check UTF-8).
bool strict_json(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  return !d.HasParseError();
}

std::string deep(int levels) { return "{\"hoSo\":" + std::string(levels, '[') + std::string(levels, ']') + "}"; }

std::string sample_records() {
  return read_file(kPartnersDir + "/demo-admissions/samples/admissions.json");
}

// The sample's record `index` (0 and 6 are the two it accepts) as a JSON text, with the
// document's school year in it: the mapping reads $root.namHoc, and in NDJSON the root is the
// line.
std::string sample_record(int index) {
  auto d = parse_json(sample_records());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d["hoSo"][index].Accept(w);
  return "{\"namHoc\":\"2025-2026\"," + std::string(buf.GetString() + 1, buf.GetSize() - 1);
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

struct Partners {
  std::string ops, admissions;
};

Partners partners(HubProcess& hub) {
  Partners p{add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
             add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"})};
  auto schools = push_feed(hub, p.ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json"));
  REQUIRE(schools.status == 200);
  return p;
}

}  // namespace

TEST_CASE("a body nested a million levels deep is refused with 400 on every route and the hub lives", "[db][http][json]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = partners(hub);
  std::string body = deep(1000000);  // about 2 MB, well under the body limit

  auto json_push = push_feed(hub, p.admissions, "admissions", body);
  CHECK(json_push.status == 400);
  CHECK(code_of(json_push) == "request.too_deep");
  CHECK(strict_json(json_push.body));
  CHECK(field(json_push, "offset") == std::to_string(8 + 63));  // stopped at the 65th level

  auto ndjson_push = push_feed(hub, p.admissions, "admissions", sample_record(0) + "\n" + body + "\n",
                               "application/x-ndjson");
  CHECK(ndjson_push.status == 400);
  CHECK(code_of(ndjson_push) == "request.too_deep");

  auto admin = http("POST", hub.url("/v1/admin/partners"), body, {bearer(p.ops), "Content-Type: application/json"});
  CHECK(admin.status == 400);
  CHECK(code_of(admin) == "request.too_deep");

  auto test_route = http("POST", hub.url("/v1/admin/mappings/demo-admissions/admissions:test"), body,
                         {bearer(p.ops), "Content-Type: application/json"});
  CHECK(test_route.status == 400);
  CHECK(code_of(test_route) == "request.too_deep");

  // Still serving, nothing stored, and each refusal logged.
  REQUIRE(hub.running());
  CHECK(get(hub.url("/healthz")).status == 200);
  CHECK(count_rows("inbox_batch where feed = 'admissions'") == "0");
  auto log = hub.log();
  std::size_t refusals = 0;
  for (auto at = log.find("\"request body refused\""); at != std::string::npos;
       at = log.find("\"request body refused\"", at + 1))
    ++refusals;
  CHECK(refusals == 4);
  CHECK(log.find("\"code\":\"request.too_deep\"") != std::string::npos);

  // The limit is json.max_depth: 64 levels pass (the mapping then finds no records there).
  auto at_limit = push_feed(hub, p.admissions, "admissions", "{\"x\":" + std::string(63, '[') + std::string(63, ']') + "}");
  CHECK(code_of(at_limit) == "ingest.no_records");
  CHECK(push_feed(hub, p.admissions, "admissions", sample_records()).status == 200);
}

TEST_CASE("json.max_depth configures the limit", "[db][http][json]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_JSON_MAX_DEPTH", "3"}});
  REQUIRE(hub.start());
  std::string token = add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"});
  auto r = push_feed(hub, token, "admissions", "{\"hoSo\":[{\"diaChi\":{}}]}");
  CHECK(r.status == 400);
  CHECK(code_of(r) == "request.too_deep");
  CHECK(field(r, "detail") ==
        "the JSON nests arrays and objects more than 3 levels deep (at byte 19); the limit is json.max_depth");
}

TEST_CASE("a NUL byte after the JSON value is malformed JSON - not a 200 that drops the rest", "[db][http][json]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = partners(hub);
  std::string body = sample_records() + "\0"s + R"({"hoSo":[{"maHoSo":"hidden"}]})";
  auto r = push_feed(hub, p.admissions, "admissions", body);
  CHECK(r.status == 400);
  CHECK(code_of(r) == "request.malformed_json");
  CHECK(field(r, "offset") == std::to_string(sample_records().size()));
  CHECK(count_rows("inbox_batch where feed = 'admissions'") == "0");

  auto admin = http("POST", hub.url("/v1/admin/partners"), "{\"name\":\"x-partner\"}\0{}"s,
                    {bearer(p.ops), "Content-Type: application/json"});
  CHECK(admin.status == 400);
  CHECK(code_of(admin) == "request.malformed_json");
  CHECK(count_rows("partner where name = 'x-partner'") == "0");
}

TEST_CASE("a record with a NUL or malformed UTF-8 string is rejected alone - its neighbours are stored", "[db][http][json]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = partners(hub);
  std::string first = sample_record(0), last = sample_record(6);
  std::string nul = replace(first, "\"nguy", "\"\\u0000nguy");
  std::string bad_utf8 = replace(replace(first, "TS25-000101", "TS25-009999"), "Lạch Tray", "L\xE1\xBA Tray");

  SECTION("in a JSON document") {
    auto r = push_feed(hub, p.admissions, "admissions",
                       "{\"namHoc\":\"2025-2026\",\"hoSo\":[" + nul + "," + last + "," + bad_utf8 + "]}");
    REQUIRE(r.status == 200);
    CHECK(strict_json(r.body));
    CHECK(field(r, "status") == "done");
    auto o = outcomes(r);
    REQUIRE(o.size() == 3);
    CHECK(o[0].status == "rejected");
    CHECK(o[0].code == "record.invalid_text");
    CHECK(o[0].path == "$['hoSo'][0]['hoTen']");
    CHECK(o[0].message_vi.find("UTF-8") != std::string::npos);
    CHECK(o[1].status == "accepted");
    CHECK(o[2].status == "rejected");
    CHECK(o[2].code == "record.invalid_text");
    CHECK(o[2].path == "$['hoSo'][2]['diaChi']['soNha']");
    CHECK(count_rows("golden_record where entity = 'student'") == "1");
    CHECK(count_rows("batch_record") == "7");  // 4 schools + 3
  }

  SECTION("in NDJSON - with a raw NUL byte kept whole in the inbox") {
    std::string body = nul + "\n" + last + "\n" + bad_utf8 + "\n" + last + "\0tail"s + "\n";
    auto r = push_feed(hub, p.admissions, "admissions", body, "application/x-ndjson");
    REQUIRE(r.status == 200);
    CHECK(strict_json(r.body));
    auto o = outcomes(r);
    REQUIRE(o.size() == 4);
    CHECK(o[0].path == "$[0]['hoTen']");
    CHECK(o[1].status == "accepted");
    CHECK(o[2].code == "record.invalid_text");
    CHECK(o[3].code == "record.malformed_json");
    CHECK(sql_value("select length(body) from inbox_batch where feed = 'admissions'") == std::to_string(body.size()));
    CHECK(sql_value("select position('\\x00'::bytea in body) from inbox_batch where feed = 'admissions'") ==
          std::to_string(body.find('\0') + 1));
    CHECK(sql_value("select body = decode('" + [&] {
            static const char kHex[] = "0123456789abcdef";
            std::string hex;
            for (unsigned char c : body) hex += std::string{kHex[c >> 4], kHex[c & 15]};
            return hex;
          }() + "', 'hex') from inbox_batch where feed = 'admissions'") == "t");
  }

  SECTION("on the mapping :test route as on ingest") {
    auto r = http("POST", hub.url("/v1/admin/mappings/demo-admissions/admissions:test"),
                  "{\"namHoc\":\"2025-2026\",\"hoSo\":[" + nul + "," + last + "]}",
                  {bearer(p.ops), "Content-Type: application/json"});
    REQUIRE(r.status == 200);
    CHECK(strict_json(r.body));
    auto o = outcomes(r);
    REQUIRE(o.size() == 2);
    CHECK(o[0].code == "record.invalid_text");
    CHECK(o[1].status == "mapped");
  }
}

TEST_CASE("bad text outside every record or in an admin body is refused with its path", "[db][http][json]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = partners(hub);
  auto outside = push_feed(hub, p.admissions, "admissions",
                           replace(sample_records(), "\"Cổng tuyển sinh", "\"\\u0000Cổng tuyển sinh"));
  CHECK(outside.status == 400);
  CHECK(code_of(outside) == "request.invalid_text");
  CHECK(field(outside, "path") == "$['donViGui']");
  CHECK(field(outside, "message_vi").find("UTF-8") != std::string::npos);

  auto admin = http("POST", hub.url("/v1/admin/partners"), R"({"name":"x-partner","display_name":"X\u0000Y"})",
                    {bearer(p.ops), "Content-Type: application/json"});
  CHECK(admin.status == 400);
  CHECK(code_of(admin) == "request.invalid_text");
  CHECK(field(admin, "path") == "$['display_name']");
  CHECK(count_rows("partner where name = 'x-partner'") == "0");
}

TEST_CASE("answers are valid UTF-8 JSON whatever bytes the request held", "[db][http][json]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto p = partners(hub);
  auto unknown_feed = http("POST", hub.url("/v1/ingest/%ff"), "{}", {bearer(p.admissions), "Content-Type: application/json"});
  CHECK(unknown_feed.status == 404);
  CHECK(strict_json(unknown_feed.body));
  CHECK(unknown_feed.body.find("\xEF\xBF\xBD") != std::string::npos);  // shown as U+FFFD

  auto no_route = http("POST", hub.url("/v1/%ff/%c3%28"), "{}", {"Content-Type: application/json"});
  CHECK(no_route.status == 404);
  CHECK(strict_json(no_route.body));

  auto no_auth = http("POST", hub.url("/v1/ingest/%ff"), "{}", {"Content-Type: application/json"});
  CHECK(no_auth.status == 401);
  CHECK(strict_json(no_auth.body));
}
