// The conversation table's dialogs: a confirmation before closing or
// marking conversations as spam, and a conversation's history (the
// transcript, read-only). Real <dialog> elements, modal, Escape cancels.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace } from './dom.js';
import { contactLabel } from './names.js';
import { dateText, problem } from './format.js';

let seq = 0;

function modal(el) {
  document.body.appendChild(el);
  el.addEventListener('close', () => el.remove());
  el.showModal();
  return el;
}

// confirmDialog asks a question; it resolves true only for the confirm button.
export function confirmDialog({ title, text, ok, danger = true }) {
  const id = 'dlg-title-' + ++seq;
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'submit', value: 'cancel', testid: 'confirm-cancel' }, t('tbl.cancel'));
    const dlg = h('dialog', { class: 'tbl-dialog', testid: 'confirm-dialog', 'aria-labelledby': id, role: 'alertdialog' },
      h('form', { method: 'dialog' },
        h('h2', { id }, title),
        h('p', null, text),
        h('div', { class: 'dialog-actions' }, cancel,
          h('button', { type: 'submit', value: 'ok', class: danger ? 'primary danger-fill' : 'primary', testid: 'confirm-ok' }, ok))));
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'));
    modal(dlg);
    cancel.focus(); // the safe choice is the default one
  });
}

// historyDialog shows the conversation's messages, comments included.
export function historyDialog(c) {
  const id = 'dlg-title-' + ++seq;
  const body = h('div', { class: 'history-body', tabindex: '0', 'aria-busy': 'true' }, h('p', { class: 'tbl-muted' }, t('tbl.loading')));
  const close = h('button', { type: 'submit', value: 'close', testid: 'history-close' }, t('tbl.closeDialog'));
  const dlg = h('dialog', { class: 'tbl-dialog history', testid: 'history-dialog', 'aria-labelledby': id },
    h('form', { method: 'dialog' },
      h('h2', { id }, t('tbl.historyTitle', { n: c.number, client: contactLabel(c) })),
      body,
      h('div', { class: 'dialog-actions' }, close)));
  modal(dlg);
  close.focus();
  api.get('/conversations/' + encodeURIComponent(c.id) + '/messages?limit=1000').then((list) => {
    const items = (list && list.items) || [];
    replace(body, items.length ? h('ol', { class: 'history-list' }, items.map((m) => h('li', { class: ['history-msg', 'from-' + m.authorKind, m.comment && 'comment'] },
      h('div', { class: 'history-head' },
        h('strong', null, m.authorName || t('tbl.author.' + m.authorKind)),
        m.comment && h('span', { class: 'badge' }, t('msg.comment')),
        h('time', { datetime: m.createdAt }, dateText(m.createdAt))),
      m.text && h('p', { class: 'history-text' }, m.text),
      (m.attachments || []).length > 0 && h('p', { class: 'tbl-muted' }, m.attachments.map((a) => a.name).join(', ')))))
      : h('p', { class: 'tbl-muted' }, t('tbl.noMessages')));
  }).catch((e) => {
    replace(body, h('p', { class: 'error', role: 'alert' }, problem(e)));
  }).finally(() => body.removeAttribute('aria-busy'));
  return dlg;
}
