package scheduler

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
)

// HoursInbox is what the business-hours watcher needs of the inbox.
type HoursInbox interface {
	Agents(ctx context.Context) ([]inbox.Agent, error)
	Lines(ctx context.Context) ([]inbox.Line, error)
	AgentSchedule(ctx context.Context, ag *inbox.Agent) (inbox.Schedule, bool, error)
	SetPresenceBecause(ctx context.Context, id string, p inbox.Presence, why inbox.PresenceReason) (*inbox.Agent, error)
	AnnounceLineHours(ctx context.Context, lineID string)
}

// Hours acts at the boundaries of business hours, on a timer set to the
// next one (not a sweep): an automatic agent (presence mode "hours") goes
// online when their hours open and offline when they close — a manual
// change in between lasts until the next boundary — and a line that opens
// or closes is announced, so its widgets change mode. It reads every
// line's and automatic agent's next boundary at start and again whenever a
// line or an agent changes.
type Hours struct {
	inbox HoursInbox
	hub   *realtime.Hub
	log   *slog.Logger
	now   func() time.Time
	// next boundary by "line:<id>" / "agent:<id>"; modes remembers each
	// agent's presence mode, to apply the hours at once when it turns
	// automatic.
	next  map[string]time.Time
	modes map[string]inbox.PresenceMode
}

// NewHours builds the watcher; now is the clock (time.Now when nil).
func NewHours(in HoursInbox, hub *realtime.Hub, now func() time.Time, log *slog.Logger) *Hours {
	if now == nil {
		now = time.Now
	}
	return &Hours{inbox: in, hub: hub, log: log, now: now, modes: map[string]inbox.PresenceMode{}}
}

func hoursEvents(ev inbox.Event) bool {
	switch ev.Type {
	case inbox.EventLineChanged, inbox.EventLineDeleted, inbox.EventAgentChanged, inbox.EventAgentDeleted,
		inbox.EventGroupChanged, inbox.EventGroupDeleted:
		return true
	}
	return false
}

// Run watches until ctx ends.
func (h *Hours) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		sub := h.hub.Subscribe(hoursEvents, 1024)
		h.plan(ctx)
		h.watch(ctx, sub)
		sub.Close()
	}
	return nil
}

func (h *Hours) watch(ctx context.Context, sub *realtime.Sub) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := time.Hour
		for _, at := range h.next {
			wait = min(wait, max(at.Sub(h.now()), 0))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case _, ok := <-sub.Events():
			if !ok {
				return // fell behind: Run plans everything again
			}
			// A line's or agent's hours, queue or mode may have changed:
			// plan again (both collections are small). A line event this
			// watcher caused changes no boundary and is planned the same.
			h.plan(ctx)
		case <-timer.C:
			h.fire(ctx)
		}
	}
}

// plan reads every next boundary anew, applying the hours at once to an
// agent who just turned automatic.
func (h *Hours) plan(ctx context.Context) {
	now := h.now()
	h.next = map[string]time.Time{}
	lines, err := h.inbox.Lines(ctx)
	if err != nil {
		logError(ctx, h.log, "hours: lines", "err", err)
		return
	}
	for i := range lines {
		if !lines[i].BusinessHours.Enabled {
			continue
		}
		ts, err := lines[i].BusinessHours.Transitions(now, 1)
		if err != nil {
			logError(ctx, h.log, "hours: line schedule", "line", lines[i].ID, "err", err)
			continue
		}
		if len(ts) > 0 {
			h.next["line:"+lines[i].ID] = ts[0].At
		}
	}
	agents, err := h.inbox.Agents(ctx)
	if err != nil {
		logError(ctx, h.log, "hours: agents", "err", err)
		return
	}
	modes := map[string]inbox.PresenceMode{}
	for i := range agents {
		ag := &agents[i]
		modes[ag.ID] = ag.PresenceMode
		sched, ok, err := h.inbox.AgentSchedule(ctx, ag)
		if err != nil {
			logError(ctx, h.log, "hours: agent schedule", "agent", ag.ID, "err", err)
			continue
		}
		if !ok {
			continue
		}
		if h.modes[ag.ID] != inbox.PresenceByHours {
			h.apply(ctx, ag, sched, now) // just turned automatic
		}
		at, _, found, err := sched.Next(now)
		if err != nil {
			logError(ctx, h.log, "hours: agent schedule", "agent", ag.ID, "err", err)
			continue
		}
		if found {
			h.next["agent:"+ag.ID] = at
		}
	}
	h.modes = modes
}

// fire acts on every boundary that has come, then plans again.
func (h *Hours) fire(ctx context.Context) {
	now := h.now()
	due := false
	var agents map[string]*inbox.Agent // read once, if an agent is due
	for key, at := range h.next {
		if at.After(now) {
			continue
		}
		due = true
		if id, ok := strings.CutPrefix(key, "line:"); ok {
			h.inbox.AnnounceLineHours(ctx, id)
			continue
		}
		if agents == nil {
			all, err := h.inbox.Agents(ctx)
			if err != nil {
				logError(ctx, h.log, "hours: agents", "err", err)
				continue
			}
			agents = make(map[string]*inbox.Agent, len(all))
			for i := range all {
				agents[all[i].ID] = &all[i]
			}
		}
		if ag := agents[strings.TrimPrefix(key, "agent:")]; ag != nil {
			if sched, ok, err := h.inbox.AgentSchedule(ctx, ag); err == nil && ok {
				h.apply(ctx, ag, sched, now)
			}
		}
	}
	if due {
		h.plan(ctx)
	}
}

// apply sets an automatic agent's presence to what their hours say at now.
func (h *Hours) apply(ctx context.Context, ag *inbox.Agent, sched inbox.Schedule, now time.Time) {
	open, err := sched.OpenAt(now)
	if err != nil {
		logError(ctx, h.log, "hours: agent schedule", "agent", ag.ID, "err", err)
		return
	}
	want := inbox.PresenceOffline
	if open {
		want = inbox.PresenceOnline
	}
	if ag.Presence == want {
		return
	}
	if _, err := h.inbox.SetPresenceBecause(ctx, ag.ID, want, inbox.ReasonHours); err != nil {
		logError(ctx, h.log, "hours: set presence", "agent", ag.ID, "err", err)
		return
	}
	h.log.Info("presence set by business hours", "agent", ag.ID, "presence", want)
}
