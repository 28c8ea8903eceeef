// What the chat window's modules share: where it runs, the visitor's state
// in memory and in storage, the REST call, the messages to the host page.
import { setLang } from './i18n.js';
import { Timeline, Outbox, pickLang } from './core.js';

const Q = new URLSearchParams(location.search);
export const LINE = Q.get('line') || '';
export const HOST = originOf(Q.get('origin')) || location.origin; // the embedding page
export const EMBED = window.parent !== window;
export const LANG = pickLang(navigator.language);
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
export function sget(k) {
  try {
    return localStorage.getItem(K(k));
  } catch {
    return mem.get(K(k)) ?? null;
  }
}
export function sset(k, v) {
  try {
    localStorage.setItem(K(k), v);
  } catch {
    mem.set(K(k), v);
  }
}
export function sdel(k) {
  try {
    localStorage.removeItem(K(k));
  } catch {
    mem.delete(K(k));
  }
}
export function jget(k) {
  try {
    return JSON.parse(sget(k));
  } catch {
    return null;
  }
}
export const jset = (k, v) => sset(k, JSON.stringify(v));

// ---- state
export const S = {
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
// TL is the shown conversation's timeline; a new visitor gets a new one.
export let TL = new Timeline();
export const newTimeline = () => void (TL = new Timeline());
export const OB = new Outbox(() => jget('o'), v => jset('o', v));
// $ holds the window's elements (window.js builds them).
export const $ = {};

// The socket (socket.js) plugs itself in here, so the modules that send
// frames need not import it.
let sock = null;
export const plug = c => void (sock = c);
export const send = f => !!sock && sock.send(f);
export const kick = () => sock && sock.kick();

export const fileUrl = id => `/widget/v1/files/${encodeURIComponent(id)}?token=${encodeURIComponent(S.token)}`;
export const post = (type, d) => EMBED && parent.postMessage({ sb: 1, type, ...d }, HOST);
// page is the host page's URL as the server takes it: absolute http(s).
export const page = () => [S.page, document.referrer].find(u => /^https?:\/\/[^/]/i.test(u || '') && u.length <= 2048) || '';
export const withOrigin = p => `${p}${p.includes('?') ? '&' : '?'}origin=${encodeURIComponent(HOST)}`;
export const visible = () => document.visibilityState === 'visible';
export const sleep = ms => new Promise(r => setTimeout(r, ms));

// ---- REST
export async function api(method, path, body, auth = true) {
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
