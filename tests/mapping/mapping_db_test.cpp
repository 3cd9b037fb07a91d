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
  // No school is loaded: the first record's school is looked up (read only) and not found, so
  // it would wait for it, as a push parks it, rather than show as mapped.
  CHECK(std::string(d["results"][0]["status"].GetString()) == "pending");
  CHECK(std::string(d["results"][0]["waiting_for"][0]["entity"].GetString()) == "school");
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

  // The check runs the samples beside the file and warns about what they show: here a vendor
  // whose "0" means female, read through the sector database's code system where 0 is unknown.
  auto wrong_codes = fs::temp_directory_path() / ("hub-wrong-codes-" + std::to_string(::getpid()));
  fs::remove_all(wrong_codes);
  fs::create_directories(wrong_codes / "samples");
  std::string adm2 = read_file(kMappings + "/partners/demo-admissions-2/admissions.yaml");
  auto at = adm2.find("        transform: [string, {map: {\"0\": F, \"1\": M}}]\n");
  REQUIRE(at != std::string::npos);
  adm2.replace(at, adm2.find('\n', at) - at + 1, "        transform: [string]\n        code_system: csdl_gddt\n");
  std::ofstream(wrong_codes / "admissions.yaml") << adm2;
  fs::copy_file(kMappings + "/partners/demo-admissions-2/samples/admissions.json", wrong_codes / "samples" / "admissions.json");
  auto warned = hubctl({"mapping", "check", (wrong_codes / "admissions.yaml").string()});
  CHECK(warned.exit_code == 0);
  CHECK(warned.out.find("4 records: 3 mapped, 0 review, 1 rejected") != std::string::npos);
  CHECK(warned.out.find("warning: field 'gender': 1 of 4 sample values are coded U") != std::string::npos);
  auto quiet = hubctl({"mapping", "check", kMappings + "/partners/demo-admissions-2/admissions.yaml"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.find("warning") == std::string::npos);
  fs::remove_all(wrong_codes);
  // A key that leaves out the term warns at load, and the sample's record is reported too.
  auto old_key = fs::temp_directory_path() / "hub-subject-key.yaml";
  std::string tr = read_file(kMappings + "/partners/demo-transcripts/transcripts.yaml");
  tr.replace(tr.find("key: [$.subject, $.term]"), 24, "key: $.subject");
  std::ofstream(old_key) << tr;
  auto keyed = hubctl({"mapping", "check", old_key.string(), "--sample",
                       kMappings + "/partners/demo-transcripts/samples/transcripts.json"});
  CHECK(keyed.exit_code == 0);
  CHECK(keyed.out.find("warning: the key leaves out $.term") != std::string::npos);
  auto show = hubctl({"catalog", "show", "gender"});
  CHECK(show.err.find("0 = U (Chưa có thông tin), 1 = M (Nam), 2 = F (Nữ)") != std::string::npos);

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
  // An unknown catalog names those that exist, so the next try can be the right one.
  for (const std::vector<std::string>& args : {std::vector<std::string>{"catalog", "show", "ethnicities"},
                                               std::vector<std::string>{"catalog", "lookup", "ethnicities", "04"}}) {
    auto unknown = hubctl(args);
    CHECK(unknown.exit_code == 1);
    auto at = unknown.err.find("no catalog named 'ethnicities'; known catalogs: ");
    REQUIRE(at != std::string::npos);
    std::string known = unknown.err.substr(at + 48);
    CHECK(known.find("ethnicity") != std::string::npos);
    CHECK(known.find("commune") != std::string::npos);
  }
  auto list = hubctl({"catalog", "list"});
  CHECK(list.out.find("commune") != std::string::npos);
}

namespace {

// A transcript whose results hold HK1 and HK2 of the same subject, as the platform sends them at
// the end of the year.
const char* kBothTerms = R"({"schoolYear": "2025-2026", "school": {"code": "HP-THCS-0012"},
  "students": [{"studentId": "HB-T-0001", "moetCode": "3110099001", "fullName": "Lê Bình",
    "dob": "2014-01-05", "sex": "M", "ethnicCode": "01", "citizenId": "031214009001", "grade": "6",
    "enrolledOn": "2025-09-05", "status": "dang_hoc",
    "results": [{"subject": "TOAN", "term": "HK1", "score": 8.25}, {"subject": "NGU_VAN", "term": "HK1", "score": 7},
                {"subject": "TOAN", "term": "HK2", "score": 9.5}],
    "summary": {"term": "CN", "learning": "T", "conduct": "T"}}]})";

std::string toan_scores() {
  return sql_value("select string_agg((data->>'term') || '=' || (data->>'score'), ',' order by data->>'term')"
                   " from golden_record where entity = 'subject_result' and data->>'subject' = 'TOAN'");
}

}  // namespace

// Regression (issue 19): the demo transcript mapping keyed results by subject alone, so HK1 and
// HK2 of one subject got one source id: the push stored two results but one source link, and
// the same document sent again answered `accepted` and overwrote the HK2 score with HK1's.
TEST_CASE("a transcript with both terms of a subject keeps both scores - a resend is unchanged", "[db][mapping]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                                    "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);

  auto first = push_feed(hub, tr, "transcripts", kBothTerms);
  REQUIRE(first.status == 200);
  auto d = parse_json(first.body);
  CHECK(std::string(d["results"][0]["status"].GetString()) == "accepted");
  CHECK(d["results"][0]["entities"]["subject_result"].Size() == 3);
  CHECK(count_rows("golden_record where entity = 'subject_result'") == "3");
  CHECK(count_rows("source_link where entity = 'subject_result'") == "3");
  CHECK(toan_scores() == "HK1=8.25,HK2=9.5");

  auto again = push_feed(hub, tr, "transcripts", kBothTerms);
  REQUIRE(again.status == 200);
  CHECK(std::string(parse_json(again.body)["results"][0]["status"].GetString()) == "unchanged");
  CHECK(toan_scores() == "HK1=8.25,HK2=9.5");
  CHECK(count_rows("record_version where record_id in (select id from golden_record where entity = 'subject_result')") == "3");
  CHECK(dangling_rows() == "0");
}

// With a key that cannot tell HK1 from HK2, the vendor record is rejected with the place of both
// elements, and nothing of it is stored: never one score silently overwriting the other.
TEST_CASE("a mapping whose key repeats within a record rejects the record and stores nothing", "[db][mapping]") {
  reset_database();
  auto dir = private_mappings();
  auto file = dir / "partners" / "demo-transcripts" / "transcripts.yaml";
  std::string text = read_file(file.string());
  text.replace(text.find("key: [$.subject, $.term]"), 24, "key: $.subject");
  std::ofstream(file) << text;
  HubProcess hub(std::map<std::string, std::string>{{"HUB_MAPPINGS_DIR", dir.string()}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                                    "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  auto r = push_feed(hub, tr, "transcripts", kBothTerms);
  REQUIRE(r.status == 200);
  auto d = parse_json(r.body);
  const auto& result = d["results"][0];
  CHECK(std::string(result["status"].GetString()) == "rejected");
  bool reported = false;
  for (const auto& e : result["errors"].GetArray()) {
    if (std::string(e["code"].GetString()) != "record.duplicate_key") continue;
    reported = true;
    CHECK(std::string(e["path"].GetString()) == "$['students'][0]['results'][2]");
    CHECK(std::string(e["message"].GetString()).find("$['students'][0]['results'][0]") != std::string::npos);
    CHECK(std::string(e["message_vi"].GetString()).find("mã lỗi") == std::string::npos);
  }
  CHECK(reported);
  CHECK(count_rows("golden_record where entity in ('student', 'subject_result')") == "0");
  fs::remove_all(dir);
}
