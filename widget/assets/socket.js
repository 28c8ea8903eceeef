// The connection: the visitor session over REST, the websocket (conn.js)
// and what its frames do, and the history fetched after a resync.
import { t } from './i18n.js';
import { Outbox, backoff } from './core.js';
import { Conn } from './conn.js';
import { S, $, TL, OB, LINE, HOST, LANG, api, jset, newTimeline, page, plug, post, sdel, sleep, sset, withOrigin } from './state.js';
import { net, connState } from './window.js';
import { incoming, acked, failed, pending, seen, typing, unpendAll, unread } from './timeline.js';
import { setMode, status, contactView, look } from './forms.js';

const conn = new Conn({
  url: tok => withOrigin(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/widget/v1/ws?token=${encodeURIComponent(tok)}`),
  // conversationId lets the server finish a conversation closed meanwhile
  // and start the current one from its beginning.
  hello: () => ({ lastSeq: (S.helloSeq = TL.cursor), ...(TL.conv && { conversationId: TL.conv }) }),
  frame: onFrame,
  // Down: after 1.5 s (a blip shows nothing) the header says it is
  // reconnecting; back up, the header shows the status again.
  state: up => {
    clearTimeout(S.netT);
    if (up) {
      net('');
      connState(true);
    } else S.netT = setTimeout(() => connState(false), 1500);
  },
  refresh: async () => (await session(true), S.token),
});
plug(conn);

function onFrame(f) {
  switch (f.type) {
    case 'welcome': {
      const c = f.conversationId;
      if (c && c !== TL.conv) {
        TL.use(c);
        // hello carried another conversation's cursor: fill in from the start
        if (S.helloSeq > TL.cursor) history();
      }
      setMode(f.mode, f.opensAt || '');
      if (f.status) status(f.status);
      for (const it of OB.all()) {
        pending(it);
        conn.send(Outbox.frame(it)); // same clientId on every retry
      }
      for (const x of S.ctl.splice(0)) conn.send(x);
      S.sentRead = '';
      unread();
      break;
    }
    case 'message':
      incoming(f.message, true);
      break;
    case 'ack':
      acked(f);
      break;
    case 'typing':
      typing(f);
      break;
    case 'read':
      seen(+f.seq || 0, f.conversationId);
      break;
    case 'mode':
      setMode(f.mode, f.opensAt || '');
      break;
    case 'status':
      if (!f.conversationId || f.conversationId === TL.conv || !TL.has(f.conversationId)) {
        if (f.conversationId) TL.use(f.conversationId);
        status(f.status);
      }
      break;
    case 'error':
      failed(f);
      break;
    case 'resync':
      history(f.conversationId);
      break;
  }
}

// history fetches what the stream missed (resync): of conversation conv,
// or of the current one, page by page.
async function history(conv) {
  if (S.hist) return void (S.histAgain = true);
  S.hist = true;
  try {
    for (let n = 0, after = TL.at(conv || TL.conv); n < 100; n++) {
      const id = conv ? `&conversationId=${encodeURIComponent(conv)}` : '';
      const j = await api('GET', `/widget/v1/history?after=${after}${id}`);
      const c = j.conversation;
      if (!conv && c && c.id !== TL.conv) {
        TL.use(c.id);
        if (after !== TL.cursor) {
          after = TL.cursor;
          continue;
        }
      }
      const ms = Array.isArray(j.messages) ? j.messages : [];
      for (const m of ms) incoming(m, true);
      if (c && c.id === TL.conv) status(c.status);
      if (!j.more || !ms.length) break;
      after = ms[ms.length - 1].seq;
    }
  } catch (x) {
    S.histAgain = true;
    if (x.status === 401) await session(true).catch(() => {}); // token expired
    await sleep(3000);
  } finally {
    S.hist = false;
  }
  if (S.histAgain) {
    S.histAgain = false;
    history(conv);
  }
}

// ---- session
export async function session(refresh) {
  const body = { lineId: LINE, origin: HOST, page: page(), language: LANG };
  if (S.token) body.token = S.token;
  if (S.user) body.user = S.user;
  const j = await api('POST', '/widget/v1/session', body, false);
  if (S.visitor && j.visitorId !== S.visitor) reset();
  S.visitor = j.visitorId;
  S.token = j.token;
  sset('t', j.token);
  look(j.line || {});
  for (const m of Array.isArray(j.messages) ? j.messages : []) incoming(m, false);
  const c = j.conversation;
  TL.use(c ? c.id : null);
  if (!S.read) jset('r', (S.read = { c: TL.conv, s: TL.max(TL.conv) }));
  setMode(j.mode, j.opensAt);
  if (c) status(c.status);
  if (!S.ready) {
    S.ready = true;
    post('ready', { mode: S.mode });
  }
  S.unread = -1;
  unread();
  if (!refresh && (conn.token !== S.token || !conn.on)) conn.start(S.token);
}
// forget drops the visitor on this browser (after a logout), so whoever
// comes next does not see their conversation.
export function forget() {
  for (const k of ['t', 'o', 'r', 'c', 'rated']) sdel(k);
  unpendAll();
  S.token = S.email = '';
  $.name.value = $.email.value = '';
  contactView();
  reset();
}
function reset() {
  newTimeline();
  $.log.replaceChildren();
  $.rate.hidden = true;
  S.read = S.agentRead = null;
}
// start opens the session, retrying what may pass later; a refusal
// (origin, unknown line, bad input) ends it with a note in the window.
export async function start() {
  net(t('connecting'));
  for (let n = 0; ; n++) {
    try {
      await session(false);
      if (!conn.up) net(t('connecting'));
      return;
    } catch (e) {
      if (e.code === 'identity' && S.user) {
        // a wrong setUser hash: chat on anonymously rather than not at all
        console.warn('switchboard: setUser refused, continuing anonymously:', e.message);
        S.user = null;
        continue;
      }
      if (e.status === 403 || e.status === 404 || e.status === 400) {
        console.warn('switchboard:', e.message);
        net(e.code === 'origin' ? t('errOrigin') : e.status === 404 ? t('errGone') : t('error'));
        $.comp.hidden = true;
        return;
      }
      if (e.status === 429) net(t('errBusy'));
      await sleep(backoff(n));
    }
  }
}
