package main

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigDefaults(t *testing.T) {
	c, err := LoadConfig(envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.MongoURI != "" || c.DataDir != "./data" || c.PublicURL != "http://localhost:8080" ||
		c.BodyLimit != 1<<20 || c.SessionTTL != 7*24*time.Hour || !c.Demo || c.LogLevel != "info" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.CookieSecure() {
		t.Fatal("cookies must not be Secure on plain http")
	}
}

func TestConfigReadsValuesAndFiles(t *testing.T) {
	files := map[string]string{"/run/secrets/pw": "s3cret-password\n", "/run/secrets/uri": "mongodb://db:27017/?replicaSet=rs0"}
	read := func(p string) ([]byte, error) {
		if v, ok := files[p]; ok {
			return []byte(v), nil
		}
		return nil, fs.ErrNotExist
	}
	c, err := LoadConfig(envOf(map[string]string{
		"SWITCHBOARD_ADDR": "127.0.0.1:9000", "SWITCHBOARD_PUBLIC_URL": "https://chat.example.com/",
		"SWITCHBOARD_ADMIN_PASSWORD_FILE": "/run/secrets/pw", "MONGODB_URI_FILE": "/run/secrets/uri",
		"SWITCHBOARD_BODY_LIMIT": "2MiB", "SWITCHBOARD_LOGIN_WINDOW": "5m", "SWITCHBOARD_DEMO": "false",
	}), read)
	if err != nil {
		t.Fatal(err)
	}
	if c.AdminPassword != "s3cret-password" || c.MongoURI != "mongodb://db:27017/?replicaSet=rs0" ||
		c.BodyLimit != 2<<20 || c.LoginWindow != 5*time.Minute || c.Demo || c.PublicURL != "https://chat.example.com" || !c.CookieSecure() {
		t.Fatalf("config: %+v", c)
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	for name, value := range map[string]string{
		"SWITCHBOARD_ADDR":                   "8080",
		"MONGODB_URI":                        "postgres://x",
		"SWITCHBOARD_PUBLIC_URL":             "ftp://x",
		"SWITCHBOARD_ADMIN_PASSWORD":         "short",
		"SWITCHBOARD_LOG_LEVEL":              "loud",
		"SWITCHBOARD_LOG_FORMAT":             "xml",
		"SWITCHBOARD_SHUTDOWN_TIMEOUT":       "soon",
		"SWITCHBOARD_BODY_LIMIT":             "lots",
		"SWITCHBOARD_LOGIN_MAX_FAILURES":     "0",
		"SWITCHBOARD_DEMO":                   "maybe",
		"SWITCHBOARD_CLOSE_EXPIRED_SCHEDULE": "every now and then",
		"SWITCHBOARD_ADMIN_PASSWORD_FILE":    "/nonexistent",
		"SWITCHBOARD_AUTO_CLOSE_SCHEDULE":    "hourly-ish",
		"SWITCHBOARD_REOFFER_SCHEDULE":       "often",
		"SWITCHBOARD_LEASE_TTL":              "1s",
		"SWITCHBOARD_SMTP_URL":               "mail.example.com",
		"SWITCHBOARD_SMTP_FROM":              "noreply@example.com", // without a server
	} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadConfig(envOf(map[string]string{name: value}), func(string) ([]byte, error) { return nil, errors.New("no such file") })
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("%s=%q: error %v does not name the variable", name, value, err)
			}
		})
	}
}

func TestConfigRefusesValueAndFileTogether(t *testing.T) {
	_, err := LoadConfig(envOf(map[string]string{"MONGODB_URI": "mongodb://a", "MONGODB_URI_FILE": "/x"}), func(string) ([]byte, error) { return []byte("mongodb://b"), nil })
	if err == nil || !strings.Contains(err.Error(), "MONGODB_URI_FILE") {
		t.Fatalf("err = %v", err)
	}
}
