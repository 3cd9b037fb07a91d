// inbox::store and inbox::read_body on the real PostgreSQL. Guards: a body sent in slices that
// comes back with a byte dropped, doubled or moved at a slice boundary (of the COPY that stores
// it, or of the reads that bring it back); a stored row without the lease or the key of the
// push; a store that fails part-way (PostgreSQL refusing the row while its body is still being
// sent) leaving a batch or an Idempotency-Key claimed behind it.

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include <string>

#include "hub/inbox/batches.h"
#include "hub/store/copy_binary.h"
#include "tests/support/test_env.h"

using namespace hub::test;

namespace {

// More than several COPY slices and more than one read slice (4 MiB), of every byte value, with
// an odd tail.
std::string large_body() {
  std::string s((5u << 20) + 12345, '\0');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>((i * 131 + i / 4099) & 0xff);
  return s;
}

hub::inbox::NewBatch new_batch(long long partner_id, std::string_view body) {
  hub::inbox::NewBatch b;
  b.partner_id = partner_id;
  b.feed = "admissions";
  b.content_type = "application/json";
  b.body = body;
  b.body_sha256 = std::string(32, '\x5a');
  b.idempotency_key = "key-1";
  b.request_id = "req-1";
  b.record_count = 3;
  return b;
}

}  // namespace

TEST_CASE("inbox::store sends a body larger than one slice and read_body returns it byte for byte",
          "[db][inbox][batches]") {
  reset_database();
  const long long partner = std::stoll(sql_value("insert into partner(name) values ('demo-a') returning id"));
  const std::string body = large_body();
  REQUIRE(body.size() > 4 * hub::CopyBinaryRow::kSliceBytes);
  pqxx::connection c(postgres_url());

  long long queued = 0, taken = 0;
  {
    pqxx::work tx(c);
    queued = hub::inbox::store(tx, new_batch(partner, body));
    auto sync = new_batch(partner, "{\"hoSo\": []}");
    sync.idempotency_key.clear();
    sync.lease_owner = "worker-1";
    sync.lease_seconds = 60;
    taken = hub::inbox::store(tx, sync);
    tx.commit();
  }
  REQUIRE(queued > 0);
  REQUIRE(taken > queued);
  CHECK(sql_value("select status || ',' || (lease_owner is null) || ',' || (started_at is null) || ','"
                  " || idempotency_key || ',' || request_id || ',' || record_count || ',' || feed"
                  " from inbox_batch where id = " + std::to_string(queued)) ==
        "received,true,true,key-1,req-1,3,admissions");
  // A synchronous push is taken by its worker from the start, its lease counted from now().
  CHECK(sql_value("select status || ',' || lease_owner || ',' || (started_at = received_at) || ','"
                  " || (lease_until = received_at + interval '60 seconds') || ',' || (idempotency_key is null)"
                  " from inbox_batch where id = " + std::to_string(taken)) == "processing,worker-1,true,true,true");
  CHECK(sql_value("select count(*) from inbox_idempotency where idempotency_key = 'key-1'") == "1");

  pqxx::work tx(c);
  auto prior = hub::inbox::find_by_key(tx, partner, "key-1", std::string(32, '\x5a'));
  REQUIRE(prior);
  CHECK(prior->id == queued);
  CHECK(prior->same_body);
  CHECK(hub::inbox::store(tx, new_batch(partner, "{}")) == 0);  // the key is taken: a replay
  tx.exec_params("update inbox_batch set lease_owner = 'worker-2' where id = $1", queued);
  auto held = hub::inbox::held_by(tx, queued, "worker-2");
  REQUIRE(held);
  CHECK(held->body_bytes == body.size());
  const std::string back = hub::inbox::read_body(tx, queued, held->body_bytes);
  CHECK(back.size() == body.size());
  CHECK(back == body);
  // Retention emptied it after its size was read: nothing comes back.
  tx.exec_params("update inbox_batch set body = ''::bytea where id = $1", queued);
  CHECK(hub::inbox::read_body(tx, queued, held->body_bytes).empty());
}

TEST_CASE("inbox::store refused part-way leaves neither the batch nor its Idempotency-Key claimed",
          "[db][inbox][batches]") {
  reset_database();
  const long long partner = std::stoll(sql_value("insert into partner(name) values ('demo-a') returning id"));
  const std::string body = large_body();
  pqxx::connection c(postgres_url());
  std::string sqlstate;
  try {
    pqxx::work tx(c);
    auto bad = new_batch(partner, body);
    bad.feed = "admissions\xff";  // invalid UTF-8, a column before the body: refused mid-way
    hub::inbox::store(tx, bad);
    tx.commit();
  } catch (const pqxx::sql_error& e) {
    sqlstate = e.sqlstate();
  }
  CHECK(sqlstate == "22021");
  CHECK(sql_value("select count(*) from inbox_batch") == "0");
  CHECK(sql_value("select count(*) from inbox_idempotency") == "0");
  // The same key and connection store the push once it is right.
  {
    pqxx::work tx(c);
    CHECK(hub::inbox::store(tx, new_batch(partner, body)) > 0);
    tx.commit();
  }
  CHECK(sql_value("select count(*) || ',' || sum(octet_length(body)) from inbox_batch") ==
        "1," + std::to_string(body.size()));
}
