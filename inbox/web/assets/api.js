// A small client of /api/v1: JSON in and out, the session's CSRF token on
// every write, errors as ApiError with the server's {code, message, field}.

const BASE = '/api/v1';
let csrf = '';
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, code, message, field, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.field = field || '';
    this.retryAfter = retryAfter || 0;
  }
}

export function setCSRF(token) { csrf = token || ''; }

// whenUnauthorized registers what happens when the session has ended.
export function whenUnauthorized(fn) { onUnauthorized = fn; }

async function request(method, path, body, { raw = false, quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrf;
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    // {"error": {code, message, field}}; also {"error": "…", "field": "…"}.
    const raw = data && data.error;
    const err = typeof raw === 'string' ? { code: data.code, message: raw, field: data.field } : raw || {};
    const e = new ApiError(res.status, err.code || 'http_' + res.status, err.message || res.statusText, err.field,
      Number(res.headers.get('Retry-After')) || 0);
    if (res.status === 401 && !quiet401) onUnauthorized(e);
    throw e;
  }
  return raw ? res : data;
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body === undefined ? undefined : body),
  patch: (path, body) => request('PATCH', path, body),
  put: (path, body) => request('PUT', path, body),
  del: (path) => request('DELETE', path),
  // retry sends a reply whose delivery failed again; it answers the message.
  retry: (conversationId, messageId) => request('POST',
    `/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}/retry`),
  login: (email, password) => request('POST', '/auth/login', { email, password }, { quiet401: true }),
  me: () => request('GET', '/me', undefined, { quiet401: true }),
  // upload sends files to POST /files (field "file", one or more) and
  // returns their attachments [{fileId, name, contentType, size}].
  upload: async (files) => {
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    const data = await request('POST', '/files', form);
    return (data && data.files) || [];
  },
};

// query builds a query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) { if (v.length) q.set(k, v.join(',')); } else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

export function fileURL(fileId) { return BASE + '/files/' + encodeURIComponent(fileId); }

// mailHTMLURL is the sanitised HTML of an e-mail message, for a sandboxed
// frame; images: with its remote images (the sender may see them fetched).
export function mailHTMLURL(conversationId, messageId, images) {
  return BASE + '/conversations/' + encodeURIComponent(conversationId) + '/messages/' + encodeURIComponent(messageId) +
    '/html' + (images ? '?images=1' : '');
}
