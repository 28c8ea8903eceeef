// Activity reporting: tells the server the person is at the inbox, so the
// inactivity rule (Settings › My profile › "Go offline after inactivity")
// does not set them offline. The frame is {"type":"active"} on the agent
// websocket; the server answers nothing and limits frames per connection,
// so reports are throttled:
//   - user input (keydown, pointerdown, wheel, the window gaining focus)
//     in a visible tab: at most one report every 30 s;
//   - the tab becoming visible again, and every (re)connect ("ready"):
//     one report at once;
//   - never while the tab is hidden (document.hidden).
// A report only counts as sent when the socket took it: input while the
// socket is down tries again on the next input, and a reconnect reports anyway.
// Not counted, because the app causes them itself: "scroll" (the message
// list follows new messages) and focus moving between elements (the list
// keeps its focused row across live redraws). A person scrolls with the
// wheel, keys or a pointer, and moves focus with keys or a pointer, and
// those all count.

export const ACTIVE_EVERY = 30000;
const INPUT = ['keydown', 'pointerdown', 'wheel'];

export class Activity {
  // send(frame) → true when the frame went out (Live.send).
  constructor(send) {
    this.send = send;
    this.last = -Infinity;
    this.onInput = () => this.input();
    this.onVisible = () => { if (!document.hidden) this.now(); };
  }

  start() {
    // Capture: input counts even where a handler stops it.
    for (const type of INPUT) window.addEventListener(type, this.onInput, { capture: true, passive: true });
    // Without capture only the window's own focus arrives, not an element's.
    window.addEventListener('focus', this.onInput);
    document.addEventListener('visibilitychange', this.onVisible);
  }

  stop() {
    for (const type of INPUT) window.removeEventListener(type, this.onInput, { capture: true });
    window.removeEventListener('focus', this.onInput);
    document.removeEventListener('visibilitychange', this.onVisible);
  }

  // input: the person did something; report unless one went out < 30 s ago.
  input() {
    if (document.hidden || Date.now() - this.last < ACTIVE_EVERY) return;
    this.report();
  }

  // now: report at once (tab visible again, socket ready).
  now() {
    if (document.hidden) return;
    this.report();
  }

  report() {
    if (this.send({ type: 'active' })) this.last = Date.now();
  }
}
