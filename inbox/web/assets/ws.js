// The agent websocket: reconnects with jittered exponential backoff
// (0.5 s doubling to 30 s). Resume rule: on every "ready" (first connect and
// each reconnect) and on "resync", the app refetches its list and, for the
// open conversation, the messages after the last seq it shows.

const MIN_DELAY = 500;
const MAX_DELAY = 30000;

export class Live {
  // handlers: onReady(reconnected), onEvent(event), onHidden(conversationId),
  // onResync(), onError(error), onState('up' | 'down')
  constructor(handlers) {
    this.h = handlers;
    this.ws = null;
    this.attempt = 0;
    this.timer = 0;
    this.stopped = true;
    this.everReady = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  connect() {
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let ws;
    try {
      ws = new WebSocket(proto + '//' + location.host + '/api/v1/ws');
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.h.onState && this.h.onState('down');
      this.retry();
    };
  }

  retry() {
    if (this.stopped) return;
    const base = Math.min(MAX_DELAY, MIN_DELAY * 2 ** this.attempt);
    this.attempt++;
    const delay = base / 2 + Math.random() * (base / 2);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  receive(data) {
    let f;
    try { f = JSON.parse(data); } catch { return; }
    switch (f.type) {
      case 'ready': {
        const again = this.everReady;
        this.everReady = true;
        this.attempt = 0;
        this.h.onState && this.h.onState('up');
        this.h.onReady && this.h.onReady(again);
        break;
      }
      case 'event':
        if (f.event) this.h.onEvent && this.h.onEvent(f.event);
        break;
      case 'message.updated': // should the server ever send it unwrapped
        if (f.message) this.h.onEvent && this.h.onEvent(f);
        break;
      case 'hidden':
        this.h.onHidden && this.h.onHidden(f.conversationId);
        break;
      case 'resync':
        this.h.onResync && this.h.onResync();
        break;
      case 'error':
        this.h.onError && this.h.onError(f.error);
        break;
    }
  }

  // send delivers a frame if connected; frames are hints, never queued.
  // It says whether the frame went out.
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }
}
