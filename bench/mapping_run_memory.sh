#!/usr/bin/env bash
# Memory of `hubctl mapping run` on a large vendor file: a transcript-platform export
# (mappings/partners/demo-transcripts) of BENCH_BYTES (87,000,000) of distinct students, each
# with subject results and a term summary, mapped without the database (--no-check-refs); the
# output goes to /dev/null. Prints the file size, the seconds and the peak resident memory
# (`/usr/bin/time -v`). Issue 22 asks for output streamed as it is made, so that memory holds
# the file and its parsed document but not every record's result.
#
#   bash bench/mapping_run_memory.sh           # knobs: BENCH_BUILD_DIR (build), BENCH_BYTES
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BENCH_BUILD_DIR:-build}
work=$(mktemp -d /tmp/bench-mapping-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 - "${BENCH_BYTES:-87000000}" "$work/transcripts.json" <<'PY'
import json, sys
target, out = int(sys.argv[1]), sys.argv[2]
sample = json.load(open("mappings/partners/demo-transcripts/samples/transcripts.json"))
students, size, i = [], 300, 0
while size < target:
    s = json.loads(json.dumps(sample["students"][i % len(sample["students"])]))
    s["studentId"] = "HB-2025-%07d" % i
    s["moetCode"] = "31%08d" % i
    s["citizenId"] = s["citizenId"][:6] + "%06d" % (i % 1000000)
    t = json.dumps(s, ensure_ascii=False)
    students.append(t); size += len(t.encode()) + 2; i += 1
head = {k: v for k, v in sample.items() if k != "students"}
doc = json.dumps(head, ensure_ascii=False)[:-1] + ', "students": [' + ", ".join(students) + "]}"
open(out, "w", encoding="utf-8").write(doc)
print(f"file: {len(doc.encode()) / 1e6:.1f} MB, {i} students")
PY
/usr/bin/time -v "$build/hubctl" mapping run --no-check-refs mappings/partners/demo-transcripts/transcripts.yaml \
  "$work/transcripts.json" >"$work/out.json" 2>"$work/time.txt" || { tail -n 30 "$work/time.txt" >&2; exit 1; }
echo "output: $(stat -c %s "$work/out.json" | awk '{ printf "%.1f MB", $1 / 1e6 }'), $(grep -o '"index"' "$work/out.json" | wc -l) results"
awk -F': ' '/Elapsed \(wall clock\)/ { print "wall: " $2 } /Maximum resident set size/ { printf "peak memory: %.1f MB\n", $2 * 1024 / 1e6 }' "$work/time.txt"
