// Command hostpage measures what the one-tag widget costs a web site: it
// serves a 28 KB article page twice — without the widget and with its
// script tag — and loads each in headless Chromium many times, cold
// (cache off), as desktop and as throttled mobile (4× slower CPU, 150 ms
// round trips, 1.6 Mbit/s), the two pages alternately, recording the
// largest contentful paint and the long tasks (over 50 ms) of each load;
// the figure is the median of the paired differences. With the widget it also
// opens the chat and times it from the click until the chat is connected,
// and lists the widget's requests, so a module fetched by its plain URL or
// a chain of round trips shows.
//
//	go run ./cmd/hostpage            # builds and starts the gateway itself
//	go run ./cmd/hostpage -runs 20
//
// It needs Chromium (/usr/bin/chromium). Everything runs on 127.0.0.1.
package main

import (
	"context"
	"flag"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/switchboard-chat/switchboard/cmd/internal/gatewayproc"
)

func main() {
	runs := flag.Int("runs", 10, "loads per page and profile")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the browser")
	flag.Parse()
	if err := run(*runs, *chromium); err != nil {
		fmt.Fprintln(os.Stderr, "hostpage:", err)
		os.Exit(1)
	}
}

func run(runs int, chromium string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	gw, stop, err := startGateway(ctx)
	if err != nil {
		return err
	}
	defer stop()

	host, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("host page listener: %w", err)
	}
	hostURL := "http://" + host.Addr().String()
	line, err := allowOnDemoLine(ctx, gw, hostURL)
	if err != nil {
		return err
	}
	tag := `<script src="` + gw.BaseURL() + `/widget.js" data-line="` + html.EscapeString(line) + `" async></script>`
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		extra := ""
		if r.URL.Path == "/with" {
			extra = tag
		}
		_, _ = io.WriteString(w, article(extra))
	})}
	go func() { _ = srv.Serve(host) }()
	defer srv.Close()

	fmt.Printf("Host page: %d bytes, %d loads per page and profile, Chromium %s\n\n", len(article("")), runs, chromium)
	for _, p := range []profile{desktop, mobile} {
		// The two pages load alternately, so a drift of the machine's
		// speed weighs on both alike; each pair gives one difference.
		var without, with []load
		for i := 0; i < runs; i++ {
			a, err := once(ctx, chromium, p, hostURL+"/without", false)
			if err != nil {
				return fmt.Errorf("%s without the widget, run %d: %w", p.name, i+1, err)
			}
			b, err := once(ctx, chromium, p, hostURL+"/with", i == 0)
			if err != nil {
				return fmt.Errorf("%s with the widget, run %d: %w", p.name, i+1, err)
			}
			without, with = append(without, a), append(with, b)
		}
		report(p, without, with)
	}
	return nil
}

type profile struct {
	name       string
	cpu        float64
	latency    float64 // ms
	throughput float64 // bytes/s
}

var (
	desktop = profile{name: "desktop"}
	mobile  = profile{name: "mobile (4× CPU slowdown, 150 ms RTT, 1.6 Mbit/s)", cpu: 4, latency: 150, throughput: 1.6e6 / 8}
)

// emulateNetwork is DevTools' Network.emulateNetworkConditions, the
// throttling Lighthouse's devtools mode uses.
var emulateNetwork = cdp.Command[emulateNetworkParams, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

type emulateNetworkParams struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

// load is one page load's figures.
type load struct {
	LCP       float64 `json:"lcp"`
	LongTasks int     `json:"longTasks"`
	LongMS    float64 `json:"longMs"`
	Launcher  bool    `json:"launcher"`
	ChatReady float64
	Requests  []string
}

// observe is installed before the page's own scripts: it records the
// largest contentful paint and the long tasks.
const observe = `window.__m = {lcp: 0, longTasks: 0, longMs: 0};
new PerformanceObserver(l => { for (const e of l.getEntries()) window.__m.lcp = e.startTime; }).observe({type: 'largest-contentful-paint', buffered: true});
new PerformanceObserver(l => { for (const e of l.getEntries()) { window.__m.longTasks++; window.__m.longMs += e.duration; } }).observe({type: 'longtask', buffered: true});`

func once(ctx context.Context, chromium string, p profile, url string, openChat bool) (load, error) {
	profileDir, err := os.MkdirTemp("", "hostpage-chromium-*")
	if err != nil {
		return load{}, err
	}
	defer os.RemoveAll(profileDir)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(profileDir), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	tctx, cancelT := context.WithTimeout(bctx, 60*time.Second)
	defer cancelT()

	var mu sync.Mutex
	var reqs []string
	if err := chromedp.Listen(tctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && strings.Contains(e.Request.URL, "/widget") {
			mu.Lock()
			reqs = append(reqs, fmt.Sprintf("%.0f ms  %s", float64(e.Timestamp)*1000, e.Request.URL))
			mu.Unlock()
		}
	}); err != nil {
		return load{}, err
	}
	setup := chromedp.Func(func(c context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(c, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(c, t, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
			return err
		}
		if _, err := cdp.Call(c, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: observe}); err != nil {
			return err
		}
		if p.cpu == 0 {
			return nil
		}
		if _, err := cdp.Call(c, t, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: p.cpu}); err != nil {
			return err
		}
		_, err := cdp.Call(c, t, emulateNetwork, emulateNetworkParams{Latency: p.latency, DownloadThroughput: p.throughput, UploadThroughput: p.throughput})
		return err
	})
	if err := chromedp.Do(tctx, setup); err != nil {
		return load{}, err
	}
	if err := chromedp.Do(tctx, chromedp.Navigate(url), chromedp.Sleep(3*time.Second)); err != nil {
		return load{}, err
	}
	l, err := chromedp.Run(tctx, chromedp.Evaluate[load](`Object.assign({}, window.__m, {launcher: !!document.querySelector('[data-testid="sb-launcher"]')})`))
	if err != nil {
		return load{}, err
	}
	if openChat && l.Launcher {
		start := time.Now()
		err := chromedp.Do(tctx, chromedp.Click(chromedp.CSS(`[data-testid="sb-launcher"]`)),
			chromedp.WaitVisible(chromedp.CSS(`iframe[data-testid="sb-frame"]`)))
		for err == nil {
			// The frame's document (another origin) is reached through its node.
			var nodes []*chromedp.Node
			if nodes, err = chromedp.Run(tctx, chromedp.Nodes(chromedp.CSS(`iframe[data-testid="sb-frame"]`))); err != nil {
				break
			}
			if nodes[0].ContentDocument == nil {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			_, err = chromedp.Run(tctx, chromedp.PollFunction[bool](`() => { const m = document.querySelector('[data-testid="sb-mode"]'); const n = document.querySelector('.sb-net'); return !!(m && m.dataset.mode && n && n.hidden); }`,
				chromedp.WithPollingInFrame(nodes[0]), chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
			break
		}
		if err != nil {
			return load{}, fmt.Errorf("open the chat: %w", err)
		}
		l.ChatReady = float64(time.Since(start).Milliseconds())
		mu.Lock()
		l.Requests = relative(reqs)
		mu.Unlock()
	}
	return l, nil
}

func relative(reqs []string) []string {
	if len(reqs) == 0 {
		return nil
	}
	var t0 float64
	out := make([]string, len(reqs))
	for i, r := range reqs {
		var t float64
		var u string
		_, _ = fmt.Sscanf(r, "%f ms  %s", &t, &u)
		if i == 0 {
			t0 = t
		}
		out[i] = fmt.Sprintf("+%5.0f ms  %s", t-t0, u)
	}
	return out
}

func report(p profile, without, with []load) {
	med := func(ls []load, f func(load) float64) float64 {
		v := make([]float64, len(ls))
		for i, l := range ls {
			v[i] = f(l)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	lcp := func(l load) float64 { return l.LCP }
	lt := func(l load) float64 { return float64(l.LongTasks) }
	lms := func(l load) float64 { return l.LongMS }
	fmt.Printf("%s\n", p.name)
	diffs := make([]load, len(with))
	for i := range with {
		diffs[i].LCP = with[i].LCP - without[i].LCP
	}
	fmt.Printf("  largest contentful paint, median: without %.0f ms, with the widget %.0f ms; median of the paired differences %+.0f ms\n",
		med(without, lcp), med(with, lcp), med(diffs, lcp))
	fmt.Printf("  long tasks, median per load:      without %.0f (%.0f ms), with the widget %.0f (%.0f ms)\n", med(without, lt), med(without, lms), med(with, lt), med(with, lms))
	shown := 0
	for _, l := range with {
		if l.Launcher {
			shown++
		}
	}
	fmt.Printf("  launcher drawn in %d of %d loads\n", shown, len(with))
	if with[0].ChatReady > 0 {
		fmt.Printf("  chat connected %.0f ms after the click (first load); the widget's requests:\n", with[0].ChatReady)
		for _, r := range with[0].Requests {
			fmt.Printf("    %s\n", r)
		}
	}
	fmt.Println()
}

// article is a 28 KB news page; extra goes before </body>.
func article(extra string) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>A long read</title><style>body{font:18px/1.6 Georgia,serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}h1{font:700 2.4rem/1.2 system-ui,sans-serif}</style></head><body><h1>The harbour at dawn: a long read about boats, weather and the people who wait for both</h1>`)
	para := `<p>Before the first ferry leaves, the harbour belongs to the gulls and to the men who mend nets under the yellow lamps. They talk about the wind, about prices, about the boat that came back late last winter. Nobody hurries; the tide decides when the day begins, and everyone here has learned to listen to it.</p>`
	for b.Len() < 28_000-len(extra)-30 {
		b.WriteString(para)
	}
	b.WriteString(extra)
	b.WriteString(`</body></html>`)
	return b.String()
}

// startGateway builds the gateway into a temporary directory and starts
// it with its demo line; stop ends it and removes the directory.
func startGateway(ctx context.Context) (gw *gatewayproc.Process, stop func(), err error) {
	dir, err := os.MkdirTemp("", "hostpage-*")
	if err != nil {
		return nil, nil, fmt.Errorf("temporary directory: %w", err)
	}
	bin, err := gatewayproc.Build(ctx, dir)
	if err == nil {
		gw, err = gatewayproc.Start(ctx, gatewayproc.Config{Bin: bin, DataDir: filepath.Join(dir, "data"),
			AdminPassword: gatewayproc.RandomHex(12), Secret: gatewayproc.RandomHex(32), Demo: true, Logger: slog.Default()})
	}
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	return gw, func() {
		gw.Kill()
		if err := os.RemoveAll(dir); err != nil {
			slog.Warn("remove the gateway's directory", "dir", dir, "err", err)
		}
	}, nil
}

// demoLine is the name the gateway gives the line it seeds.
const demoLine = "Demo line"

// allowOnDemoLine adds origin to the demo line's allowed origins, as an
// admin would, and returns the line's id.
func allowOnDemoLine(ctx context.Context, gw *gatewayproc.Process, origin string) (string, error) {
	admin, err := gw.SignIn(ctx, nil)
	if err != nil {
		return "", err
	}
	var lines struct {
		Items []struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Channels struct {
				Widget struct {
					AllowedOrigins []string `json:"allowedOrigins"`
				} `json:"widget"`
			} `json:"channels"`
		} `json:"items"`
	}
	if err := admin.Call(ctx, http.MethodGet, "/api/v1/lines", nil, http.StatusOK, &lines); err != nil {
		return "", fmt.Errorf("list the lines: %w", err)
	}
	for _, l := range lines.Items {
		if l.Name != demoLine {
			continue
		}
		widget := map[string]any{"enabled": true, "allowedOrigins": append(l.Channels.Widget.AllowedOrigins, origin)}
		if err := admin.Call(ctx, http.MethodPatch, "/api/v1/lines/"+l.ID, map[string]any{"channels": map[string]any{"widget": widget}}, http.StatusOK, nil); err != nil {
			return "", fmt.Errorf("allow %s on the demo line: %w", origin, err)
		}
		return l.ID, nil
	}
	return "", fmt.Errorf("the gateway has no line named %q", demoLine)
}
