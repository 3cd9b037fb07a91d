#!/usr/bin/env bash
# Starts/stops HAProxy in front of the hub (config/haproxy/haproxy.cfg): the public address,
# the request limits enforced before the hub sees a request, and the hub processes behind it.
# Nothing from systemd; works as root or as any user allowed to bind the address. Safe to run
# twice: `start` restarts a running HAProxy with the new settings.
#
#   scripts/edge.sh start|stop|status|render|run
#
# `run` stays in the foreground (a container's entry point, docker/compose.yaml).
#
# Settings (environment, with their defaults):
#   HUB_EDGE_LISTEN=127.0.0.1:8080        the public address
#   HUB_EDGE_BACKENDS=127.0.0.1:18080     the hub processes, host:port separated by spaces
#   HUB_EDGE_MAX_BODY_BYTES=33554432      keep equal to the hub's http.max_body_bytes
#   HUB_EDGE_MAX_HEADER_BYTES=65536       ... http.max_header_bytes
#   HUB_EDGE_MAX_REQUEST_LINE_BYTES=8192  ... http.max_request_line_bytes
#   HUB_EDGE_MAXCONN=2000                 client connections at once
#   HUB_EDGE_SERVER_MAXCONN=8             requests at once per hub process
#   HUB_EDGE_STATS_SOCKET=$HUB_RUN_DIR/haproxy/haproxy.sock   HAProxy's administration socket
#   HUB_RUN_DIR=.run                      the rendered configuration, pid and log go to
#                                         $HUB_RUN_DIR/haproxy/
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
run=${HUB_RUN_DIR:-$root/.run}
dir=$run/haproxy
cfg=$dir/haproxy.cfg
pid_file=$dir/haproxy.pid
log_file=$dir/haproxy.log

export HUB_EDGE_LISTEN=${HUB_EDGE_LISTEN:-127.0.0.1:8080}
export HUB_EDGE_PROBLEMS=${HUB_EDGE_PROBLEMS:-$root/config/haproxy/problems}
export HUB_EDGE_MAX_BODY_BYTES=${HUB_EDGE_MAX_BODY_BYTES:-33554432}
export HUB_EDGE_MAX_HEADER_BYTES=${HUB_EDGE_MAX_HEADER_BYTES:-65536}
export HUB_EDGE_MAX_REQUEST_LINE_BYTES=${HUB_EDGE_MAX_REQUEST_LINE_BYTES:-8192}
export HUB_EDGE_MAXCONN=${HUB_EDGE_MAXCONN:-2000}
export HUB_EDGE_SERVER_MAXCONN=${HUB_EDGE_SERVER_MAXCONN:-8}
export HUB_EDGE_STATS_SOCKET=${HUB_EDGE_STATS_SOCKET:-$dir/haproxy.sock}
backends=${HUB_EDGE_BACKENDS:-127.0.0.1:18080}

running() { [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

# The template with one "server" line per hub process in place of each "@hub-servers@" mark.
render() {
  mkdir -p "$dir"
  local servers="" i=0 b
  for b in $backends; do
    i=$((i + 1))
    servers+="    server hub$i $b"$'\n'
  done
  [ "$i" -gt 0 ] || { echo "edge: HUB_EDGE_BACKENDS names no hub process" >&2; exit 2; }
  awk -v servers="$servers" '/# @hub-servers@/ { printf "%s", servers; next } { print }' \
    "$root/config/haproxy/haproxy.cfg" >"$cfg"
  haproxy -c -q -f "$cfg" || { echo "edge: $cfg is not valid (haproxy -c)" >&2; exit 1; }
}

port_open() { (exec 3<>"/dev/tcp/${HUB_EDGE_LISTEN%:*}/${HUB_EDGE_LISTEN##*:}") 2>/dev/null; }

stop() {
  if running; then
    local pid
    pid=$(cat "$pid_file")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    echo "edge: HAProxy stopped"
  fi
  rm -f "$pid_file"
}

start() {
  command -v haproxy >/dev/null || { echo "edge: haproxy is not installed (bash scripts/install-deps.sh)" >&2; exit 1; }
  render
  stop >/dev/null
  if port_open; then
    echo "edge: $HUB_EDGE_LISTEN is taken by another program; choose another with HUB_EDGE_LISTEN=<host:port>" >&2
    exit 1
  fi
  # In the foreground of its own (-db), logging to the file; the shell does not wait for it.
  nohup haproxy -db -f "$cfg" >>"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  for _ in $(seq 50); do port_open && break; running || break; sleep 0.1; done
  if ! port_open; then
    echo "edge: HAProxy did not start, see $log_file" >&2
    exit 1
  fi
  echo "edge: HAProxy on http://$HUB_EDGE_LISTEN in front of $backends (log $log_file)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) running && echo "HAProxy: running (pid $(cat "$pid_file")) on $HUB_EDGE_LISTEN" || echo "HAProxy: stopped" ;;
  render) render && echo "$cfg" ;;
  run) render && exec haproxy -db -f "$cfg" ;;
  *) echo "usage: $0 start|stop|status|render|run" >&2; exit 2 ;;
esac
