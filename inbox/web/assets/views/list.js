// The workspace's left pane: new requests (unassigned, offered to me) and my
// active conversations, newest activity first, with the purple unread dot
// and the red missed dot (missedAt set by the server; red wins over purple).
// A conversation from Telegram shows its badge and the client's @username,
// one by e-mail its badge and subject.
import { t } from '../i18n.js';
import { h, replace, fmtWhen, statusText } from './dom.js';
import { contactLabel } from './names.js';
import { channelBadge, contactHandle } from './channel.js';

const lastActivity = (c) => (c.dates && (c.dates.lastMessage || c.dates.created)) || '';

// renderList redraws the list. opts: convs (iterable), meId, openId,
// read (ReadState), extra ({fresh, mine}: how many more exist than the
// rows loaded), onOpen(id).
export function renderList(root, { convs, meId, openId, read, extra, onOpen }) {
  const all = [...convs].sort((a, b) => lastActivity(b).localeCompare(lastActivity(a)) || b.number - a.number);
  const fresh = all.filter((c) => !c.agentId);
  const mine = all.filter((c) => c.agentId === meId);
  const more = extra || { fresh: 0, mine: 0 };
  const section = (title, items, cls, n) => h('section', { class: ['conv-section', cls], 'aria-label': title },
    h('h2', null, title, h('span', { class: 'count', testid: 'count-' + cls, title: t('list.count', { n }) }, String(n))),
    items.length
      ? h('ul', null, items.map((c) => row(c, c.id === openId, read.unread(c), onOpen)))
      : h('p', { class: 'empty' }, t('list.empty')));
  // A redraw must not throw a keyboard user out of the list.
  const focused = root.contains(document.activeElement) && document.activeElement.closest('[data-testid="conv-item"]');
  const focusId = focused ? focused.dataset.id : '';
  replace(root, section(t('list.new'), fresh, 'new-requests', fresh.length + more.fresh),
    section(t('list.mine'), mine, 'mine', mine.length + more.mine));
  if (focusId) {
    const again = [...root.querySelectorAll('[data-testid="conv-item"]')].find((li) => li.dataset.id === focusId);
    if (again) again.querySelector('button').focus();
  }
}

// row is one conversation: a list item holding a real button, so the list
// stays a list for screen readers and the button is reached by Tab.
function row(c, selected, unread, onOpen) {
  const name = contactLabel(c);
  const missed = !!c.missedAt;
  // The dot is colour; its meaning is also text (title, and words for
  // screen readers), so colour is never the only sign.
  const said = [missed && t('list.missed'), unread && t('list.unread')].filter(Boolean).join(', ');
  return h('li', {
    class: ['conv-item', selected && 'selected', unread && 'unread', missed && 'missed'],
    testid: 'conv-item', 'data-id': c.id, 'data-unread': unread ? 'true' : 'false', 'data-missed': missed ? 'true' : 'false',
  },
  h('button', { type: 'button', class: 'conv-open', 'aria-current': selected ? 'true' : null, onClick: () => onOpen(c.id) },
    h('span', { class: ['dot', missed ? 'red' : unread && 'purple'], testid: missed ? 'missed-dot' : null,
      title: said || null, 'aria-hidden': 'true' }),
    h('span', { class: 'conv-main' },
      said ? h('span', { class: 'visually-hidden' }, said + ': ') : null,
      h('span', { class: 'conv-who' }, h('span', { class: 'conv-name' }, name), contactHandle(c)),
      preview(c),
      h('span', { class: ['conv-status', 'st-' + c.status] }, statusText(c.status))),
    h('span', { class: 'conv-side' },
      h('time', { class: 'conv-time', datetime: lastActivity(c) }, fmtWhen(lastActivity(c))),
      channelBadge(c.channel) || h('span', { class: 'conv-channel' }, t('channel.' + c.channel)))));
}

// preview is the start of the latest message the client can see: what
// they wrote, or the agent's answer (marked ↩), or a file's name (📎);
// an e-mail conversation's subject comes first.
function preview(c) {
  const p = c.lastMessage;
  const text = p && p.text ? p.text : '';
  const subject = c.channel === 'email' && c.subject ? String(c.subject) : '';
  if (!text && !subject) return null;
  const mark = text ? (p.authorKind === 'agent' || p.authorKind === 'bot' ? '↩ ' : '') + (p.attachments ? '📎 ' : '') : '';
  return h('span', { class: 'conv-preview', testid: 'conv-preview', dir: 'auto' },
    subject ? h('span', { class: 'conv-preview-subject', testid: 'conv-preview-subject' }, subject) : null,
    subject && text ? ' — ' : null,
    mark ? h('span', { 'aria-hidden': 'true' }, mark) : null, text);
}
