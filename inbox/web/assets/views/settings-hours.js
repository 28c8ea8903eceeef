// The schedule editor of a line's or an agent's business hours (the
// server's businessHours: enabled, an IANA time zone, opening spans per
// weekday, dated exceptions), with a live check under it of what the
// schedule means — open now or not, and the next changes — from
// POST /hours/preview. The caller saves value() with its own request.
import { api } from '../api.js';
import { t, language } from '../i18n.js';
import { h, replace, errorText } from './dom.js';
import { field, check, input, options, uid, clearErrors, findField } from './settings-form.js';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MAX_SPANS = 10; // a day's, as the server allows
const MAX_EXCEPTIONS = 366;
const F = 'businessHours';
const PREVIEW_DELAY = 400; // ms after the last change

// dayName is a weekday's name in the agent's language (1 Jan 2024 was a Monday).
export const dayName = (i) => new Intl.DateTimeFormat(language(), { weekday: 'long', timeZone: 'UTC' }).format(Date.UTC(2024, 0, 1 + i));

export function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

// zone is tz as the browser spells it ("europe/berlin" → "Europe/Berlin"),
// or '' when the browser knows no such zone.
function zone(tz) {
  if (!tz) return '';
  try {
    const c = new Intl.DateTimeFormat('en', { timeZone: tz }).resolvedOptions().timeZone;
    return c.toLowerCase() === tz.toLowerCase() ? c : tz;
  } catch { return ''; }
}

function zones() {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return all.includes('UTC') ? all : [...all, 'UTC'];
}

// minutes reads "09:30" as minutes after midnight ("24:00" is 1440); -1:
// not a time.
function minutes(s) {
  if (s === '24:00') return 1440;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s || '');
  return m ? Number(m[1]) * 60 + Number(m[2]) : -1;
}

// A time input cannot hold 24:00: "to 00:00" stands for midnight, the end
// of the day (the server's "24:00"), so 00:00–00:00 is the whole day.
const toOut = (s) => (minutes(s) === 0 ? '24:00' : s);
const toIn = (s) => (s === '24:00' ? '00:00' : s || '');

// when formats an instant for the preview in the schedule's zone, in 24-hour
// time like the inputs ("Mon 1 Jun, 09:00").
function when(tz) {
  const lang = language() === 'en' ? 'en-GB' : language();
  const o = { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  let f;
  try { f = new Intl.DateTimeFormat(lang, { ...o, timeZone: tz }); } catch { f = new Intl.DateTimeFormat(lang, o); }
  return (iso) => f.format(new Date(iso));
}

// bad marks el invalid with msg in its error line (focusing it, unless quiet).
function bad(el, msg, focus) {
  const line = el.errLine || document.getElementById(el.id + '-err');
  el.setAttribute('aria-invalid', 'true');
  if (line) { line.textContent = msg; line.hidden = false; }
  if (focus) el.focus();
}

// presenceField is the agent's presence mode: manual, or automatic by
// business hours. Its select is .select.
export function presenceField(mode) {
  const select = h('select', { 'aria-label': t('set.presence.mode'), testid: 'presence-mode' },
    options([['manual', t('set.presence.manual')], ['hours', t('set.presence.hours')]], mode === 'hours' ? 'hours' : 'manual'));
  const el = field(t('set.presence.mode'), select, { name: 'presenceMode', hint: t('set.presence.hint') });
  el.select = select;
  return el;
}

export class HoursEditor {
  // value: the businessHours (null: none yet). opts: legend, hint (under
  // it), enabledLabel, offNote (what switched-off hours mean), canEdit.
  constructor(value, { legend, hint, enabledLabel, offNote, canEdit = true } = {}) {
    const v = value || {};
    const days = v.days || {};
    Object.assign(this, { canEdit, offNote: offNote || '', seq: 0, timer: 0 });
    this.enabled = check(enabledLabel || t('set.hours.enabled'), v.enabled, { name: F, testid: 'hours-enabled' });
    this.enabled.box.errLine = this.enabled.querySelector('.field-error');
    const listId = uid('zones');
    this.tz = input('text', zone(v.timeZone) || v.timeZone || browserZone(), { list: listId, autocomplete: 'off', spellcheck: 'false', maxlength: '64' });
    const tzField = field(t('set.hours.tz'), this.tz, { name: F + '.timeZone', testid: 'hours-tz', hint: t('set.hours.tzHint') });
    this.tz.errLine = tzField.querySelector('.field-error');
    this.tz.addEventListener('change', () => { const z = zone(this.tz.value.trim()); if (z) this.tz.value = z; });
    this.days = {};
    const dayRows = DAYS.map((d, i) => this.dayRow(d, i, days[d]));
    this.exList = h('ul', { class: 'hours-exceptions' });
    this.exAdd = h('button', { type: 'button', 'data-write': '', id: uid('exadd'), testid: 'hours-exception-add', onClick: () => this.addException() }, t('set.hours.exceptionAdd'));
    this.exAdd.setAttribute('data-field', F + '.exceptions');
    this.exAdd.errLine = h('p', { class: 'field-error', id: this.exAdd.id + '-err', hidden: true });
    for (const ex of [...(v.exceptions || [])].sort((a, b) => String(a.date).localeCompare(String(b.date)))) this.exList.appendChild(this.exceptionItem(ex));
    this.renumberExceptions();

    this.now = h('p', { class: 'hours-now', 'aria-live': 'polite', testid: 'hours-preview-now' });
    this.note = h('p', { class: 'hint', 'aria-live': 'polite', testid: 'hours-preview-note' });
    this.tzNote = h('p', { class: 'hint' });
    this.next = h('ol', { class: 'hours-next', testid: 'hours-preview-next', 'aria-label': t('set.hours.next') });
    this.preview = h('section', { class: 'hours-preview', testid: 'hours-preview', 'aria-labelledby': uid('pv') },
      h('h4', null, t('set.hours.preview')), this.now, this.note, this.next, this.tzNote);
    this.preview.firstChild.id = this.preview.getAttribute('aria-labelledby');

    this.el = h('fieldset', { class: 'set-group hours', testid: 'hours-editor' },
      h('legend', null, legend || t('set.hours')),
      hint ? h('p', { class: 'hint hours-intro' }, hint) : null,
      this.enabled, tzField, h('datalist', { id: listId }, zones().map((z) => h('option', { value: z }))),
      h('fieldset', { class: 'hours-week' }, h('legend', null, t('set.hours.week')),
        h('p', { class: 'hint' }, t('set.hours.spanHint')), dayRows),
      h('fieldset', { class: 'hours-exc' }, h('legend', null, t('set.hours.exceptions')),
        h('p', { class: 'hint' }, t('set.hours.exceptionsHint')), this.exList, this.exAdd, this.exAdd.errLine),
      this.preview);
    this.el.addEventListener('input', () => this.changed());
    this.el.addEventListener('change', () => this.changed());
    this.refresh();
  }

  dayRow(day, i, spans) {
    const name = dayName(i);
    const nameId = uid('day');
    const list = this.spanList(spans, F + '.days.' + day, () => name, 'hours-add-span-' + day, t('set.hours.closedDay'));
    this.days[day] = list;
    const copy = day === 'mon' ? h('button', { type: 'button', class: 'link', 'data-write': '', testid: 'hours-copy-weekdays', onClick: () => this.copyWeekdays() }, t('set.hours.copyWeekdays')) : null;
    return h('div', { class: 'hours-day', role: 'group', 'aria-labelledby': nameId, testid: 'hours-day-' + day },
      h('span', { class: 'hours-dayname', id: nameId }, name), h('div', null, list.el, copy));
  }

  // spanList holds the spans of a weekday or an exception: base names them
  // for the server ("businessHours.days.mon"), what() says whose they are.
  spanList(spans, base, what, addTestid, emptyText) {
    const list = { base, what, ul: h('ul', { class: 'hours-spans' }), empty: h('p', { class: 'hint' }, emptyText) };
    list.add = h('button', { type: 'button', class: 'link', 'data-write': '', id: uid('add'), testid: addTestid,
      'aria-label': t('set.hours.addSpanOn', { what: what() }), onClick: () => this.addSpan(list) }, h('span', { 'aria-hidden': 'true' }, '+ '), t('set.hours.addSpan'));
    list.add.errLine = h('p', { class: 'field-error', id: list.add.id + '-err', hidden: true });
    for (const sp of spans || []) list.ul.appendChild(this.spanRow(list, sp));
    list.el = h('div', { class: 'hours-list' }, list.empty, list.ul, list.add, list.add.errLine);
    this.renumber(list);
    return list;
  }

  spanRow(list, sp = {}) {
    const from = h('input', { type: 'time', step: '60', value: sp.from || '', required: true, testid: 'hours-from', id: uid('t') });
    const to = h('input', { type: 'time', step: '60', value: toIn(sp.to), required: true, testid: 'hours-to', id: uid('t') });
    const note = h('span', { class: 'hours-note', id: uid('n') });
    const err = h('p', { class: 'field-error', id: from.id + '-err', hidden: true });
    const rm = h('button', { type: 'button', class: 'link', 'data-write': '', onClick: () => this.removeSpan(list, row) }, t('set.remove'));
    for (const el of [from, to]) { el.errLine = err; el.setAttribute('aria-describedby', note.id + ' ' + err.id); }
    const row = h('li', { class: 'hours-span' },
      h('label', null, h('span', null, t('set.hours.from')), from),
      h('label', null, h('span', null, t('set.hours.to')), to), note, rm, err);
    Object.assign(row, { from, to, note, rm });
    const describe = () => this.describe(list, row);
    from.addEventListener('input', describe);
    to.addEventListener('input', describe);
    describe();
    return row;
  }

  // describe names an overnight span as such, and the remove button.
  describe(list, row) {
    const a = minutes(row.from.value);
    const b = minutes(row.to.value);
    let s = '';
    if (a >= 0 && b === 0) s = t(a === 0 ? 'set.hours.allDay' : 'set.hours.untilMidnight');
    else if (a >= 0 && b >= 0 && b < a) s = t('set.hours.overnight', { to: row.to.value });
    row.note.textContent = s;
    row.rm.setAttribute('aria-label', t('set.hours.removeSpan', { what: list.what(), from: row.from.value || '…', to: row.to.value || '…' }));
  }

  rows(list) { return [...list.ul.children]; }

  renumber(list) {
    const rows = this.rows(list);
    rows.forEach((r, i) => r.from.setAttribute('data-field', `${list.base}[${i}]`));
    list.add.setAttribute('data-field', list.base);
    list.add.disabled = !this.canEdit || rows.length >= MAX_SPANS;
    list.empty.hidden = rows.length > 0;
  }

  addSpan(list) {
    const first = !this.rows(list).length;
    const row = this.spanRow(list, first ? { from: '09:00', to: '17:00' } : {});
    list.ul.appendChild(row);
    this.renumber(list);
    row.from.focus();
    this.changed();
  }

  removeSpan(list, row) {
    const rows = this.rows(list);
    const i = rows.indexOf(row);
    row.remove();
    this.renumber(list);
    const next = rows[i + 1] || rows[i - 1];
    (next ? next.from : list.add).focus();
    this.changed();
  }

  // copyWeekdays gives Tuesday to Friday Monday's spans.
  copyWeekdays() {
    const spans = this.spans(this.days.mon);
    for (const d of ['tue', 'wed', 'thu', 'fri']) {
      const list = this.days[d];
      replace(list.ul, spans.map((sp) => this.spanRow(list, sp)));
      this.renumber(list);
    }
    this.changed();
  }

  exceptionItem(ex = {}) {
    const date = h('input', { type: 'date', value: ex.date || '', required: true, testid: 'hours-exception-date', id: uid('d') });
    date.errLine = h('p', { class: 'field-error', id: date.id + '-err', hidden: true });
    date.setAttribute('aria-describedby', date.errLine.id);
    const closed = check(t('set.hours.closedAllDay'), !(ex.spans && ex.spans.length), { testid: 'hours-exception-closed' });
    closed.box.errLine = closed.querySelector('.field-error');
    const label = () => (date.value ? new Date(date.value + 'T12:00:00Z').toLocaleDateString(language(), { dateStyle: 'medium', timeZone: 'UTC' }) : '…');
    const list = this.spanList(ex.spans, '', label, 'hours-exception-add-span', t('set.hours.exceptionSpans'));
    const rm = h('button', { type: 'button', class: 'link', 'data-write': '', onClick: () => this.removeException(item) }, t('set.remove'));
    const item = h('li', { class: 'hours-exception', testid: 'hours-exception' },
      h('div', { class: 'set-row' }, h('label', { for: date.id }, t('set.hours.date')), date, closed, rm), date.errLine, list.el);
    Object.assign(item, { date, closed, list, rm });
    const sync = () => {
      list.el.hidden = closed.box.checked;
      rm.setAttribute('aria-label', t('set.hours.exceptionRemove', { date: label() }));
      list.add.setAttribute('aria-label', t('set.hours.addSpanOn', { what: label() }));
    };
    closed.box.addEventListener('change', sync);
    date.addEventListener('input', sync);
    sync();
    return item;
  }

  exItems() { return [...this.exList.children]; }

  renumberExceptions() {
    this.exItems().forEach((x, i) => {
      const base = `${F}.exceptions[${i}]`;
      x.date.setAttribute('data-field', base + '.date');
      x.closed.box.setAttribute('data-field', base + '.spans');
      x.list.base = base + '.spans';
      this.renumber(x.list);
    });
    this.exAdd.disabled = !this.canEdit || this.exItems().length >= MAX_EXCEPTIONS;
  }

  addException() {
    const item = this.exceptionItem({ closed: true });
    this.exList.appendChild(item);
    this.renumberExceptions();
    item.date.focus();
    this.changed();
  }

  removeException(item) {
    const items = this.exItems();
    const i = items.indexOf(item);
    item.remove();
    this.renumberExceptions();
    const next = items[i + 1] || items[i - 1];
    (next ? next.date : this.exAdd).focus();
    this.changed();
  }

  spans(list) {
    return this.rows(list).map((r) => ({ from: r.from.value, to: toOut(r.to.value) }));
  }

  // value is the businessHours to send: the whole object.
  value() {
    const days = {};
    for (const d of DAYS) days[d] = this.spans(this.days[d]);
    const tz = this.tz.value.trim();
    return {
      enabled: this.enabled.box.checked, timeZone: zone(tz) || tz, days,
      exceptions: this.exItems().map((x) => (x.closed.box.checked ? { date: x.date.value, closed: true } : { date: x.date.value, spans: this.spans(x.list) })),
    };
  }

  // problem finds what the server would refuse, by the same rules:
  // {el, msg, where}, or null.
  problem() {
    const tz = this.tz.value.trim();
    if ((tz || this.enabled.box.checked) && !zone(tz)) return { el: this.tz, msg: t('set.hours.tzBad') };
    for (const d of DAYS) {
      const p = this.spansProblem(this.days[d]);
      if (p) return p;
    }
    const dates = new Set();
    for (const x of this.exItems()) {
      const where = x.list.what();
      if (!x.date.value) return { el: x.date, msg: t('set.hours.dateBad'), where: t('set.hours.exceptions') };
      if (dates.has(x.date.value)) return { el: x.date, msg: t('set.hours.dateTwice'), where };
      dates.add(x.date.value);
      if (x.closed.box.checked) continue;
      if (!this.rows(x.list).length) return { el: x.closed.box, msg: t('set.hours.exceptionSpans'), where };
      const p = this.spansProblem(x.list);
      if (p) return p;
    }
    return null;
  }

  spansProblem(list) {
    const where = list.what();
    const ms = [];
    for (const [i, r] of this.rows(list).entries()) {
      const a = minutes(r.from.value);
      let b = minutes(toOut(r.to.value));
      if (a < 0 || a === 1440) return { el: r.from, msg: t('set.hours.timeBad'), where };
      if (b < 0) return { el: r.to, msg: t('set.hours.timeBad'), where };
      if (a === b) return { el: r.from, msg: t('set.hours.same'), where };
      if (b < a) b += 1440; // overnight
      ms.push({ a, b, i, r });
    }
    ms.sort((x, y) => x.a - y.a);
    for (let k = 1; k < ms.length; k++) {
      if (ms[k].a < ms[k - 1].b) {
        const later = ms[k].i > ms[k - 1].i ? ms[k] : ms[k - 1];
        return { el: later.r.from, msg: t('set.hours.overlap'), where };
      }
    }
    return null;
  }

  // validate marks and focuses the first problem; false if there is one.
  validate() {
    if (this.timer) this.refresh(); // the edit just made: check it now, not over the marks
    clearErrors(this.el);
    const p = this.problem();
    if (p) bad(p.el, p.msg, true);
    return !p;
  }

  changed() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), PREVIEW_DELAY);
  }

  // refresh asks the server what the schedule means now (the newest answer
  // wins). An edit clears the marks of earlier checks: the check runs again.
  async refresh() {
    clearTimeout(this.timer);
    this.timer = 0;
    const n = ++this.seq;
    const v = this.value();
    clearErrors(this.el);
    if (!v.enabled) return this.show(null, this.offNote);
    const p = this.problem();
    if (p) return this.show(null, t('set.hours.previewBad', { m: (p.where ? p.where + ': ' : '') + p.msg }));
    this.preview.setAttribute('aria-busy', 'true');
    try {
      const r = await api.post('/hours/preview', { businessHours: v });
      if (n === this.seq) this.show(r, '', v.timeZone);
    } catch (e) {
      if (n !== this.seq) return;
      const el = e.status === 400 && e.field ? findField(this.el, e.field) : null;
      if (el) bad(el, e.message, false);
      this.show(null, t('set.hours.previewBad', { m: e.status === 400 ? e.message : errorText(e) }));
    } finally {
      if (n === this.seq) this.preview.removeAttribute('aria-busy');
    }
  }

  // show draws the preview: r is the server's {open, transitions}, or null
  // with a note instead.
  show(r, note, tz) {
    const now = r ? t(r.open ? 'set.hours.nowOpen' : 'set.hours.nowClosed') : '';
    if (this.now.textContent !== now) this.now.textContent = now;
    this.now.hidden = !r;
    if (r) this.now.setAttribute('data-open', String(!!r.open));
    else this.now.removeAttribute('data-open');
    const list = r && Array.isArray(r.transitions) ? r.transitions : [];
    const text = r && !list.length ? t('set.hours.noChanges') : note;
    if (this.note.textContent !== text) this.note.textContent = text;
    this.tzNote.textContent = r ? t('set.hours.previewTz', { tz }) : '';
    const fmt = when(tz);
    replace(this.next, list.map((x) => h('li', { 'data-open': String(!!x.open), 'data-at': x.at },
      h('span', { class: 'hours-mark', 'aria-hidden': 'true' }, x.open ? '▲' : '▼'), ' ',
      h('time', { datetime: x.at }, t(x.open ? 'set.hours.opens' : 'set.hours.closes', { when: fmt(x.at) })))));
    this.next.hidden = !list.length;
  }
}
