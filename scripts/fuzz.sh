#!/usr/bin/env bash
# Fuzzing with libFuzzer (clang, AddressSanitizer + UBSan) of what reads partner input: the
# payload parser and the mapping runner (payload_fuzz), the JSONPath parser and evaluator with
# the I-Regexp translator (jsonpath_fuzz). Builds tests/fuzz/ into build-fuzz/ (only the sources
# the targets need), then:
#
#   bash scripts/fuzz.sh --smoke      every seed input of tests/fuzz/corpus/ once, whole, then a
#                                     fixed number of mutated runs per target (4,000 and
#                                     20,000; under a minute); part of scripts/test.sh
#   bash scripts/fuzz.sh [SECONDS]    each target for SECONDS (default 600), both at once; the
#                                     inputs it finds are kept in build-fuzz/corpus/<target>/
#                                     and reused by the next run
#
# A failure prints the sanitizer's report and leaves the input in build-fuzz/artifacts/;
# replay it with ./build-fuzz/<target> <file>. HUB_FUZZ_RUNS sets the smoke runs of both
# targets. Needs clang and libclang-rt-14-dev (scripts/install-deps.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
targets=(payload_fuzz jsonpath_fuzz)
declare -A smoke_runs=([payload_fuzz]=4000 [jsonpath_fuzz]=20000)

mode=long
seconds=600
case "${1:-}" in
  --smoke) mode=smoke ;;
  "") ;;
  *[!0-9]*) echo "usage: $0 [--smoke | SECONDS]" >&2; exit 2 ;;
  *) seconds=$1 ;;
esac

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CXX=${HUB_FUZZ_CXX:-clang++} cmake -S "$root/tests/fuzz" -B "$build" -DCMAKE_BUILD_TYPE=None "${launcher[@]}" >/dev/null
cmake --build "$build" -j "${HUB_BUILD_JOBS:-$(nproc)}" >/dev/null
mkdir -p "$build/artifacts"

# -timeout per input (a hang fails) and -rss_limit_mb for memory. Mutated inputs stay small
# (-max_len) so each run is quick; the seed inputs larger than that (deep nesting, huge strings,
# many records) are run whole once in smoke mode and kept whole in every run's corpus.
common=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

# Runs the targets at once, one log each; prints the end of a failing one.
run_all() {  # run_all <suffix> <command builder>
  local suffix=$1 build_cmd=$2 pids=() t i status=0
  for t in "${targets[@]}"; do
    $build_cmd "$t" >"$build/$t.$suffix.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    t=${targets[$i]}
    if wait "${pids[$i]}"; then
      echo "fuzz: $t $suffix: $(grep -E '^Done|^stat::number_of_executed_units' "$build/$t.$suffix.log" | head -1)"
    else
      tail -n 60 "$build/$t.$suffix.log" >&2
      echo "fuzz: $t $suffix FAILED (log: $build/$t.$suffix.log, input in $build/artifacts/)" >&2
      status=1
    fi
  done
  return $status
}

replay() { "$build/$1" "${common[@]}" -artifact_prefix="$build/artifacts/$1-" "$root/tests/fuzz/corpus/$1"/*; }
smoke() {
  local work="$build/smoke/$1"  # this run's new inputs; the seed corpus is only read
  rm -rf "$work" && mkdir -p "$work"
  "$build/$1" "${common[@]}" -seed=1 -max_len=4096 -runs="${HUB_FUZZ_RUNS:-${smoke_runs[$1]}}" \
    -artifact_prefix="$build/artifacts/$1-" "$work" "$root/tests/fuzz/corpus/$1"
}
long() {
  mkdir -p "$build/corpus/$1"
  "$build/$1" "${common[@]}" -max_len=16384 -max_total_time="$seconds" -artifact_prefix="$build/artifacts/$1-" \
    "$build/corpus/$1" "$root/tests/fuzz/corpus/$1"
}

if [ "$mode" = smoke ]; then
  run_all replay replay
  run_all smoke smoke
  echo "fuzz: smoke runs passed"
else
  echo "fuzz: ${targets[*]} for ${seconds}s each (logs: $build/<target>.long.log)"
  run_all long long
  echo "fuzz: passed; inputs kept in $build/corpus/"
fi
