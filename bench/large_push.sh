#!/usr/bin/env bash
# Benchmark of the hub's memory for one large push: a document just under the body limit
# (http.max_body_bytes, 32 MiB) of admissions-portal records, pushed once; the hub's resident
# memory (VmRSS of /proc/<hub pid>/status) is sampled every 20 ms from before the request until
# the batch is done. Target (issue 22): the peak above the idle hub at most 4x the document.
#
#   bash bench/large_push.sh
#
# Starts the project's PostgreSQL and Redis (scripts/services.sh; HUB_RUN_DIR, HUB_PG_PORT and
# HUB_REDIS_PORT are honoured), creates a fresh database hub_large_push_bench, starts one hub on
# it (free port from 18300, HUB_LOG_LEVEL=warn), creates the partners demo-ops and
# demo-admissions, loads the demo school list, writes the document (distinct children: names,
# birth dates over 2014, personal IDs, application codes), pushes it, and waits for its batch.
# Knobs (environment): BENCH_BUILD_DIR (build), BENCH_BYTES (33,000,000: under 32 MiB with the
# request's headers), BENCH_KEEP_DB=1 (keep the database).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BENCH_BUILD_DIR:-build}
target_bytes=${BENCH_BYTES:-33000000}
pg_port=${HUB_PG_PORT:-55432}
db=hub_large_push_bench

bash scripts/services.sh start >/dev/null
# shellcheck disable=SC1091
source "${HUB_RUN_DIR:-$root/.run}/env"
[ -x "$build/hub" ] && [ -x "$build/hubctl" ] || { echo "bench: build $build/hub and $build/hubctl first" >&2; exit 1; }
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_database $db
port=$(bench_free_port 18300)
base=http://127.0.0.1:$port
work=$(mktemp -d /tmp/bench-large-push.XXXXXX)
hub_pid=
cleanup() {
  if [ -n "$hub_pid" ] && kill -0 "$hub_pid" 2>/dev/null; then kill -TERM "$hub_pid" 2>/dev/null || true; wait "$hub_pid" 2>/dev/null || true; fi
  if [ "${BENCH_KEEP_DB:-0}" != 1 ]; then psql_admin -c "drop database if exists $db" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$target_bytes" "$work/push.json" <<'PY'
import json, sys
target, out = int(sys.argv[1]), sys.argv[2]
families = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
middles = ["Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Hữu", "Thanh", "Quang", "Bảo"]
givens = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phúc", "Quân",
          "Sơn", "Trang", "Tuấn", "Vy", "Yến", "Khánh", "Long", "Nhung", "Thảo", "Việt"]
head = {"donViGui": "Cổng tuyển sinh", "namHoc": "2025-2026", "kyTuyenSinh": "Lớp 6", "ngayXuat": "05/06/2025"}
parts, size, i = [], 200, 0
while True:
    day = i % 365
    month = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    m = 0
    while day >= month[m]:
        day -= month[m]; m += 1
    rec = {"maHoSo": "TS25-%07d" % i,
           "hoTen": "%s %s %s" % (families[i % 12], middles[(i // 12) % 10], givens[(i // 120) % 24]),
           "ngaySinh": "%02d/%02d/2014" % (day + 1, m + 1), "gioiTinh": "Nam", "danToc": "Kinh",
           "soDinhDanh": "031214%06d" % i,
           "diaChi": {"soNha": "%d Lạch Tray" % (i % 300 + 1), "maXa": "11320", "tenXa": "Phường Hoàng Văn Thụ"},
           "dienThoaiPhuHuynh": "0912 %03d %03d" % (i // 1000 % 1000, i % 1000), "emailPhuHuynh": "ph%d@gmail.com" % i,
           "truongDangKy": "HP-THCS-0012", "nguyenVong": 1, "ngayNopHoSo": "02/06/2025", "diemXetTuyen": "27,5",
           "ketQua": "Trúng tuyển"}
    t = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
    n = len(t.encode()) + 1
    if size + n > target:
        break
    parts.append(t); size += n; i += 1
doc = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"hoSo":[' + ",".join(parts) + "]}"
open(out, "w", encoding="utf-8").write(doc)
print(f"document: {len(doc.encode())} bytes, {i} records")
PY

HUB_LISTEN=127.0.0.1:$port HUB_LOG_LEVEL=warn "$build/hub" 2>"$work/hub.log" &
hub_pid=$!
bench_wait_hub "$base" "$work/hub.log"
ops=$(bench_partner demo-ops ingest:school)
adm=$(bench_partner demo-admissions ingest:student ingest:admission_application)
bench_load_schools "$base" "$ops" "$work/schools.json"
sleep 2
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$hub_pid/status"; }
idle=$(rss)
doc_bytes=$(stat -c %s "$work/push.json")
: >"$work/rss"
( while kill -0 "$hub_pid" 2>/dev/null && [ ! -f "$work/stop" ]; do rss >>"$work/rss"; sleep 0.02; done ) &
sampler=$!
t0=$(date +%s.%N)
status=$(curl -s -o "$work/answer.json" -w '%{http_code}' -H "Authorization: Bearer $adm" -H 'Content-Type: application/json' \
  -H 'Expect:' --data-binary @"$work/push.json" "$base/v1/ingest/admissions")
location=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("batch_id", ""))' "$work/answer.json" 2>/dev/null || true)
[ "$status" = 200 ] || [ "$status" = 202 ] || { echo "bench: the push answered $status: $(head -c 300 "$work/answer.json")" >&2; exit 1; }
batch_status=
for _ in $(seq 3000); do
  batch_status=$(curl -s -H "Authorization: Bearer $adm" "$base/v1/batches/$location?limit=1" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("status",""), json.dumps(d.get("counts",{})))')
  case "$batch_status" in done*|failed*) break ;; esac
  sleep 0.5
done
t1=$(date +%s.%N)
touch "$work/stop"; wait "$sampler" 2>/dev/null || true
peak=$(sort -n "$work/rss" | tail -n 1)
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$hub_pid/status")
awk -v idle="$idle" -v peak="$peak" -v hwm="$hwm" -v doc="$doc_bytes" -v t0="$t0" -v t1="$t1" -v st="$batch_status" 'BEGIN {
  printf "batch %s in %.1f s\n", st, t1 - t0
  printf "document %.1f MB; hub VmRSS idle %.1f MB, peak while processing %.1f MB (VmHWM %.1f MB)\n", doc / 1e6, idle * 1024 / 1e6, peak * 1024 / 1e6, hwm * 1024 / 1e6
  r = (peak - idle) * 1024 / doc
  printf "peak above idle: %.1f MB = %.2fx the document (target <= 4x): %s\n", (peak - idle) * 1024 / 1e6, r, r <= 4 ? "PASS" : "FAIL"
}'
