// Staff matching (mappings/matching/staff.yaml) end to end through the ingest path, against the
// real PostgreSQL and Redis with a real hub, on the two demo staff feeds as shipped: the schools'
// HR register (demo-hr, with diacritics, d/m/y dates, personal IDs) and the Department's export
// of the sector database (demo-ops, names without diacritics, ISO dates, ministry staff codes).
// The same teacher from both, spelled and dated differently and with the personal ID missing
// on one side, is one golden record; two teachers of one school with the same name and birth
// date are never merged; two different valid personal IDs are never merged; the HR register's
// name and birth date survive the later export, whose staff code is added, each value with its
// lineage.

#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

struct Pushed {
  HttpResult http;
  rapidjson::Document body;

  std::string status(int i) const { return body["results"][i]["status"].GetString(); }
  std::string record(int i) const {
    const auto& e = body["results"][i]["entities"];
    return e.IsObject() && e.HasMember("staff") ? e["staff"].GetString() : "";
  }
  bool has_error(int i, const std::string& code) const {
    for (const auto& e : body["results"][i]["errors"].GetArray())
      if (code == e["code"].GetString()) return true;
    return false;
  }
};

Pushed push_sample(const HubProcess& hub, const std::string& token, const std::string& partner, const std::string& feed) {
  Pushed p;
  p.http = push_feed(hub, token, feed, read_file(kPartnersDir + "/" + partner + "/samples/" + feed + ".json"));
  p.body = parse_json(p.http.body);
  return p;
}

std::string golden(const std::string& id, const std::string& field) {
  return sql_value("select data->>'" + field + "' from golden_record where id = '" + id + "'");
}

std::string lineage_partner(const std::string& id, const std::string& field) {
  return sql_value("select field_lineage(lineage, '" + field + "')->>'partner' from golden_record where id = '" + id + "'");
}

// The open match review item raised for `record`: "<candidate> <reason code>", "" when none.
std::string review_of(const std::string& record) {
  return sql_value("select candidate_id::text || ' ' || (reasons->0->>'code') from review_item"
                   " where kind = 'match' and status = 'open' and record_id = '" + record + "'");
}

}  // namespace

TEST_CASE("resolve staff from the HR register and the sector database - one teacher - namesakes - two IDs - survivorship",
          "[db][resolve]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school", "--scope", "ingest:staff"});
  std::string hr = add_partner("demo-hr", {"--scope", "ingest:staff", "--unit", "province:31"});  // as in scripts/demo.sh
  REQUIRE(push_feed(hub, ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json")).status == 200);

  // The HR register first. Indexes: 0 Hà, 1 Minh (NFD), 2 and 3 Trần Thị Lan twice (namesakes
  // of one school, different personal IDs), 4 Thắng (no personal ID), 5 Hương, 6 a mistyped
  // personal ID, 7 a bad record.
  auto h = push_sample(hub, hr, "demo-hr", "staff");
  REQUIRE(h.http.status == 200);
  REQUIRE(h.body["results"].Size() == 8);
  for (int i : {0, 1, 2, 4, 5}) CHECK(h.status(i) == "accepted");
  CHECK(h.status(6) == "rejected");
  CHECK(h.has_error(6, "personal_id.birth_year_mismatch"));
  CHECK(h.status(7) == "rejected");
  CHECK(h.has_error(7, "date.impossible"));
  CHECK(h.has_error(7, "value.unmapped"));
  // The second Trần Thị Lan: same name, birth date and school as the first, another valid
  // personal ID. Her own record, and a person is asked (one of the IDs may be mistyped).
  CHECK(h.status(3) == "review");
  CHECK(h.record(3) != h.record(2));
  CHECK(review_of(h.record(3)) == h.record(2) + " match.identifier_conflict");
  CHECK(count_rows("golden_record where entity = 'staff'") == "6");
  CHECK(count_rows("match_profile where entity = 'staff'") == "6");  // resolved with staff.yaml

  // Then the sector database export. Indexes: 0 Hà, 1 Minh with another valid personal ID,
  // 2 Thắng with day and month swapped, 3 a Phạm Thị Hương like HR's, 4 a bad record.
  auto o = push_sample(hub, ops, "demo-ops", "staff");
  REQUIRE(o.http.status == 200);
  REQUIRE(o.body["results"].Size() == 5);

  // Hà without diacritics, no personal ID, the same social insurance number: the same teacher.
  CHECK(o.status(0) == "merged");
  CHECK(o.record(0) == h.record(0));
  // Thắng with day and month swapped, the same social insurance number: the same person.
  CHECK(o.status(2) == "merged");
  CHECK(o.record(2) == h.record(4));
  // Minh: the same insurance number but another valid personal ID. Never merged, whatever the
  // insurance number says; a person looks.
  CHECK(o.status(1) == "review");
  CHECK(o.record(1) != h.record(1));
  CHECK(review_of(o.record(1)) == h.record(1) + " match.identifier_conflict");
  // Hương: same name (folded), birth date, gender and school as HR's, no identifier on either
  // side to tell, another commune: maybe a namesake, so not merged; a person looks.
  CHECK(o.status(3) == "review");
  CHECK(o.record(3) != h.record(5));
  CHECK(review_of(o.record(3)) == h.record(5) + " match.possible_duplicate");
  CHECK(o.status(4) == "rejected");
  CHECK(o.has_error(4, "date.impossible"));

  CHECK(count_rows("golden_record where entity = 'staff' and merged_into is null") == "8");
  CHECK(count_rows("review_item where kind = 'match' and status = 'open'") == "3");
  // One golden record with both sources' links.
  CHECK(count_rows("source_link where record_id = '" + h.record(0) + "'") == "2");

  // Survivorship: the HR register's spelling and birth date stay although the export came
  // later; the sector database's staff code is added. Lineage names who sent each value.
  std::string ha = h.record(0), thang = h.record(4);
  CHECK(golden(ha, "full_name") == "Nguyễn Thị Thu Hà");
  CHECK(lineage_partner(ha, "full_name") == "demo-hr");
  CHECK(golden(ha, "personal_id") == "031185001234");
  CHECK(golden(ha, "moet_staff_code") == "GV31-0012-001");
  CHECK(lineage_partner(ha, "moet_staff_code") == "demo-ops");
  CHECK(sql_value("select field_lineage(lineage, 'moet_staff_code')->>'source_id' from golden_record where id = '" + ha + "'") ==
        "GV31-0012-001");
  CHECK(golden(thang, "birth_date") == "1979-11-04");
  CHECK(lineage_partner(thang, "birth_date") == "demo-hr");
  CHECK(golden(thang, "full_name") == "Vũ Đức Thắng");
  CHECK(golden(thang, "moet_staff_code") == "NV31-0003-004");

  // No personal ID in clear in the errors, the review reasons or the hub's log.
  CHECK(count_rows("batch_record where errors::text like '%031186005555%'") == "0");
  CHECK(h.http.body.find("031186005555") == std::string::npos);
  CHECK(count_rows("review_item where reasons::text like any (array['%031190001111%', '%031190002222%',"
                   " '%031075004321%', '%031075004312%', '%031187003333%'])") == "0");
  std::string log = hub.log();
  CHECK_FALSE(log.empty());
  for (const char* id : {"031185001234", "031075004321", "031075004312", "031190001111", "031190002222",
                         "031187003333", "031186005555"})
    CHECK(log.find(id) == std::string::npos);

  // The HR register sends its file again: the same records, nothing new, no new review.
  auto again = push_sample(hub, hr, "demo-hr", "staff");
  REQUIRE(again.http.status == 200);
  for (int i : {0, 1, 2, 3, 4, 5}) CHECK(again.record(i) == h.record(i));
  CHECK(count_rows("golden_record where entity = 'staff' and merged_into is null") == "8");
  CHECK(count_rows("review_item where kind = 'match' and status = 'open'") == "3");
  CHECK(golden(ha, "moet_staff_code") == "GV31-0012-001");  // HR does not send it: kept

  // The HR vendor serves Hải Phòng's schools only: a teacher of a Hà Nội school is refused.
  auto outside = push_feed(hub, hr, "staff", R"({"nhanSu": [{"maNhanSu": "NS-0901", "hoTen": "Lý Thị Mai",
      "ngaySinh": "01/01/1991", "gioiTinh": "Nữ", "maTruong": "HN-THCS-0001", "nhomCanBo": "Giáo viên",
      "trangThai": "Đang làm việc"}]})");
  REQUIRE(outside.status == 200);
  auto od = parse_json(outside.body);
  CHECK(std::string(od["results"][0]["status"].GetString()) == "rejected");
  CHECK(std::string(od["results"][0]["errors"][0]["code"].GetString()) == "auth.unit");
  CHECK(count_rows("golden_record where entity = 'staff'") == "8");
}
