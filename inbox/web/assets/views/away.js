// Inactivity: the banner under the top bar when the server set the agent
// offline (reason "inactivity": with a "Go online" button; reason "hours":
// a quieter note), and the profile's "Go offline after inactivity" select.
// The agent's awayAfterMinutes: 0 the default (15), -1 never, else 1..1440.
import { t, tp } from '../i18n.js';
import { h } from './dom.js';
import { field, options } from './settings-form.js';

export const DEFAULT_AWAY = 15;
export const AWAY_NEVER = -1;
const CHOICES = [AWAY_NEVER, 5, 0, 30, 60, 120]; // 0: the default

// awayMinutes is the agent's period in minutes, or 0 when they never go away.
export function awayMinutes(v) {
  if (v === AWAY_NEVER) return 0;
  return Number.isInteger(v) && v > 0 ? v : DEFAULT_AWAY;
}

export class AwayNotice {
  // opts: minutes() → the agent's awayAfterMinutes; goOnline() → a promise
  // (sets presence as the presence menu does; it calls onPresence);
  // focusAfter() → where focus goes when the focused banner disappears.
  constructor(opts) {
    this.opts = opts;
    this.timer = 0;
    this.msg = h('span', { class: 'away-text' });
    this.btn = h('button', { type: 'button', class: 'primary', testid: 'away-online', onClick: () => this.online() }, t('away.goOnline'));
    this.banner = h('div', { class: 'banner away-banner', role: 'status', 'aria-live': 'polite', testid: 'away-banner', hidden: true },
      this.msg, this.btn);
    this.noteText = h('span', { class: 'away-text' });
    this.dismiss = h('button', { type: 'button', class: 'link', testid: 'away-hours-dismiss', onClick: () => this.hideNote(true) }, t('away.dismiss'));
    this.note = h('div', { class: 'away-note', role: 'status', 'aria-live': 'polite', testid: 'away-hours', hidden: true },
      this.noteText, this.dismiss);
  }

  // onPresence: the signed-in agent's presence is now presence, for reason
  // (manual, hours, inactivity, disconnect, signout; none counts as manual).
  onPresence(presence, reason) {
    if (presence !== 'offline') return this.hide();
    switch (reason || 'manual') {
      case 'inactivity': {
        const n = awayMinutes(this.opts.minutes());
        this.hideNote(false);
        return this.show(this.banner, this.msg, n ? tp('away.inactivity', n) : t('away.inactivityAny'));
      }
      case 'hours':
        this.hideBanner(false);
        return this.show(this.note, this.noteText, t('away.hours'));
      case 'manual':
        return this.hide(); // the agent chose offline themselves
      // disconnect, signout: what is shown stays
    }
  }

  // show reveals a live region empty, then fills it, so screen readers
  // announce the text (a region that appears with its text often is not).
  show(region, textEl, text) {
    clearTimeout(this.timer);
    textEl.textContent = '';
    region.hidden = false;
    this.timer = setTimeout(() => { textEl.textContent = text; }, 100);
  }

  hide() {
    this.hideBanner(false);
    this.hideNote(false);
  }

  // hideBanner and hideNote hide one region; refocus when focus was in it
  // (keyboard users do not land on <body>).
  hideBanner(refocus) { this.hideRegion(this.banner, this.msg, refocus); }
  hideNote(refocus) { this.hideRegion(this.note, this.noteText, refocus); }

  hideRegion(region, textEl, refocus) {
    if (region.hidden) return;
    const had = refocus || region.contains(document.activeElement);
    clearTimeout(this.timer);
    region.hidden = true;
    textEl.textContent = '';
    const to = had && this.opts.focusAfter && this.opts.focusAfter();
    if (to) to.focus();
  }

  async online() {
    const had = this.banner.contains(document.activeElement);
    this.btn.disabled = true;
    try {
      await this.opts.goOnline();
    } finally {
      this.btn.disabled = false;
    }
    // goOnline hid the banner when it worked; focus was on its button
    if (had && this.banner.hidden && this.opts.focusAfter) this.opts.focusAfter().focus();
  }
}

// awayField is the profile's "Go offline after inactivity" select (its
// value is awayAfterMinutes; .select is the <select>). A stored value that
// is not among the choices is shown as one more.
export function awayField(value) {
  const v = Number.isInteger(value) ? value : 0;
  const cur = v === DEFAULT_AWAY ? 0 : v;
  const choices = CHOICES.includes(cur) ? CHOICES : [...CHOICES, cur];
  const order = (n) => (n === 0 ? DEFAULT_AWAY : n);
  const label = (n) => n === AWAY_NEVER ? t('set.away.never')
    : n === 0 ? t('set.away.default', { time: tp('away.min', DEFAULT_AWAY) }) : tp('away.min', n);
  const pairs = [...choices].sort((a, b) => order(a) - order(b)).map((n) => [String(n), label(n)]);
  const select = h('select', { 'aria-label': t('set.away.after'), testid: 'away-after' }, options(pairs, String(cur)));
  const el = field(t('set.away.after'), select, { name: 'awayAfterMinutes', hint: t('set.away.hint') });
  el.select = select;
  return el;
}
