package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBusinessHoursInTheBrowser sets a line's business hours in the
// console, as an admin would — weekdays 09:00–17:00 and today closed as a
// holiday — sees the preview of the next changes, saves them, and finds
// the line's widget in messenger mode (though the admin is online) saying
// when the line opens again.
func TestBusinessHoursInTheBrowser(t *testing.T) {
	chromium := requireChromium(t)
	bin := buildBinary(t)
	srv := startServer(t, bin, t.TempDir())
	boot := srv.welcome(t)
	api := newClient(t, "admin API", srv.base)
	api.login(boot.adminEmail, boot.adminPassword)
	api.expect("PATCH", "/api/v1/me", map[string]any{"presence": "online"}, http.StatusOK, nil)

	admin := newBrowser(t, chromium, "admin")
	signIn(t, admin, srv.base, boot.adminEmail, boot.adminPassword)
	admin.do("open the demo line's settings", 15*time.Second,
		chromedp.Navigate(srv.base+"/#/settings/lines/"+boot.demoLineID),
		chromedp.WaitVisible(chromedp.CSS(brTID("line-editor"))))
	today := time.Now().UTC().Format("2006-01-02")
	admin.do("switch business hours on, Monday 09:00–17:00, copied to the weekdays", 15*time.Second,
		chromedp.Click(chromedp.CSS(brTID("hours-enabled"))),
		chromedp.Click(chromedp.CSS(brTID("hours-add-span-mon"))),
		chromedp.Click(chromedp.CSS(brTID("hours-copy-weekdays"))),
		chromedp.Click(chromedp.CSS(brTID("hours-exception-add"))))
	clearInput(admin, "hours-tz")
	admin.do("the time zone", 5*time.Second, chromedp.SendKeys(chromedp.CSS(brTID("hours-tz")), "UTC"))
	brEval[bool](admin, nil, "today is a holiday", `(() => {
		const d = document.querySelector('[data-testid="hours-exception-date"]');
		d.value = `+brJS(today)+`;
		d.dispatchEvent(new Event('input', { bubbles: true }));
		d.dispatchEvent(new Event('change', { bubbles: true }));
		return true;
	})()`)
	admin.waitFor(nil, "the preview: closed now, opening next on a weekday at 09:00",
		`(() => {
			const now = document.querySelector('[data-testid="hours-preview-now"]');
			const next = [...document.querySelectorAll('[data-testid="hours-preview-next"] [data-open]')];
			if (!now || now.dataset.open !== 'false' || next.length < 4) return false;
			const first = new Date(next[0].dataset.at);
			return next[0].dataset.open === 'true' && first.getUTCHours() === 9 && first.getUTCMinutes() === 0 &&
				first.getUTCDay() >= 1 && first.getUTCDay() <= 5 && next[1].dataset.open === 'false';
		})()`, 10*time.Second)
	admin.do("save the line", 10*time.Second, chromedp.Click(chromedp.CSS(brTID("line-save"))))
	admin.waitFor(nil, "saved", `document.querySelector('[data-testid="line-saved"]').textContent !== ''`, 10*time.Second)

	var line struct {
		BusinessHours struct {
			Enabled    bool                           `json:"enabled"`
			TimeZone   string                         `json:"timeZone"`
			Days       map[string][]map[string]string `json:"days"`
			Exceptions []map[string]any               `json:"exceptions"`
		} `json:"businessHours"`
	}
	api.expect("GET", "/api/v1/lines/"+boot.demoLineID, nil, http.StatusOK, &line)
	bh := line.BusinessHours
	open := 0
	for _, spans := range bh.Days {
		if len(spans) > 0 {
			open++
		}
	}
	if !bh.Enabled || bh.TimeZone != "UTC" || open != 5 || len(bh.Days["fri"]) != 1 || bh.Days["fri"][0]["from"] != "09:00" ||
		len(bh.Exceptions) != 1 || bh.Exceptions[0]["date"] != today || bh.Exceptions[0]["closed"] != true {
		t.Fatalf("saved hours: %+v", bh)
	}

	// The demo page's widget: closed today, though the admin is online.
	visitor := newBrowser(t, chromium, "visitor")
	visitor.do("open the demo page's chat", 20*time.Second,
		chromedp.Navigate(srv.base+"/demo"),
		chromedp.WaitVisible(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.Click(chromedp.CSS(brTID("sb-launcher"))),
		chromedp.WaitVisible(chromedp.CSS("iframe"+brTID("sb-frame"))))
	frame := widgetFrame(t, visitor)
	visitor.waitFor(frame, "messenger mode, saying when the line opens again",
		`document.querySelector('[data-testid="sb-mode"]').dataset.mode === 'messenger' &&
		 !document.querySelector('[data-testid="sb-opens-at"]').hidden &&
		 /09:00|9:00/.test(document.querySelector('[data-testid="sb-opens-at"]').textContent)`, 15*time.Second)
	said := brEval[string](visitor, frame, "the opening line", `document.querySelector('[data-testid="sb-opens-at"]').textContent`)
	t.Logf("the widget says: %q", said)
	if strings.TrimSpace(said) == "" {
		t.Error("the widget says nothing about the opening")
	}
	srv.stop(t)
	if errs := errorLogLines(srv.stderr.String()); len(errs) > 0 {
		t.Errorf("the gateway logged errors:\n%s", strings.Join(errs, "\n"))
	}
}
