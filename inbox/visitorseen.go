package inbox

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mileusna/useragent"
)

// ClientInfo is what a website visitor's browser says about itself: its
// User-Agent header, parsed into browser and operating system names.
type ClientInfo struct {
	Browser   string `bson:"browser" json:"browser"`     // "Chrome 126.0.6478.126"; "" when unknown
	OS        string `bson:"os" json:"os"`               // "Windows 10"; "" when unknown
	Mobile    bool   `bson:"mobile" json:"mobile"`       // a phone or tablet
	UserAgent string `bson:"userAgent" json:"userAgent"` // the header, at most MaxUserAgentChars
}

// MaxUserAgentChars caps the stored User-Agent header.
const MaxUserAgentChars = 512

// ParseUserAgent names the browser and operating system of a User-Agent
// header. Unknown parts stay empty; control characters are dropped.
func ParseUserAgent(header string) ClientInfo {
	header = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isBidiControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, header))
	header = trimChars(header, MaxUserAgentChars)
	if header == "" {
		return ClientInfo{}
	}
	ua := useragent.Parse(header)
	info := ClientInfo{UserAgent: header, Mobile: ua.Mobile || ua.Tablet}
	info.Browser = strings.TrimSpace(ua.Name + " " + ua.Version)
	info.OS = strings.TrimSpace(ua.OS + " " + ua.OSVersion)
	if ua.Bot && info.Browser == "" {
		info.Browser = "Bot"
	}
	return info
}

// Visitor numbers run from visitorNumberMin to visitorNumberMax.
const (
	visitorNumberMin = 1000
	visitorNumberMax = 9999
)

// VisitorSeen records what a widget session tells about a visitor's
// contact: the browser and OS of its User-Agent header, and, for a
// contact with no name and no number yet, its visitor number. Only the
// number is stored; the inbox shows "Visitor 1234" in each agent's
// language. Best effort: a failure is logged and the session goes on.
func (s *Service) VisitorSeen(ctx context.Context, contactID, userAgent string) {
	if err := s.visitorSeen(ctx, contactID, userAgent); err != nil {
		s.log.Warn("record visitor's browser", "contact", contactID, "err", err)
	}
}

func (s *Service) visitorSeen(ctx context.Context, contactID, userAgent string) error {
	ct, err := s.store.ContactByID(ctx, contactID)
	if err != nil {
		return err
	}
	var client *ClientInfo
	if info := ParseUserAgent(userAgent); info.UserAgent != "" && (ct.Client == nil || *ct.Client != info) {
		client = &info
	}
	number := 0
	if ct.Name == "" && ct.VisitorNumber == 0 {
		n, err := rand.Int(rand.Reader, big.NewInt(visitorNumberMax-visitorNumberMin+1))
		if err != nil {
			return fmt.Errorf("visitor number: %w", err)
		}
		number = int(n.Int64()) + visitorNumberMin
	}
	if client == nil && number == 0 {
		return nil
	}
	if err := s.store.RecordVisitorSeen(ctx, contactID, client, number, s.Now()); err != nil {
		return err
	}
	s.publish(ctx, Event{Type: EventContactChanged, SubjectID: contactID})
	return nil
}
