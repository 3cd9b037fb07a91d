#!/usr/bin/env bash
# Quick start, command 2: the same set-up as scripts/demo.sh, then every test (unit tests and
# the integration tests against the project's real PostgreSQL and Redis), through CTest, then the
# fuzz targets' smoke runs (scripts/fuzz.sh --smoke).
set -euo pipefail
cd "$(dirname "$0")/.."

# The dependency rule between folders (docs/architecture.md), before anything is built.
bash scripts/check-deps.sh

bash scripts/install-deps.sh
bash scripts/build.sh
bash scripts/services.sh start
# shellcheck disable=SC1091
source .run/env
cd build
ctest --output-on-failure --timeout 600 "$@"
bash ../scripts/fuzz.sh --smoke
