#include "tests/support/test_mappings.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace hub::test {

namespace fs = std::filesystem;

std::string mappings_dir(const std::string& name, const std::map<std::string, std::string>& files,
                         const std::vector<std::string>& demo_files) {
  fs::path dir = fs::temp_directory_path() / ("hub-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "partners");
  fs::path src = fs::path(HUB_SOURCE_DIR) / "mappings";
  for (const char* sub : {"catalogs", "schema", "matching"})
    if (fs::exists(src / sub)) fs::create_directory_symlink(src / sub, dir / sub);
  for (const auto& file : demo_files) {
    fs::create_directories((dir / "partners" / file).parent_path());
    fs::create_symlink(src / "partners" / file, dir / "partners" / file);
  }
  for (const auto& [file, text] : files) {
    fs::create_directories((dir / "partners" / file).parent_path());
    std::ofstream(dir / "partners" / file) << text;
  }
  return dir.string();
}

std::string school_list_mapping(const std::string& partner, const std::string& options, const std::string& extra_fields) {
  return "partner: " + partner + R"(
feed: schools
version: 1
records: $.schools[*]
source_id: $.code
)" + (options.empty() ? "" : "options:\n" + options) + R"(emit:
  - entity: school
    fields:
      school_code: $.code
      name: $.name
      school_level: {from: $.level, catalog: school_level, by: code}
      school_type: {from: $.type, catalog: school_type, by: code}
      province: {from: $.province, catalog: province, by: code}
      commune: {from: $.commune, catalog: commune, by: code}
)" + extra_fields;
}

std::string students_feed(const std::string& partner, const std::string& feed, const std::string& records,
                          const std::string& student_fields) {
  return "partner: " + partner + "\nfeed: " + feed + "\nversion: 1\nrecords: " + records + R"(
source_id: $.id
emit:
  - entity: student
    as: student
    fields:
      full_name: $.name
      birth_date: {from: $.dob, transform: [{date: iso}]}
      gender: {from: $.sex, catalog: gender, by: code}
)" + student_fields;
}

std::string pupil_periods_mapping(const std::string& partner, const std::string& student_fields,
                                  const std::string& enrollment_fields) {
  return students_feed(partner, "pupils", "$.pupils[*]", student_fields) + R"(  - entity: enrollment
    foreach: $.periods[*]
    key: $.school
    fields:
      student: {ref: student}
      school: $.school
      grade: {from: $.grade, catalog: grade, by: code}
      valid_from: {from: $.from, transform: [{date: iso}]}
)" + enrollment_fields;
}

}  // namespace hub::test
