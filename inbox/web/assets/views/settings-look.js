// The widget's look in the line editor: colour maths (text contrast as the
// server checks it, inbox/linewidget.go), the embed snippet and the live
// preview — a static mock of the launcher and the window, no session.
import { t } from '../i18n.js';
import { h, replace } from './dom.js';

export const DEFAULT_COLOR = '#2250c8';
export const DARK_TEXT = '#1a1d24';
const MIN = 4.5;

function lum(hex) {
  const v = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}

export function contrast(a, b) {
  const x = lum(a);
  const y = lum(b);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

export const isHex = (s) => /^#[0-9a-fA-F]{6}$/.test(s || '');

// textOn picks white or dark text for colour: {text, ratio, ok}.
export function textOn(color) {
  const c = isHex(color) ? color : DEFAULT_COLOR;
  const w = contrast(c, '#ffffff');
  const d = contrast(c, DARK_TEXT);
  return w >= d ? { text: '#ffffff', ratio: w, ok: w >= MIN } : { text: DARK_TEXT, ratio: d, ok: d >= MIN };
}

const hex2 = (n) => Math.round(Math.min(255, Math.max(0, n))).toString(16).padStart(2, '0');

// readable adjusts an unreadable colour: the nearest darker shade white
// text reads on, or the nearest lighter one dark text reads on.
export function readable(color) {
  if (!isHex(color) || textOn(color).ok) return color;
  const rgb = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  for (let k = 1; k <= 40; k++) {
    const dark = '#' + rgb.map((c) => hex2(c * (1 - k / 40))).join('');
    if (contrast(dark, '#ffffff') >= MIN) return dark;
    const light = '#' + rgb.map((c) => hex2(c + (255 - c) * (k / 40))).join('');
    if (contrast(light, DARK_TEXT) >= MIN) return light;
  }
  return DEFAULT_COLOR;
}

// snippet is the script tag of a line for this inbox's gateway. The
// launcher's look rides along (the loader draws it before the chat window
// loads, widget/assets/widget.js): data-style styles the launcher,
// data-side moves the window to the left, data-label is the launcher's text.
export function snippet(lineId, w) {
  const attrs = [['src', location.origin + '/widget.js'], ['data-line', lineId]];
  const color = isHex(w.color) ? w.color.toLowerCase() : DEFAULT_COLOR;
  const left = w.position === 'left' ? 'left:20px;right:auto;' : '';
  let style = '';
  if (color !== DEFAULT_COLOR) style += 'background:' + color + ';color:' + textOn(color).text + ';';
  style += left;
  if (w.launcherLabel) style += 'width:auto;padding:0 18px;gap:8px;border-radius:28px;white-space:nowrap;font:600 15px sans-serif;';
  if (style) attrs.push(['data-style', style]);
  if (left) attrs.push(['data-side', left]);
  if (w.launcherLabel) attrs.push(['data-label', w.launcherLabel]);
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return '<script ' + attrs.map(([k, v]) => k + '="' + esc(v) + '"').join(' ') + ' async></script>';
}

// bubble is the launcher's speech-bubble icon (as widget/assets/widget.js draws it).
function bubble() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'pv-icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z');
  svg.appendChild(path);
  return svg;
}

// Preview draws the mock. update(look) redraws it; look: {color, title,
// name, position, launcherLabel, greeting, messengerGreeting}.
export class Preview {
  constructor() {
    this.mode = 'live';
    this.modeButtons = ['live', 'messenger'].map((m) => h('button', {
      type: 'button', class: 'mode', 'data-mode': m, 'aria-pressed': String(m === this.mode),
      onClick: () => { this.mode = m; this.update(this.look); },
    }, t('set.preview.' + m)));
    this.stage = h('div', { class: 'pv-stage', testid: 'widget-preview' });
    this.el = h('section', { class: 'set-preview', 'aria-label': t('set.preview') },
      h('div', { class: 'pv-head' }, h('h4', null, t('set.preview')), h('div', { class: 'modes', role: 'group', 'aria-label': t('set.preview.mode') }, this.modeButtons)),
      this.stage,
      h('p', { class: 'hint' }, t('set.preview.hint')));
  }

  update(look) {
    this.look = look;
    for (const b of this.modeButtons) b.setAttribute('aria-pressed', String(b.getAttribute('data-mode') === this.mode));
    const color = isHex(look.color) ? look.color : DEFAULT_COLOR;
    const { text } = textOn(color);
    const live = this.mode === 'live';
    const greeting = live ? look.greeting : look.messengerGreeting;
    const head = h('div', { class: 'pv-bar', testid: 'preview-header' },
      h('strong', { testid: 'preview-title' }, look.title || look.name || t('set.preview.chat')),
      h('span', null, t(live ? 'presence.online' : 'presence.offline')));
    const win = h('div', { class: 'pv-window' }, head,
      h('div', { class: 'pv-body' },
        greeting ? h('p', { class: 'pv-bubble', testid: 'preview-greeting' }, greeting) : null,
        h('p', { class: 'pv-mine' }, t('set.preview.sample'))),
      h('div', { class: 'pv-input' }, t('set.preview.placeholder')));
    const launcher = h('div', { class: ['pv-launcher', look.launcherLabel ? 'pv-label' : ''], testid: 'preview-launcher' },
      bubble(), look.launcherLabel ? h('span', null, look.launcherLabel) : null);
    for (const el of [head, launcher, win.querySelector('.pv-mine')]) {
      el.style.backgroundColor = color;
      el.style.color = text;
    }
    this.stage.classList.toggle('pv-left', look.position === 'left');
    replace(this.stage, win, launcher);
  }
}
