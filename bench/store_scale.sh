#!/usr/bin/env bash
# Push latency and pull paging on a small and on a large store (docs/benchmarks.md, "A store of
# millions"). For each size: an empty database, one hub, the demo schools and a few students
# pushed, the store grown to SIZE students by build/store_fill, then
#   - push: build/drill_client, one vendor pushing 1,000-record batches of new children for
#     STORE_PUSH_SECONDS (default 60): p50 / p99 latency, records/s;
#   - pull: GET /v1/changes/student?after=..&limit=1000 at the start, the middle and the end of the
#     change log, and GET /v1/shared/student?updated_since=..&limit=1000 at the start, middle and
#     end of the records; each page 5 times, the median time (curl, same machine).
#
#   source .run/env && bash bench/store_scale.sh 10000 5000000
#
# Uses the PostgreSQL and Redis of HUB_POSTGRES_URL / HUB_REDIS_URL (scripts/services.sh) and
# WIPES that database. Prints one line per measurement.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${HUB_BUILD_DIR:-$root/build}
: "${HUB_POSTGRES_URL:?source .run/env first}" "${HUB_REDIS_URL:?source .run/env first}"
export HUB_CONFIG=${HUB_CONFIG:-$root/config/hub.yaml} HUB_LOG_LEVEL=${HUB_LOG_LEVEL:-warn}
# The pull API answers 503 publication.unavailable without the publication profiles' secret.
export HUB_PUBLICATION_SECRET=${HUB_PUBLICATION_SECRET:-store-scale-publication-secret}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
hub_log=${TMPDIR:-/tmp}/store_scale_hub.log
hub_pid=
trap '[ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null; wait 2>/dev/null || true' EXIT

sql() { psql "$HUB_POSTGRES_URL" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
median_time() {  # $1 url, $2 token: median of 5 fetches, in ms; a page not answered 200 stops the run
  local times="" t
  for _ in 1 2 3 4 5; do
    t=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $2" "$1")
    [ "${t%% *}" = 200 ] || { echo "store_scale: $1 answered ${t%% *}, see $hub_log" >&2; exit 1; }
    times+="${t#* }"$'\n'
  done
  printf %s "$times" | sort -n | sed -n 3p | awk '{printf "%.1f", $1 * 1000}'
}

for size in "$@"; do
  sql "set client_min_messages = warning; drop schema public cascade; create schema public" >/dev/null
  HUB_LISTEN=127.0.0.1:$port "$build/hub" >"$hub_log" 2>&1 &
  hub_pid=$!
  for _ in $(seq 1 100); do curl -fsS -o /dev/null "$url/readyz" 2>/dev/null && break; sleep 0.2; done
  ops=$("$build/hubctl" partner add demo-ops --scope admin --scope ingest:school 2>/dev/null | tail -n 1)
  vendor=$("$build/hubctl" partner add demo-admissions --scope ingest:student --scope ingest:admission_application \
    --unit province:31 --rate 1000 --burst 2000 2>/dev/null | tail -n 1)
  warehouse=$("$build/hubctl" partner add demo-warehouse --scope 'pull:*' 2>/dev/null | tail -n 1)
  curl -fsS -o /dev/null -H "Authorization: Bearer $ops" -H 'Content-Type: application/json' \
    --data-binary @"$root/mappings/partners/demo-ops/samples/schools.json" "$url/v1/ingest/schools"
  "$build/drill_client" --url "$url" --token "$vendor" --clients 1 --records 10 --seconds 1 --first 900000 \
    --key-prefix template- >/dev/null
  t0=$(date +%s)
  "$build/store_fill" --records "$size" | tail -n 1
  echo "size $size: filled in $(( $(date +%s) - t0 )) s; database $(sql "select pg_size_pretty(pg_database_size(current_database()))")"

  out=$("$build/drill_client" --url "$url" --token "$vendor" --clients 1 --seconds "${STORE_PUSH_SECONDS:-60}" \
    --first 100000 --key-prefix scale-)
  echo "size $size: push $(echo "$out" | jq -c '{pushes, records_per_second, p50_ms, p99_ms}')"

  last=$(sql "select max(seq) from change_log")
  for at in start middle end; do
    case $at in start) after=0 ;; middle) after=$((last / 2)) ;; end) after=$((last - 1000)) ;; esac
    ms=$(median_time "$url/v1/changes/student?after=$after&limit=1000" "$warehouse")
    echo "size $size: /v1/changes page at the $at (after=$after): $ms ms"
  done
  n=$(sql "select count(*) from golden_record where entity = 'student'")
  for at in start middle end; do
    case $at in start) skip=0 ;; middle) skip=$((n / 2)) ;; end) skip=$((n - 1000)) ;; esac
    since=$(sql "select to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') from golden_record
                 where entity = 'student' order by updated_at, id offset $skip limit 1")
    ms=$(median_time "$url/v1/shared/student?updated_since=$since&limit=1000" "$warehouse")
    echo "size $size: /v1/shared page at the $at (updated_since=$since): $ms ms"
  done
  kill "$hub_pid"; wait "$hub_pid" 2>/dev/null || true; hub_pid=
done
