// Fencing rows of entity resolution against the real PostgreSQL and Redis: rows older than the
// horizon are deleted by the resolver's periodic cleanup (recent ones stay), and a chunk whose
// fencing write comes later than the horizon after its token is refused, so a deleted row
// never lets an older token through.

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "hub/common/redis.h"
#include "hub/resolve/probabilistic_resolver.h"
#include "tests/support/test_env.h"

using namespace hub;
using namespace hub::test;
using namespace std::chrono_literals;

namespace {

rapidjson::Document student(const char* name, const char* dob) {
  rapidjson::Document d(rapidjson::kObjectType);
  d.AddMember("full_name", rapidjson::Value(name, d.GetAllocator()), d.GetAllocator());
  d.AddMember("birth_date", rapidjson::Value(dob, d.GetAllocator()), d.GetAllocator());
  d.AddMember("gender", "M", d.GetAllocator());
  return d;
}

// Resolves one record in its own committed transaction.
void resolve_one(resolve::ProbabilisticResolver& r, const rapidjson::Document& rec, const std::string& source) {
  pqxx::connection conn(postgres_url());
  pqxx::work tx(conn);
  auto scope = r.begin_chunk();
  std::vector<resolve::Candidate> cands{{"student", 1, source, {}, "", &rec, {}}};
  r.resolve(tx, cands, *scope);
  tx.commit();
}

}  // namespace

TEST_CASE("resolve fences: old rows are cleaned and late writers refused", "[db][resolve]") {
  reset_database();
  auto rules = resolve::load_matching_rules(kPartnersDir + "/../matching");
  REQUIRE(rules);
  RedisPool redis(redis_url(), 2, 1000ms);

  resolve::ResolverOptions keep;
  keep.fence_clean_every = 0;
  resolve::ProbabilisticResolver no_clean(*rules, redis, keep);
  auto a = student("Nguyễn Văn An", "2013-04-05");
  resolve_one(no_clean, a, "S-1");
  int old_rows = std::stoi(count_rows("resolve_fence"));
  REQUIRE(old_rows > 0);
  sql_exec("update resolve_fence set written_at = now() - interval '2 hours'");

  // Every token cleans: the aged rows go, the new record's rows stay.
  resolve::ResolverOptions clean;
  clean.fence_clean_every = 1;
  clean.fence_horizon = 1h;
  resolve::ProbabilisticResolver cleaner(*rules, redis, clean);
  auto b = student("Trần Thị Bích", "2012-09-30");
  resolve_one(cleaner, b, "S-2");
  CHECK(count_rows("resolve_fence where written_at < now() - interval '1 hour'") == "0");
  int new_rows = std::stoi(count_rows("resolve_fence"));
  CHECK(new_rows > 0);
  // Written again by a newer token: a row is young again and kept.
  sql_exec("update resolve_fence set written_at = now() - interval '2 hours'");
  resolve_one(cleaner, b, "S-3");
  CHECK(count_rows("resolve_fence") == std::to_string(new_rows));
  {
    pqxx::connection conn(postgres_url());
    pqxx::work tx(conn);
    CHECK(resolve::ProbabilisticResolver::clean_fences(tx, 1h) == 0);
    CHECK(resolve::ProbabilisticResolver::clean_fences(tx, 0ms) == static_cast<std::size_t>(new_rows));
  }  // rolled back

  // A holder paused past the horizon between its token and its fencing write is refused,
  // even with no fence row in the way.
  sql_exec("delete from resolve_fence");
  resolve::ResolverOptions late;
  late.fence_clean_every = 0;
  late.fence_horizon = 100ms;
  late.hold_after_lock = 300ms;
  resolve::ProbabilisticResolver sleeper(*rules, redis, late);
  CHECK_THROWS_AS(resolve_one(sleeper, a, "S-4"), resolve::ResolveRetry);
  CHECK(count_rows("resolve_fence") == "0");
}
