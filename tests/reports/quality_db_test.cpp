// The quality and progress report end to end on the demo data, against the real PostgreSQL and
// Redis with a real hub: each measure checked against counts made by hand from the samples
// (comments say which record counts where), the facts following change_log between reports,
// the unit limits (a commune sees its schools only, never another's), masked personal IDs in the
// drill-down for everyone but admins, an audit row for every read of personal data, the .xlsx
// read back, and /metrics accepted by promtool. Guards: a report that miscounts, leaks another
// unit's schools or unmasked IDs, reads personal data unaudited, or serves metrics Prometheus
// cannot read.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <cstdio>
#include <fstream>

#include "tests/support/test_env.h"
#include "tests/support/xlsx_reader.h"

using namespace hub::test;

namespace {

constexpr const char* kMetricsToken = "metrics-secret-for-tests-0123456789";

std::string sample(const std::string& partner, const std::string& feed) {
  return read_file(kPartnersDir + "/" + partner + "/samples/" + feed + ".json");
}

struct Demo {
  std::string ops, admissions, transcripts;
};

// The demo data: 4 schools (demo-ops), the admissions portal's 7 applicants (2 accepted, 1 for
// review, 4 rejected), the transcript platform's 3 students of HP-THCS-0012 (Mai's 10.5 made a
// 9.5 so that she is accepted; Khôi is rejected), and the sector database's 5 staff (Huy rejected).
Demo load_demo(HubProcess& hub) {
  Demo d{add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school", "--scope", "ingest:staff"}),
         add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application",
                                         "--unit", "province:31"}),
         add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                          "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"})};
  REQUIRE(push_feed(hub, d.ops, "schools", sample("demo-ops", "schools")).status == 200);
  REQUIRE(push_feed(hub, d.admissions, "admissions", sample("demo-admissions", "admissions")).status == 200);
  std::string transcripts = sample("demo-transcripts", "transcripts");
  transcripts.replace(transcripts.find("\"score\": 10.5"), 13, "\"score\": 9.5");
  auto t = parse_json(push_feed(hub, d.transcripts, "transcripts", transcripts).body);
  REQUIRE(std::string(t["results"][0]["status"].GetString()) == "merged");    // An, also an applicant
  REQUIRE(std::string(t["results"][1]["status"].GetString()) == "accepted");  // Mai
  REQUIRE(std::string(t["results"][2]["status"].GetString()) == "rejected");  // Khôi
  auto s = parse_json(push_feed(hub, d.ops, "staff", sample("demo-ops", "staff")).body);
  REQUIRE(s["counts"]["accepted"].GetInt() == 4);
  REQUIRE(s["counts"]["rejected"].GetInt() == 1);  // Huy: 1992-13-01
  return d;
}

HttpResult report(const HubProcess& hub, const std::string& token, const std::string& query) {
  return get(hub.url("/v1/admin/quality" + query), token);
}

// The integer at a path of member names; -1 when a member is missing or not an integer, so a
// changed report shape fails the check instead of aborting the test run.
long long num(const rapidjson::Value& v, std::initializer_list<const char*> path) {
  const rapidjson::Value* x = &v;
  for (const char* name : path) {
    if (!x->IsObject()) return -1;
    auto m = x->FindMember(name);
    if (m == x->MemberEnd()) return -1;
    x = &m->value;
  }
  return x->IsInt64() ? x->GetInt64() : -1;
}
template <typename... Names>
long long num(const rapidjson::Value& v, Names... names) {
  return num(v, {static_cast<const char*>(names)...});
}

const rapidjson::Value* child(const rapidjson::Document& d, const std::string& unit) {
  for (const auto& c : d["children"].GetArray())
    if (unit == c["unit"].GetString()) return &c;
  return nullptr;
}

std::string audit_count() { return count_rows("audit_log where action = 'quality.records.read'"); }

}  // namespace

TEST_CASE("quality report of the demo province counts each measure by hand", "[db][reports][quality]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto d = load_demo(hub);

  auto r = report(hub, d.ops, "?unit=province:31");
  REQUIRE(r.status == 200);
  auto q = parse_json(r.body);
  INFO(r.body);
  CHECK(std::string(q["children_kind"].GetString()) == "commune");
  const auto& total = q["total"];
  // The 3 schools of Hải Phòng (the Hà Nội one is outside province 31).
  CHECK(num(total, "schools") == 3);
  // Students of its schools: An and Mai, both at HP-THCS-0012 in force today. The two applicants
  // who are not enrolled anywhere (Linh; An counts once) belong to no school.
  const auto& st = total["students"];
  CHECK(num(st, "records") == 2);
  CHECK(num(st, "personal_id", "present") == 2);
  CHECK(num(st, "personal_id", "well_formed") == 2);
  CHECK(num(st, "personal_id", "verified") == 1);     // An: MATCHED by the platform
  CHECK(num(st, "personal_id", "mismatch") == 1);     // Mai: NOT_MATCHED
  CHECK(num(st, "personal_id", "not_checked") == 0);
  // Mai came from the transcript platform only: no nationality, residence or parents' phone.
  CHECK(num(st, "completeness", "nationality", "missing") == 1);
  CHECK(num(st, "completeness", "residence_commune", "missing") == 1);
  CHECK(num(st, "completeness", "contact_phone", "missing") == 1);
  CHECK(num(st, "completeness", "ethnicity", "missing") == 0);
  CHECK(num(st, "completeness", "personal_id", "missing") == 0);
  CHECK(num(st, "completeness", "full_name", "missing") == 0);
  CHECK(st["completeness"]["nationality"]["share"].GetDouble() == Approx(0.5));
  CHECK(num(st, "conflicts", "records") == 0);
  // Freshness: An's last change came with the platform's date 2026-06-01, Mai's with 2026-05-25;
  // both reached the hub today, months later: late. (Only a date far in the past is certain.)
  CHECK(num(st, "freshness", "changes") == 2);
  CHECK(num(st, "freshness", "late") == 2);
  CHECK(st["freshness"]["max_lag_days"].GetDouble() > 150);
  // Staff: Ha and Minh (HP-THCS-0012), Thang and Huong (HP-THPT-0003); Huy was rejected.
  const auto& sf = total["staff"];
  CHECK(num(sf, "records") == 4);
  CHECK(num(sf, "personal_id", "present") == 1);  // Minh
  CHECK(num(sf, "personal_id", "verified") == 1);  // DA_XAC_THUC
  CHECK(num(sf, "completeness", "personal_id", "missing") == 3);
  CHECK(num(sf, "completeness", "social_insurance_number", "missing") == 1);  // Huong
  CHECK(num(sf, "completeness", "ethnicity", "missing") == 4);
  CHECK(num(sf, "completeness", "moet_staff_code", "missing") == 0);
  // Ha, Minh and Huong carry the export's date 2025-09-25: late; Thang only the push time.
  CHECK(num(sf, "freshness", "changes") == 4);
  CHECK(num(sf, "freshness", "late") == 3);
  // HP-THCS-0007 has no student and no staff: silent, never heard of.
  CHECK(num(total, "silent_schools") == 1);
  REQUIRE(q["silent_schools"].Size() == 1);
  CHECK(std::string(q["silent_schools"][0]["code"].GetString()) == "HP-THCS-0007");
  CHECK(q["silent_schools"][0]["last_change"].IsNull());

  // One level down: the communes of the three schools.
  CHECK(q["children"].Size() == 3);
  const auto* le_chan = child(q, "commune:11383");
  REQUIRE(le_chan);
  CHECK(num(*le_chan, "students", "records") == 2);
  CHECK(num(*le_chan, "staff", "records") == 2);
  const auto* hong_bang = child(q, "commune:11311");
  REQUIRE(hong_bang);
  CHECK(num(*hong_bang, "students", "records") == 0);
  CHECK(num(*hong_bang, "staff", "records") == 2);
  CHECK(num(*child(q, "commune:11329"), "silent_schools") == 1);

  // Rejected and pending records per partner and code (the window is the last 30 days).
  std::map<std::pair<std::string, std::string>, std::pair<long long, long long>> partners;
  for (const auto& p : q["partners"].GetArray())
    partners[{p["partner"].GetString(), p["code"].IsNull() ? "" : p["code"].GetString()}] = {p["rejected"].GetInt64(),
                                                                                            p["pending"].GetInt64()};
  CHECK(partners[{"demo-admissions", ""}] == std::make_pair(4LL, 1LL));  // 4 rejected, Hoà waits for review
  CHECK(partners[{"demo-admissions", "date.impossible"}].first == 1);    // 31/02/2014
  CHECK(partners[{"demo-admissions", "record.source_id_missing"}].first == 1);
  CHECK(partners[{"demo-admissions", "pending.review"}].second == 1);
  CHECK(partners[{"demo-transcripts", ""}].first == 1);  // Khôi
  CHECK(partners[{"demo-ops", ""}].first == 1);          // Huy

  // A school level: only lower secondary (03, THCS) schools; the upper secondary one's staff drop out.
  auto lower = parse_json(report(hub, d.ops, "?unit=province:31&level=03").body);
  CHECK(num(lower["total"], "schools") == 2);
  CHECK(num(lower["total"], "staff", "records") == 2);
  CHECK(report(hub, d.ops, "?unit=province:31&level=99").status == 400);

  // As of yesterday nothing had reached the hub yet: computed from the versions, all zero.
  std::string yesterday = sql_value("select ((now() at time zone 'Asia/Ho_Chi_Minh')::date - 1)::text");
  auto before = parse_json(report(hub, d.ops, "?unit=province:31&as_of=" + yesterday).body);
  CHECK(num(before["total"], "students", "records") == 0);
  CHECK(num(before["total"], "staff", "records") == 0);
  CHECK(report(hub, d.ops, "?unit=province:31&as_of=2999-01-01").status == 400);
  CHECK(report(hub, d.ops, "?unit=ward:1").status == 400);
  CHECK(report(hub, d.ops, "?unit=school:NO-SUCH").status == 404);
}

TEST_CASE("quality facts follow change_log between two reports", "[db][reports][quality]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto d = load_demo(hub);
  auto first = parse_json(report(hub, d.ops, "?unit=school:HP-THCS-0012").body);
  CHECK(num(first["total"], "students", "conflicts", "records") == 0);
  CHECK(first["children"].Size() == 0);

  // The portal sends An again with another birth day: the record keeps both sources' values in
  // its matching profile, and two birth dates for one child is a conflict between sources.
  std::string body = sample("demo-admissions", "admissions");
  body.replace(body.find("\"05/01/2014\""), 12, "\"06/01/2014\"");
  body.replace(body.find("\"0912 345 678\""), 14, "\"0912 345 679\"");
  REQUIRE(push_feed(hub, d.admissions, "admissions", body).status == 200);
  auto second = parse_json(report(hub, d.ops, "?unit=school:HP-THCS-0012").body);
  INFO(second.HasParseError());
  CHECK(num(second, "facts_refreshed") >= 1);
  CHECK(num(second["total"], "students", "conflicts", "records") == 1);
  CHECK(num(second["total"], "students", "conflicts", "fields", "birth_date") == 1);
  // An's last change is now this push, which sends no date of its own: on time.
  CHECK(num(second["total"], "students", "freshness", "late") == 1);

  // The drill-down lists him; an admin sees the personal ID in clear.
  auto listing = get(hub.url("/v1/admin/quality/records?unit=school:HP-THCS-0012&entity=student"
                             "&measure=conflict:birth_date"), d.ops);
  INFO(listing.body);
  INFO(hub.log());
  auto rows = parse_json(listing.body);
  REQUIRE(rows["records"].Size() == 1);
  CHECK(std::string(rows["records"][0]["personal_id"].GetString()) == "031214001234");
  CHECK(std::string(rows["personal_ids"].GetString()) == "clear");
  // Every measure of the drill-down answers (each uses a different subset of the statement's
  // parameters), and an unknown one is refused naming the parameter.
  for (const char* measure : {"pid_absent", "pid_malformed", "pid_not_verified", "pid_mismatch", "pid_not_checked",
                              "late", "review", "missing:nationality", "conflict:birth_date"}) {
    auto r = get(hub.url(std::string("/v1/admin/quality/records?unit=school:HP-THCS-0012&entity=student&measure=") + measure),
                 d.ops);
    INFO(measure << " " << r.body);
    CHECK(r.status == 200);
  }
  CHECK(get(hub.url("/v1/admin/quality/records?unit=school:HP-THCS-0012&entity=student&measure=nonsense"), d.ops).status == 400);
  // A rebuild from scratch gives the same numbers as the incremental facts.
  REQUIRE(hubctl({"quality", "rebuild"}).exit_code == 0);
  auto rebuilt = parse_json(report(hub, d.ops, "?unit=school:HP-THCS-0012").body);
  CHECK(rebuilt["total"] == second["total"]);
}

TEST_CASE("a commune reads its own schools only - personal IDs masked - every read audited", "[db][reports][quality]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto d = load_demo(hub);
  std::string commune = add_partner("phuong-le-chan", {"--scope", "reports:read", "--unit", "commune:11383"});
  std::string two = add_partner("two-communes", {"--scope", "reports:read", "--unit", "commune:11383",
                                                 "--unit", "commune:11311"});

  // Its own unit by default; the province, another commune or another commune's school: 403.
  auto own = report(hub, commune, "");
  REQUIRE(own.status == 200);
  auto q = parse_json(own.body);
  CHECK(std::string(q["unit"].GetString()) == "commune:11383");
  CHECK(num(q["total"], "schools") == 1);
  CHECK(num(q["total"], "students", "records") == 2);
  REQUIRE(q["children"].Size() == 1);
  CHECK(std::string(q["children"][0]["code"].GetString()) == "HP-THCS-0012");
  CHECK(q["partners"].Size() == 0);  // no partner is limited to this commune
  for (const char* unit : {"province:31", "commune:11311", "school:HP-THPT-0003", "all"}) {
    auto refused = report(hub, commune, std::string("?unit=") + unit);
    CHECK(refused.status == 403);
    CHECK(std::string(parse_json(refused.body)["code"].GetString()) == "quality.unit_forbidden");
  }
  CHECK(report(hub, commune, "?unit=school:HP-THCS-0012").status == 200);
  // Two units: it must say which.
  CHECK(report(hub, two, "").status == 400);
  CHECK(num(parse_json(report(hub, two, "?unit=commune:11311").body)["total"], "staff", "records") == 2);
  // No reports scope: 403.
  CHECK(report(hub, d.transcripts, "?unit=province:31").status == 403);

  // The 1 student of the commune without a verified ID: Mai, her ID masked.
  std::string before = audit_count();
  auto rows = get(hub.url("/v1/admin/quality/records?entity=student&measure=pid_not_verified"), commune);
  REQUIRE(rows.status == 200);
  auto rd = parse_json(rows.body);
  CHECK(num(rd, "total") == 1);
  REQUIRE(rd["records"].Size() == 1);
  CHECK(std::string(rd["records"][0]["full_name"].GetString()) == "Trần Thị Mai");
  CHECK(std::string(rd["records"][0]["personal_id"].GetString()) == "031*******78");
  CHECK(rows.body.find("031314005678") == std::string::npos);
  CHECK(std::string(rd["personal_ids"].GetString()) == "masked");
  CHECK(std::stoi(audit_count()) == std::stoi(before) + 1);
  CHECK(sql_value("select actor || ' ' || target || ' ' || (detail->>'personal_ids') from audit_log"
                  " where action = 'quality.records.read' order by id desc limit 1") ==
        "phuong-le-chan commune:11383 masked");
  // Another commune's records: refused, and nothing was read.
  auto other = get(hub.url("/v1/admin/quality/records?unit=commune:11311&entity=staff&measure=pid_absent"), commune);
  CHECK(other.status == 403);
  CHECK(std::stoi(audit_count()) == std::stoi(before) + 1);
  // Staff without a personal ID in the commune: Ha.
  auto staff = parse_json(get(hub.url("/v1/admin/quality/records?entity=staff&measure=missing:personal_id"), commune).body);
  CHECK(num(staff, "total") == 1);
  CHECK(get(hub.url("/v1/admin/quality/records?entity=staff&measure=missing:shoe_size"), commune).status == 400);
  CHECK(get(hub.url("/v1/admin/quality/records?entity=staff&measure=pid_absent&limit=100000"), commune).status == 400);
}

TEST_CASE("the quality report as xlsx and csv reads back with its cells", "[db][reports][quality]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto d = load_demo(hub);
  auto x = report(hub, d.ops, "?unit=province:31&format=xlsx");
  REQUIRE(x.status == 200);
  CHECK(x.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  auto sheets = read_xlsx(x.body);
  REQUIRE(sheets.size() == 5);
  CHECK(sheets[0].name == "Tổng hợp");
  CHECK(sheets[1].name == "Theo phường, xã");
  CHECK(sheets[2].name == "Đầy đủ thông tin");
  CHECK(sheets[3].name == "Trường chưa gửi dữ liệu");
  CHECK(sheets[4].name == "Hồ sơ bị từ chối");
  const auto& s = sheets[0];
  CHECK(s.header_frozen);
  CHECK(s.at("A1")->text == "Đơn vị");
  CHECK(s.at("F1")->text == "Số hồ sơ");
  CHECK(s.at("H1")->text == "Tỷ lệ có số định danh");
  CHECK(s.at("A2")->text == "31");
  CHECK(s.at("C2")->text == "Học sinh");
  CHECK(s.at("F2")->text == "2");
  CHECK(s.at("F2")->format == "#,##0");
  CHECK(s.at("H2")->text == "1");  // both students have a personal ID
  CHECK(s.at("H2")->format == "0.0%");
  CHECK(s.at("K2")->text == "0.5");  // one of two verified
  CHECK(s.at("C3")->text == "Cán bộ, giáo viên");
  CHECK(s.at("F3")->text == "4");
  CHECK(s.at("K3")->text == "0.25");
  CHECK(sheets[1].rows() == 7);  // header + 3 communes x 2
  CHECK(sheets[3].at("A2")->text == "HP-THCS-0007");
  CHECK(sheets[3].at("E2")->text == "chưa từng");

  auto c = report(hub, d.ops, "?unit=province:31&format=csv");
  REQUIRE(c.status == 200);
  CHECK(c.headers["content-type"] == "text/csv; charset=utf-8");
  CHECK(c.body.rfind("\xEF\xBB\xBF" "Đơn vị,Tên,Đối tượng,Số trường", 0) == 0);
  CHECK(c.body.find("\r\n11383,") != std::string::npos);
  CHECK(report(hub, d.ops, "?unit=province:31&format=pdf").status == 400);

  // hubctl writes the same workbook.
  std::string path = std::string(HUB_BINARY_DIR) + "/quality-test.xlsx";
  auto cli = hubctl({"quality", "report", "--unit", "province:31", "--format", "xlsx", "--out", path});
  REQUIRE(cli.exit_code == 0);
  auto from_cli = read_xlsx(read_file(path));
  std::remove(path.c_str());
  REQUIRE(from_cli.size() == 5);
  CHECK(from_cli[0].at("F2")->text == "2");
  auto text = hubctl({"quality", "report", "--unit", "commune:11383"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("commune:11383") != std::string::npos);
  CHECK(hubctl({"quality", "report", "--unit", "ward:7"}).exit_code == 2);
}

TEST_CASE("metrics are Prometheus text that promtool accepts - behind their own secret", "[db][reports][metrics]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_METRICS_TOKEN", kMetricsToken}});
  REQUIRE(hub.start());
  auto d = load_demo(hub);
  REQUIRE(get(hub.url("/v1/me"), d.ops).status == 200);
  CHECK(get(hub.url("/metrics")).status == 401);
  CHECK(get(hub.url("/metrics"), "wrong-secret-wrong-secret").status == 401);
  auto m = get(hub.url("/metrics"), kMetricsToken);
  REQUIRE(m.status == 200);
  CHECK(m.headers["content-type"].rfind("text/plain; version=0.0.4", 0) == 0);
  const std::string& t = m.body;
  CHECK(t.find("hub_http_requests_total{route=\"/v1/me\",method=\"GET\",status=\"200\"} 1\n") != std::string::npos);
  CHECK(t.find("hub_http_request_duration_seconds_bucket{route=\"/v1/ingest/{feed}\",le=\"+Inf\"}") != std::string::npos);
  // 4 schools and 4 staff accepted, 1 staff rejected; Mai new, An merged, Khôi rejected.
  CHECK(t.find("hub_ingest_records_total{partner=\"demo-ops\",outcome=\"accepted\"} 8\n") != std::string::npos);
  CHECK(t.find("hub_ingest_records_total{partner=\"demo-ops\",outcome=\"rejected\"} 1\n") != std::string::npos);
  CHECK(t.find("hub_review_open_items{kind=\"mapping\"} 1\n") != std::string::npos);
  CHECK(t.find("hub_ingest_pending_records 0\n") != std::string::npos);
  CHECK(t.find("hub_dependency_up{dependency=\"postgres\"} 1\n") != std::string::npos);
  CHECK(t.find("hub_dependency_up{dependency=\"redis\"} 1\n") != std::string::npos);
  CHECK(t.find("token") == std::string::npos);

  std::string path = std::string(HUB_BINARY_DIR) + "/metrics-test.txt";
  {
    std::ofstream f(path);
    f << t;
  }
  auto check = run_process({"/bin/sh", "-c", "promtool check metrics < " + path}, {});
  std::remove(path.c_str());
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);

  // Without a secret configured there is no /metrics at all.
  HubProcess off;
  REQUIRE(off.start());
  CHECK(get(off.url("/metrics"), kMetricsToken).status == 404);
}
