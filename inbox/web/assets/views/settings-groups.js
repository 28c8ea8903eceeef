// Settings › Groups: create, rename, delete, and choose members.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, errorText } from './dom.js';
import { field, check, input, clearErrors, fieldError, showError, formError, statusLine, flash, lock, busy } from './settings-form.js';

export class GroupsPage {
  // opts: canEdit, toast(text)
  constructor(opts) {
    Object.assign(this, opts);
    this.el = h('section', { class: 'set-page', testid: 'settings-groups' });
  }

  async show() {
    replace(this.el, h('p', { class: 'loading' }, '…'));
    try {
      const [groups, agents] = await Promise.all([api.get('/groups'), api.get('/agents')]);
      this.groups = groups.items;
      this.agents = agents.items;
    } catch (e) {
      return replace(this.el, h('p', { class: 'error', role: 'alert' }, errorText(e)));
    }
    const name = input('text', '', { required: true, maxlength: '200', testid: 'group-new-name' });
    const create = h('form', { class: 'set-editor set-inline', novalidate: '', onSubmit: (e) => {
      e.preventDefault();
      clearErrors(create);
      if (!name.value.trim()) return fieldError(name, t('set.required'));
      busy(create.querySelector('button'), async () => {
        try {
          await api.post('/groups', { name: name.value.trim() });
          this.toast(t('set.saved'));
          this.show();
        } catch (err) { showError(create, err); }
      });
    } }, field(t('set.groups.newName'), name, { name: 'name' }), formError(),
    h('button', { type: 'submit', class: 'primary', testid: 'group-create' }, t('set.groups.create')));
    replace(this.el, h('div', { class: 'set-title' }, h('h2', null, t('set.groups'))),
      this.canEdit ? create : null,
      this.groups.length ? this.groups.map((g) => this.group(g)) : h('p', { class: 'hint' }, t('set.groups.empty')));
    if (!this.canEdit) lock(this.el);
  }

  group(g) {
    const name = input('text', g.name, { required: true, maxlength: '200', testid: 'group-name' });
    const boxes = this.agents.map((a) => [a.id, check(a.name, a.groupIds.includes(g.id), { testid: 'group-member-' + a.id })]);
    const note = statusLine();
    const form = h('form', { class: 'set-editor', novalidate: '', testid: 'group-editor', onSubmit: (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!name.value.trim()) return fieldError(name, t('set.required'));
      busy(form.querySelector('[type=submit]'), async () => {
        try {
          // Members first: a refused member list leaves the name as it was too.
          await api.put('/groups/' + g.id + '/members', { agentIds: boxes.filter(([, c]) => c.box.checked).map(([id]) => id) });
          if (name.value.trim() !== g.name) await api.patch('/groups/' + g.id, { name: name.value.trim() });
          flash(note, t('set.saved'));
        } catch (err) { showError(form, err); }
      });
    } },
    h('h3', null, g.name),
    field(t('set.name'), name, { name: 'name' }),
    h('fieldset', { class: 'set-group', 'data-field': 'agentIds', tabindex: '-1', id: 'set-group-' + g.id }, h('legend', null, t('set.groups.members')),
      boxes.length ? boxes.map(([, c]) => c) : h('p', { class: 'hint' }, t('set.none'))),
    h('p', { class: 'field-error', id: 'set-group-' + g.id + '-err', hidden: true }),
    formError(),
    h('div', { class: 'set-actions' },
      h('button', { type: 'submit', class: 'primary', testid: 'group-save' }, t('set.save')),
      h('button', { type: 'button', class: 'danger', 'data-write': '', onClick: (e) => busy(e.currentTarget, async () => {
        if (!window.confirm(t('set.groups.deleteConfirm', { name: g.name }))) return;
        try {
          await api.del('/groups/' + g.id);
          this.toast(t('set.groups.deleted', { name: g.name }));
          this.show();
        } catch (err) { flash(note, errorText(err)); }
      }) }, t('set.groups.delete')),
      note));
    if (!this.canEdit) form.querySelector('[type=submit]').hidden = true;
    return form;
  }
}
