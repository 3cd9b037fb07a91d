// Starts a hub on a free port against the test PostgreSQL and Redis (HUB_TEST_POSTGRES_URL,
// HUB_TEST_REDIS_URL, as the C++ integration tests use; the database is wiped), loads the demo
// schools and staff (a staff look-alike waits for review), adds console accounts with hubctl
// (passwords on stdin) and a partner, and leaves what the tests need in .state.json.
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const SRC = path.resolve(__dirname, '../..');
const BUILD = process.env.HUB_BINARY_DIR || path.join(SRC, 'build');
const STATE = path.join(__dirname, '.state.json');
const PASSWORD = 'mat-khau-thu-nghiem-2026';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run \`source .run/env\` after scripts/services.sh start`);
  return v;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

async function waitFor(url, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the hub did not answer ${url}`);
}

module.exports = async () => {
  const pg = need('HUB_TEST_POSTGRES_URL');
  const redis = need('HUB_TEST_REDIS_URL');
  execFileSync('psql', [pg, '-q', '-c', 'set client_min_messages = warning; drop schema if exists public cascade; create schema public']);
  execFileSync('redis-cli', ['-u', redis, 'FLUSHDB']);
  const env = {
    ...process.env,
    HUB_CONFIG: path.join(SRC, 'config/hub.yaml'),
    HUB_POSTGRES_URL: pg,
    HUB_REDIS_URL: redis,
    HUB_LOG_LEVEL: 'warn',
    // the records API reads through publication profiles, which need their secret to load
    HUB_PUBLICATION_SECRET: 'console-e2e-secret-0123456789',
    HUB_SYNC_PUSH: 'false',
  };
  const hubctl = (args, input) => execFileSync(path.join(BUILD, 'hubctl'), args, { env, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
  hubctl(['migrate']);

  const port = await freePort();
  const log = fs.openSync(path.join(__dirname, 'hub.log'), 'w');
  const hub = spawn(path.join(BUILD, 'hub'), [], {
    // Every browser here comes from 127.0.0.1: the per-address limit on failed authentications
    // (a page opened before signing in is one) is for hosts, not for a whole test run.
    env: { ...env, HUB_LISTEN: `127.0.0.1:${port}`, HUB_AUTH_LOGIN_ACCOUNT_LIMIT: '3', HUB_AUTH_FAILURE_LIMIT: '100000' },
    stdio: ['ignore', log, log],
    detached: false,
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/readyz`, 30000);

  const token = (name, ...args) => hubctl(['partner', 'add', name, ...args]).trim().split('\n').pop();
  const ops = token('demo-ops', '--scope', 'admin', '--scope', 'ingest:school', '--scope', 'ingest:class', '--scope', 'ingest:staff');
  const hr = token('demo-hr', '--scope', 'ingest:staff', '--unit', 'province:31');
  // pushed by the split-commune test (its sample holds a record of a split commune)
  const admissions = token('demo-admissions', '--scope', 'ingest:student', '--scope', 'ingest:admission_application', '--unit', 'province:31');
  // pushed by the dissolved-school test (its sample's students are at HP-THCS-0012)
  const transcripts = token('demo-transcripts', '--scope', 'ingest:student', '--scope', 'ingest:enrollment',
    '--scope', 'ingest:subject_result', '--scope', 'ingest:term_summary');
  const push = async (tok, feed, file) => {
    const res = await fetch(`${base}/v1/ingest/${feed}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${tok}`, 'Content-Type': 'application/json' },
      body: fs.readFileSync(path.join(SRC, 'mappings/partners', file)),
    });
    if (res.status !== 200) throw new Error(`push ${feed}: ${res.status} ${await res.text()}`);
  };
  await push(ops, 'schools', 'demo-ops/samples/schools.json');
  await push(hr, 'staff', 'demo-hr/samples/staff.json');

  const user = (login, role, ...extra) =>
    hubctl(['user', 'add', login, '--role', role, '--name', `Người thử ${login}`, '--password-stdin', ...extra], `${PASSWORD}\n`);
  user('so.admin', 'dept_admin');
  user('so.staff', 'dept_staff');
  user('phuong.lechan', 'commune_staff', '--units', 'commune:11383');
  user('thu.lock', 'dept_staff');

  fs.writeFileSync(STATE, JSON.stringify({ base, pid: hub.pid, password: PASSWORD, pg, admissions, transcripts, ops }));
  hub.unref();
};
