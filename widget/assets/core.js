// DOM-free logic of the chat window: message order and dedupe by seq, the
// outbox of unacknowledged sends, reconnect backoff, link detection.

export const KINDS = ['contact', 'agent', 'bot', 'system'];
export const MAX_FILE = 10 * 1024 * 1024; // SWITCHBOARD_MAX_FILE_SIZE default
export const MAX_FRAME = 60000; // under SWITCHBOARD_WIDGET_MAX_FRAME (64 KiB)
const LANGS = ['en', 'de', 'pl', 'ru'];

export const pickLang = l => {
  l = String(l || '').slice(0, 2).toLowerCase();
  return LANGS.includes(l) ? l : 'en';
};

// 0.5 s doubling to 30 s; jitter takes 0–30 % off so clients spread out.
export const backoff = (n, r = Math.random()) =>
  Math.round(Math.min(30000, 500 * 2 ** Math.min(n, 16)) * (1 - 0.3 * r));

export function uuid(c = globalThis.crypto) {
  if (c.randomUUID) return c.randomUUID(); // secure contexts only
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 15) | 64;
  b[8] = (b[8] & 63) | 128;
  const x = [...b].map(v => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const frameSize = f => new TextEncoder().encode(JSON.stringify(f)).length;
export const validEmail = s => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s) && s.length <= 200;
export const isImage = ct => /^image\/(png|jpeg|gif|webp)$/i.test(ct || '');

// safeHref returns the URL if it is an absolute http(s) URL, else null.
export function safeHref(u) {
  if (!/^https?:\/\//i.test(u)) return null;
  try {
    const x = new URL(u);
    return x.protocol === 'https:' || x.protocol === 'http:' ? x.href : null;
  } catch {
    return null;
  }
}

// linkParts splits text into strings and {href, text} for http(s) URLs.
// Trailing punctuation is not part of a URL, a closing bracket only when
// the URL opened it (https://en.wikipedia.org/wiki/Go_(game)).
export function linkParts(s) {
  const out = [];
  let at = 0;
  for (const m of String(s).matchAll(/\bhttps?:\/\/[^\s<>"'`]+/gi)) {
    let u = m[0];
    for (;;) {
      const c = u.at(-1);
      if (c === ')' && u.split('(').length >= u.split(')').length) break;
      if (!'.,;:!?\'")]}'.includes(c)) break;
      u = u.slice(0, -1);
    }
    const href = safeHref(u);
    if (!href) continue;
    if (m.index > at) out.push(s.slice(at, m.index));
    out.push({ href, text: u });
    at = m.index + u.length;
  }
  if (at < s.length) out.push(s.slice(at));
  return out;
}

// Timeline is the ordered set of shown messages. seq is per conversation,
// so a message is keyed by (conversation, seq); conversations are ordered by
// first appearance. cur[c] is the highest seq that arrived through the
// message stream (session, history, replay, live): the cursor for hello.
// Acks do not move it — an agent's message with a lower seq may still be on
// its way — so a replay may repeat an acked message, and dedupe drops it.
export class Timeline {
  constructor() {
    this.list = []; // {c, r, s, k}: conversation, its rank, seq, author kind
    this.convs = [];
    this.cur = {};
    this.conv = null;
  }
  has(c) {
    return this.convs.includes(c);
  }
  rank(c) {
    const i = this.convs.indexOf(c);
    return i < 0 ? this.convs.push(c) - 1 : i;
  }
  // use makes c the current conversation (null: none).
  use(c) {
    if (c) this.rank(c);
    this.conv = c || null;
  }
  at(c) {
    return (c && this.cur[c]) || 0;
  }
  get cursor() {
    return this.at(this.conv);
  }
  max(c) {
    let s = 0;
    for (const e of this.list) if (e.c === c && e.s > s) s = e.s;
    return s;
  }
  // add returns where m goes in the list, or -1 if it is already shown.
  // A conversation not seen before becomes the current one.
  add(m, streamed) {
    const s = m.seq;
    if (!Number.isSafeInteger(s) || s < 1) return -1;
    const c = m.conversationId || this.conv || '';
    if (!this.has(c)) this.use(c);
    if (streamed && s > (this.cur[c] || 0)) this.cur[c] = s;
    const r = this.rank(c);
    let i = this.list.length;
    while (i > 0) {
      const e = this.list[i - 1];
      if (e.r === r && e.s === s) return -1;
      if (e.r < r || (e.r === r && e.s < s)) break;
      i--;
    }
    this.list.splice(i, 0, { c, r, s, k: m.authorKind });
    return i;
  }
  // unread counts the business's messages in the current conversation after
  // the read mark {c, s}.
  unread(mark) {
    const after = mark && mark.c === this.conv ? mark.s : 0;
    return this.list.filter(e => e.c === this.conv && e.s > after && (e.k === 'agent' || e.k === 'bot')).length;
  }
}

// Outbox keeps sends until their ack. Storage is the source of truth, so
// several tabs of one visitor share it and a reload resends what was left.
export class Outbox {
  constructor(load, save) {
    this.load = () => {
      const v = load();
      return Array.isArray(v) ? v.filter(x => x && typeof x.clientId === 'string') : [];
    };
    this.save = save;
  }
  all() {
    return this.load();
  }
  add(text, attachments, page) {
    const it = { clientId: uuid(), text, attachments, page };
    this.save([...this.load(), it]);
    return it;
  }
  take(id) {
    const l = this.load();
    const i = l.findIndex(x => x.clientId === id);
    if (i < 0) return null;
    const [it] = l.splice(i, 1);
    this.save(l);
    return it;
  }
  static frame(it) {
    return { type: 'send', clientId: it.clientId, text: it.text, attachments: it.attachments || [], page: it.page || '' };
  }
}
