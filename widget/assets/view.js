// DOM helpers. Data only ever becomes text nodes or attribute values:
// no innerHTML anywhere in the widget.
import { t, lang } from './i18n.js';
import { KINDS, linkParts, isImage } from './core.js';

// h builds an element: attrs are attributes ('on…' are listeners, true is
// an empty attribute, null/false is left out); string kids become text nodes.
export function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...kids.filter(c => c != null && c !== false));
  return e;
}

const ICONS = {
  clip: 'M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6h-1.5z',
  send: 'M2 21 23 12 2 3v7l15 2-15 2z',
  x: 'M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z',
  file: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm-1 7V3.5L18.5 9H13z',
};
export function icon(n) {
  const ns = 'http://www.w3.org/2000/svg';
  const s = document.createElementNS(ns, 'svg');
  s.setAttribute('viewBox', '0 0 24 24');
  s.setAttribute('aria-hidden', 'true');
  s.setAttribute('focusable', 'false');
  const p = document.createElementNS(ns, 'path');
  p.setAttribute('d', ICONS[n]);
  s.append(p);
  return s;
}

// text renders s with http(s) URLs as links (href checked in linkParts).
export function text(s) {
  const f = document.createDocumentFragment();
  for (const p of linkParts(s))
    f.append(typeof p === 'string' ? p : h('a', { href: p.href, target: '_blank', rel: 'noopener noreferrer nofollow ugc' }, p.text));
  return f;
}

export function time(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return '';
  const o = { hour: '2-digit', minute: '2-digit' };
  if (d.toDateString() !== new Date().toDateString()) Object.assign(o, { day: 'numeric', month: 'short' });
  try {
    return new Intl.DateTimeFormat(lang(), o).format(d);
  } catch {
    return '';
  }
}

export function size(n) {
  n = Math.max(0, +n || 0);
  const mb = n >= 1048576;
  const v = new Intl.NumberFormat(lang(), { maximumFractionDigits: mb ? 1 : 0 }).format(mb ? n / 1048576 : Math.max(1, n / 1024));
  return `${v} ${t(mb ? 'mb' : 'kb')}`;
}

function attachment(a, url) {
  const u = url(a.fileId);
  const name = String(a.name || a.fileId || '');
  if (isImage(a.contentType))
    return h('a', { class: 'sb-img', href: u, target: '_blank', rel: 'noopener' }, h('img', { src: u, alt: name, loading: 'lazy' }));
  return h('a', { class: 'sb-att', href: u, download: name }, icon('file'), h('span', { dir: 'auto' }, name), h('small', {}, size(a.size)));
}

// message renders one message; url(fileId) gives an attachment's address.
export function message(m, url, pending) {
  const k = KINDS.includes(m.authorKind) ? m.authorKind : 'system';
  const el = h('div', {
    class: `sb-msg sb-${k}`,
    'data-testid': 'sb-message',
    'data-author': k,
    'data-seq': pending ? null : m.seq,
    'data-conv': pending ? null : m.conversationId,
    'data-pending': pending ? 'true' : null,
  });
  if (k === 'contact') el.append(h('span', { class: 'sb-vh' }, t('you') + ':'));
  else if (k !== 'system' && m.authorName) el.append(h('div', { class: 'sb-who', dir: 'auto' }, m.authorName));
  if (m.text) el.append(h('div', { class: 'sb-bubble', dir: 'auto' }, text(m.text)));
  const at = Array.isArray(m.attachments) ? m.attachments.filter(a => a && a.fileId) : [];
  if (at.length) el.append(h('div', { class: 'sb-files' }, ...at.map(a => attachment(a, url))));
  el.append(h('div', { class: 'sb-meta' }, pending ? t('sending') : time(m.createdAt)));
  return el;
}
