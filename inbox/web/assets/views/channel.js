// Channels where the agent meets them: the badge of a conversation that
// came from another channel than the website chat (an icon and the
// channel's name as text, so neither colour nor the icon carries the
// meaning alone), the client's @username, and t.me links, built only
// from a valid Telegram username; mailto: links, built only from a
// plain e-mail address.
import { t } from '../i18n.js';
import { h } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

function icon(d, cls) {
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon ' + cls);
  const path = document.createElementNS(NS, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill-rule', 'evenodd');
  svg.appendChild(path);
  return svg;
}

// telegramIcon is Telegram's paper plane; decorative, the text says it.
export const telegramIcon = () => icon('M21.4 3.2 2.6 10.5c-1.1.4-1 1.9.1 2.2l4.7 1.4 1.8 5.7c.3.9 1.4 1.1 2 .4l2.6-2.6 4.9 3.6c.8.6 1.9.1 2.1-.8l3.2-15.3c.2-1.1-.9-2-1.9-1.6zM9.6 14.7l8.3-7.4-6.6 8.3-.4 3.4-1.3-4.3z', 'ic-telegram');

// mailIcon is an envelope; decorative, the text says it.
export const mailIcon = () => icon('M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm2.2 2h13.6L12 11.8zM4 7.4V17h16V7.4l-8 5.6z', 'ic-mail');

// ICONS draws each channel's icon in its badge.
const ICONS = { telegram: telegramIcon, email: mailIcon };

// clockIcon marks a reply still on its way.
export const clockIcon = () => icon('M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16zm-1 3h2v5.4l3.6 2.1-1 1.7L11 13.6z', 'ic-clock');

// tmeURL is the t.me address of a Telegram username (with or without
// its @), or '' when it is not one.
export function tmeURL(username) {
  const u = String(username || '').replace(/^@/, '');
  return /^[A-Za-z0-9_]{3,64}$/.test(u) ? 'https://t.me/' + u : '';
}

// channelBadge marks a conversation of another channel than the website
// chat; null for the website chat (it looks as it always has).
export function channelBadge(channel) {
  if (!channel || channel === 'livechat') return null;
  const name = t('channel.' + channel);
  return h('span', { class: ['channel-badge', 'ch-' + channel], testid: 'channel-badge', 'data-channel': channel, title: name },
    Object.hasOwn(ICONS, channel) ? ICONS[channel]() : null, h('span', { class: 'channel-name' }, name));
}

// mailtoURL is the mailto: address of a plain e-mail address, or '' when
// it is not one (nothing that could add headers or another recipient).
export function mailtoURL(addr) {
  const a = String(addr || '').trim();
  return /^[^\s@<>()",;:?&%/\\]+@[^\s@<>()",;:?&%/\\]+\.[^\s@<>()",;:?&%/\\]+$/.test(a) ? 'mailto:' + a : '';
}

// handleText is a conversation's contactHandle as "@alice", or ''.
export function handleText(c) {
  const raw = String((c && c.contactHandle) || '').trim().replace(/^@/, '');
  return raw ? '@' + raw : '';
}

// contactHandle shows the client's @username next to their name.
export function contactHandle(c) {
  const text = handleText(c);
  return text ? h('span', { class: 'contact-handle', testid: 'contact-handle' }, text) : null;
}
