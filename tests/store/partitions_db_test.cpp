// Monthly partitions (migration 0028, hub/store/partitions.h) against the real PostgreSQL and a
// real hub. Guards: rows of a push land in the partition of their month, a batch's results in
// the month of their batch; a row outside every month lands in the default partition instead of
// being refused; the change-log sequence goes on across partitions; a missing month is created
// again by ensure_partitions (the hub runs it at start and daily); an Idempotency-Key still
// answers a retry with the stored batch once that batch lives in an older month.

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "hub/store/partitions.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

std::string month_partition(const std::string& table, const std::string& months_from_now) {
  return sql_value("select '" + table + "_p' || to_char(date_trunc('month', now() at time zone 'UTC') + interval '" +
                   months_from_now + " months', 'YYYYMM')");
}

}  // namespace

TEST_CASE("pushed rows land in the partition of their month", "[db][store][partitions]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  const auto [ops, admissions, schools] = demo_ops_and_admissions(hub);
  REQUIRE(schools.status == 200);
  REQUIRE(push_feed(hub, admissions, "admissions", valid_admissions_payload("P-", 6)).status == 200);

  const std::string now = "0";
  for (const std::string table : {"change_log", "record_version", "inbox_batch", "batch_record"}) {
    INFO(table);
    CHECK(count_rows(table) != "0");
    CHECK(count_rows(table + " where tableoid::regclass::text <> '" + month_partition(table, now) + "'") == "0");
  }
  // Each result row carries its batch's received_at: same month, and (batch_id, index) unique.
  CHECK(count_rows("batch_record r join inbox_batch b on b.id = r.batch_id"
                   " where r.batch_received_at <> b.received_at") == "0");
  // Back-dated and far-future rows go to the default partition rather than fail.
  std::string max_seq = sql_value("select max(seq) from change_log");
  sql_exec("insert into change_log(entity, record_id, op, version, at) values"
           " ('student', '00000000-0000-4000-8000-000000000001', 'update', 2, '2001-05-01'),"
           " ('student', '00000000-0000-4000-8000-000000000001', 'update', 3, now() + interval '5 years')");
  CHECK(count_rows("change_log_default") == "2");
  CHECK(sql_value("select min(seq) > " + max_seq + " from change_log_default") == "t");
}

TEST_CASE("ensure_partitions creates missing months ahead and nothing twice", "[db][store][partitions]") {
  reset_database();
  const std::string ahead = month_partition("change_log", "2");
  REQUIRE(sql_value("select to_regclass('" + ahead + "') is not null") == "t");
  sql_exec("drop table " + ahead);
  pqxx::connection c(postgres_url());
  {
    pqxx::work tx(c);
    CHECK(hub::ensure_partitions(tx) == 1);
    CHECK(hub::ensure_partitions(tx) == 0);
    tx.commit();
  }
  CHECK(sql_value("select to_regclass('" + ahead + "') is not null") == "t");
  CHECK(sql_value("select count(*) from pg_inherits where inhparent = 'change_log'::regclass") ==
        std::to_string(1 + hub::kPartitionMonthsAhead + 1));  // this month, the months ahead, default
}

TEST_CASE("an Idempotency-Key answers a retry whose batch is in an older month", "[db][store][partitions]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  std::string ops = add_partner("demo-ops", {"--scope", "admin", "--scope", "ingest:school"});
  std::string body = read_file(kPartnersDir + "/demo-ops/samples/schools.json");
  auto keyed = [&] {
    return http("POST", hub.url("/v1/ingest/schools"), body,
                {"Authorization: Bearer " + ops, "Content-Type: application/json", "Idempotency-Key: k-old"}, 60000);
  };
  auto first = keyed();
  REQUIRE(first.status == 200);
  // The batch and its results move to a month two months back (an UPDATE of the partition key).
  sql_exec("select hub_create_month_partition(t, (date_trunc('month', now()) - interval '2 months')::date)"
           " from unnest(array['inbox_batch', 'batch_record']) t");
  sql_exec("update inbox_batch set received_at = received_at - interval '2 months'");
  sql_exec("update batch_record set batch_received_at = batch_received_at - interval '2 months'");
  REQUIRE(count_rows("inbox_batch where tableoid::regclass::text = '" + month_partition("inbox_batch", "-2") + "'") ==
          "1");
  auto retry = keyed();
  CHECK(retry.status == 200);
  CHECK(retry.headers["idempotent-replayed"] == "true");
  CHECK(count_rows("inbox_batch") == "1");
  CHECK(count_rows("inbox_idempotency where idempotency_key = 'k-old'") == "1");
}
