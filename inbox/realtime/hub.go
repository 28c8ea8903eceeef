// Package realtime fans the inbox's events out to the websockets of one
// node. A subscriber that cannot keep up is cut off rather than allowed to
// slow everyone down; its client resumes by cursor.
package realtime

import (
	"context"
	"sync"

	"github.com/switchboard-chat/switchboard/inbox"
)

// Hub delivers every published event to the subscribers whose filter
// accepts it. It is an inbox.EventSink.
type Hub struct {
	mu   sync.RWMutex
	subs map[*Sub]struct{}
}

var _ inbox.EventSink = (*Hub)(nil)

// NewHub builds an empty hub.
func NewHub() *Hub { return &Hub{subs: map[*Sub]struct{}{}} }

// Sub is one subscriber.
type Sub struct {
	hub    *Hub
	filter func(inbox.Event) bool
	ch     chan inbox.Event
	once   sync.Once
	lagged bool
}

// Subscribe registers a subscriber with room for buf pending events.
func (h *Hub) Subscribe(filter func(inbox.Event) bool, buf int) *Sub {
	s := &Sub{hub: h, filter: filter, ch: make(chan inbox.Event, buf)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Events delivers the subscriber's events; it is closed when the
// subscriber is closed or fell behind (then Lagged reports true).
func (s *Sub) Events() <-chan inbox.Event { return s.ch }

// Lagged reports whether the hub cut the subscriber off for falling behind.
func (s *Sub) Lagged() bool {
	s.hub.mu.RLock()
	defer s.hub.mu.RUnlock()
	return s.lagged
}

// Close unregisters the subscriber.
func (s *Sub) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.closeLocked()
}

func (s *Sub) closeLocked() {
	s.once.Do(func() {
		delete(s.hub.subs, s)
		close(s.ch)
	})
}

// Publish hands ev to every interested subscriber without blocking.
func (h *Hub) Publish(_ context.Context, ev inbox.Event) error {
	var slow []*Sub
	h.mu.RLock()
	for s := range h.subs {
		if s.filter != nil && !s.filter(ev) {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			slow = append(slow, s)
		}
	}
	h.mu.RUnlock()
	if len(slow) > 0 {
		h.mu.Lock()
		for _, s := range slow {
			s.lagged = true
			s.closeLocked()
		}
		h.mu.Unlock()
	}
	return nil
}

// Resync cuts every subscriber off as if it had fallen behind (Lagged
// reports true), so that each client refetches what it shows: for when
// this node knows it missed events. It returns how many it cut off.
func (h *Hub) Resync() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.subs)
	for s := range h.subs {
		s.lagged = true
		s.closeLocked()
	}
	return n
}

// Subscribers counts the current subscribers.
func (h *Hub) Subscribers() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs)
}
