// store_fill: grows a hub's store to N students quickly, for the growth figures of
// docs/benchmarks.md ("A store of millions"): push latency and pull paging measured on a small and
// on a large store (bench/store_scale.sh).
//
//   HUB_POSTGRES_URL=... ./store_fill --records 5000000 [--chunk 200000] [--months 12]
//
// The rows are made inside PostgreSQL (INSERT ... SELECT over generate_series: no row crosses the
// network, faster than COPY from a client), in the shape the write path leaves them: per student a
// golden record (the data of a student the hub stored, with its own personal ID, name and source
// id), its first version, its create change, its natural key, its source link, its match profile
// and three hashed blocking keys, so that lookups by key, by block and paging by seq or updated_at
// run on indexes of the real size. Records are spread evenly over the last --months months
// (change_log.at, record_version.recorded_at, golden_record.updated_at), each month in its
// partition. Needs one student stored by the hub first (the template; bench/store_scale.sh pushes
// the demo). One transaction per chunk; prints records/s.

#include <pqxx/pqxx>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  long long records = 0, chunk = 200000;
  int months = 12;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--records") records = std::atoll(argv[i + 1]);
    else if (a == "--chunk") chunk = std::atoll(argv[i + 1]);
    else if (a == "--months") months = std::atoi(argv[i + 1]);
  }
  const char* url = std::getenv("HUB_POSTGRES_URL");
  if (!url || records <= 0 || chunk <= 0 || months < 1) {
    std::fprintf(stderr, "usage: HUB_POSTGRES_URL=... store_fill --records N [--chunk 200000] [--months 12]\n");
    return 2;
  }
  pqxx::connection c(url);
  {
    pqxx::work tx(c);
    auto t = tx.exec("select count(*) from golden_record where entity = 'student'");
    if (t[0][0].as<long long>() == 0) {
      std::fprintf(stderr, "store_fill: no student stored yet: push one first (the template)\n");
      return 1;
    }
    // The months the rows fall in get their partitions (the hub creates only the coming ones).
    tx.exec_params(
        "select hub_create_month_partition(t, (date_trunc('month', now()) - make_interval(months => m))::date)"
        " from unnest(array['change_log', 'record_version', 'inbox_batch', 'batch_record']) t,"
        " generate_series(0, $1) m",
        months);
    tx.commit();
  }
  // Row i is dated `span` * (N - i) / N before now: oldest first, as the seq order.
  const std::string span = std::to_string(months * 30) + " days";
  auto t0 = std::chrono::steady_clock::now();
  long long done = 0;
  long long base = 0;
  {
    pqxx::work tx(c);
    base = tx.exec("select coalesce(max((data->>'personal_id')::bigint), 0) from golden_record"
                   " where entity = 'student' and data->>'personal_id' ~ '^9[0-9]{11}$'")[0][0].as<long long>();
    base = base > 0 ? base - 900000000000LL + 1 : 0;
  }
  while (done < records) {
    long long n = std::min(chunk, records - done);
    pqxx::work tx(c);
    tx.exec("set local synchronous_commit = off");
    tx.exec_params(
        "create temporary table fill on commit drop as"
        " select md5('store-fill-' || i)::uuid as id, i,"
        "   now() - $3::interval * ($4::bigint - i) / $4::bigint as at,"
        "   t.data || jsonb_build_object('personal_id', (900000000000 + i)::text,"
        "     'full_name', 'Học Sinh ' || i, 'given_name', 'Sinh ' || i,"
        "     'moet_student_code', 'FILL' || i) as data,"
        "   t.lineage, t.profile"
        " from generate_series($1::bigint, $2::bigint) i,"
        " (select g.data, g.lineage, coalesce(p.profile, '{}') as profile from golden_record g"
        "   left join match_profile p on p.record_id = g.id where g.entity = 'student' limit 1) t",
        base + done, base + done + n - 1, span, base + records);
    tx.exec("insert into golden_record(id, entity, version, data, lineage, created_at, updated_at)"
            " select id, 'student', 1, data, lineage, at, at from fill");
    tx.exec("insert into record_version(record_id, version, data, recorded_at) select id, 1, data, at from fill");
    tx.exec("insert into natural_key(entity, key_name, key_value, record_id)"
            " select 'student', 'personal_id', data->>'personal_id', id from fill");
    tx.exec("insert into source_link(partner_id, entity, source_id, record_id, content_hash, batch_id, updated_at)"
            " select (select min(id) from partner), 'student', 'FILL-' || i, id, sha256(convert_to(i::text, 'UTF8')), 0, at"
            " from fill");
    tx.exec("insert into match_profile(record_id, entity, profile, updated_at) select id, 'student', profile, at from fill");
    tx.exec("insert into match_block(entity, block, record_id, added_at)"
            " select 'student', ('x' || substr(md5(k || i), 1, 16))::bit(64)::bigint, id, at"
            " from fill, unnest(array['name', 'birth', 'id']) k");
    // In seq order = time order, as the hub writes them.
    tx.exec("insert into change_log(entity, record_id, op, version, at) select 'student', id, 'create', 1, at"
            " from fill order by i");
    tx.commit();
    done += n;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("store_fill: %lld / %lld students, %.0f s, %.0f records/s\n", done, records, s, done / s);
    std::fflush(stdout);
  }
  pqxx::nontransaction(c).exec("analyze");
  return 0;
}
