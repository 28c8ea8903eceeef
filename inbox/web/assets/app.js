// The inbox's entry point: sign-in, the shell (tabs, presence, language),
// the live connection and the two screens.
import { api, setCSRF, whenUnauthorized } from './api.js';
import { t, setLanguage, languages, languageNames } from './i18n.js';
import { Live } from './ws.js';
import { ReadState } from './read.js';
import { askPermissionOnFirstClick } from './notify.js';
import { MissedWatch } from './missed.js';
import { h, replace, errorText } from './views/dom.js';
import { renderLogin } from './views/login.js';
import { Workspace } from './views/workspace.js';
import { ConversationTable } from './views/table.js';
import { Settings } from './views/settings.js';
import { StatsView } from './views/stats.js';
import { setNotifyPrefs } from './notify.js';
import { Activity } from './activity.js';
import { AwayNotice } from './views/away.js';

const root = document.getElementById('app');
let session = null;

// end stops a session's live connection and its activity reports.
function end(s) {
  s.live.stop();
  s.activity.stop();
}

function showLogin() {
  if (session) end(session);
  session = null;
  setLanguage((navigator.language || 'en').slice(0, 2));
  document.title = t('app.title');
  renderLogin(root, (me) => start(me));
}

async function boot() {
  setLanguage((navigator.language || 'en').slice(0, 2));
  whenUnauthorized(() => { if (session) showLogin(); });
  askPermissionOnFirstClick();
  try {
    start(await api.me());
  } catch (e) {
    if (e.status === 401) showLogin();
    else replace(root, h('main', { class: 'fatal' }, h('p', { class: 'error' }, errorText(e)),
      h('button', { type: 'button', onClick: boot }, '↻')));
  }
}

// Directory keeps agents and lines for names and pickers.
class Directory {
  constructor() { this.agentMap = new Map(); this.lineMap = new Map(); }
  async load() {
    const [agents, lines] = await Promise.all([api.get('/agents'), api.get('/lines')]);
    this.agentMap = new Map(agents.items.map((a) => [a.id, a]));
    this.lineMap = new Map(lines.items.map((l) => [l.id, l]));
  }
  agent(id) { const a = this.agentMap.get(id); return a ? a.name : '—'; }
  line(id) { const l = this.lineMap.get(id); return l ? l.name : '—'; }
  agents() { return [...this.agentMap.values()].sort((a, b) => a.name.localeCompare(b.name)); }
  lines() { return [...this.lineMap.values()].sort((a, b) => a.name.localeCompare(b.name)); }
}

async function start(me) {
  setCSRF(me.csrfToken);
  const agent = me.agent;
  // Whether the gateway can send mail (the profile offers transcripts only then).
  agent.serverSendsMail = !!me.mail;
  setLanguage(agent.language || 'en');
  document.title = t('app.title');
  const names = new Directory();
  try {
    await names.load();
  } catch (e) {
    if (e.status === 401) return showLogin();
    // names show as dashes; everything else works
  }
  if (session) end(session);
  const s = { agent, names };
  session = s;

  const toastEl = h('div', { class: 'toast', role: 'status', hidden: true });
  let toastTimer = 0;
  const toast = (text) => {
    toastEl.textContent = text;
    toastEl.hidden = !text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toastEl.hidden = true; }, 6000);
  };

  const read = new ReadState(agent.id);
  const banner = h('div', { class: 'banner', role: 'status', testid: 'conn-banner', hidden: true }, t('conn.offline'));
  s.live = new Live({
    onReady: (again) => {
      banner.hidden = true;
      s.activity.now(); // (re)connected: the person is here, if the tab is seen
      s.workspace.resume(); s.table.refresh();
      if (again) refreshMe(s); // a change may have come while we were away
    },
    onResync: () => { s.workspace.resume(); s.table.refresh(); },
    onEvent: (ev) => onEvent(s, ev),
    onHidden: (id) => s.workspace.onHidden(id),
    onError: (err) => { if (err && err.code !== 'forbidden') toast(err.message); },
    onState: (state) => {
      if (state === 'up') {
        // Reconnected: the banner goes at once, and a toast says so.
        if (!banner.hidden) toast(t('conn.back'));
        banner.hidden = true;
        return;
      }
      banner.hidden = false;
      api.me().catch((e) => { if (e.status === 401 && session === s) showLogin(); });
    },
  });
  // {"type":"active"} frames while the person uses the inbox (activity.js).
  s.activity = new Activity((frame) => s.live.send(frame));
  const openConv = (id) => { location.hash = '#/c/' + id; };
  // Alerts when a conversation turns missed (missed.js); the lists tell it
  // what they loaded, so only a change seen live alerts.
  s.missed = new MissedWatch({ me: agent, names, onOpen: openConv,
    isShown: (id) => s.tab === 'workspace' && s.workspace.openId === id && !document.hidden });
  s.workspace = new Workspace({ me: agent, read, names, live: s.live, toast, missed: s.missed });
  s.table = new ConversationTable({ names, toast, onOpen: openConv, missed: s.missed });

  s.changePresence = async (want) => {
    try {
      const ag = await api.patch('/me', { presence: want });
      s.agent.presence = ag.presence;
      s.away.onPresence(ag.presence, 'manual');
    } catch (e) {
      toast(errorText(e));
    }
    setPresence(s, s.agent.presence);
  };
  s.presence = h('select', { testid: 'presence', 'aria-label': t('presence.label'), class: 'presence',
    onChange: () => s.changePresence(s.presence.value) },
  ['online', 'invisible', 'offline'].map((p) => h('option', { value: p }, t('presence.' + p))));
  // Set offline for inactivity or by working hours: a banner (views/away.js).
  s.away = new AwayNotice({ minutes: () => s.agent.awayAfterMinutes,
    goOnline: () => s.changePresence('online'), focusAfter: () => s.presence });
  setPresence(s, agent.presence);

  const lang = h('select', { 'aria-label': t('lang.label'), class: 'lang', onChange: async () => {
    try {
      await api.patch('/me', { language: lang.value });
      location.reload();
    } catch (e) { toast(errorText(e)); }
  } }, languages.map((l) => h('option', { value: l, selected: l === agent.language }, languageNames[l])));

  s.tabs = {
    workspace: h('a', { href: '#/', class: 'tab', role: 'tab', testid: 'tab-workspace' }, t('tab.workspace')),
    conversations: h('a', { href: '#/conversations', class: 'tab', role: 'tab', testid: 'tab-conversations' }, t('tab.conversations')),
    stats: h('a', { href: '#/stats', class: 'tab', role: 'tab', testid: 'tab-stats' }, t('stats.tab')),
    settings: h('a', { href: '#/settings', class: 'tab', role: 'tab', testid: 'tab-settings' }, t('tab.settings')),
  };
  setNotifyPrefs(agent.notifications);
  s.settings = new Settings({ me: agent, toast });
  s.stats = new StatsView({ me: agent, names });
  s.main = h('main', { class: 'main' });
  replace(root,
    h('header', { class: 'topbar' },
      h('h1', { class: 'brand' }, t('app.title')),
      h('nav', { class: 'tabs', role: 'tablist' }, s.tabs.workspace, s.tabs.conversations, s.tabs.stats, s.tabs.settings),
      h('span', { class: 'spacer' }),
      h('span', { class: 'me' }, agent.name),
      h('span', { class: ['presence-dot', 'p-' + agent.presence] }), s.presence, lang,
      h('button', { type: 'button', class: 'link', onClick: () => logout(s) }, t('logout'))),
    banner, s.away.banner, s.away.note, s.main, toastEl);
  route(s);
  s.activity.start();
  s.live.start();
}

function setPresence(s, p) {
  s.presence.value = p;
  const dot = root.querySelector('.presence-dot');
  if (dot) dot.className = 'presence-dot p-' + p;
}

// refreshMe reads the agent's presence and inactivity period again: after
// a reconnect (events sent while the socket was down are not replayed) and
// when their record changed (an admin may have set the period).
async function refreshMe(s) {
  try {
    const me = await api.me();
    if (session !== s) return;
    s.agent.presence = me.agent.presence;
    s.agent.awayAfterMinutes = me.agent.awayAfterMinutes;
    setPresence(s, s.agent.presence);
    if (s.agent.presence !== 'offline') s.away.hide();
  } catch (e) {
    if (e.status === 401 && session === s) showLogin();
  }
}

function route(s) {
  const hash = location.hash || '#/';
  const tab = hash.startsWith('#/settings') ? 'settings' : hash.startsWith('#/conversations') ? 'conversations'
    : hash.startsWith('#/stats') ? 'stats' : 'workspace';
  const switched = s.tab !== tab;
  s.tab = tab;
  for (const [name, el] of Object.entries(s.tabs)) {
    el.classList.toggle('active', name === tab);
    el.setAttribute('aria-selected', String(name === tab));
  }
  if (switched) replace(s.main, { settings: s.settings.el, conversations: s.table.el, stats: s.stats.el }[tab] || s.workspace.el);
  if (tab === 'settings') return s.settings.show(hash);
  if (tab === 'stats') {
    if (switched) s.stats.show();
    return;
  }
  if (tab === 'conversations') {
    if (switched) s.table.load();
    return;
  }
  const m = hash.match(/^#\/c\/([0-9a-fA-F]{24})$/);
  if (m && m[1] !== s.workspace.openId) s.workspace.open(m[1]);
}

window.addEventListener('hashchange', () => { if (session) route(session); });

function onEvent(s, ev) {
  switch (ev.type) {
    case 'agent.presence':
      if (ev.agentId === s.agent.id) {
        s.agent.presence = ev.presence;
        setPresence(s, ev.presence);
        s.away.onPresence(ev.presence, ev.reason || 'manual'); // older events carry no reason
      }
      break;
    case 'agent.changed':
    case 'agent.deleted':
    case 'line.changed':
    case 'line.deleted':
      if (ev.type === 'agent.changed' && ev.agentId === s.agent.id) refreshMe(s);
      clearTimeout(s.dirTimer);
      s.dirTimer = setTimeout(() => s.names.load().catch(() => {}), 300);
      break;
    default:
      s.missed.onEvent(ev); // first: it compares with the state before this event
      s.workspace.onEvent(ev);
      s.table.onEvent(ev); // the conversation table updates live (views/table.js)
  }
}

async function logout(s) {
  try { await api.post('/auth/logout'); } catch { /* signed out anyway */ }
  if (session === s) showLogin();
}

boot();
