// The golden rows a decision changes (hub/store/golden_rows.h) against the real PostgreSQL: a
// merge's move of source links and natural keys and an unmerge's restoring them from the
// snapshots, the redirect of earlier merges, a version and its change event, the natural key of
// a changed personal ID, a natural key added unless held, a recoded field, a lineage annotation
// and a version kept with its batch.

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "hub/store/golden_rows.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

const std::string kA = "00000000-0000-0000-0000-00000000000a";
const std::string kB = "00000000-0000-0000-0000-00000000000b";
const std::string kC = "00000000-0000-0000-0000-00000000000c";

void seed() {
  reset_database();
  sql_exec("insert into partner(name) values ('demo-a'), ('demo-b')");
  for (const auto& id : {kA, kB, kC})
    sql_exec("insert into golden_record(id, entity, data, lineage) values ('" + id +
             "', 'student', '{\"full_name\": \"x\"}', '[]')");
  sql_exec("insert into source_link(partner_id, entity, source_id, record_id, content_hash, batch_id)"
           " select id, 'student', name || '-1', '" + kA + "', '', 0 from partner where name = 'demo-a'");
  sql_exec("insert into source_link(partner_id, entity, source_id, record_id, content_hash, batch_id)"
           " select id, 'student', name || '-1', '" + kB + "', '', 0 from partner where name = 'demo-b'");
  sql_exec("insert into natural_key(entity, key_name, key_value, record_id) values"
           " ('student', 'personal_id', '031214000303', '" + kA + "'),"
           " ('student', 'personal_id', '031214000999', '" + kB + "')");
}

}  // namespace

// Guards against a merge leaving a link or key on the merged record (the partner's next push
// would land on a redirected record) and an unmerge not giving back exactly the merged one's.
TEST_CASE("golden rows: links and keys move on merge and come back on unmerge - earlier merges follow",
          "[db][store]") {
  seed();
  sql_exec("update golden_record set merged_into = '" + kB + "' where id = '" + kC + "'");
  pqxx::connection c(postgres_url());
  std::string links, keys;
  {
    pqxx::work tx(c);
    links = hub::golden::source_links(tx, kB);
    keys = hub::golden::natural_keys(tx, kB);
    auto locked = hub::golden::lock(tx, {kA, kB, "00000000-0000-0000-0000-0000000000ff"});
    CHECK(locked.size() == 2);  // an unknown id is absent, not an error
    CHECK(locked[kA].version == 1);
    hub::golden::move_links_and_keys(tx, kB, kA);
    hub::golden::mark_merged(tx, kB, kA);
    hub::golden::write_version(tx, "student", kB, 2, "merge");
    tx.commit();
  }
  CHECK(count_rows("source_link where record_id = '" + kA + "'") == "2");
  CHECK(count_rows("natural_key where record_id = '" + kA + "'") == "2");
  CHECK(sql_value("select merged_into::text from golden_record where id = '" + kB + "'") == kA);
  CHECK(sql_value("select version from golden_record where id = '" + kB + "'") == "2");
  CHECK(sql_value("select merged_into::text from golden_record where id = '" + kC + "'") == kA);
  CHECK(count_rows("record_version where record_id = '" + kB + "' and version = 2") == "1");
  CHECK(count_rows("change_log where record_id = '" + kB + "' and op = 'merge' and version = 2") == "1");
  {
    pqxx::work tx(c);
    auto sources = hub::golden::link_sources(tx, links);
    CHECK(sources == std::set<std::pair<std::string, std::string>>{{"demo-b", "demo-b-1"}});
    hub::golden::restore_unmerged(tx, kB, R"({"full_name": "y"})", "[]");
    hub::golden::restore_links_and_keys(tx, kB, links, keys);
    tx.commit();
  }
  CHECK(sql_value("select coalesce(merged_into::text, 'none') || ' ' || (data->>'full_name') from golden_record"
                  " where id = '" + kB + "'") == "none y");
  CHECK(sql_value("select record_id::text from source_link where source_id = 'demo-b-1'") == kB);
  CHECK(sql_value("select record_id::text from source_link where source_id = 'demo-a-1'") == kA);
  CHECK(sql_value("select record_id::text from natural_key where key_value = '031214000999'") == kB);
  CHECK(sql_value("select record_id::text from natural_key where key_value = '031214000303'") == kA);
}

// Guards against a personal-ID change taking a key another record holds, or leaving the old ID
// naming the record.
TEST_CASE("golden rows: a changed personal ID moves its natural key - a key another record holds is named",
          "[db][store]") {
  seed();
  pqxx::connection c(postgres_url());
  pqxx::work tx(c);
  CHECK(hub::golden::key_holder(tx, "student", "personal_id", "031214000999", kA) == kB);
  CHECK(!hub::golden::key_holder(tx, "student", "personal_id", "031214000303", kA));
  hub::golden::move_key(tx, "student", "personal_id", std::string("031214000303"), "031214000404", kA);
  hub::golden::apply_decided(tx, kA, R"({"full_name": "x", "personal_id": "031214000404"})",
                             R"({"personal_id": {"partner": "demo-a", "decided_by": "user:lan"}})", 2);
  tx.commit();
  CHECK(sql_value("select string_agg(key_value, ',') from natural_key where record_id = '" + kA + "'") ==
        "031214000404");
  CHECK(sql_value("select field_lineage(lineage, 'personal_id')->>'decided_by' from golden_record where id = '" +
                  kA + "'") == "user:lan");
}

// Guards against a recoded school taking a code another school holds (two schools would answer
// one code) and against the old code being dropped when the new one is added.
TEST_CASE("golden rows: a new natural key is added only when no record holds it", "[db][store]") {
  seed();
  pqxx::connection c(postgres_url());
  pqxx::work tx(c);
  CHECK(hub::golden::add_key(tx, "student", "personal_id", "031214000505", kA));
  CHECK_FALSE(hub::golden::add_key(tx, "student", "personal_id", "031214000999", kA));  // kB's
  tx.commit();
  CHECK(sql_value("select string_agg(key_value, ',' order by key_value) from natural_key where record_id = '" + kA +
                  "'") == "031214000303,031214000505");
  CHECK(sql_value("select record_id::text from natural_key where key_value = '031214000999'") == kB);
}

// Guards against a commune decision naming its decider on a field another batch wrote since, a
// recode losing the field's source in its lineage, and a kept version losing its batch or
// writing a change event the caller writes itself.
TEST_CASE("golden rows: a recode and a lineage annotation touch only their field - a kept version names its batch",
          "[db][store]") {
  seed();
  pqxx::connection c(postgres_url());
  pqxx::work tx(c);
  hub::golden::apply_decided(tx, kA, R"({"full_name": "x", "commune_code": "00001", "home_commune": "00001"})",
                             R"({"commune_code": {"partner": "demo-a", "batch": 7},)"
                             R"( "home_commune": {"partner": "demo-a", "batch": 8}})",
                             2);
  hub::golden::annotate_lineage(tx, kA, "%commune%", "00001", 7, R"({"decided_by": "user:lan"})");
  const int version = hub::golden::recode_field(tx, kA, "commune_code", "00002", R"({"recoded_by": "user:minh"})");
  CHECK(version == 3);
  hub::golden::keep_version(tx, kA, 7, 1);
  tx.commit();
  const std::string lin = "select field_lineage(lineage, '";
  const std::string of_a = " from golden_record where id = '" + kA + "'";
  CHECK(sql_value("select data->>'commune_code'" + of_a) == "00002");
  CHECK(sql_value(lin + "commune_code')->>'decided_by'" + of_a) == "user:lan");
  CHECK(sql_value(lin + "commune_code')->>'recoded_by'" + of_a) == "user:minh");
  CHECK(sql_value(lin + "commune_code')->>'partner'" + of_a) == "demo-a");
  CHECK(sql_value("select coalesce(field_lineage(lineage, 'home_commune')->>'decided_by', 'none')" + of_a) == "none");
  CHECK(sql_value("select batch_id || ' ' || partner_id || ' ' || (data->>'commune_code') from record_version"
                  " where record_id = '" + kA + "' and version = 3") == "7 1 00002");
  CHECK(count_rows("change_log where record_id = '" + kA + "'") == "0");
}
