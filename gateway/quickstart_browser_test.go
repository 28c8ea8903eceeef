package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// quickStart is what the README's quick start tells a newcomer: the two
// commands, and the banner lines they then read.
type quickStart struct {
	run, test string
}

// readQuickStart takes the commands from the README's quick start: the
// first sh block after "## Quick start", one command a line (comments
// after # dropped).
func readQuickStart(t *testing.T) quickStart {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i := strings.Index(readme, "## Quick start")
	if i < 0 {
		t.Fatal("README.md has no \"## Quick start\" section")
	}
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(readme[i:])
	if block == nil {
		t.Fatal("the quick start has no sh block")
	}
	var cmds []string
	for _, l := range strings.Split(block[1], "\n") {
		if c := strings.TrimSpace(strings.SplitN(l, "#", 2)[0]); c != "" {
			cmds = append(cmds, c)
		}
	}
	if len(cmds) != 2 {
		t.Fatalf("the quick start has %d commands, want two (run, test): %q", len(cmds), cmds)
	}
	return quickStart{run: cmds[0], test: cmds[1]}
}

// TestQuickStart walks the README's quick start as a newcomer would: the
// run command starts the gateway (here the same package, built once for
// all tests, on a free port and a temporary data directory instead of
// :8080 and ./data), the banner gives the inbox, the admin's password and
// the demo page; the admin signs in through the form, goes online, opens
// the demo page in another window, and both chat.
func TestQuickStart(t *testing.T) {
	qs := readQuickStart(t)
	if qs.run != "go run ./gateway" || qs.test != "go test ./..." {
		t.Fatalf("the README's quick start says %q and %q; this test walks `go run ./gateway` and `go test ./...`: update one or the other", qs.run, qs.test)
	}
	chromium := requireChromium(t)
	bin := buildBinary(t) // what `go run ./gateway` builds
	srv := startServer(t, bin, t.TempDir())

	// The banner, as the README shows it.
	banner := map[string]*regexp.Regexp{
		"inbox": regexp.MustCompile(`(?m)^\s*Inbox:\s+(\S+)\s*$`),
		"login": regexp.MustCompile(`(?m)^\s*Admin login:\s+(\S+)\s+password: (\S+)\s*$`),
		"demo":  regexp.MustCompile(`(?m)^\s*Demo page:\s+(\S+)\s`),
	}
	found := map[string][]string{}
	deadline := time.Now().Add(5 * time.Second)
	for len(found) < len(banner) {
		out := srv.stdout.String()
		for k, re := range banner {
			if m := re.FindStringSubmatch(out); m != nil {
				found[k] = m
			}
		}
		if len(found) < len(banner) && time.Now().After(deadline) {
			t.Fatalf("the start-up banner lacks what the README promises (inbox, admin login with password, demo page):\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	inboxURL, email, password, demoURL := found["inbox"][1], found["login"][1], found["login"][2], found["demo"][1]
	if !strings.HasPrefix(inboxURL, "http://") || !strings.HasSuffix(demoURL, "/demo") {
		t.Fatalf("banner: inbox %q, demo page %q", inboxURL, demoURL)
	}
	// The banner names the host as a browser here reaches it (localhost).
	if !strings.HasPrefix(srv.base, "http://127.0.0.1:") || !strings.Contains(inboxURL, srv.base[len("http://127.0.0.1"):]) {
		t.Fatalf("the banner's inbox %q is not the gateway on %s", inboxURL, srv.base)
	}

	admin := newBrowser(t, chromium, "admin")
	visitor := newBrowser(t, chromium, "visitor")

	// "Open the inbox, sign in and set yourself online".
	admin.do("open the inbox", 20*time.Second,
		chromedp.Navigate(inboxURL),
		chromedp.WaitVisible(chromedp.CSS(brTID("login-email"))))
	admin.do("sign in with the printed password", 10*time.Second,
		chromedp.SendKeys(chromedp.CSS(brTID("login-email")), email),
		chromedp.SendKeys(chromedp.CSS(brTID("login-password")), password),
		chromedp.Click(chromedp.CSS(brTID("login-submit"))),
		chromedp.WaitVisible(chromedp.CSS(brTID("presence"))))
	brEval[bool](admin, nil, "go online", `(() => {
		const s = document.querySelector('[data-testid="presence"]');
		s.value = "online";
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`)

	// "open the demo page in another window and chat with yourself".
	visitor.do("open the demo page", 20*time.Second,
		chromedp.Navigate(demoURL),
		chromedp.WaitVisible(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.Click(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.WaitVisible(chromedp.CSS("iframe"+brTID("sb-frame"))))
	frame := widgetFrame(t, visitor)
	visitor.waitFor(frame, "the widget is in live mode once the admin is online",
		`document.querySelector('[data-testid="sb-mode"]').dataset.mode === "live"`, 10*time.Second)
	const hello = "Hello from the demo page, is anybody there?"
	visitor.do("type", 10*time.Second, brType(brTID("sb-input"), hello, frame)...)
	visitor.do("send", 5*time.Second, chromedp.Click(chromedp.CSS(brTID("sb-send")), chromedp.FromNode(frame)))

	admin.waitFor(nil, "the conversation reaches the admin", `document.querySelector('[data-testid="conv-list"] [data-testid="conv-item"]')`, 10*time.Second)
	admin.do("open it", 10*time.Second,
		chromedp.Click(chromedp.CSS(`[data-testid="conv-list"] [data-testid="conv-item"]`)),
		chromedp.WaitVisible(chromedp.CSS(brTID("messages"))))
	admin.waitFor(nil, "the visitor's message in the inbox",
		messageTextsJS(`[data-testid="messages"] [data-testid="message"][data-author="contact"]`, "p.text")+`.includes(`+brJS(hello)+`)`, 5*time.Second)
	admin.do("press Answer", 10*time.Second,
		chromedp.WaitVisible(chromedp.CSS(brTID("btn-accept"))),
		chromedp.Click(chromedp.CSS(brTID("btn-accept"))))
	const reply = "Yes — you are talking to yourself, and it works."
	agentSend(t, admin, reply)
	visitor.waitFor(frame, "the reply reaches the demo page",
		messageTextsJS(`[data-testid="sb-message"][data-author="agent"]`, ".sb-bubble")+`.includes(`+brJS(reply)+`)`, 5*time.Second)

	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
}
