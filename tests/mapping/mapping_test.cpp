// The mapping engine on the two shipped sample vendors (golden outputs), its error reports,
// load-time refusals with file:line:column, and atomic reloads that keep the last good version.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hub/inbox/payload.h"
#include "hub/mapping/mapping_registry.h"

using namespace hub;
using namespace hub::mapping;
namespace fs = std::filesystem;

namespace {

const std::string kMappings = std::string(HUB_SOURCE_DIR) + "/mappings";

const LoadContext& context() {
  static const LoadContext kContext = [] {
    auto c = load_context(kMappings);
    REQUIRE(c.ok());
    return c.value();
  }();
  return kContext;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseFullPrecisionFlag>(text.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::shared_ptr<const Mapping> load(const std::string& partner, const std::string& feed) {
  auto m = Mapping::load_file(kMappings + "/partners/" + partner + "/" + feed + ".yaml", context());
  INFO((m ? std::string() : m.error().message));
  REQUIRE(m.ok());
  return m.value();
}

MappingOutput run_sample(const std::string& partner, const std::string& feed, rapidjson::Document& doc) {
  doc = parse(read(kMappings + "/partners/" + partner + "/samples/" + feed + ".json"));
  return load(partner, feed)->run(doc);
}

std::string output_json(const MappingOutput& out) {
  json::JsonWriter w;
  write_output(w, out);
  return w.str();
}

const FieldIssue* find_issue(const RecordResult& r, const std::string& code) {
  for (const auto& i : r.issues)
    if (i.code == code) return &i;
  return nullptr;
}

Result<std::shared_ptr<const Mapping>> compile(const std::string& yaml) {
  return Mapping::load_text(yaml, "test.yaml", context());
}

const char* kHeader =
    "partner: p\nfeed: f\nrecords: $.items[*]\nsource_id: $.id\nemit:\n  - entity: student\n    fields:\n";

}  // namespace

TEST_CASE("the sample vendors map to their expected output", "[mapping]") {
  for (auto [partner, feed] : {std::pair{"demo-admissions", "admissions"}, {"demo-transcripts", "transcripts"},
                               {"demo-hr", "staff"}, {"demo-ops", "staff"}, {"demo-admissions-2", "admissions"},
                               {"demo-hocba", "transcripts"}, {"demo-ops", "classes"},
                               {"demo-ops", "assignments"}, {"demo-ops", "school_events"}}) {
    rapidjson::Document doc;
    auto out = run_sample(partner, feed, doc);
    auto actual = parse(output_json(out));
    actual.RemoveMember("mapping_version");
    auto expected = parse(read(kMappings + "/partners/" + partner + "/samples/" + feed + ".expected.json"));
    INFO(partner << ": regenerate with hubctl mapping run ... | jq 'del(.mapping_version)' if the change is intended");
    CHECK(actual == expected);
  }
}

TEST_CASE("admissions: clean - dirty and doubtful records each get their own result", "[mapping]") {
  rapidjson::Document doc;
  auto out = run_sample("demo-admissions", "admissions", doc);
  REQUIRE(out.results.size() == 7);
  CHECK(out.mapping_version.rfind("1#", 0) == 0);

  // A clean record: two canonical records, the application pointing at the student.
  const auto& ok = out.results[0];
  CHECK(ok.status == RecordStatus::kMapped);
  REQUIRE(ok.records.size() == 2);
  const auto& student = ok.records[0].fields;
  CHECK(std::string(student["full_name"].GetString()) == "Nguyễn Văn An");  // "nguyễn  văn AN"
  CHECK(std::string(student["gender"].GetString()) == "M");                 // "Nam"
  CHECK(std::string(student["ethnicity"].GetString()) == "01");             // "Kinh"
  CHECK(std::string(student["contact_phone"].GetString()) == "0912345678");
  // Old commune 11320 (Hoàng Văn Thụ) went whole into today's 11311 (Hồng Bàng).
  CHECK(std::string(student["residence_commune"].GetString()) == "11311");
  const auto& app = ok.records[1].fields;
  CHECK(std::string(app["student"]["$ref"].GetString()) == "student");
  CHECK(app["total_score"].GetDouble() == 27.5);  // "27,5"
  CHECK(std::string(app["application_date"].GetString()) == "2025-06-02");

  // 31/02 is an error with the exact place, not a guess.
  const auto* impossible = find_issue(out.results[1], "date.impossible");
  REQUIRE(impossible);
  CHECK(out.results[1].status == RecordStatus::kRejected);
  CHECK(impossible->path == "$['hoSo'][1]['ngaySinh']");
  CHECK(impossible->field == "birth_date");
  CHECK(impossible->value == "31/02/2014");
  CHECK_FALSE(impossible->message_vi.empty());

  // A split commune goes to review with its candidates; an ID that says "girl" for a boy is an error.
  const auto* split = find_issue(out.results[2], "catalog.crosswalk_partial");
  REQUIRE(split);
  CHECK(split->review);
  CHECK(split->message.find("11311") != std::string::npos);
  const auto* gender = find_issue(out.results[2], "personal_id.gender_mismatch");
  REQUIRE(gender);
  CHECK(gender->value == "031*******99");  // masked
  CHECK(out.results[2].status == RecordStatus::kRejected);
  CHECK(out.results[3].status == RecordStatus::kReview);  // only the split commune

  CHECK(out.results[4].status == RecordStatus::kRejected);
  CHECK(find_issue(out.results[4], "record.source_id_missing"));

  // Several problems in one record are all reported, none echoes a personal ID.
  const auto& bad = out.results[5];
  for (const char* code : {"catalog.not_found", "personal_id.format", "phone.format", "number.out_of_range"})
    CHECK(find_issue(bad, code));
  for (const auto& i : bad.issues) CHECK(i.value.find("031214") == std::string::npos);

  // NFD input and a minority ethnic group's name variant.
  const auto& nfd = out.results[6];
  CHECK(nfd.status == RecordStatus::kMapped);
  CHECK(std::string(nfd.records[0].fields["full_name"].GetString()) == "Nguyễn Thùy Linh");
  CHECK(std::string(nfd.records[0].fields["ethnicity"].GetString()) == "08");  // H'Mông
}

TEST_CASE("transcripts: nested results become child records with stable source ids", "[mapping]") {
  rapidjson::Document doc;
  auto out = run_sample("demo-transcripts", "transcripts", doc);
  const auto& r = out.results[0];
  CHECK(r.status == RecordStatus::kMapped);
  std::vector<std::string> ids;
  for (const auto& rec : r.records) ids.push_back(rec.entity + ":" + rec.source_id);
  // Results are keyed by subject and term, summaries by term: HK2 never takes HK1's source id.
  // The enrollment is keyed by school and school year: a transfer is a second enrollment.
  CHECK(ids == std::vector<std::string>{"student:HB-2025-0001", "enrollment:HB-2025-0001/enrollment/HP-THCS-0012/2025-2026",
                                        "subject_result:HB-2025-0001/result/TOAN/HK1",
                                        "subject_result:HB-2025-0001/result/NGU_VAN/HK1",
                                        "subject_result:HB-2025-0001/result/TIENG_ANH/HK1",
                                        "term_summary:HB-2025-0001/term_summary/HK1"});
  CHECK(std::string(r.records[4].fields["subject"].GetString()) == "NGOAI_NGU_1");  // recoded
  CHECK(std::string(r.records[1].fields["status"].GetString()) == "DANG_HOC");
  // QĐ 121/1979 code 06 is Mường, which is 04 in the canonical QĐ 1019/2008 numbering.
  CHECK(std::string(out.results[1].records[0].fields["ethnicity"].GetString()) == "04");
  // Transferred in on 3 March: enrolled from 3 March.
  CHECK(std::string(out.results[1].records[1].fields["valid_from"].GetString()) == "2026-03-03");
  const auto* score = find_issue(out.results[1], "score.out_of_range");
  REQUIRE(score);
  CHECK(score->path == "$['students'][1]['results'][0]['score']");
}

TEST_CASE("staff: the HR register's hand-typed names - dates and labels - and its bad records", "[mapping]") {
  rapidjson::Document doc;
  auto out = run_sample("demo-hr", "staff", doc);
  REQUIRE(out.results.size() == 8);
  auto field = [&](std::size_t i, const char* name) -> std::string {
    const auto& f = out.results[i].records.at(0).fields;
    return f.HasMember(name) && f[name].IsString() ? f[name].GetString() : "(none)";
  };
  const auto& ha = out.results[0];
  CHECK(ha.status == RecordStatus::kMapped);
  CHECK(ha.records.at(0).entity == "staff");
  CHECK(ha.source_id == "NS-0001");
  CHECK(field(0, "birth_date") == "1985-03-12");  // dd/mm/yyyy
  CHECK(field(0, "gender") == "F");               // "Nữ"
  CHECK(field(0, "staff_group") == "GV");         // "Giáo viên"
  CHECK(field(0, "contract_type") == "VIEN_CHUC");
  CHECK(field(0, "qualification") == "DAI_HOC");
  CHECK(field(0, "main_subject") == "TOAN");
  CHECK(field(0, "professional_title_code") == "V.07.04.31");  // "v.07.04.31"
  CHECK(field(0, "position") == "Tổ trưởng chuyên môn");      // two spaces
  CHECK(field(0, "school") == "HP-THCS-0012");
  CHECK(field(0, "email") == "Ha.NTT@thcslechan.edu.vn");
  CHECK(field(0, "social_insurance_number") == "3112345678");

  // NFD from a Mac client, upper and lower case mixed, d/m/yyyy without leading zeros.
  CHECK(out.results[1].status == RecordStatus::kMapped);
  CHECK(field(1, "full_name") == "Trần Văn Minh");
  CHECK(field(1, "birth_date") == "1975-07-05");
  CHECK(field(1, "staff_group") == "CBQL");
  CHECK(field(1, "phone") == "0903222333");
  // An old import without diacritics: kept as sent (matching folds names; survivorship prefers
  // a spelling with diacritics from the register), dd-mm-yyyy, "nu", a subject's short name.
  CHECK(out.results[2].status == RecordStatus::kMapped);
  CHECK(field(2, "full_name") == "Tran Thi Lan");
  CHECK(field(2, "birth_date") == "1990-05-20");
  CHECK(field(2, "gender") == "F");
  CHECK(field(2, "main_subject") == "NGU_VAN");  // "Văn"
  CHECK(field(3, "main_subject") == "NGOAI_NGU_1");  // "Ngoại ngữ"
  // A blank personal ID is no personal ID, not an error.
  CHECK(out.results[4].status == RecordStatus::kMapped);
  CHECK(field(4, "personal_id") == "(none)");
  CHECK(field(4, "staff_group") == "NV");

  // A mistyped personal ID (its birth-year digits say 1986, the birth date 1988): rejected, masked.
  const auto& typo = out.results[6];
  CHECK(typo.status == RecordStatus::kRejected);
  const auto* year = find_issue(typo, "personal_id.birth_year_mismatch");
  REQUIRE(year);
  CHECK(year->value == "031*******55");
  CHECK(year->message.find("1986") != std::string::npos);
  for (const auto& i : typo.issues) CHECK(i.value.find("031186005555") == std::string::npos);

  // A bad record: every problem is reported with its place, none of them guessed.
  const auto& bad = out.results[7];
  CHECK(bad.status == RecordStatus::kRejected);
  const auto* date = find_issue(bad, "date.impossible");
  REQUIRE(date);
  CHECK(date->path == "$['nhanSu'][7]['ngaySinh']");
  CHECK(date->value == "31/04/1980");
  const auto* group = find_issue(bad, "value.unmapped");
  REQUIRE(group);
  CHECK(group->field == "staff_group");
  CHECK(find_issue(bad, "email.format"));
}

TEST_CASE("staff: the sector database export - codes of its own and a bad record", "[mapping]") {
  rapidjson::Document doc;
  auto out = run_sample("demo-ops", "staff", doc);
  REQUIRE(out.results.size() == 5);
  const auto& ha = out.results[0];
  CHECK(ha.status == RecordStatus::kMapped);
  const auto& f = ha.records.at(0).fields;
  CHECK(std::string(f["gender"].GetString()) == "F");  // 2 in the education database's codes
  CHECK(std::string(f["moet_staff_code"].GetString()) == "GV31-0012-001");
  CHECK(std::string(f["full_name"].GetString()) == "Nguyen Thi Thu Ha");
  CHECK_FALSE(f.HasMember("personal_id"));
  CHECK(std::string(out.results[1].records.at(0).fields["gender"].GetString()) == "M");  // 1
  const auto& bad = out.results[4];
  CHECK(bad.status == RecordStatus::kRejected);
  CHECK(find_issue(bad, "date.impossible"));  // 1992-13-01
  CHECK(find_issue(bad, "schema.not_in_enum"));  // NGHI_PHEP is no employment status
}

TEST_CASE("a wrong mapping is refused with file:line:column and the reason", "[mapping]") {
  auto expect_error = [](const std::string& body, const std::string& where, const std::string& what) {
    auto m = compile(std::string(kHeader) + body);
    REQUIRE_FALSE(m.ok());
    INFO(m.error().message);
    CHECK(m.error().message.find(where) != std::string::npos);
    CHECK(m.error().message.find(what) != std::string::npos);
  };
  expect_error("      full_nam: $.a\n", "test.yaml:8:17", "'full_nam' is not a field of the canonical student");
  expect_error("      full_name: {from: $.a, transform: [trimm]}\n", "test.yaml:8:42", "unknown transform 'trimm'");
  expect_error("      gender: {from: $.g, catalog: genders}\n", "test.yaml:8:36", "unknown catalog 'genders'");
  expect_error("      full_name: $.a[?@.x ==]\n", "test.yaml:8:18", "invalid JSONPath");
  expect_error("      full_name: {frm: $.a}\n", "test.yaml:8:19", "unknown key 'frm'");
  expect_error("      ethnicity: {from: $.e, code_system: qd999}\n", "test.yaml:8", "no code system 'qd999'");
  expect_error("      gender: {from: $.g, crosswalk: true}\n", "test.yaml:8", "crosswalk applies to the commune catalog only");
  expect_error("      birth_date: {from: $.d, transform: [{date: dd/qq/yyyy}]}\n", "test.yaml:8", "date");
  auto bad_ref = compile("partner: p\nfeed: f\nrecords: $.items[*]\nsource_id: $.id\nemit:\n"
                         "  - entity: admission_application\n    fields:\n      student: {ref: student}\n");
  REQUIRE_FALSE(bad_ref.ok());
  CHECK(bad_ref.error().message.find("ref 'student' names no record emitted before") != std::string::npos);
  CHECK_FALSE(compile("partner: p\nfeed: [\n").ok());
  CHECK_FALSE(compile("partner: p\nfeed: f\n").ok());  // records, source_id, emit missing
}

TEST_CASE("conditions - defaults - constants and blank values", "[mapping]") {
  auto m = compile(std::string(kHeader) +
                   "      full_name: {from: $.name, default: Chưa rõ}\n"
                   "      birth_date: {from: $.dob, transform: [{date: [dd/mm/yyyy, iso]}]}\n"
                   "      gender: {from: $.sex, transform: [{map: {Nam: M, Nữ: F}}], catalog: gender, by: code}\n"
                   "      nationality: {value: VN, when: {path: $.foreign, exists: false}}\n");
  INFO((m ? "" : m.error().message));
  REQUIRE(m.ok());
  auto doc = parse(R"({"items": [
      {"id": 1, "name": "  ", "dob": "2014-05-06", "sex": "NỮ"},
      {"id": 2, "name": "B", "dob": "06/05/2014", "sex": "Nam", "foreign": true},
      {"id": 3, "name": "C", "dob": "06/05/2014", "sex": "khác"},
      "not an object"]})");
  auto out = m.value()->run(doc);
  REQUIRE(out.results.size() == 4);
  const auto& a = out.results[0].records[0].fields;
  CHECK(std::string(a["full_name"].GetString()) == "Chưa rõ");  // blank -> default
  CHECK(std::string(a["gender"].GetString()) == "F");
  CHECK(std::string(a["nationality"].GetString()) == "VN");
  CHECK(out.results[0].source_id == "1");
  const auto& b = out.results[1].records[0].fields;
  CHECK(std::string(b["birth_date"].GetString()) == "2014-05-06");
  CHECK_FALSE(b.HasMember("nationality"));
  CHECK(out.results[2].status == RecordStatus::kRejected);
  CHECK(find_issue(out.results[2], "value.unmapped"));
  CHECK(find_issue(out.results[3], "record.not_object"));

  auto empty = parse(R"({"other": []})");
  auto none = m.value()->run(empty);
  REQUIRE(none.document_error);
  CHECK(none.document_error->code == "mapping.no_records");
}

// Constants that pass the schema are checked once at load; one that does not is still reported
// on every record.
TEST_CASE("a constant the schema refuses is reported on every record", "[mapping]") {
  auto m = compile(std::string(kHeader) +
                   "      full_name: $.name\n"
                   "      birth_date: {value: 2014-05-06}\n"
                   "      gender: {value: F}\n"
                   "      area: {value: \"7\"}\n"
                   "      father_birth_year: {value: 1980}\n");
  INFO((m ? "" : m.error().message));
  REQUIRE(m.ok());
  auto doc = parse(R"({"items": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]})");
  auto out = m.value()->run(doc);
  REQUIRE(out.results.size() == 2);
  for (const auto& r : out.results) {
    const FieldIssue* i = find_issue(r, "schema.not_in_enum");
    REQUIRE(i);
    CHECK(i->field == "area");
    CHECK(r.records[0].fields["father_birth_year"].GetInt64() == 1980);
  }
}

// Text is read where it lies in the parsed document (catalog fields, fields without steps, a
// pipeline's first text step); what a partner sees on an error must not change with that.
TEST_CASE("errors show the vendor's value - masked when personal - whichever path read it", "[mapping]") {
  auto m = compile(std::string(kHeader) +
                   "      full_name: {from: $.name, transform: [normalize, name_case]}\n"
                   "      gender: {from: $.sex, catalog: gender, by: name}\n"
                   "      personal_id: $.pid\n"
                   "      father_occupation: {from: $.job, transform: [normalize]}\n"
                   "      contact_phone: {from: $.phone, transform: [phone]}\n"
                   "      address: $.addr\n"
                   "      birth_date: {from: $.dob, transform: [{date: dd/mm/yyyy}]}\n");
  INFO((m ? "" : m.error().message));
  REQUIRE(m.ok());
  auto doc = parse(R"({"items": [
      {"id": 1, "name": "  trần   thị\u00a0MAI ", "sex": "Nữ", "pid": "079314000123", "phone": "0912 345 678", "addr": " 12 Lê Lợi ", "dob": "06/05/2014"},
      {"id": 2, "name": "Trần Mai", "job": 12345, "sex": "không rõ", "pid": "07921400012", "phone": "12ab", "dob": "06/05/2014"}]})");
  auto out = m.value()->run(doc);
  REQUIRE(out.results.size() == 2);
  const auto& a = out.results[0].records[0].fields;
  std::string issues;
  for (const auto& i : out.results[0].issues) issues += i.code + " " + i.field + ": " + i.message + "\n";
  INFO(issues);
  CHECK(out.results[0].status == RecordStatus::kMapped);
  CHECK(std::string(a["full_name"].GetString()) == "Trần Thị Mai");
  CHECK(std::string(a["gender"].GetString()) == "F");
  CHECK(std::string(a["contact_phone"].GetString()) == "0912345678");
  CHECK(std::string(a["address"].GetString()) == " 12 Lê Lợi ");  // no steps: as sent

  const auto& r = out.results[1];
  CHECK(r.status == RecordStatus::kRejected);
  CHECK(std::string(r.records[0].fields["father_occupation"].GetString()) == "12345");  // a number as text
  const auto* sex = find_issue(r, "catalog.not_found");
  REQUIRE(sex);
  CHECK(sex->value == "không rõ");
  CHECK(sex->path == "$['items'][1]['sex']");
  const auto* pid = find_issue(r, "personal_id.format");
  REQUIRE(pid);
  CHECK(pid->value.find("0792140") == std::string::npos);  // masked
  const auto* phone = find_issue(r, "phone.format");
  REQUIRE(phone);
  CHECK(phone->value == "****");  // a phone is personal: masked, by length
  CHECK(phone->path == "$['items'][1]['phone']");
}

TEST_CASE("many threads can run one mapping at once", "[mapping]") {
  rapidjson::Document doc;
  auto expected = output_json(run_sample("demo-admissions", "admissions", doc));
  auto m = load("demo-admissions", "admissions");
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(4);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) outputs[t] = output_json(m->run(doc));
    });
  for (auto& t : threads) t.join();
  for (const auto& o : outputs) CHECK(o == expected);
}

TEST_CASE("reload swaps mappings atomically and keeps the last good version", "[mapping]") {
  auto dir = fs::temp_directory_path() / ("hub-mappings-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "partners" / "demo-admissions");
  fs::create_directory_symlink(kMappings + "/catalogs", dir / "catalogs");
  fs::create_directory_symlink(kMappings + "/schema", dir / "schema");
  auto file = dir / "partners" / "demo-admissions" / "admissions.yaml";
  fs::copy_file(kMappings + "/partners/demo-admissions/admissions.yaml", file);

  MappingRegistry registry(dir.string());
  auto first = registry.reload();
  CHECK(first.errors.empty());
  CHECK(first.mappings_loaded == 1);
  auto before = registry.current();
  auto good = before->find("demo-admissions", "admissions");
  REQUIRE(good);

  // A broken edit: the reload reports it, and the previous version keeps running.
  std::ofstream(file, std::ios::app) << "\n      bogus_field: $.x\n";
  auto broken = registry.reload();
  REQUIRE(broken.errors.size() == 1);
  CHECK(broken.errors[0].message.find("admissions.yaml:") != std::string::npos);
  auto after = registry.current();
  CHECK(after->find("demo-admissions", "admissions")->version() == good->version());
  CHECK(after->generation == before->generation + 1);

  // A mapping in the wrong folder is refused.
  fs::create_directories(dir / "partners" / "someone-else");
  fs::copy_file(kMappings + "/partners/demo-transcripts/transcripts.yaml",
                dir / "partners" / "someone-else" / "transcripts.yaml");
  auto misplaced = registry.reload();
  CHECK(misplaced.errors.size() == 2);
  CHECK_FALSE(registry.current()->find("someone-else", "transcripts"));

  // The snapshot taken before any reload still works for whoever holds it.
  rapidjson::Document doc = parse(read(kMappings + "/partners/demo-admissions/samples/admissions.json"));
  CHECK(good->run(doc).results.size() == 7);
  fs::remove_all(dir);
}

namespace {

// A student emit with the fields the canonical schema requires, plus `rest`.
const char* kStudent =
    "partner: p\nfeed: f\nrecords: $.items[*]\nsource_id: $.id\nemit:\n"
    "  - entity: student\n    as: student\n    fields:\n"
    "      full_name: $.name\n      birth_date: {from: $.dob, transform: [{date: iso}]}\n"
    "      gender: {from: $.sex, catalog: gender, by: code}\n";

// Subject results of the student, exploded from $.results[*] with the given key line.
std::string results_emit(const std::string& key_line) {
  return "  - entity: subject_result\n    as: result\n    foreach: $.results[*]\n" + key_line +
         "    fields:\n      student: {ref: student}\n      school_year: $root.year\n"
         "      term: $.term\n      assessment_framework: $root.framework\n"
         "      subject: {from: $.subject, catalog: subject, by: code}\n"
         "      score: {from: $.score, transform: [score]}\n";
}

const char* kTwoTerms = R"({"year": "2025-2026", "framework": "TT22", "items": [
    {"id": "HS1", "name": "Lê Bình", "dob": "2014-01-05", "sex": "M", "results": [
      {"subject": "TOAN", "term": "HK1", "score": 8},
      {"subject": "NGU_VAN", "term": "HK1", "score": 7},
      {"subject": "TOAN", "term": "HK2", "score": 9}]}]})";

std::shared_ptr<const Mapping> compiled(const std::string& yaml) {
  auto m = compile(yaml);
  INFO((m ? "" : m.error().message));
  REQUIRE(m.ok());
  return m.value();
}

}  // namespace

// Regression: with `key: $.subject`, HK1 and HK2 of one subject became two canonical records
// with one source id; the store kept one link and a resend overwrote HK2 with HK1's score.
TEST_CASE("children sharing a source id reject their vendor record instead of overwriting", "[mapping]") {
  auto doc = parse(kTwoTerms);
  auto by_subject = compiled(std::string(kStudent) + results_emit("    key: $.subject\n"))->run(doc);
  const auto& r = by_subject.results.at(0);
  CHECK(r.status == RecordStatus::kRejected);
  const auto* dup = find_issue(r, "record.duplicate_key");
  REQUIRE(dup);
  CHECK(dup->entity == "subject_result");
  CHECK(dup->path == "$['items'][0]['results'][2]");
  CHECK(dup->message.find("$['items'][0]['results'][0]") != std::string::npos);  // both elements named
  CHECK(dup->value == "HS1/result/TOAN");
  CHECK_FALSE(dup->message_vi.empty());

  // Keyed by subject and term, both scores are kept, each under its own source id.
  auto by_term = compiled(std::string(kStudent) + results_emit("    key: [$.subject, $.term]\n"))->run(doc);
  const auto& ok = by_term.results.at(0);
  CHECK(ok.status == RecordStatus::kMapped);
  std::vector<std::string> ids;
  for (const auto& rec : ok.records)
    if (rec.entity == "subject_result") ids.push_back(rec.source_id + "=" + std::to_string(rec.fields["score"].GetDouble()));
  CHECK(ids == std::vector<std::string>{"HS1/result/TOAN/HK1=8.000000", "HS1/result/NGU_VAN/HK1=7.000000",
                                        "HS1/result/TOAN/HK2=9.000000"});
}

TEST_CASE("a key part the element does not have rejects the record", "[mapping]") {
  auto doc = parse(R"({"year": "2025-2026", "framework": "TT22", "items": [
      {"id": "HS1", "name": "Lê Bình", "dob": "2014-01-05", "sex": "M", "results": [
        {"subject": "TOAN", "term": "HK1", "score": 8}, {"subject": "TOAN", "score": 9}]}]})");
  auto out = compiled(std::string(kStudent) + results_emit("    key: [$.subject, $.term]\n"))->run(doc);
  const auto& r = out.results.at(0);
  CHECK(r.status == RecordStatus::kRejected);
  const auto* missing = find_issue(r, "record.key_missing");
  REQUIRE(missing);
  CHECK(missing->path == "$['items'][0]['results'][1]['term']");
  CHECK(missing->message.find("$.term") != std::string::npos);
}

// Guards: an enrollment whose source id is the vendor's student id alone, so the platform's
// record of the student at a new school after a transfer overwrote the old school's enrollment
// and the 30 September snapshot showed the new school.
TEST_CASE("a key without foreach: one record per school and year of the vendor's student", "[mapping]") {
  auto m = compiled(std::string(kStudent) +
                    "  - entity: enrollment\n    key: [$root.school, $root.year]\n"
                    "    fields:\n      student: {ref: student}\n      school: $root.school\n"
                    "      school_year: $root.year\n      grade: {from: $.grade, catalog: grade, by: code}\n"
                    "      status: {value: DANG_HOC}\n      valid_from: {from: $.from, transform: [{date: iso}]}\n");
  auto at = [&](const std::string& school) {
    std::string school_member = school.empty() ? "" : "\"school\": \"" + school + "\", ";
    return parse("{" + school_member + R"("year": "2025-2026", "items": [{"id": "HS1", "name": "Lê Bình",
        "dob": "2014-01-05", "sex": "M", "grade": "6", "from": "2025-09-05"}]})");
  };
  auto ids = [&](const std::string& school) {
    auto doc = at(school);
    auto out = m->run(doc);
    const auto& r = out.results.at(0);
    CHECK(r.status == RecordStatus::kMapped);
    std::vector<std::string> got;
    for (const auto& rec : r.records) got.push_back(rec.entity + ":" + rec.source_id);
    return got;
  };
  // The same student id at two schools: one student, two enrollments.
  CHECK(ids("HP-THCS-0012") == std::vector<std::string>{"student:HS1", "enrollment:HS1/enrollment/HP-THCS-0012/2025-2026"});
  CHECK(ids("HP-THCS-0007") == std::vector<std::string>{"student:HS1", "enrollment:HS1/enrollment/HP-THCS-0007/2025-2026"});

  // No school in the document: rejected, not keyed by what is left.
  auto doc = at("");
  auto out = m->run(doc);
  const auto& r = out.results.at(0);
  CHECK(r.status == RecordStatus::kRejected);
  const auto* missing = find_issue(r, "record.key_missing");
  REQUIRE(missing);
  CHECK(missing->path == "$['school']");
  CHECK(missing->message.find("$root.school") != std::string::npos);

  // $path names a foreach element's members: a key without foreach cannot read it.
  auto element_path = compile(std::string(kStudent) +
                              "  - entity: enrollment\n    key: ['$path[0]']\n    fields:\n"
                              "      student: {ref: student}\n      school: $root.school\n      school_year: $root.year\n"
                              "      grade: {value: '6'}\n      status: {value: DANG_HOC}\n      valid_from: {value: '2025-09-05'}\n");
  REQUIRE_FALSE(element_path.ok());
  CHECK(element_path.error().message.find("only in an emit with foreach") != std::string::npos);
}

TEST_CASE("$path reads the member names that lead to each element", "[mapping]") {
  auto m = compiled(std::string(kStudent) +
                    "  - entity: subject_result\n    as: result\n    foreach: $.grades.*.*\n"
                    "    key:\n      - $path[1]\n      - $path[-1]\n"
                    "    fields:\n      student: {ref: student}\n      school_year: $root.year\n"
                    "      term: $path[2]\n      assessment_framework: $root.framework\n"
                    "      subject: {from: '$path[1]', catalog: subject, by: name}\n"
                    "      score: {from: $.d, transform: [score]}\n");
  auto doc = parse(R"({"year": "2025-2026", "framework": "TT22", "items": [
      {"id": "HS1", "name": "Lê Bình", "dob": "2014-01-05", "sex": "M",
       "grades": {"Toán": {"HK1": {"d": "8,5"}, "HK2": {"d": 9}}, "Môn lạ": {"HK1": {"d": 7}}}}]})");
  auto out = m->run(doc);
  const auto& r = out.results.at(0);
  std::vector<std::string> got;
  for (const auto& rec : r.records)
    if (rec.entity == "subject_result")
      got.push_back(rec.source_id + " " + rec.fields["term"].GetString() + " " +
                    (rec.fields.HasMember("subject") ? rec.fields["subject"].GetString() : "-"));
  CHECK(got == std::vector<std::string>{"HS1/result/Toán/HK1 HK1 TOAN", "HS1/result/Toán/HK2 HK2 TOAN",
                                        "HS1/result/Môn lạ/HK1 HK1 -"});
  // An error on a value read from $path points at the member that name belongs to.
  const auto* unknown = find_issue(r, "catalog.not_found");
  REQUIRE(unknown);
  CHECK(unknown->path == "$['items'][0]['grades']['Môn lạ']");
  CHECK(unknown->value == "Môn lạ");
  // $path exists only where there are elements.
  auto outside = compile(std::string(kStudent) + "      religion: $path[0]\n");
  REQUIRE_FALSE(outside.ok());
  CHECK(outside.error().message.find("only in an emit with foreach") != std::string::npos);
}

TEST_CASE("conditions: not_in - regex - prefix and all - any - not - on elements too", "[mapping]") {
  auto m = compiled(std::string(kStudent) +
                    "      nationality: {value: VN, when: {path: $.country, not_in: [LA, KH]}}\n"
                    "      moet_student_code: {from: $.code, when: {path: $.code, regex: '[0-9]{10}'}}\n"
                    "      phone: {from: $.phone, transform: [phone], when: {path: $.phone, prefix: ['09', '03']}}\n"
                    "      area: {from: $.area, when: {all: [{path: $.area, exists: true}, {not: {path: $.area, equals: '0'}}]}}\n"
                    "      religion: {from: $.rel, catalog: religion, by: name, when: {any: [{path: $.rel, equals: Phật giáo}, {path: $.rel, prefix: Công}]}}\n" +
                    results_emit("    key: [$.subject, $.term]\n    when: {all: [{path: $.term, in: [HK1, HK2]}, {not: {path: $.subject, prefix: X}}]}\n"));
  auto doc = parse(R"({"year": "2025-2026", "framework": "TT22", "items": [
      {"id": "A", "name": "Lê Bình", "dob": "2014-01-05", "sex": "M", "country": "VN", "code": "3110012345",
       "phone": "0912345678", "area": "2", "rel": "Phật giáo",
       "results": [{"subject": "TOAN", "term": "HK1", "score": 8}, {"subject": "TOAN", "term": "CN", "score": 8},
                   {"subject": "XYZ", "term": "HK1", "score": 1}]},
      {"id": "B", "name": "Lê Mai", "dob": "2014-01-05", "sex": "F", "country": "LA", "code": "31100",
       "phone": "0212345678", "area": "0", "rel": "Hồi giáo", "results": []}]})");
  auto out = m->run(doc);
  const auto& a = out.results.at(0);
  const auto& b = out.results.at(1);
  INFO(output_json(out));
  CHECK(a.status == RecordStatus::kMapped);
  CHECK(a.records.size() == 2);  // student + the HK1 result only: CN and XYZ are filtered out
  CHECK(a.records[1].source_id == "A/result/TOAN/HK1");
  const auto& fa = a.records[0].fields;
  CHECK(fa.HasMember("nationality"));
  CHECK(fa.HasMember("moet_student_code"));
  CHECK(fa.HasMember("phone"));
  CHECK(std::string(fa["area"].GetString()) == "2");
  CHECK(fa.HasMember("religion"));
  const auto& fb = b.records[0].fields;
  CHECK_FALSE(fb.HasMember("nationality"));        // not_in
  CHECK_FALSE(fb.HasMember("moet_student_code"));  // regex: the whole value must match
  CHECK_FALSE(fb.HasMember("phone"));              // prefix
  CHECK_FALSE(fb.HasMember("area"));               // all + not
  CHECK_FALSE(fb.HasMember("religion"));           // any

  auto refused_deep = compile(std::string(kStudent) +
                              "      area: {from: $.a, when: {not: {not: {not: {not: {not: {not: {not: {not: {not: "
                              "{path: $.a, exists: true}}}}}}}}}}}\n");
  REQUIRE_FALSE(refused_deep.ok());
  CHECK(refused_deep.error().message.find("at most 8 deep") != std::string::npos);
  auto two_tests = compile(std::string(kStudent) + "      area: {from: $.a, when: {path: $.a, equals: '1', prefix: '2'}}\n");
  REQUIRE_FALSE(two_tests.ok());
  CHECK(two_tests.error().message.find("one test per condition") != std::string::npos);
  auto bad_regex = compile(std::string(kStudent) + "      area: {from: $.a, when: {path: $.a, regex: '(('}}\n");
  REQUIRE_FALSE(bad_regex.ok());
  CHECK(bad_regex.error().message.find("I-Regexp") != std::string::npos);
}

// Guards: `required: false` looking like it works while every record is rejected by the schema,
// and a mapping that leaves out a required field passing `mapping check`.
TEST_CASE("required fields: a mapping cannot drop one - nor leave one unmapped", "[mapping]") {
  auto optional = compile(std::string(kStudent) + "      personal_id: {from: $.pid, required: true}\n" +
                          "  - entity: enrollment\n    fields:\n      student: {ref: student}\n"
                          "      school: {from: $.school, required: false}\n      school_year: $root.year\n"
                          "      grade: $.grade\n      status: $.status\n      valid_from: $.from\n");
  REQUIRE_FALSE(optional.ok());
  CHECK(optional.error().message.find("test.yaml:16:") != std::string::npos);
  CHECK(optional.error().message.find("'school' is required by the canonical enrollment schema") != std::string::npos);

  auto unmapped = compile("partner: p\nfeed: f\nrecords: $.items[*]\nsource_id: $.id\nemit:\n"
                          "  - entity: student\n    fields:\n      full_name: $.name\n"
                          "      gender: {from: $.sex, catalog: gender, by: code}\n");
  REQUIRE_FALSE(unmapped.ok());
  CHECK(unmapped.error().message.find("test.yaml:8:") != std::string::npos);
  CHECK(unmapped.error().message.find("requires 'birth_date'") != std::string::npos);

  // `required: true` on an optional field is the vendor's promise, checked on every record.
  auto m = compiled(std::string(kStudent) + "      personal_id: {from: $.pid, required: true}\n");
  auto doc = parse(R"({"items": [{"id": 1, "name": "Lê Bình", "dob": "2014-01-05", "sex": "M"}]})");
  auto out = m->run(doc);
  const auto* req = find_issue(out.results[0], "value.required");
  REQUIRE(req);
  CHECK(req->field == "personal_id");
  // The place where the value should have been, as a normalized path.
  CHECK(req->path == "$['items'][0]['pid']");
}

TEST_CASE("mapping warnings: keys that cannot tell the elements apart", "[mapping]") {
  auto by_subject = compiled(std::string(kStudent) + results_emit("    key: $.subject\n"));
  REQUIRE(by_subject->warnings().size() == 1);
  CHECK(by_subject->warnings()[0].find("test.yaml:15:") == 0);
  CHECK(by_subject->warnings()[0].find("leaves out $.term") != std::string::npos);
  CHECK(compiled(std::string(kStudent) + results_emit("    key: [$.subject, \"$['term']\"]\n"))->warnings().empty());
  auto no_key = compiled(std::string(kStudent) + results_emit(""));
  REQUIRE(no_key->warnings().size() == 1);
  CHECK(no_key->warnings()[0].find("no key") != std::string::npos);
  auto same = compiled(std::string(kStudent) + results_emit("    key: $root.year\n"));
  REQUIRE(same->warnings().size() == 1);
  CHECK(same->warnings()[0].find("same for every element") != std::string::npos);
  CHECK(load("demo-transcripts", "transcripts")->warnings().empty());
  CHECK(load("demo-hocba", "transcripts")->warnings().empty());
}

// Guards: a vendor whose "0" means female read through a code system where "0" means unknown,
// with nobody told.
TEST_CASE("sample warnings: values coded as unknown and children sharing a source id", "[mapping]") {
  std::string text = read(kMappings + "/partners/demo-admissions-2/admissions.yaml");
  auto at = text.find("        transform: [string, {map: {\"0\": F, \"1\": M}}]\n");
  REQUIRE(at != std::string::npos);
  text.replace(at, text.find('\n', at) - at + 1, "        transform: [string]\n        code_system: csdl_gddt\n");
  auto wrong = Mapping::load_text(text, "admissions.yaml", context());
  REQUIRE(wrong.ok());
  rapidjson::Document doc = parse(read(kMappings + "/partners/demo-admissions-2/samples/admissions.json"));
  auto warnings = wrong.value()->sample_warnings(wrong.value()->run(doc));
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("field 'gender': 1 of 4 sample values are coded U") != std::string::npos);
  CHECK(warnings[0].find("0 = U (Chưa có thông tin), 1 = M (Nam), 2 = F (Nữ)") != std::string::npos);
  // The shipped mapping translates the vendor's codes first: nothing to warn about.
  auto right = load("demo-admissions-2", "admissions");
  CHECK(right->sample_warnings(right->run(doc)).empty());

  auto dup = compiled(std::string(kStudent) + results_emit("    key: $.subject\n"));
  auto terms = parse(kTwoTerms);
  auto dup_warnings = dup->sample_warnings(dup->run(terms));
  REQUIRE(dup_warnings.size() == 1);
  CHECK(dup_warnings[0].find("record.duplicate_key") != std::string::npos);
}

TEST_CASE("load errors name what is known: catalogs - and paths in errors are normalized", "[mapping]") {
  auto m = compile(std::string(kHeader) + "      gender: {from: $.g, catalog: genders}\n");
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().message.find("known: admin_crosswalk, admission_result") != std::string::npos);
  CHECK(m.error().message.find("gender, grade") != std::string::npos);
  auto cs = compile(std::string("partner: p\nfeed: f\nrecords: $.items[*]\nsource_id: $.id\n"
                                "code_systems: {genders: x}\nemit: []\n"));
  REQUIRE_FALSE(cs.ok());
  CHECK(cs.error().message.find("known: admin_crosswalk") != std::string::npos);

  // A value that is not there is reported where it should be; a filter has no such place, so
  // the record's own path is given. Both are RFC 9535 normalized paths.
  auto q = compiled(std::string(kStudent) + "      personal_id: {from: \"$.ids[?@.kind == 'cccd'].v\", required: true}\n");
  auto doc = parse(R"({"items": [{"id": 1, "dob": "2014-01-05", "sex": "M", "ids": []}]})");
  auto out = q->run(doc);
  std::map<std::string, std::string> paths;
  for (const auto& i : out.results[0].issues) paths[i.field] = i.path;
  CHECK(paths["full_name"] == "$['items'][0]['name']");
  CHECK(paths["personal_id"] == "$['items'][0]");
}

TEST_CASE("names get the default character check - a mapping may allow more", "[mapping]") {
  auto m = compiled(std::string(kStudent) + "      father_name: {from: $.father, transform: [{person_name: {allow: .}}]}\n"
                                            "      address: $.addr\n");
  auto doc = parse(R"({"items": [
      {"id": 1, "name": "H'Hen Niê", "dob": "2014-01-05", "sex": "F", "father": "Y-Moan T. Ênuôl", "addr": "Số 3 <b>"},
      {"id": 2, "name": "Lê Văn Bình<script>", "dob": "2014-01-05", "sex": "M"}]})");
  auto out = m->run(doc);
  CHECK(out.results[0].status == RecordStatus::kMapped);  // an address is not a name
  CHECK(out.results[1].status == RecordStatus::kRejected);
  const auto* bad = find_issue(out.results[1], "name.invalid_character");
  REQUIRE(bad);
  CHECK(bad->field == "full_name");
  CHECK(bad->path == "$['items'][1]['name']");
  CHECK(bad->value == "Lê Văn Bình<script>");
  CHECK(bad->message.find("'<'") != std::string::npos);
}

TEST_CASE("the second admissions portal: nested - one name field - 0 means female", "[mapping]") {
  rapidjson::Document doc;
  auto out = run_sample("demo-admissions-2", "admissions", doc);
  REQUIRE(out.results.size() == 4);
  const auto& anh = out.results[0];
  CHECK(anh.status == RecordStatus::kMapped);
  const auto& s = anh.records.at(0).fields;
  CHECK(std::string(s["full_name"].GetString()) == "Trần Thị Ngọc Ánh");
  CHECK(std::string(s["family_name"].GetString()) == "Trần");
  CHECK(std::string(s["middle_name"].GetString()) == "Thị Ngọc");
  CHECK(std::string(s["given_name"].GetString()) == "Ánh");
  CHECK(std::string(s["birth_date"].GetString()) == "2010-03-14");  // "2010-03-14T00:00:00+07:00"
  CHECK(std::string(s["gender"].GetString()) == "F");               // "0"
  const auto& a = anh.records.at(1).fields;
  CHECK(std::string(a["target_grade"].GetString()) == "10");  // from the document's header
  CHECK(a["admission_round"].GetInt64() == 1);
  CHECK(std::string(a["application_date"].GetString()) == "2025-06-05");  // "05.06.2025"
  CHECK(std::string(a["wish_1_school"].GetString()) == "HP-THPT-0003");   // thuTu 1, listed second
  CHECK(std::string(a["admitted_school"].GetString()) == "HP-THPT-0003");
  CHECK(std::string(a["result"].GetString()) == "TRUNG_TUYEN");
  const auto& binh = out.results[1];
  CHECK(binh.status == RecordStatus::kMapped);
  CHECK(std::string(binh.records.at(0).fields["gender"].GetString()) == "M");  // the number 1
  CHECK_FALSE(binh.records.at(0).fields.HasMember("middle_name"));             // "lê bình"
  CHECK_FALSE(binh.records.at(1).fields.HasMember("admitted_school"));        // still pending
  const auto& bad = out.results[2];
  CHECK(bad.status == RecordStatus::kRejected);
  for (const char* code : {"name.invalid_character", "date.impossible", "value.unmapped", "score.out_of_range"})
    CHECK(find_issue(bad, code));
}

TEST_CASE("the second transcript platform: results keyed by subject name and term", "[mapping]") {
  rapidjson::Document doc;
  auto out = run_sample("demo-hocba", "transcripts", doc);
  REQUIRE(out.results.size() == 3);
  const auto& ha = out.results[0];
  CHECK(ha.status == RecordStatus::kMapped);
  std::map<std::string, const MappedRecord*> by_id;
  for (const auto& rec : ha.records) by_id[rec.entity + ":" + rec.source_id] = &rec;
  CHECK(by_id.size() == ha.records.size());  // every source id is its own
  const auto* toan_hk2 = by_id["subject_result:NQ-6A7-001/result/Toán/HK2"];
  REQUIRE(toan_hk2);
  CHECK(toan_hk2->fields["score"].GetDouble() == 9);
  CHECK(std::string(toan_hk2->fields["subject"].GetString()) == "TOAN");
  CHECK(std::string(toan_hk2->fields["assessment_framework"].GetString()) == "TT22");  // grade 6
  const auto* gdtc = by_id["subject_result:NQ-6A7-001/result/Giáo dục thể chất/HK1"];
  REQUIRE(gdtc);
  CHECK(std::string(gdtc->fields["rating_tt22"].GetString()) == "3");  // "Đ"
  const auto* year_end = by_id["term_summary:NQ-6A7-001/term_summary/CN"];
  REQUIRE(year_end);
  CHECK(year_end->fields["promoted"].GetBool());
  const auto* enrollment = by_id["enrollment:NQ-6A7-001/enrollment/HP-THCS-0007/2025 - 2026"];
  REQUIRE(enrollment);
  CHECK(std::string(enrollment->fields["grade"].GetString()) == "6");                // "6A7"
  CHECK(std::string(enrollment->fields["valid_from"].GetString()) == "2025-09-05");  // start of 2025-2026
  CHECK(std::string(ha.records[0].fields["gender"].GetString()) == "F");             // gioiTinhNu: true
  CHECK(std::string(out.results[1].records[0].fields["birth_date"].GetString()) == "2013-02-01");  // "1.2.2013"

  const auto& bad = out.results[2];
  CHECK(bad.status == RecordStatus::kRejected);
  const auto* subject = find_issue(bad, "catalog.not_found");
  REQUIRE(subject);
  CHECK(subject->path == "$['hocSinh'][2]['ketQuaHocTap']['Phép thuật']");
  const auto* grade = find_issue(bad, "value.pattern");
  REQUIRE(grade);
  CHECK(grade->path == "$['hocSinh'][2]['lop']");
}

// Guards: an error whose `path` is not an RFC 9535 normalized path ($.a.b, a bare field name, a
// query with wildcards), which a vendor's tools cannot use to find the value they sent. Every
// error of every demo vendor's samples, mapped as a push maps them (and value_path, which the
// dry run uses for references, on every field that has one).
TEST_CASE("every path in the demo samples' errors is an RFC 9535 normalized path", "[mapping][paths]") {
  auto normalized = [](const std::string& path) {
    auto q = jsonpath::Query::parse(path);
    return q.ok() && q.value().singular_path() == path;
  };
  CHECK(normalized("$['hoSo'][1]['ngaySinh']"));
  CHECK_FALSE(normalized("$.hoSo[1].ngaySinh"));
  CHECK_FALSE(normalized("$['hoSo'][*]"));
  CHECK_FALSE(normalized("ngaySinh"));
  std::size_t errors = 0, paths = 0;
  for (const auto& partner : fs::directory_iterator(kMappings + "/partners")) {
    for (const auto& file : fs::directory_iterator(partner.path())) {
      if (file.path().extension() != ".yaml") continue;
      auto m = Mapping::load_file(file.path().string(), context());
      REQUIRE(m.ok());
      const std::string feed = file.path().stem().string();
      for (const auto& sample : fs::directory_iterator(partner.path() / "samples")) {
        std::string name = sample.path().filename().string();
        if (name.rfind(feed, 0) != 0 || name.find(".expected.") != std::string::npos) continue;
        hub::Payload payload;
        REQUIRE(hub::parse_payload(read(sample.path().string()), "application/json", *m.value(), 64, payload).ok());
        for (std::size_t i = 0; i < payload.records.size(); ++i) {
          auto r = hub::map_payload_record(*m.value(), payload.records[i], i);
          INFO(sample.path().string() << " record " << i);
          CHECK(normalized(r.path));
          for (const auto& issue : r.issues) {
            INFO(issue.code << " at '" << issue.path << "'");
            CHECK(normalized(issue.path));
            ++errors;
          }
          const auto& pr = payload.records[i];
          for (const auto& rec : r.records)
            for (const auto& f : rec.fields.GetObject()) {
              std::string p = m.value()->value_path(*pr.root, *pr.value, pr.path, rec, f.name.GetString());
              INFO(rec.entity << "." << f.name.GetString() << " at '" << p << "'");
              CHECK(normalized(p));  // inside its vendor record, or the document's root ($.namHoc)
              ++paths;
            }
        }
      }
    }
  }
  CHECK(errors > 20);
  CHECK(paths > 100);
}

TEST_CASE("value_path names the vendor value of a field - of an exploded child too", "[mapping][paths]") {
  auto m = Mapping::load_file(kMappings + "/partners/demo-hocba/transcripts.yaml", context());
  REQUIRE(m.ok());
  hub::Payload payload;
  REQUIRE(hub::parse_payload(read(kMappings + "/partners/demo-hocba/samples/transcripts.json"), "application/json",
                             *m.value(), 64, payload).ok());
  const auto& pr = payload.records[0];
  auto r = hub::map_payload_record(*m.value(), pr, 0);
  const MappedRecord* hk2 = nullptr;
  for (const auto& rec : r.records)
    if (rec.source_id == "NQ-6A7-001/result/Toán/HK2") hk2 = &rec;
  REQUIRE(hk2);
  std::string p = m.value()->value_path(*pr.root, *pr.value, pr.path, *hk2, "score");
  CHECK(p.find("['Toán']") != std::string::npos);
  CHECK(p.find("HK2") != std::string::npos);
  CHECK(m.value()->value_path(*pr.root, *pr.value, pr.path, r.records[0], "no_such_field") == pr.path);
}
