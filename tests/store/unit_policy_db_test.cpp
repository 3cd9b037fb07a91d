// Unit scope through matching (hub/store/unit_policy.h), end to end through a real hub on the
// real PostgreSQL and Redis. The failure guarded: a partner limited to province 31 sent a
// personal ID that another unit's student already had, the match was applied, and that
// student's commune, address and phone were overwritten (answer `merged`, version 2, lineage
// naming the limited partner); and a limited partner's record naming no unit was stored
// outside every unit. A partner may change only stored records inside its units, and its own
// records must name a unit.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "hub/common/json.h"
#include "tests/support/test_env.h"
#include "tests/support/test_mappings.h"

using namespace hub::test;

namespace {

// The same three feeds for both test partners: schools, people (a student with where they
// live), pupils (a student without an address, with an enrollment at a school).
std::string feeds_for(const std::string& partner, const std::string& feed) {
  if (feed == "schools") return school_list_mapping(partner);
  if (feed == "people")
    return "partner: " + partner + R"(
feed: people
version: 1
records: $.people[*]
source_id: $.id
emit:
  - entity: student
    fields:
      full_name: $.name
      birth_date: {from: $.dob, transform: [{date: iso}]}
      gender: {from: $.sex, catalog: gender, by: code}
      personal_id: {from: $.pid, transform: [personal_id]}
      residence_commune: {from: $.commune, catalog: commune, by: code}
      address: $.address
      contact_phone: {from: $.phone, transform: [phone]}
)";
  return students_feed(partner, "pupils", "$.pupils[*]", "      personal_id: {from: $.pid, transform: [personal_id]}\n") +
         R"(  - entity: enrollment
    fields:
      student: {ref: student}
      school: $.school
      school_year: {value: 2025-2026}
      grade: {value: "6"}
      status: {value: DANG_HOC}
      valid_from: {value: 2025-09-05}
)";
}

std::string make_mappings_dir() {
  std::map<std::string, std::string> files;
  for (const std::string partner : {"test-city", "test-hp"})
    for (const std::string feed : {"schools", "people", "pupils"}) files[partner + "/" + feed + ".yaml"] = feeds_for(partner, feed);
  return mappings_dir("unit-policy", files);
}

struct Person {
  std::string id, name, dob, sex, pid, commune, address, phone;
};

std::string people(const std::vector<Person>& list) {
  hub::json::JsonWriter w;
  w.begin_object().key("people").begin_array();
  for (const auto& p : list) {
    w.begin_object().kv("id", p.id).kv("name", p.name).kv("dob", p.dob).kv("sex", p.sex).kv("pid", p.pid);
    if (!p.commune.empty()) w.kv("commune", p.commune);
    if (!p.address.empty()) w.kv("address", p.address);
    if (!p.phone.empty()) w.kv("phone", p.phone);
    w.end_object();
  }
  w.end_array().end_object();
  return w.str();
}

std::string pupil(const Person& p, const std::string& school) {
  hub::json::JsonWriter w;
  w.begin_object().key("pupils").begin_array();
  w.begin_object().kv("id", p.id).kv("name", p.name).kv("dob", p.dob).kv("sex", p.sex).kv("pid", p.pid)
      .kv("school", school).end_object();
  w.end_array().end_object();
  return w.str();
}

const char* kSchools = R"({"schools": [
  {"code": "T-HN", "name": "THCS Hà Nội T", "level": "03", "type": "1", "province": "01", "commune": "00004"},
  {"code": "T-HP", "name": "THCS Hải Phòng T", "level": "03", "type": "1", "province": "31", "commune": "11383"}]})";

// A student's field, by personal ID.
std::string student_value(const std::string& pid, const std::string& expr) {
  return sql_value("select " + expr + " from golden_record where entity = 'student' and data->>'personal_id' = '" + pid + "'");
}

struct Hub {
  std::unique_ptr<HubProcess> process;
  std::string city, hp;  // tokens: unrestricted, province:31
};

Hub start_hub() {
  reset_database();
  Hub h;
  h.process = std::make_unique<HubProcess>(std::map<std::string, std::string>{{"HUB_MAPPINGS_DIR", make_mappings_dir()}});
  REQUIRE(h.process->start());
  h.city = add_partner("test-city", {"--scope", "ingest:school", "--scope", "ingest:student", "--scope", "ingest:enrollment"});
  h.hp = add_partner("test-hp", {"--scope", "ingest:student", "--scope", "ingest:enrollment", "--unit", "province:31"});
  auto schools = push_feed(*h.process, h.city, "schools", kSchools);
  REQUIRE(schools.status == 200);
  REQUIRE(parse_json(schools.body)["counts"]["accepted"].GetInt() == 2);
  return h;
}

// The one result of a push of one record.
rapidjson::Document single(const HttpResult& r) {
  REQUIRE(r.status == 200);
  auto d = parse_json(r.body);
  REQUIRE(d["results"].Size() == 1);
  rapidjson::Document out;
  out.CopyFrom(d["results"][0], out.GetAllocator());
  return out;
}

std::string status_of(const rapidjson::Document& result) { return result["status"].GetString(); }
std::string code_of(const rapidjson::Document& result) {
  return result["errors"].Size() > 0 ? result["errors"][0]["code"].GetString() : "";
}
std::string message_of(const rapidjson::Document& result, const char* key = "message") {
  return result["errors"].Size() > 0 ? result["errors"][0][key].GetString() : "";
}

const Person kAn{"C-1", "Nguyễn Văn An", "2014-01-05", "M", "031214001234", "00004", "12 Hàng Bài", "0912345678"};

}  // namespace

TEST_CASE("a province-31 partner cannot rewrite another unit's student matched by personal ID", "[db][store][units]") {
  auto h = start_hub();
  auto created = single(push_feed(*h.process, h.city, "people", people({kAn})));
  REQUIRE(status_of(created) == "accepted");
  std::string id = created["entities"]["student"].GetString();

  // The same personal ID from Hải Phòng, with another commune, address and phone.
  Person moved = kAn;
  moved.id = "HP-77";
  moved.commune = "11383";
  moved.address = "5 Lạch Tray";
  moved.phone = "0987654321";
  auto r = push_feed(*h.process, h.hp, "people", people({moved}));
  auto result = single(r);
  CHECK(status_of(result) == "rejected");
  CHECK(code_of(result) == "auth.unit");
  CHECK(result["entities"].ObjectEmpty());
  std::string message = message_of(result);
  CHECK(message.find("province 01") != std::string::npos);
  CHECK(message_of(result, "message_vi").find("ngoài phạm vi") != std::string::npos);
  // Nothing of the other unit's record in the answer: no id, name, commune, address or phone.
  for (const std::string& secret : std::vector<std::string>{id, kAn.name, "00004", kAn.address, kAn.phone})
    CHECK(r.body.find(secret) == std::string::npos);

  // The stored record is as the city partner left it; the Hải Phòng partner holds no link to it.
  CHECK(student_value(kAn.pid, "version") == "1");
  CHECK(student_value(kAn.pid, "data->>'residence_commune'") == "00004");
  CHECK(student_value(kAn.pid, "data->>'address'") == kAn.address);
  CHECK(student_value(kAn.pid, "field_lineage(lineage, 'address')->>'partner'") == "test-city");
  CHECK(count_rows("golden_record where entity = 'student'") == "1");
  CHECK(count_rows("change_log where op = 'update'") == "0");
  CHECK(count_rows("source_link l join partner p on p.id = l.partner_id where p.name = 'test-hp'") == "0");
  CHECK(dangling_rows() == "0");
}

TEST_CASE("a unit-scoped push naming no unit is rejected with auth.unit_missing", "[db][store][units]") {
  auto h = start_hub();
  Person nowhere{"HP-1", "Trần Thị Mai", "2014-03-02", "F", "031314005678", "", "", "0903111222"};
  auto result = single(push_feed(*h.process, h.hp, "people", people({nowhere})));
  CHECK(status_of(result) == "rejected");
  CHECK(code_of(result) == "auth.unit_missing");
  CHECK(message_of(result).find("province:31") != std::string::npos);
  CHECK(message_of(result, "message_vi").find("không xác định được đơn vị") != std::string::npos);
  CHECK(count_rows("golden_record where entity = 'student'") == "0");

  // The same record from the partner without units is stored: only limited partners must place it.
  auto city = single(push_feed(*h.process, h.city, "people", people({nowhere})));
  CHECK(status_of(city) == "accepted");
}

TEST_CASE("a scoped partner still updates a student inside its units", "[db][store][units]") {
  auto h = start_hub();
  Person an = kAn;
  an.commune = "11383";  // Hải Phòng
  REQUIRE(status_of(single(push_feed(*h.process, h.city, "people", people({an})))) == "accepted");

  Person update = an;
  update.id = "HP-77";
  update.phone = "0987654321";
  auto merged = single(push_feed(*h.process, h.hp, "people", people({update})));
  CHECK(status_of(merged) == "merged");
  CHECK(student_value(an.pid, "version") == "2");
  CHECK(student_value(an.pid, "data->>'contact_phone'") == "0987654321");
  CHECK(student_value(an.pid, "field_lineage(lineage, 'contact_phone')->>'partner'") == "test-hp");

  // Its own record again, changed: through its source link.
  update.address = "7 Lạch Tray";
  auto again = single(push_feed(*h.process, h.hp, "people", people({update})));
  CHECK(status_of(again) == "accepted");
  CHECK(student_value(an.pid, "version") == "3");
  CHECK(student_value(an.pid, "data->>'address'") == "7 Lạch Tray");
}

TEST_CASE("a partner's own record moved to another unit is no longer its to change", "[db][store][units]") {
  auto h = start_hub();
  Person an = kAn;
  an.id = "HP-5";
  an.commune = "11383";
  REQUIRE(status_of(single(push_feed(*h.process, h.hp, "people", people({an})))) == "accepted");
  // The family moved to Hà Nội; the city's register says so.
  Person moved = an;
  moved.id = "C-5";
  moved.commune = "00004";
  moved.address = "12 Hàng Bài";
  REQUIRE(status_of(single(push_feed(*h.process, h.city, "people", people({moved})))) == "merged");

  // Hải Phòng sends its old record again, changed: found by its own source link, refused.
  an.phone = "0987654321";
  auto result = single(push_feed(*h.process, h.hp, "people", people({an})));
  CHECK(status_of(result) == "rejected");
  CHECK(code_of(result) == "auth.unit");
  CHECK(student_value(an.pid, "version") == "2");
  CHECK(student_value(an.pid, "data->>'residence_commune'") == "00004");
  CHECK(student_value(an.pid, "data->>'contact_phone'") == kAn.phone);
}

TEST_CASE("a student is in the units of its current school", "[db][store][units]") {
  auto h = start_hub();
  // Two pupils without an address, one learning in Hà Nội and one in Hải Phòng.
  Person hn{"C-10", "Lê Hoàng Nam", "2014-09-14", "M", "031214009999", "", "", ""};
  Person hp{"C-11", "Phạm Thu Hà", "2014-05-20", "F", "031314004321", "", "", ""};
  REQUIRE(status_of(single(push_feed(*h.process, h.city, "pupils", pupil(hn, "T-HN")))) == "accepted");
  REQUIRE(status_of(single(push_feed(*h.process, h.city, "pupils", pupil(hp, "T-HP")))) == "accepted");

  // Hải Phòng's partner sends both with a Hải Phòng address.
  for (Person* p : {&hn, &hp}) {
    p->id = "HP-" + p->id;
    p->commune = "11383";
  }
  auto refused = single(push_feed(*h.process, h.hp, "people", people({hn})));
  CHECK(status_of(refused) == "rejected");
  CHECK(code_of(refused) == "auth.unit");
  CHECK(message_of(refused).find("province 01") != std::string::npos);
  CHECK(message_of(refused).find("T-HN") == std::string::npos);
  CHECK(student_value(hn.pid, "version") == "1");
  CHECK(status_of(single(push_feed(*h.process, h.hp, "people", people({hp})))) == "merged");
  CHECK(student_value(hp.pid, "data->>'residence_commune'") == "11383");

  // A closed enrollment no longer places the student: without it the student is in no unit.
  sql_exec("update golden_record set valid_to = current_date - 1 where entity = 'enrollment'"
           " and data->>'student' = (select id::text from golden_record where data->>'personal_id' = '" + hn.pid + "')");
  auto closed = single(push_feed(*h.process, h.hp, "people", people({hn})));
  CHECK(status_of(closed) == "rejected");
  CHECK(message_of(closed).find("no unit") != std::string::npos);
}

TEST_CASE("a stored student in no unit is changed only by partners without units", "[db][store][units]") {
  auto h = start_hub();
  Person nowhere{"C-20", "Vũ Minh Khoa", "2014-11-30", "M", "031214007777", "", "", ""};
  REQUIRE(status_of(single(push_feed(*h.process, h.city, "people", people({nowhere})))) == "accepted");
  Person placed = nowhere;
  placed.id = "HP-20";
  placed.commune = "11383";
  auto result = single(push_feed(*h.process, h.hp, "people", people({placed})));
  CHECK(status_of(result) == "rejected");
  CHECK(code_of(result) == "auth.unit");
  CHECK(message_of(result).find("no unit") != std::string::npos);
  CHECK(student_value(nowhere.pid, "version") == "1");
  CHECK(student_value(nowhere.pid, "data->>'residence_commune'").empty());
}
