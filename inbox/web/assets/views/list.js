// The workspace's left pane: new requests (unassigned, offered to me) and my
// active conversations, newest activity first, with the purple unread dot.
import { t } from '../i18n.js';
import { h, replace, fmtWhen, statusText } from './dom.js';

const lastActivity = (c) => (c.dates && (c.dates.lastMessage || c.dates.created)) || '';

// renderList redraws the list. opts: convs (iterable), meId, openId,
// read (ReadState), onOpen(id).
export function renderList(root, { convs, meId, openId, read, onOpen }) {
  const all = [...convs].sort((a, b) => lastActivity(b).localeCompare(lastActivity(a)) || b.number - a.number);
  const fresh = all.filter((c) => !c.agentId);
  const mine = all.filter((c) => c.agentId === meId);
  const section = (title, items, cls) => h('section', { class: ['conv-section', cls] },
    h('h2', null, title, h('span', { class: 'count' }, String(items.length))),
    items.length
      ? h('ul', null, items.map((c) => row(c, c.id === openId, read.unread(c), onOpen)))
      : h('p', { class: 'empty' }, t('list.empty')));
  replace(root, section(t('list.new'), fresh, 'new-requests'), section(t('list.mine'), mine, 'mine'));
}

function row(c, selected, unread, onOpen) {
  const name = c.contactName || t('conv.number', { n: c.number });
  return h('li', {
    class: ['conv-item', selected && 'selected', unread && 'unread'],
    testid: 'conv-item', 'data-id': c.id, 'data-unread': unread ? 'true' : 'false',
    tabindex: '0', role: 'button', 'aria-current': selected ? 'true' : null,
    onClick: () => onOpen(c.id),
    onKeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onOpen(c.id); } },
  },
  h('span', { class: ['dot', unread && 'purple'], title: unread ? t('list.unread') : null, 'aria-label': unread ? t('list.unread') : null }),
  h('span', { class: 'conv-main' },
    h('span', { class: 'conv-name' }, name),
    h('span', { class: ['conv-status', 'st-' + c.status] }, statusText(c.status))),
  h('span', { class: 'conv-side' },
    h('time', { class: 'conv-time', datetime: lastActivity(c) }, fmtWhen(lastActivity(c))),
    h('span', { class: 'conv-channel' }, t('channel.' + c.channel))));
}
