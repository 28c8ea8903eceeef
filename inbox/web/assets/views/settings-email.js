// A line's mailbox, in the line editor's channels slot after the Telegram
// bot and saved with the line as channels.email: the switch, the
// mailbox's address and sender name, the IMAP server mail is fetched from
// (its folder, and what becomes of a mail once fetched: marked read, or
// moved to another folder), and the SMTP server replies go out through.
// Passwords are write-only: the server never shows them, and an empty one
// keeps the stored one. Saving signs in to both servers; a refusal comes
// back in the server's words, next to that server's group or the precise
// field it names.
import { t } from '../i18n.js';
import { h, replace, fill } from './dom.js';
import { field, check, input, options, fieldError } from './settings-form.js';
import { mailIcon } from './channel.js';

const SECURITY = ['tls', 'starttls', 'none'];
const DEFAULT_SECURITY = { imap: 'tls', smtp: 'starttls' };
// PORTS: each server's usual port for each kind of security.
const PORTS = {
  imap: { tls: 993, starttls: 143, none: 143 },
  smtp: { tls: 465, starttls: 587, none: 25 },
};
const AFTER = ['seen', 'move'];
const MAX_HOST = 253;
const MAX_SECRET = 1000;
const MAX_FOLDER = 200;

// suggestPort is the port to show once kind's ('imap', 'smtp') security
// becomes security: its usual one while the field is empty or still holds
// one of kind's usual ports; a port typed by hand stays.
export function suggestPort(kind, security, port) {
  const usual = PORTS[kind];
  const p = String(port === undefined || port === null ? '' : port).trim();
  if (p !== '' && !Object.values(usual).includes(Number(p))) return p;
  return String(usual[security] || usual[DEFAULT_SECURITY[kind]]);
}

// portValue is the port field as the request's number: 0 (the server's
// default) when empty, NaN when it is no port.
export function portValue(raw) {
  const s = String(raw || '').trim();
  if (!s) return 0;
  const n = Number(s);
  return /^\d{1,5}$/.test(s) && n >= 1 && n <= 65535 ? n : NaN;
}

// validAddress: one plain address, as the server's check wants it.
export const validAddress = (a) => /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/.test(a);

// EmailSection edits em, the line's channels.email as GET gave it
// (undefined for a new line). value() is what the save sends.
export class EmailSection {
  constructor(em) {
    this.em = em || {};
    const m = this.em;
    this.enabled = check(t('set.em.enabled'), m.enabled, { name: 'channels.email.enabled', testid: 'em-enabled' });
    this.status = h('div', { class: 'em-status', testid: 'em-status', role: 'status' });
    this.address = input('email', m.address, { maxlength: '254', autocomplete: 'off', spellcheck: 'false', placeholder: 'support@example.com' });
    this.fromName = input('text', m.fromName, { maxlength: '200' });
    this.imap = this.server('imap', m.imap);
    this.smtp = this.server('smtp', m.smtp);

    // The IMAP folder read, and what becomes of a mail once it is stored.
    this.folder = input('text', m.folder || 'INBOX', { maxlength: String(MAX_FOLDER), spellcheck: 'false' });
    const after = AFTER.includes(m.afterStore) ? m.afterStore : 'seen';
    this.afterStore = h('select', { 'aria-label': t('set.em.afterStore') },
      options(AFTER.map((a) => [a, t(a === 'seen' ? 'set.em.after.seen' : 'set.em.after.move')]), after));
    const afterField = field(t('set.em.afterStore'), this.afterStore, { name: 'channels.email.afterStore', testid: 'em-after-store', hint: ' ' });
    this.afterHint = afterField.querySelector('.hint');
    this.moveTo = input('text', m.moveTo, { maxlength: String(MAX_FOLDER), spellcheck: 'false' });
    this.moveField = field(t('set.em.moveTo'), this.moveTo, { name: 'channels.email.moveTo', testid: 'em-move-to', hint: t('set.em.moveToHint') });
    this.afterStore.addEventListener('change', () => this.drawAfter());
    this.imap.set.insertBefore(h('div', { class: 'em-fetch' },
      field(t('set.em.folder'), this.folder, { name: 'channels.email.folder', testid: 'em-folder', hint: t('set.em.folderHint') }),
      afterField, this.moveField), this.imap.err);

    this.el = h('fieldset', { class: 'set-group em', testid: 'line-email', id: 'set-em', tabindex: '-1', 'data-field': 'channels.email', 'aria-describedby': 'set-em-err' },
      h('legend', null, mailIcon(), ' ', t('set.em')),
      this.enabled, this.status,
      field(t('set.em.address'), this.address, { name: 'channels.email.address', testid: 'em-address', hint: t('set.em.addressHint') }),
      field(t('set.em.fromName'), this.fromName, { name: 'channels.email.fromName', testid: 'em-from-name', hint: t('set.em.fromNameHint') }),
      h('div', { class: 'em-servers' }, this.imap.set, this.smtp.set),
      h('p', { class: 'hint' }, t('set.em.testHint')),
      h('p', { class: 'field-error', id: 'set-em-err', hidden: true }));
    this.drawAfter();
    this.draw();
  }

  // server builds the group of one server, kind 'imap' or 'smtp', from srv
  // as stored: host, port and security on one row, the sign-in below.
  server(kind, srv) {
    srv = srv || {};
    const name = 'channels.email.' + kind;
    const id = 'set-em-' + kind;
    const sec = SECURITY.includes(srv.security) ? srv.security : DEFAULT_SECURITY[kind];
    const g = { kind };
    g.host = input('text', srv.host, { maxlength: String(MAX_HOST), autocomplete: 'off', spellcheck: 'false', placeholder: kind + '.example.com' });
    g.port = input('number', srv.port || PORTS[kind][sec], { min: '1', max: '65535', step: '1', inputmode: 'numeric', class: 'em-port' });
    g.security = h('select', { 'aria-label': t('set.em.security') }, options(SECURITY.map((s) => [s, securityName(s)]), sec));
    g.user = input('text', srv.username, { maxlength: String(MAX_SECRET), autocomplete: 'off', spellcheck: 'false' });
    g.password = input('password', '', { maxlength: String(MAX_SECRET), autocomplete: 'new-password', spellcheck: 'false' });
    g.warn = h('p', { class: 'hint em-warn', id: id + '-warn', testid: 'em-' + kind + '-warn', hidden: true },
      h('span', { 'aria-hidden': 'true' }, '⚠ '), t('set.em.noneHint'));
    g.err = h('p', { class: 'field-error', id: id + '-err', hidden: true });
    const testid = (f) => 'em-' + kind + '-' + f;
    g.set = h('fieldset', { class: 'em-server', testid: 'em-' + kind, id, tabindex: '-1', 'data-field': name, 'aria-describedby': id + '-err' },
      h('legend', null, t(kind === 'imap' ? 'set.em.imap' : 'set.em.smtp')),
      h('p', { class: 'hint' }, t(kind === 'imap' ? 'set.em.imapHint' : 'set.em.smtpHint')),
      h('div', { class: 'em-row' },
        field(t('set.em.host'), g.host, { name: name + '.host', testid: testid('host') }),
        field(t('set.em.port'), g.port, { name: name + '.port', testid: testid('port') }),
        field(t('set.em.security'), g.security, { name: name + '.security', testid: testid('security') })),
      g.warn,
      h('div', { class: 'em-row' },
        field(t('set.em.user'), g.user, { name: name + '.username', testid: testid('user') }),
        field(t('set.em.password'), g.password, { name: name + '.password', testid: testid('password') })),
      g.err);
    g.security.addEventListener('change', () => {
      g.port.value = suggestPort(kind, g.security.value, g.port.value);
      this.drawSecurity(g);
    });
    this.drawSecurity(g);
    return g;
  }

  // drawSecurity warns about a server without encryption.
  drawSecurity(g) {
    const none = g.security.value === 'none';
    g.warn.hidden = !none;
    const err = g.security.id + '-err';
    g.security.setAttribute('aria-describedby', none ? g.warn.id + ' ' + err : err);
  }

  // drawAfter says what becomes of a fetched mail; the folder it is moved
  // to is asked only then.
  drawAfter() {
    const move = this.afterStore.value === 'move';
    this.afterHint.textContent = t(move ? 'set.em.after.moveHint' : 'set.em.after.seenHint');
    this.moveField.hidden = !move;
  }

  // draw shows the stored mailbox: connected (switched on and saved, so
  // both servers let it in), switched off, or none yet.
  draw() {
    const m = this.em;
    const saved = (kind) => !!(m[kind] && m[kind].hasPassword);
    this.imap.password.placeholder = saved('imap') ? t('set.em.passwordSaved') : '';
    this.smtp.password.placeholder = saved('smtp') ? t('set.em.passwordSaved') : '';
    const on = !!(m.enabled && m.address);
    const address = h('strong', { dir: 'auto' }, m.address || '');
    let text = t('set.em.none');
    if (on) text = fill(t('set.em.connected'), { address });
    else if (m.address) text = fill(t('set.em.off'), { address });
    this.status.setAttribute('data-state', on ? 'connected' : 'off');
    replace(this.status, h('p', { class: 'em-state' }, h('span', { class: 'em-mark', 'aria-hidden': 'true' }, on ? '✓' : '○'), ' ', text));
  }

  // value is channels.email for the request: an empty password keeps the
  // stored one, an empty port is the server's default for its security.
  value() {
    const srv = (g) => ({
      host: g.host.value.trim(), port: portValue(g.port.value), security: g.security.value,
      username: g.user.value.trim(), password: g.password.value,
    });
    return {
      enabled: this.enabled.box.checked,
      address: this.address.value.trim(),
      fromName: this.fromName.value.trim(),
      folder: this.folder.value.trim() || 'INBOX',
      afterStore: this.afterStore.value,
      moveTo: this.moveTo.value.trim(),
      imap: srv(this.imap),
      smtp: srv(this.smtp),
    };
  }

  // validate checks what the browser can, as the server does: a mailbox
  // switched on (or given an address) needs a valid address, both hosts,
  // ports that are ports, and the folder mail is moved to.
  validate(v) {
    const bad = (el, text) => fieldError(el, text) || false;
    if (v.enabled && !v.address) return bad(this.address, t('set.required'));
    if (v.address && !validAddress(v.address)) return bad(this.address, t('set.em.addressBad'));
    for (const g of [this.imap, this.smtp]) {
      const s = v[g.kind];
      if (v.enabled && !s.host) return bad(g.host, t('set.required'));
      if (/[\s/:@]/.test(s.host)) return bad(g.host, t('set.em.hostBad'));
      if (Number.isNaN(s.port) || (g.port.validity && g.port.validity.badInput)) return bad(g.port, t('set.em.portBad'));
    }
    if ((v.enabled || v.address) && v.afterStore === 'move' && !v.moveTo) return bad(this.moveTo, t('set.em.moveToNeeded'));
    return true;
  }

  // saved shows the line as the server stored it (the address as it
  // reads it, the ports it filled in); the passwords typed are gone.
  saved(em) {
    this.em = em || {};
    for (const g of [this.imap, this.smtp]) {
      const srv = this.em[g.kind];
      g.password.value = '';
      if (srv && srv.port) g.port.value = String(srv.port);
    }
    if (this.em.address) this.address.value = this.em.address;
    this.draw();
  }
}

// securityName names one of SECURITY in the agent's language.
function securityName(s) {
  if (s === 'tls') return t('set.em.security.tls');
  return s === 'starttls' ? t('set.em.security.starttls') : t('set.em.security.none');
}
