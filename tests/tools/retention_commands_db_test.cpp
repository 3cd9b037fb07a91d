// hubctl retention against the real PostgreSQL with a real hub: raw vendor payloads older than
// retention.raw_payload_days are emptied, while batch outcomes, golden records, lineage, the
// change log and the audit trail stay, and a resend with the same Idempotency-Key is still
// answered from the stored batch. Guards personal data kept past its retention period, and a
// purge that would lose what the hub learnt from the payloads.

#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

HttpResult push_keyed(const HubProcess& hub, const std::string& token, const std::string& body, const std::string& key) {
  return http("POST", hub.url("/v1/ingest/admissions"), body,
              {"Authorization: Bearer " + token, "Content-Type: application/json", "Idempotency-Key: " + key}, 60000);
}

}  // namespace

TEST_CASE("retention purges old raw payloads and keeps outcomes - lineage and audit", "[db][tools][retention]") {
  reset_database();
  HubProcess hub;
  REQUIRE(hub.start());
  const auto [ops, admissions, schools] = demo_ops_and_admissions(hub);
  REQUIRE(schools.status == 200);
  std::string old_body = valid_admissions_payload("OLD-", 5);
  REQUIRE(push_keyed(hub, admissions, old_body, "old-1").status == 200);
  REQUIRE(push_keyed(hub, admissions, valid_admissions_payload("NEW-", 4, 100), "new-1").status == 200);
  std::string old_id = sql_value("select id from inbox_batch where idempotency_key = 'old-1'");
  std::string new_id = sql_value("select id from inbox_batch where idempotency_key = 'new-1'");
  // The first push was received 100 days ago; the school list 89 days ago (kept: within 90).
  sql_exec("update inbox_batch set received_at = now() - interval '100 days' where id = " + old_id);
  sql_exec("update inbox_batch set received_at = now() - interval '89 days' where feed = 'schools'");
  std::string versions = count_rows("record_version");
  std::string changes = count_rows("change_log");

  auto plan = hubctl({"retention", "--plan"});
  REQUIRE(plan.exit_code == 0);
  CHECK(plan.out.find("plan: 1 payload(s)") != std::string::npos);
  CHECK(plan.out.find("demo-admissions") != std::string::npos);
  CHECK(sql_value("select length(body) from inbox_batch where id = " + old_id) != "0");  // a plan changes nothing

  auto apply = hubctl({"retention", "--apply"});
  REQUIRE(apply.exit_code == 0);
  CHECK(apply.out.find("purged 1 payload(s)") != std::string::npos);
  CHECK(sql_value("select length(body) from inbox_batch where id = " + old_id) == "0");
  CHECK(sql_value("select body_purged_at is not null from inbox_batch where id = " + old_id) == "t");
  CHECK(sql_value("select length(body) > 0 from inbox_batch where id = " + new_id) == "t");
  CHECK(sql_value("select count(*) from inbox_batch where feed = 'schools' and length(body) > 0") == "1");
  // What the hub learnt stays: results, counts, golden records with lineage, versions, changes.
  CHECK(count_rows("batch_record where batch_id = " + old_id + " and status = 'accepted'") == "5");
  CHECK(sql_value("select counts->>'accepted' from inbox_batch where id = " + old_id) == "5");
  CHECK(count_rows("golden_record where entity = 'student'") == "9");
  CHECK(count_rows("record_version") == versions);
  CHECK(count_rows("change_log") == changes);
  CHECK(count_rows("golden_record g where g.entity = 'student' and exists (select 1 from jsonb_each(lineage_by_field(g.lineage)) e"
                   " where e.value->>'batch' = '" + old_id + "')") == "5");
  // The purge is in the audit trail, with how much and which batches.
  CHECK(sql_value("select count(*) from audit_log where action = 'retention.purge'") == "1");
  CHECK(sql_value("select detail->>'batches' from audit_log where action = 'retention.purge'") == "1");
  CHECK(sql_value("select detail->>'first_batch' from audit_log where action = 'retention.purge'") == old_id);

  // A vendor resending the old push with its key is answered from the stored batch, once.
  auto resend = push_keyed(hub, admissions, old_body, "old-1");
  CHECK(resend.status == 200);
  CHECK(resend.headers["idempotent-replayed"] == "true");
  CHECK(count_rows("inbox_batch where idempotency_key = 'old-1'") == "1");
  // A purged batch cannot be processed again, and says why.
  sql_exec("update inbox_batch set status = 'failed' where id = " + old_id);
  auto retry = hubctl({"batch", "retry", old_id});
  CHECK(retry.exit_code == 1);
  CHECK(retry.err.find("purged by retention") != std::string::npos);
  // Twice is a no-op.
  CHECK(hubctl({"retention", "--apply"}).out.find("purged 0 payload(s)") != std::string::npos);
  // A shorter period takes the school list (89 days old) too.
  CHECK(hubctl({"retention", "--plan", "--days", "30"}).out.find("plan: 1 payload(s)") != std::string::npos);
  CHECK(hubctl({"retention"}).exit_code == 2);
}
