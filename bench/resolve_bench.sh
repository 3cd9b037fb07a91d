#!/usr/bin/env bash
# Entity resolution end to end: generated messy data from the two demo partners pushed through
# 1, 2 and 3 hub processes at once (each document to one process, round robin, two pushes in
# flight per process), then `hubctl resolve evaluate` against the ground truth. Prints records/s
# and precision / recall / review rate per run. WIPES the database at HUB_POSTGRES_URL and the
# Redis db at HUB_REDIS_URL: use a scratch pair (e.g. scripts/services.sh with HUB_RUN_DIR).
#
#   BUILD=build CHILDREN=20000 PROCS="1 2 3" bench/resolve_bench.sh
#   HARD=1 ...   the harder sample of real registers (docs/benchmarks.md, entity resolution):
#                names given-name first, transposed ID digits, records without a birth date,
#                twins in one class, children who changed school between the two registers
#   GEN_ARGS="--twins 0.05 ..."   any other `hubctl resolve generate` options
set -euo pipefail
build=$(cd "${BUILD:-build}" && pwd)
children=${CHILDREN:-20000}
procs_list=${PROCS:-"1 2 3"}
port_base=${PORT_BASE:-18460}  # hubs listen on port_base+1..
: "${HUB_POSTGRES_URL:?}" "${HUB_REDIS_URL:?}"
data=$(mktemp -d /tmp/resolve-bench.XXXX)
trap 'rm -rf "$data"; for p in ${pids:-}; do kill "$p" 2>/dev/null || true; done' EXIT
gen_args=${GEN_ARGS:-}
if [ "${HARD:-0}" = 1 ]; then
  gen_args="--reordered-names 0.03 --transposed-ids 0.01 --missing-birth-dates 0.02 --twins 0.03 --school-changes 0.05 $gen_args"
fi
# shellcheck disable=SC2086  # gen_args is a list of options
"$build/hubctl" resolve generate --children "$children" --seed "${SEED:-7}" --batch 500 $gen_args --out "$data"
redis_db=${HUB_REDIS_URL##*/}
redis_hostport=${HUB_REDIS_URL#redis://}; redis_hostport=${redis_hostport%%/*}

for n in $procs_list; do
  PGOPTIONS=--client-min-messages=warning psql "$HUB_POSTGRES_URL" -qX -c 'drop schema public cascade; create schema public' >/dev/null
  redis-cli -h "${redis_hostport%:*}" -p "${redis_hostport#*:}" -n "$redis_db" flushdb >/dev/null
  "$build/hubctl" migrate >/dev/null
  ops=$("$build/hubctl" partner add demo-ops --scope admin --scope ingest:school | tail -1)
  adm=$("$build/hubctl" partner add demo-admissions --scope ingest:student --scope ingest:admission_application | tail -1)
  trn=$("$build/hubctl" partner add demo-transcripts --scope ingest:student --scope ingest:enrollment \
        --scope ingest:subject_result --scope ingest:term_summary | tail -1)
  pids=""
  for i in $(seq 1 "$n"); do
    HUB_LISTEN=127.0.0.1:$((port_base + i)) HUB_LOG_LEVEL=warn HUB_HTTP_THREADS=2 "$build/hub" >"$data/hub-$i.log" 2>&1 &
    pids="$pids $!"
  done
  for i in $(seq 1 "$n"); do
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((port_base + i))/healthz" >/dev/null && break; sleep 0.1; done
  done
  curl -sf -o /dev/null -H "Authorization: Bearer $ops" -H 'Content-Type: application/json' \
    --data-binary @"$data/schools.json" http://127.0.0.1:$((port_base + 1))/v1/ingest/schools
  # Admissions and transcript documents interleaved, so both partners' records of the same
  # children are in flight together.
  paste -d'\n' <(ls "$data"/admissions-*.json | sort -V) <(ls "$data"/transcripts-*.json | sort -V) | grep -v '^$' > "$data/order"
  export adm trn n port_base
  start=$(date +%s.%N)
  awk '{print NR" "$0}' "$data/order" | xargs -P $((2 * n)) -L1 bash -c '
    port=$((port_base + 1 + ($0 % n)))
    case "$1" in *admissions*) tok=$adm feed=admissions;; *) tok=$trn feed=transcripts;; esac
    code=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $tok" -H "Content-Type: application/json" \
      --data-binary @"$1" "http://127.0.0.1:$port/v1/ingest/$feed")
    [ "$code" = 200 ] || [ "$code" = 202 ] || echo "push $1 -> HTTP $code" >&2'
  # Wait for anything queued (202) to finish.
  until [ "$(psql "$HUB_POSTGRES_URL" -qAtX -c "select count(*) from inbox_batch where status <> 'done'")" = 0 ]; do sleep 0.2; done
  end=$(date +%s.%N)
  records=$(psql "$HUB_POSTGRES_URL" -qAtX -c "select count(*) from batch_record b join inbox_batch i on i.id = b.batch_id where i.feed <> 'schools'")
  awk -v n="$n" -v r="$records" -v s="$start" -v e="$end" \
    'BEGIN { printf "%d process(es): %d records in %.1f s = %.0f records/s\n", n, r, e - s, r / (e - s) }'
  "$build/hubctl" resolve evaluate --truth "$data/truth.csv"
  for p in $pids; do kill "$p"; wait "$p" 2>/dev/null || true; done
  pids=""
done
