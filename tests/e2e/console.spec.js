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

// Signs out, so the same page can sign in as someone else.
async function signOut(page) {
  await page.getByRole('button', { name: 'Đăng xuất' }).click();
  await expect(page.getByRole('heading', { name: 'Đăng nhập' })).toBeVisible();
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

test('correct a value and see the lineage name the person', async ({ page }) => {
  const dialogs = noDialogs(page);
  const own = sql("select id from golden_record where entity = 'school' and data->>'school_code' = 'HP-THCS-0012'");
  const before = Number(sql(`select version from golden_record where id = '${own}'`));
  await signedIn(page, 'phuong.lechan');
  await page.goto(`${state().base}/console#/records/school/${own}`);
  await expect(page.locator('main table')).toContainText('HP-THCS-0012');
  await page.locator('[data-correct="address"]').click();
  await expect(page.getByLabel('Trường', { exact: true })).toHaveValue('address');
  // Text a vendor or a person might type stays text.
  await page.getByLabel('Giá trị mới').fill('17 Nguyễn Đức Cảnh <script>alert(1)</script>');
  await page.getByLabel('Lý do sửa').fill('Biên bản kiểm tra tháng 12');
  await page.getByRole('button', { name: 'Sửa', exact: true }).last().click();
  await expect(page.locator('#record-version')).toContainText(`Phiên bản ${before + 1}`);
  const row = page.locator('main table tr', { hasText: 'address' });
  await expect(row).toContainText('17 Nguyễn Đức Cảnh <script>alert(1)</script>');
  await expect(row).toContainText('user:phuong.lechan');
  await shot(page, 'correction', 'Sửa một giá trị: nguồn gốc ghi tên người sửa / Correcting a value');
  expect(sql(`select field_lineage(lineage, 'address')->>'reason' from golden_record where id = '${own}'`)).toBe('Biên bản kiểm tra tháng 12');
  expect(sql(`select count(*) from audit_log where actor = 'user:phuong.lechan' and action = 'record.correct'`)).toBe('1');
  // A bad value is refused with the field's path and the Vietnamese message.
  await page.locator('#c-field').selectOption('phone');
  await page.getByLabel('Giá trị mới').fill('không phải số');
  await page.getByLabel('Lý do sửa').fill('thử');
  await page.getByRole('button', { name: 'Sửa', exact: true }).last().click();
  await expect(page.locator('#correction-result [role=alert]')).toContainText(/\(schema\.[a-z_]+\)/);
  expect(sql(`select count(*) from record_correction where record_id = '${own}'`)).toBe('1');
  expect(await page.locator('main script').count()).toBe(0);
  expect(dialogs).toEqual([]);
});

test('search by name without diacritics finds people of the user\'s units only', async ({ page }) => {
  const dialogs = noDialogs(page);
  await signedIn(page, 'phuong.lechan');
  await page.getByRole('link', { name: 'Tìm hồ sơ' }).click();
  await page.locator('#s-entity').selectOption('staff');
  await page.getByLabel(/Họ tên hoặc tên trường/).fill('nguyen thi thu ha');
  await page.getByRole('button', { name: 'Tìm' }).click();
  await expect(page.locator('#search-results')).toContainText('Nguyễn Thị Thu Hà');
  // "tran" is in names of several schools' staff: only this commune's are listed.
  await page.goto(`${state().base}/console#/search/staff/TRAN/0`);
  await expect(page.locator('#search-results')).toContainText('Trần Văn Minh');
  await expect(page.locator('#search-results')).not.toContainText('Lan');
  await shot(page, 'search', 'Tìm hồ sơ theo tên, không cần dấu / Search by name');
  await page.locator('#search-results a', { hasText: 'Trần Văn Minh' }).click();
  await expect(page.locator('main table')).toContainText('Trần Văn Minh');
  expect(Number(sql("select count(*) from audit_log where actor = 'user:phuong.lechan' and action = 'record.search'"))).toBeGreaterThan(0);
  expect(Number(sql("select count(*) from audit_log where actor = 'user:phuong.lechan' and action = 'record.read'"))).toBeGreaterThan(0);
  // A school name holding markup, found by an admin, stays text.
  const other = sql("select id from golden_record where entity = 'school' and data->>'school_code' = 'HP-THCS-0007'");
  await signOut(page);
  await signedIn(page, 'so.admin');
  const status = await page.evaluate(async (id) => {
    const s = await (await fetch('/v1/console/session')).json();
    const res = await fetch(`/v1/records/school/${id}/corrections`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
      body: JSON.stringify({ field: 'name', value: '<script>alert(1)</script> Trường THCS Ngô Quyền', reason: 'thử XSS' }) });
    return res.status;
  }, other);
  expect(status).toBe(201);
  await page.goto(`${state().base}/console#/search/school/ngo%20quyen/0`);
  await expect(page.locator('#search-results')).toContainText('<script>alert(1)</script> Trường THCS Ngô Quyền');
  expect(await page.locator('main script').count()).toBe(0);
  expect(dialogs).toEqual([]);
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

test('a split commune is decided in the review page with the new commune code', async ({ page, request }) => {
  const pushed = await request.post(`${state().base}/v1/ingest/admissions`, {
    headers: { Authorization: `Bearer ${state().admissions}`, 'Content-Type': 'application/json' },
    data: fs.readFileSync(path.resolve(__dirname, '../../mappings/partners/demo-admissions/samples/admissions.json')),
  });
  expect(pushed.status()).toBe(200);
  const item = sql("select id from review_item where kind = 'mapping' and status = 'open' order by id desc limit 1");
  expect(item).toBeTruthy();
  await signedIn(page, 'so.staff');
  await page.goto(`${state().base}/console#/review/${item}`);
  await expect(page.getByLabel('Mã phường/xã mới')).toBeVisible();
  // 11320 is not one of the new communes of the split one: refused, naming those that are.
  await page.getByLabel('Mã phường/xã mới').fill('11320');
  await page.getByRole('button', { name: 'Chọn phường/xã' }).click();
  await expect(page.locator('#decision [role=alert]')).toContainText('review.commune_not_allowed');
  await expect(page.locator('#decision')).toContainText('11329');
  await shot(page, 'split-commune', 'Chọn phường/xã mới cho phường/xã đã chia tách / Choose the commune of a split commune');
  await page.getByLabel('Mã phường/xã mới').fill('11329');
  await page.getByRole('button', { name: 'Chọn phường/xã' }).click();
  await expect(page.locator('#decision')).toContainText('Đã chọn phường/xã 11329');
  expect(sql(`select status || ' ' || decided_by from review_item where id = ${item}`)).toBe('resolved user:so.staff');
  expect(sql("select count(*) from golden_record where entity = 'student' and data->>'residence_commune' = '11329'")).toBe('1');
});

test('a reviewer unmerges a record from the survivor\'s records page', async ({ page }) => {
  const [merged, survivor] = sql("select id || '|' || merged_into from golden_record where entity = 'staff' and merged_into is not null limit 1").split('|');
  expect(survivor).toBeTruthy();
  await signedIn(page, 'so.staff');
  await page.goto(`${state().base}/console#/records/staff/${survivor}`);
  await expect(page.locator('#merged-from')).toContainText(merged);
  await shot(page, 'unmerge', 'Tách hồ sơ đã gộp từ trang hồ sơ / Unmerge from the records page');
  page.once('dialog', (d) => d.accept());
  await page.locator(`[data-unmerge="${merged}"]`).click();
  await expect(page.locator('#unmerge-result')).toContainText('Đã tách');
  expect(sql(`select count(*) from golden_record where id = '${merged}' and merged_into is null`)).toBe('1');
  expect(sql(`select count(*) from audit_log where actor = 'user:so.staff' and action = 'record.unmerge'`)).toBe('1');
});

test('an admin lists the mappings and reloads them', async ({ page }) => {
  await signedIn(page, 'so.admin');
  await page.getByRole('link', { name: 'Ánh xạ dữ liệu' }).click();
  await expect(page.locator('#mapping-list table')).toContainText('demo-hr');
  await page.getByRole('button', { name: 'Nạp lại ánh xạ' }).click();
  await expect(page.locator('#reload-result')).toContainText('Đã nạp lại');
  await shot(page, 'mappings', 'Ánh xạ dữ liệu: phiên bản đang dùng, nạp lại / Mappings');
  expect(sql("select count(*) from audit_log where actor = 'user:so.admin' and action = 'mappings.reload'")).toBe('1');
  // Not for department staff.
  await signOut(page);
  await signedIn(page, 'so.staff');
  await expect(page.getByRole('link', { name: 'Ánh xạ dữ liệu' })).toHaveCount(0);
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
  // Filtered by outcome: only that outcome listed; each row links to its canonical records.
  await page.locator('#b-status').selectOption('accepted');
  await page.getByRole('button', { name: 'Lọc' }).click();
  await expect(page.locator('#b-count')).toBeVisible();
  const outcomes = await page.locator('main table tbody tr td:nth-child(3)').allTextContents();
  expect(outcomes.length).toBeGreaterThan(0);
  expect(new Set(outcomes)).toEqual(new Set(['accepted']));
  // The vendor's original beside the canonical record, personal IDs masked.
  await page.locator('[data-original]').first().click();
  await expect(page.locator('#original-vendor')).toBeVisible();
  await expect(page.locator('.canonical-record').first()).toBeVisible();
  expect(await page.locator('#original-vendor').textContent()).not.toMatch(/"\d{12}"/);
  await shot(page, 'batches', 'Lô dữ liệu: lọc, bản gốc bên cạnh hồ sơ chuẩn / Batches');
  await page.locator('main table tbody a.chip').first().click();
  await expect(page.locator('#record-version')).toBeVisible();
  await page.goto(`${s.base}/console#/audit/user:so.admin/`);
  await expect(page.locator('main table')).toContainText('partner.add');
  await shot(page, 'audit', 'Nhật ký: ai đã làm gì / Audit');
  expect(await page.locator('main script').count()).toBe(0);
  expect(dialogs).toEqual([]);
});

test('the sync page shows consumers and dead letters and replays a consumer', async ({ page }) => {
  sql("insert into sync_dead_letter(consumer, first_seq, last_seq, changes, idempotency_key, attempts, last_error)"
    + " values ('demo-warehouse', 1, 3, 3, 'e2e-key', 10, 'HTTP 500 <script>alert(9)</script>')");
  await signedIn(page, 'so.admin');
  await page.getByRole('link', { name: 'Đồng bộ' }).click();
  const row = page.locator('#sync-consumers tr', { hasText: 'demo-warehouse' });
  await expect(row).toContainText('http (disabled)');
  await expect(page.locator('#sync-dead-letters')).toContainText('HTTP 500 <script>alert(9)</script>');
  await shot(page, 'sync', 'Đồng bộ: bên nhận, lô gửi thất bại, gửi lại / Sync');
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.accept(); });
  await page.locator('#from-demo-warehouse').fill('1');
  await row.getByRole('button', { name: 'Gửi lại' }).click();
  await expect(page.locator('#toast')).toContainText('demo-warehouse');
  await expect(row.locator('td').nth(3)).toHaveText('0');
  expect(dialogs).toHaveLength(1);
  expect(dialogs[0]).toContain('demo-warehouse');
  expect(sql("select cursor from sync_consumer where name = 'demo-warehouse'")).toBe('0');
  expect(sql("select count(*) from audit_log where actor = 'user:so.admin' and action = 'sync.replay' and target = 'demo-warehouse'")).toBe('1');
  expect(await page.locator('main script').count()).toBe(0);
  // Not for a commune's staff.
  await signOut(page);
  await signedIn(page, 'phuong.lechan');
  await expect(page.getByRole('link', { name: 'Đồng bộ' })).toHaveCount(0);
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
  if (shots.length < 13) return;
  const lines = [
    '# The web console',
    '',
    'The console at `/console` is for the people who run the data: department, commune and school',
    'staff sign in with a personal account (`hubctl user add <login> --role <role> --password-stdin`)',
    'and see only what their role and units allow. Vietnamese first, English on request.',
    'These screenshots are made by the end-to-end tests (tests/e2e/console.spec.js) on every run.',
    '',
    'On the records page a person with `correct:<entity>` (department admins, commune and school',
    'staff for their own units and school levels) corrects a value with a reason: the record gets a',
    'new version and the lineage of that value names the person (`user:<login>`). A vendor sending',
    'again the value the person replaced does not undo the correction; a new value from the vendor',
    'applies (docs/matching.md, "Corrections by a person"). "Tìm hồ sơ" finds students, staff and',
    'schools by name without diacritics, within the user\'s units. Opening a record, a review item',
    'or a search result list writes an audit row naming the person and the records.',
    '',
  ];
  for (const s of shots) lines.push(`## ${s.caption}`, '', `![${s.caption}](console/${s.name}.png)`, '');
  fs.writeFileSync(path.resolve(DOCS, '../console.md'), lines.join('\n'));
});

// Last: it dissolves HP-THCS-0012, the school of the commune user's tests above.
test('a dissolved school\'s students are placed or marked as left from the review page', async ({ page, request }) => {
  const s = state();
  const post = (route, token, data) => request.post(`${s.base}${route}`, {
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, data });
  // Two pupils of HP-THCS-0012 enrolled this school year (the day before today at the latest).
  const now = new Date();
  const today = now.toISOString().slice(0, 10);
  const start = now.getUTCMonth() >= 8 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
  const yesterday = new Date(now.getTime() - 86400000).toISOString().slice(0, 10);
  const enrolled = `${start}-09-05` < yesterday ? `${start}-09-05` : yesterday;
  const pupil = (id, dob) => ({ studentId: id, fullName: `Học Sinh ${id}`, dob, sex: 'M', ethnicCode: '01', grade: '6',
    enrolledOn: enrolled, status: 'dang_hoc' });
  const pushed = await post('/v1/ingest/transcripts', s.transcripts, {
    school: { code: 'HP-THCS-0012' }, schoolYear: `${start}-${start + 1}`,
    students: [pupil('GT-MOT', '2013-04-01'), pupil('GT-HAI', '2013-04-02')] });
  expect(pushed.status()).toBe(200);
  expect((await pushed.json()).results.map((r) => r.status)).toEqual(['accepted', 'accepted']);
  const planned = await post('/v1/admin/schools/events', s.ops,
    { action: 'plan', kind: 'dissolve', schools: ['HP-THCS-0012'], effective_on: today, decision_number: '46/QĐ-SGDĐT' });
  expect(planned.status()).toBe(201);
  const applied = await post('/v1/admin/schools/events', s.ops, { action: 'apply', plan: (await planned.json()).plan });
  expect(applied.status()).toBe(200);
  const items = sql("select id from review_item where kind = 'school_event' and status = 'open' order by id").split('\n');
  expect(items.length).toBeGreaterThanOrEqual(2);

  await signedIn(page, 'so.staff');
  await page.goto(`${s.base}/console#/review/${items[0]}`);
  await expect(page.getByLabel('Mã trường chuyển đến')).toBeVisible();
  // The dissolved school itself is refused.
  await page.getByLabel('Mã trường chuyển đến').fill('HP-THCS-0012');
  await page.getByRole('button', { name: 'Chuyển học sinh đến trường này' }).click();
  await expect(page.locator('#decision [role=alert]')).toBeVisible();
  expect(sql(`select status from review_item where id = ${items[0]}`)).toBe('open');
  await page.getByLabel('Mã trường chuyển đến').fill('HP-THCS-0007');
  await page.getByRole('button', { name: 'Chuyển học sinh đến trường này' }).click();
  await expect(page.locator('#decision')).toContainText('Đã quyết định: HP-THCS-0007');
  await shot(page, 'dissolved-school', 'Xếp học sinh của trường giải thể / Place a dissolved school\'s student');
  expect(sql(`select status || ' ' || decided_by from review_item where id = ${items[0]}`)).toBe('resolved user:so.staff');
  // The student's enrollment in HP-THCS-0007 from today, the one in the dissolved school ended yesterday.
  const moved = `select g.valid_from || ' ' || coalesce(g.valid_to::text, '-') from golden_record g
    join review_item r on r.id = ${items[0]} join golden_record e on e.id = r.record_id
    where g.entity = 'enrollment' and g.data->>'student' = e.data->>'student' and g.data->>'school' =
      (select record_id::text from natural_key where entity = 'school' and key_name = 'school_code' and key_value = '%s')`;
  expect(sql(moved.replace('%s', 'HP-THCS-0007'))).toBe(`${today} -`);
  expect(sql(moved.replace('%s', 'HP-THCS-0012'))).toBe(`${enrolled} ${yesterday}`);

  await page.goto(`${s.base}/console#/review/${items[1]}`);
  await page.getByRole('button', { name: 'Học sinh đã rời hệ thống' }).click();
  await expect(page.locator('#decision')).toContainText('Đã quyết định: Học sinh đã rời hệ thống');
  expect(sql(`select status || ' ' || decided_by from review_item where id = ${items[1]}`)).toBe('resolved user:so.staff');
});
