// The chat window: its elements (kept in $) and the small things done to
// them. What its buttons and forms do comes in from the other modules.
import { t } from './i18n.js';
import { h, icon } from './view.js';
import { S, $, EMBED, post, send, kick, visible } from './state.js';

// build makes the window. on: {submit(), upload(files), unread(),
// contact(event), transcript(event), rate(n), paint(n)}.
export function build(on) {
  $.file = h('input', { type: 'file', multiple: true, class: 'sb-vh', 'data-testid': 'sb-file', 'aria-label': t('attach') });
  $.input = h('textarea', { rows: '1', 'data-testid': 'sb-input', placeholder: t('placeholder'), 'aria-label': t('placeholder'), dir: 'auto' });
  $.send = h('button', { type: 'submit', class: 'sb-send', 'data-testid': 'sb-send', 'aria-label': t('send'), title: t('send') }, icon('send'));
  const stars = h('div', { class: 'sb-stars', role: 'group', 'aria-label': t('rateQ') });
  for (let n = 1; n <= 5; n++)
    stars.append(h('button', { type: 'button', 'data-testid': `sb-rate-${n}`, 'data-n': n, 'aria-label': t('star', { n }), 'aria-pressed': 'false', onclick: () => on.rate(n) }, '★'));
  stars.addEventListener('mouseover', e => on.paint(+(e.target.dataset && e.target.dataset.n) || S.rating));
  stars.addEventListener('mouseout', () => on.paint(S.rating));
  $.stars = stars;

  $.app = h('div', { class: 'sb-app' },
    h('header', { class: 'sb-head' },
      h('div', { class: 'sb-ttl' }, ($.line = h('h1', { dir: 'auto' }, t('title'))), ($.status = h('p', { class: 'sb-st' })),
        ($.conn = h('p', { class: 'sb-conn', role: 'status', 'data-testid': 'sb-conn', hidden: true }))),
      EMBED && h('button', { type: 'button', class: 'sb-x', 'aria-label': t('close'), title: t('close'), onclick: () => post('close') }, icon('x'))),
    ($.mode = h('section', { class: 'sb-mode', 'data-testid': 'sb-mode', 'data-mode': '' },
      ($.modeText = h('p', { class: 'sb-mt', role: 'status' })),
      ($.back = h('p', { class: 'sb-bk', role: 'status', 'data-testid': 'sb-opens-at' })),
      ($.form = h('form', { class: 'sb-form', novalidate: true, hidden: true, onsubmit: on.contact },
        ($.hint = h('p', { class: 'sb-hint' }, t('messengerHint'))),
        h('div', { class: 'sb-row' },
          h('label', {}, h('span', {}, t('name')), ($.name = h('input', { type: 'text', autocomplete: 'name', maxlength: '200', 'data-testid': 'sb-name' }))),
          h('label', {}, h('span', {}, t('email')), ($.email = h('input', { type: 'email', autocomplete: 'email', maxlength: '200', required: true, 'data-testid': 'sb-email' })))),
        h('button', { type: 'submit', class: 'sb-btn', 'data-testid': 'sb-contact-submit' }, t('submit')))),
      ($.cMsg = h('p', { class: 'sb-note', role: 'status' })))),
    ($.net = h('p', { class: 'sb-net', role: 'status', hidden: true })),
    ($.list = h('div', { class: 'sb-list', 'data-testid': 'sb-messages', role: 'log', 'aria-label': t('messages'), tabindex: '0' },
      ($.greet = h('div', { class: 'sb-msg sb-agent sb-greet', hidden: true })),
      ($.log = h('div', { class: 'sb-log' })),
      ($.pend = h('div', { class: 'sb-log' })))),
    ($.typing = h('p', { class: 'sb-typing', 'aria-live': 'polite' })),
    ($.rate = h('section', { class: 'sb-panel', hidden: true },
      h('button', { type: 'button', class: 'sb-x sb-dis', 'aria-label': t('dismiss'), title: t('dismiss'), onclick: () => ($.rate.hidden = true) }, icon('x')),
      h('p', { class: 'sb-q' }, t('rateQ')),
      stars,
      ($.rated = h('p', { class: 'sb-note', role: 'status' })),
      ($.tForm = h('form', { class: 'sb-tr', novalidate: true, onsubmit: on.transcript },
        ($.tEmail = h('input', { type: 'email', autocomplete: 'email', maxlength: '200', placeholder: t('email'), 'aria-label': t('email'), 'data-testid': 'sb-transcript-email' })),
        h('button', { type: 'submit', class: 'sb-btn sb-ghost', 'data-testid': 'sb-transcript' }, t('transcript')))),
      ($.tMsg = h('p', { class: 'sb-note', role: 'status' })))),
    ($.err = h('p', { class: 'sb-err', role: 'alert', hidden: true })),
    ($.comp = h('form', { class: 'sb-comp', onsubmit: e => (e.preventDefault(), on.submit()) },
      h('label', { class: 'sb-attach', title: t('attach') }, $.file, icon('clip')),
      $.input,
      $.send)));
  document.body.append($.app);
  // Styled here: the header's connection state is part of the connection code.
  Object.assign($.conn.style, { margin: '1px 0 0', fontSize: '13px', fontWeight: '600' });

  $.file.addEventListener('change', () => {
    const fs = [...$.file.files];
    $.file.value = '';
    on.upload(fs);
  });
  $.input.addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      on.submit();
    }
  });
  $.input.addEventListener('input', () => {
    grow();
    const now = Date.now();
    if ($.input.value.trim() && now - S.typingAt > 3000 && send({ type: 'typing', typing: true })) S.typingAt = now;
    clearTimeout(S.typStop);
    S.typStop = setTimeout(stopTyping, 4000);
  });
  document.addEventListener('keydown', e => e.key === 'Escape' && !e.isComposing && post('close'));
  document.addEventListener('visibilitychange', () => {
    on.unread();
    if (visible()) kick();
  });
  addEventListener('online', () => kick());
}

export function grow() {
  const i = $.input;
  i.style.height = 'auto';
  i.style.height = `${Math.min(i.scrollHeight + i.offsetHeight - i.clientHeight, 140)}px`;
}
export function stopTyping() {
  clearTimeout(S.typStop);
  if (S.typingAt) {
    S.typingAt = 0;
    send({ type: 'typing', typing: false });
  }
}
export function error(msg) {
  $.err.textContent = msg || '';
  $.err.hidden = !msg;
  clearTimeout(S.errT);
  if (msg) S.errT = setTimeout(() => error(''), 8000);
}
export function net(s) {
  $.net.textContent = s;
  $.net.hidden = !s;
}
// connState shows in the header that the connection is down and being
// restored, in place of the online/offline status, until it is back.
export function connState(up) {
  $.conn.textContent = up ? '' : `⟳ ${t('offlineShort')}`;
  $.conn.hidden = up;
  $.status.hidden = !up;
  $.app.dataset.conn = up ? 'up' : 'down';
}
export const atEnd = () => $.list.scrollHeight - $.list.scrollTop - $.list.clientHeight < 80;
export const toEnd = () => ($.list.scrollTop = $.list.scrollHeight);
