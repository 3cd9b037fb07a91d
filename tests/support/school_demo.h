#pragma once
// The demo schools in today's school year, for the school-event tests (the admin API and
// hubctl in school_lifecycle_db_test, the ops partner's feed in school_events_feed_db_test):
// the same schools, classes and transcripts made the same way, so that a merge through the feed
// and one through the admin API start from the same store. SchoolDemo is defined here, inline,
// because it asserts with Catch (checks.h). The effective date of the events is
// today, so that an event can still be undone within its school year and the code crosswalk is
// in force for the pushes that follow.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "hub/common/date.h"
#include "tests/support/checks.h"
#include "tests/support/test_env.h"

namespace hub::test {

hub::Date today();
hub::Date plus_days(hub::Date d, long n);
int year_start();           // the year today's school year (1 September to 31 August) began
std::string school_year();  // "2025-2026"
// Enrollments start on 5 September, or the day before today when the year is younger.
hub::Date enrolled_on();

// A demo-transcripts document of `school` for today's school year: one student per
// (source id, grade), enrolled on enrolled_on().
std::string transcripts(const std::string& school, const std::vector<std::pair<std::string, std::string>>& students);
// A demo-ops class list of `school` for today's school year: one class per (name, grade).
std::string classes(const std::string& school, const std::vector<std::pair<std::string, std::string>>& names);

std::string student_of(const std::string& source_id);  // the golden student of a demo-transcripts id
std::string school_id(const std::string& code);        // the golden school holding this school code
std::string class_id(const std::string& school, const std::string& name);
// No demo feed links an enrollment to its class: sets the link on the stored enrollment and its
// current version (which the as-of reading uses).
void place_in_class(const std::string& student, const std::string& school, const std::string& klass);
// "school code|class name" of the student's enrollment in force on `date` ("school code"
// without a class, "" if none).
std::string placed(const std::string& student, const std::string& date);

// A hub on a fresh database with the demo ops partner (its school list pushed) and the demo
// transcript platform.
struct SchoolDemo {
  HubProcess hub;
  std::string ops, tr;
  SchoolDemo(std::map<std::string, std::string> hub_env, const std::vector<std::string>& ops_scopes);
  // Pushes `body` and requires every record accepted.
  void push(const std::string& token, const std::string& feed, const std::string& body);

  // The two schools of a merge: class 6A1 at HP-THCS-0007 with <prefix>1 and <prefix>2, class
  // 6A2 at HP-THCS-0012 with <prefix>3 (source ids of the transcript platform), each placed in
  // its class. Returns the three golden students.
  struct MergeStudents {
    std::string m1, m2, m3;
  };
  MergeStudents two_schools_before_merge(const std::string& prefix);
};

inline SchoolDemo::SchoolDemo(std::map<std::string, std::string> hub_env, const std::vector<std::string>& ops_scopes)
    : hub(std::move(hub_env)) {
  reset_database();
  REQUIRE(hub.start());
  std::vector<std::string> ops_args;
  for (const auto& s : ops_scopes) ops_args.insert(ops_args.end(), {"--scope", s});
  ops = add_partner("demo-ops", ops_args);
  tr = add_partner("demo-transcripts", {"--scope", "ingest:student", "--scope", "ingest:enrollment", "--scope",
                                        "ingest:subject_result", "--scope", "ingest:term_summary"});
  push(ops, "schools", read_file(kPartnersDir + "/demo-ops/samples/schools.json"));
}

inline void SchoolDemo::push(const std::string& token, const std::string& feed, const std::string& body) {
  require_all_accepted(push_feed(hub, token, feed, body));
}

inline SchoolDemo::MergeStudents SchoolDemo::two_schools_before_merge(const std::string& prefix) {
  push(ops, "classes", classes("HP-THCS-0007", {{"6A1", "6"}}));
  push(ops, "classes", classes("HP-THCS-0012", {{"6A2", "6"}}));
  push(tr, "transcripts", transcripts("HP-THCS-0007", {{prefix + "1", "6"}, {prefix + "2", "6"}}));
  push(tr, "transcripts", transcripts("HP-THCS-0012", {{prefix + "3", "6"}}));
  MergeStudents s{student_of(prefix + "1"), student_of(prefix + "2"), student_of(prefix + "3")};
  place_in_class(s.m1, "HP-THCS-0007", class_id("HP-THCS-0007", "6A1"));
  place_in_class(s.m2, "HP-THCS-0007", class_id("HP-THCS-0007", "6A1"));
  place_in_class(s.m3, "HP-THCS-0012", class_id("HP-THCS-0012", "6A2"));
  return s;
}

}  // namespace hub::test
