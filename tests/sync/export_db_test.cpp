// hubctl export snapshot against the real PostgreSQL: records as of a cut-off date from the
// effective-dated version history, the consumer's publication profile applied, NDJSON and CSV.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <fstream>
#include <sstream>

#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

const std::string kSecret = "export-test-secret-0123456789";
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

CommandResult export_snapshot(std::vector<std::string> args) {
  std::vector<std::string> a = {"export", "snapshot", "--consumer", "demo-warehouse"};
  a.insert(a.end(), args.begin(), args.end());
  return hubctl(a, {{"HUB_PUBLICATION_SECRET", kSecret}});
}

}  // namespace

TEST_CASE("export snapshot: as of 30 Sept and 15 March - profile applied - NDJSON and CSV", "[db][sync]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_PUBLICATION_SECRET", kSecret}, {"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment", "--scope",
                                                    "ingest:subject_result", "--scope", "ingest:term_summary"});
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);
  std::string body = read_file(kPartnersDir + "/demo-transcripts/samples/transcripts.json");
  body.replace(body.find("\"score\": 10.5"), 13, "\"score\": 9.5");  // make Mai's record clean
  REQUIRE(push_feed(hub, tr, "transcripts", body).status == 200);
  std::string mai_enrollment = sql_value("select id from golden_record where entity = 'enrollment' and valid_from = '2026-03-03'");
  REQUIRE_FALSE(mai_enrollment.empty());
  int enrollments = std::stoi(sql_value("select count(*) from golden_record where entity = 'enrollment'"));

  // Mai joined on 3 March: not enrolled on 30 September, enrolled on 15 March.
  auto sept = export_snapshot({"--as-of", "2025-09-30", "--entity", "enrollment", "--format", "ndjson"});
  REQUIRE(sept.exit_code == 0);
  CHECK(sept.out.find(mai_enrollment) == std::string::npos);
  CHECK(static_cast<int>(lines(sept.out).size()) == enrollments - 1);
  auto march = export_snapshot({"--as-of", "2026-03-15", "--entity", "enrollment", "--format", "ndjson"});
  REQUIRE(march.exit_code == 0);
  CHECK(march.out.find(mai_enrollment) != std::string::npos);
  rapidjson::Document first;
  first.Parse(lines(march.out)[0].c_str());
  CHECK(std::string(first["as_of"].GetString()) == "2026-03-15");
  CHECK(first["data"].HasMember("school_year"));

  // CSV of students: the profile's columns only, personal IDs as keyed hashes, no phones.
  auto csv = export_snapshot({"--as-of", "2025-09-30", "--entity", "student", "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  auto rows = lines(csv.out);
  REQUIRE(rows.size() == 1 + std::stoul(sql_value("select count(*) from golden_record where entity = 'student'")));
  CHECK(rows[0].rfind("id,version,full_name,", 0) == 0);
  CHECK(rows[0].find("personal_id") != std::string::npos);
  CHECK(rows[0].find("phone") == std::string::npos);
  std::string clear = sql_value("select data->>'personal_id' from golden_record where entity = 'student' and data ? 'personal_id' limit 1");
  REQUIRE(clear.size() == 12);
  CHECK(csv.out.find(clear) == std::string::npos);

  // --as-known: only what the hub had recorded by the end of that day (nothing, in 2025).
  auto known = export_snapshot({"--as-of", "2025-09-30", "--as-known", "--entity", "student"});
  REQUIRE(known.exit_code == 0);
  CHECK(lines(known.out).empty());

  // A record merged away is not in later snapshots (its enrollment may be, in the survivor's
  // in_force: one person, as the EMIS report counts them).
  std::string a = sql_value("select id from golden_record where entity = 'student' order by id limit 1");
  std::string b = sql_value("select id from golden_record where entity = 'student' order by id desc limit 1");
  sql_exec("update golden_record set merged_into = '" + a + "' where id = '" + b + "'");
  sql_exec("insert into change_log(entity, record_id, op, version) values ('student', '" + b + "', 'merge', 1)");
  auto merged = export_snapshot({"--as-of", "2026-05-31", "--entity", "student"});
  CHECK(merged.out.find("{\"id\":\"" + b + "\",\"entity\":\"student\"") == std::string::npos);
  CHECK(merged.out.find("{\"id\":\"" + a + "\",\"entity\":\"student\"") != std::string::npos);

  CHECK(export_snapshot({"--as-of", "30-09-2025", "--entity", "student"}).exit_code == 2);
  CHECK(export_snapshot({"--as-of", "2025-09-30", "--entity", "pupil"}).exit_code == 2);
}
