#!/usr/bin/env bash
# The console's end-to-end tests (Playwright + Debian's Chromium), as CTest runs them
# (test console_e2e). Needs the test PostgreSQL and Redis (HUB_TEST_POSTGRES_URL,
# HUB_TEST_REDIS_URL: `source .run/env`), build/hub and build/hubctl (or HUB_BINARY_DIR), and
# node + npm. node_modules is filled once by `npm ci` from package-lock.json; later runs reuse it
# (offline). Arguments go to `playwright test` (e.g. -g 'review').
set -euo pipefail
cd "$(dirname "$0")"
for tool in node npm psql redis-cli; do
  command -v "$tool" >/dev/null || { echo "e2e: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
done
[ -x "${HUB_CHROMIUM:-/usr/bin/chromium}" ] || { echo "e2e: ${HUB_CHROMIUM:-/usr/bin/chromium} is missing (Debian package chromium); run scripts/install-deps.sh" >&2; exit 1; }
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
wanted=$(node -p "require('./package.json').devDependencies['@playwright/test']")
installed=$(node -p "try { require('@playwright/test/package.json').version } catch { '' }")
if [ "$installed" != "$wanted" ]; then
  npm ci --prefer-offline --no-audit --no-fund
fi
exec npx --no-install playwright test "$@"
