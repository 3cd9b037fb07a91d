// The web console end to end: Debian's Chromium against a real hub, PostgreSQL and Redis
// (global-setup.js). Guards: sign-in, throttling, unit limits, review decisions, partner tokens
// and the playground broken in the browser; a missing CSRF check, weak cookie flags, a lax
// Content-Security-Policy, and vendor-supplied text (a child named <script>...) run as code.
// Each page's screenshot goes to docs/console/, shown by docs/console.md (written here too).
const { test, expect } = require('@playwright/test');
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const state = () => JSON.parse(fs.readFileSync(path.join(__dirname, '.state.json'), 'utf8'));
const DOCS = path.resolve(__dirname, '../../docs/console');
const shots = [];

test.describe.configure({ mode: 'serial' });

function sql(query) {
  return execFileSync('psql', [state().pg, '-At', '-c', query], { encoding: 'utf8' }).trim();
}

async function signIn(page, login, password = state().password) {
  await page.goto(`${state().base}/console`);
  await page.getByLabel(/Tên đăng nhập|Login/).fill(login);
  await page.getByLabel(/Mật khẩu|Password/).fill(password);
  await page.getByRole('button', { name: /Đăng nhập|Sign in/ }).click();
}

// Signs in and waits for the menu, so a following navigation does not race the sign-in.
async function signedIn(page, login) {
  await signIn(page, login);
  await expect(page.locator('#nav a').first()).toBeVisible();
}

async function shot(page, name, caption) {
  fs.mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: path.join(DOCS, `${name}.png`), fullPage: false });
  shots.push({ name, caption });
}

// Fails the test if any script the page did not ship runs (alert, confirm or prompt from data).
function noDialogs(page) {
  const seen = [];
  page.on('dialog', async (d) => { seen.push(d.message()); await d.dismiss(); });
  return seen;
}

test('the console is served under a strict Content-Security-Policy with its scripts as files', async ({ request }) => {
  const res = await request.get(`${state().base}/console`);
  expect(res.status()).toBe(200);
  const csp = res.headers()['content-security-policy'];
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self';");
  expect(csp).not.toContain('unsafe-inline');
  expect(res.headers()['x-frame-options']).toBe('DENY');
  expect(await res.text()).not.toMatch(/<script>/);
});

test('sign in page - then the overview with charts and the cookie flags', async ({ page, context }) => {
  await page.goto(`${state().base}/console`);
  await expect(page.getByRole('heading', { name: 'Đăng nhập' })).toBeVisible();
  await shot(page, 'sign-in', 'Đăng nhập / Sign in');
  await signedIn(page, 'so.admin');
  await expect(page.getByRole('heading', { name: 'Tổng quan' })).toBeVisible();
  await expect(page.locator('svg.chart')).toHaveCount(3);
  await expect(page.locator('#charts')).toContainText('Thành phố Hải Phòng');
  await shot(page, 'overview', 'Tổng quan: chất lượng dữ liệu theo đơn vị / Overview');
  const cookie = (await context.cookies()).find((c) => c.name === 'hub_session');
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe('Strict');
  expect(cookie.secure).toBe(true);
  // Script on the page cannot read the session cookie.
  expect(await page.evaluate(() => document.cookie)).not.toContain('hub_session');
  // English on request.
  await page.getByRole('button', { name: 'English' }).click();
  await expect(page.getByRole('link', { name: 'Overview' })).toBeVisible();
  await page.getByRole('button', { name: 'Tiếng Việt' }).click();
  await expect(page.getByRole('link', { name: 'Tổng quan' })).toBeVisible();
});

test('a wrong password is refused and the account is throttled after three', async ({ page }) => {
  for (let i = 0; i < 3; i++) {
    await signIn(page, 'thu.lock', `sai mat khau ${i}`);
    await expect(page.getByRole('alert')).toContainText('user.login_failed');
  }
  await signIn(page, 'thu.lock');
  await expect(page.getByRole('alert')).toContainText('user.login_throttled');
});

test('a commune user reads its own school but not another commune\'s', async ({ page }) => {
  const own = sql("select id from golden_record where entity = 'school' and data->>'school_code' = 'HP-THCS-0012'");
  const other = sql("select id from golden_record where entity = 'school' and data->>'school_code' = 'HP-THPT-0003'");
  await signedIn(page, 'phuong.lechan');
  await expect(page.getByRole('heading', { name: 'Tổng quan' })).toBeVisible();
  await expect(page.locator('#unit')).toHaveValue('commune:11383');
  // No admin pages in its menu.
  await expect(page.getByRole('link', { name: 'Đối tác' })).toHaveCount(0);
  await page.goto(`${state().base}/console#/records/school/${own}`);
  await expect(page.locator('main table')).toContainText('HP-THCS-0012');
  await shot(page, 'records', 'Hồ sơ và nguồn gốc từng giá trị / Records with lineage');
  await page.goto(`${state().base}/console#/records/school/${other}`);
  await expect(page.getByRole('alert')).toContainText('auth.unit');
  await expect(page.locator('main')).not.toContainText('HP-THPT-0003');
  await page.goto(`${state().base}/console#/partners`);
  await expect(page.locator('main')).toContainText(/không có quyền/);
});

test('department staff decide a review item and see the merge', async ({ page }) => {
  await signedIn(page, 'so.staff');
  await page.getByRole('link', { name: 'Rà soát trùng lặp' }).click();
  const first = page.locator('main table a').first();
  await expect(first).toBeVisible();
  await first.click();
  await expect(page.locator('main table')).toContainText('Trần Thị Lan');
  await shot(page, 'review', 'Rà soát: so sánh hai hồ sơ / Review side by side');
  await page.getByRole('button', { name: 'Gộp (cùng một người)' }).click();
  await expect(page.locator('#decision')).toContainText('Đã gộp vào hồ sơ');
  const survivor = (await page.locator('#decision a').textContent()).split(': ')[1];
  expect(sql(`select count(*) from golden_record where merged_into = '${survivor}'`)).toBe('1');
  expect(sql("select count(*) from audit_log where actor = 'user:so.staff'")).not.toBe('0');
});

test('an admin creates a partner - its token shown once - then revokes it', async ({ page }) => {
  await signedIn(page, 'so.admin');
  await page.goto(`${state().base}/console#/partners`);
  await page.getByLabel('Tên').fill('e2e-vendor');
  await page.getByRole('button', { name: 'Thêm đối tác' }).click();
  await expect(page.locator('#new-token')).toHaveText(/^hub_/);
  await shot(page, 'partners', 'Đối tác: mã truy cập chỉ hiện một lần / Partners');
  page.once('dialog', (d) => d.accept());
  await page.locator('[data-revoke="e2e-vendor"]').click();
  await expect(page.locator('main table')).toContainText('Đã thu hồi');
  expect(sql("select count(*) from audit_log where actor = 'user:so.admin' and action in ('partner.add', 'partner.revoke') and target = 'e2e-vendor'")).toBe('2');
});

test('the playground runs the dry run engine - a child named <script> stays text', async ({ page }) => {
  const dialogs = noDialogs(page);
  await signedIn(page, 'so.admin');
  await page.goto(`${state().base}/console#/playground`);
  await page.locator('#mapping').selectOption('demo-hr/staff');
  const payload = {
    nhanSu: [{ maNhanSu: 'X-1', hoTen: '<script>alert(1)</script>', ngaySinh: '01/01/1990', gioiTinh: 'Nam', maTruong: 'HP-THCS-0012' },
      { maNhanSu: 'X-2', hoTen: '<img src=x onerror=alert(2)>', ngaySinh: '01/01/1990', gioiTinh: 'Nam', maTruong: 'HP-THCS-0012' }],
  };
  await page.locator('#payload').fill(JSON.stringify(payload, null, 2));
  await page.getByRole('button', { name: 'Chạy thử' }).click();
  await expect(page.locator('#playground-result table')).toBeVisible();
  await expect(page.locator('#playground-result')).toContainText('X-1');
  await shot(page, 'playground', 'Thử ánh xạ trên dữ liệu dán vào / Mapping playground');
  expect(await page.locator('main script, main img').count()).toBe(0);
  expect(dialogs).toEqual([]);
});

test('batches show per-record outcomes and the audit names the people', async ({ page }) => {
  const dialogs = noDialogs(page);
  const s = state();
  await signedIn(page, 'so.admin');
  await page.goto(`${s.base}/console#/batches`);
  await expect(page.locator('main table a').first()).toBeVisible();
  await page.locator('main table a').first().click();
  await expect(page.locator('main table')).toBeVisible();
  await shot(page, 'batches', 'Lô dữ liệu và kết quả từng bản ghi / Batches');
  await page.goto(`${s.base}/console#/audit/user:so.admin/`);
  await expect(page.locator('main table')).toContainText('partner.add');
  await shot(page, 'audit', 'Nhật ký: ai đã làm gì / Audit');
  expect(await page.locator('main script').count()).toBe(0);
  expect(dialogs).toEqual([]);
});

test('a change without the CSRF token is refused even with the session cookie', async ({ page }) => {
  await signedIn(page, 'so.admin');
  await expect(page.getByRole('heading', { name: 'Tổng quan' })).toBeVisible();
  const r = await page.evaluate(async () => {
    const res = await fetch('/v1/admin/partners', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name":"csrf-victim","scopes":["admin"]}' });
    return { status: res.status, body: await res.json() };
  });
  expect(r.status).toBe(403);
  expect(r.body.code).toBe('auth.csrf');
  expect(sql("select count(*) from partner where name = 'csrf-victim'")).toBe('0');
});

test.afterAll(() => {
  // Only a whole run rewrites the page, so a run of one test does not drop the others' pictures.
  if (shots.length < 8) return;
  const lines = [
    '# The web console',
    '',
    'The console at `/console` is for the people who run the data: department, commune and school',
    'staff sign in with a personal account (`hubctl user add <login> --role <role> --password-stdin`)',
    'and see only what their role and units allow. Vietnamese first, English on request.',
    'These screenshots are made by the end-to-end tests (tests/e2e/console.spec.js) on every run.',
    '',
  ];
  for (const s of shots) lines.push(`## ${s.caption}`, '', `![${s.caption}](console/${s.name}.png)`, '');
  fs.writeFileSync(path.resolve(DOCS, '../console.md'), lines.join('\n'));
});
