package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Outbound delivery: an agent's reply in a conversation of a channel with
// a connector (Telegram) is stored with a delivery job, keyed by the
// message's own id, written before the message itself; a retried append
// finds the job there, and a job whose message never came is dropped. The
// connector's worker lists a line's jobs, claims one for a while, sends it
// — part by part, recording each part sent, so a retry goes on where it
// stopped — and marks the message sent, or retries later, or fails it
// with the channel's reason. A claim that expires (its node died) is taken
// again, so a restart never drops a claimed send. Agents see each reply's
// state change live and may send a failed one again.

// DeliveryState is where an agent's reply is on its way to the channel.
type DeliveryState string

// Delivery states.
const (
	DeliveryPending DeliveryState = "pending"
	DeliverySent    DeliveryState = "sent"
	DeliveryFailed  DeliveryState = "failed"
)

// Delivery is the state of a reply carried by a connector.
type Delivery struct {
	State DeliveryState `bson:"state" json:"state"`
	// Error is the channel's reason for the last failure.
	Error    string     `bson:"error,omitempty" json:"error,omitempty"`
	Attempts int        `bson:"attempts" json:"attempts"`
	SentAt   *time.Time `bson:"sentAt,omitempty" json:"sentAt,omitempty"`
}

// DeliveryJob is one reply waiting to be sent.
type DeliveryJob struct {
	// ID is the message's id.
	ID             string    `bson:"_id"`
	LineID         string    `bson:"lineId"`
	Channel        Channel   `bson:"channel"`
	ConversationID string    `bson:"conversationId"`
	CreatedAt      time.Time `bson:"createdAt"`
	// Seq orders a conversation's replies where their times are equal
	// (stored times have milliseconds): the message's seq.
	Seq int64 `bson:"seq"`
	// NextAt is when it may be tried (again).
	NextAt   time.Time `bson:"nextAt"`
	Attempts int       `bson:"attempts"`
	// ClaimedBy holds the job until ClaimUntil.
	ClaimedBy  string    `bson:"claimedBy"`
	ClaimUntil time.Time `bson:"claimUntil"`
	// PartsDone counts the parts already sent (text pieces, files);
	// Sent are their channel ids.
	PartsDone int    `bson:"partsDone"`
	Sent      []int  `bson:"sent"`
	LastError string `bson:"lastError,omitempty"`
	Version   int64  `bson:"version"`
}

// deliversTo says whether replies in conversations of ch go out through
// a connector.
func (s *Service) deliversTo(ch Channel) bool { return s.outbound[ch] }

// queueDelivery stores the job of a reply about to be stored.
func (s *Service) queueDelivery(ctx context.Context, c *Conversation, m *Message) error {
	m.Delivery = &Delivery{State: DeliveryPending}
	j := &DeliveryJob{ID: m.ID, LineID: c.LineID, Channel: c.Channel, ConversationID: c.ID, CreatedAt: m.CreatedAt, NextAt: m.CreatedAt,
		Seq: c.Seq + 1, Sent: []int{}}
	return s.store.QueueDelivery(ctx, j)
}

func (s *Service) wakeDelivery(lineID string, ch Channel) {
	if s.onDelivery != nil {
		s.onDelivery(lineID, ch)
	}
}

// PendingDeliveries lists a line's queued replies for a channel, oldest
// first, claimed ones included.
func (s *Service) PendingDeliveries(ctx context.Context, lineID string, ch Channel) ([]DeliveryJob, error) {
	return s.store.DeliveriesOfLine(ctx, lineID, ch)
}

// ClaimDelivery takes j for holder until until; ErrConflict when another
// worker changed it first.
func (s *Service) ClaimDelivery(ctx context.Context, j *DeliveryJob, holder string, until time.Time) error {
	j.ClaimedBy, j.ClaimUntil = holder, until
	return s.store.SaveDelivery(ctx, j)
}

// DeliveryItem is what a job sends: the message, its conversation and the
// contact. A job whose message was never stored (its append failed after
// the job was written) is ErrNotFound once it is a minute old: drop it.
func (s *Service) DeliveryItem(ctx context.Context, j *DeliveryJob) (*Message, *Conversation, *Contact, error) {
	m, err := s.store.MessageByID(ctx, j.ID)
	if errors.Is(err, ErrNotFound) && s.Now().Sub(j.CreatedAt) < time.Minute {
		return nil, nil, nil, fmt.Errorf("reply %s is not stored yet: %w", j.ID, ErrConflict)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := s.loadConversation(ctx, System, j.ConversationID)
	if err != nil {
		return nil, nil, nil, err
	}
	ct, err := s.store.ContactByID(ctx, c.ContactID)
	if err != nil {
		return nil, nil, nil, err
	}
	return m, c, ct, nil
}

// DropDelivery forgets a job that has nothing to send.
func (s *Service) DropDelivery(ctx context.Context, j *DeliveryJob) error {
	return s.store.DeleteDelivery(ctx, j.ID)
}

// DeliveryProgress records the parts of j sent so far.
func (s *Service) DeliveryProgress(ctx context.Context, j *DeliveryJob) error {
	return s.store.SaveDelivery(ctx, j)
}

// DeliverySent marks j's message sent with the channel's ids of it.
func (s *Service) DeliverySent(ctx context.Context, j *DeliveryJob) error {
	err := s.setDelivery(ctx, j, func(m *Message, now time.Time) {
		m.Delivery = &Delivery{State: DeliverySent, Attempts: j.Attempts + 1, SentAt: &now}
		m.Refs.TelegramSent = j.Sent
		if len(j.Sent) > 0 {
			m.Refs.TelegramMessageID = j.Sent[0]
		}
	})
	if err != nil {
		return err
	}
	return s.store.DeleteDelivery(ctx, j.ID)
}

// DeliveryRetry records a failed attempt of j, to be tried again at next;
// reason is the channel's words, shown to the agents.
func (s *Service) DeliveryRetry(ctx context.Context, j *DeliveryJob, reason string, next time.Time) error {
	j.Attempts++
	j.LastError, j.NextAt, j.ClaimedBy, j.ClaimUntil = reason, next, "", time.Time{}
	if err := s.store.SaveDelivery(ctx, j); err != nil {
		return err
	}
	return s.setDelivery(ctx, j, func(m *Message, _ time.Time) {
		m.Delivery = &Delivery{State: DeliveryPending, Attempts: j.Attempts, Error: reason}
	})
}

// DeliveryFailed gives j up with the channel's reason. unreachable says
// the customer cannot be reached on the channel at all (they blocked the
// bot): the contact is flagged with the reason until they write again.
func (s *Service) DeliveryFailed(ctx context.Context, j *DeliveryJob, reason string, unreachable bool) error {
	if unreachable {
		// The contact first: whoever sees the reply failed sees why.
		if err := s.markUnreachable(ctx, j.ConversationID, reason); err != nil {
			return err
		}
	}
	// The job goes first: once the reply shows failed, an agent may send
	// it again, which queues a job of the same id.
	if err := s.store.DeleteDelivery(ctx, j.ID); err != nil {
		return err
	}
	return s.setDelivery(ctx, j, func(m *Message, _ time.Time) {
		m.Delivery = &Delivery{State: DeliveryFailed, Attempts: j.Attempts + 1, Error: reason}
		m.Refs.TelegramSent = j.Sent
	})
}

// markUnreachable flags the contact of a conversation as unreachable on
// its channel, for reason.
func (s *Service) markUnreachable(ctx context.Context, convID, reason string) error {
	c, err := s.loadConversation(ctx, System, convID)
	if err != nil {
		return err
	}
	ct, err := s.store.ContactByID(ctx, c.ContactID)
	if err != nil || ct.Unreachable == reason {
		return err
	}
	ct.Unreachable, ct.UpdatedAt = reason, s.Now()
	return s.saveContact(ctx, ct, ct.Name)
}

// setDelivery changes the delivery state of j's message and tells agents.
func (s *Service) setDelivery(ctx context.Context, j *DeliveryJob, set func(m *Message, now time.Time)) error {
	_, _, err := s.updateMessageByID(ctx, j.ConversationID, j.ID, func(m *Message, now time.Time) (bool, error) {
		set(m, now)
		return true, nil
	})
	return err
}

// RetryDelivery sends a failed reply again: the agent's retry button.
func (s *Service) RetryDelivery(ctx context.Context, a Actor, convID, messageID string) (*Message, error) {
	c, err := s.loadConversation(ctx, a, convID)
	if err != nil {
		return nil, err
	}
	if c.AgentID != a.AgentID && !a.SeesAll() {
		return nil, fmt.Errorf("only the conversation's agent sends its replies again: %w", ErrForbidden)
	}
	m, err := s.store.MessageByID(ctx, messageID)
	if errors.Is(err, ErrNotFound) || (err == nil && m.ConversationID != convID) {
		return nil, fmt.Errorf("message %s: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if m.Delivery == nil || m.Delivery.State != DeliveryFailed {
		return nil, conflict("only a failed reply is sent again")
	}
	now := s.Now()
	j := &DeliveryJob{ID: m.ID, LineID: c.LineID, Channel: c.Channel, ConversationID: c.ID, CreatedAt: now, NextAt: now,
		Seq: m.Seq, Sent: m.Refs.TelegramSent, PartsDone: len(m.Refs.TelegramSent)}
	if j.Sent == nil {
		j.Sent = []int{}
	}
	if err := s.store.QueueDelivery(ctx, j); err != nil && !errors.Is(err, errDuplicateKey) {
		return nil, err
	}
	m, _, err = s.updateMessageByID(ctx, convID, m.ID, func(m *Message, _ time.Time) (bool, error) {
		m.Delivery = &Delivery{State: DeliveryPending, Attempts: m.Delivery.Attempts}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	s.wakeDelivery(c.LineID, c.Channel)
	return m, nil
}

// MailBounced marks the reply a bounce names (by its message id) failed
// with the receiving server's reason; false when the id names no reply.
func (s *Service) MailBounced(ctx context.Context, messageID, reason string) (bool, error) {
	if messageID == "" {
		return false, nil
	}
	m, err := s.store.MessageByID(ctx, messageID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if m.AuthorKind == AuthorContact || m.Email == nil {
		return false, nil
	}
	if reason == "" {
		reason = "the mail bounced"
	}
	_, _, err = s.updateMessageByID(ctx, m.ConversationID, m.ID, func(m *Message, _ time.Time) (bool, error) {
		attempts := 1
		if m.Delivery != nil {
			attempts = m.Delivery.Attempts
		}
		m.Delivery = &Delivery{State: DeliveryFailed, Attempts: attempts, Error: "Bounced: " + reason}
		return true, nil
	})
	return err == nil, err
}
