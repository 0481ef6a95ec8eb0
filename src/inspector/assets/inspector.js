// The inspector page: a live list of stored webhooks, the detail of one, replay. No framework, no build step;
// every value from the log is put into the page as text (textContent) or escaped, never as HTML.
'use strict';

const TOKEN = document.querySelector('meta[name="etsyhook-token"]').content;
const PAGE = 1000;
const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-etsy-signature', 'x-etsy-timestamp'];
const HOP_BY_HOP = ['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'trailer'];

const $ = (id) => document.getElementById(id);
const rowsEl = $('rows');
const state = { events: [], byId: new Map(), selected: -1, next: null, detail: null, loading: 0, stream: null, types: new Set() };

/** el('td', { class: 'mono' }, 'text', child…) */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function filterParams() {
  const p = new URLSearchParams();
  const q = $('search').value.trim();
  const type = $('type').value.trim();
  const status = $('status').value;
  if (q) p.set('q', q);
  if (type) p.set('type', type);
  if (status) p.set('status', status);
  return p;
}

async function api(path, options) {
  const res = await fetch(path, options);
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

// ---- the list ----

// Local time in the CLI's one format: 2026-01-31 14:03:22 in the detail (as `events show`); in the list and the
// attempts the time alone for today, 01-31 14:03:22 for another day (as `events list`).
function fullTime(iso) {
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function time(iso) {
  const full = fullTime(iso);
  return full.slice(0, 10) === fullTime(new Date().toISOString()).slice(0, 10) ? full.slice(11) : full.slice(5);
}

function deliveryState(ev) {
  if (['pending', 'delivered', 'failed', 'dead'].includes(ev.status)) return ev.status;
  if (ev.verdict === 'accepted' && ev.forwardTo) return 'pending';
  return null;
}

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (v) => String(v).replace(/[&<>"']/g, (c) => ESCAPES[c]);

/** One row as HTML, every value escaped: a thousand rows go into the page as one string, far faster than nodes. */
function rowHtml(ev) {
  const delivery = deliveryState(ev);
  const verdict = ev.httpStatus === null ? ev.verdict : `${ev.verdict} ${ev.httpStatus}`;
  const deliveryText = delivery ? (ev.attempts > 1 ? `${delivery} ×${ev.attempts}` : delivery) : '—';
  return (
    `<div class="row" role="row" data-id="${esc(ev.id)}"><span class="mono">${esc(time(ev.at))}</span>` +
    `<span>${esc(ev.type || '(unknown)')}</span><span><b class="badge s-${esc(ev.verdict)}">${esc(verdict)}</b></span>` +
    `<span class="mono">${esc(ev.webhookId || '—')}</span><span class="s-${esc(delivery || 'none')}">${esc(deliveryText)}</span></div>`
  );
}

function renderRow(ev) {
  const t = document.createElement('template');
  t.innerHTML = rowHtml(ev);
  return t.content.firstElementChild;
}

function rememberType(type) {
  if (!type || state.types.has(type)) return;
  state.types.add(type);
  $('known-types').append(el('option', { value: type }));
}

function showCount() {
  const n = state.events.length;
  $('count').textContent = `${n} event${n === 1 ? '' : 's'}${state.next ? ' (older ones: Load older)' : ''}`;
  $('more').hidden = !state.next;
  $('empty').hidden = n > 0;
  document.body.dataset.count = String(n);
}

async function loadList(append) {
  const token = ++state.loading;
  const p = filterParams();
  p.set('limit', String(PAGE));
  if (append && state.next) p.set('cursor', state.next);
  let page;
  try {
    performance.mark('etsyhook:list-asked');
    page = await api(`/api/events?${p}`);
    performance.mark('etsyhook:list-parsed');
  } catch (err) {
    $('count').textContent = `could not load events: ${err.message}`;
    return;
  }
  if (token !== state.loading) return; // a newer search started meanwhile
  if (!append) {
    state.events = [];
    state.byId.clear();
    rowsEl.textContent = '';
  }
  let html = '';
  for (const ev of page.events) {
    if (state.byId.has(ev.id)) continue;
    state.events.push(ev);
    state.byId.set(ev.id, ev);
    rememberType(ev.type);
    html += rowHtml(ev);
  }
  rowsEl.insertAdjacentHTML('beforeend', html);
  performance.mark('etsyhook:rows-built');
  state.next = page.next;
  if (!append) {
    const keep = state.detail ? state.events.findIndex((e) => e.id === state.detail.id) : -1;
    state.selected = -1;
    if (keep >= 0) select(keep, false);
  }
  showCount();
  // Once the rows are laid out and painted: how long the page took to show the list (the tests read it).
  requestAnimationFrame(() => setTimeout(() => {
    performance.mark('etsyhook:list-shown');
    document.body.dataset.loaded = String(++loads);
  }, 0));
}
let loads = 0;

function rowAt(i) {
  return rowsEl.children[i];
}

function select(i, open) {
  if (i < 0 || i >= state.events.length) return;
  rowAt(state.selected)?.classList.remove('selected');
  state.selected = i;
  const row = rowAt(i);
  row.classList.add('selected');
  row.scrollIntoView({ block: 'nearest' });
  if (open) openDetail(state.events[i].id);
  if (i >= state.events.length - 5 && state.next) loadList(true);
}

// ---- live ----

function connect() {
  state.stream?.close();
  const live = $('live');
  let opened = false;
  const stream = new EventSource(`/api/stream?${filterParams()}`);
  state.stream = stream;
  stream.addEventListener('ready', () => {
    live.textContent = 'live';
    live.className = 'live on';
    document.body.dataset.live = 'on';
    // After a reconnect, what arrived while away is read again.
    if (opened) loadList(false);
    opened = true;
  });
  stream.addEventListener('received', (e) => addLive(JSON.parse(e.data)));
  stream.addEventListener('delivery', (e) => updateDelivery(JSON.parse(e.data)));
  stream.onerror = () => {
    live.textContent = 'reconnecting…';
    live.className = 'live off';
    document.body.dataset.live = 'off';
  };
}

function addLive(ev) {
  if (state.byId.has(ev.id)) return;
  state.events.unshift(ev);
  state.byId.set(ev.id, ev);
  rememberType(ev.type);
  const row = renderRow(ev);
  row.classList.add('fresh');
  rowsEl.prepend(row);
  if (state.selected >= 0) state.selected++;
  showCount();
}

function redrawRow(ev) {
  const i = state.events.indexOf(ev);
  const row = renderRow(ev);
  if (i === state.selected) row.classList.add('selected');
  rowAt(i)?.replaceWith(row);
}

function refreshRow(ev) {
  api(`/api/events/${encodeURIComponent(ev.id)}`).then(
    (fresh) => {
      ev.status = fresh.status;
      redrawRow(ev);
    },
    () => {},
  );
}

function updateDelivery(d) {
  const ev = state.byId.get(d.id);
  if (ev) {
    ev.attempts += 1;
    // A replay may have gone elsewhere than the event's own deliveries, which changes no status: ask the server.
    if (d.replay) refreshRow(ev);
    else if (ev.verdict === 'accepted') ev.status = d.status;
    redrawRow(ev);
  }
  if (state.detail && state.detail.id === d.id) openDetail(d.id, true);
}

// ---- the detail ----

/** Re-indent JSON text without parsing its values (big numbers and duplicate keys stay as sent). */
function prettyJson(text) {
  let out = '';
  let depth = 0;
  let inString = false;
  const ind = () => '  '.repeat(depth);
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') { inString = true; out += ch; }
    else if (ch === '{' || ch === '[') {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j])) j++;
      if (text[j] === (ch === '{' ? '}' : ']')) { out += ch === '{' ? '{}' : '[]'; i = j; }
      else { depth++; out += `${ch}\n${ind()}`; }
    } else if (ch === '}' || ch === ']') { depth = Math.max(0, depth - 1); out += `\n${ind()}${ch}`; }
    else if (ch === ',') out += `,\n${ind()}`;
    else if (ch === ':') out += ': ';
    else if (!/\s/.test(ch)) out += ch;
  }
  return out;
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function curlCommand(d, target) {
  const parts = [`curl -X POST ${shellQuote(target)}`];
  for (const [name, value] of Object.entries(d.headers)) {
    if (HOP_BY_HOP.includes(name)) continue;
    parts.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  if (d.body !== null) parts.push(`--data-binary ${shellQuote(d.body)}`);
  else parts.push(`--data-binary "$(printf %s ${shellQuote(d.bodyBase64)} | base64 -d)"`);
  return parts.join(' \\\n  ');
}

function sendCommand(d, target) {
  const body = d.body !== null ? `printf %s ${shellQuote(d.body)}` : `printf %s ${shellQuote(d.bodyBase64)} | base64 -d`;
  return `${body} | etsyhook send ${shellQuote(d.type || 'order.paid')} --data - --to ${shellQuote(target)}`;
}

async function copy(text) {
  let how = 'copied to the clipboard';
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    how = 'select and copy';
  }
  const box = $('copied');
  box.textContent = '';
  box.append(el('div', { class: 'result ok' }, how), el('pre', { id: 'copied-text' }, text));
}

function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.filter((p) => p[1] !== null && p[1] !== undefined && p[1] !== '').map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function signaturePanel(s) {
  if (!s) return null;
  const got = s.received.length === 0 ? [el('span', { class: 'nomatch' }, '(none)')] : s.received.map((sig) => {
    const value = sig.includes(',') ? sig : sig;
    const ok = s.expected !== null && value === s.expected;
    return el('div', { class: `mono ${ok ? 'match' : 'nomatch'}` }, value, ok ? '  ✓ matches' : '');
  });
  const when =
    s.ageAtArrival === null ? null : s.ageAtArrival >= 0 ? `${s.ageAtArrival} s before it arrived` : `${-s.ageAtArrival} s after it arrived (in the future)`;
  return el(
    'div',
    { class: `sig${s.valid ? ' valid' : ''}`, id: 'signature' },
    facts([
      ['scheme', s.scheme || 'none'],
      ['check', s.valid ? 'valid with the secret in use' : s.message],
      ['header', s.header],
      ['signed', s.timestamp === null ? null : `${new Date(s.timestamp * 1000).toISOString()}, ${when}`],
      ['stale by', s.staleBySeconds === null ? null : `${s.staleBySeconds} s past the ${s.toleranceSeconds} s tolerance`],
      ['expected', s.expected === null ? s.expectedNote : el('span', { class: 'mono' }, s.expected)],
    ]),
    el('div', {}, el('span', { class: 'dim' }, 'received: '), got),
  );
}

function attemptsTable(d) {
  if (d.deliveries.length === 0) {
    return el('p', { class: 'empty', id: 'attempts' }, d.verdict === 'accepted' ? 'No delivery attempts yet.' : `None: ${d.verdict} requests are not forwarded.`);
  }
  return el(
    'table',
    { class: 'attempts', id: 'attempts' },
    el('tr', {}, ['#', 'time', 'target', 'answer', 'ms', 'response / error'].map((h) => el('th', {}, h))),
    d.deliveries.map((a) =>
      el(
        'tr',
        {},
        el('td', {}, a.attempt, a.replay ? ' (replay)' : ''),
        el('td', { class: 'mono' }, time(a.at)),
        el('td', { class: 'mono' }, a.target),
        el('td', {}, el('span', { class: `s-${a.status}` }, a.httpStatus === null ? a.status : `${a.httpStatus} ${a.status}`)),
        el('td', {}, a.ms ?? ''),
        el('td', { class: 'mono' }, a.error || (a.response ? a.response.body : '')),
      ),
    ),
  );
}

async function openDetail(id, refresh) {
  let d;
  try {
    d = await api(`/api/events/${encodeURIComponent(id)}`);
  } catch (err) {
    $('detail').textContent = '';
    $('detail').append(el('p', { class: 'result bad' }, err.message));
    return;
  }
  if (refresh && state.detail?.id === id && $('attempts')) {
    // A new attempt: only what it changes, so a target being typed or an edit in progress stays as it is.
    state.detail = d;
    $('attempts').replaceWith(attemptsTable(d));
    $('attempts-title').textContent = `Delivery attempts (${d.attempts})`;
    $('detail-status').className = `badge s-${d.status}`;
    $('detail-status').textContent = d.status;
    return;
  }
  state.detail = d;
  const target = d.replayTarget;
  const raw = d.body !== null ? d.body : d.bodyBase64;
  let pretty = null;
  if (d.payload !== null) pretty = prettyJson(d.body);
  const bodyPre = el('pre', { id: 'body' }, pretty ?? raw);
  const tab = (name, text) =>
    el('button', {
      type: 'button',
      'aria-selected': String((name === 'pretty') === (pretty !== null)),
      onclick: (e) => {
        bodyPre.textContent = text;
        for (const b of e.target.parentNode.children) b.setAttribute('aria-selected', String(b === e.target));
      },
    }, name);
  const editorSlot = el('div', { id: 'editor-slot' });
  const view = el(
    'div',
    { 'data-id': d.id },
    el('h2', {}, el('span', { class: 'mono' }, d.id), d.type || '(unknown type)', el('span', { class: `badge s-${d.status}`, id: 'detail-status' }, d.status)),
    el('div', { class: 'reqline', id: 'reqline' }, `${d.method} ${d.path} HTTP/1.1`),
    facts([
      ['received', `${fullTime(d.at)}${d.remote ? ` from ${d.remote}` : ''}`],
      ['verdict', `${d.verdict}${d.httpStatus === null ? '' : ` (answered ${d.httpStatus})`}`],
      ['reason', d.reason],
      ['webhook-id', d.webhookId],
      ['size', `${d.size} bytes`],
      ['forwarded to', d.forwardTo],
    ]),
    d.verdict === 'rejected' || (d.signature && !d.signature.valid) ? [el('h3', {}, 'Signature'), signaturePanel(d.signature)] : null,
    el('h3', {}, 'Replay'),
    el(
      'div',
      { class: 'actions' },
      el('input', { id: 'target', value: target, 'aria-label': 'Replay to', spellcheck: 'false' }),
    ),
    el(
      'div',
      { class: 'actions' },
      el('button', { id: 'replay', class: 'primary', type: 'button', onclick: () => replay({}) }, 'Replay'),
      el('button', { id: 'replay-resigned', type: 'button', disabled: !d.canResign, title: d.canResign ? 'fresh timestamp, same webhook-id' : 'no signing secret configured', onclick: () => replay({ resign: true }) }, 'Replay re-signed'),
      el('button', { id: 'edit', type: 'button', disabled: !d.canResign, onclick: () => showEditor(editorSlot, d) }, 'Edit and replay'),
      el('button', { id: 'copy-curl', type: 'button', onclick: () => copy(curlCommand(d, $('target').value)) }, 'Copy as curl'),
      el('button', { id: 'copy-send', type: 'button', onclick: () => copy(sendCommand(d, $('target').value)) }, 'Copy as etsyhook send --data'),
    ),
    editorSlot,
    el('div', { id: 'result', class: 'result' }),
    el('div', { id: 'copied' }),
    el('h3', { id: 'attempts-title' }, `Delivery attempts (${d.attempts})`),
    attemptsTable(d),
    el('h3', {}, 'Headers'),
    el('table', { class: 'kv', id: 'headers' }, Object.entries(d.headers).map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, v)))),
    el('h3', {}, `Body${d.body === null ? ' (not UTF-8: base64)' : ''}`),
    el('div', { class: 'tabs' }, pretty !== null ? tab('pretty', pretty) : null, tab('raw', raw), el('button', { type: 'button', id: 'copy-body', onclick: () => copy(raw) }, 'Copy raw')),
    bodyPre,
  );
  $('detail').textContent = '';
  $('detail').append(view);
  document.body.dataset.detail = d.id;
}

function showEditor(slot, d) {
  slot.textContent = '';
  const headerText = Object.entries(d.headers)
    .filter(([k]) => !SIGNATURE_HEADERS.includes(k) && !HOP_BY_HOP.includes(k))
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  const headers = el('textarea', { id: 'edit-headers', rows: 5, spellcheck: 'false', 'aria-label': 'Headers, one per line' }, headerText);
  const body = el('textarea', { id: 'edit-body', rows: 10, spellcheck: 'false', 'aria-label': 'Body' }, d.payload !== null ? prettyJson(d.body) : (d.body ?? ''));
  slot.append(
    el(
      'div',
      { id: 'editor' },
      el('label', {}, 'Headers (signature headers are added when it is signed again)'),
      headers,
      el('label', {}, 'Body'),
      body,
      el('div', { class: 'actions' },
        el('button', { id: 'send-edited', class: 'primary', type: 'button', onclick: () => {
          const parsed = {};
          for (const line of headers.value.split('\n')) {
            if (line.trim() === '') continue;
            const i = line.indexOf(':');
            if (i <= 0) { result(false, `not a header line: '${line}' (name: value)`); return; }
            parsed[line.slice(0, i).trim()] = line.slice(i + 1).trim();
          }
          replay({ body: body.value, headers: parsed });
        } }, 'Send re-signed'),
        el('button', { type: 'button', onclick: () => { slot.textContent = ''; } }, 'Cancel')),
    ),
  );
  body.focus();
}

function result(ok, text) {
  const r = $('result');
  if (!r) return;
  r.className = `result ${ok ? 'ok' : 'bad'}`;
  r.textContent = text;
}

async function replay(options) {
  const d = state.detail;
  if (!d) return;
  const to = $('target')?.value.trim();
  result(true, 'sending…');
  $('result').className = 'result';
  try {
    const r = await api(`/api/events/${encodeURIComponent(d.id)}/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-etsyhook-token': TOKEN },
      body: JSON.stringify({ ...options, ...(to ? { to } : {}) }),
    });
    const a = r.attempt;
    const how = r.edited ? 'edited, re-signed' : r.resigned ? 're-signed' : 'byte-exact';
    const answer = a.httpStatus !== null ? `${a.httpStatus}` : a.error;
    result(r.delivered, `${how} → ${r.target}: ${answer} in ${a.ms} ms (${a.status})${r.recorded ? '' : `; not recorded: ${r.recordError}`}${r.elsewhere ? "; not where its deliveries go, so its status is unchanged" : ''}`);
  } catch (err) {
    result(false, err.message);
  }
}

/** `r`: the selected event, opened first when the detail shows another one. */
async function replaySelected() {
  const id = state.events[state.selected].id;
  if (!state.detail || state.detail.id !== id) await openDetail(id);
  await replay({});
}

// ---- keys and filters ----

document.addEventListener('keydown', (e) => {
  const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement;
  if (e.key === 'Escape') {
    if (typing) e.target.blur();
    return;
  }
  if (typing || e.metaKey || e.ctrlKey || e.altKey) return;
  if (e.key === 'j' || e.key === 'ArrowDown') select(Math.min(state.selected + 1, state.events.length - 1), false);
  else if (e.key === 'k' || e.key === 'ArrowUp') select(Math.max(state.selected - 1, 0), false);
  else if (e.key === 'Enter' && state.selected >= 0) openDetail(state.events[state.selected].id);
  else if (e.key === 'r' && state.selected >= 0) replaySelected();
  else if (e.key === '/') $('search').focus();
  else return;
  e.preventDefault();
});

let debounce;
function refilter() {
  clearTimeout(debounce);
  debounce = setTimeout(() => {
    loadList(false);
    connect();
  }, 200);
}
$('search').addEventListener('input', refilter);
$('type').addEventListener('input', refilter);
$('status').addEventListener('change', refilter);
$('filters').addEventListener('submit', (e) => e.preventDefault());
$('more').addEventListener('click', () => loadList(true));
rowsEl.addEventListener('click', (e) => {
  const row = e.target.closest('.row');
  if (row) select(state.events.indexOf(state.byId.get(row.dataset.id)), true);
});

// The type filter suggests every type in etsyhook's catalog, then any other type the list shows.
api('/api/types').then((types) => types.forEach((t) => rememberType(t.name)), () => {});
loadList(false);
connect();
