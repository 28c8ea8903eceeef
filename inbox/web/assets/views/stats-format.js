// How the Statistics view writes its figures: numbers, shares and
// averages by Intl.NumberFormat in the agent's language, seconds as
// durations ("1 min 05 s", "5 h 12 min"), and local dates (YYYY-MM-DD,
// the report's own) as the viewer says them.
import { t } from '../i18n.js';
import { DASH, duration, locale } from './format.js';

const cache = new Map();
function nf(kind) {
  const key = locale() + '|' + kind;
  if (!cache.has(key)) {
    const opts = {
      int: {},
      pct: { style: 'percent', maximumFractionDigits: 1 },
      avg: { minimumFractionDigits: 1, maximumFractionDigits: 2 },
    }[kind];
    cache.set(key, new Intl.NumberFormat(locale(), opts));
  }
  return cache.get(key);
}

const missing = (v) => v === null || v === undefined || Number.isNaN(Number(v));

// num is a count; pct a share 0..1; avg an average rating (4.25).
export const num = (v) => (missing(v) ? DASH : nf('int').format(v));
export const pct = (v) => (missing(v) ? DASH : nf('pct').format(v));
export const avg = (v) => (missing(v) ? DASH : nf('avg').format(v));

// secs turns the report's seconds into a duration; zero reads "0 s".
export function secs(v) {
  if (missing(v)) return DASH;
  if (Number(v) === 0) return '0 ' + t('dur.s');
  return duration(Number(v) * 1000);
}

// ---- local dates, YYYY-MM-DD ----

const pad = (n) => String(n).padStart(2, '0');
const ymdOf = (d) => d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
const utc = (ymd) => new Date(ymd + 'T00:00:00Z');

export const isYMD = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s || '') && !Number.isNaN(utc(s).getTime());

// today is the browser's local date.
export function today() {
  const d = new Date();
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate());
}

// addDays moves a local date by n days (calendar days, whatever the clocks do).
export function addDays(ymd, n) {
  const d = utc(ymd);
  d.setUTCDate(d.getUTCDate() + n);
  return ymdOf(d);
}

// timeZone is the browser's IANA time zone.
export function timeZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

function df(kind) {
  const key = locale() + '|d' + kind;
  if (!cache.has(key)) {
    const opts = { long: { dateStyle: 'long' }, month: { month: 'long', year: 'numeric' }, weekday: { weekday: 'short' } }[kind];
    cache.set(key, new Intl.DateTimeFormat(locale(), { ...opts, timeZone: 'UTC' }));
  }
  return cache.get(key);
}

export const dayText = (ymd) => (isYMD(ymd) ? df('long').format(utc(ymd)) : DASH);

// periodText is the period [from, to) as the viewer says it, its last day
// included: "1 May 2025 – 7 May 2025", or one date for a single day.
export function periodText(from, to) {
  if (!isYMD(from) || !isYMD(to)) return DASH;
  const last = addDays(to, -1);
  return last <= from ? dayText(from) : dayText(from) + ' – ' + dayText(last);
}

// bucketText names a series bucket by its first day.
export function bucketText(start, group) {
  if (!isYMD(start)) return DASH;
  if (group === 'month') return df('month').format(utc(start));
  if (group === 'week') return t('stats.weekOf', { d: dayText(start) });
  return dayText(start);
}

// weekdays are the short names of Monday … Sunday (1 Jan 2024 was a Monday).
export function weekdays() {
  return [0, 1, 2, 3, 4, 5, 6].map((i) => df('weekday').format(utc(addDays('2024-01-01', i))));
}
