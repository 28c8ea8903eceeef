// The conversation table's columns: the catalogue, grouped as the product's
// help articles group them (general; CRM and actions; ratings and comments;
// dates; timings), how each shows a conversation, and the column chooser
// (real checkboxes, and "move up" / "move down" buttons for the order).
import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { contactLabel } from './names.js';
import { DASH, duration, dateText, dateLong } from './format.js';
import { channelBadge, contactHandle } from './channel.js';

export const DATES = ['created', 'queued', 'answered', 'accepted', 'lastMessage', 'closedByAgent', 'closed', 'modified'];
export const TIMINGS = ['waitingForAnswer', 'timeToAccept', 'timeToCloseByAgent', 'duration', 'firstReaction', 'chatBot', 'responseTotal', 'responseAverage', 'responseMax'];

// GROUPS must name the same columns as the server (inbox.TableColumns).
export const GROUPS = [
  ['general', ['number', 'line', 'type', 'status', 'detailedStatus', 'spam', 'missed', 'channel', 'client', 'agent']],
  ['crm', ['crm', 'sitePage', 'actions', 'formFilled', 'historyRequested', 'pinned']],
  ['ratings', ['clientRating', 'supervisorComment', 'supervisorRating']],
  ['dates', DATES],
  ['timings', TIMINGS],
];

export const DEFAULT_COLUMNS = ['number', 'line', 'status', 'detailedStatus', 'channel', 'client', 'agent', 'created', 'lastMessage', 'waitingForAnswer', 'firstReaction', 'actions'];

const UNSORTABLE = new Set(['crm', 'actions']);

const yesNo = (b) => t(b ? 'table.yes' : 'table.no');
const rating = (n) => (n ? t('tbl.rating', { n }) : DASH);

// safeURL is an http(s) URL to link to, or ''.
function safeURL(raw) {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '';
  } catch { return ''; }
}

function link(href, text) {
  const url = safeURL(href);
  if (!url) return text || DASH;
  return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', title: url }, text || url);
}

function shortURL(raw) {
  try {
    const u = new URL(raw);
    return u.host + (u.pathname === '/' ? '' : u.pathname);
  } catch { return raw; }
}

function when(iso) {
  if (!iso) return DASH;
  return h('time', { datetime: iso, title: dateLong(iso) }, dateText(iso));
}

// missed is the red dot and the time the conversation was marked missed
// (missedAt); a dash when it is not missed.
function missed(c) {
  if (!c.missedAt) return DASH;
  return h('span', { class: 'missed-cell' },
    h('span', { class: 'dot red', testid: 'missed-dot', title: t('col.missed'), 'aria-hidden': 'true' }),
    h('span', { class: 'visually-hidden' }, t('col.missed') + ': '), when(c.missedAt));
}

function crm(c, ctx) {
  if (!ctx.contacts.has(c.contactId)) return '…';
  const ct = ctx.contacts.get(c.contactId);
  if (!ct) return DASH;
  if (ct.crmUrl) return link(ct.crmUrl, ct.crmId || t('tbl.crmOpen'));
  return ct.crmId || DASH;
}

function actions(c, ctx) {
  const n = c.number;
  const btn = (text, name, fn, testid) => h('button', { type: 'button', class: 'link', testid, 'aria-label': name, onClick: () => fn(c) }, text);
  return h('span', { class: 'row-actions' },
    btn(t('tbl.open'), t('tbl.openOf', { n }), ctx.open, 'row-open'),
    btn(t('tbl.history'), t('tbl.historyOf', { n }), ctx.history, 'row-history'),
    ctx.isActive(c) && btn(t('tbl.close'), t('tbl.closeOf', { n }), ctx.close, 'row-close'),
    ctx.isActive(c) && btn(t('tbl.spam'), t('tbl.spamOf', { n }), ctx.spam, 'row-spam'));
}

// CELLS shows one conversation's value of each column. ctx: names,
// contacts (Map contactId → contact, or null when unknown), isActive and
// the row actions open, history, close, spam.
const CELLS = {
  number: (c) => String(c.number),
  line: (c, ctx) => ctx.names.line(c.lineId),
  type: (c) => t('type.' + c.type),
  status: (c) => t('general.' + c.general),
  detailedStatus: (c) => h('span', { class: ['tbl-status', 'st-' + c.status] }, t('status.' + c.status)),
  spam: (c) => yesNo(c.spam),
  missed,
  channel: (c) => channelBadge(c.channel) || t('channel.' + c.channel),
  client: (c) => (c.contactHandle ? h('span', { class: 'client-cell' }, contactLabel(c, DASH), ' ', contactHandle(c)) : contactLabel(c, DASH)),
  agent: (c, ctx) => (c.agentId ? ctx.names.agent(c.agentId) : DASH),
  crm,
  sitePage: (c) => (c.sitePage ? link(c.sitePage, shortURL(c.sitePage)) : DASH),
  actions,
  formFilled: (c) => yesNo(c.formFilled),
  historyRequested: (c) => yesNo(c.historyRequested),
  pinned: (c) => yesNo(c.pinned),
  clientRating: (c) => rating(c.clientRating),
  supervisorComment: (c) => (c.supervisorComment ? h('span', { class: 'comment-cell', title: c.supervisorComment }, c.supervisorComment) : DASH),
  supervisorRating: (c) => rating(c.supervisorRating),
};
for (const d of DATES) CELLS[d] = (c) => when(c.dates && c.dates[d]);
for (const k of TIMINGS) CELLS[k] = (c) => duration(c.timings ? c.timings[k + 'Ms'] : null);

const KIND = {};
for (const [group, keys] of GROUPS) for (const k of keys) KIND[k] = group === 'dates' ? 'date' : group === 'timings' ? 'timing' : '';
KIND.missed = 'date'; // a time, shown and sorted like the date columns

// catalogue lists every column: {key, group, kind, sortable, label, cell}.
export function catalogue() {
  return GROUPS.flatMap(([group, keys]) => keys.map((key) => ({
    key, group, kind: KIND[key], sortable: !UNSORTABLE.has(key), label: t('col.' + key), cell: CELLS[key],
  })));
}

export const ALL_KEYS = GROUPS.flatMap(([, keys]) => keys);

// cleanColumns keeps known columns, each once; nothing usable: the defaults.
export function cleanColumns(cols) {
  if (!Array.isArray(cols)) return [...DEFAULT_COLUMNS];
  const out = cols.filter((k, i) => ALL_KEYS.includes(k) && cols.indexOf(k) === i);
  return out.length ? out : [...DEFAULT_COLUMNS];
}

// ColumnChooser edits the shown columns and their order. onChange(cols)
// hears every change.
export class ColumnChooser {
  constructor(onChange) {
    this.onChange = onChange;
    this.cols = [...DEFAULT_COLUMNS];
    this.status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
    this.el = h('details', { class: 'columns', testid: 'col-chooser' });
  }

  set(cols) { this.cols = cleanColumns(cols); this.draw(); }

  change(cols, focus) {
    this.cols = cols;
    this.draw(focus);
    this.onChange([...cols]);
  }

  toggle(key, on) {
    const cols = this.cols.filter((k) => k !== key);
    if (on) cols.push(key);
    if (!cols.length) { this.draw(); this.status.textContent = t('tbl.needOne'); return; }
    this.change(cols, `[data-testid="col-toggle"][data-col="${key}"]`);
  }

  move(key, by) {
    const i = this.cols.indexOf(key);
    const j = i + by;
    if (i < 0 || j < 0 || j >= this.cols.length) return;
    const cols = [...this.cols];
    [cols[i], cols[j]] = [cols[j], cols[i]];
    // Keep the focus on the button pressed, or on the other one at an end.
    const there = (by < 0 && j === 0) || (by > 0 && j === cols.length - 1);
    const testid = (by < 0) !== there ? 'col-up' : 'col-down';
    this.change(cols, `[data-testid="${testid}"][data-col="${key}"]`);
    this.status.textContent = t('tbl.moved', { col: t('col.' + key), n: j + 1, total: cols.length });
  }

  draw(focus) {
    const open = this.el.open;
    const cat = catalogue();
    const label = (k) => cat.find((c) => c.key === k).label;
    const groups = GROUPS.map(([group, keys]) => h('fieldset', { class: 'column-group' },
      h('legend', null, t('colgroup.' + group)),
      keys.map((k) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', testid: 'col-toggle', 'data-col': k, checked: this.cols.includes(k),
          onChange: (e) => this.toggle(k, e.target.checked) }), label(k)))));
    const order = h('ol', { class: 'column-order', 'aria-labelledby': 'col-order-title' },
      this.cols.map((k, i) => h('li', { 'data-col': k },
        h('span', { class: 'col-name' }, label(k)),
        h('button', { type: 'button', class: 'move', testid: 'col-up', 'data-col': k, disabled: i === 0,
          'aria-label': t('tbl.moveUp', { col: label(k) }), title: t('tbl.moveUp', { col: label(k) }), onClick: () => this.move(k, -1) }, '↑'),
        h('button', { type: 'button', class: 'move', testid: 'col-down', 'data-col': k, disabled: i === this.cols.length - 1,
          'aria-label': t('tbl.moveDown', { col: label(k) }), title: t('tbl.moveDown', { col: label(k) }), onClick: () => this.move(k, 1) }, '↓'))));
    replace(this.el, h('summary', null, t('table.columns')),
      h('div', { class: 'column-panel' },
        h('div', { class: 'column-groups' }, groups),
        h('div', { class: 'column-order-box' },
          h('h3', { id: 'col-order-title' }, t('tbl.order')), order,
          h('button', { type: 'button', testid: 'col-reset', onClick: () => this.change([...DEFAULT_COLUMNS]) }, t('tbl.defaults')))),
      this.status);
    this.el.open = open;
    if (focus) {
      const el = this.el.querySelector(focus);
      if (el) el.focus();
    }
  }
}
