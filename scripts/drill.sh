#!/usr/bin/env bash
# Fault drills and throughput figures on a cluster of scripts/cluster.sh (HAProxy in front of
# hub processes, one PostgreSQL, one Redis), driven by build/drill_client (bench/drill_client.cpp:
# several vendors pushing 1,000-record batches with Idempotency-Key, retrying 503, 502, 504, 429
# and lost connections with back-off). Each run starts from an empty database of its own.
#
#   scripts/drill.sh faults    3 hubs; under load: kill -9 one hub (and start it again), restart
#                              Redis, crash and restart PostgreSQL; after each, checks that every
#                              record ended exactly once and prints the figures
#   scripts/drill.sh receiver  3 hubs pushing to the warehouse (build/drill_receiver, a process);
#                              under load the receiver is stopped for DRILL_RECEIVER_DOWN seconds,
#                              then started again; checks that it got every change once, in order
#   scripts/drill.sh inbox     3 hubs with one background worker each and synchronous answers
#                              off: vendors push without waiting (202) faster than the workers
#                              drain; checks exactly once after the inbox drained
#   scripts/drill.sh bench     push throughput and p50/p99 latency with 1, 2 and 3 hubs
#
# Settings (environment, with their defaults):
#   DRILL_SECONDS=40     load per fault phase (the fault comes DRILL_FAULT_AT=10 s into it)
#   DRILL_CLIENTS=3      vendor clients pushing at once
#   BENCH_SECONDS=30     load per cluster size in `bench`
#   DRILL_RECEIVER_DOWN=180   seconds the warehouse receiver stays stopped (`receiver`; 20 in CI)
#   DRILL_INBOX_CLIENTS=6     vendor clients pushing without waiting (`inbox`)
#   DRILL_INBOX_PUSHES=60     1,000-record pushes in all (`inbox`): they arrive in seconds and
#                             take the workers minutes
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
  sql "set client_min_messages = warning; drop schema public cascade; create schema public" >/dev/null
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
    where partner_id = $vendor
      and coalesce((counts->>'accepted')::int, 0) + coalesce((counts->>'review')::int, 0) <> record_count")"
  check "vendor records with a result" "$records" "$(sql "select count(*) from batch_record r
    join inbox_batch b on b.id = r.batch_id where b.partner_id = $vendor")"
  check "vendor records neither accepted nor for review" 0 "$(sql "select count(*) from batch_record r
    join inbox_batch b on b.id = r.batch_id where b.partner_id = $vendor and r.status not in ('accepted', 'review')")"
  # One student per child: every child of drill_client is distinct, so each record made one,
  # accepted or stored with a review item proposing a match (a doubtful match between two
  # generated children). More would be duplicates, fewer lost records.
  local expected
  expected=$(sql "select count(*) from batch_record r join inbox_batch b on b.id = r.batch_id
    where b.partner_id = $vendor and r.status in ('accepted', 'review')")
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

# The warehouse: build/drill_receiver on its own port, storing in schema "warehouse" of the
# cluster's database; $1 = --keep to start it again after an outage with what it had.
receiver_port=${HUB_DRILL_RECEIVER_PORT:-$((HUB_CLUSTER_HUB_PORT + 100))}
receiver_runs=0
start_receiver() {
  receiver_runs=$((receiver_runs + 1))
  "$build/drill_receiver" --port "$receiver_port" "$@" >"$HUB_RUN_DIR/receiver-$receiver_runs.json" 2>&1 &
  receiver_pid=$!
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$receiver_port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "drill: the receiver did not start: $(cat "$HUB_RUN_DIR/receiver-$receiver_runs.json")" >&2
  exit 1
}
stop_receiver() { kill "$receiver_pid"; wait "$receiver_pid" || true; }
# The push consumer of the drill: every entity the pushes change, delivered to the receiver.
write_publication() {
  export HUB_WAREHOUSE_SIGNING_SECRET=drill-signing-secret-0123456789
  export HUB_PUBLICATION_SECRET=drill-publication-secret-0123
  export HUB_SYNC_PUBLICATION=$HUB_RUN_DIR/publication.yaml HUB_SYNC_POLL_MS=${HUB_SYNC_POLL_MS:-200}
  mkdir -p "$HUB_RUN_DIR"
  cat >"$HUB_SYNC_PUBLICATION" <<YAML
hmac_secret_env: HUB_PUBLICATION_SECRET
consumers:
  demo-warehouse:
    entities:
      school: {fields: all}
      student: {fields: all}
      admission_application: {fields: all}
    push:
      sink: http
      batch_changes: 500
      max_attempts: 100000
      backoff_initial_ms: 200
      backoff_max_ms: 5000
      options:
        url: http://127.0.0.1:$receiver_port/v1/hub-changes
        auth: hmac
        secret_env: HUB_WAREHOUSE_SIGNING_SECRET
YAML
}
published="entity in ('school', 'student', 'admission_application')"
receiver_outage() {
  local down=${DRILL_RECEIVER_DOWN:-180}
  stop_receiver
  echo "  receiver stopped for ${down}s"
  sleep "$down"
  backlog_at_restart=$(sql "select (select max(seq) from change_log where $published) - cursor
    from sync_consumer where name = 'demo-warehouse'")
  restarted_at=$(date +%s.%N)
  start_receiver --keep
}
# Every change delivered once and in order, after the receiver caught up.
verify_delivery() {
  local head waited=0
  head=$(sql "select max(seq) from change_log where $published")
  while [ "$(sql "select cursor >= $head from sync_consumer where name = 'demo-warehouse'")" != t ]; do
    sleep 1; waited=$((waited + 1))
    [ $waited -lt 600 ] || break
  done
  local caught_up
  caught_up=$(echo "$(date +%s.%N) - $restarted_at" | bc)
  stop_receiver
  echo "  figures: backlog at restart $backlog_at_restart changes, caught up $(printf %.1f "$caught_up") s after the" \
    "restart; receiver runs: $(cat "$HUB_RUN_DIR"/receiver-*.json | jq -sc 'map({requests, batches, duplicate_batches, changes, duplicate_changes, refused})')"
  check "consumer cursor at the head of the change log" t \
    "$(sql "select cursor >= $head from sync_consumer where name = 'demo-warehouse'")"
  check "batches dead-lettered" 0 "$(sql "select count(*) from sync_dead_letter")"
  check "changes received (each once: keyed by seq)" "$(sql "select count(*) from change_log where $published")" \
    "$(sql "select count(*) from warehouse.change")"
  check "changes received that the hub does not have" 0 \
    "$(sql "select count(*) from warehouse.change w where not exists (select 1 from change_log c where c.seq = w.seq)")"
  check "changes applied out of order (receiver counters)" 0 \
    "$(cat "$HUB_RUN_DIR"/receiver-*.json | jq -s 'map(.out_of_order) | add')"
  check "records whose last change is not the hub's last" 0 "$(sql "select count(*) from warehouse.record r
    where r.last_seq <> (select max(seq) from change_log c where c.record_id = r.id)")"
}

# Queued batches sampled every second into $HUB_RUN_DIR/inbox-depth until killed.
sample_inbox() {
  while :; do
    sql "select count(*) from inbox_batch where status in ('received', 'processing')" >>"$HUB_RUN_DIR/inbox-depth"
    sleep 1
  done
}

case "${1:-}" in
  receiver)
    [ -x "$build/drill_receiver" ] || { echo "drill: $build/drill_receiver is missing (cmake --build build)" >&2; exit 1; }
    write_publication
    fresh_cluster 3
    rm -f "$HUB_RUN_DIR"/receiver-*.json
    start_receiver
    drill receiver_outage "receiver-down"
    verify_delivery
    cluster stop >/dev/null
    [ $failed = 0 ] && echo "drill: every check passed" || echo "drill: FAILED"
    exit $failed
    ;;
  inbox)
    # 1,000-record pushes are answered 202 and left to one background worker per hub.
    export HUB_INGEST_SYNC_MAX_RECORDS=100 HUB_INGEST_WORKERS=1
    fresh_cluster 3
    inbox_clients=${DRILL_INBOX_CLIENTS:-6}
    echo "drill: inbox filled faster than it drains ($inbox_clients clients not waiting, ${seconds}s)"
    : >"$HUB_RUN_DIR/inbox-depth"
    sample_inbox &
    sampler=$!
    "$build/drill_client" --url "$url" --token "$token" --clients "$inbox_clients" --seconds "$seconds" \
      --key-prefix inbox- --follow 0 --max-pushes "${DRILL_INBOX_PUSHES:-60}" >"$HUB_RUN_DIR/drill-inbox.json" || failed=1
    load_end=$(date +%s.%N)
    pushes=$(jq -r .pushes "$HUB_RUN_DIR/drill-inbox.json")
    while [ "$(sql "select count(*) from inbox_batch where status in ('received', 'processing')")" != 0 ]; do
      sleep 1
    done
    drained=$(echo "$(date +%s.%N) - $load_end" | bc)
    kill "$sampler"; wait "$sampler" 2>/dev/null || true
    echo "  figures: $(jq -c '{pushes, queued, records, records_per_second, retries, p50_ms, p99_ms}' "$HUB_RUN_DIR/drill-inbox.json")"
    echo "  peak queued batches $(sort -n "$HUB_RUN_DIR/inbox-depth" | tail -n 1), drained $(printf %.1f "$drained") s" \
      "after the load ended; $(sql "select round(count(*) * 1000 / extract(epoch from max(finished_at) - min(received_at)))
        from inbox_batch where feed = 'admissions'") records/s pushed to done"
    verify
    cluster stop >/dev/null
    [ $failed = 0 ] && echo "drill: every check passed" || echo "drill: FAILED"
    exit $failed
    ;;
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
  *) echo "usage: $0 faults|receiver|inbox|bench" >&2; exit 2 ;;
esac
