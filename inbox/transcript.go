package inbox

import (
	"context"
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
