// CopyBinaryRow against the real PostgreSQL: every value comes back byte for byte whether it went
// in whole or in slices (a slice boundary that dropped, repeated or reordered bytes would show),
// NULLs and PostgreSQL-encoded timestamps land in their columns, and a row PostgreSQL refuses
// throws with its SQLSTATE and leaves nothing, with the connection still usable.

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <string>

#include "hub/store/copy_binary.h"
#include "hub/store/pg_error.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

// Every byte value, in an order that differs from slice to slice.
std::string all_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return s;
}

}  // namespace

TEST_CASE("CopyBinaryRow: values sent whole or in slices come back byte for byte", "[db][store]") {
  reset_database();
  sql_exec("create table copy_binary_probe (k bigint primary key, n int, t text, b bytea, b2 bytea, at timestamptz)");
  const std::string text = "Nguyễn Thị Ánh\ttab\nline \\N";
  const std::string large = all_bytes(1000), second = all_bytes(4097);
  pqxx::connection c(postgres_url());
  {
    pqxx::work tx(c);
    const pqxx::binarystring at(tx.exec1("select timestamptz_send('2025-06-05 07:08:09.123456+00')")[0]);
    // Slices of 7 bytes: every value of 7 bytes or more goes in slices, the integers whole.
    hub::CopyBinaryRow row("copy_binary_probe", {"k", "n", "t", "b", "b2", "at"}, 7);
    row.int8(-5'000'000'000LL).int4(-42).text(text).binary(large).binary(second)
        .binary(std::string_view(at.get(), at.size()));
    row.write(tx);
    hub::CopyBinaryRow nulls("copy_binary_probe", {"k", "n", "t", "b", "b2", "at"});
    nulls.int8(2).null().null().binary("").binary(std::string_view("\0\x01", 2)).null();
    nulls.write(tx);
    tx.commit();
  }
  CHECK(sql_value("select n from copy_binary_probe where k = -5000000000") == "-42");
  CHECK(sql_value("select t from copy_binary_probe where k = -5000000000") == text);
  {
    pqxx::work tx(c);
    const auto r = tx.exec1("select b, b2 from copy_binary_probe where k = -5000000000");
    CHECK(pqxx::binarystring(r[0]).str() == large);
    CHECK(pqxx::binarystring(r[1]).str() == second);
  }
  CHECK(sql_value("select to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') from copy_binary_probe"
                  " where k = -5000000000") == "2025-06-05 07:08:09.123456");
  CHECK(sql_value("select (n is null and t is null and length(b) = 0 and encode(b2, 'hex') = '0001' and at is null)::text"
                  " from copy_binary_probe where k = 2") == "true");
}

TEST_CASE("CopyBinaryRow: a refused row throws its SQLSTATE, leaves nothing, and the connection goes on",
          "[db][store]") {
  reset_database();
  sql_exec("create table copy_binary_probe (k bigint primary key, t text not null, b bytea)");
  const std::string large = all_bytes(300'000);
  pqxx::connection c(postgres_url());
  std::string sqlstate;
  try {
    pqxx::work tx(c);
    // Invalid UTF-8 in the text column, before the large value: PostgreSQL refuses the row
    // while the slices after it are still being sent.
    hub::CopyBinaryRow row("copy_binary_probe", {"k", "t", "b"}, 4096);
    row.int8(1).text("\xff\xfe").binary(large);
    row.write(tx);
    tx.commit();
  } catch (const pqxx::sql_error& e) {
    sqlstate = e.sqlstate();
    CHECK(hub::describe_db_error(e).kind == hub::DbErrorKind::kRecord);
  }
  CHECK(sqlstate == "22021");
  try {
    pqxx::work tx(c);
    hub::CopyBinaryRow row("copy_binary_probe", {"k", "t", "b"}, 4096);
    row.int8(1).null().binary(large);  // t is not null: refused once the row is complete
    row.write(tx);
    tx.commit();
    sqlstate = "";
  } catch (const pqxx::sql_error& e) {
    sqlstate = e.sqlstate();
  }
  CHECK(sqlstate == "23502");
  {
    pqxx::work tx(c);
    hub::CopyBinaryRow short_row("copy_binary_probe", {"k", "t", "b"});
    short_row.int8(1);
    CHECK_THROWS_AS(short_row.write(tx), std::logic_error);  // one value for three columns: nothing sent
  }
  // The same connection stores the next row.
  {
    pqxx::work tx(c);
    hub::CopyBinaryRow row("copy_binary_probe", {"k", "t", "b"}, 4096);
    row.int8(3).text("ok").binary(large);
    row.write(tx);
    tx.commit();
  }
  CHECK(sql_value("select string_agg(k::text || ':' || length(b), ',') from copy_binary_probe") == "3:300000");
}
