package telegram_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// BenchmarkWebhookInbound: updates POSTed to a bot's webhook by 16
// concurrent senders (Telegram uses up to 40 connections), 200 customers
// writing 5 messages each, on the embedded store. It reports how many
// updates per second the webhook accepts (each written before its 200)
// and how many become inbox messages per second, end to end.
//
//	go test ./connectors/telegram/ -run XXX -bench WebhookInbound -benchtime 1x
func BenchmarkWebhookInbound(b *testing.B) {
	const customers, each, senders = 200, 5, 16
	for range b.N {
		b.StopTimer()
		r := newRig(b, "webhook")
		hook := r.line.Channels.Telegram.Bot.WebhookURL
		_, secret := r.fake.Webhook(token)
		bodies := make(chan []byte, customers*each)
		for m := 1; m <= each; m++ {
			for c := 1; c <= customers; c++ {
				id := m*customers + c
				bodies <- []byte(fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Customer %d"},"chat":{"id":%d,"type":"private"},"date":1,"text":"message %d of customer %d"}}`,
					id, m, 1000+c, c, 1000+c, m, c))
			}
		}
		close(bodies)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
		var failed atomic.Int64
		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for body := range bodies {
					req, _ := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
					resp, err := client.Do(req)
					if err != nil || resp.StatusCode != http.StatusOK {
						failed.Add(1)
					}
					if resp != nil {
						resp.Body.Close()
					}
				}
			}()
		}
		wg.Wait()
		accepted := time.Since(start)
		for {
			left, err := r.store.ChannelUpdates(r.ctx, r.line.ID, 1)
			if err != nil {
				b.Fatal(err)
			}
			if len(left) == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		stored := time.Since(start)
		b.StopTimer()
		if failed.Load() > 0 {
			b.Fatalf("%d webhook requests failed", failed.Load())
		}
		convs, total, err := r.svc.Conversations(r.ctx, inbox.System, inbox.ConversationFilter{Limit: 1})
		if err != nil || total != customers || len(convs) != 1 || convs[0].Seq != each {
			b.Fatalf("%d conversations (%v), want %d with %d messages each", total, err, customers, each)
		}
		n := float64(customers * each)
		b.ReportMetric(n/accepted.Seconds(), "accepted/s")
		b.ReportMetric(n/stored.Seconds(), "stored/s")
		b.ReportMetric(0, "ns/op")
	}
}
