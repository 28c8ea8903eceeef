// The center pane: one conversation's header and actions, its full history
// and the composer, with the contact panel beside it. Message text is only
// ever text nodes, and links built as elements (linkify.js); a message is
// drawn by message.js, and redrawn in place when it changes.
import { t } from '../i18n.js';
import { h, replace, statusText, isActive, isOpen } from './dom.js';
import { Composer } from './composer.js';
import { ContactPanel } from './contact-panel.js';
import { contactLabel } from './names.js';
import { handleText } from './channel.js';
import { messageItem } from './message.js';

const reducedMotion = () => window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

export class ConversationView {
  // opts: meId, me (agent), names ({agent(id), line(id), agents(), lines()}),
  // onAccept, onClose, onSpam, onSend(draft), onTyping(bool), onLoadEarlier(),
  // onRetry(message) (a failed delivery), toast(text), onChanged(conversation),
  // onDeleted(id), onContact(contact)
  constructor(opts) {
    this.o = opts;
    this.panel = new ContactPanel({ me: opts.me, names: opts.names, toast: opts.toast,
      onChanged: (c) => opts.onChanged(c), onDeleted: (id) => opts.onDeleted(id),
      onContact: (ct) => {
        if (this.conv && this.conv.contactId === ct.id) this.retitle(ct);
        if (opts.onContact) opts.onContact(ct);
      } });
    // stuck: the view was scrolled to the bottom before its content grew,
    // so an image loading there keeps it at the bottom.
    this.stuck = true;
    this.conv = null;
    this.firstSeq = 0;
    this.lastSeq = 0;
    this.seqs = new Set();
    this.shown = new Map(); // message id → the message as drawn
    this.composer = new Composer({ onSend: (d) => opts.onSend(d), onTyping: (b) => opts.onTyping(b) });
    this.title = h('h2', { class: 'conv-title' });
    this.meta = h('p', { class: 'conv-meta' });
    // An e-mail conversation's subject.
    this.subjectText = h('span', { dir: 'auto', testid: 'conv-subject' });
    this.subject = h('p', { class: 'conv-subject', hidden: true },
      h('span', { class: 'visually-hidden' }, t('mail.subject') + ': '), this.subjectText);
    this.status = h('span', { class: 'status-badge', testid: 'status' });
    this.acceptBtn = h('button', { type: 'button', class: 'primary', testid: 'btn-accept', onClick: () => this.act(opts.onAccept) }, t('conv.accept'));
    this.closeBtn = h('button', { type: 'button', testid: 'btn-close', onClick: () => this.act(opts.onClose) }, '✓ ', t('conv.close'));
    this.spamBtn = h('button', { type: 'button', class: 'danger', testid: 'btn-spam', onClick: () => this.act(opts.onSpam) }, t('conv.spam'));
    this.noticeEl = h('p', { class: 'notice', role: 'status', hidden: true });
    this.earlier = h('button', { type: 'button', class: 'link earlier', hidden: true, onClick: () => opts.onLoadEarlier() }, t('conv.earlier'));
    this.list = h('ol', { class: 'messages-list' });
    this.messages = h('div', { class: 'messages', testid: 'messages', 'aria-live': 'polite',
      onScroll: () => { this.stuck = this.nearBottom(); } }, this.earlier, this.list);
    this.typing = h('p', { class: 'typing', 'aria-live': 'polite' });
    this.body = h('section', { class: 'conversation' },
      h('header', { class: 'conv-header' },
        h('div', { class: 'conv-heading' }, this.title, this.subject, this.meta),
        h('div', { class: 'conv-actions' }, this.status, this.acceptBtn, this.closeBtn, this.spamBtn)),
      this.noticeEl, this.messages, this.typing, this.composer.el);
    this.window = h('div', { class: 'conv-window' }, this.body, this.panel.el);
    this.empty = h('p', { class: 'pick' }, t('conv.pick'));
    this.el = h('div', { class: 'center' }, this.empty);
  }

  async act(fn) {
    for (const b of [this.acceptBtn, this.closeBtn, this.spamBtn]) b.disabled = true;
    try { await fn(); } finally { if (this.conv) this.update(this.conv); }
  }

  showEmpty() {
    this.conv = null;
    replace(this.el, this.empty);
  }

  // show renders a conversation with its latest messages.
  show(conv, messages) {
    const switched = !this.conv || this.conv.id !== conv.id;
    this.conv = conv;
    this.seqs.clear();
    this.shown.clear();
    this.firstSeq = 0;
    this.lastSeq = 0;
    replace(this.list);
    this.notice('');
    this.setTyping('');
    if (switched) this.composer.reset(conv);
    replace(this.el, this.window);
    this.update(conv);
    this.append(messages);
    this.scrollDown(true);
    this.composer.focus();
    if (switched) this.panel.show(conv);
    else this.panel.update(conv);
  }

  // update redraws the header, status and buttons.
  update(conv) {
    this.conv = conv;
    const names = this.o.names;
    this.title.textContent = contactLabel(conv);
    this.relabel();
    this.subjectText.textContent = conv.subject || '';
    this.subject.hidden = !conv.subject;
    this.subject.title = conv.subject || '';
    replace(this.meta,
      t('conv.number', { n: conv.number }), ' · ', t('channel.' + conv.channel), handleText(conv) ? ' ' + handleText(conv) : '',
      ' · ', names.line(conv.lineId), ' · ',
      t('conv.agent'), ': ', conv.agentId ? names.agent(conv.agentId) : t('conv.unassigned'));
    this.status.textContent = statusText(conv.status);
    this.status.className = 'status-badge st-' + conv.status;
    this.status.setAttribute('data-status', conv.status);
    const me = this.o.meId;
    // Answer takes a conversation nobody has taken yet: someone else's, or
    // mine while new, queued or routed to me (waiting, 4) without an Answer.
    this.acceptBtn.hidden = !(isActive(conv) && (conv.agentId !== me || ['new', 'queued', 'waiting'].includes(conv.status)));
    this.acceptBtn.disabled = false;
    this.closeBtn.disabled = !isOpen(conv);
    this.spamBtn.disabled = conv.status === 'spam';
    this.composer.setOpen(isOpen(conv));
    this.earlier.hidden = !(this.firstSeq > 1);
    this.panel.update(conv);
  }

  // retitle shows a contact's new name (edited in the panel) at once.
  retitle(contact) {
    this.conv = { ...this.conv, contactName: contact.name, visitorNumber: contact.visitorNumber };
    this.title.textContent = contactLabel(this.conv);
    this.relabel();
  }

  // relabel names the client on the messages shown that carry no author name.
  relabel() {
    const name = contactLabel(this.conv, t('conv.client'));
    for (const el of this.list.querySelectorAll('[data-client-label]')) el.textContent = name;
  }

  notice(text) { this.noticeEl.textContent = text; this.noticeEl.hidden = !text; }

  setTyping(text) { this.typing.textContent = text || ''; }

  // append adds messages after the ones shown, in seq order, skipping
  // any already shown (a replay never shows a message twice).
  append(messages, older = false) {
    const stick = !older && this.nearBottom();
    for (const m of [...messages].sort((a, b) => a.seq - b.seq)) {
      if (this.seqs.has(m.seq)) continue;
      this.seqs.add(m.seq);
      if (m.id) this.shown.set(m.id, m);
      const el = this.message(m);
      const next = [...this.list.children].find((li) => Number(li.dataset.seq) > m.seq);
      this.list.insertBefore(el, next || null);
      this.lastSeq = Math.max(this.lastSeq, m.seq);
      this.firstSeq = this.firstSeq ? Math.min(this.firstSeq, m.seq) : m.seq;
    }
    this.earlier.hidden = !(this.firstSeq > 1);
    // At the bottom before: stay there, however tall the new messages are
    // (an image already in the cache arrives at its full height).
    if (stick) this.scrollDown(true);
  }

  // prepend adds older messages, keeping the scroll position.
  prepend(messages) {
    const before = this.messages.scrollHeight - this.messages.scrollTop;
    this.append(messages, true);
    this.messages.scrollTop = this.messages.scrollHeight - before;
  }

  nearBottom() { return this.messages.scrollHeight - this.messages.scrollTop - this.messages.clientHeight < 80; }

  scrollDown(force) {
    if (force || this.nearBottom()) {
      this.messages.scrollTop = this.messages.scrollHeight;
      this.stuck = true;
    }
  }

  // imageLoaded keeps the view at the bottom when an image there grows it.
  // Judged without the image's own height: whatever scroll events its
  // growth caused, the view was at the bottom if it is within the image.
  imageLoaded(img) {
    const gap = this.messages.scrollHeight - this.messages.scrollTop - this.messages.clientHeight;
    if (this.stuck || (img && gap - img.getBoundingClientRect().height < 80)) this.scrollDown(true);
  }

  message(m) {
    const mine = m.authorKind === 'agent' && m.authorId === this.o.meId;
    let who = m.authorName;
    const clientLabel = m.authorKind === 'contact' && !who;
    const clientName = contactLabel(this.conv, t('conv.client'));
    if (m.authorKind === 'system') who = t('msg.system');
    else if (!who) who = { contact: clientName, bot: t('msg.bot') }[m.authorKind] || t('conv.agent');
    return messageItem(m, {
      who, clientLabel, mine, clientName, channel: this.conv && this.conv.channel,
      convId: this.conv && this.conv.id, subject: this.conv && this.conv.subject,
      onImage: (e) => this.imageLoaded(e && e.target),
      onQuote: (id) => this.jumpTo(id),
      onRetry: async (msg, button) => {
        button.disabled = true;
        try { await this.o.onRetry(msg); } finally { button.disabled = false; }
      },
    });
  }

  item(id) { return id ? [...this.list.children].find((li) => li.dataset.id === id) : null; }

  // updateMessage redraws a message shown (edited, its delivery moved, a
  // file added) where it is: the rest of the thread, the scroll position,
  // an open list of earlier versions and the focus stay. A message not
  // shown is ignored; it says whether it was shown.
  updateMessage(m) {
    const old = m && this.conv && (!m.conversationId || m.conversationId === this.conv.id) ? this.item(m.id) : null;
    if (!old) return false;
    const seq = Number(old.dataset.seq);
    const next = { ...m, seq };
    const before = this.shown.get(m.id);
    if (before && JSON.stringify(before) === JSON.stringify(next)) return true;
    this.shown.set(m.id, next);
    const box = this.messages;
    const stick = this.nearBottom();
    // The first message in view keeps its place on the screen.
    const top = box.getBoundingClientRect().top;
    const anchor = [...this.list.children].find((li) => li.getBoundingClientRect().bottom > top);
    const anchorTop = anchor ? anchor.getBoundingClientRect().top : 0;
    const focused = old.contains(document.activeElement) ? document.activeElement.getAttribute('data-testid') || '' : null;
    const open = !!old.querySelector('details[open]');
    const el = this.message(next);
    old.replaceWith(el);
    if (open && el.querySelector('details')) el.querySelector('details').open = true;
    if (stick) this.scrollDown(true);
    else if (anchor) box.scrollTop += (anchor === old ? el : anchor).getBoundingClientRect().top - anchorTop;
    if (focused !== null) {
      const to = (focused && el.querySelector(`[data-testid="${focused}"]`)) || el.querySelector('[data-testid="delivery-state"]') || el;
      if (!to.matches('button, a, summary, input')) to.setAttribute('tabindex', '-1');
      to.focus({ preventScroll: true });
    }
    return true;
  }

  // unsettled is the lowest seq of the replies shown still on their way
  // (or failed), 0 if none: their state may have moved unseen.
  unsettled() {
    let seq = 0;
    for (const m of this.shown.values()) {
      const st = m.delivery && m.delivery.state;
      if ((st === 'pending' || st === 'failed') && (!seq || m.seq < seq)) seq = m.seq;
    }
    return seq;
  }

  // jumpTo brings a quoted message into view, if it is loaded.
  jumpTo(id) {
    const li = this.item(id);
    if (!li) { this.o.toast(t('msg.quoteNotLoaded')); return; }
    li.scrollIntoView({ block: 'center', behavior: reducedMotion() ? 'auto' : 'smooth' });
    li.setAttribute('tabindex', '-1');
    li.focus({ preventScroll: true });
    li.classList.add('flash');
    setTimeout(() => li.classList.remove('flash'), 2000);
  }
}
