// Missed-conversation alerts (the red dot of PRODUCT.md "Unread and missed
// markers"): the sound and desktop notification of notify.js when a
// conversation turns missed, that is when a conversation.opened or
// conversation.updated event carries a missedAt while the conversation was
// last seen without one, or was never seen.
//
// The agent is told only while their own presence is online, and only of a
// conversation they work: supervisors and admins of every one, an agent of
// those assigned to them, those of their groups and those of a line whose
// queue holds them (directly or through a group). One alert per missed
// episode: an episode is the conversation and its missedAt.
import { announceMissed } from './notify.js';
import { isActive } from './views/dom.js';

const MAX_KNOWN = 5000;
// An episode that began this long before the page opened, in a conversation
// the page never loaded, is an old one: its dot was there before the agent
// looked (the slack covers a clock that differs from the server's).
const SLACK_MS = 60 * 1000;

export class MissedWatch {
  // opts: me (the signed-in agent; app.js keeps its presence current),
  // names (the directory: agentMap, lineMap), isShown(id) (the conversation
  // is open in front of the agent, in a visible tab), onOpen(id).
  constructor({ me, names, isShown, onOpen }) {
    Object.assign(this, { me, names, isShown, onOpen });
    this.known = new Map(); // conversation id → { missedAt ('' when not missed), version }
    this.told = new Set(); // episodes announced: id + '|' + missedAt
    this.since = Date.now() - SLACK_MS;
  }

  // seen records conversations read from the API: whatever dot they carry
  // is on the screen already, so only a later change alerts.
  seen(convs) {
    for (const c of convs) if (c && c.id && !this.stale(c)) this.note(c);
  }

  // stale: an older state of the conversation than one already known
  // (an answer that arrived after the event it predates).
  stale(c) {
    const k = this.known.get(c.id);
    return !!k && (c.version || 0) < k.version;
  }

  note(c) {
    this.known.delete(c.id); // re-inserted last: the oldest are pruned first
    this.known.set(c.id, { missedAt: c.missedAt || '', version: c.version || 0 });
    if (this.known.size > MAX_KNOWN) this.known.delete(this.known.keys().next().value);
  }

  onEvent(ev) {
    if (ev.type !== 'conversation.opened' && ev.type !== 'conversation.updated') return;
    const c = ev.conversation;
    if (!c || !c.id || this.stale(c)) return;
    const before = this.known.get(c.id);
    this.note(c);
    if (!c.missedAt) return;
    // Missed when last seen: the same episode. Never seen: new unless it
    // began before this page opened.
    if (before ? before.missedAt : Date.parse(c.missedAt) < this.since) return;
    const episode = c.id + '|' + c.missedAt;
    if (this.told.has(episode) || !this.concerns(c) || this.isShown(c.id)) return;
    this.told.add(episode);
    if (this.told.size > MAX_KNOWN) this.told.delete(this.told.values().next().value);
    announceMissed(c, this.onOpen);
  }

  // concerns: the agent is on duty (online, or invisible as a rescuer) and
  // works this conversation.
  concerns(c) {
    // Online agents; and invisible ones who asked to rescue missed chats.
    const onDuty = this.me.presence === 'online' || (this.me.presence === 'invisible' && this.me.rescueWhileInvisible);
    if (!isActive(c) || !onDuty) return false;
    // The directory follows changes of role and groups made by an admin.
    const me = (this.names.agentMap && this.names.agentMap.get(this.me.id)) || this.me;
    if (me.role === 'supervisor' || me.role === 'admin') return true;
    const groups = me.groupIds || [];
    const line = this.names.lineMap && this.names.lineMap.get(c.lineId);
    const onLine = !!line && ((line.agentIds || []).includes(this.me.id) || (line.groupIds || []).some((g) => groups.includes(g)));
    // A rescuer is told of every missed conversation of their lines.
    if (this.me.presence === 'invisible') return onLine;
    if (c.agentId) return c.agentId === this.me.id;
    if (c.groupId) return groups.includes(c.groupId);
    return onLine;
  }
}
