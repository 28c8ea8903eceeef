// The workspace ("Contact Center"): my active conversations and new
// requests on the left, updated live; the open conversation in the center.
import { api, query } from '../api.js';
import { t } from '../i18n.js';
import { announce } from '../notify.js';
import { h, isActive, errorText } from './dom.js';
import { renderList } from './list.js';
import { ConversationView } from './conversation.js';
import { contactLabel } from './names.js';

const PAGE = 1000; // messages per request when catching up
const TYPING_SHOWN = 6000;

export class Workspace {
  // opts: me (agent), read (ReadState), names, live (Live), toast(text),
  // missed (MissedWatch: told what the lists load; optional)
  constructor({ me, read, names, live, toast, missed }) {
    Object.assign(this, { me, read, names, live, toast, missed });
    this.convs = new Map();
    this.openId = '';
    this.loaded = false;
    this.typingTimer = 0;
    this.listEl = h('nav', { class: 'conv-list', testid: 'conv-list', 'aria-label': t('tab.workspace') });
    this.extra = { fresh: 0, mine: 0 }; // beyond the rows loaded (lists stop at 200)
    this.view = new ConversationView({
      meId: me.id, me, names, toast,
      onChanged: (c) => this.upsert(c, false),
      onDeleted: (id) => this.onEvent({ type: 'conversation.deleted', conversationId: id }),
      onContact: (ct) => {
        for (const c of this.convs.values()) if (c.contactId === ct.id) c.contactName = ct.name;
        this.drawList();
      },
      onAccept: () => this.op('accept'), onClose: () => this.op('close'), onSpam: () => this.op('spam'),
      onSend: (d) => this.send(d), onTyping: (typing) => this.openId && live.send({ type: 'typing', conversationId: this.openId, typing }),
      onLoadEarlier: () => this.loadEarlier(),
      onRetry: (m) => this.retry(m),
    });
    this.el = h('div', { class: 'workspace' }, this.listEl, this.view.el);
    read.onChange = () => this.drawList();
    document.addEventListener('visibilitychange', () => { if (!document.hidden) this.markRead(); });
  }

  belongs(c) { return isActive(c) && (!c.agentId || c.agentId === this.me.id); }

  drawList() {
    renderList(this.listEl, { convs: this.convs.values(), meId: this.me.id, openId: this.openId, read: this.read,
      extra: this.extra, onOpen: (id) => this.open(id) });
    this.drawTitle();
  }

  // drawTitle puts the number of unread conversations in the tab's title.
  drawTitle() {
    let n = 0;
    for (const c of this.convs.values()) if (this.read.unread(c)) n++;
    document.title = (n ? '(' + n + ') ' : '') + t('app.title');
  }

  // refresh reloads both lists from the API.
  async refresh() {
    const base = { active: true, limit: 200, sort: '-lastMessage' };
    const [mine, fresh] = await Promise.all([
      api.get('/conversations' + query({ ...base, agent: this.me.id })),
      api.get('/conversations' + query({ ...base, unassigned: true })),
    ]);
    this.convs = new Map([...fresh.items, ...mine.items].map((c) => [c.id, c]));
    if (this.missed) this.missed.seen(this.convs.values());
    this.extra = { fresh: Math.max(0, fresh.total - fresh.items.length), mine: Math.max(0, mine.total - mine.items.length) };
    this.loaded = true;
    this.drawList();
  }

  // resume runs after every (re)connect and resync: refetch the list, and
  // the open conversation's messages after the last seq shown.
  async resume() {
    try {
      await this.refresh();
      if (!this.openId) return;
      const id = this.openId;
      if (!await this.catchUp(id) || !await this.recheck(id)) return;
      let conv = this.convs.get(id);
      if (!conv) {
        const found = await api.get('/conversations' + query({ number: this.view.conv.number }));
        conv = found.items.find((c) => c.id === id);
      }
      if (conv && this.openId === id) this.view.update(conv);
      this.markRead();
    } catch (e) {
      if (e.status === 403 || e.status === 404) this.view.notice(t(e.status === 403 ? 'conv.hidden' : 'conv.deleted'));
      else if (e.status !== 401) this.toast(errorText(e));
    }
  }

  // catchUp appends the open conversation's messages after the last seq
  // shown; false if another conversation was opened meanwhile.
  async catchUp(id) {
    for (;;) {
      const page = await api.get(`/conversations/${encodeURIComponent(id)}/messages` + query({ after: this.view.lastSeq, limit: PAGE }));
      if (this.openId !== id) return false;
      this.view.append(page.items);
      if (page.items.length < PAGE) return true;
    }
  }

  // recheck fetches again the replies shown that were still on their way:
  // their delivery may have moved while the websocket was down. False if
  // another conversation was opened meanwhile.
  async recheck(id) {
    const from = this.view.unsettled();
    if (!from) return true;
    const page = await api.get(`/conversations/${encodeURIComponent(id)}/messages` +
      query({ after: from - 1, limit: Math.min(PAGE, this.view.lastSeq - from + 1) }));
    if (this.openId !== id) return false;
    for (const m of page.items) this.view.updateMessage(m);
    return true;
  }

  async open(id) {
    if (!id) return;
    try {
      const v = await api.get('/conversations/' + encodeURIComponent(id));
      if (this.missed) this.missed.seen([v.conversation]);
      this.openId = id;
      this.view.show(v.conversation, v.messages);
      if (this.belongs(v.conversation)) this.convs.set(id, v.conversation);
      if (location.hash !== '#/c/' + id) history.replaceState(null, '', '#/c/' + id);
      this.markRead();
      this.drawList();
      // Messages stored while the conversation was loading came as events
      // for a conversation not yet open: fetch them now.
      if (await this.catchUp(id)) this.markRead();
    } catch (e) {
      this.toast(errorText(e));
    }
  }

  // markRead records that the agent has seen the open conversation.
  markRead() {
    const conv = this.view.conv;
    if (!this.openId || !conv || document.hidden) return;
    const seq = Math.max(this.view.lastSeq, conv.seq || 0);
    if (this.read.mark(this.openId, seq)) {
      this.live.send({ type: 'read', conversationId: this.openId, seq });
      this.drawList();
    }
  }

  async op(action) {
    const id = this.openId;
    try {
      const conv = await api.post(`/conversations/${encodeURIComponent(id)}/${action}`);
      this.upsert(conv, false);
    } catch (e) {
      this.toast(errorText(e));
    }
  }

  // send posts a draft; a reply by e-mail carries its subject.
  async send({ text, comment, attachments, clientId, subject }) {
    const id = this.openId;
    const body = { text, comment, attachments, clientId };
    if (subject !== undefined) body.subject = subject;
    const res = await api.post(`/conversations/${encodeURIComponent(id)}/messages`, body);
    if (this.openId === id && res && res.message) {
      this.view.append([res.message]);
      this.markRead();
    }
  }

  // retry sends a reply whose delivery failed again.
  async retry(m) {
    const id = this.openId;
    try {
      const res = await api.retry(m.conversationId || id, m.id);
      const msg = res && res.message && res.message.id ? res.message : res;
      // The reply may be sent (and its event shown) before this answer
      // arrives: an answer older than what is shown does not undo it.
      const shown = msg && msg.id ? this.view.shown.get(msg.id) : null;
      const moved = shown && shown.delivery && shown.delivery.state !== 'failed';
      if (msg && msg.id && this.openId === id && !moved) this.view.updateMessage(msg);
    } catch (e) {
      this.toast(errorText(e));
    }
  }

  async loadEarlier() {
    const id = this.openId;
    const first = this.view.firstSeq;
    if (first <= 1) return;
    const after = Math.max(0, first - 1 - PAGE);
    try {
      const page = await api.get(`/conversations/${encodeURIComponent(id)}/messages` + query({ after, limit: first - 1 - after }));
      if (this.openId === id) this.view.prepend(page.items);
    } catch (e) {
      this.toast(errorText(e));
    }
  }

  // upsert applies a changed conversation to the list and the open view.
  upsert(conv, announceNew) {
    const had = this.convs.has(conv.id);
    if (this.belongs(conv)) {
      this.convs.set(conv.id, conv);
      if (announceNew && this.loaded && !had && conv.id !== this.openId) announce(conv, (id) => this.open(id));
    } else {
      this.convs.delete(conv.id);
    }
    if (conv.id === this.openId) {
      this.view.update(conv);
      this.markRead();
    }
    this.drawList();
  }

  onEvent(ev) {
    switch (ev.type) {
      case 'conversation.opened':
      case 'conversation.updated':
        if (ev.conversation) this.upsert(ev.conversation, true);
        break;
      case 'conversation.deleted':
        this.convs.delete(ev.conversationId);
        if (ev.conversationId === this.openId) this.view.notice(t('conv.deleted'));
        this.drawList();
        break;
      case 'message.created':
        this.onMessage(ev.message);
        break;
      case 'message.updated':
        // Redrawn in place when shown; otherwise nothing to do.
        if (ev.message && (ev.message.conversationId || ev.conversationId) === this.openId) this.view.updateMessage(ev.message);
        break;
      case 'typing':
        this.onTyping(ev);
        break;
      case 'read':
        if (ev.agentId === this.me.id && this.read.mark(ev.conversationId, ev.seq || Number(ev.subjectId) || 0)) this.drawList();
        break;
      case 'contact.changed':
        if (this.view.conv && this.view.conv.contactId === ev.subjectId) this.view.panel.reload();
        break;
    }
  }

  onMessage(m) {
    if (!m) return;
    const c = this.convs.get(m.conversationId);
    if (c && m.seq > (c.seq || 0)) c.seq = m.seq;
    if (m.conversationId !== this.openId) {
      this.drawList();
      return;
    }
    if (m.seq > this.view.lastSeq + 1) {
      // A gap: fetch what is missing, in order.
      this.catchUp(m.conversationId).then((ok) => ok && this.markRead()).catch((e) => this.toast(errorText(e)));
      return;
    }
    this.view.append([m]);
    this.view.setTyping('');
    this.markRead();
    this.drawList();
  }

  onTyping(ev) {
    if (ev.conversationId !== this.openId || ev.agentId === this.me.id) return;
    clearTimeout(this.typingTimer);
    if (!(ev.typing === true || ev.subjectId === 'true')) {
      this.view.setTyping('');
      return;
    }
    const name = ev.agentId ? this.names.agent(ev.agentId) : contactLabel(this.view.conv, t('conv.client'));
    this.view.setTyping(t('conv.typing', { name }));
    this.typingTimer = setTimeout(() => this.view.setTyping(''), TYPING_SHOWN);
  }

  onHidden(id) {
    this.convs.delete(id);
    if (id === this.openId) this.view.notice(t('conv.hidden'));
    this.drawList();
  }
}
