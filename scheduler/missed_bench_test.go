package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
	"github.com/switchboard-chat/switchboard/inbox/realtime"
	"github.com/switchboard-chat/switchboard/scheduler"
)

// BenchmarkMissedWatcher: 10,000 open conversations whose deadlines fall
// within 10 seconds, on the embedded store. It reports how late after its
// deadline each mark was published (p50, p99, max) and the process CPU
// time per mark (the watcher, the inbox and the embedded store together).
//
//	go test ./scheduler/ -run XXX -bench MissedWatcher -benchtime 1x
func BenchmarkMissedWatcher(b *testing.B) {
	const n = 10_000
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		hub := realtime.NewHub()
		st := engine.Store(b)
		svc := inbox.NewService(st, inbox.Options{Events: hub, PasswordCost: 4})
		lname := "Load"
		line, err := svc.CreateLine(ctx, inbox.System, inbox.LineInput{Name: &lname, Settings: &inbox.LineSettings{MissedAfterSeconds: inbox.MinMissedAfterSeconds}})
		if err != nil {
			b.Fatal(err)
		}
		// Waiting conversations straight into the store: deadlines spread
		// over 10 s starting a little after the seeding is done.
		start := time.Now().Add(20 * time.Second)
		for i := range n {
			from := start.Add(time.Duration(i) * 10 * time.Second / n).Add(-inbox.MinMissedAfterSeconds * time.Second)
			c := &inbox.Conversation{ID: fmt.Sprintf("c%05d", i), Number: int64(i + 1), LineID: line.ID, Channel: inbox.ChannelLiveChat,
				Type: inbox.Incoming, Status: inbox.StatusNew, StatusCode: 1, General: inbox.GeneralWaiting, ContactID: fmt.Sprintf("ct%d", i)}
			c.Dates.Created, c.Dates.Modified = from, from
			c.Track.FirstClientMessage, c.Track.PendingSince, c.Track.MissedFrom = &from, &from, &from
			if err := st.InsertConversation(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
		if wait := time.Until(start.Add(-3 * time.Second)); wait < 0 {
			b.Fatalf("seeding took too long: deadlines start %s ago", -wait)
		}
		marks := hub.Subscribe(func(ev inbox.Event) bool {
			return ev.Type == inbox.EventConversationUpdated && ev.Conversation != nil && ev.Conversation.MissedAt != nil
		}, n)
		w := scheduler.NewMissed(svc, hub, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		cpu0 := cpuTime()
		b.ResetTimer()
		late := make([]time.Duration, 0, n)
		timeout := time.After(time.Until(start) + time.Minute)
		for len(late) < n {
			select {
			case ev := <-marks.Events():
				late = append(late, time.Since(*ev.Conversation.MissedAt))
			case <-timeout:
				b.Fatalf("%d of %d conversations marked within a minute of the last deadline", len(late), n)
			}
		}
		b.StopTimer()
		cpu := cpuTime() - cpu0
		cancel()
		<-done
		_ = st.Flush(context.Background())
		slices.Sort(late)
		b.ReportMetric(float64(late[n/2].Milliseconds()), "p50-late-ms")
		b.ReportMetric(float64(late[n*99/100].Milliseconds()), "p99-late-ms")
		b.ReportMetric(float64(late[n-1].Milliseconds()), "max-late-ms")
		b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/mark")
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
