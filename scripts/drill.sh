#!/usr/bin/env bash
# Fault drills and throughput figures on a cluster of scripts/cluster.sh (HAProxy in front of
# hub processes, one PostgreSQL, one Redis), driven by build/drill_client (bench/drill_client.cpp:
# several vendors pushing 1,000-record batches with Idempotency-Key, retrying 503, 502, 504, 429
# and lost connections with back-off). Each run starts from an empty database of its own.
#
#   scripts/drill.sh faults    3 hubs; under load: kill -9 one hub (and start it again), restart
#                              Redis, crash and restart PostgreSQL; after each, checks that every
#                              record ended exactly once and prints the figures
#   scripts/drill.sh bench     push throughput and p50/p99 latency with 1, 2 and 3 hubs
#
# Settings (environment, with their defaults):
#   DRILL_SECONDS=40     load per fault phase (the fault comes DRILL_FAULT_AT=10 s into it)
#   DRILL_CLIENTS=3      vendor clients pushing at once
#   BENCH_SECONDS=30     load per cluster size in `bench`
#   HUB_RUN_DIR=.run/drill, HUB_PG_PORT=55542, HUB_REDIS_PORT=56542,
#   HUB_CLUSTER_LISTEN=127.0.0.1:8095, HUB_CLUSTER_HUB_PORT=18095   (the cluster's own)
# Exit 0 when every check passed, 1 when one failed (the failing check is printed).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export HUB_RUN_DIR=${HUB_RUN_DIR:-$root/.run/drill}
export HUB_PG_PORT=${HUB_PG_PORT:-55542}
export HUB_REDIS_PORT=${HUB_REDIS_PORT:-56542}
export HUB_CLUSTER_LISTEN=${HUB_CLUSTER_LISTEN:-127.0.0.1:8095}
export HUB_CLUSTER_HUB_PORT=${HUB_CLUSTER_HUB_PORT:-18095}
export HUB_LOG_LEVEL=${HUB_LOG_LEVEL:-warn}
# A batch whose hub died is taken over when its lease ends: 10 s instead of 30 keeps drills short.
export HUB_INGEST_LEASE_SECONDS=${HUB_INGEST_LEASE_SECONDS:-10}
seconds=${DRILL_SECONDS:-40}
fault_at=${DRILL_FAULT_AT:-10}
clients=${DRILL_CLIENTS:-3}
build=${HUB_BUILD_DIR:-$root/build}
cluster() { bash "$root/scripts/cluster.sh" "$@"; }
url=http://$HUB_CLUSTER_LISTEN
failed=0

sql() { psql "$HUB_POSTGRES_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }

# A fresh cluster of $1 hubs on an empty database, the demo schools loaded, a vendor token.
fresh_cluster() {
  cluster stop >/dev/null 2>&1 || true
  bash "$root/scripts/services.sh" start >/dev/null
  # shellcheck disable=SC1091
  source "$HUB_RUN_DIR/env"
  sql "drop schema public cascade; create schema public" >/dev/null
  cluster start "$1" >/dev/null
  ops=$("$build/hubctl" partner add demo-ops --scope admin --scope ingest:school 2>/dev/null | tail -n 1)
  token=$("$build/hubctl" partner add demo-admissions --scope ingest:student --scope ingest:admission_application \
    --unit province:31 --rate 1000 --burst 2000 2>/dev/null | tail -n 1)
  curl -fsS -o /dev/null -H "Authorization: Bearer $ops" -H 'Content-Type: application/json' \
    --data-binary @"$root/mappings/partners/demo-ops/samples/schools.json" "$url/v1/ingest/schools"
  next=0 pushes=0
}

check() {  # $1 what, $2 expected, $3 actual
  if [ "$2" = "$3" ]; then
    echo "  ok    $1: $3"
  else
    echo "  FAIL  $1: expected $2, got $3"
    failed=1
  fi
}

# Every vendor record ended exactly once: the checks of one drill, after its batches settled.
verify() {
  local records=$((pushes * 1000)) waited=0
  while [ "$(sql "select count(*) from inbox_batch where status in ('received', 'processing')")" != 0 ]; do
    sleep 1; waited=$((waited + 1))
    [ $waited -lt 180 ] || break
  done
  local vendor="(select id from partner where name = 'demo-admissions')"
  check "batches unfinished" 0 "$(sql "select count(*) from inbox_batch where status <> 'done'")"
  check "batches of the vendor (one per push, none twice)" "$pushes" \
    "$(sql "select count(*) from inbox_batch where partner_id = $vendor")"
  check "batches whose result rows differ from their records" 0 "$(sql "select count(*) from inbox_batch b
    where partner_id = $vendor and record_count <> (select count(*) from batch_record r where r.batch_id = b.id)")"
  check "batches whose counts differ from their records" 0 "$(sql "select count(*) from inbox_batch
    where partner_id = $vendor and coalesce((counts->>'accepted')::int, 0) <> record_count")"
  check "vendor records with a result" "$records" "$(sql "select count(*) from batch_record r
    join inbox_batch b on b.id = r.batch_id where b.partner_id = $vendor")"
  check "vendor records neither accepted nor for review" 0 "$(sql "select count(*) from batch_record r
    join inbox_batch b on b.id = r.batch_id where b.partner_id = $vendor and r.status not in ('accepted', 'review')")"
  # One student per child: each accepted record made one; a doubtful match waits for review and
  # makes none. More would be duplicates, fewer lost records.
  local expected
  expected=$(sql "select count(*) from batch_record r join inbox_batch b on b.id = r.batch_id
    where b.partner_id = $vendor and r.status = 'accepted'")
  check "students (one per accepted child, no duplicates)" "$expected" \
    "$(sql "select count(*) from golden_record where entity = 'student'")"
  check "student changes in the change log (each once)" "$expected" \
    "$(sql "select count(*) from change_log where entity = 'student'")"
  check "changes logged twice" 0 "$(sql "select count(*) from (select record_id, version from change_log
    group by 1, 2 having count(*) > 1) twice")"
}

# Load for $seconds with the fault $1 ($2 its name) $fault_at seconds in; then the checks.
drill() {
  local fault=$1 name=$2 out=$HUB_RUN_DIR/drill-$2.json
  echo "drill: $name under load ($clients clients, ${seconds}s)"
  "$build/drill_client" --url "$url" --token "$token" --clients "$clients" --seconds "$seconds" \
    --first "$next" --key-prefix "$name-" >"$out" &
  local client=$!
  sleep "$fault_at"
  local t0
  t0=$(date +%s.%N)
  $fault
  if ! wait $client; then
    echo "  FAIL  the load client gave up (a push refused for good): $(cat "$out")"
    failed=1
  fi
  next=$(jq -r .next_first "$out")
  pushes=$((pushes + $(jq -r .pushes "$out")))
  # Time until the balancer answers /readyz again after the fault began.
  echo "  figures: $(jq -c '{pushes, records, review, records_per_second, retries, polls, longest_recovery_s, p50_ms, p99_ms}' "$out")"
  echo "  fault at $(date -d @"${t0%.*}" +%T); cluster: $(cluster status | grep -c 'running, /readyz 200')/3 hubs ready"
  verify
}

kill_hub() { cluster kill-hub 2; sleep 5; cluster start-hub 2 >/dev/null; }
restart_redis() { redis-cli -p "$HUB_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; sleep 3
                  bash "$root/scripts/services.sh" start >/dev/null; }
restart_postgres() {
  # -m immediate: as a crash; PostgreSQL recovers from its WAL when it starts again.
  local data=$HUB_RUN_DIR/postgres
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$data" -m immediate stop >/dev/null
  sleep 3
  bash "$root/scripts/services.sh" start >/dev/null
}

# CPU seconds so far of the given processes (comma-separated pids).
cpu_seconds() { ps -o times= -p "$1" | awk '{s += $1} END {print s + 0}'; }
# The cluster's PostgreSQL: its postmaster and backends (not another instance's).
pg_pids() {
  local pm
  pm=$(head -n 1 "$HUB_RUN_DIR/postgres/postmaster.pid")
  { echo "$pm"; ps -o pid= --ppid "$pm"; } | tr -d ' ' | grep . | paste -sd, -
}

case "${1:-}" in
  faults)
    [ -x "$build/drill_client" ] || { echo "drill: $build/drill_client is missing (cmake --build build)" >&2; exit 1; }
    fresh_cluster 3
    drill kill_hub "kill-9-hub"
    drill restart_redis "restart-redis"
    drill restart_postgres "restart-postgres"
    cluster stop >/dev/null
    [ $failed = 0 ] && echo "drill: every check passed" || echo "drill: FAILED"
    exit $failed
    ;;
  bench)
    for n in 1 2 3; do
      fresh_cluster "$n"
      pids=$(cat "$HUB_RUN_DIR"/hubs/hub*.pid | paste -sd, -)
      pg0=$(cpu_seconds "$(pg_pids)") hub0=$(cpu_seconds "$pids")
      "$build/drill_client" --url "$url" --token "$token" --clients "${DRILL_CLIENTS:-4}" \
        --seconds "${BENCH_SECONDS:-30}" --key-prefix bench- >"$HUB_RUN_DIR/bench-$n.json"
      pg1=$(cpu_seconds "$(pg_pids)") hub1=$(cpu_seconds "$pids")
      echo "$n hub(s): $(jq -c '{records_per_second, p50_ms, p99_ms, pushes, retries}' "$HUB_RUN_DIR/bench-$n.json")" \
        "cpu_s: postgres $((pg1 - pg0)) hubs $((hub1 - hub0))"
    done
    cluster stop >/dev/null
    ;;
  *) echo "usage: $0 faults|bench" >&2; exit 2 ;;
esac
