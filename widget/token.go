package widget

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/inbox"
)

// visitor is who a valid token speaks for: a contact on a line.
type visitor struct {
	ID     string // the inbox contact's id
	LineID string
}

// in is the visitor as the inbox's visitor actor.
func (v visitor) in() inbox.Visitor { return inbox.Visitor{ContactID: v.ID, LineID: v.LineID} }

// tokenPayload is the signed part of a visitor token.
type tokenPayload struct {
	V string `json:"v"`
	L string `json:"l"`
	E int64  `json:"e"`
}

// maxTokenChars bounds the work spent on a presented token.
const maxTokenChars = 1024

// errBadToken is an expired, forged, malformed or foreign token.
var errBadToken = errors.New("invalid or expired visitor token")

var b64 = base64.RawURLEncoding

// signToken issues base64url(payload) "." base64url(HMAC-SHA256(payload)).
func (w *Widget) signToken(v visitor, now time.Time) (string, error) {
	p, err := json.Marshal(tokenPayload{V: v.ID, L: v.LineID, E: now.Add(w.cfg.TokenTTL).Unix()})
	if err != nil {
		return "", fmt.Errorf("widget: encode token: %w", err)
	}
	return b64.EncodeToString(p) + "." + b64.EncodeToString(w.mac(p)), nil
}

func (w *Widget) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, w.cfg.Secret)
	m.Write(payload)
	return m.Sum(nil)
}

// parseToken verifies a token's signature (in constant time) and expiry.
func (w *Widget) parseToken(tok string, now time.Time) (visitor, error) {
	if tok == "" || len(tok) > maxTokenChars {
		return visitor{}, errBadToken
	}
	enc, sigEnc, ok := strings.Cut(tok, ".")
	if !ok {
		return visitor{}, errBadToken
	}
	payload, err1 := b64.DecodeString(enc)
	sig, err2 := b64.DecodeString(sigEnc)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, w.mac(payload)) {
		return visitor{}, errBadToken
	}
	var p tokenPayload
	if err := json.Unmarshal(payload, &p); err != nil || p.V == "" || p.L == "" {
		return visitor{}, errBadToken
	}
	if now.Unix() >= p.E {
		return visitor{}, errBadToken
	}
	return visitor{ID: p.V, LineID: p.L}, nil
}

// IdentityHash is what a site's server computes for Switchboard.setUser:
// the hex HMAC-SHA256 of the user id keyed with the line's identity secret.
func IdentityHash(secret, userID string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(userID))
	return hex.EncodeToString(m.Sum(nil))
}

// identityValid compares a presented hash with the expected one in
// constant time; case of the hex digits does not matter.
func identityValid(secret, userID, hash string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(hash))
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(IdentityHash(secret, userID))
	return hmac.Equal(got, want)
}
