#!/usr/bin/env bash
# Runs the hub as production does, on one machine and without Docker: N hub processes on ports
# of their own behind HAProxy (scripts/edge.sh, config/haproxy/: health checks on /readyz), one
# PostgreSQL and one Redis (scripts/services.sh). Everything lives under its own run folder and
# ports, so a cluster never collides with the demo, the tests or another cluster.
#
#   scripts/cluster.sh start N        start PostgreSQL, Redis, N hubs and HAProxy; print the URL
#   scripts/cluster.sh stop           drain the hubs (SIGTERM), stop HAProxy and the databases
#   scripts/cluster.sh status         each hub's address, pid and HAProxy's view of it
#   scripts/cluster.sh kill-hub I     kill -9 hub I (fault drills)
#   scripts/cluster.sh term-hub I     SIGTERM hub I and wait for its exit (a graceful drain)
#   scripts/cluster.sh start-hub I    start hub I again (after kill-hub or term-hub)
#
# Settings (environment, with their defaults):
#   HUB_RUN_DIR=.run/cluster          data, pids, logs and the env file ($HUB_RUN_DIR/env)
#   HUB_PG_PORT=55532 HUB_REDIS_PORT=56532   the cluster's own PostgreSQL and Redis
#   HUB_CLUSTER_LISTEN=127.0.0.1:8090 the balancer's public address
#   HUB_CLUSTER_HUB_PORT=18090        hub I listens on 127.0.0.1:(HUB_CLUSTER_HUB_PORT + I)
#   HUB_BUILD_DIR=build               where hub and hubctl are
# Any other HUB_* variable (HUB_LOG_LEVEL, HUB_HTTP_DRAIN_TIMEOUT_MS ...) reaches every hub.
# Use the same settings for start, stop and status.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export HUB_RUN_DIR=${HUB_RUN_DIR:-$root/.run/cluster}
export HUB_PG_PORT=${HUB_PG_PORT:-55532}
export HUB_REDIS_PORT=${HUB_REDIS_PORT:-56532}
listen=${HUB_CLUSTER_LISTEN:-127.0.0.1:8090}
hub_port=${HUB_CLUSTER_HUB_PORT:-18090}
build=${HUB_BUILD_DIR:-$root/build}
dir=$HUB_RUN_DIR/hubs
mkdir -p "$dir"

hub_pid() { [ -s "$dir/hub$1.pid" ] && cat "$dir/hub$1.pid"; }
hub_running() { local p; p=$(hub_pid "$1") && kill -0 "$p" 2>/dev/null; }
hub_count() { [ -s "$dir/count" ] && cat "$dir/count" || echo 0; }
hub_addr() { echo "127.0.0.1:$((hub_port + $1))"; }

start_hub() {
  local i=$1 addr
  addr=$(hub_addr "$i")
  if hub_running "$i"; then echo "cluster: hub $i already running (pid $(hub_pid "$i"))"; return; fi
  # shellcheck disable=SC1091
  source "$HUB_RUN_DIR/env"
  # One process delivers the push connectors of each consumer: the first hub.
  local push=false
  [ "$i" = 1 ] && push=${HUB_SYNC_PUSH:-true}
  HUB_LISTEN=$addr HUB_HTTP_TRUSTED_PROXIES=127.0.0.1 HUB_SYNC_PUSH=$push \
    nohup "$build/hub" >>"$dir/hub$i.log" 2>&1 </dev/null &
  echo $! >"$dir/hub$i.pid"
  for _ in $(seq 300); do
    curl -fsS -o /dev/null "http://$addr/healthz" 2>/dev/null && break
    hub_running "$i" || { echo "cluster: hub $i did not start, see $dir/hub$i.log" >&2; return 1; }
    sleep 0.1
  done
  echo "cluster: hub $i on http://$addr (pid $(hub_pid "$i"), log $dir/hub$i.log)"
}

stop_hub() {  # $1 index, $2 signal
  local i=$1 sig=$2 pid
  hub_running "$i" || { rm -f "$dir/hub$i.pid"; return 0; }
  pid=$(hub_pid "$i")
  kill "-$sig" "$pid" 2>/dev/null || true
  # The hub drains for http.drain_timeout_ms (30 s by default), then exits on its own.
  for _ in $(seq 450); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "cluster: hub $i did not exit after SIGTERM; kill -9" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/hub$i.pid"
}

edge() {
  local backends="" i
  for i in $(seq "$(hub_count)"); do backends+="${backends:+ }$(hub_addr "$i")"; done
  HUB_EDGE_LISTEN=$listen HUB_EDGE_BACKENDS=$backends bash "$root/scripts/edge.sh" "$@"
}

# HAProxy's view of each hub (UP, DOWN, MAINT and its health-check result), from its
# administration socket.
haproxy_view() {
  local sock=$HUB_RUN_DIR/haproxy/haproxy.sock
  [ -S "$sock" ] || { echo "  HAProxy: not running"; return; }
  python3 - "$sock" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
lines = data.decode().splitlines()
head = lines[0].lstrip("# ").split(",")
for line in lines[1:]:
    row = dict(zip(head, line.split(",")))
    if row.get("pxname") == "hub" and row.get("svname", "").startswith("hub"):
        print("  HAProxy %s: %s (check: %s %s, sessions now %s, total %s)" % (
            row["svname"], row["status"], row.get("check_status", ""), row.get("check_code", ""),
            row.get("scur", ""), row.get("stot", "")))
PY
}

case "${1:-}" in
  start)
    n=${2:-}
    [[ "$n" =~ ^[1-9][0-9]?$ ]] || { echo "usage: $0 start N (1..99 hub processes)" >&2; exit 2; }
    [ -x "$build/hub" ] || { echo "cluster: $build/hub is missing (bash scripts/build.sh)" >&2; exit 1; }
    bash "$root/scripts/services.sh" start
    # shellcheck disable=SC1091
    source "$HUB_RUN_DIR/env"
    "$build/hubctl" migrate >/dev/null  # once, before the hubs start together
    old=$(hub_count)
    for i in $(seq $((n + 1)) "$old"); do stop_hub "$i" TERM; done
    echo "$n" >"$dir/count"
    for i in $(seq "$n"); do start_hub "$i"; done
    edge start >/dev/null
    echo "cluster: $n hub(s) behind HAProxy; the balancer is http://$listen"
    echo "cluster: source $HUB_RUN_DIR/env for hubctl; logs in $dir/"
    ;;
  stop)
    for i in $(seq "$(hub_count)"); do stop_hub "$i" TERM; done
    [ "$(hub_count)" -gt 0 ] && edge stop || true
    bash "$root/scripts/services.sh" stop
    ;;
  status)
    echo "balancer: http://$listen"
    for i in $(seq "$(hub_count)"); do
      if hub_running "$i"; then
        ready=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://$(hub_addr "$i")/readyz" || true)
        echo "hub $i: http://$(hub_addr "$i") pid $(hub_pid "$i") running, /readyz $ready"
      else
        echo "hub $i: http://$(hub_addr "$i") stopped"
      fi
    done
    haproxy_view
    bash "$root/scripts/services.sh" status
    ;;
  kill-hub) stop_hub "${2:?hub index}" KILL ;;
  term-hub) stop_hub "${2:?hub index}" TERM ;;
  start-hub) start_hub "${2:?hub index}" ;;
  *) echo "usage: $0 start N|stop|status|kill-hub I|term-hub I|start-hub I" >&2; exit 2 ;;
esac
