// Sound and desktop notifications for new and missed conversations. The
// browser asks for notification permission only after a click (a user
// gesture).
import { t } from './i18n.js';
import { contactLabel } from './views/names.js';

let audio = null;
// prefs are the agent's own choices (Settings › My profile), kept on the server.
let prefs = { sound: true, desktop: true };

export function setNotifyPrefs(p) { prefs = { sound: true, desktop: true, ...(p || {}) }; }

export function askPermissionOnFirstClick() {
  const ask = () => {
    document.removeEventListener('click', ask, true);
    if ('Notification' in window && Notification.permission === 'default') {
      Notification.requestPermission().catch(() => {});
    }
    unlockAudio();
  };
  document.addEventListener('click', ask, true);
}

function unlockAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  if (!audio) audio = new Ctx();
  if (audio.state === 'suspended') audio.resume().catch(() => {});
}

// beep plays two short tones; no sound file needed.
export function beep() {
  try {
    // The context exists once the agent clicked somewhere (autoplay rules).
    if (!audio) return;
    if (audio.state === 'suspended') audio.resume().catch(() => {});
    const now = audio.currentTime;
    [880, 1320].forEach((freq, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.16);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.18);
      osc.stop(now + i * 0.18 + 0.17);
    });
  } catch { /* no audio: fine */ }
}

// desktop shows a desktop notification when the agent wants them and the
// browser allows them; clicking it brings the inbox forward and calls onClick.
function desktop(title, body, tag, onClick) {
  if (!prefs.desktop || !('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const n = new Notification(title, { body, tag });
    n.onclick = () => { window.focus(); onClick(); n.close(); };
  } catch { /* some browsers only allow notifications from a service worker */ }
}

// announce tells the agent about a new conversation: a beep, and a desktop
// notification when allowed. onClick opens the conversation.
export function announce(conv, onClick) {
  if (prefs.sound) beep();
  desktop(t('notify.new'), t('notify.newFrom', { name: contactLabel(conv) }), 'sb-conv-' + conv.id, () => onClick(conv.id));
}

// announceMissed tells the agent that a conversation turned missed (the
// red dot): the same beep and desktop notification, under the agent's
// same sound and desktop preferences. Who is told, and when, is decided
// by missed.js. onClick opens the conversation.
export function announceMissed(conv, onClick) {
  if (prefs.sound) beep();
  desktop(t('notify.missed'), t('notify.missedFrom', { name: contactLabel(conv) }), 'sb-missed-' + conv.id, () => onClick(conv.id));
}
