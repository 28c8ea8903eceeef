// How the conversation table shows values: durations as people say them
// ("45 s", "3 min 20 s", "1 h 02 min", "2 d 03 h") with units in the
// agent's language, dates in the agent's locale, and the API's errors as
// plain sentences.
import { t, language } from '../i18n.js';

export const DASH = '—';

const pad = (n) => String(n).padStart(2, '0');

// duration turns milliseconds into the two largest units, the second one
// two digits wide; under a second reads "< 1 s".
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(Number(ms))) return DASH;
  const s = Math.floor(Math.max(0, Number(ms)) / 1000);
  const u = (k) => t('dur.' + k);
  if (s < 1) return '< 1 ' + u('s');
  if (s < 60) return s + ' ' + u('s');
  if (s < 3600) return Math.floor(s / 60) + ' ' + u('min') + ' ' + pad(s % 60) + ' ' + u('s');
  if (s < 86400) return Math.floor(s / 3600) + ' ' + u('h') + ' ' + pad(Math.floor(s / 60) % 60) + ' ' + u('min');
  return Math.floor(s / 86400) + ' ' + u('d') + ' ' + pad(Math.floor(s / 3600) % 24) + ' ' + u('h');
}

// locale is the browser's own variant of the agent's language (en-GB for
// an English-speaking agent whose browser says so), else the language.
export function locale() {
  const lang = language();
  const prefs = (typeof navigator !== 'undefined' && navigator.languages) || [];
  return prefs.find((l) => l === lang || l.startsWith(lang + '-')) || lang;
}

const formats = new Map();
function formatter(kind) {
  const key = locale() + '|' + kind;
  if (!formats.has(key)) {
    const opts = kind === 'long' ? { dateStyle: 'full', timeStyle: 'medium' } : { dateStyle: 'short', timeStyle: 'short' };
    formats.set(key, new Intl.DateTimeFormat(locale(), opts));
  }
  return formats.get(key);
}

// dateText is a date and time in the agent's locale, short; dateLong the
// full one (for a tooltip).
export function dateText(iso) {
  if (!iso) return DASH;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? DASH : formatter('short').format(d);
}

export function dateLong(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : formatter('long').format(d);
}

// Field names of the list's query that a person knows as a filter.
const FILTER_FIELDS = /^(status|detailedStatus|agent|line|channel|client|spam|missed|clientRating|\w+(From|To))$/;

// problem turns an API error into a sentence in the agent's language; the
// server's own text is never shown.
export function problem(e) {
  if (!e) return '';
  switch (e.code) {
    case 'network': return t('tableErr.network');
    case 'unauthorized': return t('tableErr.unauthorized');
    case 'csrf': return t('tableErr.csrf');
    case 'forbidden': return t('tableErr.forbidden');
    case 'not_found': return t('tableErr.notFound');
    case 'conflict': return t('tableErr.conflict');
    case 'throttled': return t('tableErr.throttled');
    case 'too_large':
    case 'request_entity_too_large': return t('tableErr.tooLarge');
    case 'invalid':
      if (e.field && e.field.startsWith('table.columns')) return t('tableErr.columns');
      if (e.field && FILTER_FIELDS.test(e.field)) return t('tableErr.filter');
      return t('tableErr.invalid');
  }
  if (e.status >= 500) return t('tableErr.server');
  return t('tableErr.unknown');
}
