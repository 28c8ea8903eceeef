package linework

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// Queue is the inbox's delivery queue (inbox.Service).
type Queue interface {
	PendingDeliveries(ctx context.Context, lineID string, ch inbox.Channel) ([]inbox.DeliveryJob, error)
	ClaimDelivery(ctx context.Context, j *inbox.DeliveryJob, holder string, until time.Time) error
}

// Deliveries is the whole delivery queue a connector's sender works
// with (inbox.Service): the pass's Queue, and what a sender records.
type Deliveries interface {
	Queue
	DeliveryItem(ctx context.Context, j *inbox.DeliveryJob) (*inbox.Message, *inbox.Conversation, *inbox.Contact, error)
	DropDelivery(ctx context.Context, j *inbox.DeliveryJob) error
	DeliverySent(ctx context.Context, j *inbox.DeliveryJob) error
	DeliveryRetry(ctx context.Context, j *inbox.DeliveryJob, reason string, next time.Time) error
	DeliveryFailed(ctx context.Context, j *inbox.DeliveryJob, reason string, unreachable bool) error
}

// Outcome is what became of a claimed reply.
type Outcome int

// Outcomes of Send.
const (
	// Later: not done; its claim or its next attempt brings it back.
	Later Outcome = iota
	// Done: sent, failed or dropped: the conversation's next reply may go.
	Done
	// Paused: the channel asked to wait (a flood limit); nothing more is
	// sent in this pass.
	Paused
)

// Sender sends one line's queued replies on one channel.
type Sender struct {
	Queue   Queue
	LineID  string
	Channel inbox.Channel
	// Node claims the replies it sends for Claim.
	Node  string
	Claim time.Duration
	Log   *slog.Logger
	// Send sends one claimed reply.
	Send func(ctx context.Context, j *inbox.DeliveryJob) Outcome
}

// Pass sends each conversation's oldest due reply — a conversation's
// replies go strictly one after the other — and says how long to wait
// before the next pass, and whether Send asked to pause.
func (s Sender) Pass(ctx context.Context) (wait time.Duration, paused bool) {
	jobs, err := s.Queue.PendingDeliveries(ctx, s.LineID, s.Channel)
	if err != nil {
		if ctx.Err() == nil && s.Log != nil {
			s.Log.Error("list queued replies", "line", s.LineID, "channel", s.Channel, "err", err)
		}
		return 5 * time.Second, false
	}
	wait = time.Second
	seen := map[string]bool{}
	for i := range jobs {
		j := &jobs[i]
		if seen[j.ConversationID] {
			continue
		}
		seen[j.ConversationID] = true
		now := time.Now()
		if j.ClaimedBy != "" && j.ClaimedBy != s.Node && j.ClaimUntil.After(now) {
			continue
		}
		if j.NextAt.After(now) {
			wait = min(wait, j.NextAt.Sub(now))
			continue
		}
		if err := s.Queue.ClaimDelivery(ctx, j, s.Node, now.Add(s.Claim)); err != nil {
			continue // another worker took it
		}
		switch s.Send(ctx, j) {
		case Paused:
			return 0, true
		case Done:
			wait = 0 // the conversation's next reply may be due now
		}
		if ctx.Err() != nil {
			return 0, false
		}
	}
	return wait, false
}
