// One message of the thread (conversation.js draws the list): its author
// and time, "edited" with the earlier texts, how an agent's reply is
// getting to the client's channel (Retry when it failed), the message it
// answers, the text (an e-mail's header line, subject, whole text and
// formatted version by mail.js), and its files — several images (a
// Telegram album) as a small grid. Every state is said in words, never by
// colour alone, and names the channel the reply goes to.
import { fileURL } from '../api.js';
import { t } from '../i18n.js';
import { h, fmtDateTime, fmtWhen } from './dom.js';
import { linkify } from './linkify.js';
import { clockIcon } from './channel.js';
import { mailParts } from './mail.js';

const INLINE_IMAGES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];
const isImage = (a) => INLINE_IMAGES.includes((a.contentType || '').toLowerCase());

// messageItem builds a message's <li>. ctx: who (the author's name),
// clientLabel (who is the client's label, renamed with them), mine,
// clientName (for a quote without author), channel, convId and subject
// (the conversation's), onRetry(message, button), onQuote(messageId),
// onImage(event).
export function messageItem(m, ctx) {
  const files = m.attachments || [];
  const images = files.filter(isImage);
  const others = files.filter((a) => !isImage(a));
  return h('li', {
    class: ['message', 'from-' + m.authorKind, m.comment && 'comment', ctx.mine && 'mine'],
    testid: 'message', 'data-seq': String(m.seq), 'data-id': m.id || null, 'data-author': m.authorKind, 'data-comment': m.comment ? 'true' : 'false',
  },
  h('div', { class: 'message-head' },
    h('span', { class: 'author', 'data-client-label': ctx.clientLabel ? 'true' : null }, ctx.who),
    m.comment ? h('span', { class: 'badge' }, t('msg.comment')) : null,
    h('time', { datetime: m.createdAt, title: fmtDateTime(m.createdAt) }, fmtWhen(m.createdAt)),
    m.editedAt ? h('span', { class: 'edited', testid: 'msg-edited', title: t('msg.editedAt', { time: fmtDateTime(m.editedAt) }) }, t('msg.edited')) : null,
    delivery(m, ctx)),
  quote(m.replyTo, ctx),
  m.email ? mailParts(m, ctx) : m.text ? h('p', { class: 'text', dir: 'auto' }, linkify(m.text)) : null,
  (m.edits && m.edits.length) ? h('details', { class: 'edits', testid: 'msg-edits' },
    h('summary', null, t('msg.earlier')),
    h('ol', null, m.edits.map((e) => h('li', null,
      h('time', { datetime: e.at }, fmtDateTime(e.at)),
      h('p', { class: 'edit-text', dir: 'auto' }, e.text ? linkify(e.text) : '—'))))) : null,
  images.length ? h('ul', { class: ['files', 'images', images.length > 1 && 'album'], testid: images.length > 1 ? 'msg-album' : null },
    images.map((a) => image(a, ctx.onImage))) : null,
  others.length ? h('ul', { class: 'files' }, others.map(file)) : null);
}

// WORDS say a reply's delivery on each channel that carries one, naming
// it; another channel gets the general words.
const WORDS = {
  telegram: {
    sent: () => t('delivery.sentTelegram'),
    pending: () => t('delivery.pendingTelegram'),
    failed: (error) => t('delivery.failedTelegram', { error }),
  },
  email: {
    sent: () => t('delivery.sentEmail'),
    pending: () => t('delivery.pendingEmail'),
    failed: (error) => t('delivery.failedEmail', { error }),
  },
};
const GENERAL = {
  sent: () => t('delivery.sentOther'),
  pending: () => t('delivery.pending'),
  failed: (error) => t('delivery.failed', { error }),
};

// delivery is the state of a reply a connector carries to the client:
// nothing for messages nobody has to carry (the website chat, comments).
function delivery(m, ctx) {
  const d = m.delivery;
  if (!d || !d.state) return null;
  const words = Object.hasOwn(WORDS, ctx.channel) ? WORDS[ctx.channel] : GENERAL;
  const tries = d.attempts ? t('delivery.attempts', { n: d.attempts }) : null;
  if (d.state === 'sent') {
    const text = words.sent();
    return h('span', { class: 'delivery sent', testid: 'delivery-state', 'data-state': 'sent', role: 'img', 'aria-label': text,
      title: d.sentAt ? text + ' · ' + fmtDateTime(d.sentAt) : text }, '✓');
  }
  if (d.state === 'pending') {
    // With an error, a later attempt is already scheduled.
    return h('span', { class: ['delivery', 'pending', d.error && 'retrying'], testid: 'delivery-state', 'data-state': 'pending', title: tries },
      clockIcon(), h('span', null, d.error ? t('delivery.retrying', { error: d.error }) : words.pending()));
  }
  if (d.state !== 'failed') return null;
  const id = 'dlv-' + (m.id || m.seq);
  const retry = h('button', { type: 'button', class: 'link delivery-retry', testid: 'delivery-retry', 'aria-describedby': id,
    onClick: () => ctx.onRetry(m, retry) }, t('delivery.retry'));
  return h('span', { class: 'delivery failed', testid: 'delivery-state', 'data-state': 'failed', title: tries },
    h('span', { 'aria-hidden': 'true' }, '⚠'), ' ',
    h('span', { id }, words.failed(d.error || t('delivery.noReason'))), ' ', retry);
}

// quote is the message this one answers; it leads there when it is loaded.
function quote(q, ctx) {
  if (!q) return null;
  return h('button', { type: 'button', class: 'quote', testid: 'msg-quote', 'data-ref': q.messageId || null,
    onClick: () => ctx.onQuote(q.messageId) },
  h('span', { class: 'visually-hidden' }, t('msg.replyTo') + ': '),
  h('span', { class: 'quote-author' }, q.authorName || ctx.clientName),
  h('span', { class: 'quote-text', dir: 'auto' }, q.text || '…'));
}

function image(a, onLoad) {
  const url = fileURL(a.fileId);
  const name = a.name || t('msg.file');
  return h('li', { class: 'file image' },
    h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, h('img', { src: url, alt: name, loading: 'lazy', onLoad })));
}

function file(a) {
  const url = fileURL(a.fileId);
  const name = a.name || t('msg.file');
  return h('li', { class: 'file' }, h('a', { href: url, download: name, rel: 'noopener' }, name, ' (', size(a.size), ')'));
}

function size(n) {
  if (!n) return '0 B';
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(0) + ' KB';
  return (n / 1024 / 1024).toFixed(1) + ' MB';
}
