// The EMIS and quality reports with units=as_of|current against a real hub and PostgreSQL: two
// schools of Xã Ia Pết (23716) and Xã Ia Băng (23719), two communes of old Gia Lai (64) merged on
// 1 July 2025 into Xã Ia Băng (23710) of the new Gia Lai (52). Guards against: a report as of a
// date before the reform that shows today's communes when the units of its date were asked (or
// the old ones when today's were), figures lost or counted twice when mapped forward, a recode of
// the schools' communes that moves a pre-reform report into the new commune or changes a frozen
// submission, a caller limited to today's commune who cannot see the old communes it was formed
// from (or sees those of another), and an unknown units value accepted silently.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "hub/common/json.h"
#include "tests/support/checks.h"
#include "tests/support/test_env.h"
#include "tests/support/test_mappings.h"

using namespace hub::test;

namespace {

// The schools' own list, with the commune codes of the day it was made (before the reform), and
// pupils enrolled in 2024-2025.
std::string make_mappings_dir() {
  return mappings_dir("report-units",
                      {{"test-units/schools.yaml", school_list_mapping("test-units", "  codes_valid_on: 2025-06-30\n")},
                       {"test-units/pupils.yaml",
                        pupil_periods_mapping("test-units", "", "      school_year: {value: \"2024-2025\"}\n"
                                                                "      status: {value: \"DANG_HOC\"}\n")}});
}

const char* kSchoolsBody = R"({"schools": [
  {"code": "GL-TH-IAPET", "name": "Trường Tiểu học Ia Pết", "level": "02", "type": "1", "province": "64", "commune": "23716"},
  {"code": "GL-TH-IABANG", "name": "Trường Tiểu học Ia Băng", "level": "02", "type": "1", "province": "64", "commune": "23719"}]})";

// Two pupils at Ia Pết and three at Ia Băng, all from 5 September 2024.
std::string pupils_body() {
  hub::json::JsonWriter w;
  w.begin_object().key("pupils").begin_array();
  for (int i = 1; i <= 5; ++i)
    w.begin_object().kv("id", "U" + std::to_string(i)).kv("name", "Học Sinh " + spelled(std::to_string(i)))
        .kv("dob", "2016-03-1" + std::to_string(i)).kv("sex", i % 2 ? "M" : "F")
        .key("periods").begin_array().begin_object().kv("school", i <= 2 ? "GL-TH-IAPET" : "GL-TH-IABANG")
        .kv("grade", "3").kv("from", "2024-09-05").end_object().end_array().end_object();
  w.end_array().end_object();
  return w.str();
}

struct Row {
  std::string province, name;
  long long schools = 0, students = 0;
  std::vector<std::string> current_units;
};

// The rows of a report by commune, by commune code.
std::map<std::string, Row> rows_of(const rapidjson::Document& d) {
  std::map<std::string, Row> out;
  for (const auto& r : d["rows"].GetArray()) {
    Row row{r["province"].GetString(), r["commune_name"].GetString(), r["counts"]["schools"].GetInt64(),
            r["counts"]["students"].GetInt64(), {}};
    if (r.HasMember("current_units"))
      for (const auto& u : r["current_units"].GetArray()) row.current_units.push_back(u.GetString());
    out[r["commune"].GetString()] = row;
  }
  return out;
}

std::vector<std::string> keys(const std::map<std::string, Row>& rows) {
  std::vector<std::string> out;
  for (const auto& [k, _] : rows) out.push_back(k);
  return out;
}

struct Fixture {
  std::string dir = make_mappings_dir();
  HubProcess hub{std::map<std::string, std::string>{{"HUB_MAPPINGS_DIR", dir}, {"HUB_SYNC_PUSH", "false"}}};
  std::string admin;
  Fixture() {
    reset_database();
    REQUIRE(hub.start());
    admin = add_partner("test-units", {"--scope", "admin", "--scope", "ingest:school", "--scope", "ingest:student",
                                       "--scope", "ingest:enrollment"});
    require_all_accepted(push_feed(hub, admin, "schools", kSchoolsBody));
    require_all_accepted(push_feed(hub, admin, "pupils", pupils_body()));
    REQUIRE(count_rows("golden_record where entity = 'school' and data->>'commune' in ('23716', '23719')") == "2");
  }
  HttpResult get_as(const std::string& token, const std::string& path) { return get(hub.url(path), token); }
  rapidjson::Document emis(const std::string& as_of, const std::string& units, const std::string& token = "") {
    auto r = get_as(token.empty() ? admin : token,
                    "/v1/admin/reports/emis?by=commune&as_of=" + as_of + (units.empty() ? "" : "&units=" + units));
    INFO(r.body.substr(0, 800));
    REQUIRE(r.status == 200);
    return parse_json(r.body);
  }
};

// The report of a date before the reform in its own units and in today's, then one after it.
void check_units(Fixture& f) {
  auto as_of = rows_of(f.emis("2024-09-30", "as_of"));
  REQUIRE(keys(as_of) == std::vector<std::string>{"23716", "23719"});
  CHECK(as_of["23716"].name == "Xã Ia Pết");
  CHECK(as_of["23716"].province == "64");
  CHECK(as_of["23716"].students == 2);
  CHECK(as_of["23719"].name == "Xã Ia Băng");
  CHECK(as_of["23719"].students == 3);
  // Each old row names the commune it became, for callers limited to today's units.
  CHECK(as_of["23716"].current_units == std::vector<std::string>{"52|23710"});

  auto current = rows_of(f.emis("2024-09-30", "current"));
  REQUIRE(keys(current) == std::vector<std::string>{"23710"});
  CHECK(current["23710"].name == "Xã Ia Băng");
  CHECK(current["23710"].province == "52");
  CHECK(current["23710"].schools == 2);
  CHECK(current["23710"].students == 5);
  CHECK(current["23710"].current_units.empty());

  for (const char* units : {"as_of", "current"}) {
    INFO(units);
    auto after = rows_of(f.emis("2025-09-30", units));
    REQUIRE(keys(after) == std::vector<std::string>{"23710"});
    CHECK(after["23710"].province == "52");
    CHECK(after["23710"].students == 5);
  }
}

}  // namespace

TEST_CASE("emis report as of a date before the reform shows the units of that date or maps them forward", "[db][reports]") {
  Fixture f;
  // Schools stored with the old codes.
  check_units(f);
  // as_of is the default, and says so in the report.
  auto byte_default = f.get_as(f.admin, "/v1/admin/reports/emis?by=commune&as_of=2024-09-30");
  auto byte_as_of = f.get_as(f.admin, "/v1/admin/reports/emis?by=commune&as_of=2024-09-30&units=as_of");
  CHECK(byte_default.body == byte_as_of.body);
  CHECK(std::string(parse_json(byte_default.body)["units_mode"].GetString()) == "as_of");

  // A submission frozen in the units of its date.
  auto frozen = http("POST", f.hub.url("/v1/admin/reports/emis:freeze"),
                     R"({"as_of": "2024-09-30", "by": "commune", "units": "as_of", "label": "EMIS 30/9/2024"})",
                     {"Authorization: Bearer " + f.admin, "Content-Type: application/json"});
  REQUIRE(frozen.status == 201);
  const std::string frozen_id = std::to_string(parse_json(frozen.body)["id"].GetInt64());
  const std::string frozen_bytes = f.get_as(f.admin, "/v1/admin/reports/frozen/" + frozen_id).body;

  // The schools' communes recoded through the crosswalk: the current code now, the old one in
  // the earlier versions. The pre-reform report still shows the old communes.
  auto planned = hubctl({"--json", "units", "recode", "--plan"});
  REQUIRE(planned.exit_code == 0);
  CHECK(parse_json(planned.out)["recodes"].GetInt64() == 2);
  REQUIRE(hubctl({"units", "recode", "--apply", std::to_string(parse_json(planned.out)["plan"].GetInt64())}).exit_code == 0);
  REQUIRE(count_rows("golden_record where entity = 'school' and data->>'commune' = '23710'") == "2");
  check_units(f);

  // The frozen submission keeps its bytes, and nothing differs against it now.
  CHECK(f.get_as(f.admin, "/v1/admin/reports/frozen/" + frozen_id).body == frozen_bytes);
  auto diff = f.get_as(f.admin, "/v1/admin/reports/frozen/" + frozen_id + ":diff");
  INFO(diff.body.substr(0, 800));
  REQUIRE(diff.status == 200);
  auto dd = parse_json(diff.body);
  CHECK(dd["changed_cells"].GetInt64() == 0);
  for (const auto& r : dd["rows"].GetArray()) CHECK(std::string(r["status"].GetString()) == "same");

  // A caller limited to today's Ia Băng sees the two old communes it was formed from; one
  // limited to another commune sees neither.
  std::string ia_bang = add_partner("reader-ia-bang", {"--scope", "reports:read", "--unit", "commune:23710"});
  std::string other = add_partner("reader-other", {"--scope", "reports:read", "--unit", "commune:23869"});
  CHECK(keys(rows_of(f.emis("2024-09-30", "as_of", ia_bang))) == std::vector<std::string>{"23716", "23719"});
  CHECK(rows_of(f.emis("2024-09-30", "as_of", other)).empty());
  CHECK(rows_of(f.emis("2024-09-30", "current", other)).empty());

  // Open data says which units its figures are in.
  auto dict = f.get_as(f.admin, "/v1/admin/reports/open-data?by=commune&as_of=2024-09-30&units=current&format=dictionary");
  REQUIRE(dict.status == 200);
  CHECK(std::string(parse_json(dict.body)["dataset"]["units"].GetString()) == "current");

  // hubctl takes the same choice.
  auto cli = hubctl({"report", "emis", "--as-of", "2024-09-30", "--by", "commune", "--units", "current", "--format", "json"});
  REQUIRE(cli.exit_code == 0);
  CHECK(keys(rows_of(parse_json(cli.out))) == std::vector<std::string>{"23710"});
  CHECK(hubctl({"report", "emis", "--as-of", "2024-09-30", "--by", "commune", "--units", "today"}).exit_code != 0);
}

TEST_CASE("reports refuse an unknown units value with report.units", "[db][reports]") {
  Fixture f;
  for (const char* path : {"/v1/admin/reports/emis?by=commune&as_of=2024-09-30&units=today",
                           "/v1/admin/reports/open-data?by=commune&as_of=2024-09-30&units=today",
                           "/v1/admin/quality?unit=province:52&units=today"}) {
    INFO(path);
    auto r = f.get_as(f.admin, path);
    REQUIRE(r.status == 400);
    auto d = parse_json(r.body);
    CHECK(std::string(d["code"].GetString()) == "report.units");
    CHECK(std::string(d["path"].GetString()) == "units");
    CHECK(std::string(d["message_vi"].GetString()).find("as_of") != std::string::npos);
  }
}

TEST_CASE("quality report breaks a unit of today down into the communes of its date or of today", "[db][reports]") {
  Fixture f;
  // A quality report of an earlier day reads the records as the hub knew them by then (nothing,
  // here: they were pushed today), so the schools carry the breakdown; today's report counts
  // the pupils too.
  auto children = [&](const std::string& as_of, const std::string& units, const char* measure) {
    auto r = f.get_as(f.admin, "/v1/admin/quality?unit=province:52" + (as_of.empty() ? "" : "&as_of=" + as_of) +
                                   "&units=" + units);
    INFO(r.body.substr(0, 800));
    REQUIRE(r.status == 200);
    auto d = parse_json(r.body);
    CHECK(std::string(d["units"].GetString()) == units);
    CHECK(d["total"]["schools"].GetInt64() == 2);
    std::map<std::string, long long> out;
    for (const auto& c : d["children"].GetArray())
      out[c["code"].GetString()] = std::string(measure) == "schools" ? c["schools"].GetInt64()
                                                                      : c["students"]["records"].GetInt64();
    return out;
  };
  CHECK(children("2024-09-30", "as_of", "schools") == std::map<std::string, long long>{{"23716", 1}, {"23719", 1}});
  CHECK(children("2024-09-30", "current", "schools") == std::map<std::string, long long>{{"23710", 2}});
  CHECK(children("2025-09-30", "as_of", "schools") == std::map<std::string, long long>{{"23710", 2}});
  CHECK(children("", "as_of", "students") == std::map<std::string, long long>{{"23710", 5}});
}
