// The Statistics view's controls: the period (today, the last 7 or 30
// days, or two chosen days, the last one included), the grouping of the
// series, and filters by line, channel, agent and group (the last two for
// supervisors and admins: an agent sees only their own figures). The
// browser's time zone is shown, and sent with the query.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { today, addDays, isYMD, timeZone } from './stats-format.js';

const PRESETS = [['today', 'stats.preset.today'], ['7', 'stats.preset.7'], ['30', 'stats.preset.30'], ['custom', 'stats.preset.custom']];
const GROUPINGS = ['day', 'week', 'month'];
const CHANNELS = ['livechat', 'telegram', 'email'];
export const STAFF = ['supervisor', 'admin'];

// The query's parameters and the form's controls that set them.
const CONTROL = { from: 'from', to: 'to', group: 'group', lineId: 'lineId', channel: 'channel', agentId: 'agentId', groupId: 'groupId' };

// fieldLabel names a query parameter as the form does.
export function fieldLabel(field) {
  switch (field) {
    case 'from': return t('stats.from');
    case 'to': return t('stats.toIncl');
    case 'tz': return t('stats.field.tz');
    case 'group': return t('stats.group');
    case 'lineId': return t('col.line');
    case 'channel': return t('col.channel');
    case 'agentId': return t('col.agent');
    case 'groupId': return t('stats.groupFilter');
    default: return field;
  }
}

function choice(name, label, opts, value, testid) {
  return h('label', null, label, h('select', { name, testid }, opts.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

export class StatsForm {
  // opts: me (agent), names (Directory), onSubmit(), errorId (the id of
  // the error message, for aria-describedby on a control in error)
  constructor({ me, names, onSubmit, errorId }) {
    Object.assign(this, { me, names, onSubmit, errorId });
    this.staff = STAFF.includes(me.role);
    this.groups = [];
    this.tz = timeZone();
    this.el = h('form', { class: 'filters stats-form', testid: 'stats-form', 'aria-label': t('stats.filters'),
      onSubmit: (e) => { e.preventDefault(); this.onSubmit(); } });
    this.draw({ period: '7', group: 'day', from: addDays(today(), -6), to: today() });
    if (this.staff) this.loadGroups();
  }

  async loadGroups() {
    try {
      const res = await api.get('/groups');
      this.groups = (res && res.items) || [];
    } catch { this.groups = []; }
    this.refresh();
  }

  // values are the controls' current values, to draw them again.
  values() {
    const f = new FormData(this.el);
    return Object.fromEntries([...f.entries()]);
  }

  // refresh draws the controls again (names of agents and lines may have
  // changed), keeping what the agent chose.
  refresh() { this.draw(this.values()); }

  draw(v) {
    const all = ['', t('table.any')];
    const custom = v.period === 'custom';
    const dates = h('span', { class: 'stats-dates', hidden: !custom },
      h('label', null, t('stats.from'), h('input', { type: 'date', name: 'from', value: v.from || '', testid: 'stats-from', required: custom })),
      h('label', null, t('stats.toIncl'), h('input', { type: 'date', name: 'to', value: v.to || '', testid: 'stats-to', required: custom })));
    const period = choice('period', t('stats.period'), PRESETS.map(([p, k]) => [p, t(k)]), v.period, 'stats-period');
    const periodSelect = period.querySelector('select');
    periodSelect.addEventListener('change', () => {
      const on = periodSelect.value === 'custom';
      dates.hidden = !on;
      for (const i of dates.querySelectorAll('input')) i.required = on;
      if (on) dates.querySelector('input').focus();
    });
    const lines = this.names.lines().map((l) => [l.id, l.name]);
    const agents = this.names.agents().map((a) => [a.id, a.name]);
    const groups = this.groups.map((g) => [g.id, g.name]);
    replace(this.el,
      period, dates,
      choice('group', t('stats.group'), GROUPINGS.map((g) => [g, t('stats.group.' + g)]), v.group || 'day', 'stats-group'),
      choice('lineId', t('col.line'), [all, ...lines], v.lineId || '', 'stats-line'),
      choice('channel', t('col.channel'), [all, ...CHANNELS.map((c) => [c, t('channel.' + c)])], v.channel || '', 'stats-channel'),
      this.staff ? choice('agentId', t('col.agent'), [all, ...agents], v.agentId || '', 'stats-agent') : null,
      this.staff && groups.length ? choice('groupId', t('stats.groupFilter'), [all, ...groups], v.groupId || '', 'stats-groupid') : null,
      h('button', { type: 'submit', class: 'primary', testid: 'stats-submit' }, t('stats.submit')),
      h('p', { class: 'stats-tz hint', testid: 'stats-tz' }, t('stats.tz', { tz: this.tz })));
  }

  // read gives the report's query parameters, or {error: {field, text}}
  // for a period the form can tell is wrong before asking the server.
  read() {
    this.clearInvalid();
    const v = this.values();
    let from; let to;
    const day = today();
    if (v.period === 'custom') {
      if (!isYMD(v.from)) return { error: { field: 'from', text: t('stats.err.noDates') } };
      if (!isYMD(v.to)) return { error: { field: 'to', text: t('stats.err.noDates') } };
      if (v.to < v.from) return { error: { field: 'to', text: t('stats.err.dates') } };
      from = v.from;
      to = addDays(v.to, 1); // the last day is included: the query's "to" is the day after
    } else {
      const back = { today: 0, 7: 6, 30: 29 }[v.period] ?? 6;
      from = addDays(day, -back);
      to = addDays(day, 1);
    }
    return { params: { from, to, tz: this.tz, group: v.group || 'day', lineId: v.lineId, channel: v.channel,
      agentId: this.staff ? v.agentId : '', groupId: this.staff ? v.groupId : '' } };
  }

  // markInvalid shows which control a query parameter in error belongs to.
  markInvalid(field) {
    const custom = this.el.elements.period.value === 'custom';
    const name = (field === 'from' || field === 'to') && !custom ? 'period' : CONTROL[field];
    const el = name && this.el.elements[name];
    if (!el || !el.setAttribute) return null;
    el.setAttribute('aria-invalid', 'true');
    if (this.errorId) el.setAttribute('aria-describedby', this.errorId);
    return el;
  }

  clearInvalid() {
    for (const el of this.el.querySelectorAll('[aria-invalid]')) {
      el.removeAttribute('aria-invalid');
      el.removeAttribute('aria-describedby');
    }
  }
}
