#pragma once
// Mapping folders for test partners whose feeds no demo partner sends (a school list with
// pre-reform codes, pupils with dated periods, grade ranges): the project's catalogs, schemas
// and matching rules with the test partners' own mapping files, for a hub started with
// HUB_MAPPINGS_DIR. The school list and the pupils mappings are written once here, so that the
// report, rollover and unit-scope tests read schools and pupils the same way.

#include <map>
#include <string>
#include <vector>

namespace hub::test {

// A fresh folder (/tmp/hub-<name>-<pid>) with the project's catalogs, schema and matching
// linked, each of `files` ("partner/feed.yaml" -> text) written, and each of `demo_files`
// ("demo-ops/schools.yaml") linked from mappings/partners. Files are linked one by one: the
// hub's partner scan skips symlinked folders. Returns the folder.
std::string mappings_dir(const std::string& name, const std::map<std::string, std::string>& files,
                         const std::vector<std::string>& demo_files = {});

// A school list: records $.schools[*], source id $.code; each school with its code, name and the
// catalog codes $.level, $.type, $.province, $.commune. `options` and `extra_fields` are YAML
// lines added under `options:` and to the school's fields ("" for none).
std::string school_list_mapping(const std::string& partner, const std::string& options = "",
                                const std::string& extra_fields = "");

// The start of a feed of students: records `records`, source id $.id; a student `as: student`
// with $.name, $.dob, $.sex, then `student_fields`. The caller adds the entities that follow
// (YAML lines at the level of "  - entity:").
std::string students_feed(const std::string& partner, const std::string& feed, const std::string& records,
                          const std::string& student_fields);

// Pupils with dated periods: students_feed of $.pupils[*], and an enrollment for each of
// $.periods[*] ($.school, $.grade, $.from, then `enrollment_fields`), keyed by school.
std::string pupil_periods_mapping(const std::string& partner, const std::string& student_fields,
                                  const std::string& enrollment_fields);

}  // namespace hub::test
