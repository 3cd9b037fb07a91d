// Playwright drives Debian's Chromium (package chromium) headless: no browser is downloaded, so
// the tests run offline once `npm ci` has filled node_modules. The hub under test is started by
// global-setup.js on a free port with the test PostgreSQL and Redis.
const { defineConfig } = require('@playwright/test');

module.exports = defineConfig({
  testDir: '.',
  testMatch: '*.spec.js',
  globalSetup: require.resolve('./global-setup.js'),
  globalTeardown: require.resolve('./global-teardown.js'),
  workers: 1,
  fullyParallel: false,
  timeout: 60000,
  reporter: [['list']],
  use: {
    headless: true,
    viewport: { width: 1366, height: 768 },
    locale: 'vi-VN',
    launchOptions: {
      executablePath: process.env.HUB_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    },
  },
});
