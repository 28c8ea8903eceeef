package inbox

import "time"

// Conversation is one thread with one contact on one line through one channel.
type Conversation struct {
	ID          string           `bson:"_id" json:"id"`
	Number      int64            `bson:"number" json:"number"`
	LineID      string           `bson:"lineId" json:"lineId"`
	Channel     Channel          `bson:"channel" json:"channel"`
	Type        ConversationType `bson:"type" json:"type"`
	Status      Status           `bson:"status" json:"status"`
	StatusCode  int              `bson:"statusCode" json:"statusCode"`
	General     GeneralStatus    `bson:"general" json:"general"`
	Spam        bool             `bson:"spam" json:"spam"`
	ContactID   string           `bson:"contactId" json:"contactId"`
	ContactName string           `bson:"contactName" json:"contactName"`
	// VisitorNumber is the contact's, for a visitor who gave no name.
	VisitorNumber int `bson:"visitorNumber,omitempty" json:"visitorNumber,omitempty"`
	// ContactHandle is the contact's handle on the channel, such as a
	// Telegram "@username".
	ContactHandle string `bson:"contactHandle,omitempty" json:"contactHandle,omitempty"`
	// StartParam is what the customer's first link carried (Telegram's
	// /start payload: a CRM id, a campaign).
	StartParam string `bson:"startParam,omitempty" json:"startParam,omitempty"`
	// Subject is an e-mail conversation's subject.
	Subject string `bson:"subject,omitempty" json:"subject,omitempty"`
	// MailToken names an e-mail conversation in the Message-IDs and
	// reply address of the mail sent from it (mailin.go).
	MailToken string `bson:"mailToken,omitempty" json:"-"`
	// MailThread are the Message-IDs of the conversation's mail, oldest
	// first, at most MaxMailThread: a reply's References.
	MailThread []string `bson:"mailThread,omitempty" json:"-"`
	AgentID    string   `bson:"agentId" json:"agentId"`
	GroupID    string   `bson:"groupId" json:"groupId"`
	// Pinned fixes the conversation to its agent: routing never moves it.
	Pinned            bool   `bson:"pinned" json:"pinned"`
	SitePage          string `bson:"sitePage" json:"sitePage"`
	FormFilled        bool   `bson:"formFilled" json:"formFilled"`
	HistoryRequested  bool   `bson:"historyRequested" json:"historyRequested"`
	ClientRating      int    `bson:"clientRating" json:"clientRating"`
	SupervisorRating  int    `bson:"supervisorRating" json:"supervisorRating"`
	SupervisorComment string `bson:"supervisorComment" json:"supervisorComment"`
	// LastMessage previews the latest message the client can see (never a
	// comment); nil before the first one.
	LastMessage *Preview `bson:"lastMessage,omitempty" json:"lastMessage,omitempty"`
	// MissedAt is when the conversation was marked missed (missed.go);
	// nil when it is not.
	MissedAt *time.Time `bson:"missedAt" json:"missedAt"`

	Dates   Dates   `bson:"dates" json:"dates"`
	Track   Track   `bson:"track" json:"-"`
	Timings Timings `bson:"timings" json:"timings"`

	// Seq is the highest message seq handed out in this conversation.
	Seq int64 `bson:"seq" json:"seq"`
	// Version guards read-modify-write updates.
	Version int64 `bson:"version" json:"version"`
}

// Dates are the conversation's date columns. A nil date is shown as a dash.
type Dates struct {
	Created       time.Time  `bson:"created" json:"created"`
	Queued        *time.Time `bson:"queued" json:"queued"`
	Answered      *time.Time `bson:"answered" json:"answered"`
	Accepted      *time.Time `bson:"accepted" json:"accepted"`
	LastMessage   *time.Time `bson:"lastMessage" json:"lastMessage"`
	ClosedByAgent *time.Time `bson:"closedByAgent" json:"closedByAgent"`
	Closed        *time.Time `bson:"closed" json:"closed"`
	Modified      time.Time  `bson:"modified" json:"modified"`
}

// Track holds what the timings are computed from, kept up to date as the
// conversation's events are applied.
type Track struct {
	FirstClientMessage *time.Time `bson:"firstClientMessage"`
	FirstBotMessage    *time.Time `bson:"firstBotMessage"`
	LastBotMessage     *time.Time `bson:"lastBotMessage"`
	// AgentJoined is when an agent first accepted or answered.
	AgentJoined *time.Time `bson:"agentJoined"`
	// FirstResponse is the first agent answer to a waiting client message.
	FirstResponse *time.Time `bson:"firstResponse"`
	// PendingSince is the first client message not yet answered by an agent.
	PendingSince *time.Time `bson:"pendingSince"`
	// OfferedAt is when routing last gave the conversation to an agent,
	// and OfferedTo every agent it was given to, in order (reoffer.go).
	OfferedAt *time.Time `bson:"offeredAt"`
	OfferedTo []string   `bson:"offeredTo,omitempty"`
	// LastClientMessage is the client's latest message (autoclose.go).
	LastClientMessage *time.Time `bson:"lastClientMessage"`
	// MissedFrom is when the client's wait for an agent started counting
	// towards "missed": the first unanswered client message, or when an
	// assigned agent came back online since.
	MissedFrom    *time.Time `bson:"missedFrom"`
	ResponseTotal int64      `bson:"responseTotalMs"`
	ResponseMax   int64      `bson:"responseMaxMs"`
	Responses     int64      `bson:"responses"`
}

// newConversation starts a conversation in its first status.
func newConversation(id string, number int64, line string, ch Channel, typ ConversationType, contact *Contact, now time.Time) *Conversation {
	c := &Conversation{
		ID: id, Number: number, LineID: line, Channel: ch, Type: typ,
		ContactID: contact.ID, ContactName: contact.Name, VisitorNumber: contact.VisitorNumber,
		Dates: Dates{Created: now, Modified: now},
	}
	if contact.TelegramUsername != "" && ch == ChannelTelegram {
		c.ContactHandle = "@" + contact.TelegramUsername
	}
	c.setStatus(StatusNew)
	return c
}

func (c *Conversation) setStatus(s Status) {
	c.Status, c.StatusCode, c.General = s, s.Code(), s.General()
}

// touch marks a change and recomputes the derived timings.
func (c *Conversation) touch(now time.Time) {
	c.Dates.Modified = now
	c.Timings = computeTimings(c)
}

func setOnce(t **time.Time, now time.Time) {
	if *t == nil {
		v := now
		*t = &v
	}
}

func at(now time.Time) *time.Time { v := now; return &v }

// Open reports whether new messages may still be added.
func (c *Conversation) Open() bool { return c.Status.Active() || c.Status == StatusClosing }

// applyMessage moves statuses, dates and timing marks for a stored message.
func (c *Conversation) applyMessage(m *Message) {
	now := m.CreatedAt
	switch {
	case m.Comment || m.AuthorKind == AuthorSystem:
		// Internal notes and system lines change no status.
	case m.AuthorKind == AuthorContact:
		setOnce(&c.Track.FirstClientMessage, now)
		setOnce(&c.Track.PendingSince, now)
		setOnce(&c.Track.MissedFrom, now)
		c.Track.LastClientMessage = at(now)
		c.Dates.LastMessage = at(now)
		if c.Status == StatusAnswered || c.Status == StatusClosing {
			// A question after an answer, or while the rating is awaited,
			// puts the client back in line.
			c.Dates.ClosedByAgent = nil
			c.setStatus(StatusWaitingAgain)
		}
	case m.AuthorKind == AuthorBot:
		setOnce(&c.Track.FirstBotMessage, now)
		c.Track.LastBotMessage = at(now)
		c.Dates.LastMessage = at(now)
	case m.AuthorKind == AuthorAgent:
		setOnce(&c.Dates.Answered, now)
		setOnce(&c.Dates.Accepted, now)
		setOnce(&c.Track.AgentJoined, now)
		c.Dates.LastMessage = at(now)
		if c.AgentID == "" {
			c.AgentID = m.AuthorID
		}
		c.Dates.ClosedByAgent = nil // writing again reopens a closing conversation
		if p := c.Track.PendingSince; p != nil {
			setOnce(&c.Track.FirstResponse, now)
			d := now.Sub(*p).Milliseconds()
			c.Track.ResponseTotal += d
			c.Track.Responses++
			c.Track.ResponseMax = max(c.Track.ResponseMax, d)
			c.Track.PendingSince = nil
		}
		// An answer ends the wait, and the missed mark with it.
		c.Track.MissedFrom, c.MissedAt = nil, nil
		c.setStatus(StatusAnswered)
	}
	if p := previewOf(m); p != nil {
		c.LastMessage = p
	}
	c.touch(now)
}

// accept records that agent pressed Answer.
func (c *Conversation) accept(agentID string, now time.Time) error {
	if !c.Status.Active() {
		return conflict("conversation is %s", c.Status)
	}
	c.AgentID = agentID
	setOnce(&c.Dates.Accepted, now)
	setOnce(&c.Track.AgentJoined, now)
	if c.Status != StatusAnswered && c.Status != StatusWaitingAgain {
		c.setStatus(StatusAccepted)
	}
	c.touch(now)
	return nil
}

// assign gives the conversation to an agent and/or a group without
// forwarding it.
func (c *Conversation) assign(agentID, groupID string, now time.Time) error {
	if !c.Status.Active() {
		return conflict("conversation is %s", c.Status)
	}
	c.AgentID, c.GroupID = agentID, groupID
	if agentID == "" {
		c.Pinned = false // a pin fixes a conversation to an agent
	}
	if agentID != "" && c.Status == StatusNew {
		c.setStatus(StatusWaiting)
	}
	c.touch(now)
	return nil
}

// Forward targets. Exactly one is set.
type ForwardTarget struct {
	AgentID string `json:"agentId"`
	GroupID string `json:"groupId"`
	LineID  string `json:"lineId"`
}

// forward puts the conversation into another agent's, group's or line's queue.
func (c *Conversation) forward(t ForwardTarget, now time.Time) error {
	if !c.Status.Active() {
		return conflict("conversation is %s", c.Status)
	}
	switch {
	case t.AgentID != "":
		c.AgentID = t.AgentID
	case t.GroupID != "":
		c.AgentID, c.GroupID = "", t.GroupID
	case t.LineID != "":
		c.AgentID, c.GroupID, c.LineID = "", "", t.LineID
	}
	c.Pinned = false
	c.Dates.Queued = at(now)
	c.setStatus(StatusQueued)
	c.touch(now)
	return nil
}

// close ends the conversation. With awaitRating it waits in "closing" for
// the client's rating.
func (c *Conversation) close(byAgent, awaitRating bool, now time.Time) error {
	if !c.Open() {
		return conflict("conversation is already %s", c.Status)
	}
	if byAgent {
		setOnce(&c.Dates.ClosedByAgent, now)
	}
	if awaitRating && c.Status != StatusClosing {
		c.setStatus(StatusClosing)
	} else {
		c.setStatus(StatusClosed)
		c.Dates.Closed = at(now)
	}
	c.Track.PendingSince = nil
	c.touch(now)
	return nil
}

// markSpam force-closes the conversation as spam.
func (c *Conversation) markSpam(now time.Time) error {
	if c.Status == StatusSpam {
		return conflict("conversation is already spam")
	}
	c.Spam = true
	if c.Dates.Closed == nil {
		setOnce(&c.Dates.ClosedByAgent, now)
		c.Dates.Closed = at(now)
	}
	c.Track.PendingSince = nil
	c.setStatus(StatusSpam)
	c.touch(now)
	return nil
}

// rateByClient stores the client's rating and finishes a closing conversation.
func (c *Conversation) rateByClient(rating int, now time.Time) error {
	if rating < 1 || rating > 5 {
		return invalid("rating", "must be 1 to 5")
	}
	c.ClientRating = rating
	if c.Status == StatusClosing {
		c.setStatus(StatusClosed)
		c.Dates.Closed = at(now)
	}
	c.touch(now)
	return nil
}
