// What a database error means to the retry logic, and that its description keeps row data out
// of logs and batch errors: without these, a refused row was retried for ever, and the text of
// a COPY line (with a personal ID) reached the log.

#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "hub/store/pg_error.h"
#include "hub/store/pg_pool.h"

using namespace hub;

TEST_CASE("SQLSTATE classes: record errors - transient conflicts - connection - other", "[store][pg_error]") {
  CHECK(db_error_kind("23514") == DbErrorKind::kRecord);  // check violation
  CHECK(db_error_kind("23502") == DbErrorKind::kRecord);  // not null
  CHECK(db_error_kind("22P05") == DbErrorKind::kRecord);  // untranslatable character (NUL)
  CHECK(db_error_kind("22021") == DbErrorKind::kRecord);  // invalid byte sequence
  CHECK(db_error_kind("54000") == DbErrorKind::kRecord);  // index row too large
  CHECK(db_error_kind("23505") == DbErrorKind::kTransient);  // concurrent writers, retried on purpose
  CHECK(db_error_kind("40P01") == DbErrorKind::kTransient);
  CHECK(db_error_kind("40001") == DbErrorKind::kTransient);
  CHECK(db_error_kind("55P03") == DbErrorKind::kTransient);
  CHECK(db_error_kind("57014") == DbErrorKind::kTransient);
  CHECK(db_error_kind("08006") == DbErrorKind::kConnection);
  CHECK(db_error_kind("57P01") == DbErrorKind::kConnection);
  CHECK(db_error_kind("42P01") == DbErrorKind::kOther);
  CHECK(db_error_kind("P0001") == DbErrorKind::kOther);
  CHECK(db_error_kind("") == DbErrorKind::kOther);
}

TEST_CASE("pqxx exceptions are classified - deadlocks too though pqxx 6 does not make them sql_error",
          "[store][pg_error]") {
  CHECK(describe_db_error(pqxx::check_violation("ERROR:  no", "COPY x", "23514")).kind == DbErrorKind::kRecord);
  auto deadlock = describe_db_error(pqxx::deadlock_detected("ERROR:  deadlock detected"));
  CHECK(deadlock.kind == DbErrorKind::kTransient);
  CHECK(deadlock.sqlstate == "40P01");
  CHECK(describe_db_error(pqxx::broken_connection("server closed the connection")).kind == DbErrorKind::kConnection);
  CHECK(describe_db_error(pqxx::in_doubt_error("commit")).kind == DbErrorKind::kConnection);
  CHECK(describe_db_error(DatabaseUnavailable("down")).kind == DbErrorKind::kConnection);
  CHECK(describe_db_error(std::runtime_error("x")).kind == DbErrorKind::kNone);
}

TEST_CASE("database error text loses its row data: DETAIL - CONTEXT - quoted values", "[store][pg_error]") {
  std::string what =
      "ERROR:  new row for relation \"golden_record\" violates check constraint \"golden_record_check\"\n"
      "DETAIL:  Failing row contains (7, student, {\"personal_id\": \"031214000666\", \"full_name\": \"Lê Thị Hoa\"}).\n"
      "CONTEXT:  COPY golden_record, line 1: \"7\tstudent\t{\"personal_id\": \"031214000666\"}\"\n";
  CHECK(safe_db_message(what) ==
        "new row for relation \"golden_record\" violates check constraint \"golden_record_check\"");
  CHECK(safe_db_message("ERROR:  invalid input syntax for type date: \"2014-31-02\"\n") ==
        "invalid input syntax for type date: \"…\"");
  CHECK(safe_db_message("ERROR:  value \"Lê Thị Hoa\" is out of range for type integer") ==
        "value \"…\" is out of range for type integer");
  CHECK(safe_db_message("ERROR:  null value in column \"data\" of relation \"golden_record\" violates not-null"
                        " constraint") ==
        "null value in column \"data\" of relation \"golden_record\" violates not-null constraint");
  // Free text (a RAISE in a trigger) keeps its words, but never a personal ID.
  CHECK(safe_db_message("ERROR:  refused 031214000666") == "refused 031*******66");
  CHECK(safe_db_message(std::string(1000, 'x')).size() <= 303);
  auto text = safe_error_text(pqxx::check_violation(what, "COPY golden_record", "23514"));
  CHECK(text.rfind("SQLSTATE 23514: new row for relation", 0) == 0);
  CHECK(text.find("031214000666") == std::string::npos);
  CHECK(text.find("Hoa") == std::string::npos);
}
