package inbox

import "time"

// Timings are the conversation's timing columns in milliseconds. A nil
// timing has no value yet and is shown as a dash.
type Timings struct {
	// WaitingForAnswerMs: created → first agent answer.
	WaitingForAnswerMs *int64 `bson:"waitingForAnswerMs" json:"waitingForAnswerMs"`
	// TimeToAcceptMs: created → an agent pressed Answer (or answered).
	TimeToAcceptMs *int64 `bson:"timeToAcceptMs" json:"timeToAcceptMs"`
	// TimeToCloseByAgentMs: created → closed by an agent.
	TimeToCloseByAgentMs *int64 `bson:"timeToCloseByAgentMs" json:"timeToCloseByAgentMs"`
	// DurationMs: created → last message.
	DurationMs *int64 `bson:"durationMs" json:"durationMs"`
	// FirstReactionMs: first client message → the first agent answer to a
	// client message, or → close
	// when nobody answered; when a bot answered before any agent, the bot's
	// working time (ChatBotMs), as the product's conversation list shows it.
	FirstReactionMs *int64 `bson:"firstReactionMs" json:"firstReactionMs"`
	// ChatBotMs: first bot message → an agent joined (accepted or answered);
	// while no agent has joined, → the bot's last message.
	ChatBotMs *int64 `bson:"chatBotMs" json:"chatBotMs"`
	// ResponseTotalMs sums, over every agent answer that answered waiting
	// client messages, the time from the first of those client messages to
	// the answer.
	ResponseTotalMs *int64 `bson:"responseTotalMs" json:"responseTotalMs"`
	// ResponseAverageMs is ResponseTotalMs divided by the number of such answers.
	ResponseAverageMs *int64 `bson:"responseAverageMs" json:"responseAverageMs"`
	// ResponseMaxMs is the longest such interval.
	ResponseMaxMs *int64 `bson:"responseMaxMs" json:"responseMaxMs"`
	// Responses is the number of such answers.
	Responses int64 `bson:"responses" json:"responses"`
}

func span(from time.Time, to *time.Time) *int64 {
	if to == nil {
		return nil
	}
	d := to.Sub(from).Milliseconds()
	return &d
}

func ms(v int64) *int64 { return &v }

// computeTimings derives every timing from the conversation's dates and
// track. It depends on nothing else, so it is the same whenever it runs.
func computeTimings(c *Conversation) Timings {
	d, tr := c.Dates, c.Track
	t := Timings{
		WaitingForAnswerMs:   span(d.Created, d.Answered),
		TimeToAcceptMs:       span(d.Created, d.Accepted),
		TimeToCloseByAgentMs: span(d.Created, d.ClosedByAgent),
		DurationMs:           span(d.Created, d.LastMessage),
		Responses:            tr.Responses,
	}
	// The bot worked only if it wrote before any agent joined.
	botFirst := tr.FirstBotMessage != nil && (tr.AgentJoined == nil || tr.FirstBotMessage.Before(*tr.AgentJoined))
	if botFirst {
		end := tr.LastBotMessage
		if tr.AgentJoined != nil {
			end = tr.AgentJoined
		}
		t.ChatBotMs = span(*tr.FirstBotMessage, end)
	}
	if fc := tr.FirstClientMessage; fc != nil {
		switch {
		case botFirst:
			t.FirstReactionMs = t.ChatBotMs
		case tr.FirstResponse != nil:
			t.FirstReactionMs = span(*fc, tr.FirstResponse)
		case d.ClosedByAgent != nil:
			t.FirstReactionMs = span(*fc, d.ClosedByAgent)
		case d.Closed != nil:
			t.FirstReactionMs = span(*fc, d.Closed)
		}
	}
	if tr.Responses > 0 {
		t.ResponseTotalMs = ms(tr.ResponseTotal)
		t.ResponseAverageMs = ms(tr.ResponseTotal / tr.Responses)
		t.ResponseMaxMs = ms(tr.ResponseMax)
	}
	return t
}
