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
  { id: 'search', scope: 'pull:*', render: search },
  { id: 'records', scope: 'pull:*', render: records },
  { id: 'batches', scope: 'admin', render: batches },
  { id: 'partners', scope: 'admin', render: partners },
  { id: 'mappings', scope: 'admin', render: mappingsPage },
  { id: 'playground', scope: 'admin', render: playground },
  { id: 'sync', scope: 'admin', render: syncPage },
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
  if (item.record || item.candidate) main.append(table([t('field'), `${t('record')} ${item.record?.id || ''}`, `${t('candidate')} ${item.candidate?.id || ''}`],
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
  if (item.status === 'open' && (item.kind === 'mapping' || item.kind === 'unit_recode')) main.append(communeForm(id, out));
  else if (item.status === 'open' && item.kind === 'school_event') main.append(schoolForm(id, item.reasons?.[0] || {}, out));
  else if (item.status === 'open')
    main.append(el('p', {}, el('button', { type: 'button', onclick: () => decide('match') }, t('merge')), ' ',
      el('button', { type: 'button', class: 'secondary', onclick: () => decide('not_a_match') }, t('not_a_match'))));
  main.append(out);
}

// A split commune (an old commune code that went to several new communes): the person names the
// new commune; the hub checks it is one of the crosswalk's and writes the record again.
function communeForm(id, out) {
  const code = el('input', { id: 'new-commune', inputmode: 'numeric', size: 8, required: true, autocomplete: 'off' });
  return el('form', { class: 'inline', onsubmit: async (ev) => {
    ev.preventDefault();
    clear(out);
    try {
      const r = await api('POST', `/v1/admin/review/${encodeURIComponent(id)}`, { decision: 'commune', commune: code.value.trim() });
      out.append(el('p', { class: 'ok' }, `${t('commune_chosen')} ${r.commune} · ${t('outcome')}: ${r.status || ''}`));
    } catch (e) {
      out.append(errorBox(e));
      // The English detail names the allowed communes; the Vietnamese message points to it.
      if (e instanceof ApiError && e.problem?.detail && lang === 'vi') out.append(el('p', { class: 'muted' }, e.problem.detail));
    }
  } },
  el('p', { class: 'muted' }, t('commune_hint')),
  el('div', {}, el('label', { for: 'new-commune' }, t('new_commune')), code),
  el('button', { type: 'submit' }, t('choose_commune')));
}

// A student of a split or dissolved school: the person names the school the student goes to
// (a split: one of its successors, listed; a dissolve: any open school), or, for a dissolve,
// records that the student left. The hub checks the code and moves the enrollment as a dated version.
function schoolForm(id, reason, out) {
  const successors = reason.successors || [];
  const code = el('input', { id: 'new-school', size: 16, required: true, autocomplete: 'off', list: 'successor-schools' });
  const send = async (body) => {
    clear(out);
    try {
      const r = await api('POST', `/v1/admin/review/${encodeURIComponent(id)}`, body);
      out.append(el('p', { class: 'ok' }, `${t('school_chosen')}: ${body.decision === 'left' ? t('left_system') : body.school} · ${t('outcome')}: ${r.status || ''}`));
    } catch (e) { out.append(errorBox(e)); }
  };
  return el('form', { class: 'inline', onsubmit: (ev) => { ev.preventDefault(); send({ decision: 'school', school: code.value.trim() }); } },
    el('p', { class: 'muted' }, `${t('school_hint')} ${reason.school || ''}${reason.class ? ` · ${reason.class}` : ''} · ${reason.effective_on || ''}`),
    successors.length ? el('p', {}, `${t('successors')}: ${successors.join(', ')}`) : null,
    el('datalist', { id: 'successor-schools' }, ...successors.map((c) => el('option', { value: c }))),
    el('div', {}, el('label', { for: 'new-school' }, t('new_school')), code),
    el('button', { type: 'submit' }, t('choose_school')),
    reason.code === 'school.dissolved'
      ? el('button', { type: 'button', class: 'secondary', onclick: () => send({ decision: 'left' }) }, t('left_system')) : null);
}

// ---- records: a record by entity and id, with its lineage; a person with correct:<entity>
// corrects a value (a new version whose lineage names them)
function canCorrect(entity) {
  const s = me?.user?.scopes || [];
  return s.includes('correct:*') || s.includes(`correct:${entity}`);
}

// The value typed, in the type of the value it replaces (a number stays a number); empty clears.
function typedValue(text, current) {
  const v = text.trim();
  if (v === '') return null;
  if (typeof current === 'number' && v !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (typeof current === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
  return v;
}

function correctionForm(entity, id, r, fields) {
  const field = el('select', { id: 'c-field' }, fields.map((f) => el('option', { value: f }, f)));
  const value = el('input', { id: 'c-value', size: 40 });
  const reason = el('input', { id: 'c-reason', size: 40, required: true, maxlength: 500 });
  const out = el('div', { id: 'correction-result', 'aria-live': 'polite' });
  const form = el('form', { class: 'card', id: 'correction', onsubmit: async (ev) => {
    ev.preventDefault();
    clear(out);
    try {
      const done = await api('POST', `/v1/records/${encodeURIComponent(entity)}/${encodeURIComponent(id)}/corrections`,
        { field: field.value, value: typedValue(value.value, r.data?.[field.value]), reason: reason.value });
      toast(`${t('corrected')}: ${field.value} — ${t('version')} ${done.version}`);
      route();
    } catch (e) { out.append(errorBox(e)); }
  } },
  el('h2', {}, t('correct_title')),
  el('p', { class: 'muted' }, t('correct_help')),
  el('div', { class: 'inline' },
    el('div', {}, el('label', { for: 'c-field' }, t('field')), field),
    el('div', {}, el('label', { for: 'c-value' }, t('new_value')), value),
    el('div', {}, el('label', { for: 'c-reason' }, t('reason')), reason),
    el('button', { type: 'submit' }, t('correct'))), out);
  // A row's button picks its field and moves to the value.
  const pick = (f) => { field.value = f; value.value = typeof r.data?.[f] === 'object' ? '' : String(r.data?.[f] ?? ''); value.focus(); };
  return { form, pick };
}

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
  main.append(el('h2', { id: 'record-version' }, `${t('history')} — ${t('version')} ${r.version ?? ''}`));
  const correction = canCorrect(args[0]) ? correctionForm(args[0], r.id || args[1], r, Object.keys(r.data || {}).sort()) : null;
  const headers = [t('field'), t('value'), t('source')];
  if (correction) headers.push('');
  main.append(table(headers, Object.keys(data).map((f) => {
    const row = [f, data[f], origin(f)];
    if (correction) row.push(el('button', { type: 'button', class: 'secondary', 'data-correct': f, 'aria-label': `${t('correct')} ${f}`, onclick: () => correction.pick(f.split('.')[0]) }, t('correct')));
    return row;
  })));
  if (correction) main.append(correction.form);
  // Records merged into this one: a reviewer may undo a merge (both records come back).
  if ((r.merged_from || []).length && can('review')) {
    const out = el('div', { id: 'unmerge-result', 'aria-live': 'polite' });
    main.append(el('div', { class: 'card', id: 'merged-from' }, el('h2', {}, t('merged_from')),
      table([t('id'), ''], r.merged_from.map((m) => [m, el('button', { type: 'button', class: 'danger', 'data-unmerge': m, onclick: async () => {
        clear(out);
        if (!confirm(t('confirm_unmerge'))) return;
        try {
          await api('POST', `/v1/admin/records/${encodeURIComponent(m)}:unmerge`);
          out.append(el('p', { class: 'ok' }, el('a', { href: `#/records/${args[0]}/${m}` }, `${t('unmerged')}: ${m}`)));
        } catch (e) { out.append(errorBox(e)); }
      } }, t('unmerge'))])), out));
  }
}

// ---- search: students, staff and schools by name (no diacritics or case needed), the
// user's units only, a page at a time
const PAGE = 20;

async function search(args, main) {
  const [kind = 'student', q = '', from = '0'] = args;
  const offset = Math.max(0, Number(from) || 0);
  const entity = el('select', { id: 's-entity' }, ['student', 'staff', 'school'].map((e) => el('option', { value: e, selected: e === kind }, t(`kind_${e}`))));
  const name = el('input', { id: 's-name', size: 40, value: q, required: true, minlength: 2, maxlength: 100 });
  main.append(el('form', { class: 'inline', role: 'search', onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/search/${entity.value}/${encodeURIComponent(name.value.trim())}/0`; } },
    el('div', {}, el('label', { for: 's-entity' }, t('entity')), entity),
    el('div', {}, el('label', { for: 's-name' }, t('search_name')), name),
    el('button', { type: 'submit' }, t('find'))));
  if (!q) return name.focus();
  const r = await api('GET', `/v1/records/${encodeURIComponent(kind)}?${new URLSearchParams({ q, limit: String(PAGE), offset: String(offset) })}`);
  const hits = r.records || [];
  const out = el('div', { id: 'search-results' });
  main.append(out);
  if (!hits.length) return out.append(el('p', { class: 'muted' }, t('no_results')));
  out.append(table([t('name'), kind === 'school' ? t('code') : t('id')], hits.map((h) => [
    el('a', { href: `#/records/${kind}/${h.id}` }, h.name || h.id), kind === 'school' ? (h.school_code || '') : h.id])));
  const base = `#/search/${kind}/${encodeURIComponent(q)}/`;
  out.append(el('p', { class: 'pager' },
    offset > 0 ? el('a', { href: base + Math.max(0, offset - PAGE) }, `← ${t('previous')}`) : null, ' ',
    r.has_more ? el('a', { href: base + (offset + PAGE) }, `${t('next')} →`) : null));
  if (r.truncated) out.append(el('p', { class: 'muted' }, t('truncated')));
}

// ---- batches: per partner, with per-record outcomes, filtered by outcome and error code; each
// record's canonical records link to the records page
const OUTCOMES = ['accepted', 'merged', 'review', 'unchanged', 'pending', 'rejected'];

async function batches(args, main) {
  if (args[0]) {
    const [id, status = '', code = ''] = args;
    const b = await api('GET', `/v1/batches/${encodeURIComponent(id)}?limit=1000`);
    main.append(el('p', {}, el('a', { href: '#/batches' }, `← ${t('back')}`), ` #${b.batch_id} · ${b.partner} · ${b.feed} · ${b.status}`));
    const pick = el('select', { id: 'b-status' }, ['', ...OUTCOMES].map((o) => el('option', { value: o, selected: o === status }, o || t('all'))));
    const codes = [...new Set((b.results || []).flatMap((r) => (r.errors || []).map((e) => e.code)))].sort();
    const codePick = el('select', { id: 'b-code' }, ['', ...codes].map((c) => el('option', { value: c, selected: c === code }, c || t('all'))));
    main.append(el('form', { class: 'inline', onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/batches/${encodeURIComponent(id)}/${encodeURIComponent(pick.value)}/${encodeURIComponent(codePick.value)}`; } },
      el('div', {}, el('label', { for: 'b-status' }, t('outcome')), pick),
      el('div', {}, el('label', { for: 'b-code' }, t('error_code')), codePick),
      el('button', { type: 'submit' }, t('filter'))));
    const shown = (b.results || []).filter((r) => (!status || r.status === status) && (!code || (r.errors || []).some((e) => e.code === code)));
    // entities: {entity: id or [ids]}, the canonical records the vendor record became.
    const canonical = (r) => el('span', {}, Object.entries(r.entities || {}).flatMap(([entity, ids]) => [].concat(ids).map((rid) =>
      el('a', { href: `#/records/${entity}/${rid}`, class: 'chip' }, `${entity} ${String(rid).slice(0, 8)}`))));
    // The vendor's original beside the canonical records it became.
    const side = el('div', { id: 'original', 'aria-live': 'polite' });
    const compare = async (r) => {
      clear(side);
      try {
        const v = await api('GET', `/v1/batches/${encodeURIComponent(id)}/records/${r.index}`);
        const records = await Promise.all(Object.entries(r.entities || {}).flatMap(([entity, ids]) => [].concat(ids)
          .map((rid) => api('GET', `/v1/records/${entity}/${rid}`).then((x) => ({ entity, x })))));
        side.append(el('div', { class: 'grid2' },
          el('div', { class: 'card' }, el('h2', {}, `${t('original')} #${r.index} ${v.path}`), el('pre', { id: 'original-vendor' }, JSON.stringify(v.record, null, 2))),
          el('div', { class: 'card' }, el('h2', {}, t('canonical')), records.length
            ? records.flatMap(({ entity, x }) => [el('h3', {}, `${entity} ${x.id} (${t('version')} ${x.version})`), el('pre', { class: 'canonical-record' }, JSON.stringify(x.data, null, 2))])
            : el('p', { class: 'muted' }, r.status))));
        side.scrollIntoView();
      } catch (e) { side.append(errorBox(e)); }
    };
    main.append(el('p', { class: 'muted', id: 'b-count' }, `${shown.length} / ${(b.results || []).length}`));
    main.append(table(['#', 'source_id', t('outcome'), t('canonical'), t('errors'), ''], shown.map((r) => [
      String(r.index), r.source_id || '', r.status, canonical(r),
      (r.errors || []).map((e) => `${e.code} ${e.path || e.field || ''}: ${lang === 'vi' && e.message_vi ? e.message_vi : e.message}`).join('; '),
      el('button', { type: 'button', class: 'secondary', 'data-original': String(r.index), onclick: () => compare(r) }, t('show_original'))])));
    main.append(side);
    if (b.next_offset != null) main.append(el('p', { class: 'muted' }, t('first_1000')));
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

// ---- mappings: the versions in force, the errors of the last load, reload after editing files
async function mappingsPage(args, main) {
  const out = el('div', { id: 'reload-result', 'aria-live': 'polite' });
  const list = el('div', { id: 'mapping-list' });
  const errors = (errs) => (errs || []).length
    ? el('div', { class: 'card' }, el('h2', {}, t('load_errors')), table([t('code'), t('errors')], errs.map((e) => [e.code, e.message])))
    : null;
  const load = async () => {
    const m = await api('GET', '/v1/admin/mappings');
    clear(list).append(el('p', { class: 'muted' }, `${t('generation')} ${m.generation}`),
      table([t('partner'), t('feed'), t('version'), t('entity')], m.mappings.map((x) => [x.partner, x.feed, String(x.version), x.entities.join(', ')])),
      errors(m.errors));
  };
  main.append(el('p', {}, el('button', { type: 'button', id: 'reload', onclick: async () => {
    clear(out);
    try {
      const r = await api('POST', '/v1/admin/reload', {});
      out.append(el('p', { class: (r.errors || []).length ? 'error' : 'ok' }, `${t('reloaded')}: ${r.loaded} — ${t('generation')} ${r.generation}`));
      await load();
    } catch (e) { out.append(errorBox(e)); }
  } }, t('reload'))), out, list);
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

// ---- sync: push consumers (cursor, lag, state), dead letters, replay
async function syncPage(args, main) {
  const out = el('div', { id: 'sync-result', 'aria-live': 'polite' });
  const list = el('div', { id: 'sync-consumers' });
  const letters = el('div', { id: 'sync-dead-letters' });
  const load = async () => {
    const [c, d] = await Promise.all([api('GET', '/v1/admin/sync/consumers'), api('GET', '/v1/admin/sync/dead-letters?limit=100')]);
    clear(list).append(c.consumers.length ? table(
      [t('consumer'), t('status'), t('sink'), t('cursor'), t('lag'), t('delivered'), t('attempts'), t('dead_letters'), t('last_success'), t('last_error'), t('replay')],
      c.consumers.map((x) => {
        const from = el('input', { id: `from-${x.consumer}`, type: 'number', min: 1, size: 8, required: true, value: String(x.cursor + 1) });
        const form = el('form', { class: 'inline', 'data-replay': x.consumer, onsubmit: async (ev) => {
          ev.preventDefault();
          clear(out);
          if (!confirm(`${t('confirm_replay')} ${x.consumer} ${t('from_seq')} ${from.value}?`)) return;
          try {
            await api('POST', `/v1/admin/sync/consumers/${encodeURIComponent(x.consumer)}:replay`, { from: Number(from.value) });
            toast(`${x.consumer}: ${t('replay_set')} ${from.value}`);
            await load();
          } catch (e) { out.append(errorBox(e)); }
        } },
        el('label', { for: `from-${x.consumer}` }, t('from_seq')), from, el('button', { type: 'submit', class: 'secondary' }, t('replay')));
        return [x.consumer, t(`sync_${x.state}`), x.sink, String(x.cursor), String(x.lag), String(x.delivered), String(x.attempts),
          String(x.dead_letters), x.last_success_at || '—', x.last_error || '', form];
      })) : el('p', { class: 'muted' }, t('no_consumers')));
    clear(letters).append(el('h2', {}, t('dead_letters')), d.dead_letters.length ? table(
      ['#', t('consumer'), t('first_seq'), t('last_seq'), t('changes'), t('attempts'), t('at'), t('last_error')],
      d.dead_letters.map((x) => [String(x.id), x.consumer, String(x.first_seq), String(x.last_seq), String(x.changes), String(x.attempts), x.at, x.error]))
      : el('p', { class: 'muted' }, t('no_dead_letters')));
  };
  main.append(out, list, letters);
  await load();
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
