// Corrections of a value by a person (hub/store/corrections.h, POST
// /v1/records/{entity}/{id}/corrections), end to end through a real hub on the real PostgreSQL and
// Redis. Guards: a correction edited in place (no new version), lineage that does not name the
// person, no change-log row for the warehouse, no audit row; a vendor re-sending the value a
// person replaced and silently undoing the correction; a correction that survives the vendor's
// own fix; a commune's staff correcting another commune's school; a bad value stored, or refused
// without the field's path and a Vietnamese message.

#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

const std::string kPassword = "correct horse battery staple";
const std::string kSchools = std::string(HUB_SOURCE_DIR) + "/mappings/partners/demo-ops/samples/schools.json";

std::string member(const HttpResult& r, const char* key) {
  auto d = parse_json(r.body);
  return d.IsObject() && d.HasMember(key) && d[key].IsString() ? d[key].GetString() : "";
}

CommandResult add_user(const std::string& login, const std::string& role, const std::string& extra) {
  std::string cmd = "printf '%s\\n' \"$HUB_TEST_PASSWORD\" | \"$HUB_TEST_HUBCTL\" user add " + login + " --role " + role +
                    " --name 'Nguyễn Văn Sửa' --password-stdin " + extra;
  return run_process({"/bin/sh", "-c", cmd},
                     {{"HUB_TEST_PASSWORD", kPassword}, {"HUB_TEST_HUBCTL", binary("hubctl")},
                      {"HUB_POSTGRES_URL", postgres_url()}, {"HUB_REDIS_URL", redis_url()},
                      {"HUB_CONFIG", std::string(HUB_SOURCE_DIR) + "/config/hub.yaml"}});
}

struct Session {
  std::string cookie, csrf;
};

Session signed_in(const HubProcess& hub, const std::string& login) {
  auto r = http("POST", hub.url("/v1/console/login"), R"({"login":")" + login + R"(","password":")" + kPassword + "\"}",
                {"Content-Type: application/json"});
  REQUIRE(r.status == 200);
  const std::string& set = r.headers["set-cookie"];
  return Session{set.substr(0, set.find(';')), parse_json(r.body)["csrf_token"].GetString()};
}

HttpResult correct(const HubProcess& hub, const Session& s, const std::string& entity, const std::string& id,
                   const std::string& body, bool csrf = true) {
  std::vector<std::string> h = {"Cookie: " + s.cookie, "Content-Type: application/json"};
  if (csrf) h.push_back("X-CSRF-Token: " + s.csrf);
  return http("POST", hub.url("/v1/records/" + entity + "/" + id + "/corrections"), body, h);
}

std::string school_id(const std::string& code) {
  return sql_value("select id::text from golden_record where entity = 'school' and data->>'school_code' = '" + code + "'");
}

std::string address_of(const std::string& id) {
  return sql_value("select data->>'address' from golden_record where id = '" + id + "'");
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a person's correction is a new version whose lineage names the person", "[db][store][corrections]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_PUBLICATION_SECRET", "correction-test-secret-0123456789"},
                                                    {"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  const std::string schools = read_file(kSchools);
  REQUIRE(push_feed(hub, ops, "schools", schools).status == 200);
  REQUIRE(add_user("le.chan", "commune_staff", "--units commune:11383").exit_code == 0);
  Session s = signed_in(hub, "le.chan");
  const std::string own = school_id("HP-THCS-0012");
  const std::string other = school_id("HP-THPT-0003");
  REQUIRE_FALSE(own.empty());
  const std::string old_address = "15 Nguyễn Đức Cảnh, phường Lê Chân";
  REQUIRE(address_of(own) == old_address);
  const std::string version_before = sql_value("select version from golden_record where id = '" + own + "'");
  const std::string changes_before = count_rows("change_log where record_id = '" + own + "'");

  auto r = correct(hub, s, "school", own,
                   R"({"field":"address","value":"17 Nguyễn Đức Cảnh, phường Lê Chân","reason":"Biên bản kiểm tra 12/2026"})");
  INFO(r.body);
  REQUIRE(r.status == 201);
  const int version = std::stoi(version_before) + 1;
  CHECK(parse_json(r.body)["version"].GetInt() == version);
  CHECK(r.headers["location"] == "/v1/records/school/" + own);
  CHECK(address_of(own) == "17 Nguyễn Đức Cảnh, phường Lê Chân");
  // A new version, the old one kept.
  CHECK(count_rows("record_version where record_id = '" + own + "' and version = " + std::to_string(version) +
                   " and data->>'address' = '17 Nguyễn Đức Cảnh, phường Lê Chân'") == "1");
  CHECK(count_rows("record_version where record_id = '" + own + "' and version = " + version_before +
                   " and data->>'address' = '" + old_address + "'") == "1");
  // The change log tells the warehouse; the audit names the person, without the value.
  CHECK(std::stoi(count_rows("change_log where record_id = '" + own + "'")) == std::stoi(changes_before) + 1);
  CHECK(count_rows("change_log where record_id = '" + own + "' and op = 'update' and version = " + std::to_string(version)) == "1");
  CHECK(dangling_rows() == "0");  // the version dated like its change (the change feed reads it by that date)
  CHECK(count_rows("audit_log where actor = 'user:le.chan' and action = 'record.correct' and target = 'school/" + own +
                   "' and detail->>'field' = 'address' and detail::text not like '%17 Nguyễn%'") == "1");
  // The records API shows the lineage naming the person and the reason.
  auto read = get(hub.url("/v1/records/school/" + own + "?lineage=true"), ops);
  REQUIRE(read.status == 200);
  auto doc = parse_json(read.body);
  const auto& lineage = doc["lineage"]["address"];
  CHECK(std::string(lineage["partner"].GetString()) == "user:le.chan");
  CHECK(std::string(lineage["source"].GetString()) == "user:le.chan");
  CHECK(std::string(lineage["reason"].GetString()) == "Biên bản kiểm tra 12/2026");
  CHECK(std::string(doc["lineage"]["name"]["partner"].GetString()) == "demo-ops");

  // The vendor sends the whole list again, then the school again with its old address and a new
  // phone number: the phone applies, the person's address stays.
  auto again = push_feed(hub, ops, "schools", schools);
  REQUIRE(again.status == 200);
  CHECK(address_of(own) == "17 Nguyễn Đức Cảnh, phường Lê Chân");
  auto phone = push_feed(hub, ops, "schools", replaced(schools, "0225 3857 123", "0225 3857 999"));
  REQUIRE(phone.status == 200);
  CHECK(sql_value("select data->>'phone' from golden_record where id = '" + own + "'") == "02253857999");
  CHECK(address_of(own) == "17 Nguyễn Đức Cảnh, phường Lê Chân");
  CHECK(sql_value("select field_lineage(lineage, 'address')->>'partner' from golden_record where id = '" + own + "'") == "user:le.chan");

  // The vendor fixed its data: a new address applies, with the vendor's lineage.
  auto fixed = replaced(replaced(schools, "0225 3857 123", "0225 3857 999"), old_address, "19 Nguyễn Đức Cảnh, phường Lê Chân");
  REQUIRE(push_feed(hub, ops, "schools", fixed).status == 200);
  CHECK(address_of(own) == "19 Nguyễn Đức Cảnh, phường Lê Chân");
  CHECK(sql_value("select field_lineage(lineage, 'address')->>'partner' from golden_record where id = '" + own + "'") == "demo-ops");
  // From then on the vendor's values follow the usual rules, the old one included.
  REQUIRE(push_feed(hub, ops, "schools", replaced(schools, "0225 3857 123", "0225 3857 999")).status == 200);
  CHECK(address_of(own) == old_address);

  // Another commune's school: refused, nothing changed.
  const std::string other_version = sql_value("select version from golden_record where id = '" + other + "'");
  auto refused = correct(hub, s, "school", other, R"({"field":"address","value":"1 Trần Phú","reason":"thử"})");
  CHECK(refused.status == 403);
  CHECK(member(refused, "code") == "auth.unit");
  CHECK(sql_value("select version from golden_record where id = '" + other + "'") == other_version);
  CHECK(count_rows("record_correction where record_id = '" + other + "'") == "0");
}

TEST_CASE("a correction is checked like vendor data and refused with the field and a Vietnamese message", "[db][store][corrections]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kSchools)).status == 200);
  REQUIRE(add_user("so.admin", "dept_admin", "").exit_code == 0);
  REQUIRE(add_user("tieuhoc.lechan", "commune_staff", "--units commune:11383 --levels 02").exit_code == 0);
  REQUIRE(add_user("so.staff", "dept_staff", "").exit_code == 0);
  Session admin = signed_in(hub, "so.admin");
  const std::string id = school_id("HP-THCS-0012");
  const std::string version = sql_value("select version from golden_record where id = '" + id + "'");

  struct Bad {
    const char* body;
    int status;
    const char* code;
    const char* path;
  };
  for (const Bad& b : {
           Bad{R"({"field":"area","value":"9","reason":"sai khu vực"})", 422, "schema.not_in_enum", "$.value"},
           Bad{R"({"field":"commune","value":"99999","reason":"sai mã xã"})", 422, "schema.code_unknown", "$.value"},
           Bad{R"({"field":"accreditation_level","value":"hai","reason":"x"})", 422, "schema.type", "$.value"},
           Bad{R"({"field":"name","value":null,"reason":"x"})", 422, "schema.required", "$.value"},
           Bad{R"({"field":"colour","value":"xanh","reason":"x"})", 422, "correction.field_unknown", "$.field"},
           Bad{R"({"field":"school_code","value":"HP-X","reason":"x"})", 422, "correction.field_not_correctable", "$.field"},
           Bad{R"({"field":"address","value":"1 Lê Lợi","reason":"  "})", 422, "correction.reason", "$.reason"},
           Bad{R"({"field":"address","value":"15 Nguyễn Đức Cảnh, phường Lê Chân","reason":"x"})", 409, "correction.unchanged", "$.value"},
       }) {
    auto r = correct(hub, admin, "school", id, b.body);
    INFO(b.body << " -> " << r.body);
    CHECK(r.status == b.status);
    CHECK(member(r, "code") == b.code);
    CHECK(member(r, "path") == b.path);
    CHECK(r.headers["content-type"].find("application/problem+json") == 0);
    CHECK_FALSE(member(r, "message_vi").empty());
  }
  CHECK(sql_value("select version from golden_record where id = '" + id + "'") == version);
  CHECK(count_rows("record_correction") == "0");

  // Without the CSRF token the session may not change anything.
  auto no_csrf = correct(hub, admin, "school", id, R"({"field":"address","value":"1 Lê Lợi","reason":"x"})", false);
  CHECK(no_csrf.status == 403);
  CHECK(member(no_csrf, "code") == "auth.csrf");
  // A primary-level account may not correct a lower-secondary school of its own commune.
  auto level = correct(hub, signed_in(hub, "tieuhoc.lechan"), "school", id, R"({"field":"address","value":"1 Lê Lợi","reason":"x"})");
  CHECK(level.status == 403);
  CHECK(member(level, "code") == "correction.level_forbidden");
  // Department staff read and review; they do not correct.
  auto staff = correct(hub, signed_in(hub, "so.staff"), "school", id, R"({"field":"address","value":"1 Lê Lợi","reason":"x"})");
  CHECK(staff.status == 403);
  CHECK(member(staff, "code") == "auth.scope");
  CHECK(count_rows("record_correction") == "0");

  // A partner with the scope correct:school may correct too; the lineage names the partner.
  std::string fixer = add_partner("so-fixer", {"--scope", "correct:school"});
  auto byp = http("POST", hub.url("/v1/records/school/" + id + "/corrections"),
                  R"({"field":"area","value":"2","reason":"Quyết định 15/QĐ"})",
                  {"Authorization: Bearer " + fixer, "Content-Type: application/json"});
  INFO(byp.body);
  CHECK(byp.status == 201);
  CHECK(sql_value("select field_lineage(lineage, 'area')->>'partner' from golden_record where id = '" + id + "'") == "so-fixer");
}
