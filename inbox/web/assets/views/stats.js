// The Statistics tab (#/stats): a report of a period — conversations,
// times, ratings, agents' figures and presence, load — with the server's
// charts, a CSV of the series and a print layout. Supervisors and admins
// see everyone's figures and filter by agent and group; an agent sees
// their own (the server decides: scope "own").
import { api, query } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { dateText } from './format.js';
import { periodText } from './stats-format.js';
import { StatsForm, fieldLabel } from './stats-form.js';
import { summary, times, ratings, agents } from './stats-tables.js';
import { charts } from './stats-charts.js';

const ERROR_ID = 'stats-error';

export class StatsView {
  // opts: me (the signed-in agent), names (Directory: agents(), lines())
  constructor({ me, names }) {
    this.me = me;
    this.seq = 0; // the latest request; older answers are dropped
    this.loaded = false;
    this.form = new StatsForm({ me, names, errorId: ERROR_ID, onSubmit: () => this.load() });
    this.status = h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', testid: 'stats-status' });
    this.errorEl = h('p', { class: 'error stats-error', role: 'alert', testid: 'stats-error', id: ERROR_ID, hidden: true });
    this.body = h('div', { class: 'stats-body', 'aria-busy': 'false' });
    this.el = h('section', { class: 'stats-view', testid: 'stats', 'aria-label': t('stats.tab') },
      this.form.el, this.status, this.errorEl, this.body);
  }

  // show is called when the tab is opened: the pickers' names are drawn
  // again, and the first report is loaded.
  show() {
    this.form.refresh();
    if (!this.loaded) this.load();
  }

  async load() {
    const read = this.form.read();
    if (read.error) return this.fail(read.error.text, read.error.field);
    const qs = query(read.params);
    const seq = ++this.seq;
    this.errorEl.hidden = true;
    this.body.setAttribute('aria-busy', 'true');
    this.status.textContent = t('stats.loading');
    try {
      const r = await api.get('/stats' + qs);
      if (seq !== this.seq) return;
      this.loaded = true;
      this.render(r, qs);
      this.status.textContent = t('stats.loaded');
    } catch (e) {
      if (seq !== this.seq) return;
      this.loaded = true; // the agent sees why; they ask again with the form
      if (e.status === 401) { this.status.textContent = ''; return; }
      replace(this.body);
      this.fail(this.problem(e), e.status === 400 ? e.field : '');
    } finally {
      if (seq === this.seq) this.body.setAttribute('aria-busy', 'false');
    }
  }

  // problem is the sentence for a failed report: the server's message,
  // and the control it concerns.
  problem(e) {
    if (e.code === 'network') return t('err.network');
    if (e.status === 403) return t('stats.err.forbidden');
    if (e.status === 400 && e.field) return t('stats.err.field', { field: fieldLabel(e.field), m: e.message || e.code });
    return t('stats.err.other', { m: e.message || e.code });
  }

  fail(text, field) {
    this.status.textContent = '';
    this.errorEl.textContent = text;
    this.errorEl.hidden = false;
    const el = field ? this.form.markInvalid(field) : null;
    if (el && el.focus && !el.closest('[hidden]')) el.focus();
  }

  render(r, qs) {
    const empty = !(r.conversations && r.conversations.new);
    replace(this.body,
      h('header', { class: 'stats-head' },
        h('div', null,
          h('h2', { class: 'stats-title', testid: 'stats-heading' }, t('stats.heading', { period: periodText(r.from, r.to) })),
          h('p', { class: 'hint' }, t('stats.asOf', { when: dateText(r.generatedAt) }), ' · ', t('stats.tz', { tz: r.timeZone })),
          r.scope === 'own' ? h('p', { class: 'stats-own', testid: 'stats-own', role: 'note' }, t('stats.own')) : null),
        h('div', { class: 'stats-actions' },
          h('a', { class: 'button', href: '/api/v1/stats.csv' + qs, download: '', testid: 'stats-csv', title: t('stats.csvTitle') }, t('stats.csv')),
          h('a', { class: 'button', href: '/api/v1/stats/agents.csv' + qs, download: '', testid: 'stats-agents-csv', title: t('stats.agentsCsvTitle') }, t('stats.agentsCsv')),
          h('button', { type: 'button', testid: 'stats-print', onClick: () => window.print() }, t('stats.print')))),
      summary(r),
      empty ? null : h('div', { class: 'stats-pair' }, times(r), ratings(r)),
      agents(r),
      charts(r, qs, empty));
  }
}
