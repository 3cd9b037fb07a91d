// The console: one page, hash-routed (#/overview, #/review ...), talking to the hub's JSON routes
// with the session cookie. No framework, no inline code (the Content-Security-Policy forbids it);
// every value from the hub is inserted as text (dom.js).
import { api, ApiError, setCsrf } from './api.js';
import { el, append, clear, table, barChart } from './dom.js';
import { t, lang, switchLang, problemText } from './i18n.js';

const main = document.getElementById('main');
let me = null;  // {user, csrf_token} of the session

const PAGES = [
  { id: 'overview', scope: 'reports:read', render: overview },
  { id: 'review', scope: 'review', render: review },
  { id: 'records', scope: 'pull:*', render: records },
  { id: 'batches', scope: 'admin', render: batches },
  { id: 'partners', scope: 'admin', render: partners },
  { id: 'playground', scope: 'admin', render: playground },
  { id: 'audit', scope: 'admin', render: audit },
];

function can(scope) {
  const s = me?.user?.scopes || [];
  return s.includes(scope) || (scope === 'review' && s.includes('admin'));
}

// Goes to a page; hashchange renders it, or this call when the hash is already there.
function go(hash) {
  if (location.hash === hash || (!location.hash && !hash)) route();
  else location.hash = hash;
}

function toast(text) {
  const box = document.getElementById('toast');
  box.textContent = text;
  setTimeout(() => { if (box.textContent === text) box.textContent = ''; }, 4000);
}

function errorBox(e) {
  const text = e instanceof ApiError ? `${problemText(e.problem)} (${e.problem?.code || e.status})` : String(e);
  return el('p', { class: 'error', role: 'alert' }, text);
}

function shell() {
  document.documentElement.lang = lang;
  document.title = t('brand');
  document.getElementById('brand').textContent = t('brand');
  document.querySelector('.skip').textContent = t('skip');
  document.getElementById('lang').textContent = t('lang');
  const out = document.getElementById('logout');
  out.textContent = t('logout');
  out.hidden = !me;
  const nav = clear(document.getElementById('nav'));
  const who = document.getElementById('who');
  who.textContent = me ? `${me.user.name || me.user.login} (${me.user.role})` : '';
  if (!me) return;
  const current = location.hash.slice(2).split('/')[0] || 'overview';
  for (const p of PAGES)
    if (can(p.scope))
      nav.append(el('a', { href: `#/${p.id}`, 'aria-current': p.id === current ? 'page' : null }, t(p.id)));
}

let routeGen = 0;

async function route() {
  const gen = ++routeGen;
  if (!me) {
    try {
      me = await api('GET', '/v1/console/session');
      if (!me.user) me = null;
      else setCsrf(me.csrf_token);
    } catch { me = null; }
  }
  if (gen !== routeGen) return;  // a later navigation renders instead
  shell();
  clear(main);
  if (!me) return signIn();
  const [id, ...rest] = location.hash.slice(2).split('/');
  const page = PAGES.find((p) => p.id === (id || 'overview')) || PAGES[0];
  if (!can(page.scope)) return append(main, [el('h1', {}, t(page.id)), el('p', { class: 'error' }, t('forbidden'))]);
  // Each rendering fills a view of its own: a page still loading when the user moves on
  // fills a view no longer shown, instead of mixing into the next page.
  const view = el('div', { class: 'view' }, el('h1', {}, t(page.id)));
  main.append(view);
  main.focus();
  try {
    await page.render(rest.map(decodeURIComponent), view);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { me = null; return route(); }
    view.append(errorBox(e));
  }
}

function signIn() {
  const login = el('input', { id: 'login', name: 'login', autocomplete: 'username', required: true });
  const password = el('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = el('div', { 'aria-live': 'polite' });
  const form = el('form', { class: 'card login', onsubmit: async (ev) => {
    ev.preventDefault();
    clear(msg);
    try {
      me = await api('POST', '/v1/console/login', { login: login.value, password: password.value });
      setCsrf(me.csrf_token);
      go('#/overview');
    } catch (e) { msg.append(errorBox(e)); }
  } },
  el('h1', {}, t('signin')),
  el('label', { for: 'login' }, t('login')), login,
  el('label', { for: 'password' }, t('password')), password,
  el('button', { type: 'submit' }, t('signin_button')), msg);
  main.append(form);
  login.focus();
}

// ---- overview: quality measures of the user's units, charts, lagging schools
function meanShare(completeness) {
  const shares = Object.values(completeness || {}).map((f) => f.share);
  return shares.length ? shares.reduce((a, b) => a + b, 0) / shares.length : 1;
}

async function overview(args, main) {
  const units = me.user.units;
  const unit = args[0] || (units.length === 1 ? units[0] : units[0] || '');
  const picker = el('select', { id: 'unit' }, (units.length ? units : ['']).map((u) =>
    el('option', { value: u, selected: u === unit }, u || 'tất cả / all')));
  picker.addEventListener('change', () => { location.hash = `#/overview/${encodeURIComponent(picker.value)}`; });
  main.append(el('form', { class: 'inline' }, el('div', {}, el('label', { for: 'unit' }, t('unit')), picker)));
  const q = await api('GET', `/v1/admin/quality${unit ? `?unit=${encodeURIComponent(unit)}` : ''}`);
  const total = q.total;
  // The charts follow students, or staff where the unit has no students yet.
  const kind = total.students.records > 0 ? 'students' : 'staff';
  const m = (g) => g[kind];
  main.append(el('div', { class: 'card' },
    el('h2', {}, `${total.name || q.unit} — ${q.as_of}`),
    table([t('students'), t('staff'), `${t('completeness')} (${t(kind)})`, t('verified'), t('freshness')], [[
      String(total.students.records), String(total.staff.records),
      `${Math.round(meanShare(m(total).completeness) * 100)}%`,
      `${Math.round((m(total).personal_id.share_verified || 0) * 100)}%`,
      `${Math.round((m(total).freshness.share_on_time ?? 1) * 100)}%`]])));
  const rows = q.children.length ? q.children : [total];
  const label = (g) => `${g.name || g.code || g.unit}`;
  main.append(el('div', { class: 'card', id: 'charts' },
    el('p', { class: 'muted' }, t(kind)),
    barChart(t('completeness'), rows.map((g) => ({ label: label(g), share: meanShare(m(g).completeness) }))),
    barChart(t('verified'), rows.map((g) => ({ label: label(g), share: m(g).personal_id.share_verified }))),
    barChart(t('freshness'), rows.map((g) => ({ label: label(g), share: m(g).freshness.share_on_time })))));
  main.append(el('h2', {}, t('lagging')));
  main.append(q.silent_schools.length
    ? table([t('code'), t('name'), t('days')], q.silent_schools.map((s) =>
      [s.code, s.name, s.days == null || s.days < 0 ? t('never') : String(s.days)]))
    : el('p', { class: 'muted' }, t('no_lagging')));
}

// ---- review: open items, side-by-side candidates, merge / not a match
async function review(args, main) {
  if (args[0]) return reviewItem(args[0], main);
  const list = await api('GET', '/v1/admin/review?status=open');
  const items = list.items || [];
  if (!items.length) return main.append(el('p', { class: 'muted' }, t('no_items')));
  main.append(table([t('id'), t('entity'), t('score'), t('created')], items.map((i) => [
    el('a', { href: `#/review/${i.id}` }, `#${i.id} ${i.kind}`), i.entity || '', i.score != null ? i.score.toFixed(2) : '', i.created_at])));
}

function flat(data, prefix = '') {
  const out = {};
  for (const [k, v] of Object.entries(data || {})) {
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flat(v, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = Array.isArray(v) ? JSON.stringify(v) : (v == null ? '' : String(v));
  }
  return out;
}

async function reviewItem(id, main) {
  const item = await api('GET', `/v1/admin/review/${encodeURIComponent(id)}`);
  const a = flat(item.record?.data), b = flat(item.candidate?.data);
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const sources = (r) => (r?.sources || []).map((s) => `${s.partner}:${s.source_id}`).join(', ');
  main.append(el('p', {}, el('a', { href: '#/review' }, `← ${t('back')}`), ` #${item.id} · ${item.entity} · ${t('score')} ${item.score ?? ''} · ${item.status}`));
  main.append(table([t('field'), `${t('record')} ${item.record?.id || ''}`, `${t('candidate')} ${item.candidate?.id || ''}`],
    [...fields.map((f) => [f, el('td', { class: a[f] !== b[f] ? 'diff' : null }, a[f] ?? ''), el('td', { class: a[f] !== b[f] ? 'diff' : null }, b[f] ?? '')]),
      [t('sources'), sources(item.record), sources(item.candidate)]]));
  if (item.reasons) main.append(el('pre', {}, JSON.stringify(item.reasons, null, 2)));
  const out = el('div', { 'aria-live': 'polite', id: 'decision' });
  const decide = async (decision) => {
    clear(out);
    try {
      const r = await api('POST', `/v1/admin/review/${encodeURIComponent(id)}`, { decision });
      out.append(el('p', { class: 'ok' }, r.merge ? `${t('merged')} ${r.merge.survivor}` : t('kept')));
      if (r.merge) out.append(el('p', {}, el('a', { href: `#/records/${item.entity}/${r.merge.survivor}` }, `${t('records')}: ${r.merge.survivor}`)));
    } catch (e) { out.append(errorBox(e)); }
  };
  if (item.status === 'open')
    main.append(el('p', {}, el('button', { type: 'button', onclick: () => decide('match') }, t('merge')), ' ',
      el('button', { type: 'button', class: 'secondary', onclick: () => decide('not_a_match') }, t('not_a_match'))));
  main.append(out);
}

// ---- records: a record by entity and id, with its lineage
async function records(args, main) {
  const entity = el('select', { id: 'entity' }, ['student', 'staff', 'school', 'class', 'enrollment', 'admission_application']
    .map((e) => el('option', { value: e, selected: e === args[0] }, e)));
  const id = el('input', { id: 'record-id', size: 40, value: args[1] || '' });
  main.append(el('form', { class: 'inline', onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/records/${entity.value}/${encodeURIComponent(id.value.trim())}`; } },
    el('div', {}, el('label', { for: 'entity' }, t('entity')), entity),
    el('div', {}, el('label', { for: 'record-id' }, t('id')), id),
    el('button', { type: 'submit' }, t('show'))));
  if (!args[1]) return;
  const r = await api('GET', `/v1/records/${encodeURIComponent(args[0])}/${encodeURIComponent(args[1])}?lineage=true`);
  const data = flat(r.data);
  const lineage = r.lineage || {};
  const origin = (f) => {
    const l = lineage[f.split('.')[0]];
    if (!l) return '';
    return typeof l === 'object' ? Object.entries(l).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ') : String(l);
  };
  main.append(el('h2', {}, `${t('history')} — ${t('version')} ${r.version ?? ''}`));
  main.append(table([t('field'), t('value'), t('source')], Object.keys(data).map((f) => [f, data[f], origin(f)])));
}

// ---- batches: per partner, with per-record outcomes
async function batches(args, main) {
  if (args[0]) {
    const b = await api('GET', `/v1/batches/${encodeURIComponent(args[0])}`);
    main.append(el('p', {}, el('a', { href: '#/batches' }, `← ${t('back')}`), ` #${b.batch_id} · ${b.partner} · ${b.feed} · ${b.status}`));
    main.append(table(['#', 'source_id', t('outcome'), t('errors')], (b.results || []).map((r) => [
      String(r.index), r.source_id || '', r.status,
      (r.errors || []).map((e) => `${e.code} ${e.path || e.field || ''}: ${lang === 'vi' && e.message_vi ? e.message_vi : e.message}`).join('; ')])));
    return;
  }
  const list = await api('GET', '/v1/batches?limit=50');
  main.append(table(['#', t('partner'), t('feed'), t('status'), t('records_count'), t('created')], (list.batches || []).map((b) => [
    el('a', { href: `#/batches/${b.batch_id}` }, `#${b.batch_id}`), b.partner || '', b.feed || '', b.status, String(b.record_count ?? ''), b.received_at || ''])));
}

// ---- partners: create, rotate, revoke; a token is shown once
async function partners(args, main) {
  const box = el('div', { 'aria-live': 'polite', id: 'token-box' });
  const name = el('input', { id: 'p-name', required: true });
  const scopes = el('input', { id: 'p-scopes', size: 30, value: 'ingest:student' });
  const units = el('input', { id: 'p-units', size: 24 });
  const showToken = (title, token) => { clear(box); box.append(el('div', { class: 'card' }, el('p', {}, `${title} — ${t('token_once')}`), el('p', { class: 'token', id: 'new-token' }, token))); };
  const list = el('div');
  const load = async () => {
    const r = await api('GET', '/v1/admin/partners');
    clear(list).append(table([t('name'), t('scopes'), t('units'), t('status'), ''], r.partners.map((p) => [
      p.name, p.scopes.join(' '), p.units.join(' '), p.revoked_at ? `${t('revoked')} ${p.revoked_at}` : t('active'),
      p.revoked_at ? '' : el('span', {},
        el('button', { type: 'button', class: 'secondary', 'data-partner': p.name, onclick: async () => {
          try { const tok = await api('POST', `/v1/admin/partners/${encodeURIComponent(p.name)}:rotate`, {}); showToken(p.name, tok.token); } catch (e) { box.append(errorBox(e)); }
        } }, t('rotate')), ' ',
        el('button', { type: 'button', class: 'danger', 'data-revoke': p.name, onclick: async () => {
          if (!confirm(t('confirm_revoke'))) return;
          try { await api('POST', `/v1/admin/partners/${encodeURIComponent(p.name)}:revoke`); toast(`${p.name}: ${t('revoked')}`); await load(); } catch (e) { box.append(errorBox(e)); }
        } }, t('revoke')))])));
  };
  main.append(el('form', { class: 'card inline', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const r = await api('POST', '/v1/admin/partners', { name: name.value, scopes: scopes.value.split(/\s+/).filter(Boolean), units: units.value.split(/\s+/).filter(Boolean) });
      showToken(r.partner.name, r.token);
      await load();
    } catch (e) { clear(box).append(errorBox(e)); }
  } },
  el('div', {}, el('label', { for: 'p-name' }, t('name')), name),
  el('div', {}, el('label', { for: 'p-scopes' }, t('scopes')), scopes),
  el('div', {}, el('label', { for: 'p-units' }, t('units')), units),
  el('button', { type: 'submit' }, t('new_partner'))), box, list);
  await load();
}

// ---- mapping playground: the dry run engine on a pasted payload
async function playground() {
  const m = await api('GET', '/v1/admin/mappings');
  const pick = el('select', { id: 'mapping' }, m.mappings.map((x) => el('option', { value: `${x.partner}/${x.feed}` }, `${x.partner} / ${x.feed} (v${x.version})`)));
  const payload = el('textarea', { id: 'payload', spellcheck: 'false' }, '{"records": []}');
  const out = el('div', { id: 'playground-result', 'aria-live': 'polite' });
  main.append(el('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    clear(out);
    try {
      const [partner, feed] = pick.value.split('/');
      const r = await api('POST', `/v1/admin/mappings/${encodeURIComponent(partner)}/${encodeURIComponent(feed)}:test`, payload.value);
      out.append(table(['#', 'source_id', t('status'), t('entity'), t('errors')], (r.results || []).map((x) => [
        String(x.index), x.source_id || '', x.status, (x.records || []).map((c) => c.entity).join(', '),
        (x.errors || []).map((e) => `${e.code} ${e.path || ''}: ${e.message}`).join('; ')])));
      out.append(el('pre', {}, JSON.stringify(r, null, 2)));
    } catch (e) { out.append(errorBox(e)); }
  } },
  el('label', { for: 'mapping' }, t('mapping')), pick,
  el('label', { for: 'payload' }, t('payload')), payload,
  el('p', {}, el('button', { type: 'submit' }, t('run')))), out);
}

// ---- audit: who did what
async function audit(args, main) {
  const actor = el('input', { id: 'a-actor', value: args[0] || '' });
  const action = el('input', { id: 'a-action', value: args[1] || '' });
  main.append(el('form', { class: 'inline', onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/audit/${encodeURIComponent(actor.value)}/${encodeURIComponent(action.value)}`; } },
    el('div', {}, el('label', { for: 'a-actor' }, t('actor')), actor),
    el('div', {}, el('label', { for: 'a-action' }, t('action')), action),
    el('button', { type: 'submit' }, t('filter'))));
  const qs = new URLSearchParams({ limit: '200' });
  if (args[0]) qs.set('actor', args[0]);
  if (args[1]) qs.set('action', args[1]);
  const r = await api('GET', `/v1/admin/audit?${qs}`);
  main.append(table([t('at'), t('actor'), t('action'), t('target'), t('source')], r.entries.map((e) => [e.at, e.actor, e.action, e.target, e.source])));
}

document.getElementById('lang').addEventListener('click', () => { switchLang(); route(); });
document.getElementById('logout').addEventListener('click', async () => {
  try { await api('POST', '/v1/console/logout'); } catch { /* the session may be gone already */ }
  me = null;
  setCsrf('');
  go('');
});
window.addEventListener('hashchange', route);
route();
