// CopyRows against the real PostgreSQL: what goes in by COPY comes back byte for byte (the
// escapes of COPY's text format, UTF-8, JSON, bytea in hex, NULL), and a duplicate key fails
// the COPY with a unique violation (what the ingest loop retries).

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "hub/store/copy_rows.h"
#include "tests/support/test_env.h"

using namespace hub::test;

TEST_CASE("CopyRows: values come back byte for byte - a duplicate key is a unique violation", "[db][store]") {
  reset_database();
  sql_exec("create table copy_probe (k int primary key, t text, j jsonb, b bytea)");
  const std::string tricky = "tab\there, line\nbreak, cr\r, back\\slash \\N, Nguyễn Thị Ánh";
  pqxx::connection c(postgres_url());
  {
    pqxx::work tx(c);
    hub::CopyRows<4> rows("copy_probe", {"k", "t", "j", "b"});
    rows.add({"1", tricky, R"({"name": "Lê \"Văn\"", "path": "C:\\x"})", "\\x00ff10"});
    rows.add({"2", std::nullopt, std::nullopt, std::nullopt});
    rows.add({"3", "", "[]", "\\x"});
    CHECK(rows.size() == 3);
    rows.write(tx);
    tx.commit();
  }
  CHECK(sql_value("select t from copy_probe where k = 1") == tricky);
  CHECK(sql_value("select j->>'name' from copy_probe where k = 1") == "Lê \"Văn\"");
  CHECK(sql_value("select j->>'path' from copy_probe where k = 1") == "C:\\x");
  CHECK(sql_value("select encode(b, 'hex') from copy_probe where k = 1") == "00ff10");
  CHECK(sql_value("select (t is null and j is null and b is null)::text from copy_probe where k = 2") == "true");
  CHECK(sql_value("select (t = '' and length(b) = 0)::text from copy_probe where k = 3") == "true");

  // Nothing to write: no COPY at all (an empty one would still fire statement triggers).
  {
    pqxx::work tx(c);
    hub::CopyRows<4> none("copy_probe", {"k", "t", "j", "b"});
    CHECK(none.empty());
    none.write(tx);
    tx.commit();
  }

  bool unique_violation = false;
  try {
    pqxx::work tx(c);
    hub::CopyRows<4> dup("copy_probe", {"k", "t", "j", "b"});
    dup.add({"4", "new", "{}", "\\x"});
    dup.add({"1", "again", "{}", "\\x"});
    dup.write(tx);
    tx.commit();
  } catch (const pqxx::unique_violation&) {
    unique_violation = true;
  }
  CHECK(unique_violation);
  CHECK(sql_value("select count(*) from copy_probe") == "3");  // the failed COPY left nothing
}
