// Settings › Lines: the list, the editor (settings-line-editor.js), and
// deleting a line — which deletes its conversations, so the admin is told
// how many and types the line's name to confirm.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, errorText } from './dom.js';
import { input, field, fieldError, clearErrors, formError, busy } from './settings-form.js';
import { LineEditor } from './settings-line-editor.js';

export class LinesPage {
  // opts: canEdit, toast(text), go(hash)
  constructor(opts) {
    Object.assign(this, opts);
    this.el = h('section', { class: 'set-page', testid: 'settings-lines' });
  }

  async load() {
    const [lines, agents, groups] = await Promise.all([api.get('/lines'), api.get('/agents'), api.get('/groups')]);
    this.lines = lines.items;
    this.agents = agents.items.filter((a) => !a.disabled || this.lines.some((l) => l.agentIds.includes(a.id)));
    this.groups = groups.items;
  }

  async show(sub) {
    replace(this.el, h('p', { class: 'loading' }, '…'));
    try {
      await this.load();
    } catch (e) {
      return replace(this.el, h('p', { class: 'error', role: 'alert' }, errorText(e)));
    }
    if (sub === 'new' && this.canEdit) return this.edit(null);
    const line = sub && this.lines.find((l) => l.id === sub);
    if (line) return this.edit(line);
    this.list();
  }

  list() {
    const rows = this.lines.map((l) => h('tr', { testid: 'line-row' },
      h('td', null, h('a', { href: '#/settings/lines/' + l.id }, l.name)),
      h('td', null, l.channels.widget.enabled ? t('set.on') : t('set.off')),
      h('td', null, String(l.agentIds.length + l.groupIds.length)),
      h('td', null, (l.channels.widget.allowedOrigins || []).join(', ') || '—')));
    replace(this.el,
      h('div', { class: 'set-title' }, h('h2', null, t('set.lines')),
        this.canEdit ? h('a', { class: 'button primary', href: '#/settings/lines/new', testid: 'line-new' }, t('set.lines.new')) : null),
      this.lines.length ? h('table', { class: 'set-table' },
        h('thead', null, h('tr', null, [t('set.name'), t('set.widget'), t('set.lines.queueSize'), t('set.widget.origins')].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, rows)) : h('p', { class: 'hint' }, t('set.lines.empty')));
  }

  edit(line) {
    const ed = new LineEditor(line, {
      agents: this.agents, groups: this.groups, canEdit: this.canEdit,
      onSaved: (saved, created) => {
        this.toast(t('set.saved'));
        if (created) this.go('#/settings/lines/' + saved.id);
        else { ed.line = saved; ed.refreshLook(); }
      },
      onDelete: (l) => this.confirmDelete(l, ed),
      onCancel: () => this.go('#/settings/lines'),
    });
    replace(this.el, ed.el);
  }

  // confirmDelete asks before deleting: with conversations, the admin
  // types the line's name.
  async confirmDelete(line, ed) {
    let n = 0;
    try {
      n = (await api.get('/lines/' + line.id + '/conversation-count')).conversations;
    } catch (e) {
      return this.toast(errorText(e));
    }
    const typed = input('text', '', { autocomplete: 'off', testid: 'line-delete-name', spellcheck: 'false' });
    const errorEl = formError();
    const go = h('button', { type: 'submit', class: 'danger', testid: 'line-delete-confirm', disabled: n > 0 }, t('set.lines.deleteNow'));
    typed.addEventListener('input', () => { go.disabled = typed.value !== line.name; });
    const panel = h('form', { class: 'set-confirm', role: 'alertdialog', 'aria-labelledby': 'set-del-title', testid: 'line-delete-panel', novalidate: '',
      onSubmit: (e) => {
        e.preventDefault();
        clearErrors(panel);
        if (n > 0 && typed.value !== line.name) return fieldError(typed, t('set.lines.typeName'));
        busy(go, async () => {
          try {
            const r = await api.del('/lines/' + line.id + '?confirm=true');
            this.toast(t('set.lines.deleted', { name: line.name, n: r ? r.deletedConversations : 0 }));
            this.go('#/settings/lines');
          } catch (err) {
            errorEl.textContent = errorText(err);
            errorEl.hidden = false;
          }
        });
      } },
    h('h3', { id: 'set-del-title' }, t('set.lines.deleteTitle', { name: line.name })),
    h('p', { testid: 'line-delete-count' }, n > 0 ? t('set.lines.deleteCount', { n }) : t('set.lines.deleteNone')),
    n > 0 ? field(t('set.lines.typeName', { name: line.name }), typed) : null,
    errorEl,
    h('div', { class: 'set-actions' }, go, h('button', { type: 'button', onClick: () => panel.remove() }, t('set.cancel'))));
    const old = ed.el.querySelector('.set-confirm');
    if (old) old.remove();
    ed.el.after(panel);
    (n > 0 ? typed : go).focus();
  }
}
