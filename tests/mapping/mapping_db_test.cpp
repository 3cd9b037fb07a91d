// Mapping administration end to end: the :test endpoint, reload over HTTP and on SIGHUP with a
// broken file kept out, and the hubctl jsonpath / mapping / catalog commands.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kMappings = std::string(HUB_SOURCE_DIR) + "/mappings";

// A private copy of mappings/ whose partner files the test may break.
fs::path private_mappings() {
  auto dir = fs::temp_directory_path() / ("hub-db-mappings-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::create_directory_symlink(kMappings + "/catalogs", dir / "catalogs");
  fs::create_directory_symlink(kMappings + "/schema", dir / "schema");
  fs::copy(kMappings + "/partners", dir / "partners", fs::copy_options::recursive);
  return dir;
}

std::string version_of(const std::string& listing, const std::string& feed) {
  auto d = parse_json(listing);
  for (const auto& m : d["mappings"].GetArray())
    if (feed == m["feed"].GetString()) return m["version"].GetString();
  return "";
}

}  // namespace

TEST_CASE("POST :test maps a payload with the running mapping and stores nothing", "[db][mapping]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  std::string ops = add_partner("ops", {"--scope", "admin"});
  std::string vendor = add_partner("demo-admissions", {"--scope", "ingest:student"});
  std::vector<std::string> h = {"Authorization: Bearer " + ops, "Content-Type: application/json"};
  std::string payload = read_file(kMappings + "/partners/demo-admissions/samples/admissions.json");

  auto r = http("POST", hub.url("/v1/admin/mappings/demo-admissions/admissions:test"), payload, h);
  REQUIRE(r.status == 200);
  auto d = parse_json(r.body);
  REQUIRE(d["results"].Size() == 7);
  CHECK(std::string(d["results"][0]["status"].GetString()) == "mapped");
  CHECK(std::string(d["results"][1]["errors"][0]["code"].GetString()) == "date.impossible");
  CHECK(std::string(d["results"][3]["status"].GetString()) == "review");
  CHECK(std::string(d["mapping_version"].GetString()).rfind("1#", 0) == 0);
  CHECK(r.body.find("031214001234") != std::string::npos);  // the partner's own data, to its admin
  CHECK(hub.log().find("031214001234") == std::string::npos);  // never in the logs

  auto missing = http("POST", hub.url("/v1/admin/mappings/nobody/admissions:test"), payload, h);
  CHECK(missing.status == 404);
  auto no_records = http("POST", hub.url("/v1/admin/mappings/demo-admissions/admissions:test"), R"({"x":1})", h);
  CHECK(no_records.status == 422);
  CHECK(parse_json(no_records.body)["code"].GetString() == std::string("mapping.no_records"));
  auto bad_json = http("POST", hub.url("/v1/admin/mappings/demo-admissions/admissions:test"), "{\"hoSo\": [", h);
  CHECK(bad_json.status == 400);
  // Only admins may try mappings.
  auto refused = http("POST", hub.url("/v1/admin/mappings/demo-admissions/admissions:test"), payload,
                      {"Authorization: Bearer " + vendor, "Content-Type: application/json"});
  CHECK(refused.status == 403);
}

TEST_CASE("reload over HTTP and on SIGHUP keeps the last good version of a broken file", "[db][mapping]") {
  reset_database();
  auto dir = private_mappings();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_MAPPINGS_DIR", dir.string()}});
  REQUIRE(hub.start());
  std::string ops = add_partner("ops", {"--scope", "admin"});
  auto list = [&] { return get(hub.url("/v1/admin/mappings"), ops); };
  std::string v1 = version_of(list().body, "admissions");
  REQUIRE(v1.rfind("1#", 0) == 0);

  // A good edit goes live on POST /v1/admin/reload.
  auto file = dir / "partners" / "demo-admissions" / "admissions.yaml";
  std::string text = read_file(file.string());
  std::string edited = text;
  edited.replace(edited.find("version: 1"), 10, "version: 2");
  std::ofstream(file) << edited;
  auto reloaded = http("POST", hub.url("/v1/admin/reload"), "", {"Authorization: Bearer " + ops});
  REQUIRE(reloaded.status == 200);
  CHECK(parse_json(reloaded.body)["errors"].Size() == 0);
  std::string v2 = version_of(list().body, "admissions");
  CHECK(v2.rfind("2#", 0) == 0);

  // A broken edit, then SIGHUP: the error is reported and version 2 keeps running.
  std::ofstream(file) << edited << "\n      no_such_field: $.x\n";
  hub.send_signal(SIGHUP);
  // The reload (catalogs, schemas, every mapping) runs in the background: wait until its error
  // is reported rather than a fixed time, which a loaded machine overruns.
  auto after = list();
  for (int i = 0; i < 200 && after.body.find("no_such_field") == std::string::npos; ++i) {
    std::this_thread::sleep_for(50ms);
    after = list();
  }
  CHECK(version_of(after.body, "admissions") == v2);
  CHECK(after.body.find("no_such_field") != std::string::npos);
  CHECK(hub.log().find("mapping not reloaded") != std::string::npos);
  CHECK(hub.running());
  fs::remove_all(dir);
}

TEST_CASE("hubctl jsonpath - mapping and catalog commands", "[db][hubctl][mapping]") {
  std::string sample = kMappings + "/partners/demo-admissions/samples/admissions.json";
  auto names = hubctl({"jsonpath", "$.hoSo[?@.gioiTinh == 'Nữ'].maHoSo", sample});
  CHECK(names.exit_code == 0);
  CHECK(names.out == "[\"TS25-000102\",\"TS25-000107\"]\n");
  auto paths = hubctl({"jsonpath", "--paths", "$.hoSo[0].diaChi.maXa", sample});
  CHECK(paths.out == "[\"$['hoSo'][0]['diaChi']['maXa']\"]\n");
  auto invalid = hubctl({"jsonpath", "$.hoSo[?@.x ==]", sample});
  CHECK(invalid.exit_code == 2);
  CHECK(invalid.err.find("character 14") != std::string::npos);
  auto not_json = hubctl({"jsonpath", "$", kMappings + "/catalogs/gender.yaml"});
  CHECK(not_json.exit_code == 1);

  auto check = hubctl({"mapping", "check", kMappings + "/partners/demo-transcripts/transcripts.yaml"});
  CHECK(check.exit_code == 0);
  CHECK(check.out.find("ok") != std::string::npos);
  auto broken = fs::temp_directory_path() / "hub-broken-mapping.yaml";
  std::ofstream(broken) << "partner: p\nfeed: f\nrecords: $.x[*]\nsource_id: $.id\nemit:\n"
                           "  - entity: student\n    fields:\n      full_name: {from: $.a, transform: [upcase]}\n";
  auto bad = hubctl({"mapping", "check", broken.string()});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("hub-broken-mapping.yaml:8:") != std::string::npos);
  CHECK(bad.err.find("unknown transform 'upcase'") != std::string::npos);

  auto run = hubctl({"mapping", "run", kMappings + "/partners/demo-admissions/admissions.yaml", sample});
  CHECK(run.exit_code == 0);
  CHECK(parse_json(run.out)["results"].Size() == 7);

  auto lookup = hubctl({"catalog", "lookup", "ethnicity", "muong", "--by", "name"});
  CHECK(lookup.exit_code == 0);
  CHECK(lookup.out.find("\"code\":\"04\"") != std::string::npos);
  auto old = hubctl({"catalog", "lookup", "commune", "11341", "--as-of", "2024-09-30"});
  CHECK(old.out.find("Gia Viên") != std::string::npos);
  CHECK(old.out.find("split (review)") != std::string::npos);
  CHECK(hubctl({"catalog", "lookup", "ethnicity", "Người Sao Hỏa"}).exit_code == 1);
  auto list = hubctl({"catalog", "list"});
  CHECK(list.out.find("commune") != std::string::npos);
}
