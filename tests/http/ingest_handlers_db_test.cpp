// The records API and the batch routes hand record data only through the caller's publication
// profile, through a real hub on the real PostgreSQL and Redis. The failure guarded: GET
// /v1/records/{entity}/{id} answered the warehouse token (profile: hashed personal IDs, no
// address or phone) with the personal ID, address and phone in clear, and a pull partner
// without any profile with the whole record; a reader limited to other units was told the
// record's commune.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <fstream>
#include <regex>
#include <unistd.h>

#include "hub/common/crypto.h"
#include "tests/support/openapi_check.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

const std::string kSecret = "records-test-secret-0123456789";
const std::string kAnId = "031214001234";        // personal ID of the admissions sample's first child
const std::string kAnMoet = "3110012345";        // his ministry code (a personal ID in the warehouse profile)
const std::string kAnAddress = "12 Lạch Tray";
const std::string kAnPhone = "0912345678";

std::string sample(const std::string& partner, const std::string& feed) {
  return read_file(kPartnersDir + "/" + partner + "/samples/" + feed + ".json");
}

// A string member, "" when absent (a missing member must fail a check, not crash the test).
std::string str(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

std::string code_of(const HttpResult& r) {
  auto d = parse_json(r.body);
  return d.IsObject() && d.HasMember("code") ? d["code"].GetString() : "";
}

// Every personal ID the admissions sample sends.
std::vector<std::string> sample_personal_ids() {
  std::vector<std::string> out;
  std::string body = sample("demo-admissions", "admissions");
  std::regex id("\"soDinhDanh\": \"([0-9]{12})\"");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), id); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

struct Demo {
  std::string ops, admissions, warehouse, student, admissions_batch;
};

// The demo schools, admissions and transcripts; the student is the child both portals sent.
Demo load_demo(HubProcess& hub) {
  Demo d{add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
         add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"}),
         add_partner("demo-warehouse", {"--scope", "pull:*"}), "", ""};
  std::string transcripts = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                                             "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"});
  REQUIRE(push_feed(hub, d.ops, "schools", sample("demo-ops", "schools")).status == 200);
  auto a = push_feed(hub, d.admissions, "admissions", sample("demo-admissions", "admissions"));
  REQUIRE(a.status == 200);
  auto ad = parse_json(a.body);
  d.student = ad["results"][0]["entities"]["student"].GetString();
  d.admissions_batch = std::to_string(ad["batch_id"].GetInt64());
  REQUIRE(push_feed(hub, transcripts, "transcripts", sample("demo-transcripts", "transcripts")).status == 200);
  REQUIRE(sql_value("select data->>'moet_student_code' from golden_record where id = '" + d.student + "'") == kAnMoet);
  return d;
}

std::map<std::string, std::string> hub_env(const std::string& publication = "") {
  std::map<std::string, std::string> env = {{"HUB_PUBLICATION_SECRET", kSecret}, {"HUB_SYNC_PUSH", "false"}};
  if (!publication.empty()) env["HUB_SYNC_PUBLICATION"] = publication;
  return env;
}

std::string hmac(const std::string& v) { return hub::crypto::to_hex(hub::crypto::hmac_sha256(kSecret, v)); }

}  // namespace

TEST_CASE("records API: the warehouse gets its profile - no clear personal ID - address or phone", "[db][http][publication]") {
  reset_database();
  HubProcess hub(hub_env());
  REQUIRE(hub.start());
  auto d = load_demo(hub);

  auto r = get(hub.url("/v1/records/student/" + d.student + "?lineage=true&as_of=2025-10-01"), d.warehouse);
  REQUIRE(r.status == 200);
  CHECK(openapi_mismatch("GET", "/v1/records/student/" + d.student, r) == "");  // as docs/openapi.yaml says
  for (const auto& secret : {kAnId, kAnMoet, kAnAddress, kAnPhone}) CHECK(r.body.find(secret) == std::string::npos);
  auto doc = parse_json(r.body);
  REQUIRE(doc.HasMember("data"));
  REQUIRE(doc.HasMember("lineage"));
  REQUIRE(doc.HasMember("enrollments"));
  const auto& data = doc["data"];
  CHECK(str(data, "personal_id") == hmac(kAnId));
  CHECK(str(data, "moet_student_code") == hmac(kAnMoet));
  CHECK(data.HasMember("full_name"));
  CHECK_FALSE(data.HasMember("address"));
  CHECK_FALSE(data.HasMember("contact_phone"));
  // Lineage of the fields it is sent, without the vendors' record keys.
  const auto& lineage = doc["lineage"];
  REQUIRE(lineage.HasMember("full_name"));
  REQUIRE(lineage.HasMember("personal_id"));
  CHECK(str(lineage["full_name"], "partner").rfind("demo-", 0) == 0);
  CHECK(lineage["personal_id"].HasMember("batch"));
  CHECK_FALSE(lineage.HasMember("contact_phone"));
  CHECK_FALSE(lineage.HasMember("address"));
  CHECK(r.body.find("source_id") == std::string::npos);
  CHECK(r.body.find("TS25-000101") == std::string::npos);
  // The enrollments in force, through the enrollment profile.
  REQUIRE(doc["enrollments"].IsArray());
  REQUIRE(doc["enrollments"].Size() == 1);
  CHECK(doc["enrollments"][0]["data"].HasMember("school"));

  // A merged id answers 308 with the merged record's data: through the profile too.
  std::string other = sql_value("select id::text from golden_record where entity = 'student' and id <> '" + d.student +
                                "' and data->>'personal_id' = '031314002468'");
  REQUIRE_FALSE(other.empty());
  sql_exec("update golden_record set merged_into = '" + d.student + "' where id = '" + other + "'");
  auto redirect = get(hub.url("/v1/records/student/" + other + "?lineage=true"), d.warehouse);
  REQUIRE(redirect.status == 308);
  CHECK(openapi_mismatch("GET", "/v1/records/student/" + other, redirect) == "");
  CHECK(redirect.headers["location"] == "/v1/records/student/" + d.student);
  CHECK(redirect.body.find("031314002468") == std::string::npos);
  auto merged = parse_json(redirect.body);
  REQUIRE(merged.HasMember("data"));
  CHECK(str(merged["data"], "personal_id") == hmac("031314002468"));

  // An admin reads the record whole, with its sources.
  auto admin = get(hub.url("/v1/records/student/" + d.student + "?lineage=true"), d.ops);
  REQUIRE(admin.status == 200);
  CHECK(openapi_mismatch("GET", "/v1/records/student/" + d.student, admin) == "");
  CHECK(admin.body.find(kAnId) != std::string::npos);
  CHECK(admin.body.find(kAnPhone) != std::string::npos);
  CHECK(admin.body.find("TS25-000101") != std::string::npos);
}

TEST_CASE("records API: a pull partner without a profile gets 403 publication.no_profile", "[db][http][publication]") {
  reset_database();
  HubProcess hub(hub_env());
  REQUIRE(hub.start());
  auto d = load_demo(hub);
  std::string stranger = add_partner("other-agency", {"--scope", "pull:student"});
  auto r = get(hub.url("/v1/records/student/" + d.student + "?lineage=true"), stranger);
  CHECK(r.status == 403);
  CHECK(openapi_mismatch("GET", "/v1/records/student/" + d.student, r) == "");
  CHECK(code_of(r) == "publication.no_profile");
  CHECK(r.body.find(kAnId) == std::string::npos);
  // Without a pull scope: 403 auth.scope, as before.
  auto no_scope = get(hub.url("/v1/records/student/" + d.student), d.admissions);
  CHECK(no_scope.status == 403);
  CHECK(code_of(no_scope) == "auth.scope");
}

TEST_CASE("records API: a reader limited to units reads its units through its profile", "[db][http][publication]") {
  reset_database();
  // The demo warehouse, and two readers limited to a province, whose profile masks IDs.
  std::string publication = "/tmp/hub-records-publication-" + std::to_string(::getpid()) + ".yaml";
  std::ofstream(publication) << "hmac_secret_env: HUB_PUBLICATION_SECRET\nconsumers:\n"
                                "  demo-warehouse:\n    entities: {student: {fields: all}}\n"
                                "  city-reader:\n    personal_ids: mask\n    entities: {student: {fields: all}}\n"
                                "  hanoi-reader:\n    personal_ids: mask\n    entities: {student: {fields: all}}\n";
  HubProcess hub(hub_env(publication));
  REQUIRE(hub.start());
  auto d = load_demo(hub);
  std::string city = add_partner("city-reader", {"--scope", "pull:student", "--unit", "province:31"});
  std::string hanoi = add_partner("hanoi-reader", {"--scope", "pull:student", "--unit", "province:01"});

  auto ok = get(hub.url("/v1/records/student/" + d.student), city);
  REQUIRE(ok.status == 200);
  CHECK(ok.body.find(kAnId) == std::string::npos);
  auto ok_doc = parse_json(ok.body);
  REQUIRE(ok_doc.HasMember("data"));
  CHECK(str(ok_doc["data"], "personal_id") == "031*******34");

  // Another unit's reader is refused without being told where the student lives.
  std::string commune = sql_value("select data->>'residence_commune' from golden_record where id = '" + d.student + "'");
  REQUIRE(commune.size() == 5);
  auto refused = get(hub.url("/v1/records/student/" + d.student), hanoi);
  CHECK(refused.status == 403);
  CHECK(code_of(refused) == "auth.unit");
  CHECK(refused.body.find(commune) == std::string::npos);
  CHECK(refused.body.find("province:01") != std::string::npos);
  std::remove(publication.c_str());
}

TEST_CASE("batch results show a partner its own records only - personal IDs masked", "[db][http][publication]") {
  reset_database();
  HubProcess hub(hub_env());
  REQUIRE(hub.start());
  auto d = load_demo(hub);
  auto own = get(hub.url("/v1/batches/" + d.admissions_batch), d.admissions);
  REQUIRE(own.status == 200);
  CHECK(openapi_mismatch("GET", "/v1/batches/" + d.admissions_batch, own) == "");
  auto ids = sample_personal_ids();
  REQUIRE(ids.size() == 4);
  for (const auto& id : ids) CHECK(own.body.find(id) == std::string::npos);
  // The rejected child whose ID contradicts the gender: the value shown is masked.
  CHECK(own.body.find("031*******99") != std::string::npos);
  // Another partner, the warehouse included, does not see the batch at all.
  CHECK(get(hub.url("/v1/batches/" + d.admissions_batch), d.warehouse).status == 404);
  CHECK(parse_json(get(hub.url("/v1/batches"), d.warehouse).body)["batches"].Size() == 0);
}
