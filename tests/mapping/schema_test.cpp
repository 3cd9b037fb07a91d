#include <catch2/catch.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "hub/mapping/catalog.h"
#include "hub/mapping/schema.h"

using namespace hub;
using namespace hub::schema;

namespace {

const std::string kCatalogDir = HUB_SOURCE_DIR "/mappings/catalogs";
const std::string kSchemaDir = HUB_SOURCE_DIR "/mappings/schema";
const Date kAutumnCutoff{2025, 9, 30};
// Born 2010, male, birth registered in Hải Phòng (031).
const char* const kStudentId = "031210012345";

// Loaded once: both are read-only and the catalogs take a while to load.
const catalog::CatalogSet& catalogs() {
  static std::shared_ptr<const catalog::CatalogSet> set = [] {
    auto r = catalog::CatalogSet::load_dir(kCatalogDir);
    if (!r.ok()) FAIL("catalog load_dir failed: " << r.error().message);
    return *r;
  }();
  return *set;
}

const SchemaSet& schemas() {
  static std::shared_ptr<const SchemaSet> set = [] {
    auto r = SchemaSet::load_dir(kSchemaDir, &catalogs());
    if (!r.ok()) FAIL("schema load_dir failed: " << r.error().message);
    return *r;
  }();
  return *set;
}

const EntitySchema& entity(const char* name) {
  const EntitySchema* e = schemas().find(name);
  if (!e) FAIL("entity " << name << " missing");
  return *e;
}

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  if (d.HasParseError()) FAIL("bad test JSON: " << json);
  return d;
}

std::vector<Violation> check(const char* entity_name, const std::string& json,
                             std::optional<Date> as_of = kAutumnCutoff, bool with_catalogs = true) {
  auto doc = parse(json);
  return validate(entity(entity_name), doc, with_catalogs ? &catalogs() : nullptr, as_of);
}

std::string describe(const std::vector<Violation>& vs) {
  std::string s;
  for (const auto& v : vs) s += "\n  " + v.field + " " + v.code + ": " + v.message;
  return s.empty() ? "(no violations)" : s;
}

// The record with one field replaced (or removed when value is empty).
std::string with(const std::string& json, const std::string& field, const std::string& value) {
  auto doc = parse(json);
  doc.RemoveMember(field.c_str());
  if (!value.empty()) {
    rapidjson::Document v;
    v.Parse(value.c_str());
    if (v.HasParseError()) FAIL("bad test value " << value);
    doc.AddMember(rapidjson::Value(field.c_str(), doc.GetAllocator()),
                  rapidjson::Value(v, doc.GetAllocator()), doc.GetAllocator());
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  doc.Accept(w);
  return buf.GetString();
}

const std::map<std::string, std::string>& valid_records() {
  static const std::map<std::string, std::string> records = {
      {"school", R"({"school_code": "31110507001", "name": "Trường THCS Thành Đông", "school_level": "03",
         "school_type": "1", "lowest_grade": "6", "highest_grade": "9", "province": "31", "commune": "10507",
         "address": "Số 1 đường Thanh Niên", "area": "1", "accreditation_level": 2, "national_standard_level": 1,
         "phone": "02253851234", "email": "thcsthanhdong@haiphong.edu.vn", "established_date": "1995-09-05",
         "operating_status": "HOAT_DONG", "latitude": 20.94, "longitude": 106.33, "is_specialized": false})"},
      {"class", R"({"school": "sch-1", "school_year": "2025-2026", "grade": "6", "name": "6A1",
         "homeroom_teacher": {"$ref": "gvcn-6a1"}, "sessions_per_week": 10, "student_count": 42})"},
      {"student", R"({"full_name": "Nguyễn Văn An", "family_name": "Nguyễn", "middle_name": "Văn",
         "given_name": "An", "birth_date": "2010-03-15", "gender": "M", "personal_id": "031210012345",
         "moet_student_code": "3110507001000123", "ethnicity": "01", "religion": "00", "nationality": "VN",
         "residence_province": "31", "residence_commune": "10507", "address": "Thôn 2",
         "contact_phone": "0912345678", "father_name": "Nguyễn Văn Bình", "father_birth_year": 1980,
         "poor_household": false, "height_cm": 152.5, "weight_kg": 41, "blood_type": "O",
         "middle_name_extra": null})"},
      {"staff", R"({"full_name": "Trần Thị Hoa", "birth_date": "1985-11-02", "gender": "F",
         "personal_id": "031185001234", "moet_staff_code": "GV0001", "ethnicity": "01", "nationality": "VN",
         "school": "sch-1", "staff_group": "GV", "position": "Tổ trưởng chuyên môn",
         "employment_status": "DANG_LAM_VIEC", "contract_type": "VIEN_CHUC", "recruitment_date": "2008-09-01",
         "qualification": "DAI_HOC", "main_subject": "TOAN", "foreign_language_level": "B1",
         "professional_standard_rating": "TOT", "party_member": true})"},
      {"enrollment", R"({"student": {"$ref": "hs-1"}, "school": "sch-1", "class": "cls-6a1",
         "school_year": "2025-2026", "grade": "6", "status": "DANG_HOC", "valid_from": "2025-09-05",
         "valid_to": "2026-05-31"})"},
      {"admission_application", R"({"application_code": "TS10-2025-000123", "student": {"$ref": "hs-1"},
         "school_year": "2025-2026", "target_grade": "10", "admission_round": 1, "admission_method": "THI_TUYEN",
         "channel": "TRUC_TUYEN", "application_date": "2025-05-10", "wish_1_school": "31100001",
         "wish_2_school": {"$ref": "school-nv2"}, "exam_number": "010123", "score_literature": 7.75,
         "score_math": 8.5, "score_foreign_language": 9, "priority_points": 0.5, "total_score": 41.25,
         "result": "TRUNG_TUYEN", "admitted_school": "31100001", "admitted_wish": 1})"},
      {"subject_result", R"({"student": "hs-1", "school_year": "2025-2026", "term": "HK1",
         "assessment_framework": "TT22", "subject": "TOAN", "score": 8.3, "midterm_score": 8,
         "final_score": 8.5})"},
      {"term_summary", R"({"student": "hs-1", "school_year": "2025-2026", "term": "CN",
         "assessment_framework": "TT22", "academic_rating": "1", "conduct_rating": "1", "days_absent": 2,
         "award": "HS_XUAT_SAC", "promoted": true})"},
      {"staff_assignment", R"({"staff": "gv-1", "school": "sch-1", "staff_group": "GV",
         "position": "Tổ trưởng chuyên môn", "decision_number": "215/QĐ-SGDĐT", "valid_from": "2015-08-15",
         "valid_to": "2026-03-02"})"},
      {"teaching_assignment", R"({"staff": "gv-1", "class": "lop-1", "school": "31110507001",
         "school_year": "2025-2026", "term": "HK1", "subject": "TOAN", "periods_per_week": 4,
         "valid_from": "2025-09-05", "valid_to": "2025-11-14"})"},
      {"school_event", R"({"kind": "change_level", "effective_on": "2026-01-01", "decision_number": "125/QĐ-UBND",
         "new_school_level": "04"})"},
      {"school_event_school", R"({"role": "successor", "school_code": "HP-THCS-0012"})"},
  };
  return records;
}

// A scratch folder for broken schemas, removed when the test ends.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("hub_schema_test_" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

const char* const kMiniSchool = R"(entity: school
title: School
fields:
  code: {type: string, required: true}
)";

}  // namespace

TEST_CASE("schema: the real mappings/schema loads with the real catalogs", "[schema]") {
  std::vector<std::string> names;
  for (const auto* e : schemas().list()) names.push_back(e->name);
  CHECK(names == std::vector<std::string>{"admission_application", "class", "enrollment", "school", "school_event",
                                          "school_event_school", "staff", "staff_assignment", "student",
                                          "subject_result", "teaching_assignment", "term_summary"});
  CHECK(schemas().find("nonexistent") == nullptr);
}

// Guards the quality report's completeness measures: a schema that lost its 'expected' markers
// (or a loader that ignored them) would report every record complete.
TEST_CASE("schema: expected fields are marked and never required", "[schema][quality]") {
  const auto* student = schemas().find("student");
  REQUIRE(student);
  for (const char* f : {"personal_id", "moet_student_code", "ethnicity", "nationality", "residence_commune", "contact_phone"}) {
    INFO(f);
    CHECK(student->field(f)->expected);
    CHECK_FALSE(student->field(f)->required);
  }
  CHECK_FALSE(student->field("full_name")->expected);
  CHECK_FALSE(student->field("religion")->expected);
  const auto* staff = schemas().find("staff");
  REQUIRE(staff);
  CHECK(staff->field("personal_id")->expected);
  CHECK(staff->field("social_insurance_number")->expected);
  for (const auto* s : {student, staff}) {
    const auto* status = s->field("personal_id_status");
    REQUIRE(status);
    CHECK(status->enum_values == std::vector<std::string>{"verified", "mismatch", "not_checked"});
    REQUIRE(s->field("personal_id_checked_on"));
    CHECK(s->field("personal_id_checked_on")->type == FieldType::kDate);
    REQUIRE(s->field("source_updated_on"));
  }
}

// Issue 19: a student record without a birth date was rejected even when its personal ID named
// a known student. `required: new` lets it through validation; the write path rejects it only
// when it would create a student (tests/resolve/hard_registers_db_test.cpp).
TEST_CASE("schema: required new - needed to create a record - counted as expected", "[schema]") {
  const auto* student = schemas().find("student");
  REQUIRE(student);
  const auto* dob = student->field("birth_date");
  REQUIRE(dob);
  CHECK(dob->required_for_new);
  CHECK_FALSE(dob->required);
  CHECK(dob->expected);
  CHECK(std::find(student->required_for_new.begin(), student->required_for_new.end(),
                  static_cast<std::size_t>(dob - student->fields.data())) != student->required_for_new.end());
  CHECK(check("student", R"({"full_name": "Đỗ Hải Yến", "gender": "F", "personal_id": "031311000777"})").empty());
  TempDir dir;
  dir.write("school.yaml", kMiniSchool);
  dir.write("student.yaml", "entity: student\ntitle: S\nfields:\n  full_name: {type: string, required: maybe}\n");
  auto bad = SchemaSet::load_dir(dir.path.string(), &catalogs());
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.error().message, Catch::Contains("or new"));
}

TEST_CASE("schema: key fields of every entity", "[schema]") {
  struct Expect {
    const char* entity;
    const char* field;
    FieldType type;
    const char* target;  // catalog or ref entity; "" when none
    bool required;
  };
  const Expect expects[] = {
      {"school", "school_code", FieldType::kString, "", true},
      {"school", "name", FieldType::kString, "", true},
      {"school", "school_level", FieldType::kCode, "school_level", true},
      {"school", "school_type", FieldType::kCode, "school_type", true},
      {"school", "province", FieldType::kCode, "province", true},
      {"school", "commune", FieldType::kCode, "commune", true},
      {"class", "school", FieldType::kRef, "school", true},
      {"class", "school_year", FieldType::kSchoolYear, "", true},
      {"class", "grade", FieldType::kCode, "grade", true},
      {"class", "name", FieldType::kString, "", true},
      {"class", "homeroom_teacher", FieldType::kRef, "staff", false},
      {"student", "full_name", FieldType::kString, "", true},
      {"student", "birth_date", FieldType::kDate, "", false},  // required to create one: see the "required new" test
      {"student", "gender", FieldType::kCode, "gender", true},
      {"student", "personal_id", FieldType::kPersonalId, "", false},
      {"student", "moet_student_code", FieldType::kString, "", false},
      {"student", "ethnicity", FieldType::kCode, "ethnicity", false},
      {"student", "religion", FieldType::kCode, "religion", false},
      {"student", "nationality", FieldType::kCode, "nationality", false},
      {"student", "residence_commune", FieldType::kCode, "commune", false},
      {"student", "address", FieldType::kString, "", false},
      {"student", "contact_phone", FieldType::kPhone, "", false},
      {"staff", "personal_id", FieldType::kPersonalId, "", false},
      {"staff", "staff_group", FieldType::kString, "", true},
      {"staff", "qualification", FieldType::kString, "", false},
      {"staff", "school", FieldType::kRef, "school", true},
      {"staff", "main_subject", FieldType::kCode, "subject", false},
      {"enrollment", "student", FieldType::kRef, "student", true},
      {"enrollment", "school", FieldType::kRef, "school", true},
      {"enrollment", "class", FieldType::kRef, "class", false},
      {"enrollment", "school_year", FieldType::kSchoolYear, "", true},
      {"enrollment", "grade", FieldType::kCode, "grade", true},
      {"enrollment", "status", FieldType::kCode, "student_status", true},
      {"enrollment", "valid_from", FieldType::kDate, "", true},
      {"enrollment", "valid_to", FieldType::kDate, "", false},
      {"admission_application", "student", FieldType::kRef, "student", true},
      {"admission_application", "school_year", FieldType::kSchoolYear, "", true},
      {"admission_application", "wish_1_school", FieldType::kRef, "school", true},
      {"admission_application", "admission_round", FieldType::kInteger, "", false},
      {"admission_application", "total_score", FieldType::kDecimal, "", false},
      {"admission_application", "result", FieldType::kCode, "admission_result", true},
      {"admission_application", "application_date", FieldType::kDate, "", true},
      {"subject_result", "student", FieldType::kRef, "student", true},
      {"subject_result", "term", FieldType::kString, "", true},
      {"subject_result", "subject", FieldType::kCode, "subject", true},
      {"subject_result", "score", FieldType::kDecimal, "", false},
      {"subject_result", "rating_tt22", FieldType::kCode, "rating_tt22", false},
      {"subject_result", "rating_tt27", FieldType::kCode, "rating_tt27", false},
      {"term_summary", "student", FieldType::kRef, "student", true},
      {"term_summary", "academic_rating", FieldType::kCode, "rating_tt22", false},
      {"term_summary", "conduct_rating", FieldType::kCode, "rating_tt22", false},
      {"term_summary", "overall_rating", FieldType::kCode, "rating_tt27", false},
  };
  for (const auto& x : expects) {
    INFO(x.entity << "." << x.field);
    const FieldSchema* f = entity(x.entity).field(x.field);
    REQUIRE(f != nullptr);
    CHECK(f->type == x.type);
    CHECK(f->required == x.required);
    if (x.type == FieldType::kCode) CHECK(f->catalog == x.target);
    if (x.type == FieldType::kRef) CHECK(f->ref_entity == x.target);
  }
  const FieldSchema* score = entity("subject_result").field("score");
  CHECK(score->min == 0.0);
  CHECK(score->max == 10.0);
  CHECK(entity("enrollment").effective_dated);
  CHECK_FALSE(entity("student").effective_dated);
  CHECK(entity("enrollment").one_in_force_per == "student");  // a student is at one school on a date
  CHECK(entity("staff_assignment").one_in_force_per.empty());  // a teacher may work at two
  CHECK(entity("student").natural_keys ==
        std::vector<std::vector<std::string>>{{"personal_id"}, {"moet_student_code"}});
  CHECK(entity("staff").field("staff_group")->enum_values == std::vector<std::string>{"CBQL", "GV", "NV"});
}

TEST_CASE("schema: the real schemas are consistent", "[schema]") {
  for (const auto* e : schemas().list()) {
    INFO(e->name);
    CHECK_FALSE(e->title.empty());
    // School events are applied by the school lifecycle, never stored as golden records to match.
    const bool stored = e->name != "school_event" && e->name != "school_event_school";
    CHECK(e->natural_keys.empty() != stored);
    for (const auto& f : e->fields) {
      INFO(f.name);
      CHECK_FALSE(f.label.empty());  // ops staff read the Vietnamese label, not the field name
      if (f.type == FieldType::kRef) CHECK(schemas().find(f.ref_entity) != nullptr);
      if (f.type == FieldType::kCode) CHECK(catalogs().find(f.catalog) != nullptr);
      if (f.type == FieldType::kPersonalId) CHECK(f.sensitive);
    }
  }
}

TEST_CASE("schema: type names round-trip", "[schema]") {
  for (auto t : {FieldType::kString, FieldType::kInteger, FieldType::kDecimal, FieldType::kBoolean,
                 FieldType::kDate, FieldType::kCode, FieldType::kPersonalId, FieldType::kPhone,
                 FieldType::kEmail, FieldType::kSchoolYear, FieldType::kRef})
    CHECK(parse_type(type_name(t)) == t);
  CHECK_FALSE(parse_type("text").has_value());
}

TEST_CASE("schema: a valid record of every entity passes", "[schema]") {
  REQUIRE(valid_records().size() == schemas().list().size());
  for (const auto& [name, json] : valid_records()) {
    INFO(name);
    auto vs = check(name.c_str(), json);
    // student carries a null for a field that does not exist: null is absent, but unknown is unknown.
    if (name == "student") {
      REQUIRE(vs.size() == 1);
      CHECK(vs[0].code == "schema.unknown_field");
      CHECK(check(name.c_str(), with(json, "middle_name_extra", "")).empty());
    } else {
      INFO(describe(vs));
      CHECK(vs.empty());
    }
  }
}

TEST_CASE("schema: each violation code triggers", "[schema]") {
  const std::string student = with(valid_records().at("student"), "middle_name_extra", "");
  const std::string school = valid_records().at("school");
  const std::string subject = valid_records().at("subject_result");
  const std::string enrollment = valid_records().at("enrollment");
  const std::string too_long = "\"" + std::string(201, 'a') + "\"";

  struct Case {
    const char* entity;
    const std::string& base;
    const char* field;
    const char* value;  // JSON; "" removes the field
    const char* code;
  };
  const Case cases[] = {
      {"student", student, "nickname", R"("Bin")", "schema.unknown_field"},
      {"student", student, "full_name", "", "schema.required"},
      {"student", student, "full_name", "null", "schema.required"},
      {"student", student, "full_name", R"("")", "schema.required"},
      {"student", student, "full_name", "42", "schema.type"},
      {"student", student, "poor_household", R"("true")", "schema.type"},
      {"student", student, "father_birth_year", "1980.5", "schema.type"},
      {"student", student, "father_birth_year", R"("1980")", "schema.type"},
      {"student", student, "height_cm", R"("152,5")", "schema.type"},
      {"student", student, "contact_phone", R"("+84 912 345 678")", "schema.type"},
      {"student", student, "contact_phone", R"("12345")", "schema.type"},
      {"student", student, "email", R"("an@Example.COM")", "schema.type"},
      {"subject_result", subject, "school_year", R"("2025/2026")", "schema.type"},
      {"subject_result", subject, "school_year", R"("2025-2027")", "schema.type"},
      {"subject_result", subject, "student", "7", "schema.type"},
      {"subject_result", subject, "student", R"({"$ref": ""})", "schema.type"},
      {"subject_result", subject, "student", R"({"id": "hs-1"})", "schema.type"},
      {"student", student, "full_name", too_long.c_str(), "schema.too_long"},
      {"subject_result", subject, "score", "10.5", "schema.out_of_range"},
      {"subject_result", subject, "score", "-1", "schema.out_of_range"},
      {"student", student, "father_birth_year", "1850", "schema.out_of_range"},
      {"enrollment", enrollment, "valid_to", R"("2025-09-04")", "schema.out_of_range"},
      {"subject_result", subject, "term", R"("HK3")", "schema.not_in_enum"},
      {"subject_result", subject, "rating_tt27", R"("CCG")", "schema.not_in_enum"},
      {"student", student, "ethnicity", R"("99")", "schema.code_unknown"},
      {"student", student, "gender", R"("Nam")", "schema.code_unknown"},  // a name, not the code
      {"student", student, "ethnicity", R"("1")", "schema.code_unknown"},  // lost leading zero
      {"school", school, "commune", R"("1050")", "schema.code_unknown"},
      {"student", student, "birth_date", R"("2010-02-30")", "schema.date_invalid"},
      {"student", student, "birth_date", R"("15/03/2010")", "schema.date_invalid"},
      {"student", student, "birth_date", "20100315", "schema.type"},
      {"student", student, "personal_id", R"("03121001234")", "schema.personal_id"},
      {"student", student, "personal_id", R"("999210012345")", "schema.personal_id"},  // no such province
      {"student", student, "personal_id", R"(" 031210012345")", "schema.personal_id"},
  };
  for (const auto& c : cases) {
    INFO(c.entity << "." << c.field << " = " << (*c.value ? c.value : "(removed)"));
    auto vs = check(c.entity, with(c.base, c.field, c.value));
    INFO(describe(vs));
    REQUIRE(vs.size() == 1);
    CHECK(vs[0].code == c.code);
    CHECK(vs[0].field == c.field);
    CHECK_FALSE(vs[0].message.empty());
  }
}

TEST_CASE("schema: messages say what was expected and keep personal data out", "[schema]") {
  const std::string student = with(valid_records().at("student"), "middle_name_extra", "");

  auto vs = check("student", with(student, "birth_date", "20100315"));
  REQUIRE(vs.size() == 1);
  CHECK_THAT(vs[0].message, Catch::Contains("date (ISO YYYY-MM-DD string)"));

  vs = check("student", with(student, "personal_id", R"("999210012345")"));
  REQUIRE(vs.size() == 1);
  CHECK_THAT(vs[0].message, !Catch::Contains("999210012345"));
  CHECK_THAT(vs[0].message, Catch::Contains("999*******45"));

  vs = check("student", with(student, "birth_date", R"("15/03/2010")"));
  REQUIRE(vs.size() == 1);
  CHECK_THAT(vs[0].message, !Catch::Contains("15/03/2010"));

  vs = check("student", with(student, "contact_phone", R"("0912 345 678")"));
  REQUIRE(vs.size() == 1);
  CHECK_THAT(vs[0].message, !Catch::Contains("0912 345 678"));

  vs = check("student", with(student, "blood_type", R"("Rh-")"));
  REQUIRE(vs.size() == 1);
  CHECK(vs[0].code == "schema.not_in_enum");
  CHECK_THAT(vs[0].message, !Catch::Contains("Rh-"));

  vs = check("subject_result", with(valid_records().at("subject_result"), "term", R"("HK3")"));
  REQUIRE(vs.size() == 1);
  CHECK_THAT(vs[0].message, Catch::Contains("GK1, HK1, GK2, HK2, CN"));
}

TEST_CASE("schema: several violations are all reported", "[schema]") {
  auto vs = check("enrollment", R"({"student": 1, "school_year": "2025", "grade": "13", "extra": true})");
  std::multiset<std::string> codes;
  for (const auto& v : vs) codes.insert(v.field + " " + v.code);
  CHECK(codes == std::multiset<std::string>{"extra schema.unknown_field", "student schema.type",
                                            "school schema.required", "school_year schema.type",
                                            "grade schema.code_unknown", "status schema.required",
                                            "valid_from schema.required"});
}

TEST_CASE("schema: a record that is not an object", "[schema]") {
  auto vs = check("student", "[1, 2]");
  REQUIRE(vs.size() == 1);
  CHECK(vs[0].code == "schema.type");
  CHECK(vs[0].field.empty());
}

TEST_CASE("schema: codes are checked on the as_of date and only with catalogs", "[schema]") {
  const std::string school = valid_records().at("school");
  // Đặc khu Bạch Long Vĩ exists only since the 2025 reform.
  const std::string blv = with(school, "commune", R"("11948")");
  CHECK(check("school", blv, Date{2025, 9, 30}).empty());
  auto vs = check("school", blv, Date{2024, 9, 30});
  REQUIRE(vs.size() == 1);
  CHECK(vs[0].code == "schema.code_unknown");
  CHECK(check("school", blv, std::nullopt).empty());

  // Without catalogs the structure is still checked, the codes are not.
  CHECK(check("student", with(with(valid_records().at("student"), "middle_name_extra", ""), "ethnicity", R"("99")"),
              std::nullopt, false)
            .empty());
  auto no_cat = check("subject_result", with(valid_records().at("subject_result"), "term", R"("HK3")"),
                      std::nullopt, false);
  REQUIRE(no_cat.size() == 1);
  CHECK(no_cat[0].code == "schema.not_in_enum");
}

TEST_CASE("schema: load_dir works without catalogs", "[schema]") {
  auto r = SchemaSet::load_dir(kSchemaDir);
  REQUIRE(r.ok());
  CHECK((*r)->list().size() == 12);
}

TEST_CASE("schema: bad schema files give file:line:column errors", "[schema]") {
  struct Case {
    const char* name;
    std::string file;  // entity file name
    std::string text;
    std::string where;  // expected "file:line:column"
    std::string what;   // expected part of the message
  };
  const std::vector<Case> cases = {
      {"unknown type", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  full_name: {type: text}\n", "student.yaml:4:21",
       "unknown type 'text'"},
      {"code without catalog", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  gender:\n    type: code\n    required: true\n", "student.yaml:5:5",
       "names no catalog"},
      {"catalog not loaded", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  blood: {type: code, catalog: blood_group}\n", "student.yaml:4:32",
       "catalog 'blood_group' is not loaded"},
      {"catalog not loaded names the loaded ones", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  blood: {type: code, catalog: blood_group}\n", "student.yaml:4:32",
       "; known catalogs: "},
      {"enum value not a code", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  gender: {type: code, catalog: gender, enum: [M, X]}\n",
       "student.yaml:4:51", "enum value 'X' is not a code of catalog gender"},
      {"ref to unknown entity", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  teacher: {type: ref, entity: teacher}\n", "student.yaml:4:32",
       "refers to entity 'teacher'"},
      {"ref without entity", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  school: {type: ref}\n", "student.yaml:4:11", "names no entity"},
      {"natural key with unknown field", "student.yaml",
       "entity: student\ntitle: S\nnatural_keys:\n  - [personal_id]\nfields:\n  full_name: {type: string}\n",
       "student.yaml:4:6", "unknown field 'personal_id'"},
      {"unknown attribute", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  full_name: {type: string, maxlength: 10}\n", "student.yaml:4:29",
       "unknown attribute 'maxlength'"},
      {"unknown top-level key", "student.yaml",
       "entity: student\ntitle: S\nkeys: []\nfields:\n  full_name: {type: string}\n", "student.yaml:3:1",
       "unknown key 'keys'"},
      {"duplicate field", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  full_name: {type: string}\n  full_name: {type: date}\n",
       "student.yaml:5:3", "duplicate field 'full_name'"},
      {"max_length on a number", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  age: {type: integer, max_length: 3}\n", "student.yaml:4:36",
       "'max_length' applies to string fields only"},
      // A field the record must have cannot also be one it merely should have.
      {"required and expected", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  full_name: {type: string, required: true, expected: true}\n",
       "student.yaml:4:55", "either required or expected"},
      {"min above max", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  age: {type: integer, min: 10, max: 5}\n", "student.yaml:4:38",
       "max is below min"},
      {"yes is not a boolean", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  full_name: {type: string, required: yes}\n", "student.yaml:4:39",
       "must be true or false"},
      {"personal_id not sensitive", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  personal_id: {type: personal_id, sensitive: false}\n",
       "student.yaml:4:47", "always sensitive"},
      {"entity differs from file", "student.yaml",
       "entity: pupil\ntitle: S\nfields:\n  full_name: {type: string}\n", "student.yaml:1:9",
       "differs from the file name"},
      {"effective dated without valid_from", "student.yaml",
       "entity: student\ntitle: S\neffective_dated: true\nfields:\n  valid_to: {type: date}\n",
       "student.yaml:3:18", "valid_from"},
      {"one in force per a field that is not a ref", "student.yaml",
       "entity: student\ntitle: S\neffective_dated: true\none_in_force_per: full_name\nfields:\n"
       "  full_name: {type: string}\n  valid_from: {type: date, required: true}\n  valid_to: {type: date}\n",
       "student.yaml:4:19", "not a ref field"},
      {"one in force per on an entity without dates", "student.yaml",
       "entity: student\ntitle: S\none_in_force_per: school\nfields:\n  school: {type: ref, entity: school}\n",
       "student.yaml:3:19", "effective-dated entities only"},
      {"bad field name", "student.yaml",
       "entity: student\ntitle: S\nfields:\n  FullName: {type: string}\n", "student.yaml:4:3", "snake_case"},
      {"YAML syntax", "student.yaml", "entity: student\ntitle: S\nfields:\n  full_name: {type: string\n",
       "student.yaml:5:", "YAML error"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    TempDir dir;
    dir.write("school.yaml", kMiniSchool);
    dir.write(c.file, c.text);
    auto r = SchemaSet::load_dir(dir.path.string(), &catalogs());
    REQUIRE_FALSE(r.ok());
    INFO(r.error().message);
    CHECK(r.error().code == "schema.load");
    CHECK_THAT(r.error().message, Catch::Contains((dir.path / c.where).string()));
    CHECK_THAT(r.error().message, Catch::Contains(c.what));
    CHECK(r.error().path == (dir.path / c.file).string());
  }
}

TEST_CASE("schema: a minimal schema set loads - empty or missing folders do not", "[schema]") {
  TempDir dir;
  dir.write("school.yaml", kMiniSchool);
  dir.write("README.md", "not a schema");
  auto r = SchemaSet::load_dir(dir.path.string());
  REQUIRE(r.ok());
  REQUIRE((*r)->list().size() == 1);
  CHECK((*r)->find("school")->field("code")->required);

  TempDir empty;
  CHECK_FALSE(SchemaSet::load_dir(empty.path.string()).ok());
  CHECK_FALSE(SchemaSet::load_dir((empty.path / "missing").string()).ok());
}
