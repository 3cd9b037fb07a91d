// Publication profiles: loading config/publication.yaml strictly, and the projection every sync
// path uses (allow-lists, sensitive fields, omit / mask / keyed hash of personal IDs).

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "hub/common/crypto.h"
#include "hub/sync/publication.h"

using hub::sync::IdTreatment;
using hub::sync::Publication;

namespace {

const std::string kSecret = "test-secret-0123456789abcdef";

std::shared_ptr<const hub::schema::SchemaSet> schemas() {
  static auto s = hub::schema::SchemaSet::load_dir(std::string(HUB_SOURCE_DIR) + "/mappings/schema").value();
  return s;
}

std::string write_temp(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("hub_publication_test_" + std::to_string(std::rand()) + ".yaml");
  std::ofstream(path) << text;
  return path.string();
}

hub::Result<std::shared_ptr<const Publication>> load_text(const std::string& text,
                                                           std::map<std::string, std::string> env = {{"S", kSecret}}) {
  return Publication::load(write_temp(text), schemas().get(), &env);
}

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  return d;
}

const char* kStudent = R"({"full_name":"Nguyễn Văn An","birth_date":"2014-03-02","gender":"M",
  "personal_id":"031214000123","phone":"0912345678","address":"1 Lê Lợi","moet_student_code":"HS001",
  "not_in_schema":"x"})";

}  // namespace

TEST_CASE("the shipped config/publication.yaml loads and needs its secret", "[sync][publication]") {
  std::string file = std::string(HUB_SOURCE_DIR) + "/config/publication.yaml";
  std::map<std::string, std::string> env = {{"HUB_PUBLICATION_SECRET", kSecret}};
  auto pub = Publication::load(file, schemas().get(), &env);
  REQUIRE(pub.ok());
  const auto* w = (*pub)->consumer("demo-warehouse");
  REQUIRE(w);
  CHECK(w->entity("student"));
  CHECK(w->push);
  CHECK_FALSE(w->push->enabled);

  std::map<std::string, std::string> none;
  auto missing = Publication::load(file, schemas().get(), &none);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "publication.load");
  CHECK(missing.error().message.find("HMAC secret") != std::string::npos);
}

TEST_CASE("profile mistakes are refused with file and line", "[sync][publication]") {
  auto unknown_field = load_text("hmac_secret_env: S\nconsumers:\n  w:\n    entities:\n      student:\n        fields: [full_name, shoe_size]\n");
  REQUIRE_FALSE(unknown_field.ok());
  CHECK(unknown_field.error().message.find(":6: 'shoe_size' is not a field of student") != std::string::npos);
  auto unknown_entity = load_text("consumers:\n  w:\n    entities:\n      pupil: {fields: all}\n");
  REQUIRE_FALSE(unknown_entity.ok());
  CHECK(unknown_entity.error().message.find("'pupil' is not a canonical entity") != std::string::npos);
  auto bad_key = load_text("consumers:\n  w:\n    entitys: {}\n");
  REQUIRE_FALSE(bad_key.ok());
  CHECK(bad_key.error().message.find("unknown key 'entitys'") != std::string::npos);
  auto bad_treatment = load_text("consumers:\n  w:\n    personal_ids: encrypt\n    entities:\n      school: {fields: all}\n");
  REQUIRE_FALSE(bad_treatment.ok());
  CHECK(bad_treatment.error().message.find("omit, mask or hash") != std::string::npos);
  // A profile that never hashes needs no secret.
  CHECK(load_text("consumers:\n  w:\n    personal_ids: omit\n    entities:\n      student: {fields: all}\n", {}).ok());
}

TEST_CASE("projection: allow-list - sensitive fields - and personal IDs hashed - masked or omitted", "[sync][publication]") {
  auto pub = load_text(
      "hmac_secret_env: S\nconsumers:\n"
      "  hashed:\n    entities:\n      student: {fields: [full_name, personal_id, moet_student_code], personal_id_fields: [moet_student_code]}\n"
      "  masked:\n    personal_ids: mask\n    entities:\n      student: {fields: all}\n"
      "  omitted:\n    personal_ids: omit\n    entities:\n      student: {fields: [full_name, personal_id, phone]}\n");
  REQUIRE(pub.ok());
  const auto& s = *schemas()->find("student");
  auto data = parse(kStudent);

  auto hashed = parse((*pub)->project(*(*pub)->consumer("hashed")->entity("student"), s, data));
  CHECK(hashed.MemberCount() == 3);
  CHECK(std::string(hashed["full_name"].GetString()) == "Nguyễn Văn An");
  std::string expected = hub::crypto::to_hex(hub::crypto::hmac_sha256(kSecret, "031214000123"));
  CHECK(std::string(hashed["personal_id"].GetString()) == expected);
  CHECK(std::string(hashed["moet_student_code"].GetString()) ==
        hub::crypto::to_hex(hub::crypto::hmac_sha256(kSecret, "HS001")));
  CHECK_FALSE(hashed.HasMember("birth_date"));

  // `all`: everything not sensitive, personal IDs treated, phones and addresses never.
  auto masked = parse((*pub)->project(*(*pub)->consumer("masked")->entity("student"), s, data));
  CHECK(std::string(masked["personal_id"].GetString()) == "031*******23");
  CHECK(masked.HasMember("birth_date"));
  CHECK(masked.HasMember("moet_student_code"));
  CHECK_FALSE(masked.HasMember("phone"));
  CHECK_FALSE(masked.HasMember("address"));
  CHECK_FALSE(masked.HasMember("not_in_schema"));

  // Listed sensitive fields are sent; an omitted personal ID is not.
  auto omitted = parse((*pub)->project(*(*pub)->consumer("omitted")->entity("student"), s, data));
  CHECK_FALSE(omitted.HasMember("personal_id"));
  CHECK(std::string(omitted["phone"].GetString()) == "0912345678");
  CHECK((*pub)->consumer("omitted")->entity("school") == nullptr);

  // Equal IDs give equal hashes (joins), whitespace aside; another secret gives another hash.
  CHECK((*pub)->keyed_hash(" 031214000123 ") == expected);
  auto other = load_text("hmac_secret_env: S\nconsumers:\n  h:\n    entities:\n      student: {fields: [personal_id]}\n",
                         {{"S", "another-secret-of-enough-length"}});
  REQUIRE(other.ok());
  CHECK((*other)->keyed_hash("031214000123") != expected);
}

TEST_CASE("lineage through a profile: the fields it is sent - without the vendors' source ids", "[sync][publication]") {
  // Guards the records API's ?lineage=true for consumers: a vendor's source id may be a personal
  // ID, and the lineage of a field the consumer is not sent says that the record has it.
  auto pub = load_text(
      "consumers:\n"
      "  omitted:\n    personal_ids: omit\n    entities:\n      student: {fields: [full_name, personal_id, phone]}\n"
      "  masked:\n    personal_ids: mask\n    entities:\n      student: {fields: all}\n",
      {});
  REQUIRE(pub.ok());
  const auto& s = *schemas()->find("student");
  auto lineage = parse(R"({
    "full_name": {"partner": "a", "batch": 7, "mapping_version": "1#x", "source_id": "031214000123"},
    "personal_id": {"partner": "a", "batch": 7, "mapping_version": "1#x", "source_id": "031214000123"},
    "address": {"partner": "b", "batch": 8, "mapping_version": "2#y", "source_id": "B-1"},
    "phone": {"partner": "b", "batch": 8, "mapping_version": "2#y", "source_id": "B-1"}})");
  auto view = [&](const char* consumer) {
    hub::json::JsonWriter w;
    (*pub)->project_lineage(*(*pub)->consumer(consumer)->entity("student"), s, lineage, w);
    return w.str();
  };
  auto omitted = parse(view("omitted"));
  CHECK(omitted.MemberCount() == 2);  // full_name and phone; the omitted ID and the unlisted address not
  CHECK(std::string(omitted["full_name"]["partner"].GetString()) == "a");
  CHECK(omitted["full_name"]["batch"].GetInt() == 7);
  CHECK(std::string(omitted["phone"]["mapping_version"].GetString()) == "2#y");
  CHECK(view("omitted").find("source_id") == std::string::npos);
  CHECK(view("omitted").find("031214000123") == std::string::npos);
  auto masked = parse(view("masked"));
  CHECK(masked.HasMember("personal_id"));  // sent, masked: its lineage is shown
  CHECK_FALSE(masked.HasMember("address"));  // sensitive, not listed
  CHECK(view("masked").find("031214000123") == std::string::npos);
}
