package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-chat/switchboard/cmd/internal/gatewayproc"
)

// -nodes N: N gateway processes on one shared store. Each tails the
// store's event log for the other nodes' events, so a visitor on one node
// and an agent on another talk to each other; the bench spreads visitors
// and agents over the nodes round-robin and reports the deliveries that
// crossed nodes apart, with each node's own lag figure from /metrics.

// startNodes starts n gateways with env, one after the other, each on its
// own loopback port with its own data directory. They share the store,
// the admin password and SWITCHBOARD_SECRET (env's), so the first one
// bootstraps the admin on the empty store and the others find it, and a
// session or widget token made by one is good on all. On failure the
// nodes already started are killed.
func startNodes(ctx context.Context, env gatewayproc.Config, n int, tmp string) ([]*gatewayproc.Process, error) {
	var nodes []*gatewayproc.Process
	for i := range n {
		e := env
		if n > 1 {
			e.DataDir = filepath.Join(tmp, fmt.Sprintf("gateway-data-%d", i+1))
		}
		g, err := gatewayproc.Start(ctx, e)
		if err != nil {
			for _, g := range nodes {
				g.Kill()
			}
			return nil, fmt.Errorf("node %d: %w", i+1, err)
		}
		progress("gateway node %d: pid %d on %s", i+1, g.Pid(), g.BaseURL())
		nodes = append(nodes, g)
	}
	return nodes, nil
}

func pidsOf(nodes []*gatewayproc.Process) []int {
	out := make([]int, len(nodes))
	for i, g := range nodes {
		out[i] = g.Pid()
	}
	return out
}

func basesOf(nodes []*gatewayproc.Process) []string {
	out := make([]string, len(nodes))
	for i, g := range nodes {
		out[i] = g.BaseURL()
	}
	return out
}

// The cross-node figures of a gateway's /metrics.
const (
	metricLag        = "switchboard_event_lag_seconds"
	metricFromOthers = "switchboard_events_from_other_nodes_total"
	metricResyncs    = "switchboard_event_resyncs_total"
	metricDropped    = "switchboard_events_dropped_total"
)

var lagMetrics = []string{metricLag, metricFromOthers, metricResyncs, metricDropped}

// nodeLag is one node's cross-node figures around the latency measurement.
type nodeLag struct {
	node        int
	base        string
	before      map[string]float64
	after       map[string]float64
	samples     []float64 // metricLag sampled during the measurement, seconds
	errs        int       // failed scrapes
	scrapeError string
}

func (n *nodeLag) delta(name string) float64 { return n.after[name] - n.before[name] }

// lagSampler reads every node's event lag gauge every so often.
type lagSampler struct {
	nodes  []*nodeLag
	cancel context.CancelFunc
	done   chan struct{}
}

func startLagSampler(ctx context.Context, bases []string, every time.Duration) *lagSampler {
	s := &lagSampler{done: make(chan struct{})}
	for i, b := range bases {
		n := &nodeLag{node: i, base: b}
		m, err := scrapeMetrics(ctx, b, lagMetrics...)
		if err != nil {
			n.errs++
			n.scrapeError = err.Error()
		}
		n.before = m
		s.nodes = append(s.nodes, n)
	}
	sctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-t.C:
			}
			for _, n := range s.nodes {
				m, err := scrapeMetrics(sctx, n.base, metricLag)
				switch v, ok := m[metricLag]; {
				case err == nil && ok:
					n.samples = append(n.samples, v)
				case sctx.Err() == nil:
					n.errs++
					n.scrapeError = fmt.Sprint("no ", metricLag)
					if err != nil {
						n.scrapeError = err.Error()
					}
				}
			}
		}
	}()
	return s
}

// finish stops the sampling and reads every node's figures once more.
func (s *lagSampler) finish(ctx context.Context) []nodeLag {
	s.cancel()
	<-s.done
	out := make([]nodeLag, len(s.nodes))
	for i, n := range s.nodes {
		m, err := scrapeMetrics(ctx, n.base, lagMetrics...)
		if err != nil {
			n.errs++
			n.scrapeError = err.Error()
		}
		n.after = m
		out[i] = *n
	}
	return out
}

func secs(v float64) string { return ms(time.Duration(v * float64(time.Second))) }

// lagLine is one node's event lag: the gauge's last value and, if it was
// sampled, the median and largest sample.
func (n nodeLag) lagLine() string {
	last, ok := n.after[metricLag]
	if !ok {
		return "not read: " + truncate(n.scrapeError, 80)
	}
	s := "last " + secs(last)
	if len(n.samples) > 0 {
		d := slices.Sorted(slices.Values(n.samples))
		s += fmt.Sprintf(" (sampled %d times from the measurement's start to the end of its drain: median %s, max %s)", len(d), secs(d[len(d)/2]), secs(d[len(d)-1]))
	}
	return s
}

// nodesReport is the latency phase's lines about the nodes; "" with one.
func (r latencyResult) nodesReport() string {
	if r.nodes < 2 {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "  %d nodes: visitor i and agent i on node (i mod %d); a delivery is cross-node when the visitor and the conversation's agent are on different nodes\n", r.nodes, r.nodes)
	for _, tag := range []string{tagSame, tagCross} {
		s := r.split[tag]
		if s == nil {
			continue
		}
		fmt.Fprintf(&sb, "    %-10s visitor→agent  %s  (sent %d, undelivered %d)\n", tag, s.v2a, s.v2aSent, s.v2aLost)
		fmt.Fprintf(&sb, "    %-10s agent→visitor  %s  (sent %d, POST failed %d, undelivered %d)\n", tag, s.a2v, s.a2vSent, s.failed, s.a2vLost)
	}
	for _, n := range r.lag {
		fmt.Fprintf(&sb, "    node %d %s: %s %s; %s +%.0f (total %.0f); %s +%.0f; %s +%.0f",
			n.node+1, n.base, metricLag, n.lagLine(), metricFromOthers, n.delta(metricFromOthers), n.after[metricFromOthers],
			metricResyncs, n.delta(metricResyncs), metricDropped, n.delta(metricDropped))
		if n.errs > 0 {
			fmt.Fprintf(&sb, "; %d scrapes failed (last: %s)", n.errs, truncate(n.scrapeError, 120))
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// nodesRow adds the table's nodes line.
func (r *results) nodesRow(row func(name, measured, target, v string)) {
	o := r.opts
	if o.nodes < 2 {
		row("nodes", "1 gateway process", "", "")
		return
	}
	row("nodes", fmt.Sprintf("%d gateway processes on one store; visitors and agents round-robin over them (latency, throughput); size and idle phases on node 1 only", o.nodes), "", "")
}

// crossRows adds, after a latency phase with several nodes, the
// cross-node and same-node figures and each node's event lag.
func (r *results) crossRows(row func(name, measured, target, v string)) {
	l := r.lat
	if l == nil || l.nodes < 2 {
		return
	}
	pp := func(s summary, sent, lost int) string {
		if s.n == 0 {
			return fmt.Sprintf("no deliveries (%d sent)", sent)
		}
		m := fmt.Sprintf("%s / %s (n=%d)", ms(s.p50), ms(s.p99), s.n)
		if lost > 0 {
			m += fmt.Sprintf(", %d of %d undelivered", lost, sent)
		}
		return m
	}
	for _, tag := range []string{tagCross, tagSame} {
		if s := l.split[tag]; s != nil {
			row("("+tag+" visitor → agent p50 / p99)", pp(s.v2a, s.v2aSent, s.v2aLost), "", "")
			row("("+tag+" agent → visitor p50 / p99)", pp(s.a2v, s.a2vSent, s.a2vLost+s.failed), "", "")
		}
	}
	for _, n := range l.lag {
		row(fmt.Sprintf("(node %d: %s)", n.node+1, metricLag), fmt.Sprintf("%s; %.0f events from other nodes", n.lagLine(), n.delta(metricFromOthers)), "", "")
	}
}
