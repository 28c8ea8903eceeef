/* Switchboard widget loader (docs/widget-protocol.md) */
// Served without blank lines, // comment lines and indentation
// (widget/assets.go), as every script here: no string spans lines.
(function (W, D) {
  var pre = W.Switchboard, me = D.currentScript, q, i;
  if (pre && pre.version) return;
  if (!me || !me.getAttribute('data-line')) me = D.querySelector('script[src*="/widget.js"][data-line]');
  if (!me) return;
  // L: the look the inbox's snippet carries — data-style (the launcher's
  // colours, corner and size), data-side (the window's corner), data-label.
  var line = me.getAttribute('data-line'), L = me.dataset, GW;
  try { GW = new URL(me.src, location.href).origin; } catch (e) { return; }
  if (!line || !/^https?:/.test(GW)) return;

  var KEY = 'sb:' + line, Z = 'z-index:2147483000;', BG = '#2250c8', LS = 'localStorage', SS = 'sessionStorage';
  var T = {
    de: ['Chat öffnen', 'Chat schließen', 'ungelesen', 'Chat'],
    pl: ['Otwórz czat', 'Zamknij czat', 'nieprzeczytane', 'Czat'],
    ru: ['Открыть чат', 'Закрыть чат', 'непрочитанные', 'Чат']
  }[(navigator.language || '').slice(0, 2).toLowerCase()] || ['Open chat', 'Close chat', 'unread', 'Chat'];
  var open = false, ready = false, mode = '', count = 0, height = 0, user = null, talk = false;
  var frame = null, mounted = false, want = null, ring = false, H = {};

  function store(s, k, v) {
    try {
      if (v == undefined) return W[s].getItem(k);
      v ? W[s].setItem(k, v) : W[s].removeItem(k);
    } catch (e) {}
  }
  // inline !important: host rules can't restyle us; CSSOM: CSP-safe
  function css(e, s) { e.style.cssText = s.replace(/;/g, '!important;'); }
  function el(t, a, svg) {
    var e = svg ? D.createElementNS('http://www.w3.org/2000/svg', t) : D.createElement(t);
    for (var k in a) e.setAttribute(k, a[k]);
    return e;
  }

  var path = el('path', {}, 1);
  var svg = el('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' }, 1);
  var badge = el('span', { 'aria-hidden': 'true' });
  var btn = el('button', { type: 'button', 'data-testid': 'sb-launcher', 'aria-controls': 'sb-frame' });
  css(svg, 'all:initial;width:28px;height:28px;fill:currentColor;');
  svg.appendChild(path);
  btn.appendChild(svg);
  btn.appendChild(badge);
  btn.append(L.label || '');
  btn.onclick = function () { setOpen(!open, 1); };
  btn.onfocus = function () {
    try { ring = btn.matches(':focus-visible'); } catch (e) { ring = true; }
    paint();
  };
  btn.onblur = function () { ring = false; paint(); };

  function paint() {
    var small = W.innerWidth <= 480;
    path.setAttribute('d', open ? 'M6 5 5 6l6 6-6 6 1 1 6-6 6 6 1-1-6-6 6-6-1-1-6 6z'
      : 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z');
    btn.setAttribute('aria-expanded', open);
    btn.setAttribute('aria-label', T[+open] + (count ? ', ' + T[2] + ': ' + count : ''));
    badge.textContent = count > 99 ? '99+' : count;
    css(badge, 'all:initial;position:absolute;top:-4px;right:-4px;min-width:8px;padding:0 6px;' +
      'border-radius:10px;background:#c5221f;color:#fff;font:700 12px/20px sans-serif;text-align:center;display:' +
      (count && !open ? 'block;' : 'none;'));
    css(btn, 'all:initial;position:fixed;right:20px;bottom:20px;' + Z + 'width:56px;height:56px;border-radius:50%;background:' +
      BG + ';color:#fff;cursor:pointer;align-items:center;justify-content:center;box-shadow:0 4px 16px #0005;' + (L.style || '') +
      'outline:' + (ring ? '3px solid ' + BG : '0') + ';outline-offset:3px;display:' + (mode == 'hidden' || (small && open) ? 'none;' : 'flex;'));
    if (frame) css(frame, 'all:initial;position:fixed;' + Z + 'border:0;display:' + (open ? 'block;' : 'none;') +
      (small ? 'top:0;left:0;width:100%;height:100%;' : 'right:20px;bottom:88px;width:380px;max-width:calc(100vw - 40px);height:min(' +
        (height || 640) + 'px,calc(100vh - 108px));border-radius:16px;box-shadow:0 8px 40px #0005;' + (L.side || '')));
  }

  function make() {
    frame = el('iframe', { id: 'sb-frame', title: T[3], 'data-testid': 'sb-frame',
      sandbox: 'allow-scripts allow-same-origin allow-forms allow-popups allow-downloads',
      src: GW + '/widget/frame?line=' + encodeURIComponent(line) + '&origin=' + encodeURIComponent(location.origin) });
    paint();
    D.body.appendChild(frame);
  }

  function tell(m) {
    m.sb = 1;
    m.page = location.href;
    if (talk) frame.contentWindow.postMessage(m, GW);
  }

  function setOpen(o, focus) {
    if (!mounted) return void (want = o);
    if ((o && mode == 'hidden') || o == open) return;
    var inside = D.activeElement == frame;
    open = o;
    store(SS, KEY, o ? '1' : '');
    if (o && !frame) make();
    paint();
    tell({ type: o ? 'open' : 'close' });
    if (o && focus) frame.focus();
    if (inside) btn.focus();
    emit(o ? 'open' : 'close', {});
  }

  function setMode(m) {
    mode = m;
    if (m == 'hidden') setOpen(false);
    paint();
  }

  function emit(ev, d) {
    (H[ev] || []).slice().forEach(function (f) {
      try { f(d); } catch (e) { console.error(e); }
    });
  }

  W.addEventListener('message', function (e) {
    var d = e.data, t = d && d.type;
    if (!frame || e.source != frame.contentWindow || e.origin != GW || !d || d.sb != 1) return;
    if (t == 'hello') talk = true, tell({ type: 'init', user: user, open: open });
    if (t == 'open' || t == 'close') setOpen(t == 'open');
    if (t == 'resize') height = Math.max(200, d.height | 0), paint();
    if (t == 'ready') ready = true, store(LS, KEY, 1);
    if (t == 'ready' || t == 'mode') setMode(d.mode), emit(t, { mode: d.mode });
    if (t == 'unread') count = Math.max(0, d.count | 0), paint(), emit(t, { count: count });
    if (t == 'message') emit(t, { message: d.message });
  });
  function page() { tell({ type: 'page' }); }
  W.addEventListener('popstate', page);
  W.addEventListener('hashchange', page);
  W.addEventListener('resize', function () { if (mounted) paint(); });

  var api = W.Switchboard = {
    version: 1,
    open: function () { setOpen(true, 1); },
    close: function () { setOpen(false); },
    setUser: function (u) {
      user = u && typeof u == 'object' ? { id: u.id, name: u.name, email: u.email, hash: u.hash } : null;
      tell({ type: 'user', user: user });
    },
    on: function (ev, fn) {
      (H[ev] = H[ev] || []).push(fn);
      if (ev == 'ready' && ready) fn({ mode: mode });
    },
    off: function (ev, fn) {
      H[ev] = fn ? (H[ev] || []).filter(function (f) { return f != fn; }) : [];
    }
  };

  function mount() {
    mounted = true;
    paint();
    D.body.appendChild(btn);
    // A returning visitor's frame loads at once (unread count, mode); a
    // chat left open on the previous page opens again.
    if (store(LS, KEY)) make();
    if (want != null) setOpen(want, 1);
    else if (store(SS, KEY)) setOpen(true);
  }
  // stub queue: {q: [[method, args]]}
  q = pre && pre.q || [];
  for (i = 0; i < q.length; i++) try { api[q[i][0]].apply(api, q[i][1] || []); } catch (e) {}

  // Ask before drawing anything: a page the line does not allow gets no
  // launcher, and its developer the server's word on what to change (403:
  // the origin to allow; 404: unknown line or widget off). Any other
  // failure (network, 429, 5xx) draws it: the chat window explains those.
  // Nothing happens before the host page has loaded and the browser is
  // idle: the widget never delays the page's own content.
  function check() {
    var status = 0;
    fetch(GW + '/widget/v1/check?lineId=' + encodeURIComponent(line) + '&origin=' + encodeURIComponent(location.origin)).then(function (r) {
      status = r.status;
      return r.json();
    }).then(function (j) {
      if (status == 403 || status == 404) return console.warn('Switchboard:', j.error.message);
      mode = j.mode || '';
      mount();
    }, mount);
  }
  function idle() { W.requestIdleCallback ? W.requestIdleCallback(check, { timeout: 2000 }) : setTimeout(check, 1); }
  D.readyState == 'complete' ? idle() : W.addEventListener('load', idle);
})(window, document);
