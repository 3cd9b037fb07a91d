// The mapping engine on the two shipped sample vendors (golden outputs), its error reports,
// load-time refusals with file:line:column, and atomic reloads that keep the last good version.

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

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
                               {"demo-hr", "staff"}, {"demo-ops", "staff"}}) {
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
  CHECK(ids == std::vector<std::string>{"student:HB-2025-0001", "enrollment:HB-2025-0001",
                                        "subject_result:HB-2025-0001/result/TOAN",
                                        "subject_result:HB-2025-0001/result/NGU_VAN",
                                        "subject_result:HB-2025-0001/result/TIENG_ANH",
                                        "term_summary:HB-2025-0001"});
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
                   "      contact_phone: {from: $.phone, transform: [phone]}\n"
                   "      address: $.addr\n"
                   "      birth_date: {from: $.dob, transform: [{date: dd/mm/yyyy}]}\n");
  INFO((m ? "" : m.error().message));
  REQUIRE(m.ok());
  auto doc = parse(R"({"items": [
      {"id": 1, "name": "  trần   thị\u00a0MAI ", "sex": "Nữ", "pid": "079314000123", "phone": "0912 345 678", "addr": " 12 Lê Lợi ", "dob": "06/05/2014"},
      {"id": 2, "name": 12345, "sex": "không rõ", "pid": "07921400012", "phone": "12ab", "dob": "06/05/2014"}]})");
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
  CHECK(std::string(r.records[0].fields["full_name"].GetString()) == "12345");  // a number as text
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
