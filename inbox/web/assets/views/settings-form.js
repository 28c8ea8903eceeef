// Pieces the Settings forms share: labelled inputs with an error line
// under each, the server's 400 mapped to the input its field names, and
// the read-only lock for supervisors.
import { t } from '../i18n.js';
import { h, errorText } from './dom.js';

let seq = 0;
export const uid = (p) => 'set-' + p + '-' + (++seq);

// field wraps input with its label, a hint and an error line. name is the
// server's field name: a 400 naming it (or a part of it) lands here.
export function field(label, input, { name, hint, testid } = {}) {
  if (!input.id) input.id = uid('f');
  if (name) input.setAttribute('data-field', name);
  if (testid) input.setAttribute('data-testid', testid);
  const err = h('p', { class: 'field-error', id: input.id + '-err', hidden: true });
  const hintEl = hint ? h('p', { class: 'hint', id: input.id + '-hint' }, hint) : null;
  input.setAttribute('aria-describedby', [hintEl && hintEl.id, err.id].filter(Boolean).join(' '));
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl, err);
}

// check is a checkbox with its label after it.
export function check(label, checked, { name, testid } = {}) {
  const box = h('input', { type: 'checkbox', checked: !!checked, id: uid('c') });
  if (name) box.setAttribute('data-field', name);
  if (testid) box.setAttribute('data-testid', testid);
  const err = h('p', { class: 'field-error', id: box.id + '-err', hidden: true });
  box.setAttribute('aria-describedby', err.id);
  const row = h('div', { class: 'field check' }, box, h('label', { for: box.id }, label), err);
  row.box = box;
  return row;
}

// input builds a text-like input.
export function input(type, value, props) {
  return h('input', { type, value: value === undefined || value === null ? '' : String(value), ...props });
}

// select builds a <select> of [value, label] pairs; label it with field().
export function options(opts, value) {
  return opts.map(([v, label]) => h('option', { value: v, selected: v === value }, label));
}

function errorLine(el) {
  return el && el.id ? document.getElementById(el.id + '-err') : null;
}

// clearErrors removes every field message of form and its summary.
export function clearErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error, .form-error')) { el.textContent = ''; el.hidden = true; }
}

// fieldError shows text under the input el and focuses it.
export function fieldError(el, text) {
  const line = errorLine(el);
  el.setAttribute('aria-invalid', 'true');
  if (line) { line.textContent = text; line.hidden = false; }
  el.focus();
}

// findField finds the input of a server field name: exactly, or the
// nearest enclosing name ("channels.widget.allowedOrigins[1]" lands on
// "channels.widget.allowedOrigins").
export function findField(form, name) {
  for (let n = name; n; n = n.replace(/(\[\d+\]|\.[^.[]*)$/, '')) {
    const el = [...form.querySelectorAll('[data-field]')].find((e) => e.getAttribute('data-field') === n);
    if (el) return el;
    if (!/[.[]/.test(n)) break;
  }
  return null;
}

// showError puts an API error next to its field, or in the form's
// summary line (an element of class form-error).
export function showError(form, err) {
  const el = err && err.status === 400 && err.field ? findField(form, err.field) : null;
  // The message starts with the field's name; next to the field, it need not.
  if (el) return fieldError(el, String(err.message || '').replace(err.field + ': ', ''));
  const summary = form.querySelector('.form-error');
  const text = err && err.status === 409 ? t('set.conflict', { m: err.message }) : errorText(err);
  if (summary) { summary.textContent = text; summary.hidden = false; }
}

// formError is the summary line of a form.
export const formError = () => h('p', { class: 'form-error', role: 'alert', hidden: true });

// status is a polite line for "Saved." and the like.
export const statusLine = (testid) => h('p', { class: 'set-status', role: 'status', testid });

export function flash(el, text) {
  el.textContent = text;
  clearTimeout(el.timer);
  el.timer = setTimeout(() => { el.textContent = ''; }, 5000);
}

// lock makes every control of el read-only (supervisors read settings).
export function lock(el) {
  for (const c of el.querySelectorAll('input, select, textarea, button[data-write]')) c.disabled = true;
}

// busy disables a button while fn runs.
export async function busy(button, fn) {
  button.disabled = true;
  try { return await fn(); } finally { button.disabled = false; }
}

// validOrigin: scheme://host[:port] of http(s), nothing more.
export function validOrigin(s) {
  try {
    const u = new URL(s);
    return /^https?:$/.test(u.protocol) && u.origin === s;
  } catch { return false; }
}

// copyText copies text and says so next to button.
export async function copyText(text, note) {
  try {
    await navigator.clipboard.writeText(text);
    flash(note, t('set.copied'));
  } catch {
    flash(note, t('set.copyFailed'));
  }
}
