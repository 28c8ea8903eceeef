// The composer: Reply (the client gets it) or Comment (internal), text,
// attachments, idempotent sending (one clientId per draft, kept on retry).
// An e-mail conversation's reply has a subject, "Re: " and the thread's.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, errorText } from './dom.js';
import { replySubject } from './mail.js';

const MAX_FILE = 10 * 1024 * 1024;
const TYPING_EVERY = 3000;
const TYPING_IDLE = 4000;

export function newClientId() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return 'web-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export class Composer {
  // onSend({text, comment, attachments, clientId, subject}) returns a
  // promise (subject only for a reply by e-mail);
  // onTyping(bool) tells others whether the agent is typing.
  constructor({ onSend, onTyping }) {
    this.onSend = onSend;
    this.onTyping = onTyping;
    this.comment = false;
    this.onlyComments = false;
    this.mail = false;
    this.attachments = [];
    this.uploads = 0;
    this.clientId = newClientId();
    this.typingSent = 0;
    this.idleTimer = 0;
    this.build();
  }

  build() {
    this.replyBtn = h('button', { type: 'button', class: 'mode', testid: 'mode-reply', onClick: () => this.setMode(false) }, t('composer.reply'));
    this.commentBtn = h('button', { type: 'button', class: 'mode', testid: 'mode-comment', onClick: () => this.setMode(true) }, t('composer.comment'));
    this.input = h('textarea', { rows: '3', testid: 'composer-input', 'aria-label': t('composer.reply'),
      onInput: () => this.typed(),
      onKeydown: (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.send(); }
      } });
    this.subject = h('input', { type: 'text', id: 'composer-subject', testid: 'composer-subject', maxlength: '500', autocomplete: 'off', dir: 'auto',
      onInput: () => { if (!this.sending) this.clientId = newClientId(); },
      onKeydown: (e) => {
        if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); this.input.focus(); }
      } });
    this.subjectRow = h('div', { class: 'composer-subject', hidden: true },
      h('label', { for: 'composer-subject' }, t('composer.subject')), this.subject);
    this.fileInput = h('input', { type: 'file', multiple: true, class: 'visually-hidden', id: 'composer-files', testid: 'file-input',
      onChange: () => this.upload([...this.fileInput.files]) });
    this.files = h('ul', { class: 'attachments' });
    this.error = h('p', { class: 'error', role: 'alert', hidden: true });
    this.note = h('p', { class: 'note', hidden: true }, t('composer.closed'));
    this.sendBtn = h('button', { type: 'button', class: 'primary', testid: 'composer-send', onClick: () => this.send() }, t('composer.send'));
    this.el = h('form', { class: 'composer', onSubmit: (e) => { e.preventDefault(); this.send(); } },
      h('div', { class: 'modes', role: 'group' }, this.replyBtn, this.commentBtn),
      this.note, this.subjectRow, this.input, this.files, this.error,
      h('div', { class: 'composer-actions' },
        h('label', { class: 'attach button', for: 'composer-files' }, t('composer.attach')), this.fileInput,
        this.sendBtn));
    this.setMode(false);
  }

  setMode(comment) {
    if (this.onlyComments) comment = true;
    this.comment = comment;
    this.el.classList.toggle('comment', comment);
    this.replyBtn.setAttribute('aria-pressed', String(!comment));
    this.commentBtn.setAttribute('aria-pressed', String(comment));
    this.replyBtn.disabled = this.onlyComments;
    this.input.placeholder = t(comment ? 'composer.commentHint' : 'composer.replyHint');
    this.input.setAttribute('aria-label', t(comment ? 'composer.comment' : 'composer.reply'));
    // A comment is no mail: it has no subject.
    this.subjectRow.hidden = !this.mail || comment;
  }

  // reset starts an empty draft (another conversation, conv, was opened):
  // by e-mail, with the thread's subject as a reply's.
  reset(conv) {
    this.stopTyping();
    this.input.value = '';
    this.mail = !!conv && conv.channel === 'email';
    this.subject.value = this.mail ? replySubject(conv.subject) : '';
    this.attachments = [];
    this.clientId = newClientId();
    this.showError('');
    this.drawFiles();
    this.onlyComments = false;
    this.setMode(false);
  }

  // setOpen: a closed conversation takes only comments.
  setOpen(open) {
    this.onlyComments = !open;
    this.note.hidden = open;
    this.setMode(this.comment || !open);
  }

  focus() { this.input.focus(); }

  showError(text) { this.error.textContent = text; this.error.hidden = !text; }

  typed() {
    this.clientId = this.sending ? this.clientId : newClientId(); // a changed draft is a new message
    const now = Date.now();
    if (!this.comment && now - this.typingSent > TYPING_EVERY) {
      this.typingSent = now;
      this.onTyping(true);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE);
  }

  stopTyping() {
    clearTimeout(this.idleTimer);
    if (this.typingSent) {
      this.typingSent = 0;
      this.onTyping(false);
    }
  }

  async upload(files) {
    this.fileInput.value = '';
    const ok = [];
    for (const f of files) {
      if (f.size > MAX_FILE) this.showError(t('composer.tooBig', { name: f.name }));
      else ok.push(f);
    }
    if (!ok.length) return;
    this.uploads++;
    this.drawFiles();
    try {
      const got = await api.upload(ok);
      this.attachments.push(...got);
      this.clientId = newClientId();
    } catch (e) {
      this.showError(errorText(e));
    } finally {
      this.uploads--;
      this.drawFiles();
    }
  }

  drawFiles() {
    replace(this.files,
      this.attachments.map((a, i) => h('li', { class: 'chip' }, a.name,
        h('button', { type: 'button', class: 'link', 'aria-label': t('composer.remove'), title: t('composer.remove'),
          onClick: () => { this.attachments.splice(i, 1); this.clientId = newClientId(); this.drawFiles(); } }, '×'))),
      this.uploads ? h('li', { class: 'chip busy' }, t('composer.uploading')) : null);
    this.sendBtn.disabled = this.uploads > 0;
  }

  async send() {
    const text = this.input.value.trim();
    if (this.sending || this.uploads || (!text && !this.attachments.length)) return;
    this.sending = true;
    this.sendBtn.disabled = true;
    this.showError('');
    try {
      const draft = { text, comment: this.comment, attachments: this.attachments.slice(), clientId: this.clientId };
      // An empty subject is left to the server (the thread's).
      if (this.mail && !this.comment && this.subject.value.trim()) draft.subject = this.subject.value.trim();
      await this.onSend(draft);
      this.input.value = '';
      this.attachments = [];
      this.clientId = newClientId();
      this.drawFiles();
      this.stopTyping();
    } catch (e) {
      // The draft and its clientId stay: sending again cannot double it.
      this.showError(errorText(e));
    } finally {
      this.sending = false;
      this.sendBtn.disabled = this.uploads > 0;
      this.input.focus();
    }
  }
}
