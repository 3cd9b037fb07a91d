#!/usr/bin/env bash
# Point-in-time restore, end to end (docs/operations.md, "Backup and restore"): a PostgreSQL of
# its own (free port, data under <build>/pitr) with WAL archiving, a base backup with
# pg_basebackup, pushes through a real hub before and after a recorded time, a pull consumer that
# read past that time, then a restore to the time (recovery_target_time), `hubctl sync restored`,
# the hub started on the restored database. Checks: what was written before the time is there,
# what came after is gone; the consumer's cursor, past the restored change log, gets
# 409 sync.cursor_ahead, also after new changes are written (never an empty or shifted page that
# silently skips them); a cursor inside the restored log reads on.
#
#   bash tests/scripts/pitr_test.sh <build dir>     (CTest: pitr_restore)
# Needs PostgreSQL 15's server binaries (/usr/lib/postgresql/15/bin) and the test Redis
# (HUB_TEST_REDIS_URL, as the other db tests). Exit 0 when every check passed.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
pgbin=${HUB_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
work=$build/pitr
redis_url=${HUB_TEST_REDIS_URL:-redis://127.0.0.1:56379/1}
started=$(date +%s)
# Counters a test before left in the test Redis (the per-address limit on failed
# authentications of 127.0.0.1) must not throttle this hub's pushes.
redis-cli -u "$redis_url" FLUSHDB >/dev/null
failed=0

# PostgreSQL refuses to run as root: its commands run as postgres then (as scripts/services.sh).
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port)
hub_port=$(free_port)
db_url=postgresql://hub@127.0.0.1:$pg_port/hub
hub_pid=

cleanup() {
  [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null || true
  as_pg "$pgbin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

sql() { psql "$db_url" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
check() {  # $1 what, $2 expected, $3 actual
  if [ "$2" = "$3" ]; then echo "  ok    $1: $3"; else echo "  FAIL  $1: expected $2, got $3"; failed=1; fi
}
hubctl() { HUB_POSTGRES_URL=$db_url HUB_REDIS_URL=$redis_url HUB_CONFIG=$root/config/hub.yaml "$build/hubctl" "$@"; }
start_hub() {
  HUB_POSTGRES_URL=$db_url HUB_REDIS_URL=$redis_url HUB_CONFIG=$root/config/hub.yaml HUB_LISTEN=127.0.0.1:$hub_port \
    HUB_LOG_LEVEL=warn HUB_PUBLICATION_SECRET=pitr-test-secret-0123456789 HUB_SYNC_PUSH=false "$build/hub" >>"$work/hub.log" 2>&1 &
  hub_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$hub_port/readyz" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "hub did not come up:"; tail -n 20 "$work/hub.log"; exit 1
}
stop_hub() { kill "$hub_pid"; wait "$hub_pid" 2>/dev/null || true; hub_pid=; }
# $1 token, $2 feed, $3 body file: the HTTP status
push() {
  curl -sS -o "$work/push.out" -w '%{http_code}' -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    --data-binary @"$3" "http://127.0.0.1:$hub_port/v1/ingest/$2"
}
# $1 after: "<status> <next_after>" of GET /v1/changes/student, the body in $work/changes.out
changes() {
  local status
  status=$(curl -sS -o "$work/changes.out" -w '%{http_code}' -H "Authorization: Bearer $warehouse" \
    "http://127.0.0.1:$hub_port/v1/changes/student?after=$1&limit=1000")
  echo "$status $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d.get("next_after", d.get("code", "")))' \
    "$work/changes.out")"
}
# $1 prefix, $2 records, $3 first id: a valid admissions push (as tests/support valid_admissions_payload)
admissions() {
  python3 - "$@" <<'PY'
import json, sys
prefix, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
spell = lambda s: "".join(chr(ord("a") + int(c)) for c in s)
recs = []
for i in range(n):
    k = first + i
    id6 = "%06d" % k
    recs.append({"maHoSo": prefix + id6, "hoTen": "Nguyễn Văn " + spell(id6),
                 "ngaySinh": "%d/%d/2014" % (1 + k % 28, 1 + k % 12), "gioiTinh": "Nam", "danToc": "Kinh",
                 "soDinhDanh": "031214" + id6, "diaChi": {"soNha": "1 Lê Lợi", "maXa": "11329"},
                 "dienThoaiPhuHuynh": "0912345678", "truongDangKy": "HP-THCS-0012", "nguyenVong": 1,
                 "ngayNopHoSo": "02/06/2025", "diemXetTuyen": "25", "ketQua": "Trúng tuyển"})
print(json.dumps({"namHoc": "2025-2026", "hoSo": recs}, ensure_ascii=False))
PY
}

echo "pitr: PostgreSQL on 127.0.0.1:$pg_port, data in $work"
rm -rf "$work" && mkdir -p "$work/wal"
[ "$(id -u)" = 0 ] && chown postgres: "$work" "$work/wal"
as_pg "$pgbin/initdb" -D "$work/data" -U hub --auth=trust >/dev/null
as_pg tee -a "$work/data/postgresql.conf" >/dev/null <<CONF
port = $pg_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $work/wal/%f && cp %p $work/wal/%f'
max_wal_senders = 3
fsync = off
CONF
as_pg "$pgbin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w start >/dev/null
psql "postgresql://hub@127.0.0.1:$pg_port/postgres" -qAtX -c "create database hub" >/dev/null

hubctl migrate >/dev/null
ops=$(hubctl partner add demo-ops --scope admin --scope ingest:school 2>/dev/null | tail -n 1)
vendor=$(hubctl partner add demo-admissions --scope ingest:student --scope ingest:admission_application \
  --unit province:31 2>/dev/null | tail -n 1)
warehouse=$(hubctl partner add demo-warehouse --scope 'pull:*' 2>/dev/null | tail -n 1)
start_hub
check "schools pushed before the base backup" 200 "$(push "$ops" schools "$root/mappings/partners/demo-ops/samples/schools.json")"

as_pg "$pgbin/pg_basebackup" -d "$db_url" -D "$work/base" -Fp -Xs -c fast >/dev/null
echo "pitr: base backup taken"

admissions A- 20 0 >"$work/a.json"
check "push A (after the backup, before the target time)" 200 "$(push "$vendor" admissions "$work/a.json")"
read -r _ cursor_a < <(changes 0)
seq_at_target=$(sql "select max(seq) from change_log")
sleep 1.1
target=$(sql "select now()")
sleep 1.1
admissions B- 15 1000 >"$work/b.json"
check "push B (after the target time)" 200 "$(push "$vendor" admissions "$work/b.json")"
read -r status cursor_b < <(changes "$cursor_a")
check "the consumer reads B's changes before the restore" 200 "$status"
students_before=$(sql "select count(*) from golden_record where entity = 'student'")
check "students before the restore" 35 "$students_before"
# The WAL segment holding B's commits in the archive (a restore replays only archived WAL).
segment=$(sql "select pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 100); do
  [ -f "$work/wal/$segment" ] && break
  sleep 0.1
done
check "WAL archived" yes "$([ -f "$work/wal/$segment" ] && echo yes || echo no)"

stop_hub
as_pg "$pgbin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null
echo "pitr: restoring to $target"
mv "$work/data" "$work/data.broken"
as_pg cp -a "$work/base" "$work/data"
as_pg tee -a "$work/data/postgresql.conf" >/dev/null <<CONF
restore_command = 'cp $work/wal/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
CONF
as_pg touch "$work/data/recovery.signal"
as_pg "$pgbin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w -t 60 start >/dev/null
for _ in $(seq 1 100); do
  [ "$(sql "select pg_is_in_recovery()" 2>/dev/null)" = f ] && break
  sleep 0.1
done
check "recovery finished and promoted" f "$(sql "select pg_is_in_recovery()")"
check "students after the restore (A kept, B gone)" 20 "$(sql "select count(*) from golden_record where entity = 'student'")"
check "admissions batches after the restore (B's gone)" 1 "$(sql "select count(*) from inbox_batch where feed = 'admissions'")"
restored_last=$(sql "select max(seq) from change_log")
check "restored change log ends with the last change before the target time" "$seq_at_target" "$restored_last"

hubctl sync restored
start_hub
read -r status code < <(changes "$cursor_b")
check "a cursor past the restored log is refused" "409 sync.cursor_ahead" "$status $code"
admissions C- 40 2000 >"$work/c.json"
check "push C after the restore" 200 "$(push "$vendor" admissions "$work/c.json")"
read -r status code < <(changes "$cursor_b")
check "after new changes, the old cursor is still refused (never silently skipped)" "409 sync.cursor_ahead" \
  "$status $code"
read -r status next < <(changes "$restored_last")
check "from the last change kept, the consumer reads C's changes" 200 "$status"
check "C's changes number past the lost stretch" t "$(sql "select min(seq) > $cursor_b from change_log where seq > $restored_last")"

echo "pitr: $(( $(date +%s) - started )) s"
exit $failed
