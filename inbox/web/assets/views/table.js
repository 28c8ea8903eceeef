// The conversation list ("Conversations" tab), the supervisor's table:
// filters, sortable columns the agent shows, hides and orders (kept on the
// server per agent, views/table-columns.js), paging, bulk and per-row
// close / spam / forward, and live updates from the agent websocket that
// keep the selection, the focus and the scroll position.
import { api, query } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, statusText, isActive } from './dom.js';
import { catalogue, cleanColumns, ColumnChooser, DATES, DEFAULT_COLUMNS } from './table-columns.js';
import { confirmDialog, historyDialog } from './table-dialogs.js';
import { problem } from './format.js';
import { ExportLinks } from './table-export.js';

const PAGE = 50;
const STATUSES = ['new', 'queued', 'accepted', 'waiting', 'waiting_again', 'answered', 'closing', 'closed', 'spam'];
const LIVE_EVENTS = new Set(['conversation.opened', 'conversation.updated', 'conversation.deleted', 'contact.changed']);
const LIVE_DELAY = 300; // events within this time are one background refresh
const SAVE_DELAY = 400;

function select(name, options, value, testid) {
  return h('select', { name, testid }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

export class ConversationTable {
  // opts: names ({agent, line, agents(), lines()}), onOpen(id), toast(text),
  // missed (MissedWatch: told what the list loads; optional)
  constructor({ names, onOpen, toast, missed }) {
    Object.assign(this, { names, onOpen, toast, missed });
    this.sort = '-number';
    this.offset = 0;
    this.selected = new Set();
    this.items = [];
    this.total = 0;
    this.loaded = false;
    this.visible = [...DEFAULT_COLUMNS];
    this.rows = new Map(); // conversation id → <tr>, for updates in place
    this.contacts = new Map(); // contact id → contact (null: unknown), for the CRM column
    this.seq = 0; // the latest list request; older answers are dropped
    this.chooser = new ColumnChooser((cols) => this.setColumns(cols));
    this.exporter = new ExportLinks(); // "Export CSV" / "Export Excel" of the filtered list (views/table-export.js)
    this.filtersEl = h('form', { class: 'filters', testid: 'table-filters', onSubmit: (e) => { e.preventDefault(); this.applyFilters(); } });
    this.bulkEl = h('div', { class: 'bulk', testid: 'bulk' });
    this.errorEl = h('p', { class: 'error', role: 'alert', testid: 'table-error', hidden: true });
    this.emptyEl = h('p', { class: 'table-empty', role: 'status', testid: 'table-empty', hidden: true }, t('tbl.empty'));
    this.thead = h('thead');
    this.tbody = h('tbody');
    this.tableEl = h('table', { class: 'conv-table', testid: 'conv-table' },
      h('caption', { class: 'visually-hidden' }, t('tab.conversations')), this.thead, this.tbody);
    this.scrollEl = h('div', { class: 'table-scroll', testid: 'table-scroll', role: 'region', tabindex: '0', 'aria-label': t('tab.conversations') }, this.tableEl);
    this.pager = h('div', { class: 'pager' });
    this.el = h('section', { class: 'table-view' }, this.filtersEl,
      h('div', { class: 'table-tools' }, this.bulkEl, h('div', { class: 'table-tools-end' }, this.exporter.el, this.chooser.el)),
      this.errorEl, this.scrollEl, this.emptyEl, this.pager);
    this.drawFilters();
    this.filters = this.readFilters();
    this.chooser.set(this.visible);
    this.prefs = this.loadPrefs();
  }

  // ---- column preferences, kept on the server ----

  async loadPrefs() {
    this.chooser.el.dataset.prefs = 'loading';
    try {
      const p = await api.get('/me/preferences');
      if (p && p.table) this.visible = cleanColumns(p.table.columns);
      this.chooser.el.dataset.prefs = 'saved';
    } catch (e) {
      this.chooser.el.dataset.prefs = 'error';
      if (e.status !== 401) this.showError(e);
    }
    this.chooser.set(this.visible);
  }

  setColumns(cols) {
    this.visible = cols;
    this.rows.clear();
    if (this.loaded) { this.draw(); this.loadContacts(); }
    clearTimeout(this.saveTimer);
    this.chooser.el.dataset.prefs = 'saving';
    this.saveTimer = setTimeout(() => this.savePrefs(), SAVE_DELAY);
  }

  async savePrefs() {
    const cols = [...this.visible];
    try {
      await api.put('/me/preferences', { table: { columns: cols } });
      if (cols.join() === this.visible.join()) this.chooser.el.dataset.prefs = 'saved';
    } catch (e) {
      this.chooser.el.dataset.prefs = 'error';
      this.toast(t('tbl.notSaved') + ' ' + problem(e));
    }
  }

  // ---- filters ----

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
      h('label', null, t('col.missed'), select('missed', [any, ['true', t('table.yes')], ['false', t('table.no')]], '', 'filter-missed')),
      h('label', null, t('col.clientRating'), select('clientRating', [any, ...[5, 4, 3, 2, 1].map((n) => [String(n), t('tbl.rating', { n })])])),
      h('label', null, t('table.dateColumn'), select('dateCol', DATES.map((d) => [d, t('col.' + d)]), 'created')),
      h('label', null, t('table.from'), h('input', { type: 'datetime-local', name: 'from' })),
      h('label', null, t('table.to'), h('input', { type: 'datetime-local', name: 'to' })),
      h('button', { type: 'submit', class: 'primary', testid: 'table-search' }, t('table.search')),
      h('button', { type: 'button', onClick: () => { this.drawFilters(); this.applyFilters(); } }, t('table.reset')));
  }

  // readFilters takes the form's filters; the list keeps them until the
  // agent searches again, so a live refresh never applies a half-typed one.
  readFilters() {
    const f = new FormData(this.filtersEl);
    const p = {};
    if (f.get('active')) p.active = true;
    for (const k of ['status', 'detailedStatus', 'line', 'channel', 'client', 'spam', 'missed', 'clientRating']) p[k] = f.get(k);
    if (f.get('agent') === '-') p.unassigned = true;
    else p.agent = f.get('agent');
    const col = f.get('dateCol');
    const iso = (v) => (v ? new Date(v).toISOString() : '');
    p[col + 'From'] = iso(f.get('from'));
    p[col + 'To'] = iso(f.get('to'));
    return p;
  }

  applyFilters() {
    this.filters = this.readFilters();
    this.offset = 0;
    this.load();
  }

  params() { return { ...this.filters, sort: this.sort, limit: PAGE, offset: this.offset }; }

  // ---- loading ----

  // load fetches the page and draws it anew; refresh fetches it in the
  // background and updates the rows in place.
  async load() { await this.fetch(false); }

  async refresh() { if (this.loaded && this.el.isConnected) await this.fetch(true); }

  async fetch(quiet) {
    const seq = ++this.seq;
    this.exporter.update(this.filters, this.sort);
    await this.prefs;
    try {
      const list = await api.get('/conversations' + query(this.params()));
      if (seq !== this.seq) return;
      if (this.missed) this.missed.seen(list.items);
      this.items = list.items;
      this.total = list.total;
      this.loaded = true;
      this.errorEl.hidden = true;
      this.selected = new Set([...this.selected].filter((id) => this.items.some((c) => c.id === id && isActive(c))));
      if (!quiet) this.rows.clear();
      this.draw();
      this.loadContacts();
    } catch (e) {
      if (seq === this.seq && e.status !== 401) this.showError(e);
    }
  }

  showError(e) {
    this.errorEl.textContent = problem(e);
    this.errorEl.hidden = false;
  }

  // onEvent hears the agent websocket's events: a changed row is updated
  // at once, then the page is fetched again (new rows, rows that no longer
  // match the filters), several events at a time.
  onEvent(ev) {
    if (!LIVE_EVENTS.has(ev.type)) return;
    if (ev.type === 'contact.changed') this.contacts.delete(ev.subjectId);
    if (!this.loaded || !this.el.isConnected) return; // loaded again when shown
    const c = ev.conversation;
    const i = c ? this.items.findIndex((x) => x.id === c.id) : -1;
    if (i >= 0 && (c.version || 0) >= (this.items[i].version || 0)) {
      this.items[i] = c;
      if (!isActive(c)) this.selected.delete(c.id);
      this.drawRows();
    }
    if (!this.liveTimer) this.liveTimer = setTimeout(() => { this.liveTimer = 0; this.refresh(); }, LIVE_DELAY);
  }

  // loadContacts fetches the contacts of the page for the CRM column.
  async loadContacts() {
    if (!this.visible.includes('crm')) return;
    const ids = [...new Set(this.items.map((c) => c.contactId))].filter((id) => id && !this.contacts.has(id));
    if (!ids.length) return;
    await Promise.all(ids.map((id) => api.get('/contacts/' + encodeURIComponent(id))
      .then((ct) => this.contacts.set(id, ct), () => this.contacts.set(id, null))));
    this.rows.clear();
    this.drawRows();
  }

  // ---- drawing ----

  shown() {
    const cat = catalogue();
    return this.visible.map((k) => cat.find((c) => c.key === k)).filter(Boolean);
  }

  draw() {
    const head = this.visible.join() + '|' + this.sort;
    if (head !== this.headSig || !this.rows.size) this.drawHead();
    this.headSig = head;
    this.drawRows();
    this.drawPager();
  }

  drawHead() {
    const all = h('input', { type: 'checkbox', testid: 'select-all', 'aria-label': t('table.selectAll'), title: t('table.selectAll'),
      onChange: (e) => {
        for (const c of this.items.filter(isActive)) (e.target.checked ? this.selected.add(c.id) : this.selected.delete(c.id));
        this.syncSelection();
      } });
    this.allBox = all;
    const cols = this.shown();
    replace(this.thead, h('tr', null,
      h('th', { scope: 'col', class: 'sel' }, all),
      cols.map((c, i) => this.header(c, i === 0))));
  }

  header(col, first) {
    const dir = this.sort === col.key ? 'ascending' : this.sort === '-' + col.key ? 'descending' : 'none';
    const cls = [col.kind, first && 'first'];
    if (!col.sortable) return h('th', { scope: 'col', class: cls, 'data-col': col.key }, col.label);
    return h('th', { scope: 'col', 'aria-sort': dir, class: cls, 'data-col': col.key },
      h('button', { type: 'button', class: 'sort', 'data-sort': col.key, onClick: () => {
        this.sort = dir === 'descending' ? col.key : '-' + col.key;
        this.offset = 0;
        this.load();
      } }, col.label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, { ascending: '▲', descending: '▼', none: '↕' }[dir])));
  }

  // drawRows brings the body in line with the items, keeping the rows that
  // did not change (and the focus in them), so a live update does not
  // disturb the agent.
  drawRows() {
    const focus = document.activeElement;
    const focusRow = focus && focus.closest && this.tbody.contains(focus) ? focus.closest('tr') : null;
    const focusKey = focusRow && focus.getAttribute('data-testid');
    const cols = this.shown();
    const next = new Map();
    this.items.forEach((c, i) => {
      const sig = JSON.stringify(c);
      let tr = this.rows.get(c.id);
      if (!tr || tr.dataset.sig !== sig) tr = this.row(c, cols, sig);
      next.set(c.id, tr);
      const at = this.tbody.children[i];
      if (at !== tr) this.tbody.insertBefore(tr, at || null);
    });
    while (this.tbody.children.length > this.items.length) this.tbody.lastChild.remove();
    this.rows = next;
    if (focusRow && !focusRow.isConnected && focusKey) {
      const again = next.get(focusRow.dataset.id);
      const el = again && again.querySelector(`[data-testid="${focusKey}"]`);
      if (el) el.focus();
    }
    this.syncSelection();
    this.emptyEl.hidden = this.items.length > 0;
  }

  row(c, cols, sig) {
    const ctx = {
      names: this.names, contacts: this.contacts, isActive,
      open: (x) => this.onOpen(x.id), history: (x) => historyDialog(x),
      close: (x) => this.act([x.id], 'close'), spam: (x) => this.act([x.id], 'spam'),
    };
    const tr = h('tr', { class: ['row', isActive(c) ? 'active' : 'inactive'], 'data-id': c.id, testid: 'conv-row' },
      h('td', { class: 'sel' }, h('input', { type: 'checkbox', testid: 'row-select', 'aria-label': t('tbl.select', { n: c.number }),
        disabled: !isActive(c), checked: this.selected.has(c.id),
        onChange: (e) => { if (e.target.checked) this.selected.add(c.id); else this.selected.delete(c.id); this.syncSelection(); } })),
      cols.map((col, i) => h(i === 0 ? 'th' : 'td', { class: [col.kind, i === 0 && 'first'], scope: i === 0 ? 'row' : null, 'data-col': col.key },
        col.cell(c, ctx))));
    tr.dataset.sig = sig;
    return tr;
  }

  // syncSelection shows the selection: row checkboxes, "select all", bulk bar.
  syncSelection() {
    for (const [id, tr] of this.rows) {
      const box = tr.querySelector('[data-testid="row-select"]');
      if (box) box.checked = this.selected.has(id);
      tr.classList.toggle('selected', this.selected.has(id));
    }
    const active = this.items.filter(isActive);
    const n = active.filter((c) => this.selected.has(c.id)).length;
    if (this.allBox) {
      this.allBox.disabled = !active.length;
      this.allBox.checked = active.length > 0 && n === active.length;
      this.allBox.indeterminate = n > 0 && n < active.length;
    }
    this.drawBulk();
  }

  drawPager() {
    const from = this.total ? this.offset + 1 : 0;
    replace(this.pager,
      h('button', { type: 'button', disabled: this.offset === 0, onClick: () => { this.offset = Math.max(0, this.offset - PAGE); this.load(); } }, t('table.prev')),
      h('span', { testid: 'table-rows' }, t('table.rows', { from, to: this.offset + this.items.length, total: this.total })),
      h('button', { type: 'button', disabled: this.offset + this.items.length >= this.total, onClick: () => { this.offset += PAGE; this.load(); } }, t('table.next')));
  }

  // drawBulk shows the bulk bar, built once so that a live update keeps
  // the agent's choice of action and the focus.
  drawBulk() {
    const n = this.selected.size;
    if (!this.bulkParts) {
      const action = select('action', [['', t('bulk.choose')], ['close', t('bulk.close')], ['spam', t('bulk.spam')], ['forward', t('bulk.forward')]]);
      action.setAttribute('aria-label', t('bulk.action'));
      action.setAttribute('data-testid', 'bulk-action');
      const target = h('select', { name: 'target', hidden: true, 'aria-label': t('bulk.target'), testid: 'bulk-target' });
      action.addEventListener('change', () => {
        target.hidden = action.value !== 'forward';
        if (target.hidden) return;
        replace(target,
          h('optgroup', { label: t('bulk.toAgent') }, this.names.agents().filter((a) => !a.disabled).map((a) => h('option', { value: 'agent:' + a.id }, a.name))),
          h('optgroup', { label: t('bulk.toLine') }, this.names.lines().map((l) => h('option', { value: 'line:' + l.id }, l.name))));
      });
      const count = h('span', { class: 'selected-count', testid: 'selected-count', 'aria-live': 'polite' });
      const apply = h('button', { type: 'button', testid: 'bulk-apply', onClick: () => this.bulk(action.value, target.value) }, t('bulk.apply'));
      this.bulkParts = { count, apply };
      replace(this.bulkEl, count, action, target, apply);
    }
    this.bulkParts.count.textContent = t('bulk.selected', { n });
    this.bulkParts.apply.disabled = !n;
  }

  // ---- actions ----

  async bulk(action, target) {
    const ids = [...this.selected];
    if (!action || !ids.length) return;
    if (action !== 'forward') return this.act(ids, action);
    const [kind, id] = target.split(':');
    await this.send(ids, 'forward', kind === 'agent' ? { agentId: id } : { lineId: id });
  }

  // act closes or marks as spam after the agent confirmed it.
  async act(ids, action) {
    const n = ids.length;
    const spam = action === 'spam';
    const ok = await confirmDialog(spam
      ? { title: t('tbl.confirmSpamTitle', { n }), text: t('tbl.confirmSpamText', { n }), ok: t('tbl.confirmSpamOk', { n }) }
      : { title: t('tbl.confirmCloseTitle', { n }), text: t('tbl.confirmCloseText', { n }), ok: t('tbl.confirmCloseOk', { n }) });
    if (ok) await this.send(ids, action);
  }

  async send(ids, action, target) {
    try {
      const res = await api.post('/conversations/bulk', target ? { ids, action, target } : { ids, action });
      const done = res.results.filter((r) => r.ok).length;
      this.toast(t('bulk.result', { ok: done, failed: res.results.length - done }));
      for (const id of ids) this.selected.delete(id);
      await this.refresh();
    } catch (e) {
      this.toast(problem(e));
    }
  }
}
