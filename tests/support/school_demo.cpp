#include "tests/support/school_demo.h"

#include <algorithm>

#include "hub/common/json.h"

namespace hub::test {

hub::Date today() { return hub::Date::today(); }
hub::Date plus_days(hub::Date d, long n) { return hub::Date::from_days(d.days_since_epoch() + n); }
int year_start() { return today().month >= 9 ? today().year : today().year - 1; }
std::string school_year() { return std::to_string(year_start()) + "-" + std::to_string(year_start() + 1); }
hub::Date enrolled_on() { return std::min(hub::Date{year_start(), 9, 5}, plus_days(today(), -1)); }

std::string transcripts(const std::string& school, const std::vector<std::pair<std::string, std::string>>& students) {
  hub::json::JsonWriter w;
  w.begin_object().key("school").begin_object().kv("code", school).end_object()
      .kv("schoolYear", school_year()).key("students").begin_array();
  for (const auto& [id, grade] : students)
    w.begin_object().kv("studentId", id).kv("fullName", "Học Sinh " + spelled(id)).kv("dob", "2013-04-0" + id.substr(id.size() - 1))
        .kv("sex", "M").kv("ethnicCode", "01").kv("grade", grade).kv("enrolledOn", enrolled_on().iso())
        .kv("status", "dang_hoc").end_object();
  w.end_array().end_object();
  return w.str();
}

std::string classes(const std::string& school, const std::vector<std::pair<std::string, std::string>>& names) {
  hub::json::JsonWriter w;
  w.begin_object().kv("maTruong", school).kv("namHoc", school_year()).key("lopHoc").begin_array();
  for (const auto& [name, grade] : names)
    w.begin_object().kv("maLop", school + "-" + name).kv("tenLop", name).kv("khoi", grade).kv("siSo", 30).end_object();
  w.end_array().end_object();
  return w.str();
}

std::string student_of(const std::string& source_id) { return linked_record("demo-transcripts", "student", source_id); }

std::string school_id(const std::string& code) {
  return sql_value("select record_id::text from natural_key where entity = 'school' and key_name = 'school_code'"
                   " and key_value = '" + code + "'");
}

std::string class_id(const std::string& school, const std::string& name) {
  return sql_value("select id::text from golden_record where entity = 'class' and data->>'school' = '" + school_id(school) +
                   "' and data->>'name' = '" + name + "'");
}

void place_in_class(const std::string& student, const std::string& school, const std::string& klass) {
  const std::string ids = "select id from golden_record where entity = 'enrollment' and data->>'student' = '" + student +
                          "' and data->>'school' = '" + school_id(school) + "'";
  sql_exec("update record_version v set data = v.data || jsonb_build_object('class', '" + klass + "') from golden_record g"
           " where g.id = v.record_id and g.version = v.version and g.id in (" + ids + ")");
  sql_exec("update golden_record set data = data || jsonb_build_object('class', '" + klass + "') where id in (" + ids + ")");
}

std::string placed(const std::string& student, const std::string& date) {
  return sql_value("select string_agg(concat_ws('|', s.data->>'school_code', c.data->>'name'), ',')"
                   " from records_as_of('enrollment', '" + date + "', 'infinity', true) e"
                   " join golden_record s on s.id::text = e.data->>'school'"
                   " left join golden_record c on c.id::text = e.data->>'class'"
                   " where e.data->>'student' = '" + student + "'");
}

}  // namespace hub::test
