// One line's editor: name, queue (and when a waiting client counts as
// missed), the website widget (origins, look, greetings, behaviour), the
// identity secret, the embed snippet with a live preview, the Telegram bot
// (settings-telegram.js), the mailbox (settings-email.js), the business
// hours (settings-hours.js). One save sends it all in one request: nothing
// is half-saved.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { field, check, input, clearErrors, fieldError, showError, formError, statusLine, flash, lock, busy, validOrigin, copyText } from './settings-form.js';
import { Preview, snippet, textOn, readable, isHex, DEFAULT_COLOR } from './settings-look.js';
import { HoursEditor } from './settings-hours.js';
import { TelegramSection } from './settings-telegram.js';
import { EmailSection } from './settings-email.js';

// A line's "missed after": how long a client may wait for an agent's
// answer before the conversation is marked missed (the server's bounds).
const MISSED_DEFAULT = 30;
const MISSED_MIN = 5;
const MISSED_MAX = 3600;
// REOFFER_MIN and REOFFER_MAX bound reofferAfterSeconds (0: never), as the server does.
const REOFFER_MIN = 10;
const REOFFER_MAX = 3600;
// AUTO_CLOSE_MAX is the server's MaxAutoCloseMinutes (a week).
const AUTO_CLOSE_MAX = 7 * 24 * 60;

// LineEditor edits line (null: a new one). opts: agents, groups, canEdit,
// onSaved(line), onDelete(line), onCancel().
export class LineEditor {
  constructor(line, opts) {
    Object.assign(this, opts);
    this.line = line;
    const w = (line && line.channels && line.channels.widget) || { enabled: true, allowedOrigins: [] };
    const st = (line && line.settings) || { ratingTimeoutSeconds: 300 };
    this.origins = [...(w.allowedOrigins || [])];
    this.preview = new Preview();

    this.name = input('text', line ? line.name : '', { required: true, maxlength: '200', testid: 'line-name' });
    this.agentBoxes = this.agents.map((a) => [a.id, check(a.name, line && line.agentIds.includes(a.id), { testid: 'line-agent-' + a.id })]);
    this.groupBoxes = this.groups.map((g) => [g.id, check(g.name, line && line.groupIds.includes(g.id))]);
    this.enabled = check(t('set.widget.enabled'), w.enabled !== false, { name: 'channels.widget.enabled' });
    this.originInput = input('text', '', { placeholder: 'https://www.example.com', testid: 'origin-input', inputmode: 'url' });
    this.originList = h('ul', { class: 'origins', testid: 'origin-list' });
    this.title = input('text', w.title, { maxlength: '200', testid: 'widget-title' });
    this.greeting = h('textarea', { rows: '2', testid: 'widget-greeting' });
    this.greeting.value = st.greeting || '';
    this.messengerGreeting = h('textarea', { rows: '2', testid: 'widget-messenger-greeting' });
    this.messengerGreeting.value = w.messengerGreeting || '';
    const color = isHex(w.color) ? w.color.toLowerCase() : DEFAULT_COLOR;
    this.colorPick = input('color', color, { testid: 'widget-color-picker', 'aria-label': t('set.widget.colorPick') });
    this.color = input('text', color, { maxlength: '7', testid: 'widget-color', spellcheck: 'false' });
    this.colorNote = h('p', { class: 'hint', role: 'status', testid: 'color-note' });
    this.fixColor = h('button', { type: 'button', hidden: true, 'data-write': '', testid: 'color-fix', onClick: () => this.setColor(readable(this.color.value)) });
    this.position = h('select', { 'aria-label': t('set.widget.position'), 'data-field': 'channels.widget.position', testid: 'widget-position' },
      ['right', 'left'].map((p) => h('option', { value: p, selected: (w.position || 'right') === p }, t('set.widget.position.' + p))));
    this.launcherLabel = input('text', w.launcherLabel, { maxlength: '40', testid: 'widget-launcher-label' });
    this.hide = check(t('set.widget.hideOffline'), st.hideWidgetWhenOffline, { name: 'settings.hideWidgetWhenOffline' });
    this.form = check(t('set.widget.contactForm'), st.contactFormBot, { name: 'settings.contactFormBot', testid: 'widget-contact-form' });
    this.rating = input('number', st.ratingTimeoutSeconds, { min: '0', max: '86400', step: '1', testid: 'widget-rating' });
    // 0 or absent (a line saved before the setting existed): the default.
    this.missedAfter = input('number', st.missedAfterSeconds || MISSED_DEFAULT,
      { min: String(MISSED_MIN), max: String(MISSED_MAX), step: '1', required: true, testid: 'line-missed-after' });
    // 0: never.
    this.reoffer = input('number', st.reofferAfterSeconds || 0,
      { min: '0', max: String(REOFFER_MAX), step: '1', required: true, testid: 'line-reoffer' });
    this.autoClose = input('number', st.autoCloseMinutes || 0,
      { min: '0', max: String(AUTO_CLOSE_MAX), step: '1', required: true, testid: 'line-auto-close' });
    this.telegram = new TelegramSection(line && line.channels && line.channels.telegram);
    this.email = new EmailSection(line && line.channels && line.channels.email);
    this.hours = new HoursEditor(line && line.businessHours, { hint: t('set.hours.lineHint'), offNote: t('set.hours.offLine'), canEdit: this.canEdit });
    this.snippetEl = h('code', { testid: 'line-snippet' });
    this.snippetNote = statusLine();
    this.secretArea = h('div', { class: 'secret' });
    this.saved = statusLine('line-saved');
    this.errorEl = formError();

    const onLook = () => this.refreshLook();
    for (const el of [this.name, this.title, this.greeting, this.messengerGreeting, this.launcherLabel]) el.addEventListener('input', onLook);
    this.position.addEventListener('change', onLook);
    this.colorPick.addEventListener('input', () => this.setColor(this.colorPick.value));
    this.color.addEventListener('input', () => { if (isHex(this.color.value)) this.colorPick.value = this.color.value.toLowerCase(); onLook(); });
    this.originInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); this.addOrigin(this.originInput.value.trim()); } });

    const here = location.origin;
    const fieldset = (legend, ...kids) => h('fieldset', { class: 'set-group' }, h('legend', null, legend), ...kids);
    this.el = h('form', { class: 'set-editor line-editor', novalidate: '', testid: 'line-editor', onSubmit: (e) => { e.preventDefault(); this.save(); } },
      h('h3', null, line ? t('set.lines.edit', { name: line.name }) : t('set.lines.new')),
      field(t('set.name'), this.name, { name: 'name' }),
      fieldset(t('set.lines.queue'),
        h('p', { class: 'hint' }, t('set.lines.queueHint')),
        h('div', { class: 'set-cols' },
          h('div', { 'data-field': 'agentIds', tabindex: '-1', id: 'set-line-agents' }, h('h4', null, t('set.agents')), this.agentBoxes.length ? this.agentBoxes.map(([, c]) => c) : h('p', { class: 'hint' }, t('set.none'))),
          h('div', { 'data-field': 'groupIds', tabindex: '-1', id: 'set-line-groups' }, h('h4', null, t('set.groups')), this.groupBoxes.length ? this.groupBoxes.map(([, c]) => c) : h('p', { class: 'hint' }, t('set.none')))),
        h('p', { class: 'field-error', id: 'set-line-agents-err', hidden: true }), h('p', { class: 'field-error', id: 'set-line-groups-err', hidden: true }),
        field(t('set.lines.missedAfter'), this.missedAfter, { name: 'settings.missedAfterSeconds', hint: t('set.lines.missedAfterHint') }),
        field(t('set.lines.reoffer'), this.reoffer, { name: 'settings.reofferAfterSeconds', hint: t('set.lines.reofferHint') }),
        field(t('set.lines.autoClose'), this.autoClose, { name: 'settings.autoCloseMinutes', hint: t('set.lines.autoCloseHint') })),
      fieldset(t('set.widget'), this.enabled,
        h('div', { class: 'field', id: 'set-origins' },
          h('label', { for: this.originInput.id = 'set-origin-input' }, t('set.widget.origins')),
          h('p', { class: 'hint' }, t('set.widget.originsHint')),
          this.originList,
          h('div', { class: 'set-row' }, this.originInput,
            h('button', { type: 'button', 'data-write': '', testid: 'origin-add', onClick: () => this.addOrigin(this.originInput.value.trim()) }, t('set.add')),
            h('button', { type: 'button', class: 'link', 'data-write': '', testid: 'origin-add-here', onClick: () => this.addOrigin(here) }, t('set.widget.addHere', { origin: here }))),
          h('p', { class: 'field-error', id: 'set-origin-input-err', hidden: true })),
        h('div', { class: 'set-cols' },
          h('div', null,
            field(t('set.widget.title'), this.title, { name: 'channels.widget.title', hint: t('set.widget.titleHint') }),
            field(t('set.widget.greeting'), this.greeting, { name: 'settings.greeting' }),
            field(t('set.widget.messengerGreeting'), this.messengerGreeting, { name: 'channels.widget.messengerGreeting' }),
            h('div', { class: 'field' }, h('label', { for: this.color.id = 'set-color' }, t('set.widget.color')),
              h('div', { class: 'set-row' }, this.colorPick, this.color), this.colorNote, this.fixColor,
              h('p', { class: 'field-error', id: 'set-color-err', hidden: true })),
            h('div', { class: 'field' }, h('label', { for: this.position.id = 'set-position' }, t('set.widget.position')), this.position),
            field(t('set.widget.launcherLabel'), this.launcherLabel, { name: 'channels.widget.launcherLabel', hint: t('set.widget.launcherHint') }),
            this.hide, this.form,
            field(t('set.widget.rating'), this.rating, { name: 'settings.ratingTimeoutSeconds', hint: t('set.widget.ratingHint') })),
          this.preview.el),
        h('div', { class: 'field' }, h('h4', null, t('set.widget.snippet')),
          line ? h('div', null, h('pre', { class: 'snippet' }, this.snippetEl),
            h('button', { type: 'button', testid: 'snippet-copy', onClick: () => copyText(this.snippetEl.textContent, this.snippetNote) }, t('set.copy')),
            this.snippetNote, h('p', { class: 'hint' }, t('set.widget.snippetHint')))
            : h('p', { class: 'hint' }, t('set.widget.snippetAfterSave'))),
        line ? h('div', { class: 'field' }, h('h4', null, t('set.secret')), h('p', { class: 'hint' }, t('set.secret.hint')), this.secretArea) : null),
      // ---- The line's channels (the Telegram bot, the mailbox).
      // The business hours are in theirs.
      h('div', { class: 'set-slot', id: 'line-channels-slot', 'data-slot': 'channels' }, this.telegram.el, this.email.el),
      h('div', { class: 'set-slot', id: 'line-hours-slot', 'data-slot': 'business-hours' }, this.hours.el),
      this.errorEl,
      h('div', { class: 'set-actions' },
        this.canEdit ? h('button', { type: 'submit', class: 'primary', testid: 'line-save' }, t('set.save')) : null,
        h('button', { type: 'button', onClick: () => this.onCancel() }, t('set.back')),
        this.canEdit && line ? h('button', { type: 'button', class: 'danger', testid: 'line-delete', onClick: () => this.onDelete(line) }, t('set.lines.delete')) : null,
        this.saved));
    this.color.setAttribute('data-field', 'channels.widget.color');
    this.color.setAttribute('aria-describedby', 'set-color-err');
    this.originInput.setAttribute('aria-describedby', 'set-origin-input-err');
    this.originInput.setAttribute('data-field', 'channels.widget.allowedOrigins');
    this.drawOrigins();
    this.drawSecret(w.identitySecretSet, '');
    this.refreshLook();
    if (!this.canEdit) lock(this.el);
  }

  setColor(c) {
    this.color.value = c;
    if (isHex(c)) this.colorPick.value = c;
    this.refreshLook();
  }

  look() {
    return {
      color: this.color.value.trim(), title: this.title.value.trim(), name: this.name.value.trim(),
      position: this.position.value, launcherLabel: this.launcherLabel.value.trim(),
      greeting: this.greeting.value, messengerGreeting: this.messengerGreeting.value,
    };
  }

  refreshLook() {
    const look = this.look();
    this.preview.update(look);
    if (this.line) this.snippetEl.textContent = snippet(this.line.id, this.line.channels.widget);
    const c = look.color;
    this.fixColor.hidden = true;
    if (!isHex(c)) { this.colorNote.textContent = t('set.color.format'); return; }
    const on = textOn(c);
    const which = t(on.text === '#ffffff' ? 'set.color.white' : 'set.color.dark');
    if (on.ok) {
      this.colorNote.textContent = t('set.color.ok', { text: which, ratio: on.ratio.toFixed(1) });
    } else {
      const fix = readable(c);
      this.colorNote.textContent = t('set.color.bad', { ratio: on.ratio.toFixed(1) });
      this.fixColor.textContent = t('set.color.fix', { color: fix });
      this.fixColor.hidden = !this.canEdit;
    }
  }

  drawOrigins() {
    replace(this.originList, this.origins.length ? this.origins.map((o, i) => h('li', null, h('span', null, o),
      h('button', { type: 'button', class: 'link', 'data-write': '', 'aria-label': t('set.remove') + ' ' + o, disabled: !this.canEdit,
        onClick: () => { this.origins.splice(i, 1); this.drawOrigins(); } }, t('set.remove'))))
      : h('li', { class: 'hint' }, t('set.widget.noOrigins')));
  }

  addOrigin(o) {
    clearErrors(this.el.querySelector('#set-origins'));
    o = o.replace(/\/+$/, '');
    if (!validOrigin(o)) return fieldError(this.originInput, t('set.widget.badOrigin', { origin: o || '…' }));
    if (!this.origins.includes(o)) this.origins.push(o);
    this.originInput.value = '';
    this.drawOrigins();
  }

  drawSecret(isSet, shown) {
    const note = statusLine();
    const rotate = h('button', { type: 'button', 'data-write': '', testid: 'secret-rotate', onClick: () => busy(rotate, async () => {
      if (isSet && !window.confirm(t('set.secret.confirmRotate'))) return;
      try {
        const r = await api.post('/lines/' + this.line.id + '/identity-secret');
        this.drawSecret(true, r.identitySecret);
      } catch (e) { flash(note, e.message); }
    }) }, t(isSet ? 'set.secret.rotate' : 'set.secret.generate'));
    const off = isSet ? h('button', { type: 'button', class: 'danger', 'data-write': '', onClick: () => busy(off, async () => {
      if (!window.confirm(t('set.secret.confirmOff'))) return;
      try {
        await api.del('/lines/' + this.line.id + '/identity-secret');
        this.drawSecret(false, '');
      } catch (e) { flash(note, e.message); }
    }) }, t('set.secret.off')) : null;
    const shownEl = shown ? h('div', { class: 'secret-shown' },
      field(t('set.secret.once'), input('text', shown, { readonly: '', testid: 'secret-value' })),
      h('button', { type: 'button', onClick: () => copyText(shown, note) }, t('set.copy'))) : null;
    replace(this.secretArea, h('p', null, t(isSet ? 'set.secret.isSet' : 'set.secret.notSet')), shownEl,
      this.canEdit ? h('div', { class: 'set-row' }, rotate, off) : null, note);
  }

  // body is the request: every part of the line the editor shows.
  body() {
    const old = (this.line && this.line.channels) || {};
    const look = this.look();
    return {
      name: look.name,
      agentIds: this.agentBoxes.filter(([, c]) => c.box.checked).map(([id]) => id),
      groupIds: this.groupBoxes.filter(([, c]) => c.box.checked).map(([id]) => id),
      channels: {
        ...old,
        widget: {
          enabled: this.enabled.box.checked, allowedOrigins: this.origins,
          title: look.title, color: look.color.toLowerCase(), position: look.position,
          launcherLabel: look.launcherLabel, messengerGreeting: look.messengerGreeting,
        },
        telegram: this.telegram.value(),
        email: this.email.value(),
      },
      settings: {
        ...((this.line && this.line.settings) || {}),
        greeting: look.greeting, hideWidgetWhenOffline: this.hide.box.checked,
        contactFormBot: this.form.box.checked, ratingTimeoutSeconds: Number(this.rating.value),
        missedAfterSeconds: Number(this.missedAfter.value),
        autoCloseMinutes: Number(this.autoClose.value),
        reofferAfterSeconds: Number(this.reoffer.value),
      },
      businessHours: this.hours.value(),
    };
  }

  // validate checks what the browser can, with the same rules as the server.
  validate(b) {
    if (!b.name) return fieldError(this.name, t('set.required')) || false;
    if (!isHex(b.channels.widget.color)) return fieldError(this.color, t('set.color.format')) || false;
    if (!textOn(b.channels.widget.color).ok) return fieldError(this.color, t('set.color.bad', { ratio: textOn(b.channels.widget.color).ratio.toFixed(1) })) || false;
    const r = b.settings.ratingTimeoutSeconds;
    if (!Number.isInteger(r) || r < 0 || r > 86400) return fieldError(this.rating, t('set.widget.ratingBad')) || false;
    const m = b.settings.missedAfterSeconds;
    if (this.missedAfter.value.trim() === '' || !Number.isInteger(m) || m < MISSED_MIN || m > MISSED_MAX) {
      return fieldError(this.missedAfter, t('set.lines.missedAfterBad')) || false;
    }
    const ro = b.settings.reofferAfterSeconds;
    if (this.reoffer.value.trim() === '' || !Number.isInteger(ro) || (ro !== 0 && (ro < REOFFER_MIN || ro > REOFFER_MAX))) {
      return fieldError(this.reoffer, t('set.lines.reofferBad')) || false;
    }
    const ac = b.settings.autoCloseMinutes;
    if (this.autoClose.value.trim() === '' || !Number.isInteger(ac) || ac < 0 || ac > AUTO_CLOSE_MAX) {
      return fieldError(this.autoClose, t('set.lines.autoCloseBad')) || false;
    }
    if (this.originInput.value.trim()) {
      this.addOrigin(this.originInput.value.trim());
      if (this.originInput.getAttribute('aria-invalid')) return false;
      b.channels.widget.allowedOrigins = this.origins;
    }
    if (!this.telegram.validate(b.channels.telegram)) return false;
    if (!this.email.validate(b.channels.email)) return false;
    return this.hours.validate();
  }

  async save() {
    clearErrors(this.el);
    const b = this.body();
    if (!this.validate(b)) return;
    const button = this.el.querySelector('[data-testid="line-save"]');
    await busy(button, async () => {
      try {
        const line = this.line ? await api.patch('/lines/' + this.line.id, b) : await api.post('/lines', b);
        flash(this.saved, t('set.saved'));
        this.telegram.saved(line && line.channels && line.channels.telegram);
        this.email.saved(line && line.channels && line.channels.email);
        this.onSaved(line, !this.line);
      } catch (e) {
        showError(this.el, e);
      }
    });
  }
}
