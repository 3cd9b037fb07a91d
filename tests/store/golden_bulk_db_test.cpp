// A chunk's golden rows in bulk (hub/store/golden_bulk.h) against the real PostgreSQL: new
// records and their first versions written together, a change raising the version and keeping
// the one before, natural keys and source links written once, a duplicate new key refused, and
// the stored records a chunk changes locked and returned with their lineage as stored.

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "hub/store/golden_bulk.h"
#include "tests/support/test_env.h"

using namespace hub::test;
namespace bulk = hub::golden::bulk;

namespace {

const std::string kA = "00000000-0000-0000-0000-00000000000a";
const std::string kB = "00000000-0000-0000-0000-00000000000b";
const std::string kLineage = R"([{"partner": "demo-a", "batch": 7, "fields": ["full_name"]}])";

// The partner's id, as text.
std::string seed_partner() {
  reset_database();
  sql_exec("insert into partner(name) values ('demo-a')");
  return sql_value("select id from partner where name = 'demo-a'");
}

}  // namespace

// Guards against a new record without its first version (as_of and the audit of values would
// miss it), a change that overwrites the version before it, a version that loses its batch or
// partner, and the validity dates of an effective-dated record not following its data.
TEST_CASE("golden bulk: new records come with their versions - a change raises the version and keeps the old one",
          "[db][store]") {
  const long long partner = std::stoll(seed_partner());
  pqxx::connection c(postgres_url());
  {
    pqxx::work tx(c);
    bulk::write_records(tx, {7, partner},
                        {{kA, "student", 1, R"({"full_name": "Lê Văn An"})", kLineage, std::nullopt, std::nullopt},
                         {kB, "enrollment", 1, R"({"valid_from": "2025-09-05"})", kLineage, "2025-09-05", std::nullopt}},
                        {});
    tx.commit();
  }
  CHECK(sql_value("select entity || ' ' || version || ' ' || (data->>'full_name') from golden_record where id = '" +
                  kA + "'") == "student 1 Lê Văn An");
  CHECK(sql_value("select field_lineage(lineage, 'full_name')->>'partner' from golden_record where id = '" + kA +
                  "'") == "demo-a");
  CHECK(sql_value("select valid_from || ' ' || coalesce(valid_to::text, 'open') from golden_record where id = '" +
                  kB + "'") == "2025-09-05 open");
  CHECK(sql_value("select version || ' ' || batch_id || ' ' || (partner_id = " + std::to_string(partner) +
                  ")::text || ' ' || (data->>'full_name') from record_version where record_id = '" + kA + "'") ==
        "1 7 true Lê Văn An");
  CHECK(sql_value("select valid_from::text from record_version where record_id = '" + kB + "'") == "2025-09-05");

  {
    pqxx::work tx(c);
    // A row for a record nobody stored changes nothing and keeps no version.
    bulk::write_records(tx, {8, partner}, {},
                        {{kA, "", 2, R"({"full_name": "Lê Văn Anh"})", "[]", std::nullopt, std::nullopt},
                         {kB, "", 2, R"({"valid_from": "2025-09-05", "valid_to": "2026-05-31"})", "[]", "2025-09-05",
                          "2026-05-31"},
                         {"00000000-0000-0000-0000-0000000000ff", "", 2, "{}", "[]", std::nullopt, std::nullopt}});
    tx.commit();
  }
  CHECK(sql_value("select entity || ' ' || version || ' ' || (data->>'full_name') || ' ' || lineage::text"
                  " from golden_record where id = '" + kA + "'") == "student 2 Lê Văn Anh []");
  CHECK(sql_value("select string_agg(version || ':' || batch_id || ':' || (data->>'full_name'), ',' order by version)"
                  " from record_version where record_id = '" + kA + "'") == "1:7:Lê Văn An,2:8:Lê Văn Anh");
  CHECK(sql_value("select valid_to::text from golden_record where id = '" + kB + "'") == "2026-05-31");
  CHECK(sql_value("select valid_to::text from record_version where record_id = '" + kB + "' and version = 2") ==
        "2026-05-31");
  CHECK(count_rows("golden_record") == "2");
  CHECK(count_rows("record_version") == "4");
}

// Guards against a key or link written twice (a row changed twice in one statement is an
// error), a key another record holds taken over by a chunk, a new record's key that someone took
// meanwhile going through silently (a duplicate record), and a link not following its record.
TEST_CASE("golden bulk: keys and links are written once - a held key stays and a taken new key is refused",
          "[db][store]") {
  const long long partner = std::stoll(seed_partner());
  sql_exec("insert into golden_record(id, entity, data, lineage) values ('" + kA + "', 'student', '{}', '[]'), ('" +
           kB + "', 'student', '{}', '[]')");
  pqxx::connection c(postgres_url());
  {
    pqxx::work tx(c);
    bulk::write_keys(tx, {{"student", "personal_id", "031214000303", kA}}, {});
    bulk::write_links(tx, {7, partner}, {{"student", "hs-1", kA, "00ff"}}, {});
    tx.commit();
  }
  {
    pqxx::work tx(c);
    bulk::write_keys(tx, {},
                     {{"student", "personal_id", "031214000303", kB},
                      {"student", "moet_id", "HS-9", kB},
                      {"student", "moet_id", "HS-9", kB}});
    bulk::write_links(tx, {8, partner}, {},
                      {{"student", "hs-1", kB, "abcd"}, {"student", "hs-1", kB, "abcd"}, {"student", "hs-2", kB, "01"}});
    tx.commit();
  }
  CHECK(sql_value("select record_id::text from natural_key where key_value = '031214000303'") == kA);
  CHECK(count_rows("natural_key where key_value = 'HS-9' and record_id = '" + kB + "'") == "1");
  CHECK(sql_value("select record_id || ' ' || encode(content_hash, 'hex') || ' ' || batch_id from source_link"
                  " where source_id = 'hs-1'") == kB + " abcd 8");
  CHECK(sql_value("select (partner_id = " + std::to_string(partner) + ")::text || ' ' || batch_id from source_link"
                  " where source_id = 'hs-2'") == "true 8");
  CHECK(count_rows("source_link") == "2");

  bool unique_violation = false;
  try {
    pqxx::work tx(c);
    bulk::write_keys(tx, {{"student", "personal_id", "031214000303", kB}}, {});
    tx.commit();
  } catch (const pqxx::unique_violation&) {
    unique_violation = true;
  }
  CHECK(unique_violation);
  CHECK(sql_value("select record_id::text from natural_key where key_value = '031214000303'") == kA);
}

// Guards against a chunk changing a record another chunk is changing (its lock must hold until
// commit), an unknown id failing the chunk, and the lineage coming back in another shape than
// the one stored (the write path reads it compact and writes it whole).
TEST_CASE("golden bulk: lock returns the stored records in id order with their lineage as stored - and holds them",
          "[db][store]") {
  seed_partner();
  sql_exec("insert into golden_record(id, entity, version, data, lineage) values ('" + kB +
           "', 'student', 3, '{\"full_name\": \"B\"}', '" + kLineage + "'), ('" + kA +
           "', 'student', 1, '{\"full_name\": \"A\"}', '[]')");
  pqxx::connection c(postgres_url());
  pqxx::work tx(c);
  auto rows = bulk::lock(tx, {kB, "00000000-0000-0000-0000-0000000000ff", kA});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == kA);
  CHECK(rows[1].id == kB);
  CHECK(rows[1].version == 3);
  CHECK(rows[1].data == R"({"full_name": "B"})");
  CHECK(rows[1].lineage == sql_value("select lineage::text from golden_record where id = '" + kB + "'"));
  CHECK(rows[1].lineage.front() == '[');
  CHECK(bulk::lock(tx, {}).empty());

  bool locked = false;
  try {
    pqxx::connection other(postgres_url());
    pqxx::work tx2(other);
    tx2.exec("select 1 from golden_record where id = '" + kB + "' for update nowait");
  } catch (const pqxx::sql_error& e) {
    locked = e.sqlstate() == "55P03";  // lock_not_available
  }
  CHECK(locked);
}
