// The change feed (hub/sync/change_feed.h) on monthly partitions (migration 0028), against the
// real PostgreSQL: each change carries the data of its own version when the versions of a record
// lie in several months, and a page probes one partition of record_version per change rather
// than every month kept (the join names the partition key; without it a page of /v1/changes
// cost 91-225 ms at 1 million students, docs/benchmarks.md "A store of millions").

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <pqxx/pqxx>

#include <string>

#include "hub/sync/change_feed.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

constexpr int kRecords = 40;
constexpr int kMonths = 4;  // versions 1..4: three months back, two, one, and this month

// kRecords students, each with one version and its change per month (version k in month
// kMonths - k back), dated as the writers date them: the version's recorded_at is its change's at.
// Golden data is the last version's; versions carry {"v": k}. Changes interleave records in seq
// order, month by month.
void fill_versions_over_months() {
  reset_database();
  sql_exec("select hub_create_month_partition(t, (date_trunc('month', now()) - make_interval(months => m))::date)"
           " from unnest(array['change_log', 'record_version']) t, generate_series(0, " +
           std::to_string(kMonths) + ") m");
  const std::string ids = "(select md5('feed-' || r)::uuid as id, r from generate_series(1, " +
                          std::to_string(kRecords) + ") r)";
  // Day 3 of each month, one second apart per record: never on a month's edge.
  const std::string at = "date_trunc('month', now()) - make_interval(months => " + std::to_string(kMonths) +
                         " - k) + interval '2 days' + make_interval(secs => r)";
  sql_exec("insert into golden_record(id, entity, data, version) select id, 'student', jsonb_build_object('v', " +
           std::to_string(kMonths) + ", 'r', r), " + std::to_string(kMonths) + " from " + ids + " s");
  sql_exec("insert into record_version(record_id, version, data, recorded_at)"
           " select id, k, jsonb_build_object('v', k, 'r', r), " + at + " from " + ids +
           " s, generate_series(1, " + std::to_string(kMonths) + ") k");
  sql_exec("insert into change_log(entity, record_id, op, version, at)"
           " select 'student', id, case when k = 1 then 'create' else 'update' end, k, " + at + " from " + ids +
           " s, generate_series(1, " + std::to_string(kMonths) + ") k order by k, r");
  sql_exec("analyze golden_record, record_version, change_log");
}

// Sums "Actual Loops" of the plan nodes scanning a partition of record_version.
long long record_version_probes(const rapidjson::Value& node, int* partitions_read) {
  long long loops = 0;
  if (node.HasMember("Relation Name")) {
    std::string rel = node["Relation Name"].GetString();
    if (rel.rfind("record_version", 0) == 0) {
      long long n = node["Actual Loops"].GetInt64();
      loops += n;
      if (n > 0) ++*partitions_read;
    }
  }
  if (node.HasMember("Plans"))
    for (const auto& child : node["Plans"].GetArray()) loops += record_version_probes(child, partitions_read);
  return loops;
}

}  // namespace

TEST_CASE("change feed: each change carries its own version's data when a record's versions span months",
          "[db][sync]") {
  fill_versions_over_months();
  REQUIRE(count_rows("change_log") == std::to_string(kRecords * kMonths));
  // The versions really lie in kMonths different partitions.
  REQUIRE(sql_value("select count(distinct tableoid) from record_version") == std::to_string(kMonths));

  pqxx::connection c(postgres_url());
  pqxx::work tx(c);
  // Two pages (limit 100, then the rest), as a consumer pages by seq.
  auto first = hub::sync::read_changes(tx, {"student"}, 0, 100);
  REQUIRE(first.size() == 100);
  auto rest = hub::sync::read_changes(tx, {"student"}, first.back().seq, 1000);
  REQUIRE(rest.size() == kRecords * kMonths - 100);
  first.insert(first.end(), rest.begin(), rest.end());
  int checked = 0;
  long long last_seq = 0;
  for (const auto& ch : first) {
    INFO("seq " << ch.seq << " version " << ch.version);
    CHECK(ch.seq > last_seq);
    last_seq = ch.seq;
    auto d = parse_json(ch.data);
    REQUIRE(d.IsObject());
    // The version's own data, not the current record's (v = kMonths): a join that misses the
    // version falls back to the golden record.
    CHECK(d["v"].GetInt() == ch.version);
    ++checked;
  }
  CHECK(checked == kRecords * kMonths);
  // The other entity lists read the same rows.
  CHECK(hub::sync::read_changes(tx, {}, 0, 1000).size() == static_cast<size_t>(kRecords * kMonths));
  CHECK(hub::sync::read_changes(tx, {"student", "school"}, 0, 1000).size() == static_cast<size_t>(kRecords * kMonths));

  // A change whose version is not kept (an unmerge that restored a record without a version
  // row) reads the current data.
  tx.exec("delete from record_version where version = 2 and record_id = md5('feed-1')::uuid");
  auto again = hub::sync::read_changes(tx, {"student"}, 0, 1000);
  for (const auto& ch : again)
    if (ch.record_id == tx.exec1("select md5('feed-1')::uuid::text")[0].c_str() && ch.version == 2)
      CHECK(parse_json(ch.data)["v"].GetInt() == kMonths);
}

TEST_CASE("change feed: a page probes one partition of record_version per change, not every month",
          "[db][sync]") {
  fill_versions_over_months();
  const int partitions = std::stoi(count_rows("pg_inherits where inhparent = 'record_version'::regclass"));
  REQUIRE(partitions >= kMonths + 1);  // the months filled, the coming ones, the default

  pqxx::connection c(postgres_url());
  pqxx::work tx(c);
  // The plan PostgreSQL takes on a store of millions: a nested loop probing record_version's
  // primary key per change (on these few rows it would rather hash the whole table, which says
  // nothing about the probes).
  tx.exec("set local enable_hashjoin = off");
  tx.exec("set local enable_mergejoin = off");
  tx.exec("set local enable_seqscan = off");
  tx.exec("set local enable_material = off");
  auto plan = tx.exec_params1("explain (analyze, format json) " + hub::sync::changes_page_sql_one_entity(),
                              "student", 0, 1000);
  rapidjson::Document d = parse_json(plan[0].c_str());
  REQUIRE(d.IsArray());
  const auto& root = d[0]["Plan"];
  int read = 0;
  long long probes = record_version_probes(root, &read);
  INFO(plan[0].c_str());
  // One probe per change, in the one partition of its month: joined without the partition key,
  // every change probes every partition (kRecords * kMonths * partitions).
  CHECK(probes == kRecords * kMonths);
  CHECK(read == kMonths);
}
