package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Transcripts for visitors: a visitor who asks for the transcript of
// their conversation (with their e-mail address) gets it by e-mail, from
// the line's mailbox or the gateway's mail server, through the durable
// outbox — once per conversation and address, and never more than
// MaxAutoMailsPerHour automatic mails to one address in an hour (the brake
// on mail loops and abuse).

// MaxAutoMailsPerHour caps the automatic mails queued to one address.
const MaxAutoMailsPerHour = 5

// SendsVisitorMail says whether a visitor of the line can be sent mail:
// the line has a mailbox, or the gateway a mail server.
func (s *Service) SendsVisitorMail(l *Line) bool {
	return s.transcripts || (l.Channels.Email.Enabled && l.Channels.Email.SMTP.Host != "")
}

type visitorTranscriptText struct{ subject, intro, you string }

var visitorTranscriptTexts = map[string]visitorTranscriptText{
	"en": {"Transcript of your conversation with %s", "Here is the transcript you asked for.", "You"},
	"de": {"Verlauf Ihrer Konversation mit %s", "Hier ist der Verlauf, den Sie angefordert haben.", "Sie"},
	"pl": {"Zapis Twojej rozmowy z %s", "Oto zapis rozmowy, o który prosisz.", "Ty"},
	"ru": {"История вашей переписки с %s", "Вот история переписки, которую вы запросили.", "Вы"},
}

// queueVisitorTranscript queues the transcript of conv to email.
func (s *Service) queueVisitorTranscript(ctx context.Context, conv *Conversation, email string) error {
	l, err := s.Line(ctx, conv.LineID)
	if err != nil {
		return err
	}
	if !s.SendsVisitorMail(l) {
		return nil
	}
	id := "visitor-transcript:" + conv.ID + ":" + email
	if _, err := s.store.OutboxMailByID(ctx, id); err == nil {
		return nil // asked before: sent once
	}
	n, err := s.store.CountOutboxTo(ctx, email, s.Now().Add(-time.Hour))
	if err != nil {
		return err
	}
	if n >= MaxAutoMailsPerHour {
		s.log.Warn("transcript not sent: too many automatic mails to the address this hour", "conversation", conv.ID, "limit", MaxAutoMailsPerHour)
		return nil
	}
	msgs, err := s.store.VisibleMessagesAfter(ctx, conv.ID, 0, s.limits.ListMax*5)
	if err != nil {
		return err
	}
	lang := "en"
	if ag, err := s.store.AgentByID(ctx, conv.AgentID); err == nil && ValidLanguage(ag.Language) {
		lang = ag.Language
	}
	tx := visitorTranscriptTexts[lang]
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s · %s\n\n", tx.intro, l.Name, conv.Dates.Created.UTC().Format("2006-01-02 15:04 MST"))
	for _, m := range msgs {
		who := m.AuthorName
		if m.AuthorKind == AuthorContact {
			who = tx.you
		}
		fmt.Fprintf(&b, "[%s] %s: %s\n", m.CreatedAt.UTC().Format("15:04"), who, m.Text)
		for _, at := range m.Attachments {
			fmt.Fprintf(&b, "    📎 %s\n", at.Name)
		}
	}
	mail := &OutboxMail{ID: id, To: email, LineID: conv.LineID, Subject: fmt.Sprintf(tx.subject, l.Name), Body: b.String(),
		CreatedAt: s.Now(), NextAt: s.Now()}
	_, err = s.store.QueueOutbox(ctx, mail)
	return err
}

// MailAbsentVisitor e-mails an agent's answer in a live chat to its
// visitor when they are not on the site any more (the widget tells): from
// the line's mailbox, to the address they left, as a mail whose reply
// comes back into the same conversation (its thread token). Nothing
// happens when the line has no mailbox, the visitor left no address, or
// the message is no agent's answer.
func (s *Service) MailAbsentVisitor(ctx context.Context, convID, messageID string) error {
	c, err := s.loadConversation(ctx, System, convID)
	if err != nil {
		return err
	}
	if c.Channel != ChannelLiveChat || !c.Open() {
		return nil
	}
	l, err := s.Line(ctx, c.LineID)
	if err != nil {
		return err
	}
	if mb := l.Channels.Email; !mb.Enabled || mb.SMTP.Host == "" || !s.deliversTo(ChannelEmail) {
		return nil
	}
	ct, err := s.store.ContactByID(ctx, c.ContactID)
	if err != nil || ct.Email == "" {
		return err
	}
	m, err := s.store.MessageByID(ctx, messageID)
	if err != nil {
		return err
	}
	if m.ConversationID != convID || m.AuthorKind != AuthorAgent || m.Comment || m.Delivery != nil {
		return nil
	}
	if c.MailToken == "" {
		if c, err = s.EnsureMailToken(ctx, convID); err != nil {
			return err
		}
	}
	now := s.Now()
	j := &DeliveryJob{ID: m.ID, LineID: c.LineID, Channel: ChannelEmail, ConversationID: c.ID, CreatedAt: now, NextAt: now, Seq: m.Seq, Sent: []int{}}
	if err := s.store.QueueDelivery(ctx, j); err != nil {
		if errors.Is(err, errDuplicateKey) {
			return nil
		}
		return err
	}
	_, _, err = s.updateMessageByID(ctx, convID, m.ID, func(m *Message, _ time.Time) (bool, error) {
		m.Delivery = &Delivery{State: DeliveryPending}
		m.Email = &MailMeta{Subject: fmt.Sprintf(absentSubject[lineLanguage(ctx, s, c)], l.Name)}
		return true, nil
	})
	if err != nil {
		return err
	}
	s.wakeDelivery(c.LineID, ChannelEmail)
	return nil
}

// absentSubject is the subject of an answer e-mailed to a visitor.
var absentSubject = map[string]string{
	"en": "Our answer to your message on %s",
	"de": "Unsere Antwort auf Ihre Nachricht bei %s",
	"pl": "Nasza odpowiedź na Twoją wiadomość w %s",
	"ru": "Наш ответ на ваше сообщение в %s",
}

// lineLanguage is the language of the conversation's agent, English when
// unknown.
func lineLanguage(ctx context.Context, s *Service, c *Conversation) string {
	if ag, err := s.store.AgentByID(ctx, c.AgentID); err == nil && ValidLanguage(ag.Language) {
		return ag.Language
	}
	return "en"
}
