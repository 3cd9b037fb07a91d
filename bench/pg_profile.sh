#!/usr/bin/env bash
# Where PostgreSQL spends its time and its bytes per vendor record after an ingest bench kept
# with BENCH_KEEP_DB=1 (docs/benchmarks.md, "What bounds the ratio"):
#
#   bash bench/pg_profile.sh RECORDS [WAL_FROM WAL_TO]
#
# RECORDS is the run's vendor records (ingest_bench's first line). Prints
# 1. per statement (pg_stat_statements, reset it before the run): calls, execution time, rows,
#    blocks dirtied and written, temp blocks, WAL bytes; the bench's own statements (its COPY
#    phase, its checks, checkpoints) are left out;
# 2. per table (partitions summed) and per index: size per vendor record, and index scans;
# 3. with the WAL positions ingest_bench prints for the hub phase: the phase's WAL per table and
#    index (pg_waldump, first block of each WAL record), which pg_stat_statements cannot split.
# Needs shared_preload_libraries = 'pg_stat_statements' (and `create extension
# pg_stat_statements` in the postgres database), and for 3. that the WAL is still in pg_wal
# (e.g. wal_keep_size = 2GB). HUB_PG_PORT as for scripts/services.sh.
set -euo pipefail

n=${1:?usage: pg_profile.sh RECORDS [WAL_FROM WAL_TO]}
pg_port=${HUB_PG_PORT:-55432}
db=hub_ingest_bench
psql_as() { runuser -u postgres -- psql -h /tmp -p "$pg_port" -U postgres -X -P pager=off -v ON_ERROR_STOP=1 -v n="$n" "$@"; }

echo "== statements of the hub phase"
psql_as -d postgres -q <<'SQL'
create temp view s as select * from pg_stat_statements
 where dbid = (select oid from pg_database where datname = 'hub_ingest_bench')
   and query not ilike '%bench_copy%' and query <> 'checkpoint'
   and query not ilike 'select count(*), count(*) filter%'
   and query not ilike 'select id::text, entity, version::text, data::text, lineage::text from golden_record%'
   and query not ilike 'select count(*) from golden_record where entity%';
select round(sum(total_exec_time)::numeric / 1000, 1) as seconds, round((sum(total_exec_time) * 1000 / :n)::numeric) as us_per_record,
       sum(calls) as calls, round(sum(wal_bytes) / :n) as wal_per_record from s;
select calls, round(total_exec_time::numeric) as ms, round((total_exec_time * 1000 / :n)::numeric, 1) as us_per_record,
       round((100 * total_exec_time / sum(total_exec_time) over ())::numeric, 1) as pct_time, round(mean_exec_time::numeric, 1) as mean_ms,
       rows, shared_blks_dirtied as dirtied, shared_blks_written as written, temp_blks_written as temp,
       round(wal_bytes / :n) as wal_per_record, round((100 * wal_bytes / sum(wal_bytes) over ())::numeric, 1) as pct_wal,
       left(regexp_replace(query, '\s+', ' ', 'g'), 90) as statement
  from s order by total_exec_time desc limit 20;
SQL

echo "== tables and indexes per vendor record"
psql_as -d "$db" -q <<'SQL'
with t as (
  select coalesce(i.inhparent, c.oid) as top, c.oid from pg_class c left join pg_inherits i on i.inhrelid = c.oid
   where c.relkind = 'r' and c.relnamespace = 'public'::regnamespace)
select top::regclass as "table", round(sum(pg_total_relation_size(oid))::numeric / :n) as total,
       round(sum(pg_relation_size(oid))::numeric / :n) as heap, round(sum(pg_indexes_size(oid))::numeric / :n) as indexes
  from t group by top having sum(pg_total_relation_size(oid)) > 100000 order by 2 desc;
with ix as (
  select coalesce(pi.inhparent, s.indexrelid) as top, s.indexrelid, s.idx_scan
    from pg_stat_user_indexes s left join pg_inherits pi on pi.inhrelid = s.indexrelid)
select top::regclass as index, sum(idx_scan) as scans, round(sum(pg_relation_size(indexrelid))::numeric / :n) as bytes_per_record
  from ix group by top having sum(pg_relation_size(indexrelid)) > 100000 order by 3 desc;
SQL

[ $# -ge 3 ] || exit 0
echo "== WAL of the hub phase by table and index"
pg_wal="$(psql_as -d postgres -qAt -c 'show data_directory')/pg_wal"
sums=$(mktemp /tmp/pg_profile.XXXXXX)
trap 'rm -f "$sums"' EXIT
chmod 644 "$sums"
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_waldump -p "$pg_wal" -s "$2" -e "$3" 2>/dev/null |
  awk '{ tot = 0; for (i = 1; i < NF; i++) if ($i == "(rec/tot):") tot = $(i + 2) + 0
         rel = "none"
         if (match($0, /blkref #0: rel [0-9]+\/[0-9]+\/[0-9]+/)) { split(substr($0, RSTART + 15, RLENGTH - 15), a, "/"); rel = a[3] }
         sum[rel] += tot; cnt[rel]++ }
       END { for (r in sum) print r "\t" sum[r] "\t" cnt[r] }' >"$sums"
psql_as -d "$db" -q <<SQL
create temp table w (node text, bytes bigint, records bigint);
\copy w from '$sums'
with f as (select w.*, case when node = 'none' then null else pg_filenode_relation(0, node::oid) end as rel from w),
r as (  -- a partition, or a partition's index, counts for its parent
  select coalesce(coalesce((select i.inhparent from pg_inherits i where i.inhrelid = f.rel), f.rel)::regclass::text,
                  case when node = 'none' then '(no block: commits, ...)' else '(dropped: ' || node || ')' end) as relation,
         bytes, records from f)
select relation, round(sum(bytes)::numeric / :n) as wal_per_record, round(100 * sum(bytes) / sum(sum(bytes)) over (), 1) as pct,
       sum(records) as wal_records
  from r group by relation order by sum(bytes) desc limit 25;
SQL
