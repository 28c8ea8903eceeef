// The sign-in screen.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, errorText } from './dom.js';

// renderLogin shows the form in root; onSignedIn gets the Me answer.
export function renderLogin(root, onSignedIn) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, testid: 'login-email', id: 'login-email' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true, testid: 'login-password', id: 'login-password' });
  const error = h('p', { class: 'error', role: 'alert', testid: 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'login-submit' }, t('login.submit'));
  const showError = (text) => { error.textContent = text; error.hidden = !text; };

  const form = h('form', { class: 'login', novalidate: '', onSubmit: async (e) => {
    e.preventDefault();
    showError('');
    if (!email.value.trim() || !password.value) {
      showError(t('login.required'));
      return;
    }
    submit.disabled = true;
    try {
      const me = await api.login(email.value.trim(), password.value);
      password.value = '';
      onSignedIn(me);
    } catch (err) {
      if (err.status === 401) showError(t('login.wrong'));
      else if (err.status === 429) showError(t('login.throttled', { s: err.retryAfter || 60 }));
      else showError(errorText(err));
      password.select();
    } finally {
      submit.disabled = false;
    }
  } },
  h('h1', null, t('login.title')),
  h('label', { for: 'login-email' }, t('login.email')), email,
  h('label', { for: 'login-password' }, t('login.password')), password,
  error, submit);

  replace(root, h('main', { class: 'login-screen' }, form));
  email.focus();
}
