package linework

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// queue is an in-memory delivery queue.
type queue struct {
	mu   sync.Mutex
	jobs []inbox.DeliveryJob
}

func (q *queue) PendingDeliveries(context.Context, string, inbox.Channel) ([]inbox.DeliveryJob, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]inbox.DeliveryJob(nil), q.jobs...), nil
}

func (q *queue) ClaimDelivery(_ context.Context, j *inbox.DeliveryJob, holder string, until time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.jobs {
		if q.jobs[i].ID == j.ID {
			if q.jobs[i].Version != j.Version {
				return errors.New("changed")
			}
			q.jobs[i].Version++
			q.jobs[i].ClaimedBy, q.jobs[i].ClaimUntil = holder, until
			*j = q.jobs[i]
			return nil
		}
	}
	return errors.New("gone")
}

func (q *queue) drop(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.jobs {
		if q.jobs[i].ID == id {
			q.jobs = append(q.jobs[:i], q.jobs[i+1:]...)
			return
		}
	}
}

// Pass sends each conversation's replies one after the other, skips
// replies claimed by another node or not due yet, and stops at a pause.
func TestSenderPass(t *testing.T) {
	now := time.Now()
	q := &queue{jobs: []inbox.DeliveryJob{
		{ID: "a1", ConversationID: "a"}, {ID: "b1", ConversationID: "b"}, {ID: "a2", ConversationID: "a"},
		{ID: "c1", ConversationID: "c", ClaimedBy: "other", ClaimUntil: now.Add(time.Minute)},
		{ID: "d1", ConversationID: "d", NextAt: now.Add(300 * time.Millisecond)},
	}}
	var sent []string
	s := Sender{Queue: q, Node: "me", Claim: time.Minute, Send: func(_ context.Context, j *inbox.DeliveryJob) Outcome {
		sent = append(sent, j.ID)
		q.drop(j.ID)
		return Done
	}}
	wait, paused := s.Pass(context.Background())
	if paused || wait != 0 || len(sent) != 2 || sent[0] != "a1" || sent[1] != "b1" {
		t.Fatalf("first pass sent %v (wait %s, paused %v), want a1 and b1 and to look again at once", sent, wait, paused)
	}
	wait, _ = s.Pass(context.Background())
	if len(sent) != 3 || sent[2] != "a2" {
		t.Fatalf("second pass sent %v, want a2 next", sent)
	}
	wait, _ = s.Pass(context.Background())
	if wait <= 0 || wait > 300*time.Millisecond || len(sent) != 3 {
		t.Fatalf("with only a claimed and a later reply left: sent %v, wait %s", sent, wait)
	}
	q.jobs = append(q.jobs, inbox.DeliveryJob{ID: "e1", ConversationID: "e"}, inbox.DeliveryJob{ID: "f1", ConversationID: "f"})
	s.Send = func(_ context.Context, j *inbox.DeliveryJob) Outcome { sent = append(sent, j.ID); return Paused }
	if _, paused := s.Pass(context.Background()); !paused || len(sent) != 4 {
		t.Fatalf("a pause: paused %v, sent %v; want one try, then stop", paused, sent)
	}
}

func TestWakerAndBackoff(t *testing.T) {
	w := NewWaker()
	w.Poke("x")
	w.Poke("x") // one pending wake is enough
	start := time.Now()
	if !w.Wait(context.Background(), "x", time.Minute) || time.Since(start) > time.Second {
		t.Fatal("a poked key did not wake at once")
	}
	if !w.Wait(context.Background(), "x", 50*time.Millisecond) {
		t.Fatal("wait ended early")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if w.Wait(ctx, "x", time.Minute) || Sleep(ctx, time.Minute) {
		t.Fatal("an ended context did not end the wait")
	}
	for n := 1; n < 30; n++ {
		if d := Backoff(n, time.Minute); d < time.Second/2 || d > 90*time.Second {
			t.Fatalf("backoff %d = %s", n, d)
		}
	}
}
