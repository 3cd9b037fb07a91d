// Personal accounts of the web console (hub/auth/accounts.h, hub/http/console_handlers.cpp) with
// real hub processes, PostgreSQL and Redis. Guards: a password stored in clear or with a fast
// hash; unlimited password guessing; a session that outlives its expiry, a sign-out everywhere
// or a disabled account; a cross-site request riding the cookie (CSRF); a planted session id
// (fixation); a commune's staff reading another commune's reports or records; audit rows that
// do not name the person who acted.

#include <catch2/catch.hpp>

#include <thread>

#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;

namespace {

const std::string kPassword = "correct horse battery staple";

std::string code_of(const HttpResult& r) {
  auto d = parse_json(r.body);
  return d.IsObject() && d.HasMember("code") && d["code"].IsString() ? d["code"].GetString() : "";
}

// hubctl user add, the password on stdin (never on the command line).
CommandResult add_user(const std::string& login, const std::string& role, const std::vector<std::string>& units,
                       const std::string& password = kPassword, const std::string& extra = "") {
  std::string cmd = "printf '%s\\n' \"$HUB_TEST_PASSWORD\" | \"$HUB_TEST_HUBCTL\" user add " + login + " --role " + role +
                    " --name 'Nguyễn Văn Test' --password-stdin";
  for (const auto& u : units) cmd += " --units " + u;
  cmd += " " + extra;
  return run_process({"/bin/sh", "-c", cmd},
                     {{"HUB_TEST_PASSWORD", password}, {"HUB_TEST_HUBCTL", binary("hubctl")},
                      {"HUB_POSTGRES_URL", postgres_url()}, {"HUB_REDIS_URL", redis_url()},
                      {"HUB_CONFIG", std::string(HUB_SOURCE_DIR) + "/config/hub.yaml"}});
}

HttpResult login(const HubProcess& hub, const std::string& user, const std::string& password = kPassword,
                 const std::vector<std::string>& headers = {}) {
  std::vector<std::string> h = {"Content-Type: application/json"};
  h.insert(h.end(), headers.begin(), headers.end());
  return http("POST", hub.url("/v1/console/login"),
              R"({"login":")" + user + R"(","password":")" + password + "\"}", h);
}

struct Session {
  std::string cookie;  // "hub_session=<id>"
  std::string csrf;
};

Session signed_in(const HubProcess& hub, const std::string& user) {
  auto r = login(hub, user);
  REQUIRE(r.status == 200);
  const std::string& set = r.headers["set-cookie"];
  Session s;
  s.cookie = set.substr(0, set.find(';'));
  s.csrf = parse_json(r.body)["csrf_token"].GetString();
  return s;
}

HttpResult with_session(const std::string& method, const std::string& url, const Session& s,
                        const std::string& body = "", bool send_csrf = true) {
  std::vector<std::string> h = {"Cookie: " + s.cookie};
  if (send_csrf) h.push_back("X-CSRF-Token: " + s.csrf);
  if (!body.empty()) h.push_back("Content-Type: application/json");
  return http(method, url, body, h);
}

}  // namespace

TEST_CASE("a console account keeps an Argon2id hash and signs in with a strict session cookie", "[db][http][console]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto added = add_user("lan.admin", "dept_admin", {});
  INFO(added.err);
  REQUIRE(added.exit_code == 0);
  // The hash, never the password; the salt makes two hashes of one password differ.
  std::string stored = sql_value("select password_hash from console_user where login = 'lan.admin'");
  CHECK(stored.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
  CHECK(stored.find(kPassword) == std::string::npos);
  REQUIRE(add_user("lan.staff", "dept_staff", {}).exit_code == 0);
  CHECK(sql_value("select password_hash from console_user where login = 'lan.staff'") != stored);
  // A short password is refused.
  auto weak = add_user("weak", "dept_staff", {}, "short");
  CHECK(weak.exit_code == 1);
  CHECK(weak.err.find("user.password_weak") != std::string::npos);

  auto r = login(hub, "lan.admin");
  REQUIRE(r.status == 200);
  const std::string& cookie = r.headers["set-cookie"];
  CHECK(cookie.rfind("hub_session=", 0) == 0);
  CHECK(cookie.find("; HttpOnly") != std::string::npos);
  CHECK(cookie.find("; SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("; Secure") != std::string::npos);
  CHECK(cookie.find("; Path=/") != std::string::npos);
  CHECK(r.headers["cache-control"] == "no-store");
  // Only the SHA-256 of the session id is stored.
  std::string id = cookie.substr(12, cookie.find(';') - 12);
  CHECK(id.size() >= 43);
  CHECK(count_rows("console_session") == "1");
  CHECK(count_rows("console_session where encode(id_hash, 'escape') like '%" + id + "%'") == "0");
  CHECK(count_rows("console_session where id_hash = sha256('" + id + "'::bytea)") == "1");

  Session s{cookie.substr(0, cookie.find(';')), parse_json(r.body)["csrf_token"].GetString()};
  auto me = with_session("GET", hub.url("/v1/me"), s);
  REQUIRE(me.status == 200);
  CHECK(std::string(parse_json(me.body)["name"].GetString()) == "user:lan.admin");
  auto session = parse_json(with_session("GET", hub.url("/v1/console/session"), s).body);
  CHECK(std::string(session["user"]["role"].GetString()) == "dept_admin");
  CHECK(std::string(session["csrf_token"].GetString()) == s.csrf);
  CHECK(count_rows("audit_log where actor = 'user:lan.admin' and action = 'user.login'") == "1");
  CHECK(count_rows("audit_log where detail::text like '%" + kPassword + "%' or target like '%" + id + "%'") == "0");

  // Plain-http localhost set-ups may turn the Secure flag off; nothing else changes.
  HubProcess plain(std::map<std::string, std::string>{{"HUB_AUTH_COOKIE_SECURE", "false"}});
  REQUIRE(plain.start());
  auto p = login(plain, "lan.admin");
  REQUIRE(p.status == 200);
  CHECK(p.headers["set-cookie"].find("Secure") == std::string::npos);
  CHECK(p.headers["set-cookie"].find("HttpOnly") != std::string::npos);
}

TEST_CASE("wrong passwords are throttled per account and per address", "[db][http][console]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_AUTH_LOGIN_ACCOUNT_LIMIT", "3"},
                                                    {"HUB_AUTH_LOGIN_ADDRESS_LIMIT", "6"}});
  REQUIRE(hub.start());
  REQUIRE(add_user("hoa", "dept_staff", {}).exit_code == 0);
  REQUIRE(add_user("minh", "dept_staff", {}).exit_code == 0);

  for (int i = 0; i < 3; ++i) {
    auto wrong = login(hub, "hoa", "wrong password " + std::to_string(i));
    CHECK(wrong.status == 401);
    CHECK(code_of(wrong) == "user.login_failed");
    CHECK(wrong.headers.count("set-cookie") == 0);
  }
  // The account is locked for the window, even with the right password.
  auto locked = login(hub, "hoa");
  CHECK(locked.status == 429);
  CHECK(code_of(locked) == "user.login_throttled");
  CHECK(std::stoi(locked.headers["retry-after"]) > 0);
  CHECK(locked.headers.count("set-cookie") == 0);
  // An unknown login answers like a wrong password.
  CHECK(code_of(login(hub, "nobody-here", "whatever password")) == "user.login_failed");
  // Another account from the same address is not locked by hoa's failures ...
  CHECK(login(hub, "minh").status == 200);
  // ... until the address itself is over its limit (6 failures: 3 + 1 + 2).
  CHECK(login(hub, "minh", "wrong one").status == 401);
  CHECK(login(hub, "minh", "wrong two").status == 401);
  auto address = login(hub, "minh");
  CHECK(address.status == 429);
  CHECK(code_of(address) == "user.login_throttled");
  // Every failure is audited without the password.
  CHECK(count_rows("audit_log where action = 'user.login_failed'") == "6");
  CHECK(count_rows("audit_log where detail::text like '%wrong %' or target like '%wrong %'") == "0");
}

TEST_CASE("a session ends at its expiry - on sign out everywhere - and when the account is disabled", "[db][http][console]") {
  reset_database();
  HubProcess short_lived(std::map<std::string, std::string>{{"HUB_AUTH_SESSION_SECONDS", "2"}});
  HubProcess hub;
  REQUIRE(short_lived.start());
  REQUIRE(hub.start());
  REQUIRE(add_user("tuan", "dept_staff", {}).exit_code == 0);

  Session brief = signed_in(short_lived, "tuan");
  CHECK(with_session("GET", short_lived.url("/v1/me"), brief).status == 200);
  std::this_thread::sleep_for(2500ms);
  auto expired = with_session("GET", short_lived.url("/v1/me"), brief);
  CHECK(expired.status == 401);
  CHECK(code_of(expired) == "auth.session_invalid");
  CHECK(expired.headers["set-cookie"].find("Max-Age=0") != std::string::npos);

  Session laptop = signed_in(hub, "tuan");
  Session phone = signed_in(hub, "tuan");
  CHECK(laptop.cookie != phone.cookie);
  auto everywhere = with_session("POST", hub.url("/v1/console/logout-everywhere"), laptop);
  REQUIRE(everywhere.status == 200);
  CHECK(parse_json(everywhere.body)["sessions_ended"].GetInt() == 3);  // with the expired one
  CHECK(with_session("GET", hub.url("/v1/me"), laptop).status == 401);
  CHECK(with_session("GET", hub.url("/v1/me"), phone).status == 401);
  CHECK(count_rows("audit_log where actor = 'user:tuan' and action = 'user.logout_everywhere'") == "1");

  Session again = signed_in(hub, "tuan");
  auto disabled = hubctl({"user", "disable", "tuan"});
  REQUIRE(disabled.exit_code == 0);
  CHECK(with_session("GET", hub.url("/v1/me"), again).status == 401);
  CHECK(login(hub, "tuan").status == 401);
  CHECK(count_rows("audit_log where action = 'user.disable' and target = 'tuan'") == "1");
}

TEST_CASE("a change made with the session cookie needs its CSRF token - and a planted session id is never used", "[db][http][console]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  REQUIRE(add_user("admin.ha", "dept_admin", {}).exit_code == 0);
  Session s = signed_in(hub, "admin.ha");
  const std::string body = R"({"name":"vendor-x","scopes":["ingest:student"]})";

  auto without = with_session("POST", hub.url("/v1/admin/partners"), s, body, false);
  CHECK(without.status == 403);
  CHECK(code_of(without) == "auth.csrf");
  Session forged = s;
  forged.csrf = "not-the-token";
  CHECK(code_of(with_session("POST", hub.url("/v1/admin/partners"), forged, body)) == "auth.csrf");
  CHECK(count_rows("partner where name = 'vendor-x'") == "0");
  // Reads need no token; a change with it goes through and names the person.
  CHECK(with_session("GET", hub.url("/v1/admin/partners"), s, "", false).status == 200);
  auto made = with_session("POST", hub.url("/v1/admin/partners"), s, body);
  CHECK(made.status == 201);
  CHECK(count_rows("audit_log where actor = 'user:admin.ha' and action = 'partner.add' and target = 'vendor-x'") == "1");

  // Session fixation: a session id planted in the browser before sign-in is ignored and replaced.
  const std::string planted = "hub_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  auto fresh = login(hub, "admin.ha", kPassword, {"Cookie: " + planted});
  REQUIRE(fresh.status == 200);
  CHECK(fresh.headers["set-cookie"].rfind(planted + ";", 0) != 0);
  CHECK(http("GET", hub.url("/v1/me"), "", {"Cookie: " + planted}).status == 401);
}

TEST_CASE("a commune's staff read the quality and records of their own commune only", "[db][http][console]") {
  reset_database();
  // The records API reads through publication profiles, which need their secret to load.
  HubProcess hub(std::map<std::string, std::string>{{"HUB_PUBLICATION_SECRET", "console-test-secret-0123456789"},
                                                    {"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school", "--scope", "ingest:staff"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  REQUIRE(add_user("le.chan", "commune_staff", {"commune:11383"}).exit_code == 0);
  // A commune account without a unit would see everything: refused.
  auto unitless = add_user("no.unit", "commune_staff", {});
  CHECK(unitless.exit_code == 1);
  CHECK(unitless.err.find("user.units_required") != std::string::npos);
  Session s = signed_in(hub, "le.chan");

  auto own = with_session("GET", hub.url("/v1/admin/quality"), s);
  REQUIRE(own.status == 200);
  CHECK(std::string(parse_json(own.body)["unit"].GetString()) == "commune:11383");
  CHECK(with_session("GET", hub.url("/v1/admin/quality?unit=school:HP-THCS-0012"), s).status == 200);
  for (const char* unit : {"commune:11311", "province:31", "school:HP-THPT-0003"}) {
    auto refused = with_session("GET", hub.url(std::string("/v1/admin/quality?unit=") + unit), s);
    CHECK(refused.status == 403);
    CHECK(code_of(refused) == "quality.unit_forbidden");
  }
  // Records: its own commune's school opens, another commune's does not.
  std::string own_school = sql_value("select id::text from golden_record where entity = 'school' and data->>'school_code' = 'HP-THCS-0012'");
  std::string other_school = sql_value("select id::text from golden_record where entity = 'school' and data->>'school_code' = 'HP-THPT-0003'");
  REQUIRE_FALSE(own_school.empty());
  REQUIRE_FALSE(other_school.empty());
  CHECK(with_session("GET", hub.url("/v1/records/school/" + own_school), s).status == 200);
  auto other = with_session("GET", hub.url("/v1/records/school/" + other_school), s);
  CHECK(other.status == 403);
  CHECK(code_of(other) == "auth.unit");
  // Nor is it an admin or a reviewer.
  CHECK(code_of(with_session("GET", hub.url("/v1/admin/partners"), s)) == "auth.scope");
  CHECK(code_of(with_session("GET", hub.url("/v1/admin/review"), s)) == "auth.scope");

  // An account limited to a school level reads that level only.
  REQUIRE(add_user("tieuhoc.lechan", "commune_staff", {"commune:11383"}, kPassword, "--levels 02").exit_code == 0);
  Session lower = signed_in(hub, "tieuhoc.lechan");
  auto level = with_session("GET", hub.url("/v1/admin/quality"), lower);
  REQUIRE(level.status == 200);
  CHECK(std::string(parse_json(level.body)["level"].GetString()) == "02");
  auto upper = with_session("GET", hub.url("/v1/admin/quality?level=03"), lower);
  CHECK(upper.status == 403);
  CHECK(code_of(upper) == "quality.level_forbidden");
}

TEST_CASE("the console is served with a strict Content-Security-Policy and no inline script", "[db][http][console]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto page = get(hub.url("/console"));
  REQUIRE(page.status == 200);
  CHECK(page.headers["content-type"].rfind("text/html", 0) == 0);
  const std::string& csp = page.headers["content-security-policy"];
  CHECK(csp.find("default-src 'self'") != std::string::npos);
  CHECK(csp.find("script-src 'self';") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(page.headers["x-content-type-options"] == "nosniff");
  // Every script is a file of its own.
  CHECK(page.body.find("<script type=\"module\" src=\"/console/app.js\"></script>") != std::string::npos);
  CHECK(page.body.find("<script>") == std::string::npos);
  auto js = get(hub.url("/console/app.js"));
  CHECK(js.status == 200);
  CHECK(js.headers["content-type"].rfind("text/javascript", 0) == 0);
  CHECK(js.body.find("innerHTML") == std::string::npos);
  CHECK(get(hub.url("/console/nothing.js")).status == 404);
  CHECK(get(hub.url("/console/..%2Fdocs_page%2Fdocs.js")).status == 404);
}
