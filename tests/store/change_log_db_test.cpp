// ChangeLog, the one writer of change_log (the write pipeline and review decisions use it),
// against the real PostgreSQL. Guards: a change without a batch (a person's merge) is stored
// with a NULL batch_id, not 0 or text; the rows keep the order they were added in (readers
// follow seq); and write() forgets what it sent, so a second write in the same transaction
// does not log the changes twice.

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "hub/store/change_log.h"
#include "tests/support/test_env.h"

using namespace hub::test;

TEST_CASE("ChangeLog writes rows in order with or without a batch and once only", "[db][store]") {
  reset_database();
  const std::string a = "00000000-0000-4000-8000-00000000000a", b = "00000000-0000-4000-8000-00000000000b";
  pqxx::connection c(postgres_url());
  {
    pqxx::work tx(c);
    hub::ChangeLog log;
    CHECK(log.empty());
    log.add("student", a, "create", 1, 42);
    log.add("student", b, "merge", 3);
    CHECK_FALSE(log.empty());
    log.write(tx);
    CHECK(log.empty());
    log.write(tx);  // nothing left: no second copy of the rows
    tx.commit();
  }
  CHECK(sql_value("select count(*) from change_log") == "2");
  CHECK(sql_value("select string_agg(record_id::text || ':' || op || ':' || version || ':' ||"
                  " coalesce(batch_id::text, 'null'), ',' order by seq) from change_log") ==
        a + ":create:1:42," + b + ":merge:3:null");
}
