package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"

	"github.com/switchboard-chat/switchboard/inbox"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// bootInfo is what start-up tells the person who started the gateway.
type bootInfo struct {
	AdminEmail string
	// AdminPassword is set only on the run that generated it.
	AdminPassword string
	DemoLineID    string
}

// bootstrap creates the first admin on an empty store and seeds the demo
// line once.
func bootstrap(ctx context.Context, svc *inbox.Service, cfg Config) (bootInfo, error) {
	info := bootInfo{AdminEmail: cfg.AdminEmail}
	n, err := svc.CountAgents(ctx)
	if err != nil {
		return info, err
	}
	var adminID string
	if n == 0 {
		pw := cfg.AdminPassword
		if pw == "" {
			pw = generatePassword()
			info.AdminPassword = pw
		}
		role, name, lang := inbox.RoleAdmin, "Admin", "en"
		ag, err := svc.CreateAgent(ctx, inbox.System, inbox.AgentInput{Name: &name, Email: &cfg.AdminEmail, Password: &pw, Role: &role, Language: &lang})
		var fe *inbox.FieldError
		switch {
		case errors.As(err, &fe) && fe.Field == "email":
			// Another gateway on the same store started at the same time
			// and created the admin first: theirs it is.
			info.AdminPassword = ""
			if adminID, err = firstAdmin(ctx, svc, cfg.AdminEmail); err != nil {
				return info, err
			}
		case err != nil:
			return info, fmt.Errorf("create first admin: %w", err)
		default:
			adminID = ag.ID
		}
	}
	if cfg.Demo {
		info.DemoLineID, err = seedDemo(ctx, svc, cfg, adminID)
		if err != nil {
			// The admin exists now: its generated password must still be seen.
			return info, err
		}
	}
	return info, nil
}

// seedDemo creates the demo line on the first run and remembers it, so a
// line the admin deleted or renamed is never brought back.
func seedDemo(ctx context.Context, svc *inbox.Service, cfg Config, adminID string) (string, error) {
	meta := svc.Store().Database().Collection("meta")
	var doc struct {
		LineID string `bson:"lineId"`
	}
	err := meta.FindOne(ctx, bson.M{"_id": "demo"}).Decode(&doc)
	if err == nil {
		return doc.LineID, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return "", fmt.Errorf("store: read demo marker: %w", err)
	}
	name := "Demo line"
	agents := []string{}
	if adminID != "" {
		agents = append(agents, adminID)
	}
	ch := inbox.LineChannels{Widget: inbox.WidgetChannel{Enabled: true, AllowedOrigins: []string{cfg.Origin()}}}
	settings := inbox.LineSettings{Greeting: "Hi! How can we help?", RatingTimeoutSeconds: 300}
	l, err := svc.CreateLine(ctx, inbox.System, inbox.LineInput{Name: &name, Channels: &ch, AgentIDs: &agents, Settings: &settings})
	if err != nil {
		return "", fmt.Errorf("create demo line: %w", err)
	}
	if _, err := meta.InsertOne(ctx, bson.M{"_id": "demo", "lineId": l.ID}); mongo.IsDuplicateKeyError(err) {
		// Another gateway on the same store seeded it at the same time:
		// one demo line is enough.
		if _, err := svc.DeleteLine(ctx, inbox.System, l.ID); err != nil {
			return "", fmt.Errorf("delete second demo line: %w", err)
		}
		if err := meta.FindOne(ctx, bson.M{"_id": "demo"}).Decode(&doc); err != nil {
			return "", fmt.Errorf("store: read demo marker: %w", err)
		}
		return doc.LineID, nil
	} else if err != nil {
		return "", fmt.Errorf("store: write demo marker: %w", err)
	}
	return l.ID, nil
}

// firstAdmin finds the admin another gateway created with email.
func firstAdmin(ctx context.Context, svc *inbox.Service, email string) (string, error) {
	agents, err := svc.Agents(ctx)
	if err != nil {
		return "", err
	}
	for _, ag := range agents {
		if strings.EqualFold(ag.Email, email) {
			return ag.ID, nil
		}
	}
	return "", fmt.Errorf("create first admin: %s is taken, but by no agent", email)
}

func generatePassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[n.Int64()]
	}
	return string(b)
}

// printWelcome prints where to go and how to sign in.
func printWelcome(w io.Writer, cfg Config, bound string, b bootInfo) {
	base := cfg.PublicURL
	if _, port, err := net.SplitHostPort(cfg.Addr); err == nil && port == "0" {
		base = "http://" + localURLHost(bound)
	}
	fmt.Fprintf(w, "\nSwitchboard is running on %s (store: %s)\n", base, storeKind(cfg))
	fmt.Fprintf(w, "  Inbox:         %s/\n", base)
	fmt.Fprintf(w, "  REST API:      %s/api/v1  (reference: %s/api/v1/openapi.yaml)\n", base, base)
	if b.AdminPassword != "" {
		fmt.Fprintf(w, "  Admin login:   %s  password: %s\n", b.AdminEmail, b.AdminPassword)
		fmt.Fprintf(w, "                 (generated now and shown only once: change it after signing in)\n")
	} else {
		fmt.Fprintf(w, "  Admin login:   %s  (password as set at first start)\n", b.AdminEmail)
	}
	if b.DemoLineID != "" {
		fmt.Fprintf(w, "  Demo line:     %s\n", b.DemoLineID)
		fmt.Fprintf(w, "  Demo page:     %s/demo  (a page with the demo line's widget)\n", base)
	}
	fmt.Fprintln(w)
}

// loadSecret returns the configured secret, or the one generated at the
// first start and kept in the store, so visitor tokens survive restarts.
func loadSecret(ctx context.Context, svc *inbox.Service, configured string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	meta := svc.Store().Database().Collection("meta")
	var doc struct {
		Value string `bson:"value"`
	}
	err := meta.FindOne(ctx, bson.M{"_id": "secret"}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		doc.Value = generatePassword() + generatePassword()
		if _, err := meta.InsertOne(ctx, bson.M{"_id": "secret", "value": doc.Value}); err != nil && !mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("store: save secret: %w", err)
		}
		err = meta.FindOne(ctx, bson.M{"_id": "secret"}).Decode(&doc)
	}
	if err != nil {
		return nil, fmt.Errorf("store: load secret: %w", err)
	}
	return []byte(doc.Value), nil
}
