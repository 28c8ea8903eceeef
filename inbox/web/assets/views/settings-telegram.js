// A line's Telegram bot, in the line editor's channels slot and saved with
// the line as channels.telegram: the switch, the bot's token (write-only:
// the server never shows it, and an empty one keeps the stored token),
// how Telegram's updates reach the server (webhook or polling), whether
// messages from groups count, and what Telegram said about the bot when
// the line was saved (getMe).
import { t } from '../i18n.js';
import { h, replace, fill } from './dom.js';
import { field, check, input, fieldError, uid } from './settings-form.js';
import { telegramIcon, tmeURL } from './channel.js';

const MODES = ['webhook', 'polling'];
const BOTFATHER = 'https://t.me/BotFather';

// TelegramSection edits tg, the line's channels.telegram as GET gave it
// (undefined for a new line). value() is what the save sends.
export class TelegramSection {
  constructor(tg) {
    this.tg = tg || {};
    // No mode chosen yet: the one the server would pick for this address.
    const mode = MODES.includes(this.tg.mode) ? this.tg.mode : (location.protocol === 'https:' ? 'webhook' : 'polling');
    this.enabled = check(t('set.tg.enabled'), this.tg.enabled, { name: 'channels.telegram.enabled', testid: 'tg-enabled' });
    this.token = input('password', '', { autocomplete: 'new-password', maxlength: '200', spellcheck: 'false', testid: 'tg-token' });
    const father = h('a', { href: BOTFATHER, target: '_blank', rel: 'noopener', testid: 'tg-botfather' }, '@BotFather');
    const tokenField = field(t('set.tg.token'), this.token, { name: 'channels.telegram.botToken', hint: fill(t('set.tg.tokenHint'), { botfather: father }) });

    const label = { webhook: t('set.tg.mode.webhook'), polling: t('set.tg.mode.polling') };
    const hint = { webhook: t('set.tg.mode.webhookHint'), polling: t('set.tg.mode.pollingHint') };
    const group = uid('tg-mode');
    this.modes = MODES.map((m) => h('input', { type: 'radio', name: group, value: m, checked: m === mode, id: uid('r'), testid: 'tg-mode-' + m }));
    this.modeSet = h('fieldset', { class: 'tg-modes', id: group, tabindex: '-1', 'data-field': 'channels.telegram.mode', 'aria-describedby': group + '-err' },
      h('legend', null, t('set.tg.mode')),
      this.modes.map((r, i) => {
        r.setAttribute('aria-describedby', r.id + '-hint');
        return h('div', { class: 'tg-mode' }, r, h('label', { for: r.id }, label[MODES[i]]),
          h('p', { class: 'hint', id: r.id + '-hint' }, hint[MODES[i]]));
      }),
      h('p', { class: 'field-error', id: group + '-err', hidden: true }));

    this.groups = check(t('set.tg.allowGroups'), this.tg.allowGroups, { name: 'channels.telegram.allowGroups', testid: 'tg-allow-groups' });
    const groupsHint = h('p', { class: 'hint tg-groups-hint', id: this.groups.box.id + '-hint' }, t('set.tg.allowGroupsHint'));
    this.groups.box.setAttribute('aria-describedby', groupsHint.id + ' ' + this.groups.box.id + '-err');

    this.status = h('div', { class: 'tg-bot', testid: 'tg-bot', role: 'status' });
    this.el = h('fieldset', { class: 'set-group tg', testid: 'line-telegram', id: 'set-tg', tabindex: '-1', 'data-field': 'channels.telegram', 'aria-describedby': 'set-tg-err' },
      h('legend', null, telegramIcon(), ' ', t('set.tg')),
      this.enabled, this.status, tokenField, this.modeSet, this.groups, groupsHint,
      h('p', { class: 'field-error', id: 'set-tg-err', hidden: true }));
    this.draw();
  }

  // draw shows the stored bot: connected (with its t.me link and, in
  // webhook mode, the address Telegram calls), switched off, or not yet.
  draw() {
    const tg = this.tg;
    const bot = tg.bot || {};
    this.token.placeholder = tg.hasToken ? t('set.tg.tokenSaved') : '';
    let state = 'none';
    let body = h('p', { class: 'hint' }, t('set.tg.noToken'));
    if (bot.id) {
      const url = tmeURL(bot.username);
      const at = bot.username ? '@' + bot.username : String(bot.id);
      const who = [url ? h('a', { href: url, target: '_blank', rel: 'noopener', testid: 'tg-bot-link' }, at) : at,
        bot.name ? ' (' + bot.name + ')' : ''];
      state = tg.enabled ? 'connected' : 'off';
      body = [
        h('p', { class: 'tg-state' }, h('span', { class: 'tg-mark', 'aria-hidden': 'true' }, tg.enabled ? '✓' : '○'), ' ',
          fill(tg.enabled ? t('set.tg.connected') : t('set.tg.off'), { bot: who })),
        tg.enabled && tg.mode === 'webhook' && bot.webhookUrl ? h('dl', { class: 'tg-facts' },
          h('dt', null, t('set.tg.webhookUrl')), h('dd', null, h('code', { testid: 'tg-webhook-url' }, bot.webhookUrl))) : null,
      ];
    } else if (tg.hasToken) {
      state = 'pending';
      body = h('p', { class: 'tg-state' }, h('span', { class: 'tg-mark', 'aria-hidden': 'true' }, '○'), ' ', t('set.tg.notConnected'));
    }
    this.status.setAttribute('data-state', state);
    replace(this.status, body);
  }

  // value is channels.telegram for the request: an empty token keeps the
  // stored one.
  value() {
    const mode = this.modes.find((r) => r.checked);
    return {
      enabled: this.enabled.box.checked,
      botToken: this.token.value.trim(),
      mode: mode ? mode.value : MODES[0],
      allowGroups: this.groups.box.checked,
    };
  }

  // validate: a bot switched on needs a token, stored or new.
  validate(v) {
    if (v.enabled && !v.botToken && !this.tg.hasToken) return fieldError(this.token, t('set.tg.tokenNeeded')) || false;
    return true;
  }

  // saved shows the line as the server stored it; the token typed is gone.
  saved(tg) {
    this.tg = tg || {};
    this.token.value = '';
    this.draw();
  }
}
