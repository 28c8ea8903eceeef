// The chat window inside the iframe (docs/widget-protocol.md).
import { t, setLang } from './i18n.js';
import { Timeline, Outbox, backoff, pickLang, validEmail, frameSize, MAX_FILE, MAX_FRAME } from './core.js';
import { Conn } from './conn.js';
import { h, icon, message, text } from './view.js';

const Q = new URLSearchParams(location.search);
const LINE = Q.get('line') || '';
const HOST = originOf(Q.get('origin')) || location.origin; // the embedding page
const EMBED = window.parent !== window;
const LANG = pickLang(navigator.language);
setLang(LANG);
document.documentElement.lang = LANG;

function originOf(s) {
  try {
    const u = new URL(s);
    return /^https?:$/.test(u.protocol) && u.origin === s ? s : '';
  } catch {
    return '';
  }
}

// ---- storage (per line; in memory where localStorage is refused)
const mem = new Map();
const K = k => `sb:${k}:${LINE}`;
function sget(k) {
  try {
    return localStorage.getItem(K(k));
  } catch {
    return mem.get(K(k)) ?? null;
  }
}
function sset(k, v) {
  try {
    localStorage.setItem(K(k), v);
  } catch {
    mem.set(K(k), v);
  }
}
function sdel(k) {
  try {
    localStorage.removeItem(K(k));
  } catch {
    mem.delete(K(k));
  }
}
function jget(k) {
  try {
    return JSON.parse(sget(k));
  } catch {
    return null;
  }
}
const jset = (k, v) => sset(k, JSON.stringify(v));

// ---- state
const S = {
  token: sget('t') || '',
  visitor: '',
  mode: '',
  open: !EMBED,
  page: '',
  user: null,
  ready: false,
  email: (jget('c') || {}).email || '',
  helloSeq: 0,
  read: jget('r'), // {c, s}: read up to seq s of conversation c
  sentRead: '',
  unread: -1,
  agentRead: null,
  rating: 0,
  typingAt: 0,
  ctl: [], // rate/transcript frames waiting for the socket
};
let TL = new Timeline();
const OB = new Outbox(() => jget('o'), v => jset('o', v));
const pend = new Map(); // clientId → {el, it}

const fileUrl = id => `/widget/v1/files/${encodeURIComponent(id)}?token=${encodeURIComponent(S.token)}`;
const post = (type, d) => EMBED && parent.postMessage({ sb: 1, type, ...d }, HOST);
// page is the host page's URL as the server takes it: absolute http(s).
const page = () => [S.page, document.referrer].find(u => /^https?:\/\/[^/]/i.test(u || '') && u.length <= 2048) || '';
const withOrigin = p => `${p}${p.includes('?') ? '&' : '?'}origin=${encodeURIComponent(HOST)}`;
const visible = () => document.visibilityState === 'visible';
const sleep = ms => new Promise(r => setTimeout(r, ms));

// ---- REST
async function api(method, path, body, auth = true) {
  const headers = {};
  if (auth) headers.Authorization = `Bearer ${S.token}`;
  if (body && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  }
  const r = await fetch(withOrigin(path), { method, headers, body, credentials: 'omit', cache: 'no-store' });
  let j = null;
  try {
    j = await r.json();
  } catch {
    // not JSON
  }
  if (!r.ok) {
    const e = new Error((j && j.error && j.error.message) || `HTTP ${r.status}`);
    e.status = r.status;
    e.code = j && j.error && j.error.code;
    e.srv = !!(j && j.error && j.error.message);
    throw e;
  }
  return j || {};
}

// ---- the window
const $ = {};
function build() {
  $.file = h('input', { type: 'file', multiple: true, class: 'sb-vh', 'data-testid': 'sb-file', 'aria-label': t('attach') });
  $.input = h('textarea', { rows: '1', 'data-testid': 'sb-input', placeholder: t('placeholder'), 'aria-label': t('placeholder'), dir: 'auto' });
  $.send = h('button', { type: 'submit', class: 'sb-send', 'data-testid': 'sb-send', 'aria-label': t('send'), title: t('send') }, icon('send'));
  const stars = h('div', { class: 'sb-stars', role: 'group', 'aria-label': t('rateQ') });
  for (let n = 1; n <= 5; n++)
    stars.append(h('button', { type: 'button', 'data-testid': `sb-rate-${n}`, 'data-n': n, 'aria-label': t('star', { n }), 'aria-pressed': 'false', onclick: () => rate(n) }, '★'));
  stars.addEventListener('mouseover', e => paint(+(e.target.dataset && e.target.dataset.n) || S.rating));
  stars.addEventListener('mouseout', () => paint(S.rating));
  $.stars = stars;

  $.app = h('div', { class: 'sb-app' },
    h('header', { class: 'sb-head' },
      h('div', { class: 'sb-ttl' }, ($.line = h('h1', { dir: 'auto' }, t('title'))), ($.status = h('p', { class: 'sb-st' }))),
      EMBED && h('button', { type: 'button', class: 'sb-x', 'aria-label': t('close'), title: t('close'), onclick: () => post('close') }, icon('x'))),
    ($.mode = h('section', { class: 'sb-mode', 'data-testid': 'sb-mode', 'data-mode': '' },
      ($.modeText = h('p', { class: 'sb-mt', role: 'status' })),
      ($.form = h('form', { class: 'sb-form', novalidate: true, hidden: true, onsubmit: contact },
        h('p', { class: 'sb-hint' }, t('messengerHint')),
        h('div', { class: 'sb-row' },
          h('label', {}, h('span', {}, t('name')), ($.name = h('input', { type: 'text', autocomplete: 'name', maxlength: '200', 'data-testid': 'sb-name' }))),
          h('label', {}, h('span', {}, t('email')), ($.email = h('input', { type: 'email', autocomplete: 'email', maxlength: '200', required: true, 'data-testid': 'sb-email' })))),
        h('button', { type: 'submit', class: 'sb-btn', 'data-testid': 'sb-contact-submit' }, t('submit')))),
      ($.cMsg = h('p', { class: 'sb-note', role: 'status' })))),
    ($.net = h('p', { class: 'sb-net', role: 'status', hidden: true })),
    ($.list = h('div', { class: 'sb-list', 'data-testid': 'sb-messages', role: 'log', 'aria-label': t('messages'), tabindex: '0' },
      ($.greet = h('div', { class: 'sb-msg sb-agent sb-greet', hidden: true })),
      ($.log = h('div', { class: 'sb-log' })),
      ($.pend = h('div', { class: 'sb-log' })))),
    ($.typing = h('p', { class: 'sb-typing', 'aria-live': 'polite' })),
    ($.rate = h('section', { class: 'sb-panel', hidden: true },
      h('button', { type: 'button', class: 'sb-x sb-dis', 'aria-label': t('dismiss'), title: t('dismiss'), onclick: () => ($.rate.hidden = true) }, icon('x')),
      h('p', { class: 'sb-q' }, t('rateQ')),
      stars,
      ($.rated = h('p', { class: 'sb-note', role: 'status' })),
      ($.tForm = h('form', { class: 'sb-tr', novalidate: true, onsubmit: transcript },
        ($.tEmail = h('input', { type: 'email', autocomplete: 'email', maxlength: '200', placeholder: t('email'), 'aria-label': t('email'), 'data-testid': 'sb-transcript-email' })),
        h('button', { type: 'submit', class: 'sb-btn sb-ghost', 'data-testid': 'sb-transcript' }, t('transcript')))),
      ($.tMsg = h('p', { class: 'sb-note', role: 'status' })))),
    ($.err = h('p', { class: 'sb-err', role: 'alert', hidden: true })),
    ($.comp = h('form', { class: 'sb-comp', onsubmit: e => (e.preventDefault(), submit()) },
      h('label', { class: 'sb-attach', title: t('attach') }, $.file, icon('clip')),
      $.input,
      $.send)));
  document.body.append($.app);

  $.file.addEventListener('change', () => {
    const fs = [...$.file.files];
    $.file.value = '';
    upload(fs);
  });
  $.input.addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  $.input.addEventListener('input', () => {
    grow();
    const now = Date.now();
    if ($.input.value.trim() && now - S.typingAt > 3000 && conn.send({ type: 'typing', typing: true })) S.typingAt = now;
    clearTimeout(S.typStop);
    S.typStop = setTimeout(stopTyping, 4000);
  });
  document.addEventListener('keydown', e => e.key === 'Escape' && !e.isComposing && post('close'));
  document.addEventListener('visibilitychange', () => {
    unread();
    if (visible()) conn.kick();
  });
  addEventListener('online', () => conn.kick());
}

function grow() {
  const i = $.input;
  i.style.height = 'auto';
  i.style.height = `${Math.min(i.scrollHeight + i.offsetHeight - i.clientHeight, 140)}px`;
}
function stopTyping() {
  clearTimeout(S.typStop);
  if (S.typingAt) {
    S.typingAt = 0;
    conn.send({ type: 'typing', typing: false });
  }
}
function error(msg) {
  $.err.textContent = msg || '';
  $.err.hidden = !msg;
  clearTimeout(S.errT);
  if (msg) S.errT = setTimeout(() => error(''), 8000);
}
const atEnd = () => $.list.scrollHeight - $.list.scrollTop - $.list.clientHeight < 80;
const toEnd = () => ($.list.scrollTop = $.list.scrollHeight);

// ---- modes
function setMode(m) {
  if (!['live', 'messenger', 'hidden'].includes(m) || m === S.mode) return;
  S.mode = m;
  $.mode.dataset.mode = $.app.dataset.mode = m;
  $.modeText.textContent = t(m);
  $.status.textContent = t(m === 'live' ? 'online' : 'offline');
  contactView();
  if (S.ready) post('mode', { mode: m });
}
function contactView() {
  const done = !!S.email;
  $.form.hidden = S.mode !== 'messenger' || done;
  $.cMsg.textContent = S.mode === 'messenger' && done ? t('contactDone', { email: S.email }) : '';
}
async function contact(e) {
  e.preventDefault();
  const name = $.name.value.trim();
  const email = $.email.value.trim();
  $.email.removeAttribute('aria-invalid');
  if (!validEmail(email)) {
    $.email.setAttribute('aria-invalid', 'true');
    $.cMsg.textContent = t('badEmail');
    return $.email.focus();
  }
  try {
    await api('POST', '/widget/v1/contact', { name, email });
    S.email = email;
    jset('c', { name, email });
    contactView();
  } catch (x) {
    $.cMsg.textContent = x.status === 400 && x.srv ? x.message : t('error');
  }
}

// ---- messages
function add(m, streamed, notify) {
  if (!m || m.comment) return;
  const fresh = m.conversationId && !TL.has(m.conversationId);
  const i = TL.add(m, streamed);
  if (fresh && S.ready) status('new');
  if (i < 0) return;
  const end = atEnd();
  const el = message(m, fileUrl);
  $.log.insertBefore(el, $.log.children[i] || null);
  seen();
  if (end || m.authorKind === 'contact') toEnd();
  if (notify && (m.authorKind === 'agent' || m.authorKind === 'bot')) {
    post('message', { message: m });
    typing({});
  }
  unread();
}
// incoming: a message from the stream (session, history, socket). One of
// ours that is still pending means it was stored: it is acknowledged.
function incoming(m, notify) {
  if (m && m.clientId && OB.take(m.clientId)) unpend(m.clientId);
  add(m, true, notify);
}
function acked(f) {
  const p = pend.get(f.clientId);
  const it = OB.take(f.clientId) || (p && p.it);
  unpend(f.clientId);
  if (!it) return;
  add({ id: f.id, seq: f.seq, conversationId: f.conversationId, authorKind: 'contact', authorName: '', text: it.text, attachments: it.attachments, clientId: f.clientId, createdAt: f.createdAt }, false, false);
}
function pending(it) {
  if (pend.has(it.clientId)) return;
  const el = message({ authorKind: 'contact', text: it.text, attachments: it.attachments }, fileUrl, true);
  pend.set(it.clientId, { el, it });
  $.pend.append(el);
  toEnd();
}
function unpend(id) {
  const p = pend.get(id);
  if (p) p.el.remove();
  pend.delete(id);
}
function failed(f) {
  const p = pend.get(f.clientId);
  if (!p) return error(f.message || t('error'));
  p.el.dataset.failed = 'true';
  const meta = p.el.querySelector('.sb-meta');
  meta.replaceChildren(
    h('span', { class: 'sb-fail' }, `${t('failed')}: ${f.message || t('error')}`),
    h('button', { type: 'button', class: 'sb-link', onclick: () => resend(f.clientId) }, t('retry')),
    h('button', { type: 'button', class: 'sb-link', onclick: () => (OB.take(f.clientId), unpend(f.clientId)) }, t('remove')));
}
function resend(id) {
  const p = pend.get(id);
  if (!p) return;
  delete p.el.dataset.failed;
  p.el.querySelector('.sb-meta').replaceChildren(t('sending'));
  conn.send(Outbox.frame(p.it));
}
function queue(text, attachments) {
  const it = OB.add(text, attachments, page());
  pending(it);
  conn.send(Outbox.frame(it));
}
function submit() {
  const v = $.input.value.trim();
  if (!v) return;
  if (frameSize({ type: 'send', text: v, page: page() }) > MAX_FRAME) return error(t('tooLong'));
  $.input.value = '';
  grow();
  stopTyping();
  error('');
  queue(v, []);
}
async function upload(files) {
  const big = files.filter(f => f.size > MAX_FILE);
  const ok = files.filter(f => f.size <= MAX_FILE);
  error(big.map(f => t('tooBig', { name: f.name })).join(' '));
  if (!ok.length) return;
  if (!S.token) return error(t('uploadFailed'));
  const fd = new FormData();
  for (const f of ok) fd.append('file', f, f.name);
  $.comp.classList.add('sb-busy');
  $.typing.textContent = t('uploading');
  try {
    const j = await api('POST', '/widget/v1/files', fd);
    const at = (j.files || []).map(({ fileId, name, contentType, size }) => ({ fileId, name, contentType, size }));
    if (at.length) queue('', at);
  } catch (x) {
    error(x.status === 413 ? (x.srv ? x.message : t('tooBigSrv')) : x.status === 400 && x.srv ? x.message : t('uploadFailed'));
  } finally {
    $.comp.classList.remove('sb-busy');
    $.typing.textContent = '';
  }
}

// ---- read marks and the unread count
function unread() {
  if (!S.ready) return;
  const c = TL.conv;
  if (S.open && visible() && c) {
    const s = TL.max(c);
    if (!S.read || S.read.c !== c || S.read.s < s) jset('r', (S.read = { c, s }));
    if (s && S.sentRead !== `${c}:${s}` && conn.send({ type: 'read', seq: s })) S.sentRead = `${c}:${s}`;
  }
  const n = TL.unread(S.read);
  if (n !== S.unread) post('unread', { count: (S.unread = n) });
}
// seen marks the visitor's messages the agent has read.
function seen(seq, conv) {
  if (seq) S.agentRead = { c: conv || TL.conv, s: seq };
  const r = S.agentRead;
  if (!r) return;
  for (const el of $.log.children)
    if (el.dataset.author === 'contact') el.classList.toggle('sb-read', el.dataset.conv === r.c && +el.dataset.seq <= r.s);
}

// ---- typing, status, rating, transcript
function typing(f) {
  clearTimeout(S.typT);
  $.typing.textContent = f.typing ? (f.name ? t('typing', { name: f.name }) : t('typingAnon')) : '';
  $.typing.classList.toggle('sb-on', !!f.typing);
  if (f.typing) S.typT = setTimeout(() => typing({}), 8000);
}
function status(st) {
  if (st === 'closing') {
    if (S.ratedConv !== TL.conv && jget('rated') !== TL.conv) {
      S.ratedConv = TL.conv;
      S.rating = 0;
      paint(0);
      $.rated.textContent = $.tMsg.textContent = '';
      $.tEmail.value = S.email;
      $.rate.hidden = false;
      toEnd();
    }
  } else if (st !== 'closed' && st !== 'spam') $.rate.hidden = true;
}
function paint(n) {
  for (const b of $.stars.children) {
    const on = +b.dataset.n <= n;
    b.classList.toggle('sb-on', on);
    b.setAttribute('aria-pressed', String(+b.dataset.n === S.rating));
  }
}
function ctl(f) {
  if (!conn.send(f)) S.ctl.push(f);
}
function rate(n) {
  S.rating = n;
  paint(n);
  ctl({ type: 'rate', rating: n });
  jset('rated', TL.conv);
  $.rated.textContent = t('rated');
}
function transcript(e) {
  e.preventDefault();
  const email = $.tEmail.value.trim();
  $.tEmail.removeAttribute('aria-invalid');
  if (!validEmail(email)) {
    $.tEmail.setAttribute('aria-invalid', 'true');
    $.tMsg.textContent = t('badEmail');
    return $.tEmail.focus();
  }
  ctl({ type: 'transcript', email });
  $.tMsg.textContent = t('transcriptDone', { email });
}

// ---- socket
const conn = new Conn({
  url: tok => withOrigin(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/widget/v1/ws?token=${encodeURIComponent(tok)}`),
  // conversationId lets the server finish a conversation closed meanwhile
  // and start the current one from its beginning.
  hello: () => ({ lastSeq: (S.helloSeq = TL.cursor), ...(TL.conv && { conversationId: TL.conv }) }),
  frame: onFrame,
  state: up => {
    clearTimeout(S.netT);
    if (up) net('');
    else S.netT = setTimeout(() => net(t('reconnecting')), 1500);
  },
  refresh: async () => (await session(true), S.token),
});
function net(s) {
  $.net.textContent = s;
  $.net.hidden = !s;
}

function onFrame(f) {
  switch (f.type) {
    case 'welcome': {
      const c = f.conversationId;
      if (c && c !== TL.conv) {
        TL.use(c);
        // hello carried another conversation's cursor: fill in from the start
        if (S.helloSeq > TL.cursor) history();
      }
      setMode(f.mode);
      if (f.status) status(f.status);
      for (const it of OB.all()) {
        pending(it);
        conn.send(Outbox.frame(it)); // same clientId on every retry
      }
      for (const x of S.ctl.splice(0)) conn.send(x);
      S.sentRead = '';
      unread();
      break;
    }
    case 'message':
      incoming(f.message, true);
      break;
    case 'ack':
      acked(f);
      break;
    case 'typing':
      typing(f);
      break;
    case 'read':
      seen(+f.seq || 0, f.conversationId);
      break;
    case 'mode':
      setMode(f.mode);
      break;
    case 'status':
      if (!f.conversationId || f.conversationId === TL.conv || !TL.has(f.conversationId)) {
        if (f.conversationId) TL.use(f.conversationId);
        status(f.status);
      }
      break;
    case 'error':
      failed(f);
      break;
    case 'resync':
      history(f.conversationId);
      break;
  }
}

// history fetches what the stream missed (resync): of conversation conv,
// or of the current one, page by page.
async function history(conv) {
  if (S.hist) return void (S.histAgain = true);
  S.hist = true;
  try {
    for (let n = 0, after = TL.at(conv || TL.conv); n < 100; n++) {
      const id = conv ? `&conversationId=${encodeURIComponent(conv)}` : '';
      const j = await api('GET', `/widget/v1/history?after=${after}${id}`);
      const c = j.conversation;
      if (!conv && c && c.id !== TL.conv) {
        TL.use(c.id);
        if (after !== TL.cursor) {
          after = TL.cursor;
          continue;
        }
      }
      const ms = Array.isArray(j.messages) ? j.messages : [];
      for (const m of ms) incoming(m, true);
      if (c && c.id === TL.conv) status(c.status);
      if (!j.more || !ms.length) break;
      after = ms[ms.length - 1].seq;
    }
  } catch (x) {
    S.histAgain = true;
    if (x.status === 401) await session(true).catch(() => {}); // token expired
    await sleep(3000);
  } finally {
    S.hist = false;
  }
  if (S.histAgain) {
    S.histAgain = false;
    history(conv);
  }
}

// ---- session
async function session(refresh) {
  const body = { lineId: LINE, origin: HOST, page: page(), language: LANG };
  if (S.token) body.token = S.token;
  if (S.user) body.user = S.user;
  const j = await api('POST', '/widget/v1/session', body, false);
  if (S.visitor && j.visitorId !== S.visitor) reset();
  S.visitor = j.visitorId;
  S.token = j.token;
  sset('t', j.token);
  const ln = j.line || {};
  $.line.textContent = document.title = ln.name || t('title');
  $.greet.replaceChildren(h('div', { class: 'sb-bubble', dir: 'auto' }, text(ln.greeting || '')));
  $.greet.hidden = !ln.greeting;
  for (const m of Array.isArray(j.messages) ? j.messages : []) incoming(m, false);
  const c = j.conversation;
  TL.use(c ? c.id : null);
  if (!S.read) jset('r', (S.read = { c: TL.conv, s: TL.max(TL.conv) }));
  setMode(j.mode);
  if (c) status(c.status);
  if (!S.ready) {
    S.ready = true;
    post('ready', { mode: S.mode });
  }
  S.unread = -1;
  unread();
  if (!refresh && (conn.token !== S.token || !conn.on)) conn.start(S.token);
}
// forget drops the visitor on this browser (after a logout), so whoever
// comes next does not see their conversation.
function forget() {
  for (const k of ['t', 'o', 'r', 'c', 'rated']) sdel(k);
  for (const id of [...pend.keys()]) unpend(id);
  S.token = S.email = '';
  $.name.value = $.email.value = '';
  contactView();
  reset();
}
function reset() {
  TL = new Timeline();
  $.log.replaceChildren();
  $.rate.hidden = true;
  S.read = S.agentRead = null;
}
async function start() {
  net(t('connecting'));
  for (let n = 0; ; n++) {
    try {
      await session(false);
      if (!conn.up) net(t('connecting'));
      return;
    } catch (e) {
      if (e.code === 'identity' && S.user) {
        // a wrong setUser hash: chat on anonymously rather than not at all
        console.warn('switchboard: setUser refused, continuing anonymously:', e.message);
        S.user = null;
        continue;
      }
      if (e.status === 403 || e.status === 404 || e.status === 400) {
        console.warn('switchboard:', e.message);
        net(e.code === 'origin' ? t('errOrigin') : e.status === 404 ? t('errGone') : t('error'));
        $.comp.hidden = true;
        return;
      }
      if (e.status === 429) net(t('errBusy'));
      await sleep(backoff(n));
    }
  }
}

// cleanUser keeps what setUser may pass; without an id there is no user.
function cleanUser(u) {
  if (!u || typeof u !== 'object' || u.id == null || u.id === '') return null;
  const o = {};
  for (const k of ['id', 'name', 'email', 'hash']) if (u[k] != null && u[k] !== '') o[k] = String(u[k]).slice(0, 200);
  return o;
}
function useUser(u) {
  S.user = cleanUser(u);
  const e = S.user && S.user.email;
  if (e && validEmail(e)) {
    S.email = S.email || e;
    $.email.value = e;
    $.name.value = S.user.name || '';
    contactView();
  }
}

// ---- the loader (host page)
let inited;
const init = new Promise(r => (inited = r));
addEventListener('message', e => {
  const d = e.data;
  if (!EMBED || e.source !== parent || e.origin !== HOST || !d || d.sb !== 1) return;
  if (typeof d.page === 'string') S.page = d.page;
  switch (d.type) {
    case 'init':
      S.open = !!d.open;
      useUser(d.user);
      inited();
      break;
    case 'open':
      S.open = true;
      $.input.focus();
      unread();
      break;
    case 'close':
      S.open = false;
      break;
    case 'user': {
      const was = S.user;
      useUser(d.user);
      if (was && !S.user) forget(); // setUser(null): logged out
      if (S.ready) session(false).catch(x => console.warn('switchboard: setUser:', x.message));
      break;
    }
  }
});

build();
for (const it of OB.all()) pending(it); // left from an earlier page: resent after welcome
if (EMBED) {
  post('hello');
  await Promise.race([init, sleep(1500)]);
}
if (S.open) $.input.focus();
start();
