package inbox

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// These tests drive the pure conversation state machine (newConversation,
// applyMessage, accept, assign, forward, close, markSpam, rateByClient) with
// an injected clock: every step happens at base + an offset, so no test
// reads the wall clock or sleeps. Each case is a script of steps; the
// expected dates and timings are written out in full, so a field that should
// stay empty (a dash in the conversation list) is checked to be nil.

// base is the injected clock's zero: the conversation is created at base.
var base = time.Date(2024, time.March, 4, 9, 0, 0, 0, time.UTC)

const sec = time.Second

// ts is the date at offset d from base, as the Dates fields hold it.
func ts(d time.Duration) *time.Time { v := base.Add(d); return &v }

// step is one event of a script, applied at base + at.
type step struct {
	at   time.Duration
	name string
	do   func(c *Conversation, now time.Time) error
	// wantErr, when set, is the sentinel the step's error must match
	// (errors.Is); when nil the step must succeed.
	wantErr error
	// wantStatus, when set, is the detailed status right after the step.
	wantStatus Status
}

// expect returns the step with the status expected right after it.
func (s step) expect(st Status) step { s.wantStatus = st; return s }

// fails returns the step with the error it must return.
func (s step) fails(err error) step { s.wantErr = err; return s }

func message(at time.Duration, kind AuthorKind, author string, comment bool) step {
	name := string(kind) + " message"
	if comment {
		name = string(kind) + " comment"
	}
	return step{at: at, name: name, do: func(c *Conversation, now time.Time) error {
		c.applyMessage(&Message{AuthorKind: kind, AuthorID: author, Comment: comment, Text: name, CreatedAt: now})
		return nil
	}}
}

func clientMsg(at time.Duration) step           { return message(at, AuthorContact, "c1", false) }
func agentMsg(at time.Duration, id string) step { return message(at, AuthorAgent, id, false) }
func botMsg(at time.Duration) step              { return message(at, AuthorBot, "formbot", false) }
func systemMsg(at time.Duration) step           { return message(at, AuthorSystem, "", false) }
func agentComment(at time.Duration, id string) step {
	return message(at, AuthorAgent, id, true)
}

func acceptBy(at time.Duration, id string) step {
	return step{at: at, name: "accept by " + id, do: func(c *Conversation, now time.Time) error {
		return c.accept(id, now)
	}}
}

func assignTo(at time.Duration, agent, group string) step {
	return step{at: at, name: "assign", do: func(c *Conversation, now time.Time) error {
		return c.assign(agent, group, now)
	}}
}

func forwardTo(at time.Duration, t ForwardTarget) step {
	return step{at: at, name: fmt.Sprintf("forward to %+v", t), do: func(c *Conversation, now time.Time) error {
		return c.forward(t, now)
	}}
}

// closeByAgent is the agent pressing close, without waiting for a rating.
func closeByAgent(at time.Duration) step {
	return step{at: at, name: "close by agent", do: func(c *Conversation, now time.Time) error {
		return c.close(true, false, now)
	}}
}

// closeAuto is a close nobody pressed (rating timeout, inactivity).
func closeAuto(at time.Duration) step {
	return step{at: at, name: "close automatically", do: func(c *Conversation, now time.Time) error {
		return c.close(false, false, now)
	}}
}

// closeForRating is the agent closing and the conversation waiting in
// "closing" for the client's rating.
func closeForRating(at time.Duration) step {
	return step{at: at, name: "close by agent, await rating", do: func(c *Conversation, now time.Time) error {
		return c.close(true, true, now)
	}}
}

func markSpamAt(at time.Duration) step {
	return step{at: at, name: "mark spam", do: func(c *Conversation, now time.Time) error {
		return c.markSpam(now)
	}}
}

func rate(at time.Duration, rating int) step {
	return step{at: at, name: "client rates " + strconv.Itoa(rating), do: func(c *Conversation, now time.Time) error {
		return c.rateByClient(rating, now)
	}}
}

// The product's nine detailed statuses, written out independently of
// status.go: their number and their general status.
var wantCode = map[Status]int{
	StatusNew: 1, StatusQueued: 2, StatusAccepted: 3, StatusWaiting: 4, StatusWaitingAgain: 5,
	StatusAnswered: 6, StatusClosing: 7, StatusClosed: 8, StatusSpam: 9,
}

var wantGeneral = map[Status]GeneralStatus{
	StatusNew: GeneralWaiting, StatusQueued: GeneralWaiting, StatusAccepted: GeneralWaiting,
	StatusWaiting: GeneralWaiting, StatusWaitingAgain: GeneralWaiting,
	StatusAnswered: GeneralAnswered,
	StatusClosing:  GeneralClosed, StatusClosed: GeneralClosed, StatusSpam: GeneralClosed,
}

// checkStatus asserts the detailed status and that the stored code and
// general status agree with it.
func checkStatus(t *testing.T, where string, c *Conversation, want Status) {
	t.Helper()
	if c.Status != want {
		t.Errorf("%s: status = %q, want %q", where, c.Status, want)
	}
	if c.StatusCode != wantCode[want] {
		t.Errorf("%s: status code = %d, want %d", where, c.StatusCode, wantCode[want])
	}
	if c.General != wantGeneral[want] {
		t.Errorf("%s: general status = %q, want %q", where, c.General, wantGeneral[want])
	}
}

// play creates a conversation at base and applies the script, checking each
// step's error and expected status, and that the stored timings always equal
// a fresh computeTimings of the conversation.
func play(t *testing.T, typ ConversationType, steps []step) *Conversation {
	t.Helper()
	c := newConversation("cv1", 1, "L1", ChannelLiveChat, typ, &Contact{ID: "c1", Name: "Client"}, base)
	checkStatus(t, "after newConversation", c, StatusNew)
	for i, s := range steps {
		where := fmt.Sprintf("step %d (+%v %s)", i+1, s.at, s.name)
		err := s.do(c, base.Add(s.at))
		switch {
		case s.wantErr == nil && err != nil:
			t.Fatalf("%s: unexpected error %v", where, err)
		case s.wantErr != nil && !errors.Is(err, s.wantErr):
			t.Fatalf("%s: error = %v, want one matching %v", where, err, s.wantErr)
		}
		if s.wantStatus != "" {
			checkStatus(t, where, c, s.wantStatus)
		}
		for _, d := range negative(c.Timings) {
			t.Errorf("%s: %s is negative", where, d)
		}
		if fresh := computeTimings(c); !reflect.DeepEqual(fresh, c.Timings) {
			t.Errorf("%s: stored timings differ from computeTimings:\n%v", where, diff("Timings", c.Timings, fresh))
		}
	}
	return c
}

// negative names the timings below zero: an interval never runs backwards.
func negative(tm Timings) []string {
	var out []string
	v := reflect.ValueOf(tm)
	for i := 0; i < v.NumField(); i++ {
		if p, ok := v.Field(i).Interface().(*int64); ok && p != nil && *p < 0 {
			out = append(out, fmt.Sprintf("Timings.%s = %dms", v.Type().Field(i).Name, *p))
		}
	}
	return out
}

// show renders a field value: ms for timings, an offset from base for dates,
// and a dash for nil.
func show(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case *int64:
		if x == nil {
			return "—"
		}
		return strconv.FormatInt(*x, 10) + "ms"
	case *time.Time:
		if x == nil {
			return "—"
		}
		return "+" + x.Sub(base).String()
	case time.Time:
		return "+" + x.Sub(base).String()
	default:
		return fmt.Sprint(x)
	}
}

// diff lists the fields of two structs of the same type that differ.
func diff(prefix string, got, want any) []string {
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	var out []string
	for i := 0; i < gv.NumField(); i++ {
		g, w := show(gv.Field(i)), show(wv.Field(i))
		if g != w {
			out = append(out, fmt.Sprintf("%s.%s = %s, want %s", prefix, gv.Type().Field(i).Name, g, w))
		}
	}
	return out
}

func checkTimings(t *testing.T, got, want Timings) {
	t.Helper()
	for _, d := range diff("Timings", got, want) {
		t.Error(d)
	}
}

func checkDates(t *testing.T, got, want Dates) {
	t.Helper()
	for _, d := range diff("Dates", got, want) {
		t.Error(d)
	}
}

// TestTimings proves every timing column of the conversation list, one
// script per timing plus the edge cases the product spells out.
func TestTimings(t *testing.T) {
	cases := []struct {
		name    string
		steps   []step
		status  Status
		timings Timings
		dates   Dates
	}{
		{
			name: "waiting for answer: created to the first agent answer, later answers do not move it",
			steps: []step{
				clientMsg(0), agentMsg(45*sec, "a1"),
				clientMsg(60 * sec), agentMsg(70*sec, "a1"),
			},
			status: StatusAnswered,
			timings: Timings{
				WaitingForAnswerMs: ms(45000),
				TimeToAcceptMs:     ms(45000), // answering without pressing Answer takes the conversation
				DurationMs:         ms(70000),
				FirstReactionMs:    ms(45000),
				ResponseTotalMs:    ms(55000), ResponseAverageMs: ms(27500), ResponseMaxMs: ms(45000),
				Responses: 2,
			},
			dates: Dates{Created: base, Answered: ts(45 * sec), Accepted: ts(45 * sec), LastMessage: ts(70 * sec), Modified: base.Add(70 * sec)},
		},
		{
			name:   "time to accept: created to the agent pressing Answer",
			steps:  []step{clientMsg(0), acceptBy(12*sec, "a1"), agentMsg(30*sec, "a1")},
			status: StatusAnswered,
			timings: Timings{
				WaitingForAnswerMs: ms(30000),
				TimeToAcceptMs:     ms(12000),
				DurationMs:         ms(30000),
				FirstReactionMs:    ms(30000),
				ResponseTotalMs:    ms(30000), ResponseAverageMs: ms(30000), ResponseMaxMs: ms(30000),
				Responses: 1,
			},
			dates: Dates{Created: base, Answered: ts(30 * sec), Accepted: ts(12 * sec), LastMessage: ts(30 * sec), Modified: base.Add(30 * sec)},
		},
		{
			name:   "accepted but not answered: time to accept filled, waiting for answer empty",
			steps:  []step{clientMsg(0), acceptBy(12*sec, "a1")},
			status: StatusAccepted,
			timings: Timings{
				TimeToAcceptMs: ms(12000),
				DurationMs:     ms(0),
			},
			dates: Dates{Created: base, Accepted: ts(12 * sec), LastMessage: ts(0), Modified: base.Add(12 * sec)},
		},
		{
			name: "time to close by agent: created to the agent's close",
			steps: []step{
				clientMsg(0), acceptBy(10*sec, "a1"), agentMsg(40*sec, "a1"), closeByAgent(90 * sec),
			},
			status: StatusClosed,
			timings: Timings{
				WaitingForAnswerMs:   ms(40000),
				TimeToAcceptMs:       ms(10000),
				TimeToCloseByAgentMs: ms(90000),
				DurationMs:           ms(40000), // closing is not a message
				FirstReactionMs:      ms(40000),
				ResponseTotalMs:      ms(40000), ResponseAverageMs: ms(40000), ResponseMaxMs: ms(40000),
				Responses: 1,
			},
			dates: Dates{
				Created: base, Answered: ts(40 * sec), Accepted: ts(10 * sec), LastMessage: ts(40 * sec),
				ClosedByAgent: ts(90 * sec), Closed: ts(90 * sec), Modified: base.Add(90 * sec),
			},
		},
		{
			name:   "closed automatically: time to close by agent stays empty",
			steps:  []step{clientMsg(0), agentMsg(20*sec, "a1"), closeAuto(300 * sec)},
			status: StatusClosed,
			timings: Timings{
				WaitingForAnswerMs: ms(20000),
				TimeToAcceptMs:     ms(20000),
				DurationMs:         ms(20000),
				FirstReactionMs:    ms(20000),
				ResponseTotalMs:    ms(20000), ResponseAverageMs: ms(20000), ResponseMaxMs: ms(20000),
				Responses: 1,
			},
			dates: Dates{
				Created: base, Answered: ts(20 * sec), Accepted: ts(20 * sec), LastMessage: ts(20 * sec),
				Closed: ts(300 * sec), Modified: base.Add(300 * sec),
			},
		},
		{
			name:   "duration: created to the last message, whoever wrote it",
			steps:  []step{clientMsg(0), agentMsg(20*sec, "a1"), clientMsg(75 * sec)},
			status: StatusWaitingAgain,
			timings: Timings{
				WaitingForAnswerMs: ms(20000),
				TimeToAcceptMs:     ms(20000),
				DurationMs:         ms(75000),
				FirstReactionMs:    ms(20000),
				ResponseTotalMs:    ms(20000), ResponseAverageMs: ms(20000), ResponseMaxMs: ms(20000),
				Responses: 1,
			},
			dates: Dates{Created: base, Answered: ts(20 * sec), Accepted: ts(20 * sec), LastMessage: ts(75 * sec), Modified: base.Add(75 * sec)},
		},
		{
			// Created at +0, the client's first message stored at +5s: the
			// waiting time counts from creation, the first reaction from
			// the first client message.
			name:   "first reaction: first client message to the first agent answer",
			steps:  []step{clientMsg(5 * sec), clientMsg(9 * sec), agentMsg(35*sec, "a1")},
			status: StatusAnswered,
			timings: Timings{
				WaitingForAnswerMs: ms(35000),
				TimeToAcceptMs:     ms(35000),
				DurationMs:         ms(35000),
				FirstReactionMs:    ms(30000),
				ResponseTotalMs:    ms(30000), ResponseAverageMs: ms(30000), ResponseMaxMs: ms(30000),
				Responses: 1,
			},
			dates: Dates{Created: base, Answered: ts(35 * sec), Accepted: ts(35 * sec), LastMessage: ts(35 * sec), Modified: base.Add(35 * sec)},
		},
		{
			name:   "timings keep millisecond precision",
			steps:  []step{clientMsg(0), agentMsg(1234*time.Millisecond, "a1")},
			status: StatusAnswered,
			timings: Timings{
				WaitingForAnswerMs: ms(1234),
				TimeToAcceptMs:     ms(1234),
				DurationMs:         ms(1234),
				FirstReactionMs:    ms(1234),
				ResponseTotalMs:    ms(1234), ResponseAverageMs: ms(1234), ResponseMaxMs: ms(1234),
				Responses: 1,
			},
			dates: Dates{
				Created: base, Answered: ts(1234 * time.Millisecond), Accepted: ts(1234 * time.Millisecond),
				LastMessage: ts(1234 * time.Millisecond), Modified: base.Add(1234 * time.Millisecond),
			},
		},
		{
			name:   "closed without answer: first reaction runs to the close, waiting for answer empty",
			steps:  []step{clientMsg(3 * sec), clientMsg(8 * sec), closeByAgent(60 * sec)},
			status: StatusClosed,
			timings: Timings{
				TimeToCloseByAgentMs: ms(60000),
				DurationMs:           ms(8000),
				FirstReactionMs:      ms(57000),
			},
			dates: Dates{Created: base, LastMessage: ts(8 * sec), ClosedByAgent: ts(60 * sec), Closed: ts(60 * sec), Modified: base.Add(60 * sec)},
		},
		{
			name:   "closed automatically without answer: first reaction runs to the close",
			steps:  []step{clientMsg(3 * sec), closeAuto(600 * sec)},
			status: StatusClosed,
			timings: Timings{
				DurationMs:      ms(3000),
				FirstReactionMs: ms(597000),
			},
			dates: Dates{Created: base, LastMessage: ts(3 * sec), Closed: ts(600 * sec), Modified: base.Add(600 * sec)},
		},
		{
			name:   "accepted then closed without answer: accepting is no reaction, the close is",
			steps:  []step{clientMsg(0), acceptBy(10*sec, "a1"), closeByAgent(70 * sec)},
			status: StatusClosed,
			timings: Timings{
				TimeToAcceptMs:       ms(10000),
				TimeToCloseByAgentMs: ms(70000),
				DurationMs:           ms(0),
				FirstReactionMs:      ms(70000),
			},
			dates: Dates{Created: base, Accepted: ts(10 * sec), LastMessage: ts(0), ClosedByAgent: ts(70 * sec), Closed: ts(70 * sec), Modified: base.Add(70 * sec)},
		},
		{
			name: "closed for rating without answer: first reaction runs to the agent's close",
			steps: []step{
				clientMsg(3 * sec), closeForRating(60 * sec).expect(StatusClosing), rate(90*sec, 2).expect(StatusClosed),
			},
			status: StatusClosed,
			timings: Timings{
				TimeToCloseByAgentMs: ms(60000),
				DurationMs:           ms(3000),
				FirstReactionMs:      ms(57000),
			},
			dates: Dates{Created: base, LastMessage: ts(3 * sec), ClosedByAgent: ts(60 * sec), Closed: ts(90 * sec), Modified: base.Add(90 * sec)},
		},
		{
			// Several client messages before one answer count from the
			// first of them; an agent's follow-up with nothing waiting is
			// not a response.
			name: "response times over three exchanges: total, average, maximum",
			steps: []step{
				clientMsg(0), clientMsg(5 * sec), agentMsg(20*sec, "a1").expect(StatusAnswered), // 20s
				clientMsg(30 * sec).expect(StatusWaitingAgain), agentMsg(40*sec, "a1"), // 10s
				clientMsg(60 * sec), clientMsg(70 * sec), agentMsg(105*sec, "a1"), // 45s
				agentMsg(110*sec, "a1"), // follow-up, nothing waiting
			},
			status: StatusAnswered,
			timings: Timings{
				WaitingForAnswerMs: ms(20000),
				TimeToAcceptMs:     ms(20000),
				DurationMs:         ms(110000),
				FirstReactionMs:    ms(20000),
				ResponseTotalMs:    ms(75000),
				ResponseAverageMs:  ms(25000),
				ResponseMaxMs:      ms(45000),
				Responses:          3,
			},
			dates: Dates{Created: base, Answered: ts(20 * sec), Accepted: ts(20 * sec), LastMessage: ts(110 * sec), Modified: base.Add(110 * sec)},
		},
		{
			name:   "response times stay empty until an agent answers",
			steps:  []step{clientMsg(0), clientMsg(5 * sec), acceptBy(8*sec, "a1")},
			status: StatusAccepted,
			timings: Timings{
				TimeToAcceptMs: ms(8000),
				DurationMs:     ms(5000),
			},
			dates: Dates{Created: base, Accepted: ts(8 * sec), LastMessage: ts(5 * sec), Modified: base.Add(8 * sec)},
		},
		{
			// The contact-form bot greets and asks before an agent joins.
			// Chat-bot time: first bot message → agent joined (accept);
			// first reaction shows the bot's working time (timings.go).
			name: "chat-bot time: first bot message to the agent accepting; first reaction equals it",
			steps: []step{
				clientMsg(0), botMsg(2 * sec).expect(StatusNew), clientMsg(10 * sec), botMsg(12 * sec), clientMsg(20 * sec),
				acceptBy(50*sec, "a1").expect(StatusAccepted), agentMsg(65*sec, "a1").expect(StatusAnswered),
			},
			status: StatusAnswered,
			timings: Timings{
				WaitingForAnswerMs: ms(65000),
				TimeToAcceptMs:     ms(50000),
				DurationMs:         ms(65000),
				FirstReactionMs:    ms(48000),
				ChatBotMs:          ms(48000),
				// a bot message answers nothing: the wait runs from the
				// first client message to the agent's answer
				ResponseTotalMs: ms(65000), ResponseAverageMs: ms(65000), ResponseMaxMs: ms(65000),
				Responses: 1,
			},
			dates: Dates{Created: base, Answered: ts(65 * sec), Accepted: ts(50 * sec), LastMessage: ts(65 * sec), Modified: base.Add(65 * sec)},
		},
		{
			name:   "chat-bot time: an agent answering without pressing Answer ends it",
			steps:  []step{clientMsg(0), botMsg(1 * sec), clientMsg(15 * sec), agentMsg(40*sec, "a1")},
			status: StatusAnswered,
			timings: Timings{
				WaitingForAnswerMs: ms(40000),
				TimeToAcceptMs:     ms(40000),
				DurationMs:         ms(40000),
				FirstReactionMs:    ms(39000),
				ChatBotMs:          ms(39000),
				ResponseTotalMs:    ms(40000), ResponseAverageMs: ms(40000), ResponseMaxMs: ms(40000),
				Responses: 1,
			},
			dates: Dates{Created: base, Answered: ts(40 * sec), Accepted: ts(40 * sec), LastMessage: ts(40 * sec), Modified: base.Add(40 * sec)},
		},
		{
			name:   "chat-bot time while no agent joined: first to last bot message",
			steps:  []step{clientMsg(0), botMsg(2 * sec), clientMsg(10 * sec), botMsg(14 * sec)},
			status: StatusNew,
			timings: Timings{
				DurationMs:      ms(14000),
				FirstReactionMs: ms(12000),
				ChatBotMs:       ms(12000),
			},
			dates: Dates{Created: base, LastMessage: ts(14 * sec), Modified: base.Add(14 * sec)},
		},
		{
			name: "chat-bot time: bot messages after the agent joined do not extend it",
			steps: []step{
				clientMsg(0), botMsg(2 * sec), acceptBy(30*sec, "a1"), botMsg(35 * sec).expect(StatusAccepted), agentMsg(50*sec, "a1"),
			},
			status: StatusAnswered,
			timings: Timings{
				WaitingForAnswerMs: ms(50000),
				TimeToAcceptMs:     ms(30000),
				DurationMs:         ms(50000),
				FirstReactionMs:    ms(28000),
				ChatBotMs:          ms(28000),
				ResponseTotalMs:    ms(50000), ResponseAverageMs: ms(50000), ResponseMaxMs: ms(50000),
				Responses: 1,
			},
			dates: Dates{Created: base, Answered: ts(50 * sec), Accepted: ts(30 * sec), LastMessage: ts(50 * sec), Modified: base.Add(50 * sec)},
		},
		{
			name:   "spam: force-close fills the close timings",
			steps:  []step{clientMsg(0), markSpamAt(30 * sec)},
			status: StatusSpam,
			timings: Timings{
				TimeToCloseByAgentMs: ms(30000),
				DurationMs:           ms(0),
				FirstReactionMs:      ms(30000),
			},
			dates: Dates{Created: base, LastMessage: ts(0), ClosedByAgent: ts(30 * sec), Closed: ts(30 * sec), Modified: base.Add(30 * sec)},
		},
		{
			name:    "a new conversation has no timing at all",
			steps:   nil,
			status:  StatusNew,
			timings: Timings{},
			dates:   Dates{Created: base, Modified: base},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := play(t, Incoming, tc.steps)
			checkStatus(t, "at the end", c, tc.status)
			checkTimings(t, c.Timings, tc.timings)
			checkDates(t, c.Dates, tc.dates)
		})
	}
}

// TestTimingsOutgoingConversation: the agent wrote first. The first reaction
// is "first client message → first agent answer", so it runs from the
// client's first message to the agent's first message after it; the agent's
// opening message, written before the client said anything, answers nothing.
func TestTimingsOutgoingConversation(t *testing.T) {
	t.Run("client replies, agent answers", func(t *testing.T) {
		c := play(t, Outgoing, []step{
			agentMsg(0, "a1").expect(StatusAnswered),
			clientMsg(30 * sec).expect(StatusWaitingAgain),
			agentMsg(50*sec, "a1").expect(StatusAnswered),
		})
		want := map[string]*int64{
			"FirstReactionMs":   ms(20000),
			"DurationMs":        ms(50000),
			"ResponseTotalMs":   ms(20000),
			"ResponseAverageMs": ms(20000),
			"ResponseMaxMs":     ms(20000),
		}
		got := reflect.ValueOf(c.Timings)
		for field, w := range want {
			if g, w := show(got.FieldByName(field)), show(reflect.ValueOf(w)); g != w {
				t.Errorf("Timings.%s = %s, want %s", field, g, w)
			}
		}
		if c.Timings.Responses != 1 {
			t.Errorf("Timings.Responses = %d, want 1", c.Timings.Responses)
		}
	})
	t.Run("client never replies: no first reaction, no response time", func(t *testing.T) {
		c := play(t, Outgoing, []step{agentMsg(0, "a1").expect(StatusAnswered), agentMsg(60*sec, "a1")})
		for _, f := range []string{"FirstReactionMs", "ResponseTotalMs", "ResponseAverageMs", "ResponseMaxMs"} {
			if g := show(reflect.ValueOf(c.Timings).FieldByName(f)); g != "—" {
				t.Errorf("Timings.%s = %s, want —", f, g)
			}
		}
		if g := show(reflect.ValueOf(c.Timings.DurationMs)); g != "60000ms" {
			t.Errorf("Timings.DurationMs = %s, want 60000ms", g)
		}
	})
}

// TestTimingsIgnoreCommentsAndSystemMessages runs the same scripts with and
// without internal comments and system lines sprinkled in: statuses, dates
// (other than Modified) and timings must come out the same, and no comment
// or system line may change the status it lands on.
func TestTimingsIgnoreCommentsAndSystemMessages(t *testing.T) {
	type noisy struct {
		s     step
		noise bool
	}
	real := func(s step) noisy { return noisy{s: s} }
	noise := func(s step) noisy { return noisy{s: s, noise: true} }
	cases := []struct {
		name   string
		script []noisy
		status Status
	}{
		{
			name: "through a whole conversation",
			script: []noisy{
				real(clientMsg(0)),
				noise(agentComment(5*sec, "a1")), noise(systemMsg(6 * sec)),
				real(acceptBy(10*sec, "a1")),
				noise(agentComment(15*sec, "a1")),
				real(agentMsg(40*sec, "a1")),
				noise(systemMsg(45 * sec)), noise(agentComment(50*sec, "a2")),
				real(clientMsg(60 * sec)),
				noise(agentComment(62*sec, "a1")),
				real(agentMsg(80*sec, "a1")),
				real(closeByAgent(90 * sec)),
				noise(systemMsg(91 * sec)), noise(agentComment(95*sec, "a1")),
			},
			status: StatusClosed,
		},
		{
			name: "an agent's comment is no answer to a waiting client",
			script: []noisy{
				real(clientMsg(0)),
				noise(agentComment(5*sec, "a1")), noise(agentComment(20*sec, "a2")), noise(systemMsg(25 * sec)),
			},
			status: StatusNew,
		},
		{
			name: "a comment does not end the bot's working time",
			script: []noisy{
				real(clientMsg(0)), real(botMsg(2 * sec)),
				noise(agentComment(10*sec, "a1")),
				real(botMsg(12 * sec)),
				noise(systemMsg(13 * sec)),
			},
			status: StatusNew,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var clean, all []step
			for _, n := range tc.script {
				s := n.s
				if n.noise {
					// noise must leave the status it lands on as it was:
					// the status expected is the one of the clean run so far
					s = s.expect(statusAfter(t, clean))
				} else {
					clean = append(clean, s)
				}
				all = append(all, s)
			}
			want := play(t, Incoming, clean)
			got := play(t, Incoming, all)
			checkStatus(t, "with noise", got, tc.status)
			checkStatus(t, "without noise", want, tc.status)
			checkTimings(t, got.Timings, want.Timings)
			wantDates := want.Dates
			// a comment is a new message: it marks the conversation modified
			wantDates.Modified = base.Add(all[len(all)-1].at)
			checkDates(t, got.Dates, wantDates)
			if got.AgentID != want.AgentID {
				t.Errorf("agent = %q, want %q", got.AgentID, want.AgentID)
			}
		})
	}
}

// statusAfter is the status a clean script ends in.
func statusAfter(t *testing.T, steps []step) Status {
	t.Helper()
	return play(t, Incoming, steps).Status
}

// TestStatusTransitions walks the detailed statuses through scripts,
// checking the status after every step, the errors of refused steps, and
// the dates and fields each transition sets.
func TestStatusTransitions(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
		check func(t *testing.T, c *Conversation)
	}{
		{
			name: "new → accepted → answered → waiting_again → answered → closed",
			steps: []step{
				clientMsg(0).expect(StatusNew),
				acceptBy(10*sec, "a1").expect(StatusAccepted),
				clientMsg(12 * sec).expect(StatusAccepted), // still not replied
				agentMsg(40*sec, "a1").expect(StatusAnswered),
				clientMsg(60 * sec).expect(StatusWaitingAgain),
				clientMsg(65 * sec).expect(StatusWaitingAgain),
				acceptBy(70*sec, "a1").expect(StatusWaitingAgain), // accepting again is no answer
				agentMsg(80*sec, "a1").expect(StatusAnswered),
				closeByAgent(90 * sec).expect(StatusClosed),
			},
			check: func(t *testing.T, c *Conversation) {
				if c.AgentID != "a1" {
					t.Errorf("agent = %q, want a1", c.AgentID)
				}
				checkDates(t, c.Dates, Dates{
					Created: base, Answered: ts(40 * sec), Accepted: ts(10 * sec), LastMessage: ts(80 * sec),
					ClosedByAgent: ts(90 * sec), Closed: ts(90 * sec), Modified: base.Add(90 * sec),
				})
			},
		},
		{
			name: "an agent's answer without Answer goes straight to answered and takes the conversation",
			steps: []step{
				clientMsg(0).expect(StatusNew),
				agentMsg(30*sec, "a7").expect(StatusAnswered),
			},
			check: func(t *testing.T, c *Conversation) {
				if c.AgentID != "a7" {
					t.Errorf("agent = %q, want a7", c.AgentID)
				}
			},
		},
		{
			name: "assigning to an agent: new → waiting → accepted → answered",
			steps: []step{
				clientMsg(0).expect(StatusNew),
				assignTo(5*sec, "a1", "").expect(StatusWaiting),
				clientMsg(8 * sec).expect(StatusWaiting),
				acceptBy(10*sec, "a1").expect(StatusAccepted),
				agentMsg(20*sec, "a1").expect(StatusAnswered),
			},
		},
		{
			name: "forward to another line: queued, Dates.Queued set, then taken there",
			steps: []step{
				clientMsg(0).expect(StatusNew),
				forwardTo(20*sec, ForwardTarget{LineID: "L2"}).expect(StatusQueued),
				acceptBy(30*sec, "a2").expect(StatusAccepted),
				agentMsg(50*sec, "a2").expect(StatusAnswered),
			},
			check: func(t *testing.T, c *Conversation) {
				if c.LineID != "L2" || c.AgentID != "a2" || c.GroupID != "" {
					t.Errorf("line/agent/group = %q/%q/%q, want L2/a2/\"\"", c.LineID, c.AgentID, c.GroupID)
				}
				checkDates(t, c.Dates, Dates{
					Created: base, Queued: ts(20 * sec), Answered: ts(50 * sec), Accepted: ts(30 * sec),
					LastMessage: ts(50 * sec), Modified: base.Add(50 * sec),
				})
				checkTimings(t, c.Timings, Timings{
					WaitingForAnswerMs: ms(50000), TimeToAcceptMs: ms(30000), DurationMs: ms(50000),
					FirstReactionMs: ms(50000),
					ResponseTotalMs: ms(50000), ResponseAverageMs: ms(50000), ResponseMaxMs: ms(50000),
					Responses: 1,
				})
			},
		},
		{
			name: "forward an accepted conversation to another agent: queued, first accept kept",
			steps: []step{
				clientMsg(0),
				acceptBy(10*sec, "a1").expect(StatusAccepted),
				forwardTo(20*sec, ForwardTarget{AgentID: "a2"}).expect(StatusQueued),
			},
			check: func(t *testing.T, c *Conversation) {
				if c.AgentID != "a2" {
					t.Errorf("agent = %q, want a2", c.AgentID)
				}
				checkDates(t, c.Dates, Dates{
					Created: base, Queued: ts(20 * sec), Accepted: ts(10 * sec), LastMessage: ts(0), Modified: base.Add(20 * sec),
				})
				if c.Timings.TimeToAcceptMs == nil || *c.Timings.TimeToAcceptMs != 10000 {
					t.Errorf("time to accept = %s, want 10000ms", show(reflect.ValueOf(c.Timings.TimeToAcceptMs)))
				}
			},
		},
		{
			name: "forward a waiting client to a group: queued, agent and pin cleared",
			steps: []step{
				clientMsg(0), agentMsg(10*sec, "a1"),
				clientMsg(20 * sec).expect(StatusWaitingAgain),
				forwardTo(30*sec, ForwardTarget{GroupID: "g1"}).expect(StatusQueued),
			},
			check: func(t *testing.T, c *Conversation) {
				if c.AgentID != "" || c.GroupID != "g1" || c.Pinned {
					t.Errorf("agent/group/pinned = %q/%q/%v, want \"\"/g1/false", c.AgentID, c.GroupID, c.Pinned)
				}
				if c.Dates.Queued == nil || !c.Dates.Queued.Equal(base.Add(30*sec)) {
					t.Errorf("Dates.Queued = %s, want +30s", show(reflect.ValueOf(c.Dates.Queued)))
				}
			},
		},
		{
			name: "spam: status spam, Spam set, closed; marking it again is a conflict",
			steps: []step{
				clientMsg(0).expect(StatusNew),
				markSpamAt(30 * sec).expect(StatusSpam),
				markSpamAt(40 * sec).fails(ErrConflict).expect(StatusSpam),
				acceptBy(50*sec, "a1").fails(ErrConflict).expect(StatusSpam),
				closeByAgent(60 * sec).fails(ErrConflict).expect(StatusSpam),
			},
			check: func(t *testing.T, c *Conversation) {
				if !c.Spam {
					t.Error("Spam = false, want true")
				}
				checkDates(t, c.Dates, Dates{
					Created: base, LastMessage: ts(0), ClosedByAgent: ts(30 * sec), Closed: ts(30 * sec), Modified: base.Add(30 * sec),
				})
			},
		},
		{
			name: "closing a closed conversation is a conflict and changes nothing",
			steps: []step{
				clientMsg(0), agentMsg(10*sec, "a1"),
				closeByAgent(20 * sec).expect(StatusClosed),
				closeByAgent(30 * sec).fails(ErrConflict).expect(StatusClosed),
				closeAuto(31 * sec).fails(ErrConflict).expect(StatusClosed),
				closeForRating(32 * sec).fails(ErrConflict).expect(StatusClosed),
				acceptBy(40*sec, "a1").fails(ErrConflict).expect(StatusClosed),
				assignTo(41*sec, "a2", "").fails(ErrConflict).expect(StatusClosed),
				forwardTo(42*sec, ForwardTarget{LineID: "L2"}).fails(ErrConflict).expect(StatusClosed),
			},
			check: func(t *testing.T, c *Conversation) {
				checkDates(t, c.Dates, Dates{
					Created: base, Answered: ts(10 * sec), Accepted: ts(10 * sec), LastMessage: ts(10 * sec),
					ClosedByAgent: ts(20 * sec), Closed: ts(20 * sec), Modified: base.Add(20 * sec),
				})
				if c.LineID != "L1" || c.AgentID != "a1" {
					t.Errorf("line/agent = %q/%q, want L1/a1", c.LineID, c.AgentID)
				}
				if c.Timings.TimeToCloseByAgentMs == nil || *c.Timings.TimeToCloseByAgentMs != 20000 {
					t.Errorf("time to close by agent = %s, want 20000ms", show(reflect.ValueOf(c.Timings.TimeToCloseByAgentMs)))
				}
			},
		},
		{
			name: "closing waits for the rating; the client's rating closes it",
			steps: []step{
				clientMsg(0), agentMsg(10*sec, "a1"),
				closeForRating(20 * sec).expect(StatusClosing),
				rate(35*sec, 4).expect(StatusClosed),
			},
			check: func(t *testing.T, c *Conversation) {
				if c.ClientRating != 4 {
					t.Errorf("client rating = %d, want 4", c.ClientRating)
				}
				checkDates(t, c.Dates, Dates{
					Created: base, Answered: ts(10 * sec), Accepted: ts(10 * sec), LastMessage: ts(10 * sec),
					ClosedByAgent: ts(20 * sec), Closed: ts(35 * sec), Modified: base.Add(35 * sec),
				})
				if c.Timings.TimeToCloseByAgentMs == nil || *c.Timings.TimeToCloseByAgentMs != 20000 {
					t.Errorf("time to close by agent = %s, want 20000ms", show(reflect.ValueOf(c.Timings.TimeToCloseByAgentMs)))
				}
			},
		},
		{
			name: "closing has no closed date until the rating",
			steps: []step{
				clientMsg(0), agentMsg(10*sec, "a1"),
				closeForRating(20 * sec).expect(StatusClosing),
			},
			check: func(t *testing.T, c *Conversation) {
				if c.Dates.Closed != nil {
					t.Errorf("Dates.Closed = %s, want —", show(reflect.ValueOf(c.Dates.Closed)))
				}
				if c.Dates.ClosedByAgent == nil || !c.Dates.ClosedByAgent.Equal(base.Add(20*sec)) {
					t.Errorf("Dates.ClosedByAgent = %s, want +20s", show(reflect.ValueOf(c.Dates.ClosedByAgent)))
				}
			},
		},
		{
			name: "a rating of 0 or 6 is invalid and leaves the conversation closing",
			steps: []step{
				clientMsg(0), agentMsg(10*sec, "a1"),
				closeForRating(20 * sec).expect(StatusClosing),
				rate(25*sec, 0).fails(ErrInvalid).expect(StatusClosing),
				rate(26*sec, 6).fails(ErrInvalid).expect(StatusClosing),
				rate(27*sec, -1).fails(ErrInvalid).expect(StatusClosing),
				rate(30*sec, 5).expect(StatusClosed),
			},
			check: func(t *testing.T, c *Conversation) {
				if c.ClientRating != 5 {
					t.Errorf("client rating = %d, want 5", c.ClientRating)
				}
				if c.Dates.Closed == nil || !c.Dates.Closed.Equal(base.Add(30*sec)) {
					t.Errorf("Dates.Closed = %s, want +30s", show(reflect.ValueOf(c.Dates.Closed)))
				}
			},
		},
		{
			name: "no rating: closing is closed by the timeout, the agent's close date kept",
			steps: []step{
				clientMsg(0), agentMsg(10*sec, "a1"),
				closeForRating(20 * sec).expect(StatusClosing),
				closeAuto(80 * sec).expect(StatusClosed),
			},
			check: func(t *testing.T, c *Conversation) {
				checkDates(t, c.Dates, Dates{
					Created: base, Answered: ts(10 * sec), Accepted: ts(10 * sec), LastMessage: ts(10 * sec),
					ClosedByAgent: ts(20 * sec), Closed: ts(80 * sec), Modified: base.Add(80 * sec),
				})
			},
		},
		{
			name: "rating a closed conversation stores the rating and keeps its closed date",
			steps: []step{
				clientMsg(0), agentMsg(10*sec, "a1"),
				closeByAgent(20 * sec).expect(StatusClosed),
				rate(50*sec, 5).expect(StatusClosed),
			},
			check: func(t *testing.T, c *Conversation) {
				if c.ClientRating != 5 {
					t.Errorf("client rating = %d, want 5", c.ClientRating)
				}
				if c.Dates.Closed == nil || !c.Dates.Closed.Equal(base.Add(20*sec)) {
					t.Errorf("Dates.Closed = %s, want +20s", show(reflect.ValueOf(c.Dates.Closed)))
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := play(t, Incoming, tc.steps)
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// TestStatusCodesAndGeneral pins the nine detailed statuses to the
// product's numbering, its general statuses and the "active" set (1–6).
func TestStatusCodesAndGeneral(t *testing.T) {
	if len(Statuses) != 9 {
		t.Fatalf("%d statuses, want 9", len(Statuses))
	}
	for i, s := range Statuses {
		if !s.Valid() {
			t.Errorf("%q not valid", s)
		}
		if s.Code() != i+1 || s.Code() != wantCode[s] {
			t.Errorf("%q: code %d at position %d, want %d", s, s.Code(), i+1, wantCode[s])
		}
		if s.General() != wantGeneral[s] {
			t.Errorf("%q: general %q, want %q", s, s.General(), wantGeneral[s])
		}
		if active := wantCode[s] <= 6; s.Active() != active {
			t.Errorf("%q: active = %v, want %v", s, s.Active(), active)
		}
	}
	if len(ActiveStatuses) != 6 {
		t.Errorf("%d active statuses, want 6", len(ActiveStatuses))
	}
	if Status("bogus").Valid() || Status("bogus").Active() {
		t.Error("an unknown status is valid or active")
	}
}
