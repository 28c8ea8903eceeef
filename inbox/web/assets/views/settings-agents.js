// Settings › Agents: who works here, their presence and load; admins
// create and edit agents, reset passwords and disable accounts (which
// signs them out everywhere).
import { api } from '../api.js';
import { t, languages, languageNames } from '../i18n.js';
import { h, replace, errorText } from './dom.js';
import { field, check, input, options, clearErrors, fieldError, showError, formError, statusLine, flash, lock, busy } from './settings-form.js';
import { HoursEditor, presenceField } from './settings-hours.js';

const ROLES = ['agent', 'supervisor', 'admin'];

export class AgentsPage {
  // opts: me, canEdit, toast(text), go(hash)
  constructor(opts) {
    Object.assign(this, opts);
    this.el = h('section', { class: 'set-page', testid: 'settings-agents' });
  }

  async show(sub) {
    replace(this.el, h('p', { class: 'loading' }, '…'));
    try {
      const [agents, groups, loads] = await Promise.all([api.get('/agents'), api.get('/groups'), api.get('/agent-loads')]);
      Object.assign(this, { agents: agents.items, groups: groups.items, loads: loads.active || {} });
    } catch (e) {
      return replace(this.el, h('p', { class: 'error', role: 'alert' }, errorText(e)));
    }
    if (sub === 'new' && this.canEdit) return this.edit(null);
    const ag = sub && this.agents.find((a) => a.id === sub);
    if (ag) return this.edit(ag);
    this.list();
  }

  list() {
    const groupName = (id) => (this.groups.find((g) => g.id === id) || {}).name || '—';
    const rows = this.agents.map((a) => h('tr', { testid: 'agent-row', class: a.disabled ? 'inactive' : '' },
      h('td', null, h('a', { href: '#/settings/agents/' + a.id }, a.name)),
      h('td', null, a.email),
      h('td', null, t('set.role.' + a.role)),
      h('td', null, h('span', { class: ['presence-dot', 'p-' + a.presence], 'aria-hidden': 'true' }), ' ', a.disabled ? t('set.agents.disabled') : t('presence.' + a.presence),
        a.presenceMode === 'hours' ? h('span', { class: 'hint', testid: 'agent-presence-auto' }, ' · ' + t('set.presence.auto')) : null),
      h('td', { class: 'num', testid: 'agent-load' }, String(this.loads[a.id] || 0)),
      h('td', { class: 'num' }, a.maxChats ? String(a.maxChats) : '∞'),
      h('td', null, a.groupIds.map(groupName).join(', ') || '—')));
    replace(this.el,
      h('div', { class: 'set-title' }, h('h2', null, t('set.agents')),
        this.canEdit ? h('a', { class: 'button primary', href: '#/settings/agents/new', testid: 'agent-new' }, t('set.agents.new')) : null),
      h('table', { class: 'set-table' },
        h('thead', null, h('tr', null, [t('set.name'), t('set.email'), t('set.role'), t('presence.label'), t('set.agents.active'), t('set.agents.maxChats'), t('set.groups')]
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows)));
  }

  edit(ag) {
    const self = ag && ag.id === this.me.id;
    const name = input('text', ag ? ag.name : '', { required: true, maxlength: '200', testid: 'agent-name' });
    const email = input('email', ag ? ag.email : '', { required: true, autocomplete: 'off', testid: 'agent-email' });
    const pw = input('password', '', { autocomplete: 'new-password', minlength: '8', testid: 'agent-password' });
    const role = h('select', { 'aria-label': t('set.role'), 'data-field': 'role', testid: 'agent-role' }, options(ROLES.map((r) => [r, t('set.role.' + r)]), ag ? ag.role : 'agent'));
    const lang = h('select', { 'aria-label': t('lang.label'), 'data-field': 'language', testid: 'agent-language' }, options(languages.map((l) => [l, languageNames[l]]), ag ? ag.language : 'en'));
    const max = input('number', ag ? ag.maxChats : 0, { min: '0', max: '100', step: '1', testid: 'agent-max' });
    const boxes = this.groups.map((g) => [g.id, check(g.name, ag && ag.groupIds.includes(g.id))]);
    const mode = presenceField(ag && ag.presenceMode);
    const hours = new HoursEditor(ag && ag.businessHours, {
      legend: t('set.hours.own'), enabledLabel: t('set.hours.ownEnabled'),
      hint: t('set.hours.followLinesAgent'), offNote: t('set.hours.offOwn'), canEdit: this.canEdit,
    });
    const errorEl = formError();
    const saved = statusLine('agent-saved');
    const form = h('form', { class: 'set-editor', novalidate: '', testid: 'agent-editor', onSubmit: (e) => { e.preventDefault(); save(); } },
      h('h3', null, ag ? t('set.agents.edit', { name: ag.name }) : t('set.agents.new')),
      field(t('set.name'), name, { name: 'name' }),
      field(t('set.email'), email, { name: 'email' }),
      ag ? null : field(t('set.password'), pw, { name: 'password', hint: t('set.password.rule') }),
      field(t('set.role'), role),
      field(t('lang.label'), lang),
      field(t('set.agents.maxChats'), max, { name: 'maxChats', hint: t('set.agents.maxHint') }),
      h('fieldset', { class: 'set-group', 'data-field': 'groupIds', tabindex: '-1', id: 'set-agent-groups' }, h('legend', null, t('set.groups')),
        boxes.length ? boxes.map(([, c]) => c) : h('p', { class: 'hint' }, t('set.none'))),
      h('p', { class: 'field-error', id: 'set-agent-groups-err', hidden: true }),
      mode, hours.el,
      errorEl,
      h('div', { class: 'set-actions' },
        this.canEdit ? h('button', { type: 'submit', class: 'primary', testid: 'agent-save' }, t('set.save')) : null,
        h('button', { type: 'button', onClick: () => this.go('#/settings/agents') }, t('set.back')), saved));
    if (self) role.disabled = true;

    const save = () => {
      clearErrors(form);
      const m = Number(max.value);
      if (!name.value.trim()) return fieldError(name, t('set.required'));
      if (!email.value.trim()) return fieldError(email, t('set.required'));
      if (!ag && pw.value.length < 8) return fieldError(pw, t('set.password.rule'));
      if (!Number.isInteger(m) || m < 0 || m > 100) return fieldError(max, t('set.agents.maxHint'));
      if (!hours.validate()) return;
      const body = { name: name.value.trim(), email: email.value.trim(), language: lang.value, maxChats: m,
        groupIds: boxes.filter(([, c]) => c.box.checked).map(([id]) => id),
        presenceMode: mode.select.value, businessHours: hours.value() };
      if (!self) body.role = role.value;
      if (!ag) body.password = pw.value;
      return busy(form.querySelector('[type=submit]'), async () => {
        try {
          const r = ag ? await api.patch('/agents/' + ag.id, body) : await api.post('/agents', body);
          this.toast(t('set.saved'));
          if (!ag) this.go('#/settings/agents/' + r.id);
          else flash(saved, t('set.saved'));
        } catch (e) { showError(form, e); }
      });
    };
    const parts = [form];
    if (ag && this.canEdit) parts.push(this.resetPassword(ag), self ? null : this.disable(ag));
    replace(this.el, ...parts);
    if (!this.canEdit) lock(this.el);
  }

  // resetPassword lets an admin set a new password; the agent's sessions end.
  resetPassword(ag) {
    const pw = input('password', '', { autocomplete: 'new-password', testid: 'agent-reset-password' });
    const note = statusLine('agent-reset-done');
    const form = h('form', { class: 'set-editor', novalidate: '', onSubmit: (e) => {
      e.preventDefault();
      clearErrors(form);
      if (pw.value.length < 8) return fieldError(pw, t('set.password.rule'));
      busy(form.querySelector('button'), async () => {
        try {
          await api.patch('/agents/' + ag.id, { password: pw.value });
          pw.value = '';
          flash(note, t('set.agents.resetDone'));
        } catch (err) { showError(form, err); }
      });
    } },
    h('h3', null, t('set.agents.reset')),
    h('p', { class: 'hint' }, t('set.agents.resetHint')),
    field(t('set.password.new'), pw, { name: 'password', hint: t('set.password.rule') }),
    formError(),
    h('div', { class: 'set-actions' }, h('button', { type: 'submit', testid: 'agent-reset' }, t('set.agents.reset')), note));
    return form;
  }

  // disable turns an account off (signing it out) or on again.
  disable(ag) {
    const note = statusLine();
    const b = h('button', { type: 'button', class: ag.disabled ? '' : 'danger', testid: 'agent-disable', onClick: () => busy(b, async () => {
      if (!ag.disabled && !window.confirm(t('set.agents.disableConfirm', { name: ag.name }))) return;
      try {
        const r = await api.patch('/agents/' + ag.id, { disabled: !ag.disabled });
        this.toast(t(r.disabled ? 'set.agents.disabledNow' : 'set.agents.enabledNow', { name: r.name }));
        this.show(ag.id);
      } catch (e) { flash(note, errorText(e)); }
    }) }, t(ag.disabled ? 'set.agents.enable' : 'set.agents.disable'));
    return h('section', { class: 'set-editor' }, h('h3', null, t('set.agents.account')),
      h('p', { class: 'hint' }, t(ag.disabled ? 'set.agents.isDisabled' : 'set.agents.disableHint')), b, note);
  }
}
