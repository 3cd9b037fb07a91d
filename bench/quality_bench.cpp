// quality_bench: how long the quality report takes for a city. Generates, directly in PostgreSQL
// (INSERT ... SELECT over generate_series, no HTTP), N students with one enrollment each, the
// schools (in communes of Hải Phòng, four levels) and their staff, one version per record and
// matching profiles (1% of students with two birth dates), then times:
//   1. rebuild: the quality facts built from scratch (what the first report of a store does);
//   2. report: the city's report (province:31 broken down by commune), a commune's and a
//      school's, the facts up to date (median of --rounds);
//   3. incremental: 1,000 students changed (golden rows + change_log), then the city's report,
//      which first brings their facts up to date from change_log.
// TRUNCATES the golden store's tables of the database it is given: point it at a scratch
// database (default $HUB_TEST_POSTGRES_URL, the test database the tests wipe anyway).
//
//   quality_bench [--students 300000] [--schools 800] [--communes 40] [--staff 12000] [--rounds 5]

#include <CLI/CLI.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "hub/mapping/mapping_registry.h"
#include "hub/reports/quality.h"
#include "hub/store/migrations.h"

using namespace hub;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void generate(pqxx::connection& conn, int students, int schools, int communes, int staff,
              const std::vector<std::string>& commune_codes) {
  pqxx::work tx(conn);
  tx.exec("truncate golden_record, record_version, change_log, match_profile, quality_fact, quality_state,"
          " review_item, batch_record, inbox_batch, natural_key, source_link cascade");
  tx.exec("insert into partner (name, scopes) values ('bench', '[\"ingest:*\"]') on conflict (name) do nothing");
  long long partner = tx.exec1("select id from partner where name = 'bench'")[0].as<long long>();
  long long batch = tx.exec_params1(
      "insert into inbox_batch (partner_id, feed, content_type, body, body_sha256, status, received_at)"
      " values ($1, 'bench', 'application/json', '', '', 'done', now() - interval '2 hours') returning id",
      partner)[0].as<long long>();
  std::string codes = "{";
  for (int i = 0; i < communes; ++i) codes += (i ? "," : "") + commune_codes[static_cast<std::size_t>(i) % commune_codes.size()];
  codes += "}";
  // Schools: levels 01..04 in turn, communes in turn.
  tx.exec_params(
      "insert into golden_record (id, entity, data)"
      " select gen_random_uuid(), 'school', jsonb_build_object('school_code', 'B-' || lpad(i::text, 5, '0'),"
      "   'name', 'Trường ' || i, 'school_level', '0' || (1 + i % 4), 'school_type', '01', 'province', '31',"
      "   'commune', ($1::text[])[1 + i % $2])"
      " from generate_series(0, $3 - 1) i",
      codes, communes, schools);
  tx.exec("create temporary table bench_school as select row_number() over (order by data->>'school_code') - 1 as n,"
          " id from golden_record where entity = 'school'");
  // Students: 1.4% without a personal ID, 88% verified, 3% mismatch; 5% without ethnicity,
  // 10% without a parent's phone; the platform's own date 1 to 10 days before the push.
  tx.exec_params(
      "insert into golden_record (id, entity, data, lineage)"
      " select gen_random_uuid(), 'student', jsonb_strip_nulls(jsonb_build_object("
      "   'full_name', 'Học Sinh ' || i, 'birth_date', (date '2012-01-01' + (i % 2500))::text,"
      "   'gender', case when i % 2 = 0 then 'M' else 'F' end,"
      "   'personal_id', case when i % 1000 < 14 then null else '031' || lpad((i % 1000000000)::text, 9, '0') end,"
      "   'personal_id_status', case when i % 100 < 88 then 'verified' when i % 100 < 91 then 'mismatch' end,"
      "   'moet_student_code', 'HS' || i, 'ethnicity', case when i % 20 = 0 then null else '01' end,"
      "   'nationality', 'VN', 'residence_commune', ($1::text[])[1 + i % $2],"
      "   'contact_phone', case when i % 10 = 0 then null else '09' || lpad(i::text, 8, '0') end,"
      "   'source_updated_on', (current_date - 1 - (i % 10))::text)),"
      "   jsonb_build_object('source_updated_on', jsonb_build_object('partner', 'bench', 'batch', $4::bigint))"
      " from generate_series(0, $3 - 1) i",
      codes, communes, students, batch);
  tx.exec_params(
      "insert into golden_record (id, entity, data, valid_from)"
      " select gen_random_uuid(), 'enrollment', jsonb_build_object('student', s.id::text, 'school', b.id::text,"
      "   'school_year', '2025-2026', 'grade', '6', 'status', 'DANG_HOC', 'valid_from', '2025-09-05'), date '2025-09-05'"
      " from (select id, row_number() over () - 1 as n from golden_record where entity = 'student') s"
      " join bench_school b on b.n = s.n % $1",
      schools);
  tx.exec_params(
      "insert into golden_record (id, entity, data)"
      " select gen_random_uuid(), 'staff', jsonb_strip_nulls(jsonb_build_object('full_name', 'Giáo Viên ' || i,"
      "   'birth_date', '1985-01-01', 'gender', 'F', 'school', b.id::text, 'staff_group', 'GV',"
      "   'employment_status', 'DANG_LAM_VIEC', 'personal_id', case when i % 25 = 0 then null"
      "   else '031' || lpad((500000000 + i)::text, 9, '0') end,"
      "   'personal_id_status', case when i % 10 < 9 then 'verified' end, 'moet_staff_code', 'GV' || i))"
      " from generate_series(0, $1 - 1) i join bench_school b on b.n = i % $2",
      staff, schools);
  tx.exec_params("insert into record_version (record_id, version, data, valid_from, batch_id, partner_id)"
                 " select id, 1, data, valid_from, $1, $2 from golden_record",
                 batch, partner);
  tx.exec("insert into match_profile (record_id, entity, profile)"
          " select id, 'student', jsonb_build_object('birth_date', case when (data->>'moet_student_code') like '%00'"
          "   then jsonb_build_array(data->>'birth_date', '2011-01-01') else jsonb_build_array(data->>'birth_date') end)"
          " from golden_record where entity = 'student'");
  tx.exec("insert into change_log (entity, record_id, op, version) select entity, id, 'create', 1 from golden_record");
  tx.commit();
  pqxx::nontransaction(conn).exec("vacuum analyze");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"quality_bench: time the quality report of a generated city"};
  int students = 300000, schools = 800, communes = 40, staff = 12000, rounds = 5;
  const char* env_url = std::getenv("HUB_TEST_POSTGRES_URL");
  std::string url = env_url ? env_url : "";
  app.add_option("--students", students);
  app.add_option("--schools", schools);
  app.add_option("--communes", communes);
  app.add_option("--staff", staff);
  app.add_option("--rounds", rounds);
  app.add_option("--postgres-url", url, "a scratch database (its golden store is truncated)");
  CLI11_PARSE(app, argc, argv);
  if (url.empty()) {
    std::cerr << "quality_bench: set HUB_TEST_POSTGRES_URL or --postgres-url\n";
    return 2;
  }
  auto loaded = mapping::load_context(std::string(HUB_SOURCE_DIR) + "/mappings");
  if (!loaded) {
    std::cerr << loaded.error().message << "\n";
    return 1;
  }
  mapping::Snapshot snap;
  snap.catalogs = loaded->catalogs;
  snap.schemas = loaded->schemas;
  std::vector<std::string> commune_codes;
  for (const auto& e : snap.catalogs->find("commune")->entries())
    if (snap.catalogs->province_of_commune(e.code) == "31" && !e.valid_to &&
        std::find(commune_codes.begin(), commune_codes.end(), e.code) == commune_codes.end())
      commune_codes.push_back(e.code);
  if (commune_codes.empty()) commune_codes.push_back("11383");

  apply_migrations(url);
  pqxx::connection conn(url);
  auto t0 = Clock::now();
  generate(conn, students, schools, communes, staff, commune_codes);
  std::printf("generated %d students, %d schools in %d communes, %d staff in %.1f s\n", students, schools, communes,
              staff, seconds_since(t0));

  auto timed = [&](const char* what, const reports::QualityParams& p) {
    std::vector<double> times;
    reports::QualityReport last;
    for (int r = 0; r < rounds; ++r) {
      auto t = Clock::now();
      pqxx::work tx(conn);
      auto rep = reports::quality_report(tx, snap, p, {});
      tx.commit();
      times.push_back(seconds_since(t));
      if (!rep) {
        std::cerr << rep.error().message << "\n";
        std::exit(1);
      }
      last = *rep;
    }
    std::sort(times.begin(), times.end());
    std::printf("%-36s median %.3f s (min %.3f, max %.3f): %lld students, %lld staff, %zu children\n", what,
                times[times.size() / 2], times.front(), times.back(), last.total.students.records,
                last.total.staff.records, last.children.size());
  };

  {
    auto t = Clock::now();
    pqxx::work tx(conn);
    long long n = reports::rebuild_facts(tx, snap);
    tx.commit();
    std::printf("rebuild of the facts: %lld records in %.2f s\n", n, seconds_since(t));
  }
  std::string today = pqxx::work(conn).exec1("select (now() at time zone 'Asia/Ho_Chi_Minh')::date::text")[0].c_str();
  reports::QualityParams p;
  p.as_of = *Date::parse_iso(today);
  p.unit = *reports::parse_unit("province:31");
  timed("report province:31 (by commune)", p);
  std::string commune;
  std::string school;
  {
    pqxx::work tx(conn);
    auto s = reports::load_schools(tx);
    commune = s.front().commune;
    school = s.front().code;
  }
  p.unit = *reports::parse_unit("commune:" + commune);
  timed("report of one commune (by school)", p);
  p.unit = *reports::parse_unit("school:" + school);
  timed("report of one school", p);

  {
    pqxx::work tx(conn);
    tx.exec("with c as (select id from golden_record where entity = 'student' order by id limit 1000)"
            " update golden_record g set data = g.data - 'ethnicity', version = g.version, updated_at = now()"
            " from c where g.id = c.id");
    tx.exec("insert into change_log (entity, record_id, op, version)"
            " select 'student', id, 'update', version from golden_record where entity = 'student' order by id limit 1000");
    tx.commit();
  }
  p.unit = *reports::parse_unit("province:31");
  int saved = rounds;
  rounds = 1;
  timed("report after 1,000 changed students", p);
  rounds = saved;
  timed("report province:31 again", p);
  return 0;
}
