// Building the page without innerHTML: every string becomes a text node, so a vendor-supplied
// name such as "<script>…" is shown as text and never run.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// A table: headers and rows of cells (strings or nodes).
export function table(headers, rows) {
  return el('table', {},
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => (c instanceof Node && c.tagName === 'TD') ? c : el('td', {}, c))))));
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

// Horizontal bars of shares (0..1), one row per item: [{label, share}]. Drawn in SVG attributes,
// so the strict Content-Security-Policy (no inline styles) does not get in the way.
export function barChart(title, items) {
  const rowH = 22, labelW = 220, barW = 360, h = items.length * rowH + 24;
  const root = svg('svg', { class: 'chart', width: labelW + barW + 60, height: h, role: 'img', 'aria-label': title });
  const caption = svg('text', { x: 0, y: 14 });
  caption.textContent = title;
  root.append(caption);
  items.forEach((it, i) => {
    const y = 24 + i * rowH;
    const label = svg('text', { x: 0, y: y + 14 });
    label.textContent = it.label;
    const track = svg('rect', { class: 'track', x: labelW, y, width: barW, height: rowH - 6 });
    const share = Math.max(0, Math.min(1, Number(it.share) || 0));
    const bar = svg('rect', { class: 'bar', x: labelW, y, width: Math.round(barW * share), height: rowH - 6 });
    const pct = svg('text', { x: labelW + barW + 6, y: y + 14 });
    pct.textContent = `${Math.round(share * 100)}%`;
    root.append(label, track, bar, pct);
  });
  return root;
}
