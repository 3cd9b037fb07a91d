#!/usr/bin/env bash
# Benchmark of the HTTP edge: does an authenticated GET /v1/me keep at least 70% of the request
# rate of GET /healthz (no auth, no I/O)? The difference is the price of authentication: token
# hash, cached grant lookup, and the one Redis round trip of the rate limiter (which also
# carries the revocation epoch).
#
#   bash bench/http_auth.sh
#
# Starts the project's PostgreSQL and Redis (scripts/services.sh; HUB_RUN_DIR, HUB_PG_PORT and
# HUB_REDIS_PORT are honoured), builds if needed, starts one hub on a free port with
# HUB_LOG_LEVEL=warn (no access log), creates a throw-away partner with a very high rate limit,
# warms up, then runs wrk on /healthz and /v1/me alternately, round after round, so both routes
# see the same machine conditions. Prints the median of the rounds per route, p50/p99 latency,
# the ratio me/healthz and a verdict. Stops the hub and revokes the partner at the end (the
# databases keep running; scripts/services.sh stop stops them).
#
# Knobs (environment): BENCH_ROUNDS (3), BENCH_DURATION (10s), BENCH_WARMUP (5s),
# BENCH_THREADS (2), BENCH_CONNECTIONS (32), BENCH_HUB_THREADS (http.threads of the hub, 2),
# BENCH_PORT (default: a free port from 18000 up), BENCH_TARGET_PERCENT (70).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

rounds=${BENCH_ROUNDS:-3}
duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-5s}
wrk_threads=${BENCH_THREADS:-2}
connections=${BENCH_CONNECTIONS:-32}
hub_threads=${BENCH_HUB_THREADS:-2}
target=${BENCH_TARGET_PERCENT:-70}

command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk, or scripts/install-deps.sh)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench: curl is missing" >&2; exit 1; }

bash scripts/services.sh start
# shellcheck disable=SC1091
source "${HUB_RUN_DIR:-$root/.run}/env"

if [ ! -x build/hub ] || [ ! -x build/hubctl ]; then bash scripts/build.sh; fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${BENCH_PORT:-}
if [ -z "$port" ]; then
  for p in $(seq 18000 18999); do
    if ! port_busy "$p"; then port=$p; break; fi
  done
  [ -n "$port" ] || { echo "bench: no free port in 18000-18999" >&2; exit 1; }
fi
base=http://127.0.0.1:$port

work=$(mktemp -d /tmp/bench-http-auth.XXXXXX)
hub_pid=
partner=
cleanup() {
  if [ -n "$hub_pid" ] && kill -0 "$hub_pid" 2>/dev/null; then
    kill -TERM "$hub_pid" 2>/dev/null || true
    wait "$hub_pid" 2>/dev/null || true
  fi
  if [ -n "$partner" ]; then
    ./build/hubctl partner revoke "$partner" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

HUB_LISTEN=127.0.0.1:$port HUB_LOG_LEVEL=warn HUB_HTTP_THREADS=$hub_threads ./build/hub 2>"$work/hub.log" &
hub_pid=$!
for _ in $(seq 300); do
  curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && break
  kill -0 "$hub_pid" 2>/dev/null || { echo "bench: the hub exited:" >&2; cat "$work/hub.log" >&2; exit 1; }
  sleep 0.1
done
curl -fsS -o /dev/null "$base/healthz" || { echo "bench: the hub did not answer on $base" >&2; exit 1; }

partner=bench-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
token=$(./build/hubctl partner add "$partner" --scope ingest:student --rate 1000000 --burst 1000000 2>/dev/null | tail -n 1)
[ -n "$token" ] || { echo "bench: could not create partner $partner" >&2; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/v1/me")
[ "$status" = 200 ] || { echo "bench: GET /v1/me answered $status, not 200" >&2; exit 1; }

# Pistache 0.0.5 closes the connection unless the request asks to keep it alive.
keep=(-H 'Connection: keep-alive')
auth=(-H "Authorization: Bearer $token")

# Runs wrk once; prints "rps p50_ms p99_ms requests non2xx socket_errors" on one line.
run_wrk() {
  local path=$1 secs=$2; shift 2
  local out
  out=$(wrk -t"$wrk_threads" -c"$connections" -d"$secs" --latency "${keep[@]}" "$@" "$base$path")
  echo "$out" >>"$work/wrk.log"
  echo "$out" | awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000;
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0;
      if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000;
      if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000;
      return v + 0;
    }
    /^Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    / requests in / { n = $1 }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { gsub(",", ""); errs = $4 + $6 + $8 + $10 }
    END { printf "%s %.3f %.3f %d %d %d\n", rps, p50, p99, n, bad + 0, errs + 0 }'
}

echo "bench: hub on $base (http.threads=$hub_threads), wrk -t$wrk_threads -c$connections, $rounds rounds of $duration per route, warm-up $warmup"
run_wrk /healthz "$warmup" >/dev/null
run_wrk /v1/me "$warmup" "${auth[@]}" >/dev/null

: >"$work/healthz" ; : >"$work/me"
for r in $(seq "$rounds"); do
  h=$(run_wrk /healthz "$duration")
  m=$(run_wrk /v1/me "$duration" "${auth[@]}")
  echo "$h" >>"$work/healthz"
  echo "$m" >>"$work/me"
  printf 'bench: round %d  healthz %10.0f req/s   me %10.0f req/s\n' "$r" "${h%% *}" "${m%% *}"
done

# Median of a column over the rounds.
median() { sort -g -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sum() { awk -v c="$2" '{ s += $c } END { print s + 0 }' "$1"; }

h_rps=$(median "$work/healthz" 1); m_rps=$(median "$work/me" 1)
h_p50=$(median "$work/healthz" 2); m_p50=$(median "$work/me" 2)
h_p99=$(median "$work/healthz" 3); m_p99=$(median "$work/me" 3)
h_bad=$(sum "$work/healthz" 5); m_bad=$(sum "$work/me" 5)
h_err=$(sum "$work/healthz" 6); m_err=$(sum "$work/me" 6)
ratio=$(awk -v a="$m_rps" -v b="$h_rps" 'BEGIN { printf "%.1f", (b > 0) ? 100 * a / b : 0 }')

echo
printf '%-10s %14s %10s %10s %10s %10s\n' route "req/s (med)" "p50 ms" "p99 ms" non-2xx "sock err"
printf '%-10s %14.0f %10.3f %10.3f %10d %10d\n' /healthz "$h_rps" "$h_p50" "$h_p99" "$h_bad" "$h_err"
printf '%-10s %14.0f %10.3f %10.3f %10d %10d\n' /v1/me "$m_rps" "$m_p50" "$m_p99" "$m_bad" "$m_err"
echo "ratio me/healthz: $ratio%"
echo "machine: $(nproc) cores, $(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')"

if [ "$m_bad" -gt 0 ] || [ "$h_bad" -gt 0 ]; then
  echo "verdict: INVALID: non-2xx responses during the run (see the hub log below)"
  tail -n 20 "$work/hub.log"
  exit 1
fi
if awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r >= t) }'; then
  echo "verdict: PASS: /v1/me keeps $ratio% of the /healthz rate (target >= $target%)"
else
  echo "verdict: FAIL: /v1/me keeps $ratio% of the /healthz rate (target >= $target%)"
  exit 3
fi
