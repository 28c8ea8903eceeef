// Links in message text: http, https and mailto addresses become <a>
// elements that open in a new tab without giving it this window
// (rel="noopener noreferrer"); everything else stays text. Only DOM nodes
// are built, so hostile text stays text and "javascript:" is never a link.

const CANDIDATE = /\b(?:https?:\/\/|mailto:)[^\s<>"]+/gi;
const TRAILING = /[.,;:!?'»”’)\]}]+$/;
const SAFE = ['http:', 'https:', 'mailto:'];

// safeURL is the URL of raw if it is an http(s) or mailto address, else ''.
export function safeURL(raw) {
  let u;
  try { u = new URL(raw); } catch { return ''; }
  if (!SAFE.includes(u.protocol)) return '';
  if (u.protocol !== 'mailto:' && !u.hostname) return '';
  return u.href;
}

// trim drops punctuation that ends a sentence rather than the address,
// keeping a closing bracket whose opening one is inside the address.
function trim(raw) {
  let s = raw.replace(TRAILING, '');
  for (const [open, close] of [['(', ')'], ['[', ']']]) {
    const rest = raw.slice(s.length);
    if (rest.startsWith(close) && s.split(open).length > s.split(close).length) s += close;
  }
  return s;
}

// link builds one safe link element showing text.
export function link(href, text) {
  const a = document.createElement('a');
  a.href = href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  a.textContent = text;
  return a;
}

// linkify returns text as a list of text nodes and link elements.
export function linkify(text) {
  const out = [];
  let at = 0;
  for (const m of String(text || '').matchAll(CANDIDATE)) {
    const raw = trim(m[0]);
    const href = raw.length > 'mailto:'.length ? safeURL(raw) : '';
    if (!href) continue;
    if (m.index > at) out.push(document.createTextNode(text.slice(at, m.index)));
    out.push(link(href, raw));
    at = m.index + raw.length;
  }
  if (at < String(text || '').length) out.push(document.createTextNode(String(text).slice(at)));
  return out;
}
