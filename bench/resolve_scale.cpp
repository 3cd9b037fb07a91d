// resolve_scale: cost per record of entity resolution as the store grows. Seeds the store with
// N generated students (golden records, match profiles, blocking keys) by COPY, not through
// HTTP, then times ProbabilisticResolver::resolve on chunks of new records (a fifth
// of them near-duplicates of stored children) inside transactions that are rolled back, so each
// size is measured on the same store. Needs PostgreSQL and Redis (HUB_POSTGRES_URL,
// HUB_REDIS_URL); wipes nothing but adds rows, so point it at a scratch database.
//
// Prints per size: µs per record, the share found (matched or sent to review), stored
// candidates fetched per record, and PostgreSQL pages touched per record.
//
//   resolve_scale [--sizes 10000,100000,1000000] [--chunk 500] [--rounds 5]
//                 [--students-per-school 800] [--rules mappings/matching]

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "hub/common/json.h"
#include "hub/common/redis.h"
#include "hub/resolve/messy_data.h"
#include "hub/resolve/probabilistic_resolver.h"
#include "hub/model/ids.h"
#include "hub/store/migrations.h"

using namespace hub;
using Clock = std::chrono::steady_clock;

namespace {

std::string env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// The canonical student record of a child as the transcript platform would send it.
rapidjson::Document record_of(const resolve::Child& c, bool with_id) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  char dob[16];
  std::snprintf(dob, sizeof dob, "%04d-%02d-%02d", c.year, c.month, c.day);
  std::string name = c.family + " " + c.middle + " " + c.given;
  d.AddMember("full_name", rapidjson::Value(name.c_str(), a), a);
  d.AddMember("birth_date", rapidjson::Value(dob, a), a);
  d.AddMember("gender", rapidjson::Value(std::string(1, c.gender).c_str(), a), a);
  if (with_id) d.AddMember("personal_id", rapidjson::Value(c.personal_id.c_str(), a), a);
  return d;
}

rapidjson::Document enrollment_of(const resolve::Child& c) {
  rapidjson::Document d(rapidjson::kObjectType);
  d.AddMember("school", rapidjson::Value(c.school.c_str(), d.GetAllocator()), d.GetAllocator());
  return d;
}

void seed(pqxx::connection& conn, const resolve::MatchingRules& rules, const std::vector<resolve::Child>& kids,
          std::size_t from, std::size_t to) {
  constexpr std::size_t kBatch = 50000;
  for (std::size_t start = from; start < to; start += kBatch) {
    std::size_t end = std::min(to, start + kBatch);
    // One COPY at a time per transaction (libpqxx 6): rows first, then the three tables.
    std::vector<std::tuple<std::string, std::string, std::string>> record_rows, profile_rows;
    std::vector<std::tuple<std::string, long long, std::string>> block_rows;
    for (std::size_t i = start; i < end; ++i) {
      std::string id = new_uuid();
      auto rec = record_of(kids[i], i % 3 != 0);
      auto enr = enrollment_of(kids[i]);
      auto p = resolve::make_profile(rules, rec, {{"enrollment", &enr}});
      record_rows.emplace_back(id, "student", json::to_string(rec));
      profile_rows.emplace_back(id, "student", p.to_json());
      for (auto b : resolve::blocking_keys(rules, p)) block_rows.emplace_back("student", b, id);
    }
    pqxx::work tx(conn);
    {
      pqxx::stream_to records(tx, "golden_record", std::vector<std::string>{"id", "entity", "data"});
      for (const auto& r : record_rows) records << r;
      records.complete();
    }
    {
      pqxx::stream_to profiles(tx, "match_profile", std::vector<std::string>{"record_id", "entity", "profile"});
      for (const auto& r : profile_rows) profiles << r;
      profiles.complete();
    }
    {
      pqxx::stream_to mb(tx, "match_block", std::vector<std::string>{"entity", "block", "record_id"});
      for (const auto& r : block_rows) mb << r;
      mb.complete();
    }
    tx.commit();
  }
  // As autovacuum would: statistics, and the visibility map for index-only scans.
  pqxx::nontransaction nt(conn);
  nt.exec("vacuum analyze golden_record");
  nt.exec("vacuum analyze match_profile");
  nt.exec("vacuum analyze match_block");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cost per record of entity resolution as the store grows"};
  std::string sizes_arg = "10000,100000,1000000";
  int chunk = 500, rounds = 5, per_school = 800;
  app.add_option("--sizes", sizes_arg, "store sizes, ascending");
  app.add_option("--chunk", chunk, "records per resolve call");
  app.add_option("--rounds", rounds, "timed chunks per size");
  std::string rules_dir = std::string(HUB_SOURCE_DIR) + "/mappings/matching";
  app.add_option("--rules", rules_dir, "folder of matching rules (to compare blocking keys)");
  // Schools grow with the store (Hải Phòng: ~1M learners in ~1,200 schools); 0: 40 schools.
  app.add_option("--students-per-school", per_school, "students per generated school (0: 40 schools whatever the size)");
  CLI11_PARSE(app, argc, argv);
  std::vector<std::size_t> sizes;
  std::stringstream ss(sizes_arg);
  for (std::string s; std::getline(ss, s, ',');) sizes.push_back(std::stoul(s));

  std::string pg_url = env("HUB_POSTGRES_URL", "postgresql://hub:hub@127.0.0.1:55432/hub");
  apply_migrations(pg_url);
  auto rules_set = resolve::load_matching_rules(rules_dir);
  if (!rules_set) {
    std::cerr << rules_set.error().message << "\n";
    return 1;
  }
  const auto& rules = *rules_set->at("student");
  RedisPool redis(env("HUB_REDIS_URL", "redis://127.0.0.1:56379/0"), 4, std::chrono::milliseconds(1000));
  resolve::ProbabilisticResolver resolver(*rules_set, redis, {});

  resolve::MessyOptions o;
  o.children = static_cast<int>(sizes.back()) + rounds * chunk;
  o.seed = 42;
  if (per_school > 0) o.schools = std::max(40, o.children / per_school);
  std::fprintf(stderr, "generating %d children...\n", o.children);
  auto kids = resolve::generate_children(o);
  pqxx::connection conn(pg_url);
  std::size_t stored = 0;
  {
    pqxx::work tx(conn);
    stored = tx.exec1("select count(*) from match_profile where entity = 'student'")[0].as<std::size_t>();
  }
  std::fprintf(stderr, "%d schools\n", o.schools);
  std::printf("%-10s %-11s %-8s %-16s %-18s %-10s\n", "stored", "us/record", "found", "candidates/record",
              "pages/record", "seed s");
  // Pages PostgreSQL touched (found in its shared buffers or read): the work that must not grow.
  auto pages_touched = [&] {
    {
      pqxx::work flush(conn);  // this backend's counters reach the view when this commits
      flush.exec("select pg_stat_force_next_flush()");
      flush.commit();
    }
    pqxx::work tx(conn);
    return tx.exec1("select blks_hit + blks_read from pg_stat_database where datname = current_database()")[0].as<long long>();
  };
  for (auto size : sizes) {
    auto t0 = Clock::now();
    if (stored < size) seed(conn, rules, kids, stored, size);
    stored = std::max(stored, size);
    double seed_s = std::chrono::duration<double>(Clock::now() - t0).count();

    double total_us = 0;
    long long records = 0, candidates = 0;
    long long pairs_before = 0, resolved_before = 0, pages = 0;
    // Round -1 is not timed: the first chunk pays for connections and cold plans.
    for (int r = -1; r < rounds; ++r) {
      // New children, a fifth of them another source's record of a stored child.
      std::vector<rapidjson::Document> recs, enrs;
      std::vector<resolve::Candidate> cands;
      recs.reserve(chunk);
      enrs.reserve(chunk);
      for (int i = 0; i < chunk; ++i) {
        int rr = r < 0 ? rounds - 1 : r;  // the warm-up resolves the last round's records (rolled back)
        const auto& c = i % 5 == 0 ? kids[(rr * chunk + i) * 7919 % size] : kids[sizes.back() + rr * chunk + i];
        recs.push_back(record_of(c, i % 2 == 0));
        enrs.push_back(enrollment_of(c));
      }
      for (int i = 0; i < chunk; ++i) {
        resolve::Candidate c{"student", 1, "bench-" + std::to_string(r) + "-" + std::to_string(i), {}, "", &recs[i], {}};
        c.related.emplace_back("enrollment", &enrs[i]);
        cands.push_back(std::move(c));
      }
      if (r == 0) {
        pairs_before = resolver.counters().candidate_pairs;
        resolved_before = resolver.counters().records;
      }
      if (r == 0) pages = -pages_touched();
      pqxx::work tx(conn);
      auto scope = resolver.begin_chunk();
      auto t = Clock::now();
      auto res = resolver.resolve(tx, cands, *scope);
      if (r < 0) {
        tx.abort();
        continue;
      }
      total_us += std::chrono::duration<double, std::micro>(Clock::now() - t).count();
      records += chunk;
      for (const auto& x : res) candidates += x.kind != resolve::Resolution::Kind::kNew || !x.review_candidate.empty();
      tx.abort();
    }
    pages += pages_touched();
    double pairs = double(resolver.counters().candidate_pairs - pairs_before) /
                   double(std::max(1LL, resolver.counters().records - resolved_before));
    std::printf("%-10zu %-11.1f %-8.3f %-16.1f %-18.1f %-10.1f\n", size, total_us / records,
                double(candidates) / records, pairs, double(pages) / records, seed_s);
    std::fflush(stdout);
  }
  return 0;
}
