// The window's forms: the mode panel with its contact form, and at the
// close of a conversation the rating and the transcript request.
import { t, lang } from './i18n.js';
import { validEmail } from './core.js';
import { S, $, TL, api, jget, jset, post, send } from './state.js';
import { toEnd } from './window.js';
import { h, text } from './view.js';

// ---- the line's look (from the session): title, colours, greetings
export function look(ln) {
  $.line.textContent = document.title = ln.title || ln.name || t('title');
  const r = document.documentElement.style;
  if (/^#[0-9a-f]{6}$/i.test(ln.color)) r.setProperty('--p', ln.color), r.setProperty('--on-p', ln.textColor || '#fff');
  S.greet = [ln.greeting || '', ln.messengerGreeting || ''];
  S.cf = !!ln.contactForm;
  greet();
  contactView();
}
// greet shows the greeting of the mode: live chat or messenger.
function greet() {
  const g = (S.greet || [])[S.mode === 'live' ? 0 : 1] || '';
  $.greet.replaceChildren(h('div', { class: 'sb-bubble', dir: 'auto', 'data-testid': 'sb-greeting' }, text(g)));
  $.greet.hidden = !g;
}

// ---- modes and the contact form
// setMode shows mode m; at is when a line closed by its business hours
// opens again ('' none, undefined: as it was).
export function setMode(m, at) {
  if (at !== undefined) S.at = at;
  if (['live', 'messenger', 'hidden'].includes(m) && m !== S.mode) {
    S.mode = m;
    $.mode.dataset.mode = $.app.dataset.mode = m;
    $.modeText.textContent = t(m);
    $.status.textContent = t(m === 'live' ? 'online' : 'offline');
    greet();
    contactView();
    if (S.ready) post('mode', { mode: m });
  }
  back();
}
// back says in messenger mode when the line opens again, in the visitor's
// language and time zone: today, tomorrow, a weekday (pl, ru: a date, which
// their grammar takes as it comes), the date when over six days away.
function back() {
  const d = new Date(S.at);
  const L = lang();
  const f = o => new Intl.DateTimeFormat(L, o).format(d);
  const n = Math.round((new Date(S.at).setHours(0, 0, 0, 0) - new Date().setHours(0, 0, 0, 0)) / 864e5);
  let s = '';
  clearTimeout(S.backT);
  try {
    if (S.mode === 'messenger' && d > Date.now()) {
      const w = n < 2 ? new Intl.RelativeTimeFormat(L, { numeric: 'auto' }).format(n, 'day') : f(/pl|ru/.test(L) ? { day: 'numeric', month: 'long' } : n > 6 ? { weekday: 'long', day: 'numeric', month: 'long' } : { weekday: 'long' });
      const at = f({ timeStyle: 'short' });
      s = t('back', { d: w, t: at });
      // again within the hour: "tomorrow" becomes "today", and the line goes once past
      S.backT = setTimeout(back, Math.min(d - Date.now(), 36e5) + 500);
    }
  } catch {
    // a browser without these Intl parts: no line
  }
  $.back.textContent = s;
}
// contactView shows the contact form: in messenger mode, and in live chat
// too on a line that asks before the first message (then sending waits
// for it).
export function contactView() {
  const done = !!S.email;
  const first = S.cf && S.mode === 'live' && !TL.conv;
  $.form.hidden = !(S.mode === 'messenger' || first) || done;
  $.hint.textContent = t(first ? 'formHint' : 'messengerHint');
  if (S.cf) $.comp.hidden = first && !done;
  $.cMsg.textContent = S.mode === 'messenger' && done ? t('contactDone', { email: S.email }) : '';
}
export async function contact(e) {
  e.preventDefault();
  const name = $.name.value.trim();
  const email = $.email.value.trim();
  $.email.removeAttribute('aria-invalid');
  if (!validEmail(email)) {
    $.email.setAttribute('aria-invalid', 'true');
    $.cMsg.textContent = t('badEmail');
    return $.email.focus();
  }
  try {
    await api('POST', '/widget/v1/contact', { name, email });
    S.email = email;
    jset('c', { name, email });
    contactView();
  } catch (x) {
    $.cMsg.textContent = x.status === 400 && x.srv ? x.message : t('error');
  }
}

// ---- status, rating, transcript
export function status(st) {
  if (st === 'closing') {
    if (S.ratedConv !== TL.conv && jget('rated') !== TL.conv) {
      S.ratedConv = TL.conv;
      S.rating = 0;
      paint(0);
      $.rated.textContent = $.tMsg.textContent = '';
      $.tEmail.value = S.email;
      $.rate.hidden = false;
      toEnd();
    }
  } else if (st !== 'closed' && st !== 'spam') $.rate.hidden = true;
}
export function paint(n) {
  for (const b of $.stars.children) {
    const on = +b.dataset.n <= n;
    b.classList.toggle('sb-on', on);
    b.setAttribute('aria-pressed', String(+b.dataset.n === S.rating));
  }
}
// ctl sends a frame now, or after the next welcome.
function ctl(f) {
  if (!send(f)) S.ctl.push(f);
}
export function rate(n) {
  S.rating = n;
  paint(n);
  ctl({ type: 'rate', rating: n });
  jset('rated', TL.conv);
  $.rated.textContent = t('rated');
}
export function transcript(e) {
  e.preventDefault();
  const email = $.tEmail.value.trim();
  $.tEmail.removeAttribute('aria-invalid');
  if (!validEmail(email)) {
    $.tEmail.setAttribute('aria-invalid', 'true');
    $.tMsg.textContent = t('badEmail');
    return $.tEmail.focus();
  }
  ctl({ type: 'transcript', email });
  $.tMsg.textContent = t('transcriptDone');
}
