package inbox

import (
	"context"
	"errors"
	"strings"
)

// Contact custom fields the widget keeps for identified visitors.
const (
	FieldUserID       = "userId"
	FieldUserVerified = "userVerified"
)

// identityKeys are the block keys of a visitor's identity: the verified
// user id, the e-mail address and the client address, where known.
func identityKeys(userID string, verified bool, email, address string) []string {
	var keys []string
	if userID != "" && verified {
		keys = append(keys, "user:"+userID)
	}
	if email != "" {
		keys = append(keys, "email:"+strings.ToLower(email))
	}
	if address != "" {
		keys = append(keys, "addr:"+address)
	}
	return keys
}

// contactKeys are the block keys of a contact as it is stored.
func contactKeys(c *Contact) []string {
	return identityKeys(c.CustomFields[FieldUserID], c.CustomFields[FieldUserVerified] == "true", c.Email, c.Address)
}

// blockedContact is the blocked contact one of keys belongs to, or nil.
func (s *Service) blockedContact(ctx context.Context, keys []string) (*Contact, error) {
	for _, k := range keys {
		contactID, err := s.store.BlockedContactID(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c, err := s.store.ContactByID(ctx, contactID)
		if errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if c.Blocked {
			return c, nil
		}
	}
	return nil, nil
}
