// Read state, kept in this browser per agent: the highest message seq the
// agent has seen in each conversation. It drives the purple unread dot.

const MAX_ENTRIES = 2000;

export class ReadState {
  constructor(agentId) {
    this.key = 'sb.read.' + agentId;
    this.seqs = {};
    this.load();
    this.onChange = () => {};
    window.addEventListener('storage', (e) => {
      if (e.key === this.key) { this.load(); this.onChange(); }
    });
  }

  load() {
    try {
      const v = JSON.parse(localStorage.getItem(this.key) || '{}');
      this.seqs = v && typeof v === 'object' ? v : {};
    } catch {
      this.seqs = {};
    }
  }

  save() {
    const ids = Object.keys(this.seqs);
    if (ids.length > MAX_ENTRIES) {
      for (const id of ids.slice(0, ids.length - MAX_ENTRIES)) delete this.seqs[id];
    }
    try { localStorage.setItem(this.key, JSON.stringify(this.seqs)); } catch { /* full or disabled */ }
  }

  seen(id) { return Object.prototype.hasOwnProperty.call(this.seqs, id); }

  // mark records that the agent has seen the conversation up to seq;
  // it reports whether anything changed.
  mark(id, seq) {
    seq = Number(seq) || 0;
    if (this.seen(id) && this.seqs[id] >= seq) return false;
    delete this.seqs[id]; // re-inserted last: the oldest entries are pruned first
    this.seqs[id] = seq;
    this.save();
    return true;
  }

  // unread: no dot when read, answered or closed; purple for a conversation
  // never opened here, or with a message after the last one seen.
  unread(conv) {
    const active = ['new', 'queued', 'accepted', 'waiting', 'waiting_again'].includes(conv.status);
    if (!active) return false;
    return !this.seen(conv.id) || conv.seq > this.seqs[conv.id];
  }
}
