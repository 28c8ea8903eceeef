// The contact panel beside the messages: the client's editable details,
// where they came from (site page, browser, OS; for Telegram their
// @username and the /start link's parameter; their e-mail address as a
// mailto: link, and an e-mail conversation's subject; a warning when the
// channel refuses our messages), their other
// conversations, and the window's actions — block, assign, forward, pin,
// delete — with the ratings (supervisors and admins rate).
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, fmtDateTime, statusText, isActive, errorText } from './dom.js';
import { contactLabel } from './names.js';
import { link, safeURL } from './linkify.js';
import { tmeURL, mailtoURL } from './channel.js';

const STAFF = ['supervisor', 'admin'];

export class ContactPanel {
  // opts: me (agent), names ({agent, agents(), lines()}), toast(text),
  // onChanged(conversation), onDeleted(id), onContact(contact) after an edit
  constructor(opts) {
    this.o = opts;
    this.staff = STAFF.includes(opts.me.role);
    this.conv = null;
    this.contact = null;
    this.groups = null;
    this.fields = [];
    this.build();
  }

  build() {
    const field = (key, type, testid) => {
      const input = h('input', { type, id: 'cp-' + key, testid, autocomplete: 'off' });
      this[key + 'Input'] = input;
      return [h('label', { htmlFor: 'cp-' + key }, t('panel.' + key)), input];
    };
    this.fieldList = h('ul', { class: 'cp-fields' });
    this.formError = h('p', { class: 'error', role: 'alert', hidden: true });
    this.formNote = h('p', { class: 'cp-note', role: 'status' });
    this.form = h('form', { class: 'cp-form', testid: 'contact-form', onSubmit: (e) => { e.preventDefault(); this.save(); } },
      field('name', 'text', 'contact-name'), field('email', 'email', 'contact-email'), field('phone', 'tel', 'contact-phone'),
      h('fieldset', { class: 'cp-fieldset' }, h('legend', null, t('panel.fields')), this.fieldList,
        h('button', { type: 'button', class: 'link', testid: 'contact-add-field', onClick: () => this.addField() }, '+ ', t('panel.addField'))),
      this.formError,
      h('div', { class: 'cp-row' }, h('button', { type: 'submit', class: 'primary', testid: 'contact-save' }, t('panel.save')), this.formNote));

    this.visit = h('dl', { class: 'cp-visit', testid: 'contact-visit' });
    this.unreachable = h('p', { class: 'cp-unreachable', role: 'status', testid: 'contact-unreachable', hidden: true });
    this.blockedNote = h('p', { class: 'cp-blocked', role: 'status', hidden: true }, t('panel.blocked'));
    this.blockBtn = h('button', { type: 'button', class: 'danger', testid: 'contact-block', onClick: () => this.toggleBlock() });
    this.assignSel = h('select', { testid: 'assign-target', 'aria-label': t('panel.assign') });
    this.lineSel = h('select', { testid: 'forward-line', 'aria-label': t('panel.forwardLine') });
    this.pinBox = h('input', { type: 'checkbox', id: 'cp-pin', testid: 'pin', onChange: () => this.pin() });
    this.deleteBtn = h('button', { type: 'button', class: 'danger', testid: 'conv-delete', onClick: () => this.confirmDelete() }, t('panel.delete'));
    this.actions = h('section', { class: 'cp-section' }, h('h3', null, t('panel.actions')),
      this.blockedNote, this.blockBtn,
      h('div', { class: 'cp-row' }, this.assignSel,
        h('button', { type: 'button', testid: 'assign-apply', onClick: () => this.assign() }, t('panel.assignApply'))),
      h('div', { class: 'cp-row' }, this.lineSel,
        h('button', { type: 'button', testid: 'forward-apply', onClick: () => this.forwardLine() }, t('panel.forwardApply'))),
      this.staff ? h('label', { class: 'cp-check', htmlFor: 'cp-pin' }, this.pinBox, t('panel.pin')) : null,
      this.staff ? this.deleteBtn : null);

    this.clientRating = h('p', { class: 'cp-rating', testid: 'client-rating' });
    this.ratingSel = h('select', { id: 'cp-rating', testid: 'rating-select', 'aria-label': t('panel.supervisorRating') },
      [0, 1, 2, 3, 4, 5].map((n) => h('option', { value: String(n) }, n ? t('panel.stars', { n }) : t('panel.noRating'))));
    this.ratingComment = h('textarea', { id: 'cp-comment', rows: '2', testid: 'rating-comment' });
    this.ratings = h('section', { class: 'cp-section' }, h('h3', null, t('panel.ratings')),
      h('p', { class: 'cp-label' }, t('panel.clientRating')), this.clientRating,
      this.staff ? [
        h('label', { htmlFor: 'cp-rating' }, t('panel.supervisorRating')), this.ratingSel,
        h('label', { htmlFor: 'cp-comment' }, t('panel.supervisorComment')), this.ratingComment,
        h('button', { type: 'button', testid: 'rating-save', onClick: () => this.rate() }, t('panel.saveRating')),
      ] : null);

    this.history = h('ul', { class: 'cp-history', testid: 'contact-history' });
    this.dialogText = h('p', { id: 'cp-dialog-text' });
    this.dialog = h('dialog', { class: 'cp-dialog', 'aria-labelledby': 'cp-dialog-text', testid: 'confirm-dialog' },
      this.dialogText,
      h('div', { class: 'cp-row' },
        h('button', { type: 'button', testid: 'confirm-cancel', onClick: () => this.dialog.close() }, t('panel.cancel')),
        h('button', { type: 'button', class: 'danger', testid: 'confirm-ok', onClick: () => this.remove() }, t('panel.delete'))));
    this.el = h('aside', { class: 'contact-panel', testid: 'contact-panel', 'aria-label': t('panel.title') },
      h('section', { class: 'cp-section' }, h('h3', null, t('panel.title')), this.unreachable, this.form),
      h('section', { class: 'cp-section' }, h('h3', null, t('panel.visit')), this.visit),
      this.actions, this.ratings,
      h('section', { class: 'cp-section' }, h('h3', null, t('panel.history')), this.history),
      this.dialog);
  }

  // show loads the panel for a conversation.
  async show(conv) {
    this.conv = conv;
    this.contact = null;
    this.others = null;
    this.draw();
    await this.reload();
  }

  // reload fetches the contact and their conversations again.
  async reload() {
    const id = this.conv && this.conv.id;
    if (!id) return;
    try {
      const [panel, groups] = await Promise.all([
        api.get(`/conversations/${encodeURIComponent(id)}/contact`),
        this.groups ? Promise.resolve(null) : api.get('/groups').catch(() => ({ items: [] })),
      ]);
      if (groups) this.groups = groups.items || [];
      if (!this.conv || this.conv.id !== id) return;
      this.contact = panel.contact;
      this.others = panel.conversations;
      this.draw(true);
    } catch (e) {
      if (e.status !== 401 && e.status !== 403 && e.status !== 404) this.o.toast(errorText(e));
    }
  }

  // update redraws what depends on the conversation only.
  update(conv) {
    if (!this.conv || conv.id !== this.conv.id) return;
    this.conv = conv;
    this.drawConversation();
  }

  draw(withForm) {
    const c = this.contact;
    if (withForm || !c) {
      this.nameInput.value = c ? c.name || '' : '';
      this.nameInput.placeholder = c ? contactLabel(c, '') : '';
      this.emailInput.value = c ? c.email || '' : '';
      this.phoneInput.value = c ? c.phone || '' : '';
      this.fields = c ? Object.entries(c.customFields || {}).sort(([a], [b]) => a.localeCompare(b)) : [];
      this.drawFields();
      this.showFormError(null);
      this.formNote.textContent = '';
    }
    for (const el of this.form.elements) el.disabled = !c;
    this.blockBtn.disabled = !c;
    this.blockBtn.textContent = c && c.blocked ? t('panel.unblock') : t('panel.block');
    this.blockBtn.setAttribute('aria-pressed', String(!!(c && c.blocked)));
    this.blockedNote.hidden = !(c && c.blocked);
    this.drawConversation();
  }

  drawConversation() {
    const conv = this.conv;
    if (!conv) return;
    const c = this.contact;
    const info = (c && c.client) || {};
    const page = conv.sitePage && safeURL(conv.sitePage);
    const tg = conv.channel === 'telegram' || !!(c && c.telegramUsername);
    const user = c && c.telegramUsername;
    const userURL = tmeURL(user);
    const mail = conv.channel === 'email';
    const email = (c && c.email) || '';
    const mailto = mailtoURL(email);
    replace(this.visit,
      // A website visit; a Telegram chat or a mail has no page nor browser.
      conv.channel !== 'telegram' && !mail ? [
        h('dt', null, t('panel.sitePage')), h('dd', { testid: 'visit-page' }, page ? link(page, conv.sitePage) : '—'),
        h('dt', null, t('panel.browser')), h('dd', { testid: 'visit-browser' }, info.browser || t('panel.unknown')),
        h('dt', null, t('panel.os')), h('dd', { testid: 'visit-os' }, info.os || t('panel.unknown'))] : null,
      tg ? [h('dt', null, t('channel.telegram')), h('dd', { testid: 'contact-telegram' },
        userURL ? h('a', { href: userURL, target: '_blank', rel: 'noopener' }, '@' + user) : user ? '@' + user : t('panel.noUsername'))] : null,
      email ? [h('dt', null, t('panel.email')), h('dd', { testid: 'contact-mailto' },
        mailto ? h('a', { href: mailto, title: t('panel.writeMail', { email }) }, email) : email)] : null,
      mail && conv.subject ? [h('dt', null, t('mail.subject')), h('dd', { testid: 'panel-subject', dir: 'auto' }, conv.subject)] : null,
      conv.startParam ? [h('dt', { title: t('panel.startParamHint') }, t('panel.startParam')),
        h('dd', { testid: 'conv-start-param', dir: 'auto' }, conv.startParam)] : null);
    const why = c && c.unreachable;
    this.unreachable.hidden = !why;
    replace(this.unreachable, why ? [h('span', { 'aria-hidden': 'true' }, '⚠ '),
      mail ? t('panel.unreachableEmail', { reason: why }) : tg ? t('panel.unreachable', { reason: why }) : t('panel.unreachableAny', { reason: why })] : null);
    this.clientRating.textContent = conv.clientRating ? '★'.repeat(conv.clientRating) + ' ' + t('panel.stars', { n: conv.clientRating }) : t('panel.noRating');
    if (document.activeElement !== this.ratingSel) this.ratingSel.value = String(conv.supervisorRating || 0);
    if (document.activeElement !== this.ratingComment) this.ratingComment.value = conv.supervisorComment || '';
    this.pinBox.checked = !!conv.pinned;
    this.pinBox.disabled = !conv.agentId;
    const active = isActive(conv);
    this.drawTargets();
    for (const el of [this.assignSel, this.lineSel]) el.disabled = !active;
    for (const b of this.actions.querySelectorAll('[data-testid="assign-apply"], [data-testid="forward-apply"]')) b.disabled = !active;
    this.drawHistory();
  }

  drawTargets() {
    const conv = this.conv;
    const keep = this.assignSel.value;
    const agents = this.o.names.agents().filter((a) => !a.disabled);
    replace(this.assignSel,
      h('option', { value: '' }, t('panel.choose')),
      h('optgroup', { label: t('panel.agents') }, agents.map((a) => h('option', { value: 'agent:' + a.id, selected: keep === 'agent:' + a.id },
        a.name, a.id === conv.agentId ? ' ✓' : ''))),
      (this.groups || []).length ? h('optgroup', { label: t('panel.groups') }, this.groups.map((g) => h('option', { value: 'group:' + g.id, selected: keep === 'group:' + g.id },
        g.name, g.id === conv.groupId ? ' ✓' : ''))) : null);
    const keepLine = this.lineSel.value;
    replace(this.lineSel, h('option', { value: '' }, t('panel.forwardLine')),
      this.o.names.lines().filter((l) => l.id !== conv.lineId).map((l) => h('option', { value: l.id, selected: keepLine === l.id }, l.name)));
  }

  drawHistory() {
    const list = (this.others && this.others.items) || [];
    replace(this.history, list.length ? list.map((c) => h('li', { class: 'cp-conv', 'data-id': c.id },
      c.id === this.conv.id
        ? h('span', { 'aria-current': 'page' }, t('conv.number', { n: c.number }), ' — ', t('panel.thisOne'))
        : h('a', { href: '#/c/' + c.id }, t('conv.number', { n: c.number })),
      h('span', { class: 'cp-sub' }, fmtDateTime(c.dates && c.dates.created), ' · ', statusText(c.status))))
      : h('li', { class: 'cp-sub' }, '—'));
  }

  drawFields() {
    replace(this.fieldList, this.fields.map(([k, v], i) => {
      const key = h('input', { type: 'text', value: k, testid: 'field-key', 'aria-label': t('panel.fieldKey'),
        onInput: (e) => { this.fields[i][0] = e.target.value; } });
      const val = h('input', { type: 'text', value: v, testid: 'field-value', 'aria-label': t('panel.fieldValue'),
        onInput: (e) => { this.fields[i][1] = e.target.value; } });
      return h('li', { class: 'cp-field' }, key, val,
        h('button', { type: 'button', class: 'link', title: t('panel.removeField'), 'aria-label': t('panel.removeField'),
          onClick: () => { this.fields.splice(i, 1); this.drawFields(); } }, '×'));
    }));
  }

  addField() {
    this.fields.push(['', '']);
    this.drawFields();
    const keys = this.fieldList.querySelectorAll('[data-testid="field-key"]');
    if (keys.length) keys[keys.length - 1].focus();
  }

  showFormError(e) {
    this.formError.hidden = !e;
    this.formError.textContent = e ? errorText(e) : '';
    for (const input of this.form.querySelectorAll('input')) input.removeAttribute('aria-invalid');
    const bad = e && e.field && { name: this.nameInput, email: this.emailInput, phone: this.phoneInput }[e.field];
    if (bad) { bad.setAttribute('aria-invalid', 'true'); bad.focus(); }
  }

  async save() {
    const c = this.contact;
    if (!c) return;
    const customFields = {};
    for (const [k, v] of this.fields) if (k.trim()) customFields[k.trim()] = v;
    try {
      this.contact = await api.patch('/contacts/' + encodeURIComponent(c.id), {
        name: this.nameInput.value.trim(), email: this.emailInput.value.trim(), phone: this.phoneInput.value.trim(), customFields,
      });
      this.draw(true);
      this.formNote.textContent = t('panel.saved');
      this.o.onContact && this.o.onContact(this.contact);
    } catch (e) {
      this.showFormError(e);
    }
  }

  async toggleBlock() {
    const c = this.contact;
    if (!c) return;
    try {
      this.contact = await api.post(`/contacts/${encodeURIComponent(c.id)}/${c.blocked ? 'unblock' : 'block'}`);
      this.draw(false);
    } catch (e) { this.o.toast(errorText(e)); }
  }

  // act runs a conversation operation and hands the changed conversation on.
  async act(path, body) {
    const id = this.conv.id;
    try {
      const conv = await (path === 'rating' ? api.put : api.post)(`/conversations/${encodeURIComponent(id)}/${path}`, body);
      if (conv && conv.id) this.o.onChanged(conv);
      this.o.toast(t('panel.done'));
      return true;
    } catch (e) {
      this.o.toast(errorText(e));
      return false;
    }
  }

  // assign: supervisors and admins assign; an agent forwards (agents may
  // only assign to themselves).
  async assign() {
    const [kind, id] = this.assignSel.value.split(':');
    if (!id) return;
    const mine = kind === 'agent' && id === this.o.me.id;
    let ok;
    if (this.staff || mine) ok = await this.act('assign', kind === 'agent' ? { agentId: id } : { agentId: '', groupId: id });
    else ok = await this.act('forward', kind === 'agent' ? { agentId: id } : { groupId: id });
    if (ok) this.assignSel.value = '';
  }

  async forwardLine() {
    if (this.lineSel.value && await this.act('forward', { lineId: this.lineSel.value })) this.lineSel.value = '';
  }

  pin() { this.act('pin', { pinned: this.pinBox.checked }); }

  rate() { this.act('rating', { rating: Number(this.ratingSel.value), comment: this.ratingComment.value }); }

  confirmDelete() {
    this.dialogText.textContent = t('panel.deleteConfirm', { n: this.conv.number });
    this.dialog.showModal();
  }

  async remove() {
    const id = this.conv.id;
    this.dialog.close();
    try {
      await api.del('/conversations/' + encodeURIComponent(id));
      this.o.onDeleted(id);
    } catch (e) { this.o.toast(errorText(e)); }
  }
}
