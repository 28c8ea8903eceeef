// Settings › My profile: name and language, presence mode, going offline
// after inactivity and own working hours, the password (the current one is
// asked; other sessions end), and notification preferences.
import { api } from '../api.js';
import { t, languages, languageNames } from '../i18n.js';
import { setNotifyPrefs } from '../notify.js';
import { h, replace, errorText } from './dom.js';
import { field, check, input, options, clearErrors, fieldError, showError, formError, statusLine, flash, busy } from './settings-form.js';
import { HoursEditor, presenceField } from './settings-hours.js';
import { awayField } from './away.js';

export class ProfilePage {
  // opts: me (the signed-in agent, kept up to date), toast(text)
  constructor(opts) {
    Object.assign(this, opts);
    this.el = h('section', { class: 'set-page', testid: 'settings-profile' });
  }

  show() {
    replace(this.el, h('div', { class: 'set-title' }, h('h2', null, t('set.profile'))),
      this.details(), this.presence(), this.password(), this.notifications());
  }

  details() {
    const me = this.me;
    const name = input('text', me.name, { required: true, maxlength: '200', autocomplete: 'name', testid: 'profile-name' });
    const lang = h('select', { 'aria-label': t('lang.label'), 'data-field': 'language', testid: 'profile-language' }, options(languages.map((l) => [l, languageNames[l]]), me.language));
    const note = statusLine('profile-saved');
    const form = h('form', { class: 'set-editor', novalidate: '', onSubmit: (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!name.value.trim()) return fieldError(name, t('set.required'));
      busy(form.querySelector('button'), async () => {
        try {
          const ag = await api.patch('/me', { name: name.value.trim(), language: lang.value });
          const reload = ag.language !== me.language;
          Object.assign(me, ag);
          if (reload) return location.reload();
          flash(note, t('set.saved'));
        } catch (err) { showError(form, err); }
      });
    } },
    h('h3', null, t('set.profile.details')),
    field(t('set.name'), name, { name: 'name' }),
    h('p', { class: 'hint' }, t('set.email') + ': ' + me.email),
    field(t('lang.label'), lang),
    formError(),
    h('div', { class: 'set-actions' }, h('button', { type: 'submit', class: 'primary', testid: 'profile-save' }, t('set.save')), note));
    return form;
  }

  // presence: manual or automatic by business hours, going offline after
  // inactivity, and the agent's own hours (without them, an automatic
  // agent follows their lines' hours).
  presence() {
    const me = this.me;
    const mode = presenceField(me.presenceMode);
    const away = awayField(me.awayAfterMinutes);
    // Brevo's "notify me of new chats while invisible if online agents are slow".
    const rescue = check(t('set.presence.rescue'), !!me.rescueWhileInvisible, { name: 'rescueWhileInvisible', testid: 'rescue-invisible' });
    // Offered only where the gateway has a mail server to send them.
    const transcripts = me.serverSendsMail || me.emailTranscripts
      ? check(t('set.presence.transcripts'), !!me.emailTranscripts, { name: 'emailTranscripts', testid: 'email-transcripts' }) : null;
    const hours = new HoursEditor(me.businessHours, {
      legend: t('set.hours.own'), enabledLabel: t('set.hours.ownEnabled'),
      hint: t('set.hours.followLines'), offNote: t('set.hours.offOwn'),
    });
    const note = statusLine('presence-saved');
    const form = h('form', { class: 'set-editor', novalidate: '', testid: 'presence-form', onSubmit: (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!hours.validate()) return;
      busy(form.querySelector('[type=submit]'), async () => {
        try {
          const ag = await api.patch('/me', { presenceMode: mode.select.value, awayAfterMinutes: Number(away.select.value), rescueWhileInvisible: rescue.box.checked, businessHours: hours.value(),
            ...(transcripts ? { emailTranscripts: transcripts.box.checked } : {}) });
          Object.assign(me, ag);
          flash(note, t('set.saved'));
        } catch (err) { showError(form, err); }
      });
    } },
    h('h3', null, t('set.presence.title')),
    mode, away, rescue, h('p', { class: 'hint' }, t('set.presence.rescueHint')),
    transcripts, transcripts && h('p', { class: 'hint' }, t('set.presence.transcriptsHint')), hours.el,
    formError(),
    h('div', { class: 'set-actions' }, h('button', { type: 'submit', class: 'primary', testid: 'presence-save' }, t('set.save')), note));
    return form;
  }

  password() {
    const cur = input('password', '', { autocomplete: 'current-password', testid: 'pw-current' });
    const next = input('password', '', { autocomplete: 'new-password', testid: 'pw-new' });
    const again = input('password', '', { autocomplete: 'new-password', testid: 'pw-again' });
    const note = statusLine('pw-done');
    const form = h('form', { class: 'set-editor', novalidate: '', testid: 'password-form', onSubmit: (e) => {
      e.preventDefault();
      clearErrors(form);
      if (!cur.value) return fieldError(cur, t('set.required'));
      if (next.value.length < 8) return fieldError(next, t('set.password.rule'));
      if (next.value !== again.value) return fieldError(again, t('set.password.mismatch'));
      busy(form.querySelector('button'), async () => {
        try {
          await api.post('/me/password', { currentPassword: cur.value, newPassword: next.value });
          cur.value = next.value = again.value = '';
          flash(note, t('set.password.changed'));
        } catch (err) {
          if (err.status === 429) return fieldError(cur, t('login.throttled', { s: err.retryAfter || 60 }));
          if (err.field === 'currentPassword' && err.status === 400) return fieldError(cur, t('set.password.wrong'));
          showError(form, err);
        }
      });
    } },
    h('h3', null, t('set.password.change')),
    h('p', { class: 'hint' }, t('set.password.hint')),
    // a hidden username lets password managers file the new password
    h('input', { type: 'text', name: 'username', autocomplete: 'username', value: this.me.email, hidden: true, 'aria-hidden': 'true', tabindex: '-1' }),
    field(t('set.password.current'), cur, { name: 'currentPassword' }),
    field(t('set.password.new'), next, { name: 'newPassword', hint: t('set.password.rule') }),
    field(t('set.password.again'), again),
    formError(),
    h('div', { class: 'set-actions' }, h('button', { type: 'submit', class: 'primary', testid: 'pw-submit' }, t('set.password.change')), note));
    return form;
  }

  notifications() {
    const n = this.me.notifications || { sound: true, desktop: true };
    const sound = check(t('set.notify.sound'), n.sound, { name: 'sound', testid: 'notify-sound' });
    const desktop = check(t('set.notify.desktop'), n.desktop, { name: 'desktop', testid: 'notify-desktop' });
    const note = statusLine('notify-saved');
    const save = async () => {
      try {
        const ag = await api.patch('/me/notifications', { sound: sound.box.checked, desktop: desktop.box.checked });
        this.me.notifications = ag.notifications;
        setNotifyPrefs(ag.notifications);
        flash(note, t('set.saved'));
      } catch (e) { flash(note, errorText(e)); }
    };
    sound.box.addEventListener('change', save);
    desktop.box.addEventListener('change', save);
    const perm = 'Notification' in window ? Notification.permission : 'unsupported';
    return h('section', { class: 'set-editor' }, h('h3', null, t('set.notify')),
      sound, desktop,
      perm === 'denied' ? h('p', { class: 'hint' }, t('set.notify.blocked')) : null,
      note);
  }
}
