// Review queue, merge and unmerge against the real PostgreSQL and Redis with a real hub and
// hubctl: listing and showing match review items (personal IDs masked), "not a match"
// remembered and never proposed again, "match" merging with a redirect and change events,
// unmerge restoring both records with their own source links, and the refusals.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "hub/common/json.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

std::string admission(const std::string& id, const std::string& name, const std::string& dmy, const std::string& pid) {
  hub::json::JsonWriter w;
  w.begin_object().kv("namHoc", "2025-2026").key("hoSo").begin_array().begin_object().kv("maHoSo", id)
      .kv("hoTen", name).kv("ngaySinh", dmy).kv("gioiTinh", "Nam").kv("danToc", "Kinh");
  if (!pid.empty()) w.kv("soDinhDanh", pid);
  w.key("diaChi").begin_object().kv("soNha", "1 Lê Lợi").kv("maXa", "11320").end_object()
      .kv("dienThoaiPhuHuynh", "0912345678").kv("truongDangKy", "HP-THCS-0012").kv("nguyenVong", 1)
      .kv("ngayNopHoSo", "02/06/2025").kv("diemXetTuyen", "25").kv("ketQua", "Trúng tuyển").end_object()
      .end_array().end_object();
  return w.str();
}

std::string transcript(const std::string& id, const std::string& name, const std::string& iso, const std::string& pid,
                       const std::string& klass = "6A1") {
  hub::json::JsonWriter w;
  w.begin_object().kv("schoolYear", "2025-2026").key("school").begin_object().kv("code", "HP-THCS-0012")
      .kv("name", "Trường THCS Lê Chân").kv("communeCode", "11383").end_object().key("students").begin_array()
      .begin_object().kv("studentId", id).kv("fullName", name).kv("dob", iso).kv("sex", "M").kv("ethnicCode", "01");
  if (!pid.empty()) w.kv("citizenId", pid);
  w.kv("grade", "6").kv("className", klass).kv("enrolledOn", "2025-09-05").kv("status", "dang_hoc")
      .key("results").begin_array().end_array().end_object().end_array().end_object();
  return w.str();
}

std::string student_of(const HttpResult& r) { return parse_json(r.body)["results"][0]["entities"]["student"].GetString(); }
std::string status_of(const HttpResult& r) { return parse_json(r.body)["results"][0]["status"].GetString(); }

struct Partners {
  std::string ops, admissions, transcripts;
};

// The three demo partners (the transcript platform with `extra` scopes), and the schools loaded.
Partners demo_partners(HubProcess& hub, std::vector<std::string> extra = {}) {
  Partners p;
  p.ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  p.admissions = add_partner("demo-admissions", {"--scope", "ingest:student", "--scope", "ingest:admission_application"});
  std::vector<std::string> trn = {"--scope", "ingest:student", "--scope", "ingest:enrollment",
                                  "--scope", "ingest:subject_result", "--scope", "ingest:term_summary"};
  trn.insert(trn.end(), extra.begin(), extra.end());
  p.transcripts = add_partner("demo-transcripts", trn);
  REQUIRE(call(hub, "POST", "/v1/ingest/schools", p.ops, kOneSchool).status == 200);
  return p;
}

}  // namespace

TEST_CASE("review queue: not a match is remembered - match merges - unmerge restores", "[db][resolve]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto [ops, adm, trn] = demo_partners(hub, {"--scope", "pull:student"});

  // Nam: two different valid personal IDs, everything else alike: a review item.
  auto a = call(hub, "POST", "/v1/ingest/admissions", adm, admission("TS-1", "Lê Hoàng Nam", "11/11/2014", "031214000303"));
  auto t = call(hub, "POST", "/v1/ingest/transcripts", trn, transcript("HB-1", "Lê Hoàng Nam", "2014-11-11", "031214000999"));
  REQUIRE(status_of(t) == "review");
  std::string nam_a = student_of(a), nam_t = student_of(t);

  auto list = call(hub, "GET", "/v1/admin/review", ops);
  REQUIRE(list.status == 200);
  auto ld = parse_json(list.body);
  REQUIRE(ld["items"].Size() == 1);
  long long item = ld["items"][0]["id"].GetInt64();
  CHECK(std::string(ld["items"][0]["record"].GetString()) == nam_t);
  CHECK(std::string(ld["items"][0]["candidate"].GetString()) == nam_a);
  CHECK(call(hub, "GET", "/v1/admin/review", trn).status == 403);  // admin only

  auto show = call(hub, "GET", "/v1/admin/review/" + std::to_string(item), ops);
  REQUIRE(show.status == 200);
  CHECK(std::string(parse_json(show.body)["candidate"]["data"]["personal_id"].GetString()) == "031*******03");
  CHECK(show.body.find("031214000303") == std::string::npos);  // masked
  CHECK(std::string(parse_json(show.body)["record"]["sources"][0]["partner"].GetString()) == "demo-transcripts");

  // hubctl lists the same item.
  auto cli = hubctl({"review", "list"});
  CHECK(cli.exit_code == 0);
  CHECK(cli.out.find(nam_t) != std::string::npos);

  // Not a match: remembered; the transcript platform's corrected record is not proposed again.
  auto bad = call(hub, "POST", "/v1/admin/review/" + std::to_string(item), ops, R"({"decision": "maybe"})");
  CHECK(bad.status == 422);
  CHECK(std::string(parse_json(bad.body)["code"].GetString()) == "review.bad_decision");
  auto no = call(hub, "POST", "/v1/admin/review/" + std::to_string(item), ops, R"({"decision": "not-a-match"})");
  REQUIRE(no.status == 200);
  CHECK(count_rows("match_exclusion") == "1");
  auto again = call(hub, "POST", "/v1/admin/review/" + std::to_string(item), ops, R"({"decision": "match"})");
  CHECK(again.status == 409);
  CHECK(std::string(parse_json(again.body)["code"].GetString()) == "review.decided");
  auto changed = call(hub, "POST", "/v1/ingest/transcripts", trn,
                      transcript("HB-1", "Lê Hoàng Nam", "2014-11-11", "031214000999", "6A2"));
  REQUIRE(changed.status == 200);
  CHECK(status_of(changed) != "review");
  CHECK(count_rows("review_item where kind = 'match' and status = 'open'") == "0");

  // Minh: the admissions portal sends him twice under two files (no ID): a namesake review.
  auto m1 = call(hub, "POST", "/v1/ingest/admissions", adm, admission("TS-2", "Trần Văn Minh", "20/07/2014", ""));
  auto m2 = call(hub, "POST", "/v1/ingest/admissions", adm, admission("TS-3", "Tran Van Minh", "20/07/2014", ""));
  REQUIRE(status_of(m2) == "review");
  std::string minh = student_of(m1), dup = student_of(m2);
  std::string minh_item = sql_value("select id from review_item where kind = 'match' and status = 'open'");
  REQUIRE(!minh_item.empty());

  // Match (with hubctl): the new record joins the candidate; its id redirects to the survivor.
  std::string changes = count_rows("change_log");
  auto yes = hubctl({"review", "decide", minh_item, "match"});
  REQUIRE(yes.exit_code == 0);
  CHECK(sql_value("select merged_into::text from golden_record where id = '" + dup + "'") == minh);
  CHECK(count_rows("source_link where record_id = '" + minh + "'") == "2");
  CHECK(count_rows("change_log where op = 'merge' and record_id = '" + dup + "'") == "1");
  CHECK(std::stoi(count_rows("change_log")) == std::stoi(changes) + 2);
  auto redirect = get(hub.url("/v1/records/student/" + dup), ops);
  CHECK(redirect.status == 308);
  CHECK(redirect.headers["location"] == "/v1/records/student/" + minh);
  // The partner's next update of TS-3 now lands on the survivor.
  auto update = call(hub, "POST", "/v1/ingest/admissions", adm, admission("TS-3", "Tran Van Minh", "20/07/2014", "031214000404"));
  CHECK(student_of(update) == minh);

  // Unmerge: both come back with their own source links, and the pair is "not a match".
  auto un = call(hub, "POST", "/v1/admin/records/" + dup + ":unmerge", ops);
  REQUIRE(un.status == 200);
  CHECK(sql_value("select coalesce(merged_into::text, 'none') from golden_record where id = '" + dup + "'") == "none");
  CHECK(sql_value("select record_id::text from source_link l join partner p on p.id = l.partner_id"
                  " where p.name = 'demo-admissions' and l.entity = 'student' and l.source_id = 'TS-3'") == dup);
  CHECK(sql_value("select record_id::text from source_link l join partner p on p.id = l.partner_id"
                  " where p.name = 'demo-admissions' and l.entity = 'student' and l.source_id = 'TS-2'") == minh);
  CHECK(count_rows("change_log where op = 'unmerge' and record_id = '" + dup + "'") == "1");
  CHECK(count_rows("match_exclusion") == "2");
  CHECK(get(hub.url("/v1/records/student/" + dup), ops).status == 200);
  auto twice = call(hub, "POST", "/v1/admin/records/" + dup + ":unmerge", ops);
  CHECK(twice.status == 409);
  CHECK(std::string(parse_json(twice.body)["code"].GetString()) == "merge.not_merged");
  CHECK(call(hub, "POST", "/v1/admin/records/not-a-uuid:merge", ops, R"({"into": "x"})").status == 400);

  // Merge by hand (hubctl) and the audit trail.
  auto merged = hubctl({"merge", dup, "--into", minh});
  CHECK(merged.exit_code == 0);
  CHECK(sql_value("select merged_into::text from golden_record where id = '" + dup + "'") == minh);
  CHECK(count_rows("audit_log where action in ('review.decide', 'record.merge', 'record.unmerge')") == "5");
  // Merges and unmerges moved blocking keys between records: still one row per (key, record).
  CHECK(count_rows("(select 1 from match_block group by entity, block, record_id having count(*) > 1) d") == "0");
  CHECK(count_rows("match_block where record_id = '" + minh + "'") != "0");
  CHECK(dangling_rows() == "0");
}

TEST_CASE("resolve merge: the higher-ranked source value survives per field and ties go by recency", "[db][resolve]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto [ops, adm, trn] = demo_partners(hub);

  // The transcript platform first (no diacritics, 12 Nov), then the admissions portal (11 Dec:
  // day and month swapped) with another valid ID: a review item; the survivor is the
  // transcript platform's record, the lower-ranked source for name and birth date.
  auto t = call(hub, "POST", "/v1/ingest/transcripts", trn, transcript("HB-7", "Le Hoang Nam", "2014-11-12", "031214000777"));
  auto a = call(hub, "POST", "/v1/ingest/admissions", adm, admission("TS-7", "Lê Hoàng Nam", "11/12/2014", "031214000778"));
  REQUIRE(status_of(a) == "review");
  std::string survivor = student_of(t), merged = student_of(a);
  std::string item = sql_value("select id from review_item where kind = 'match' and status = 'open'");
  REQUIRE(sql_value("select candidate_id::text from review_item where id = " + item) == survivor);

  REQUIRE(hubctl({"review", "decide", item, "match"}).exit_code == 0);
  REQUIRE(sql_value("select merged_into::text from golden_record where id = '" + merged + "'") == survivor);
  auto field = [&](const std::string& f) {
    return sql_value("select data->>'" + f + "' from golden_record where id = '" + survivor + "'");
  };
  auto from = [&](const std::string& f) {
    return sql_value("select field_lineage(lineage, '" + f + "')->>'partner' from golden_record where id = '" + survivor + "'");
  };
  // survivorship: full_name and birth_date rank demo-admissions first.
  CHECK(field("full_name") == "Lê Hoàng Nam");
  CHECK(from("full_name") == "demo-admissions");
  CHECK(field("birth_date") == "2014-12-11");
  // personal_id is ranked for nobody: the more recent batch (admissions) wins.
  CHECK(field("personal_id") == "031214000778");
  CHECK(from("personal_id") == "demo-admissions");

  // Unmerge gives the survivor back its own sources' values.
  REQUIRE(hubctl({"unmerge", merged}).exit_code == 0);
  CHECK(field("full_name") == "Le Hoang Nam");
  CHECK(field("birth_date") == "2014-11-12");
  CHECK(field("personal_id") == "031214000777");
}

namespace {

// The stored lineage's shape (hub/model/lineage.h): "compact" when it is an array of source
// entries, each with its fields, and no field named by two entries; else what it is.
std::string lineage_shape(const std::string& id) {
  return sql_value(
      "select case when jsonb_typeof(lineage) <> 'array' then jsonb_typeof(lineage)"
      " when exists (select 1 from jsonb_array_elements(lineage) e where jsonb_typeof(e->'fields') is distinct from 'array')"
      "   then 'array with per-field objects'"
      " when (select count(*) from jsonb_array_elements(lineage) e, jsonb_array_elements_text(e->'fields') f)"
      "   <> (select count(distinct f) from jsonb_array_elements(lineage) e, jsonb_array_elements_text(e->'fields') f)"
      "   then 'a field in two entries'"
      " else 'compact' end from golden_record where id = '" + id + "'");
}

// The (partner, source record) of one field's value, read from the stored compact entries.
std::string stored_source(const std::string& id, const std::string& field) {
  return sql_value("select e->>'partner' || ' ' || (e->>'source_id') from golden_record g,"
                   " jsonb_array_elements(g.lineage) e where g.id = '" + id + "' and e->'fields' ? '" + field + "'");
}

}  // namespace

// A merge edits lineage per field; guards against it storing that per-field object (or a
// mixture) instead of the compact entries the write path stores, which costs the bytes the
// compact shape saves and leaves the fields' sources to the readers' fallbacks.
TEST_CASE("a review merge and its unmerge store the lineage compact and name each field's source", "[db][resolve]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto [ops, adm, trn] = demo_partners(hub);
  auto t = call(hub, "POST", "/v1/ingest/transcripts", trn, transcript("HB-7", "Le Hoang Nam", "2014-11-12", "031214000777"));
  auto a = call(hub, "POST", "/v1/ingest/admissions", adm, admission("TS-7", "Lê Hoàng Nam", "11/12/2014", "031214000778"));
  REQUIRE(status_of(a) == "review");
  const std::string survivor = student_of(t), merged = student_of(a);
  REQUIRE(lineage_shape(survivor) == "compact");
  const std::string item = sql_value("select id from review_item where kind = 'match' and status = 'open'");

  REQUIRE(call(hub, "POST", "/v1/admin/review/" + item, ops, R"({"decision": "match"})").status == 200);
  CHECK(lineage_shape(survivor) == "compact");
  // Admissions rank first for the name and birth date, and are the more recent batch for the ID.
  CHECK(stored_source(survivor, "full_name") == "demo-admissions TS-7");
  CHECK(stored_source(survivor, "birth_date") == "demo-admissions TS-7");
  CHECK(stored_source(survivor, "personal_id") == "demo-admissions TS-7");
  // A value both sent alike keeps the survivor's source; one only the merged record had comes
  // with its own.
  CHECK(stored_source(survivor, "ethnicity") == "demo-transcripts HB-7");
  CHECK(stored_source(survivor, "address") == "demo-admissions TS-7");
  // Every field of the data has its source, as before the merge.
  CHECK(sql_value("select count(*) from golden_record g, jsonb_object_keys(g.data) k where g.id = '" + survivor +
                  "' and field_lineage(g.lineage, k) is null") == "0");

  REQUIRE(call(hub, "POST", "/v1/admin/records/" + merged + ":unmerge", ops).status == 200);
  CHECK(lineage_shape(survivor) == "compact");
  CHECK(lineage_shape(merged) == "compact");
  CHECK(stored_source(survivor, "full_name") == "demo-transcripts HB-7");
  CHECK(stored_source(merged, "full_name") == "demo-admissions TS-7");
}

namespace {

// The project's mappings with another match threshold for students: with a higher one, the
// pair of records the real rules match goes to review instead.
std::string mappings_matching_at(int threshold) {
  namespace fs = std::filesystem;
  const fs::path src = fs::path(HUB_SOURCE_DIR) / "mappings";
  const fs::path dir = fs::temp_directory_path() / ("hub-review-merge-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "matching");
  for (const char* sub : {"catalogs", "schema", "partners"}) fs::create_directory_symlink(src / sub, dir / sub);
  for (const auto& f : fs::directory_iterator(src / "matching")) fs::copy(f.path(), dir / "matching" / f.path().filename());
  const std::string rules = read_file((src / "matching" / "student.yaml").string());
  std::ofstream(dir / "matching" / "student.yaml")
      << std::regex_replace(rules, std::regex("\\n  match: [0-9]+"), "\n  match: " + std::to_string(threshold));
  return dir.string();
}

// The survivor's fields and, per field, the source (partner and source record) of its value.
std::string golden_state(const std::string& id) {
  return sql_value("select data::text || ' ' || (select jsonb_object_agg(f.key, jsonb_build_array("
                   "f.value->>'partner', f.value->>'source_id')) from jsonb_each(lineage_by_field(lineage)) f)::text"
                   " from golden_record where id = '" + id + "'");
}

}  // namespace

// Survivorship is written once (survivorship.h): guards against a person's merge folding the
// two records differently from the write path matching them (another winner for a field, or a
// value kept with another source's lineage).
TEST_CASE("a review merge and an ingest of the same two records leave the same golden data and lineage",
          "[db][resolve]") {
  const std::string first = transcript("HB-7", "Le Hoang Nam", "2014-11-12", "031214000777");
  // The same name (with diacritics), birth date, gender and school, no personal ID: a match for
  // the real rules, a review item when the threshold is out of reach.
  const std::string second = admission("TS-7", "Lê Hoàng Nam", "12/11/2014", "");
  std::string merged_state;
  {
    reset_database();
    HubProcess hub(std::map<std::string, std::string>{{"HUB_MAPPINGS_DIR", mappings_matching_at(90)}});
    REQUIRE(hub.start());
    auto [ops, adm, trn] = demo_partners(hub);
    auto t = call(hub, "POST", "/v1/ingest/transcripts", trn, first);
    auto a = call(hub, "POST", "/v1/ingest/admissions", adm, second);
    REQUIRE(status_of(a) == "review");
    REQUIRE(hubctl({"merge", student_of(a), "--into", student_of(t)}).exit_code == 0);
    merged_state = golden_state(student_of(t));
  }
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  auto [ops, adm, trn] = demo_partners(hub);
  auto t = call(hub, "POST", "/v1/ingest/transcripts", trn, first);
  auto a = call(hub, "POST", "/v1/ingest/admissions", adm, second);
  INFO(a.body);
  REQUIRE(status_of(a) == "merged");
  REQUIRE(student_of(a) == student_of(t));
  const std::string ingested_state = golden_state(student_of(t));
  CHECK(ingested_state == merged_state);
  // The values the rules decide, not only equal ones: admissions rank first for the name; the
  // personal ID only the transcript sent stays, with its source.
  CHECK(ingested_state.find("\"full_name\": \"Lê Hoàng Nam\"") != std::string::npos);
  CHECK(ingested_state.find("\"full_name\": [\"demo-admissions\", \"TS-7\"]") != std::string::npos);
  CHECK(ingested_state.find("\"personal_id\": [\"demo-transcripts\", \"HB-7\"]") != std::string::npos);
}

// The order of the write path's stages for a doubtful match: resolution says "review", so the
// vendor record is stored as a record of its own with a review item, and survivorship never
// folds it into the candidate. Guards against a review proposal changing the candidate's
// golden data, version or change events before a person decides.
TEST_CASE("a resolution that needs review writes a review item and an outcome, and no change to the candidate",
          "[db][resolve][pipeline]") {
  reset_database();
  HubProcess hub(std::map<std::string, std::string>{{"HUB_MAPPINGS_DIR", mappings_matching_at(90)}});
  REQUIRE(hub.start());
  auto [ops, adm, trn] = demo_partners(hub);
  auto t = call(hub, "POST", "/v1/ingest/transcripts", trn, transcript("HB-7", "Le Hoang Nam", "2014-11-12", "031214000777"));
  const std::string candidate = student_of(t);
  const std::string before = golden_state(candidate);
  auto a = call(hub, "POST", "/v1/ingest/admissions", adm, admission("TS-7", "Lê Hoàng Nam", "12/11/2014", ""));
  INFO(a.body);
  REQUIRE(status_of(a) == "review");
  CHECK(student_of(a) != candidate);
  CHECK(count_rows("review_item where kind = 'match' and status = 'open' and candidate_id = '" + candidate +
                   "' and record_id = '" + student_of(a) + "'") == "1");
  CHECK(count_rows("batch_record where source_id = 'TS-7' and status = 'review'") == "1");
  CHECK(golden_state(candidate) == before);
  CHECK(sql_value("select version from golden_record where id = '" + candidate + "'") == "1");
  CHECK(count_rows("change_log where record_id = '" + candidate + "'") == "1");  // its creation only
}
