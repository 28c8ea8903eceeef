package inbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// WidgetLook is how a line's website widget looks: its title, colours,
// corner, launcher and messenger-mode greeting. The live-chat greeting is
// LineSettings.Greeting. Zero values are the widget's defaults.
type WidgetLook struct {
	// Title heads the chat window; empty shows the line's name.
	Title string `bson:"title" json:"title"`
	// Color is the brand colour, #rrggbb; empty is DefaultWidgetColor.
	// Text on it is white or dark, whichever reads better (TextOn); a
	// colour on which neither reaches 4.5:1 is refused.
	Color string `bson:"color" json:"color"`
	// Position is the corner of the launcher: "right" (default) or "left".
	Position string `bson:"position" json:"position"`
	// LauncherLabel, when set, is shown on the launcher next to the icon.
	LauncherLabel string `bson:"launcherLabel" json:"launcherLabel"`
	// MessengerGreeting greets visitors when nobody is online.
	MessengerGreeting string `bson:"messengerGreeting" json:"messengerGreeting"`
	// IdentitySecretSet tells the API's readers that a secret is stored;
	// the secret itself is never shown again. Not stored.
	IdentitySecretSet bool `bson:"-" json:"identitySecretSet"`
}

// Widget colours and limits.
const (
	DefaultWidgetColor = "#2250c8"
	// WidgetDarkText is the dark text colour the widget uses on light brand colours.
	WidgetDarkText = "#1a1d24"
	// MinContrast is WCAG AA for normal text.
	MinContrast = 4.5
	// LauncherLabelChars caps the launcher's label.
	LauncherLabelChars = 40
	// MaxRatingTimeoutSeconds caps the rating wait (a day).
	MaxRatingTimeoutSeconds = 86400
	// DefaultMissedAfterSeconds is how long a client waits for an answer
	// before the conversation is missed, unless the line says otherwise.
	DefaultMissedAfterSeconds = 30
	// MinMissedAfterSeconds and MaxMissedAfterSeconds bound a line's
	// missedAfterSeconds.
	MinMissedAfterSeconds = 5
	MaxMissedAfterSeconds = 3600
	// MinReofferAfterSeconds and MaxReofferAfterSeconds bound a line's
	// reofferAfterSeconds.
	MinReofferAfterSeconds = 10
	MaxReofferAfterSeconds = 3600
	// MaxAutoCloseMinutes caps a line's autoCloseMinutes (a week).
	MaxAutoCloseMinutes = 7 * 24 * 60
)

var hexColor = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// luminance is the WCAG relative luminance of #rrggbb.
func luminance(c string) float64 {
	var l float64
	for i, w := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
		x := float64(v) / 255
		if x <= 0.03928 {
			x /= 12.92
		} else {
			x = math.Pow((x+0.055)/1.055, 2.4)
		}
		l += w * x
	}
	return l
}

// Contrast is the WCAG contrast ratio of two #rrggbb colours.
func Contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TextOn picks the text colour for a brand colour: white, or the widget's
// dark text, whichever contrasts more. ok is false when neither reaches
// MinContrast.
func TextOn(color string) (text string, ok bool) {
	if color == "" {
		color = DefaultWidgetColor
	}
	if !hexColor.MatchString(color) {
		return "#ffffff", false
	}
	w, d := Contrast(color, "#ffffff"), Contrast(color, WidgetDarkText)
	if w >= d {
		return "#ffffff", w >= MinContrast
	}
	return WidgetDarkText, d >= MinContrast
}

// checkLook validates the widget's appearance; field names are the API's.
func (s *Service) checkLook(w *WidgetLook) error {
	const p = "channels.widget."
	if err := s.checkText(p+"title", w.Title, s.limits.NameChars); err != nil {
		return err
	}
	if err := s.checkText(p+"messengerGreeting", w.MessengerGreeting, s.limits.MessageChars); err != nil {
		return err
	}
	if err := s.checkText(p+"launcherLabel", w.LauncherLabel, LauncherLabelChars); err != nil {
		return err
	}
	w.Title, w.LauncherLabel = NeutralName(strings.TrimSpace(w.Title)), NeutralName(strings.TrimSpace(w.LauncherLabel))
	if w.Color != "" {
		if !hexColor.MatchString(w.Color) {
			return invalid(p+"color", "must be a colour like #2250c8")
		}
		w.Color = strings.ToLower(w.Color)
		if _, ok := TextOn(w.Color); !ok {
			return invalid(p+"color", "%s is too light for white text and too dark for dark text (contrast under %.1f:1); pick a darker or lighter shade", w.Color, MinContrast)
		}
	}
	switch w.Position {
	case "":
		w.Position = "right"
	case "left", "right":
	default:
		return invalid(p+"position", "must be left or right")
	}
	return nil
}

// checkLineSettings validates the behaviour switches.
func (s *Service) checkLineSettings(st LineSettings) error {
	if st.RatingTimeoutSeconds < 0 || st.RatingTimeoutSeconds > MaxRatingTimeoutSeconds {
		return invalid("settings.ratingTimeoutSeconds", "must be between 0 and %d seconds", MaxRatingTimeoutSeconds)
	}
	if r := st.ReofferAfterSeconds; r != 0 && (r < MinReofferAfterSeconds || r > MaxReofferAfterSeconds) {
		return invalid("settings.reofferAfterSeconds", "must be 0 (never) or between %d and %d seconds", MinReofferAfterSeconds, MaxReofferAfterSeconds)
	}
	if m := st.AutoCloseMinutes; m < 0 || m > MaxAutoCloseMinutes {
		return invalid("settings.autoCloseMinutes", "must be between 0 (never) and %d minutes", MaxAutoCloseMinutes)
	}
	if m := st.MissedAfterSeconds; m != 0 && (m < MinMissedAfterSeconds || m > MaxMissedAfterSeconds) {
		return invalid("settings.missedAfterSeconds", "must be between %d and %d seconds", MinMissedAfterSeconds, MaxMissedAfterSeconds)
	}
	return s.checkText("settings.greeting", st.Greeting, s.limits.MessageChars)
}

// LineConversationCount counts the conversations of a line: what deleting
// it would delete. Supervisors and admins.
func (s *Service) LineConversationCount(ctx context.Context, a Actor, id string) (int64, error) {
	if err := requireStaff(a); err != nil {
		return 0, err
	}
	if _, err := s.Line(ctx, id); err != nil {
		return 0, err
	}
	return s.store.CountConversationsOfLine(ctx, id)
}

// RotateIdentitySecret gives the line's widget a new identity-verification
// secret and returns it: the only time it is shown. Admins only.
func (s *Service) RotateIdentitySecret(ctx context.Context, a Actor, id string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("identity secret: %w", err)
	}
	secret := hex.EncodeToString(b)
	if err := s.setIdentitySecret(ctx, a, id, secret); err != nil {
		return "", err
	}
	return secret, nil
}

// ClearIdentitySecret turns identity verification off. Admins only.
func (s *Service) ClearIdentitySecret(ctx context.Context, a Actor, id string) error {
	return s.setIdentitySecret(ctx, a, id, "")
}

func (s *Service) setIdentitySecret(ctx context.Context, a Actor, id, secret string) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	if _, err := s.Line(ctx, id); err != nil {
		return err
	}
	if err := s.store.SetLineIdentitySecret(ctx, id, secret, s.Now()); err != nil {
		return err
	}
	s.publish(ctx, Event{Type: EventLineChanged, LineID: id, SubjectID: id})
	return nil
}

// widgetJSON is WidgetChannel as JSON, its look flattened: decoding it
// through this type makes a wrong type name its field as the API shows it
// ("channels.widget.color"), not by the Go embedding.
type widgetJSON struct {
	Enabled           bool     `json:"enabled"`
	AllowedOrigins    []string `json:"allowedOrigins"`
	IdentitySecret    string   `json:"identitySecret"`
	Title             string   `json:"title"`
	Color             string   `json:"color"`
	Position          string   `json:"position"`
	LauncherLabel     string   `json:"launcherLabel"`
	MessengerGreeting string   `json:"messengerGreeting"`
	IdentitySecretSet bool     `json:"identitySecretSet"`
}

// UnmarshalJSON reads a widget channel strictly: unknown fields are refused.
func (w *WidgetChannel) UnmarshalJSON(b []byte) error {
	var v widgetJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	*w = WidgetChannel{Enabled: v.Enabled, AllowedOrigins: v.AllowedOrigins, IdentitySecret: v.IdentitySecret,
		WidgetLook: WidgetLook{Title: v.Title, Color: v.Color, Position: v.Position, LauncherLabel: v.LauncherLabel,
			MessengerGreeting: v.MessengerGreeting, IdentitySecretSet: v.IdentitySecretSet}}
	return nil
}
