#!/usr/bin/env bash
# Installs every Debian 12 package the hub needs to build, test and run. Idempotent; run as root.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git ca-certificates
  # libraries
  libpistache-dev libpqxx-dev libpq-dev libhiredis-dev libyaml-cpp-dev catch2 rapidjson-dev
  libspdlog-dev libfmt-dev libssl-dev libutf8proc-dev libcli11-dev libcurl4-openssl-dev libpcre2-dev
  libjemalloc-dev
  # Excel workbooks of the reports; the tests read them back with libzip and expat
  libxlsxwriter-dev libzip-dev libexpat1-dev
  # Argon2id password hashes of console accounts
  libargon2-dev
  # services the hub runs against (started by scripts/services.sh, not by systemd), and the
  # reverse proxy in front of it (scripts/edge.sh)
  postgresql-15 postgresql-client-15 redis-server haproxy
  # tools used by tests, the demo and the benchmark programs
  curl jq wrk openssl procps iproute2
  # GNU time (/usr/bin/time): a test reads the peak memory of hubctl mapping run with it
  time
  # promtool (package prometheus): the tests check the hub's /metrics text with it
  prometheus
  # the fuzz targets (scripts/fuzz.sh): clang and its libFuzzer runtime
  clang libclang-rt-14-dev
  # the console's end-to-end tests (tests/e2e, Playwright) drive Debian's Chromium headless
  chromium
)
# Node and npm for those tests: Debian's, unless a node and npm are already on PATH (a NodeSource
# node 20 ships its own npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
