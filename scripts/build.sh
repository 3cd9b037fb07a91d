#!/usr/bin/env bash
# Configures and builds the hub, hubctl, the tests and the benchmark programs into build/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${HUB_BUILD_JOBS:-$(nproc)}
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE="${HUB_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$root/build" -j "$jobs"
