package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox"
)

// TestGroupCommit: messages inserted at once are written in fewer writes
// than messages, every one of them is stored, and a duplicate among them
// fails alone.
func TestGroupCommit(t *testing.T) {
	st := engine.Store(t)
	ctx := context.Background()
	msg := func(conv string, seq int64) *inbox.Message {
		return &inbox.Message{ID: fmt.Sprintf("%s-%d", conv, seq), ConversationID: conv, Seq: seq,
			ClientID: fmt.Sprintf("c%d", seq), AuthorKind: inbox.AuthorContact, Text: "hi", Attachments: []inbox.Attachment{}}
	}
	if err := st.InsertMessage(ctx, msg("taken", 1)); err != nil {
		t.Fatal(err)
	}
	b0, m0 := st.InsertStats()
	const n = 200
	errs := make([]error, n+1)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.InsertMessage(ctx, msg(fmt.Sprintf("conv%d", i%20), int64(1+i/20)))
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); errs[n] = st.InsertMessage(ctx, msg("taken", 1)) }()
	wg.Wait()
	for i, err := range errs[:n] {
		if err != nil {
			t.Errorf("message %d: %v", i, err)
		}
	}
	if !errors.Is(errs[n], inbox.ErrDuplicateKey) {
		t.Errorf("the duplicate: %v, want a duplicate key", errs[n])
	}
	batches, msgs := st.InsertStats()
	batches, msgs = batches-b0, msgs-m0
	if msgs != n+1 || batches >= msgs {
		t.Errorf("%d messages in %d writes: want fewer writes than messages", msgs, batches)
	}
	t.Logf("%d messages in %d writes", msgs, batches)
	for c := range 20 {
		got, err := st.MessagesAfter(ctx, fmt.Sprintf("conv%d", c), 0, 100)
		if err != nil || len(got) != n/20 {
			t.Errorf("conv%d holds %d messages (%v), want %d", c, len(got), err, n/20)
		}
	}
}
