#!/usr/bin/env bash
# Benchmark of ingest: vendor records per second end to end through POST /v1/ingest/<feed>
# (1,000-record batches, synchronous answers, a few concurrent clients) against a plain
# PostgreSQL COPY of the same canonical rows into a table like golden_record. Target: the hub
# keeps at least 30% of the COPY rate.
#
#   bash bench/ingest_bench.sh
#
# Starts the project's PostgreSQL and Redis (scripts/services.sh; HUB_RUN_DIR, HUB_PG_PORT and
# HUB_REDIS_PORT are honoured), builds if needed, creates a fresh database hub_ingest_bench,
# starts one hub on it (free port from 18100, HUB_LOG_LEVEL=warn, default settings otherwise),
# creates the partners demo-ops, demo-admissions and demo-transcripts with a rate limit that
# never refuses, loads
# the demo school list, then runs ingest_bench (see bench/ingest_bench.cpp for what it measures).
# Stops the hub and drops the database at the end.
#
# Knobs (environment): BENCH_RECORDS (200000), BENCH_BATCH (1000), BENCH_CLIENTS (4),
# BENCH_COPY_REPEATS (3), BENCH_HUB_THREADS (http.threads, 2), BENCH_BUILD_DIR (build),
# BENCH_DUP_PERCENT (5: share of the children the transcript platform sends again), BENCH_SEED (1),
# BENCH_KEEP_DB=1 (keep hub_ingest_bench for inspection), BENCH_HUB_WRAPPER (e.g.
# "valgrind --tool=callgrind" to profile the hub; use a small BENCH_RECORDS then).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

records=${BENCH_RECORDS:-200000}
batch=${BENCH_BATCH:-1000}
clients=${BENCH_CLIENTS:-4}
copy_repeats=${BENCH_COPY_REPEATS:-3}
hub_threads=${BENCH_HUB_THREADS:-2}
dup_percent=${BENCH_DUP_PERCENT:-5}
build=${BENCH_BUILD_DIR:-build}
pg_port=${HUB_PG_PORT:-55432}
db=hub_ingest_bench

bash scripts/services.sh start
# shellcheck disable=SC1091
source "${HUB_RUN_DIR:-$root/.run}/env"
if [ ! -x "$build/hub" ] || [ ! -x "$build/hubctl" ] || [ ! -x "$build/ingest_bench" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j "${HUB_BUILD_JOBS:-2}" --target hub hubctl ingest_bench
fi

# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_database $db
# ingest_bench takes a checkpoint before each timed phase (see there); the role is lent for the run.
lent_checkpoint=0
if [ "$(psql_admin -c "select pg_has_role('hub', 'pg_checkpoint', 'member')")" != t ]; then
  psql_admin -c "grant pg_checkpoint to hub"
  lent_checkpoint=1
fi

port=$(bench_free_port 18100)
base=http://127.0.0.1:$port

work=$(mktemp -d /tmp/bench-ingest.XXXXXX)
hub_pid=
cleanup() {
  if [ -n "$hub_pid" ] && kill -0 "$hub_pid" 2>/dev/null; then
    kill -TERM "$hub_pid" 2>/dev/null || true
    wait "$hub_pid" 2>/dev/null || true
  fi
  if [ "$lent_checkpoint" = 1 ]; then psql_admin -c "revoke pg_checkpoint from hub" || true; fi
  if [ "${BENCH_KEEP_DB:-0}" != 1 ]; then psql_admin -c "drop database if exists $db" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck disable=SC2086
HUB_LISTEN=127.0.0.1:$port HUB_LOG_LEVEL=warn HUB_HTTP_THREADS=$hub_threads \
  ${BENCH_HUB_WRAPPER:-} "$build/hub" 2>"$work/hub.log" &
hub_pid=$!
# The hub may be a wrapper's child (valgrind execs it in place, so the pid stays the hub's).
bench_wait_hub "$base" "$work/hub.log"
ops=$(bench_partner demo-ops ingest:school)
adm=$(bench_partner demo-admissions ingest:student ingest:admission_application)
trn=$(bench_partner demo-transcripts ingest:student ingest:enrollment ingest:subject_result ingest:term_summary)
bench_load_schools "$base" "$ops" "$work/schools.json"

# The postmaster of this cluster: its backends' CPU time is PostgreSQL's share of the work.
pg_pid=$(awk 'NR == 1' "$(psql_admin -c 'show data_directory')/postmaster.pid")
"$build/ingest_bench" --url "$base" --token "$adm" --postgres-url "$HUB_POSTGRES_URL" --hub-pid "$hub_pid" \
  --pg-pid "$pg_pid" --ops-token "$ops" --transcripts-token "$trn" --dup-percent "$dup_percent" --seed "${BENCH_SEED:-1}" \
  --records "$records" --batch "$batch" --clients "$clients" --copy-repeats "$copy_repeats"
echo "hub: http.threads=$hub_threads, ingest.chunk_records=${HUB_INGEST_CHUNK_RECORDS:-500 (default)}, log level warn"
echo "machine: $(nproc) cores, $(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -qi 'error' "$work/hub.log"; then
  echo "hub log (errors):"; grep -i 'error' "$work/hub.log" | head -n 5
fi
