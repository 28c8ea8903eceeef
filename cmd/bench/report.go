package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/cmd/internal/gatewayproc"
)

// results gathers every phase's figures for the final table.
type results struct {
	opts      benchOpts
	fdLimit   uint64
	storeDesc string
	source    string // which gateway was measured
	size      *sizeResult
	lat       *latencyResult
	tp        *throughputResult
	idle      *idleResult
	notes     []string
	logs      []string
}

// collectLogs keeps the gateway's warnings and errors for the report.
func (r *results) collectLogs(g *gatewayproc.Process, run string) {
	warn, errs := g.LogLines()
	if len(warn)+len(errs) == 0 {
		return
	}
	r.logs = append(r.logs, fmt.Sprintf("%s: the gateway logged %d ERROR and %d WARN lines", run, len(errs), len(warn)))
	for i, l := range append(errs, warn...) {
		if i == 5 {
			break
		}
		r.logs = append(r.logs, "    "+truncate(l, 300))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "**FAIL**"
}

const p99Target = 50 * time.Millisecond

// table is the final Markdown summary.
func (r *results) table() string {
	var sb strings.Builder
	o := r.opts
	fmt.Fprintf(&sb, "\n## Switchboard widget bench\n\n")
	fmt.Fprintf(&sb, "nodes=%d visitors=%d agents=%d rate=%.0f/s each way duration=%s idle=%d tp-conc=%d tp-duration=%s; store: %s\n",
		o.nodes, o.visitors, o.agents, o.rate, o.duration, o.idle, o.tpConc, o.tpDuration, r.storeDesc)
	fmt.Fprintf(&sb, "gateway: %s; machine: %d CPUs, load average at the end %s\n\n", r.source, runtime.NumCPU(), loadAvg())
	fmt.Fprintf(&sb, "| figure | measured | target | verdict |\n|---|---|---|---|\n")
	row := func(name, measured, target, v string) {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s |\n", name, measured, target, v)
	}
	r.nodesRow(row)
	if l := r.lat; l != nil {
		dir := func(name string, s summary, sent, lost int) {
			if s.n == 0 {
				row(name, "no deliveries", "p99 < 50 ms", "**FAIL**")
				return
			}
			row(name+" p50", ms(s.p50), "", "")
			ok := s.p99 < p99Target && lost == 0
			m := ms(s.p99)
			if lost > 0 {
				m += fmt.Sprintf(" (%d of %d undelivered)", lost, sent)
			}
			row(name+" p99", m, "< 50 ms", verdict(ok))
		}
		dir("visitor → agent", l.v2a, l.v2aSent, l.v2aLost+l.refused)
		dir("agent → visitor", l.a2v, l.a2vSent, l.a2vLost+l.a2vFailed)
		if l.storedNotPushed > 0 {
			row("(agent → visitor undelivered but stored)", fmt.Sprintf("%d of %d checked; %d of them overtaken by a later seq on the visitor's socket (the widget skips a seq not above the last it sent on that socket)",
				l.storedNotPushed, l.checked, l.overtaken), "", "")
		}
		if l.v2aDups+l.a2vDups > 0 {
			row("(messages delivered twice)", fmt.Sprintf("visitor → agent %d, agent → visitor %d", l.v2aDups, l.a2vDups), "", "")
		}
		row("(visitor send → ack p50 / p99)", ms(l.ack.p50)+" / "+ms(l.ack.p99), "", "")
		row("(agent POST → 201 p50 / p99)", ms(l.post.p50)+" / "+ms(l.post.p99), "", "")
		r.crossRows(row)
	} else {
		row("latency", "not measured", "p99 < 50 ms", "—")
	}
	if t := r.tp; t != nil {
		row("gateway: visitor sends acked", fmt.Sprintf("%.1f msg/s (%d in flight)", t.gatewayRate, t.conc), "", "")
		if t.rawErr != "" {
			row("raw store inserts", "failed: "+truncate(t.rawErr, 80), "", "")
		} else {
			row("raw store inserts (driver, same store)", fmt.Sprintf("%.1f docs/s (%d in flight)", t.raw, t.conc), "", "")
			row("ratio gateway / raw", fmt.Sprintf("%.3f", t.ratio()), "> 0.8", verdict(t.ratio() > 0.8))
		}
		if t.serialRaw > 0 {
			row("(one in flight: gateway / raw)", fmt.Sprintf("%.1f msg/s / %.1f docs/s = %.3f", t.serialGw, t.serialRaw, t.serialGw/t.serialRaw), "", "")
		}
	} else {
		row("throughput ratio", "not measured", "> 0.8", "—")
	}
	if i := r.idle; i != nil && i.opened > 0 {
		row(fmt.Sprintf("gateway RSS per idle widget websocket (%d open)", i.opened),
			fmt.Sprintf("%.1f KiB (VmRSS %d → %d KiB)", i.perConnKiB(), i.rssBefore, i.rssAfter), "< 16 KiB", verdict(i.perConnKiB() < 16))
		if i.heapOK {
			row("(Go heap in use per idle websocket)", fmt.Sprintf("%.1f KiB", i.heapPerConnKiB()), "", "")
			row("(goroutines per idle websocket)", fmt.Sprintf("%.2f", (i.gorAfter-i.gorBefore)/float64(i.opened)), "", "")
		}
	} else {
		row("memory per idle websocket", "not measured", "< 16 KiB", "—")
	}
	if z := r.size; z != nil && z.err == "" {
		kib := func(n, limit int) string {
			v := "fails"
			if n < limit*1024 {
				v = "passes"
			}
			return fmt.Sprintf("%s %d KiB = %d B", v, limit, limit*1024)
		}
		row("loader /widget.js, gzip body", fmt.Sprintf("%d B (%d B with headers; %s)", z.loader.body, z.loader.wire, kib(z.loader.body, 3)),
			"< 3 KB (3,000 B)", verdict(z.loader.body < 3000))
		row(fmt.Sprintf("full widget: frame + %d assets, gzip bodies", len(z.files)-1),
			fmt.Sprintf("%d B (%d B with headers; %s)", z.widgetBody(), z.widgetWire(), kib(z.widgetBody(), 20)), "< 20 KB (20,000 B)", verdict(z.widgetBody() < 20000))
	} else {
		row("sizes", "not measured", "", "—")
	}
	sb.WriteString("\n")
	for _, n := range append(r.notes, r.logs...) {
		sb.WriteString("- " + n + "\n")
	}
	return sb.String()
}

// tail is the last n lines of s, joined with " | ".
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i := range lines {
		lines[i] = truncate(lines[i], 300)
	}
	return strings.Join(lines, " | ")
}
