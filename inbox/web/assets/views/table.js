// The conversation list ("Conversations" tab): filters, sortable and
// selectable columns, paging, and bulk close / spam / forward on selected
// active conversations.
import { api, query } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtDateTime, fmtDuration, statusText, isActive, errorText } from './dom.js';

const PAGE = 50;
const STATUSES = ['new', 'queued', 'accepted', 'waiting', 'waiting_again', 'answered', 'closing', 'closed', 'spam'];
const DATES = ['created', 'queued', 'answered', 'accepted', 'lastMessage', 'closedByAgent', 'closed', 'modified'];
const TIMINGS = ['waitingForAnswer', 'timeToAccept', 'timeToCloseByAgent', 'duration', 'firstReaction', 'chatBot', 'responseTotal', 'responseAverage', 'responseMax'];
const DEFAULT_COLUMNS = ['number', 'line', 'status', 'detailedStatus', 'channel', 'client', 'agent', 'created', 'lastMessage', 'waitingForAnswer', 'firstReaction'];
const COLUMNS_KEY = 'sb.table.columns';

function columns(names) {
  const yesNo = (b) => t(b ? 'table.yes' : 'table.no');
  const cols = [
    ['number', (c) => String(c.number)],
    ['line', (c) => names.line(c.lineId)],
    ['type', (c) => t('type.' + c.type)],
    ['status', (c) => t('general.' + c.general)],
    ['detailedStatus', (c) => statusText(c.status)],
    ['spam', (c) => yesNo(c.spam)],
    ['channel', (c) => t('channel.' + c.channel)],
    ['client', (c) => c.contactName || '—'],
    ['agent', (c) => (c.agentId ? names.agent(c.agentId) : '—')],
    ...DATES.map((d) => [d, (c) => fmtDateTime(c.dates && c.dates[d]), 'date']),
    ...TIMINGS.map((k) => [k, (c) => fmtDuration(c.timings ? c.timings[k + 'Ms'] : null), 'timing']),
  ];
  return cols.map(([key, get, kind]) => ({ key, get, kind: kind || '', label: t('col.' + key) }));
}

function select(name, options, value) {
  return h('select', { name }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

export class ConversationTable {
  // opts: names ({agent, line, agents(), lines()}), onOpen(id), toast(text)
  constructor({ names, onOpen, toast }) {
    Object.assign(this, { names, onOpen, toast });
    this.sort = '-number';
    this.offset = 0;
    this.selected = new Set();
    this.items = [];
    this.total = 0;
    try { this.visible = JSON.parse(localStorage.getItem(COLUMNS_KEY)) || DEFAULT_COLUMNS; } catch { this.visible = DEFAULT_COLUMNS; }
    this.filtersEl = h('form', { class: 'filters', onSubmit: (e) => { e.preventDefault(); this.offset = 0; this.load(); } });
    this.chooser = h('details', { class: 'columns' });
    this.bulkEl = h('div', { class: 'bulk' });
    this.tableEl = h('table', { class: 'conv-table', testid: 'conv-table' });
    this.pager = h('div', { class: 'pager' });
    this.el = h('section', { class: 'table-view' }, this.filtersEl, h('div', { class: 'table-tools' }, this.bulkEl, this.chooser),
      h('div', { class: 'table-scroll' }, this.tableEl), this.pager);
    this.drawFilters();
  }

  drawFilters() {
    const any = ['', t('table.any')];
    const agents = this.names.agents().map((a) => [a.id, a.name]);
    const lines = this.names.lines().map((l) => [l.id, l.name]);
    replace(this.filtersEl,
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'active', checked: true }), t('table.active')),
      h('label', null, t('col.status'), select('status', [any, ...['waiting', 'answered', 'closed'].map((g) => [g, t('general.' + g)])])),
      h('label', null, t('col.detailedStatus'), select('detailedStatus', [any, ...STATUSES.map((s) => [s, statusText(s)])])),
      h('label', null, t('col.agent'), select('agent', [any, ['-', t('conv.unassigned')], ...agents])),
      h('label', null, t('col.line'), select('line', [any, ...lines])),
      h('label', null, t('col.channel'), select('channel', [any, ...['livechat', 'telegram', 'email'].map((c) => [c, t('channel.' + c)])])),
      h('label', null, t('col.client'), h('input', { type: 'search', name: 'client' })),
      h('label', null, t('col.spam'), select('spam', [any, ['true', t('table.yes')], ['false', t('table.no')]])),
      h('label', null, t('table.dateColumn'), select('dateCol', DATES.map((d) => [d, t('col.' + d)]), 'created')),
      h('label', null, t('table.from'), h('input', { type: 'datetime-local', name: 'from' })),
      h('label', null, t('table.to'), h('input', { type: 'datetime-local', name: 'to' })),
      h('button', { type: 'submit', class: 'primary' }, t('table.search')),
      h('button', { type: 'button', onClick: () => { this.drawFilters(); this.offset = 0; this.load(); } }, t('table.reset')));
  }

  params() {
    const f = new FormData(this.filtersEl);
    const p = { sort: this.sort, limit: PAGE, offset: this.offset };
    if (f.get('active')) p.active = true;
    for (const k of ['status', 'detailedStatus', 'line', 'channel', 'client', 'spam']) p[k] = f.get(k);
    if (f.get('agent') === '-') p.unassigned = true;
    else p.agent = f.get('agent');
    const col = f.get('dateCol');
    const iso = (v) => (v ? new Date(v).toISOString() : '');
    p[col + 'From'] = iso(f.get('from'));
    p[col + 'To'] = iso(f.get('to'));
    return p;
  }

  async load() {
    try {
      const list = await api.get('/conversations' + query(this.params()));
      this.items = list.items;
      this.total = list.total;
      this.selected = new Set([...this.selected].filter((id) => this.items.some((c) => c.id === id && isActive(c))));
      this.draw();
    } catch (e) {
      this.toast(errorText(e));
    }
  }

  draw() {
    const cols = columns(this.names);
    const shown = cols.filter((c) => this.visible.includes(c.key));
    this.drawChooser(cols);
    this.drawBulk();
    const activeIds = this.items.filter(isActive).map((c) => c.id);
    const all = h('input', { type: 'checkbox', 'aria-label': t('table.selectAll'), title: t('table.selectAll'),
      checked: activeIds.length > 0 && activeIds.every((id) => this.selected.has(id)), disabled: !activeIds.length,
      onChange: (e) => { activeIds.forEach((id) => (e.target.checked ? this.selected.add(id) : this.selected.delete(id))); this.draw(); } });
    const head = h('tr', null, h('th', null, all), shown.map((c) => this.header(c)), h('th', null, t('col.actions')));
    const rows = this.items.map((c) => h('tr', { class: ['row', isActive(c) ? 'active' : 'inactive'], 'data-id': c.id, testid: 'conv-row' },
      h('td', null, h('input', { type: 'checkbox', 'aria-label': t('conv.number', { n: c.number }), disabled: !isActive(c),
        checked: this.selected.has(c.id),
        onChange: (e) => { if (e.target.checked) this.selected.add(c.id); else this.selected.delete(c.id); this.drawBulk(); } })),
      shown.map((col) => h('td', { class: col.kind }, col.get(c))),
      h('td', null, h('button', { type: 'button', class: 'link', onClick: () => this.onOpen(c.id) }, t('table.open')))));
    replace(this.tableEl, h('thead', null, head), h('tbody', null, rows));
    const from = this.total ? this.offset + 1 : 0;
    replace(this.pager,
      h('button', { type: 'button', disabled: this.offset === 0, onClick: () => { this.offset = Math.max(0, this.offset - PAGE); this.load(); } }, t('table.prev')),
      h('span', null, t('table.rows', { from, to: this.offset + this.items.length, total: this.total })),
      h('button', { type: 'button', disabled: this.offset + this.items.length >= this.total, onClick: () => { this.offset += PAGE; this.load(); } }, t('table.next')));
  }

  header(col) {
    const dir = this.sort === col.key ? 'ascending' : this.sort === '-' + col.key ? 'descending' : 'none';
    const arrow = { ascending: ' ▲', descending: ' ▼', none: '' }[dir];
    return h('th', { 'aria-sort': dir, class: col.kind },
      h('button', { type: 'button', class: 'sort', 'data-sort': col.key, onClick: () => {
        this.sort = dir === 'descending' ? col.key : '-' + col.key;
        this.offset = 0;
        this.load();
      } }, col.label, arrow));
  }

  drawChooser(cols) {
    const open = this.chooser.open;
    replace(this.chooser, h('summary', null, t('table.columns')),
      h('div', { class: 'column-list' }, cols.map((c) => h('label', { class: 'check' },
        h('input', { type: 'checkbox', checked: this.visible.includes(c.key), onChange: (e) => {
          this.visible = e.target.checked ? [...this.visible, c.key] : this.visible.filter((k) => k !== c.key);
          this.visible = cols.map((x) => x.key).filter((k) => this.visible.includes(k));
          try { localStorage.setItem(COLUMNS_KEY, JSON.stringify(this.visible)); } catch { /* ignore */ }
          this.draw();
        } }), c.label))));
    this.chooser.open = open;
  }

  drawBulk() {
    const n = this.selected.size;
    const action = select('action', [['', t('bulk.choose')], ['close', t('bulk.close')], ['spam', t('bulk.spam')], ['forward', t('bulk.forward')]]);
    action.setAttribute('aria-label', t('bulk.action'));
    const target = h('select', { name: 'target', hidden: true, 'aria-label': t('bulk.target') },
      h('optgroup', { label: t('bulk.toAgent') }, this.names.agents().filter((a) => !a.disabled).map((a) => h('option', { value: 'agent:' + a.id }, a.name))),
      h('optgroup', { label: t('bulk.toLine') }, this.names.lines().map((l) => h('option', { value: 'line:' + l.id }, l.name))));
    action.addEventListener('change', () => { target.hidden = action.value !== 'forward'; });
    const apply = h('button', { type: 'button', disabled: !n, onClick: () => this.bulk(action.value, target.value) }, t('bulk.apply'));
    replace(this.bulkEl, h('span', { class: 'selected-count' }, t('bulk.selected', { n })), action, target, apply);
  }

  async bulk(action, target) {
    if (!action || !this.selected.size) return;
    const body = { ids: [...this.selected], action };
    if (action === 'forward') {
      const [kind, id] = target.split(':');
      body.target = kind === 'agent' ? { agentId: id } : { lineId: id };
    }
    try {
      const res = await api.post('/conversations/bulk', body);
      const ok = res.results.filter((r) => r.ok).length;
      this.toast(t('bulk.result', { ok, failed: res.results.length - ok }));
      this.selected.clear();
      await this.load();
    } catch (e) {
      this.toast(errorText(e));
    }
  }
}
