// An e-mail message in the thread (message.js draws its author, time and
// delivery): a compact header line (From · To · Cc), its subject when it
// is not the conversation's, the text with the quoted history and the
// signature folded away (the whole mail on request), the sanitised HTML
// on request in a sandboxed frame that may run nothing and send no
// referrer (its remote images only when asked: fetching them may tell the
// sender the mail was read), and the server's notes as warnings. The
// subject helpers serve the composer and the lists too.
import { mailHTMLURL } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { linkify } from './linkify.js';

// A subject that already answers: "Re:", German "AW:", Polish "Odp:",
// Russian "Ответ:" (with a counter such as "Re[2]:" some mailers add).
const REPLY = /^(re|aw|odp|ответ)(\[\d+\])?\s*:/i;
// The prefixes left out when subjects are compared (forwards too).
const PREFIX = /^(re|aw|odp|ответ|fwd?|wg|pd)(\[\d+\])?\s*:\s*/i;

// replySubject is the subject of a reply in a thread about subject:
// "Re: " before it, unless it already starts with Re:, AW:, Odp: or
// Ответ: (as the server does for a reply sent without one). '' when
// there is no subject.
export function replySubject(subject) {
  const s = String(subject || '').trim();
  if (!s) return '';
  return REPLY.test(s) ? s : 'Re: ' + s;
}

// baseSubject is subject without its reply and forward prefixes, its
// spaces folded and lower-cased: two subjects of one thread compare equal.
export function baseSubject(subject) {
  let s = String(subject || '').trim();
  for (let before = ''; before !== s;) {
    before = s;
    s = s.replace(PREFIX, '');
  }
  return s.replace(/\s+/g, ' ').toLowerCase();
}

// subjectDiffers: a message's subject says more than the conversation's.
export const subjectDiffers = (subject, convSubject) => !!String(subject || '').trim() && baseSubject(subject) !== baseSubject(convSubject);

// addressText shows {name, email} as "Anna Nowak <anna@example.com>", or
// whichever of the two is known.
export function addressText(a) {
  if (!a) return '';
  const name = String(a.name || '').trim();
  const email = String(a.email || '').trim();
  if (name && email && name.toLowerCase() !== email.toLowerCase()) return name + ' <' + email + '>';
  return name || email;
}

// What the agent unfolded, by message: a redrawn message (its delivery
// moved, a file added) keeps it.
const unfolded = new Map();
const stateOf = (key) => {
  if (!unfolded.has(key)) unfolded.set(key, { full: false, html: false, images: false });
  return unfolded.get(key);
};

let seq = 0;

// mailParts builds the mail's parts of message m. ctx: convId, subject
// (the conversation's).
export function mailParts(m, ctx) {
  const e = m.email || {};
  const st = stateOf((ctx.convId || '') + '/' + (m.id || m.seq));
  const id = 'mail-' + ++seq;
  const text = m.text || '';
  const full = e.fullText && e.fullText.trim() !== text.trim() ? e.fullText : '';
  const canHTML = !!(e.hasHtml && m.id && ctx.convId);

  const body = h('p', { class: 'text', dir: 'auto', id: id + '-text' });
  const fullBtn = full ? h('button', { type: 'button', class: 'link mail-toggle', testid: 'mail-full-toggle', 'aria-controls': id + '-text',
    onClick: () => { st.full = !st.full; draw(); } }) : null;

  let frame = null;
  const frameWrap = h('div', { class: 'mail-frame' });
  const htmlBtn = canHTML ? h('button', { type: 'button', class: 'link mail-toggle', testid: 'mail-html-toggle', 'aria-controls': id + '-html',
    onClick: () => { st.html = !st.html; draw(); } }) : null;
  const imagesDone = h('p', { class: 'hint mail-images-done', tabindex: '-1', role: 'status' });
  const imagesBtn = canHTML && e.hasRemoteImages ? h('button', { type: 'button', class: 'link', testid: 'mail-images', 'aria-describedby': id + '-img',
    onClick: () => { st.images = true; draw(); imagesDone.focus(); } }, t('mail.images')) : null;
  const imagesRow = imagesBtn ? h('div', { class: 'mail-images' }, imagesBtn,
    h('p', { class: 'hint', id: id + '-img' }, t('mail.imagesHint'))) : null;
  const htmlBox = canHTML ? h('div', { class: 'mail-html-box', id: id + '-html' }, imagesRow, imagesDone, frameWrap) : null;

  // draw shows what st asks for; the frame is only made (and its HTML
  // only fetched) once the agent asks for it.
  function draw() {
    const html = canHTML && st.html;
    const shown = st.full && full ? full : text;
    replace(body, linkify(shown));
    body.hidden = html || !shown;
    if (fullBtn) {
      fullBtn.hidden = html;
      fullBtn.textContent = st.full ? t('mail.short') : t('mail.full');
      fullBtn.setAttribute('aria-expanded', String(st.full));
    }
    if (!canHTML) return;
    htmlBtn.textContent = html ? t('mail.plain') : t('mail.html');
    htmlBtn.setAttribute('aria-expanded', String(html));
    htmlBox.hidden = !html;
    if (imagesRow) imagesRow.hidden = st.images;
    imagesDone.textContent = st.images ? t('mail.imagesShown') : '';
    imagesDone.hidden = !st.images;
    const src = mailHTMLURL(ctx.convId, m.id, st.images && e.hasRemoteImages);
    if (html && (!frame || frame.getAttribute('src') !== src)) {
      // A new frame rather than a new src: nothing of the old page stays.
      frame = h('iframe', { class: 'mail-html', testid: 'mail-html', sandbox: 'allow-popups allow-popups-to-escape-sandbox', referrerpolicy: 'no-referrer', src,
        title: t('mail.htmlTitle', { subject: e.subject || ctx.subject || '—' }) });
      replace(frameWrap, frame);
    }
  }
  draw();

  const notes = (e.notes || []).filter(Boolean);
  return h('div', { class: 'mail', testid: 'mail' },
    head(e),
    subjectDiffers(e.subject, ctx.subject) ? h('p', { class: 'mail-subject', testid: 'mail-subject', dir: 'auto' },
      h('span', { class: 'mail-label' }, t('mail.subject') + ': '), e.subject) : null,
    body,
    fullBtn || htmlBtn ? h('div', { class: 'mail-actions' }, fullBtn, htmlBtn) : null,
    htmlBox,
    notes.length ? h('ul', { class: 'mail-notes', testid: 'mail-notes', 'aria-label': t('mail.notes') },
      notes.map((n) => h('li', null, h('span', { class: 'mail-note-mark', 'aria-hidden': 'true' }, '⚠'), ' ', h('span', { dir: 'auto' }, n)))) : null);
}

// head is the "From … · To … · Cc …" line; each list of addresses is
// isolated (bdi) so a right-to-left name cannot reorder the line.
function head(e) {
  const parts = [
    [t('mail.from'), e.from ? [e.from] : []],
    [t('mail.to'), e.to || []],
    [t('mail.cc'), e.cc || []],
  ].map(([label, list]) => [label, list.map(addressText).filter(Boolean)]).filter(([, list]) => list.length);
  if (!parts.length) return null;
  return h('p', { class: 'mail-head', testid: 'mail-head' }, parts.map(([label, list], i) => [
    i ? ' · ' : null, h('span', { class: 'mail-label' }, label + ': '), h('bdi', null, list.join(', '))]));
}
