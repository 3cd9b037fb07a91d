// hubctl partitions against the real PostgreSQL. Guards: --plan lists the old months and changes
// nothing; --apply detaches (or drops) a month only when nothing needs it, with one audit row per
// partition; a month holding changes a consumer has not acknowledged, the current version or the
// last change of a record, or an unfinished batch is refused and stays attached.

#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

const char* kRecord = "00000000-0000-4000-8000-0000000000aa";

// A month 14 months back, with one row in each partitioned table; the record it names also
// changed this month unless `current_in_old_month`. Returns the month as YYYYMM.
std::string old_month_with_rows(bool current_in_old_month, const std::string& batch_status) {
  const std::string at = "(date_trunc('month', now()) - interval '14 months' + interval '3 days')";
  sql_exec("select hub_create_month_partition(t, (date_trunc('month', now()) - interval '14 months')::date)"
           " from unnest(array['change_log', 'record_version', 'inbox_batch', 'batch_record']) t");
  sql_exec("insert into partner(name) values ('demo-old')");
  sql_exec("insert into inbox_batch(partner_id, feed, content_type, body, body_sha256, idempotency_key, status,"
           " received_at) select id, 'schools', 'application/json', '{}', '', 'old-key', '" + batch_status + "', " + at +
           " from partner where name = 'demo-old'");
  sql_exec("insert into inbox_idempotency(partner_id, idempotency_key, received_at)"
           " select partner_id, idempotency_key, received_at from inbox_batch");
  sql_exec("insert into batch_record(batch_id, index, status, batch_received_at)"
           " select id, 0, 'accepted', received_at from inbox_batch");
  sql_exec(std::string("insert into golden_record(id, entity, data, version) values ('") + kRecord + "', 'school', '{}', " +
           (current_in_old_month ? "1" : "2") + ")");
  sql_exec(std::string("insert into record_version(record_id, version, data, recorded_at) values ('") + kRecord +
           "', 1, '{}', " + at + ")");
  sql_exec(std::string("insert into change_log(entity, record_id, op, version, at) values ('school', '") + kRecord +
           "', 'create', 1, " + at + ")");
  if (!current_in_old_month) {
    sql_exec(std::string("insert into record_version(record_id, version, data) values ('") + kRecord + "', 2, '{}')");
    sql_exec(std::string("insert into change_log(entity, record_id, op, version) values ('school', '") + kRecord +
             "', 'update', 2)");
  }
  return sql_value("select to_char(date_trunc('month', now()) - interval '14 months', 'YYYYMM')");
}

std::string attached(const std::string& month) {
  return count_rows("pg_inherits i join pg_class c on c.oid = i.inhrelid where c.relname like '%_p" + month + "'");
}

}  // namespace

TEST_CASE("hubctl partitions plans then detaches old months with audit rows", "[db][tools][partitions]") {
  reset_database();
  std::string month = old_month_with_rows(false, "done");
  sql_exec("insert into sync_consumer(name, cursor) select 'warehouse', max(seq) from change_log");
  REQUIRE(attached(month) == "4");

  auto plan = hubctl({"partitions", "--plan"});
  REQUIRE(plan.exit_code == 0);
  CHECK(plan.out.find("change_log_p" + month) != std::string::npos);
  CHECK(plan.out.find("inbox_batch_p" + month) != std::string::npos);
  CHECK(plan.out.find("plan: 4 partition(s) may go, 0 refused") != std::string::npos);
  CHECK(attached(month) == "4");  // a plan changes nothing

  auto apply = hubctl({"partitions", "--apply", "--older-than", "6"});
  INFO(apply.out << apply.err);
  REQUIRE(apply.exit_code == 0);
  CHECK(apply.out.find("4 partition(s) detached, 0 refused") != std::string::npos);
  CHECK(attached(month) == "0");
  // Detached, not dropped: the rows are still in the database, outside the hub's tables.
  CHECK(count_rows("change_log_p" + month) == "1");
  CHECK(count_rows("change_log where version = 1") == "0");
  CHECK(count_rows("detached_partition where dropped_at is null") == "4");
  CHECK(count_rows("audit_log where action = 'partition.detach'") == "4");
  CHECK(count_rows("audit_log where action = 'partition.detach' and target = 'batch_record_p" + month + "'") == "1");
  CHECK(count_rows("inbox_idempotency") == "0");
  // The newer month is untouched.
  CHECK(count_rows("change_log") == "1");
  CHECK(count_rows("record_version") == "1");

  // A pull consumer whose cursor is before the detached month's changes is told so, never
  // served the newer changes as if nothing were missing.
  std::string last_detached = sql_value("select last_seq from detached_partition where parent = 'change_log'");
  REQUIRE(last_detached == sql_value("select max(seq) from change_log_p" + month));
  HubProcess hub({{"HUB_PUBLICATION_SECRET", "partitions-test-secret-0123"}, {"HUB_SYNC_PUSH", "false"}});
  REQUIRE(hub.start());
  std::string warehouse = add_partner("demo-warehouse", {"--scope", "pull:*"});
  auto expired = get(hub.url("/v1/changes/school?after=0"), warehouse);
  CHECK(expired.status == 409);
  CHECK(expired.body.find("sync.cursor_expired") != std::string::npos);
  auto on = get(hub.url("/v1/changes/school?after=" + last_detached), warehouse);
  CHECK(on.status == 200);
  CHECK(on.body.find("\"op\":\"update\"") != std::string::npos);
}

TEST_CASE("hubctl partitions refuses months still needed and drops them once free", "[db][tools][partitions]") {
  reset_database();
  std::string month = old_month_with_rows(true, "processing");
  sql_exec("insert into sync_consumer(name, cursor) values ('warehouse', 0)");

  auto apply = hubctl({"partitions", "--apply", "--drop"});
  INFO(apply.out << apply.err);
  CHECK(apply.exit_code == 1);
  CHECK(apply.out.find("not yet acknowledged by consumer(s) warehouse") != std::string::npos);
  CHECK(apply.out.find("holds the current version of 1 record(s)") != std::string::npos);
  CHECK(apply.out.find("holds 1 unfinished batch(es)") != std::string::npos);
  CHECK(attached(month) == "4");
  CHECK(count_rows("audit_log where action like 'partition.%'") == "0");

  // The consumer catches up: its change is still the record's last one, so the month stays.
  sql_exec("update sync_consumer set cursor = (select max(seq) from change_log)");
  auto again = hubctl({"partitions", "--apply", "--drop"});
  CHECK(again.out.find("holds the last change of 1 record(s)") != std::string::npos);
  CHECK(attached(month) == "4");

  // Everything moves on: the batch finished, the record changed since.
  sql_exec("update inbox_batch set status = 'done'");
  sql_exec(std::string("update golden_record set version = 2 where id = '") + kRecord + "'");
  sql_exec(std::string("insert into record_version(record_id, version, data) values ('") + kRecord + "', 2, '{}')");
  sql_exec(std::string("insert into change_log(entity, record_id, op, version) values ('school', '") + kRecord +
           "', 'update', 2)");
  sql_exec("update sync_consumer set cursor = (select max(seq) from change_log)");
  auto drop = hubctl({"partitions", "--apply", "--drop"});
  INFO(drop.out << drop.err);
  CHECK(drop.exit_code == 0);
  CHECK(attached(month) == "0");
  CHECK(sql_value("select to_regclass('change_log_p" + month + "') is null") == "t");
  CHECK(count_rows("audit_log where action = 'partition.drop'") == "4");
  CHECK(count_rows("detached_partition where dropped_at is not null") == "4");
}
