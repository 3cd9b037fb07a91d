// Pending records end to end against the real PostgreSQL and Redis with real hub processes.
// Guards: a record naming a school the hub does not know yet must wait (pending, with what it
// waits for) instead of being rejected, and must be stored without a resend once the school
// arrives from another partner, after the school in the change log; a newer push of the same
// record supersedes a parked one, never the reverse; an expired wait ends rejected ref.unknown
// with the batch counts updated; a record with another fault is rejected with every fault and
// not parked; `hubctl pending` tells operators which records to ask for; a unit-limited
// partner's parked record still meets its unit scope when released.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <algorithm>
#include <functional>
#include <thread>

#include "hub/common/json.h"
#include "tests/support/test_env.h"

using namespace hub::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kSchool = "HP-THCS-0012";

// Release passes every 100 ms, so the tests wait little for the safety-net sweep.
std::map<std::string, std::string> fast_env(std::map<std::string, std::string> extra = {}) {
  extra.emplace("HUB_INGEST_PENDING_POLL_MS", "100");
  return extra;
}

struct Partners {
  std::string ops, transcripts;
};

Partners partners(const std::vector<std::string>& transcripts_units = {}) {
  std::vector<std::string> args{"--scope", "ingest:student", "--scope", "ingest:enrollment", "--scope",
                                "ingest:subject_result", "--scope", "ingest:term_summary"};
  for (const auto& u : transcripts_units) {
    args.push_back("--unit");
    args.push_back(u);
  }
  return {add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"}),
          add_partner("demo-transcripts", args)};
}

// The transcripts sample with only its first student (at school HP-THCS-0012), named `name`,
// its birth date `dob`.
std::string one_student(const std::string& name, const std::string& dob = "2014-01-05") {
  auto d = parse_json(read_file(kPartnersDir + "/demo-transcripts/samples/transcripts.json"));
  auto& students = d["students"];
  while (students.Size() > 1) students.PopBack();
  students[0]["fullName"].SetString(name.c_str(), d.GetAllocator());
  students[0]["dob"].SetString(dob.c_str(), d.GetAllocator());
  return hub::json::to_string(d);
}

// The demo school list with only HP-THCS-0012.
std::string the_school() {
  auto d = parse_json(read_file(kPartnersDir + "/demo-ops/samples/schools.json"));
  auto& schools = d["truong"];
  while (schools.Size() > 1) schools.PopBack();
  return hub::json::to_string(d);
}

HttpResult push(HubProcess& hub, const std::string& token, const std::string& feed, const std::string& body) {
  return push_feed(hub, token, feed, body);
}

// GET the batch until `done` holds of it (at most 30 s); the last answer.
rapidjson::Document wait_for(HubProcess& hub, const std::string& location, const std::string& token,
                             const std::function<bool(const rapidjson::Document&)>& done) {
  rapidjson::Document d;
  for (int i = 0; i < 300; ++i) {
    d = parse_json(get(hub.url(location), token).body);
    if (!d.HasParseError() && d.IsObject() && done(d)) break;
    std::this_thread::sleep_for(100ms);
  }
  return d;
}

std::string status_of(const rapidjson::Document& d, int i = 0) {
  return d["results"][i]["status"].GetString();
}

int count_of(const rapidjson::Document& d, const char* status) {
  return d["counts"].HasMember(status) ? d["counts"][status].GetInt() : 0;
}

bool has_error(const rapidjson::Value& result, const std::string& code) {
  for (const auto& e : result["errors"].GetArray())
    if (code == e["code"].GetString()) return true;
  return false;
}

}  // namespace

// Guards issue 19's done-when: a student pushed before its school, then the school list from
// another partner, then the student accepted without a resend.
TEST_CASE("a student pushed before its school waits and is stored once the school arrives", "[db][ingest][pending]") {
  reset_database();
  HubProcess hub(fast_env());
  REQUIRE(hub.start());
  auto p = partners();

  auto r = push(hub, p.transcripts, "transcripts", one_student("Nguyen Van An"));
  REQUIRE(r.status == 200);
  auto d = parse_json(r.body);
  REQUIRE(status_of(d) == "pending");
  CHECK(count_of(d, "pending") == 1);
  CHECK(std::string(d["status"].GetString()) == "done");  // done for the partner: it need not resend
  const auto& waiting = d["results"][0]["waiting_for"];
  REQUIRE(waiting.IsArray());
  REQUIRE(waiting.Size() == 1);  // the enrollment, subject results and summary name one school
  CHECK(std::string(waiting[0]["entity"].GetString()) == "school");
  CHECK(std::string(waiting[0]["key"].GetString()) == "school_code");
  CHECK(std::string(waiting[0]["value"].GetString()) == kSchool);
  CHECK(std::string(waiting[0]["path"].GetString()) == "$['students'][0]");
  CHECK(std::string(waiting[0]["field"].GetString()) == "enrollment.school");
  CHECK(waiting[0].HasMember("expires_at"));
  CHECK(count_rows("golden_record") == "0");  // nothing of it is stored while it waits
  CHECK(count_rows("pending_record") == "1");
  // The partner's listing shows the pending count too.
  auto listed = parse_json(get(hub.url("/v1/batches"), p.transcripts).body);
  CHECK(listed["batches"][0]["counts"]["pending"].GetInt() == 1);
  // The department's quality report counts it among the partner's pending records.
  auto quality = parse_json(get(hub.url("/v1/admin/quality"), p.ops).body);
  long long parked = -1;
  for (const auto& row : quality["partners"].GetArray())
    if (std::string(row["partner"].GetString()) == "demo-transcripts" && row["code"].IsString() &&
        std::string(row["code"].GetString()) == "pending.reference")
      parked = row["pending"].GetInt64();
  CHECK(parked == 1);

  // The school list comes from another partner; the student follows by itself.
  auto s = push(hub, p.ops, "schools", the_school());
  REQUIRE(s.status == 200);
  REQUIRE(status_of(parse_json(s.body)) == "accepted");
  auto after = wait_for(hub, r.headers["location"], p.transcripts,
                        [](const rapidjson::Document& b) { return status_of(b) != "pending"; });
  REQUIRE(status_of(after) == "accepted");
  CHECK_FALSE(after["results"][0].HasMember("waiting_for"));
  CHECK(count_of(after, "accepted") == 1);
  CHECK(count_of(after, "pending") == 0);
  std::string student = after["results"][0]["entities"]["student"].GetString();
  CHECK(sql_value("select data->>'full_name' from golden_record where id = '" + student + "'") == "Nguyen Van An");
  CHECK(count_rows("golden_record where entity = 'enrollment'") == "1");
  CHECK(sql_value("select g.data->>'school' = s.id::text from golden_record g, golden_record s"
                  " where g.entity = 'enrollment' and s.entity = 'school'") == "t");
  // Its change events follow the school's, written in the original batch's name.
  CHECK(sql_value("select (select min(seq) from change_log where record_id = '" + student +
                  "') > (select max(seq) from change_log where entity = 'school')") == "t");
  CHECK(sql_value("select c.batch_id = b.id from change_log c, inbox_batch b where c.record_id = '" + student +
                  "' and b.feed = 'transcripts'") == "t");
  CHECK(count_rows("pending_record") == "0");
  CHECK(dangling_rows() == "0");
}

// Guards the order of versions: two pushes of the same source record while it waits must not
// both be applied, and never the older after the newer.
TEST_CASE("a newer push of a waiting record supersedes the older one", "[db][ingest][pending]") {
  reset_database();
  HubProcess hub(fast_env());
  REQUIRE(hub.start());
  auto p = partners();

  auto older = push(hub, p.transcripts, "transcripts", one_student("Nguyen Van Anh"));
  REQUIRE(status_of(parse_json(older.body)) == "pending");
  auto newer = push(hub, p.transcripts, "transcripts", one_student("Nguyen Van An"));
  auto nd = parse_json(newer.body);
  REQUIRE(status_of(nd) == "pending");
  const long long newer_batch = nd["batch_id"].GetInt64();

  auto od = parse_json(get(hub.url(older.headers["location"]), p.transcripts).body);
  REQUIRE(status_of(od) == "rejected");
  REQUIRE(od["results"][0]["errors"].Size() == 1);
  CHECK(std::string(od["results"][0]["errors"][0]["code"].GetString()) == "record.superseded");
  CHECK(std::string(od["results"][0]["errors"][0]["message"].GetString())
            .find("batch " + std::to_string(newer_batch)) != std::string::npos);
  CHECK(std::string(od["results"][0]["errors"][0]["message_vi"].GetString()).size() > 10);
  CHECK(count_of(od, "rejected") == 1);
  CHECK(count_of(od, "pending") == 0);
  CHECK(count_rows("pending_record") == "1");

  REQUIRE(push(hub, p.ops, "schools", the_school()).status == 200);
  auto after = wait_for(hub, newer.headers["location"], p.transcripts,
                        [](const rapidjson::Document& b) { return status_of(b) != "pending"; });
  REQUIRE(status_of(after) == "accepted");
  CHECK(count_rows("golden_record where entity = 'student'") == "1");
  CHECK(sql_value("select data->>'full_name' from golden_record where entity = 'student'") == "Nguyen Van An");
  CHECK(count_rows("record_version v join golden_record g on g.id = v.record_id where g.entity = 'student'") == "1");
  // The older one stays rejected: the release did not bring it back.
  CHECK(status_of(parse_json(get(hub.url(older.headers["location"]), p.transcripts).body)) == "rejected");
}

// Guards the end of a wait: a record whose school never comes is rejected after
// ingest.pending_ttl_days (here about 3 s), with the batch counts updated.
TEST_CASE("a record whose reference never arrives ends rejected ref.unknown after its wait", "[db][ingest][pending]") {
  reset_database();
  HubProcess hub(fast_env({{"HUB_INGEST_PENDING_TTL_DAYS", "0.00003"}}));
  REQUIRE(hub.start());
  auto p = partners();
  auto r = push(hub, p.transcripts, "transcripts", one_student("Nguyen Van An"));
  REQUIRE(status_of(parse_json(r.body)) == "pending");
  auto d = wait_for(hub, r.headers["location"], p.transcripts,
                    [](const rapidjson::Document& b) { return status_of(b) != "pending"; });
  REQUIRE(status_of(d) == "rejected");
  REQUIRE(has_error(d["results"][0], "ref.unknown"));
  const auto& e = d["results"][0]["errors"][0];
  CHECK(std::string(e["message"].GetString()).find(kSchool) != std::string::npos);
  CHECK(std::string(e["value"].GetString()) == kSchool);
  CHECK(std::string(e["path"].GetString()) == "$['students'][0]");
  CHECK(std::string(e["message_vi"].GetString()).size() > 10);
  CHECK(count_of(d, "rejected") == 1);
  CHECK(count_of(d, "pending") == 0);
  CHECK(count_rows("pending_record") == "0");
  // The school arriving later changes nothing: the vendor was told to send it again.
  REQUIRE(push(hub, p.ops, "schools", the_school()).status == 200);
  std::this_thread::sleep_for(500ms);
  CHECK(status_of(parse_json(get(hub.url(r.headers["location"]), p.transcripts).body)) == "rejected");
  CHECK(count_rows("golden_record where entity = 'student'") == "0");
}

// Guards against parking what can never succeed: a record with another fault is rejected at
// once, with its unknown reference listed among its faults.
TEST_CASE("a record with an unknown school and another fault is rejected with both", "[db][ingest][pending]") {
  reset_database();
  HubProcess hub(fast_env());
  REQUIRE(hub.start());
  auto p = partners();
  auto r = push(hub, p.transcripts, "transcripts", one_student("Nguyen Van An", "2014-13-01"));
  REQUIRE(r.status == 200);
  auto d = parse_json(r.body);
  REQUIRE(status_of(d) == "rejected");
  CHECK(has_error(d["results"][0], "date.impossible"));
  CHECK(has_error(d["results"][0], "ref.unknown"));
  CHECK_FALSE(d["results"][0].HasMember("waiting_for"));
  CHECK(count_of(d, "pending") == 0);
  CHECK(count_rows("pending_record") == "0");
}

// Guards the operators' view: which references records wait for, grouped, and an empty list
// said in words.
TEST_CASE("hubctl pending lists missing references with their waiting records", "[db][ingest][pending]") {
  reset_database();
  HubProcess hub(fast_env());
  REQUIRE(hub.start());
  auto p = partners();
  auto empty = hubctl({"pending"});
  REQUIRE(empty.exit_code == 0);
  CHECK(empty.out == "no pending records\n");

  // Two students of the same unknown school: one line, two records.
  auto d = parse_json(one_student("Nguyen Van An"));
  auto& a = d.GetAllocator();
  rapidjson::Value second(d["students"][0], a);
  second["studentId"].SetString("HB-2025-0009", a);
  second["moetCode"].SetString("3110012399", a);
  second["citizenId"].SetString("031214009876", a);
  second["fullName"].SetString("Le Van Binh", a);
  d["students"].PushBack(second, a);
  auto r = push(hub, p.transcripts, "transcripts", hub::json::to_string(d));
  auto rd = parse_json(r.body);
  REQUIRE(count_of(rd, "pending") == 2);

  auto listed = hubctl({"pending"});
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.out.find("ENTITY") != std::string::npos);
  CHECK(listed.out.find(std::string("school       school_code      ") + kSchool) != std::string::npos);
  CHECK(listed.out.find("demo-transcripts") != std::string::npos);
  auto lines = std::count(listed.out.begin(), listed.out.end(), '\n');
  CHECK(lines == 2);  // the header and one missing reference

  auto json = hubctl({"--json", "pending"});
  REQUIRE(json.exit_code == 0);
  auto row = parse_json(json.out);
  REQUIRE(row.IsObject());
  CHECK(std::string(row["value"].GetString()) == kSchool);
  CHECK(row["records"].GetInt() == 2);
  CHECK(std::string(row["partners"][0].GetString()) == "demo-transcripts");
  CHECK(row.HasMember("oldest_received_at"));
  CHECK(row.HasMember("expires_at"));

  auto other = hubctl({"pending", "--partner", "demo-ops"});
  REQUIRE(other.exit_code == 0);
  CHECK(other.out == "no pending records of partner demo-ops\n");
}

// Guards the unit scope: a partner limited to Hà Nội must not get a Hải Phòng school's student
// stored by waiting until the school is known (its place is unknown while it waits).
TEST_CASE("a unit-limited partner's waiting record meets its unit scope when released", "[db][ingest][pending]") {
  reset_database();
  HubProcess hub(fast_env());
  REQUIRE(hub.start());
  auto p = partners({"province:01"});
  auto r = push(hub, p.transcripts, "transcripts", one_student("Nguyen Van An"));
  REQUIRE(r.status == 200);
  REQUIRE(status_of(parse_json(r.body)) == "pending");

  REQUIRE(push(hub, p.ops, "schools", the_school()).status == 200);  // a school of province 31
  auto d = wait_for(hub, r.headers["location"], p.transcripts,
                    [](const rapidjson::Document& b) { return status_of(b) != "pending"; });
  REQUIRE(status_of(d) == "rejected");
  CHECK(has_error(d["results"][0], "auth.unit"));
  CHECK(count_rows("golden_record where entity <> 'school'") == "0");
  CHECK(count_rows("pending_record") == "0");
}
