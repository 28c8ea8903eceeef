// The messages: shown in order without doubles, the visitor's own sends
// pending until acknowledged, uploads, read marks, the unread count and
// the agent's typing.
import { t } from './i18n.js';
import { Outbox, frameSize, MAX_FILE, MAX_FRAME } from './core.js';
import { h, message } from './view.js';
import { S, $, TL, OB, api, fileUrl, jset, page, post, send, visible } from './state.js';
import { atEnd, toEnd, error, grow, stopTyping } from './window.js';
import { status } from './forms.js';

const pend = new Map(); // clientId → {el, it}

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
export function incoming(m, notify) {
  if (m && m.clientId && OB.take(m.clientId)) unpend(m.clientId);
  add(m, true, notify);
}
export function acked(f) {
  const p = pend.get(f.clientId);
  const it = OB.take(f.clientId) || (p && p.it);
  unpend(f.clientId);
  if (!it) return;
  add({ id: f.id, seq: f.seq, conversationId: f.conversationId, authorKind: 'contact', authorName: '', text: it.text, attachments: it.attachments, clientId: f.clientId, createdAt: f.createdAt }, false, false);
}
export function pending(it) {
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
// unpendAll drops every pending send from the window (a visitor leaves).
export function unpendAll() {
  for (const id of [...pend.keys()]) unpend(id);
}
export function failed(f) {
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
  send(Outbox.frame(p.it));
}
function queue(text, attachments) {
  const it = OB.add(text, attachments, page());
  pending(it);
  send(Outbox.frame(it));
}
export function submit() {
  const v = $.input.value.trim();
  if (!v) return;
  if (frameSize({ type: 'send', text: v, page: page() }) > MAX_FRAME) return error(t('tooLong'));
  $.input.value = '';
  grow();
  stopTyping();
  error('');
  queue(v, []);
}
export async function upload(files) {
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
export function unread() {
  if (!S.ready) return;
  const c = TL.conv;
  if (S.open && visible() && c) {
    const s = TL.max(c);
    if (!S.read || S.read.c !== c || S.read.s < s) jset('r', (S.read = { c, s }));
    if (s && S.sentRead !== `${c}:${s}` && send({ type: 'read', seq: s })) S.sentRead = `${c}:${s}`;
  }
  const n = TL.unread(S.read);
  if (n !== S.unread) post('unread', { count: (S.unread = n) });
}
// seen marks the visitor's messages the agent has read.
export function seen(seq, conv) {
  if (seq) S.agentRead = { c: conv || TL.conv, s: seq };
  const r = S.agentRead;
  if (!r) return;
  for (const el of $.log.children)
    if (el.dataset.author === 'contact') el.classList.toggle('sb-read', el.dataset.conv === r.c && +el.dataset.seq <= r.s);
}

// typing shows or clears the agent's typing note.
export function typing(f) {
  clearTimeout(S.typT);
  $.typing.textContent = f.typing ? (f.name ? t('typing', { name: f.name }) : t('typingAnon')) : '';
  $.typing.classList.toggle('sb-on', !!f.typing);
  if (f.typing) S.typT = setTimeout(() => typing({}), 8000);
}
