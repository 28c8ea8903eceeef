// DOM building without HTML strings: every piece of data becomes a text
// node or an attribute value, never markup.
import { t, language } from '../i18n.js';

const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'selected', 'type', 'multiple', 'placeholder', 'title', 'name', 'required', 'autocomplete', 'htmlFor']);

// h builds an element. props: class, testid (data-testid), data-* and
// aria-* attributes, on<Event> listeners, and a few properties; children
// are nodes, strings (text), arrays, or null/false (skipped).
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || (v === false && !PROPS.has(k))) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'testid') el.setAttribute('data-testid', v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// fill puts nodes into a translated sentence at its {placeholders}, so
// a link sits where each language's word order wants it.
export function fill(text, nodes) {
  return String(text).split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const k = part.match(/^\{(\w+)\}$/);
    return k && k[1] in nodes ? nodes[k[1]] : part;
  });
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// replace swaps el's children for the given ones.
export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

const DASH = '—';

export function fmtDateTime(iso) {
  if (!iso) return DASH;
  const d = new Date(iso);
  return d.toLocaleString(language(), { dateStyle: 'short', timeStyle: 'short' });
}

// fmtWhen shows a time of today as hh:mm, an older one as a date.
export function fmtWhen(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) {
    return d.toLocaleTimeString(language(), { hour: '2-digit', minute: '2-digit' });
  }
  return d.toLocaleDateString(language(), { day: 'numeric', month: 'short' });
}

// fmtDuration turns milliseconds into "2 h 5 min", "45 s", "850 ms".
export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return DASH;
  if (ms < 1000) return ms + ' ' + t('unit.ms');
  const s = Math.floor(ms / 1000);
  const parts = [[Math.floor(s / 86400), 'unit.d'], [Math.floor(s / 3600) % 24, 'unit.h'],
    [Math.floor(s / 60) % 60, 'unit.min'], [s % 60, 'unit.s']];
  const first = parts.findIndex(([n]) => n > 0);
  return parts.slice(first, first + 2).filter(([n]) => n > 0).map(([n, u]) => n + ' ' + t(u)).join(' ');
}

export function statusText(status) { return t('status.' + status); }

export const ACTIVE = ['new', 'queued', 'accepted', 'waiting', 'waiting_again', 'answered'];
export const isActive = (c) => ACTIVE.includes(c.status);
export const isOpen = (c) => isActive(c) || c.status === 'closing';

export function errorText(e) {
  if (!e) return '';
  if (e.code === 'network') return t('err.network');
  if (e.code === 'forbidden') return t('err.forbidden');
  if (e.code === 'conflict') return t('err.conflict') + ' (' + e.message + ')';
  return t('err.generic', { m: e.message || e.code });
}
