#!/usr/bin/env bash
# Starts/stops a PostgreSQL 15 and a Redis 7 that belong to this project: their own data folder
# (.run/ by default), their own ports (55432, 56379), nothing from systemd. Works as root
# (PostgreSQL runs as the `postgres` system user), and is safe to run twice.
#
#   scripts/services.sh start|stop|status|env
#
# After `start`, .run/env holds the HUB_* variables that point hub, hubctl and the tests at them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
run=${HUB_RUN_DIR:-$root/.run}
pg_port=${HUB_PG_PORT:-55432}
redis_port=${HUB_REDIS_PORT:-56379}
pg_bin=/usr/lib/postgresql/15/bin
pg_user=postgres
# PostgreSQL refuses to run as root; when the checkout is not reachable by the postgres user
# (e.g. under /root), its data goes to a folder of its own.
pg_data=$run/postgres
mkdir -p "$run"
if ! runuser -u $pg_user -- test -x "$run" 2>/dev/null; then
  pg_data=/var/lib/edu-data-hub/$(echo -n "$run" | md5sum | cut -c1-12)/postgres
fi
redis_dir=$run/redis
env_file=$run/env

pg_running() { runuser -u $pg_user -- "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; }
redis_running() { redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

psql_admin() { runuser -u $pg_user -- psql -h /tmp -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 -qAtX "$@"; }

start_postgres() {
  if [ ! -s "$pg_data/PG_VERSION" ]; then
    mkdir -p "$pg_data"
    chown -R $pg_user: "$pg_data"
    chmod 700 "$pg_data"
    runuser -u $pg_user -- "$pg_bin/initdb" -D "$pg_data" -U postgres --auth-local=peer \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$pg_data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '/tmp'
max_connections = 200
shared_buffers = 256MB
fsync = on
# Ingest writes index pages at random (block hashes, uuids): fewer checkpoints mean fewer
# full-page images, and lz4 shrinks those; a quarter less WAL per record (docs/operations.md 2).
max_wal_size = 8GB
checkpoint_timeout = 15min
wal_compression = lz4
CONF
  fi
  if pg_running; then
    echo "services: PostgreSQL already running on port $pg_port"
  else
    if port_busy "$pg_port"; then
      echo "services: port $pg_port is taken by another program; choose another with HUB_PG_PORT=<port>" >&2
      exit 1
    fi
    runuser -u $pg_user -- "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 start >/dev/null
    echo "services: PostgreSQL started on 127.0.0.1:$pg_port (data $pg_data)"
  fi
  # The hub's role and databases: hub (the demo) and hub_test (wiped by the tests).
  if [ "$(psql_admin -c "select 1 from pg_roles where rolname='hub'")" != 1 ]; then
    psql_admin -c "create role hub login password 'hub'"
  fi
  for db in hub hub_test; do
    if [ "$(psql_admin -c "select 1 from pg_database where datname='$db'")" != 1 ]; then
      psql_admin -c "create database $db owner hub"
    fi
  done
}

start_redis() {
  mkdir -p "$redis_dir"
  if redis_running; then
    echo "services: Redis already running on port $redis_port"
    return
  fi
  if port_busy "$redis_port"; then
    echo "services: port $redis_port is taken by another program; choose another with HUB_REDIS_PORT=<port>" >&2
    exit 1
  fi
  # Redis only holds locks, rate-limit counters and caches: nothing there must survive a restart.
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" --daemonize yes \
    --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" --save "" \
    --appendonly no >/dev/null
  for _ in $(seq 50); do redis_running && break; sleep 0.1; done
  redis_running || { echo "services: Redis did not start, see $redis_dir/redis.log" >&2; exit 1; }
  echo "services: Redis started on 127.0.0.1:$redis_port"
}

write_env() {
  cat >"$env_file" <<ENV
export HUB_POSTGRES_URL=postgresql://hub:hub@127.0.0.1:$pg_port/hub
export HUB_TEST_POSTGRES_URL=postgresql://hub:hub@127.0.0.1:$pg_port/hub_test
export HUB_REDIS_URL=redis://127.0.0.1:$redis_port/0
export HUB_TEST_REDIS_URL=redis://127.0.0.1:$redis_port/1
export HUB_REDIS_PORT=$redis_port
export HUB_REDIS_DIR=$redis_dir
ENV
}

stop_all() {
  if redis_running; then
    redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
    echo "services: Redis stopped"
  fi
  if [ -s "$pg_data/PG_VERSION" ] && pg_running; then
    runuser -u $pg_user -- "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null
    echo "services: PostgreSQL stopped"
  fi
}

case "${1:-}" in
  start) start_postgres; start_redis; write_env; echo "services: environment in $env_file" ;;
  stop) stop_all ;;
  status)
    pg_running && echo "PostgreSQL: running on $pg_port" || echo "PostgreSQL: stopped"
    redis_running && echo "Redis: running on $redis_port" || echo "Redis: stopped"
    ;;
  env) write_env; cat "$env_file" ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
