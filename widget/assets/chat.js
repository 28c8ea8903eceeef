// The chat window inside the iframe (docs/widget-protocol.md). Its parts:
// state.js (what they share), window.js (the elements), timeline.js (the
// messages), forms.js (contact form, rating, transcript), socket.js (the
// session and the websocket). This module joins them and talks to the
// loader on the host page.
import { validEmail } from './core.js';
import { S, $, EMBED, HOST, OB, post, sleep } from './state.js';
import { build } from './window.js';
import { pending, submit, upload, unread } from './timeline.js';
import { contact, contactView, paint, rate, transcript } from './forms.js';
import { forget, session, start } from './socket.js';

// cleanUser keeps what setUser may pass; without an id there is no user.
function cleanUser(u) {
  if (!u || typeof u !== 'object' || u.id == null || u.id === '') return null;
  const o = {};
  for (const k of ['id', 'name', 'email', 'hash']) if (u[k] != null && u[k] !== '') o[k] = String(u[k]).slice(0, 200);
  return o;
}
function useUser(u) {
  S.user = cleanUser(u);
  const e = S.user && S.user.email;
  if (e && validEmail(e)) {
    S.email = S.email || e;
    $.email.value = e;
    $.name.value = S.user.name || '';
    contactView();
  }
}

// ---- the loader (host page)
let inited;
const init = new Promise(r => (inited = r));
addEventListener('message', e => {
  const d = e.data;
  if (!EMBED || e.source !== parent || e.origin !== HOST || !d || d.sb !== 1) return;
  if (typeof d.page === 'string') S.page = d.page;
  switch (d.type) {
    case 'init':
      S.open = !!d.open;
      useUser(d.user);
      inited();
      break;
    case 'open':
      S.open = true;
      $.input.focus();
      unread();
      break;
    case 'close':
      S.open = false;
      break;
    case 'user': {
      const was = S.user;
      useUser(d.user);
      if (was && !S.user) forget(); // setUser(null): logged out
      if (S.ready) session(false).catch(x => console.warn('switchboard: setUser:', x.message));
      break;
    }
  }
});

build({ submit, upload, unread, contact, transcript, rate, paint });
for (const it of OB.all()) pending(it); // left from an earlier page: resent after welcome
if (EMBED) {
  post('hello');
  await Promise.race([init, sleep(1500)]);
}
if (S.open) $.input.focus();
start();
