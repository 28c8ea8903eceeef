// The visitor websocket: hello with the cursor, reconnect with jittered
// backoff, a fresh session after repeated failures (expired token).
import { backoff } from './core.js';

export class Conn {
  // h: {url(token), hello() → {lastSeq, …}, frame(f), state(up), refresh() → token}
  constructor(h) {
    this.h = h;
    this.ws = null;
    this.up = false; // welcome received: sends go through
    this.on = false;
    this.n = 0;
    this.fails = 0;
    this.timer = 0;
    this.token = '';
  }
  start(token) {
    this.stop();
    this.token = token;
    this.on = true;
    this.open();
  }
  stop() {
    this.on = false;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = ws.onmessage = null;
      ws.close();
    }
    this.down();
  }
  down() {
    if (this.up) {
      this.up = false;
      this.h.state(false);
    }
  }
  send(f) {
    if (!this.up) return false;
    try {
      this.ws.send(JSON.stringify(f));
      return true;
    } catch {
      return false;
    }
  }
  // kick reconnects now instead of waiting out the backoff (back online,
  // tab visible again).
  kick() {
    if (this.on && !this.ws) {
      clearTimeout(this.timer);
      this.n = 0;
      this.open();
    }
  }
  open() {
    let ws;
    let welcomed = false;
    try {
      ws = this.ws = new WebSocket(this.h.url(this.token));
    } catch {
      this.ws = null;
      return this.retry();
    }
    ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', ...this.h.hello() }));
    ws.onmessage = e => {
      let f;
      try {
        f = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!f || typeof f.type !== 'string') return;
      const w = f.type === 'welcome';
      if (w) {
        welcomed = this.up = true;
        this.n = this.fails = 0;
      }
      this.h.frame(f);
      if (w) this.h.state(true);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.down();
      if (!welcomed) this.fails++;
      this.retry();
    };
  }
  retry() {
    if (!this.on) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      if (this.fails >= 3 && this.h.refresh) {
        this.fails = 0;
        try {
          this.token = (await this.h.refresh()) || this.token;
        } catch {
          // keep trying with the token we have
        }
      }
      if (this.on && !this.ws) this.open();
    }, backoff(this.n++));
  }
}
