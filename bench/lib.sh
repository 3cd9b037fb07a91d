# Shared set-up of the benchmark scripts that run one hub on a database of their own
# (bench/ingest_bench.sh, bench/large_push.sh): sourced, not run. The caller has sourced the
# services' env (HUB_*), and sets `build` and `pg_port`.

psql_admin() { runuser -u postgres -- psql -h /tmp -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 -qAtX "$@"; }

# bench_database NAME: a fresh database owned by hub, and HUB_POSTGRES_URL pointing at it.
bench_database() {
  psql_admin -c "drop database if exists $1" -c "create database $1 owner hub"
  export HUB_POSTGRES_URL=postgresql://hub:hub@127.0.0.1:$pg_port/$1
}

# bench_free_port FROM: prints the first port from FROM to 18999 that nothing listens on.
bench_free_port() {
  local p
  for p in $(seq "$1" 18999); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "bench: no free port in $1-18999" >&2
  return 1
}

# bench_wait_hub URL LOG: waits for the hub of $hub_pid to answer /healthz (60 s at most);
# fails with its log if it exits first.
bench_wait_hub() {
  local _
  for _ in $(seq 600); do
    curl -fsS -o /dev/null "$1/healthz" 2>/dev/null && return 0
    kill -0 "$hub_pid" 2>/dev/null || { echo "bench: the hub exited:" >&2; cat "$2" >&2; return 1; }
    sleep 0.1
  done
  echo "bench: the hub did not answer /healthz within 60 s" >&2
  return 1
}

# bench_partner NAME SCOPE...: adds the partner with a rate limit that never refuses and prints
# its token.
bench_partner() {
  local name=$1 args=() s
  shift
  for s in "$@"; do args+=(--scope "$s"); done
  "$build/hubctl" partner add "$name" "${args[@]}" --rate 1000000 --burst 1000000 2>/dev/null | tail -n 1
}

# bench_load_schools URL OPS_TOKEN OUT: pushes the demo school list (the records of every other
# feed refer to those schools).
bench_load_schools() {
  local status
  status=$(curl -s -o "$3" -w '%{http_code}' -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    --data-binary @mappings/partners/demo-ops/samples/schools.json "$1/v1/ingest/schools")
  [ "$status" = 200 ] || { echo "bench: loading the schools answered $status" >&2; cat "$3" >&2; return 1; }
}
