// Command bench measures the whole system end to end — the gateway with
// its inbox and widget — against a real gateway process: message latency
// both ways (visitor widget ↔ agent inbox) under steady load, gateway
// message throughput against the raw store, memory per idle visitor
// websocket and the widget's transferred size. It builds and starts the
// gateway itself, on 127.0.0.1 only, and stops it at the end.
//
//	go run ./cmd/bench            # full run (a few minutes)
//	go run ./cmd/bench -quick     # 100 visitors, 5 agents, 10 s, 1,000 idle
//	go run ./cmd/bench -quick -phases latency -nodes 2   # two gateways on one store
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/switchboard-chat/switchboard/cmd/internal/gatewayproc"
	"github.com/switchboard-chat/switchboard/inbox/embedded"
)

type benchOpts struct {
	visitors, agents, idle, tpConc int
	nodes                          int
	rate                           float64
	duration, tpDuration, timeout  time.Duration
	warmupLimit                    time.Duration
	gateway, store, mongoURI       string
	origin, phases, cpuProfile     string
	quick, traceStore              bool
}

func parseFlags() benchOpts {
	var o benchOpts
	flag.IntVar(&o.visitors, "visitors", 1000, "connected visitors during the latency phase")
	flag.IntVar(&o.agents, "agents", 20, "online agents in the line's queue")
	flag.IntVar(&o.nodes, "nodes", 1, "gateway processes on the one store (needs -store shared or -mongodb-uri when > 1); visitors and agents are spread over them round-robin")
	flag.Float64Var(&o.rate, "rate", 20, "messages per second in each direction during the latency phase")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long latency is measured")
	flag.IntVar(&o.idle, "idle", 10000, "idle visitor websockets for the memory figure")
	flag.IntVar(&o.tpConc, "tp-conc", 100, "visitors sending in parallel (one message in flight each) in the throughput phase; also the raw insert concurrency")
	flag.DurationVar(&o.tpDuration, "tp-duration", 5*time.Second, "length of each throughput measurement")
	flag.DurationVar(&o.timeout, "timeout", 45*time.Minute, "the whole bench stops after this")
	flag.DurationVar(&o.warmupLimit, "warmup-timeout", 15*time.Minute, "the warm-up stops sending after this and the run goes on with the visitors warmed so far")
	flag.StringVar(&o.gateway, "gateway", "", "gateway binary (default: go build ./gateway into a temp dir)")
	flag.StringVar(&o.store, "store", "shared", "shared: the bench starts an embedded engine and gives it to the gateway as MONGODB_URI; own: the gateway starts its own embedded store (raw inserts then go to a separate engine instance)")
	flag.StringVar(&o.mongoURI, "mongodb-uri", "", "use this MongoDB for the gateway and the raw inserts instead of an embedded engine")
	flag.StringVar(&o.origin, "origin", "https://shop.example.com", "the host page origin the line allows and the visitors send")
	flag.StringVar(&o.phases, "phases", "size,latency,throughput,idle", "phases to run")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write the bench process's CPU profile (clients and, with -store shared, the embedded engine) to this file")
	flag.BoolVar(&o.traceStore, "trace-store", false, "with -store shared: put a wire-protocol proxy between gateway and store and report the gateway's store calls by command and collection (adds a loopback hop)")
	flag.BoolVar(&o.quick, "quick", false, "quick mode: 100 visitors, 5 agents, 10s, 1,000 idle (explicit flags still win)")
	flag.Parse()
	if o.quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quick := map[string]func(){
			"visitors": func() { o.visitors = 100 }, "agents": func() { o.agents = 5 },
			"duration": func() { o.duration = 10 * time.Second }, "idle": func() { o.idle = 1000 },
			"tp-duration": func() { o.tpDuration = 3 * time.Second }, "tp-conc": func() { o.tpConc = 50 },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
	}
	return o
}

func (o benchOpts) has(phase string) bool {
	for _, p := range strings.Split(o.phases, ",") {
		if strings.TrimSpace(p) == phase {
			return true
		}
	}
	return false
}

var benchStart = time.Now()

// tracer is the -trace-store proxy, or nil.
var tracer *storeTracer

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(benchStart).Seconds(), fmt.Sprintf(format, args...))
}

// raiseNoFile lifts the soft open-files limit to the hard one.
func raiseNoFile() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}

func main() {
	o := parseFlags()
	if o.store != "shared" && o.store != "own" {
		fmt.Fprintln(os.Stderr, "bench: -store is shared or own")
		os.Exit(2)
	}
	if o.visitors < 1 || o.agents < 1 || o.rate <= 0 || o.duration <= 0 || o.tpConc < 1 || o.nodes < 1 {
		fmt.Fprintln(os.Stderr, "bench: -visitors, -agents, -tp-conc, -nodes must be ≥ 1; -rate and -duration > 0")
		os.Exit(2)
	}
	if o.nodes > 1 && o.store == "own" && o.mongoURI == "" {
		fmt.Fprintln(os.Stderr, "bench: -nodes > 1 needs one store for all the gateways: use -store shared (the bench's embedded engine) or -mongodb-uri; with -store own each gateway would start its own embedded store and they would not see each other")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	os.Exit(run(ctx, o))
}

func run(ctx context.Context, o benchOpts) int {
	r := &results{opts: o}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	limit, err := raiseNoFile()
	if err != nil {
		progress("cannot raise RLIMIT_NOFILE: %v", err)
	}
	r.fdLimit = limit
	// Idle sockets are opened after the latency clients are closed: the
	// bench needs one descriptor per socket plus its store connections.
	if need := uint64(max(o.visitors, o.idle)) + 512; limit < need {
		fmt.Printf("WARNING: RLIMIT_NOFILE hard limit is %d, below the %d descriptors this run needs; ", limit, need)
		if limit > uint64(o.visitors)+512 && o.idle > int(limit)-512 {
			o.idle = int(limit) - 512
			fmt.Printf("the idle phase is cut to %d sockets. Raise the limit (ulimit -Hn) for the full figure.\n", o.idle)
		} else {
			fmt.Println("expect failures. Raise the limit (ulimit -Hn).")
		}
		r.opts = o
	}
	tmp, err := os.MkdirTemp("", "switchboard-bench-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	// Hard stop: whatever hangs, the bench ends shortly after -timeout.
	var (
		gwMu  sync.Mutex
		gwAll []*gatewayproc.Process // the gateways running
	)
	setGateways := func(gs ...*gatewayproc.Process) {
		gwMu.Lock()
		gwAll = gs
		gwMu.Unlock()
	}
	killGateways := func() {
		gwMu.Lock()
		defer gwMu.Unlock()
		for _, g := range gwAll {
			g.Kill()
		}
	}
	watchdog := time.AfterFunc(o.timeout+45*time.Second, func() {
		fmt.Fprintln(os.Stderr, "bench: over time, killing the gateways and exiting")
		killGateways()
		os.Exit(3)
	})
	defer watchdog.Stop()

	// The store.
	uri, rawURI := o.mongoURI, o.mongoURI
	switch {
	case o.mongoURI != "":
		r.storeDesc = "MongoDB at -mongodb-uri (gateway and raw inserts)"
	default:
		dir := filepath.Join(tmp, "bench-db")
		emb, err := embedded.Start(ctx, dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: embedded store:", err)
			return 1
		}
		defer func() {
			if err := emb.Close(); err != nil {
				progress("close embedded store: %v", err)
			}
		}()
		rawURI = emb.URI()
		if o.store == "own" {
			r.storeDesc = "gateway: its own embedded FerretDB/SQLite (MONGODB_URI unset); raw inserts: a separate embedded engine started by the bench"
		} else {
			uri = emb.URI()
			r.storeDesc = "embedded FerretDB 1.24/SQLite started by the bench (embedded.Start), shared with the gateway via MONGODB_URI=" + uri
			if o.traceStore {
				u, err := url.Parse(uri)
				if err == nil {
					tracer, err = startTracer(u.Host)
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "bench: store tracer:", err)
					return 1
				}
				defer tracer.close()
				uri = "mongodb://" + tracer.addr() + "/"
				r.storeDesc += " (gateway through the -trace-store proxy)"
			}
		}
	}
	progress("store: %s", r.storeDesc)

	bin := o.gateway
	r.source = "the binary given with -gateway " + bin
	if bin == "" {
		progress("building ./gateway")
		if bin, r.source, err = buildGateway(ctx, tmp); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 1
		}
	}
	progress("gateway: %s", r.source)
	env := gatewayproc.Config{Bin: bin, DataDir: filepath.Join(tmp, "gateway-data"), MongoURI: uri,
		AdminPassword: "bench-admin-" + gatewayproc.RandomHex(8), Secret: gatewayproc.RandomHex(32)}
	nodes, err := startNodes(ctx, env, o.nodes, tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	g := nodes[0]
	setGateways(nodes...)
	defer killGateways()

	b := newBus()
	s, err := createSetup(ctx, nodes, o.agents, o.origin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: setup:", err)
		return 1
	}
	for _, a := range s.agents {
		a.start(b)
		select {
		case <-a.ready:
		case <-time.After(30 * time.Second):
			fmt.Fprintln(os.Stderr, "bench: an agent websocket sent no ready frame within 30s")
			return 1
		}
	}
	progress("line %s with %d online agents", s.lineID, len(s.agents))

	if o.has("size") {
		if len(nodes) > 1 {
			progress("size phase: against node 1 only")
		}
		sz := runSize(ctx, g.BaseURL(), s.lineID, o.origin)
		r.size = &sz
		fmt.Print(sz.report())
	}

	var vs []*visitorClient
	if o.has("latency") || o.has("throughput") {
		vs, err = phaseLatency(ctx, o, nodes, s, b, r)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: latency:", err)
			r.notes = append(r.notes, "latency phase failed: "+err.Error())
		}
	}
	if o.has("throughput") && len(vs) > 0 && ctx.Err() == nil {
		tp := phaseThroughput(ctx, o, pidsOf(nodes), vs, rawURI, r.storeDesc)
		r.tp = &tp
		fmt.Print(tp.report())
	}
	for _, v := range vs {
		v.close()
	}
	for _, a := range s.agents {
		a.close()
	}
	for i, g := range nodes {
		name := "first run"
		if len(nodes) > 1 {
			name = fmt.Sprintf("first run, node %d", i+1)
		}
		r.collectLogs(g, name)
		took, err := g.Stop()
		progress("gateway %d stopped in %s (err %v)", i+1, took.Round(time.Millisecond), err)
		if err != nil {
			r.notes = append(r.notes, fmt.Sprintf("%s: gateway stop: %v; its last log lines: %s", name, err, tail(g.Stderr(), 3)))
		}
	}

	if o.has("idle") && ctx.Err() == nil {
		// A fresh process: memory freed by the earlier phases would
		// otherwise be reused by the idle sockets and hide their cost. And
		// a fresh database on the same store: with the earlier phases'
		// conversations every session and hello scans them, which costs
		// minutes and measures nothing about memory.
		env2 := env
		env2.Database = "switchboard_idle"
		env2.DataDir = filepath.Join(tmp, "gateway-data-idle")
		g2, err := gatewayproc.Start(ctx, env2)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: restart:", err)
			return 1
		}
		setGateways(g2)
		progress("gateway restarted for the idle phase (database switchboard_idle, one node): pid %d", g2.Pid())
		s2, err := createSetup(ctx, []*gatewayproc.Process{g2}, 0, o.origin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: idle setup:", err)
			return 1
		}
		idle, ivs := runIdle(ctx, g2, s2.lineID, o.origin, o.idle, b)
		idle.benchFDLimit = limit
		r.idle = &idle
		fmt.Print(idle.report())
		for _, v := range ivs {
			if v != nil {
				v.close()
			}
		}
		r.collectLogs(g2, "idle run")
		took, err := g2.Stop()
		progress("gateway stopped in %s (err %v)", took.Round(time.Millisecond), err)
		if err != nil {
			r.notes = append(r.notes, fmt.Sprintf("gateway stop after idle phase: %v; its last log lines: %s", err, tail(g2.Stderr(), 3)))
		}
	}
	if ctx.Err() != nil {
		r.notes = append(r.notes, "the bench was cut short: "+ctx.Err().Error())
	}
	fmt.Print(r.table())
	return 0
}

// phaseLatency opens the visitors, warms up, and measures (a).
func phaseLatency(ctx context.Context, o benchOpts, nodes []*gatewayproc.Process, s *setup, b *bus, r *results) ([]*visitorClient, error) {
	progress("opening %d visitors on %d node(s)", o.visitors, len(nodes))
	vs, sessT, connT, err := openVisitors(ctx, nodes, s.lineID, o.origin, o.visitors, b)
	if err != nil {
		return vs, err
	}
	progress("warm-up: one message per visitor")
	start := time.Now()
	warmCPU := startCPU(pidsOf(nodes)...)
	warmed, err := warmUp(ctx, vs, o.warmupLimit)
	if err != nil {
		return vs, fmt.Errorf("warm-up: %w", err)
	}
	warm := time.Since(start)
	if warmed < len(vs) {
		r.notes = append(r.notes, fmt.Sprintf("the warm-up was cut at -warmup-timeout %s with %d of %d conversations open", o.warmupLimit, warmed, len(vs)))
	}
	warmCPU.stop()
	owner, convs, err := assignments(ctx, s)
	if err != nil {
		return vs, fmt.Errorf("assignments: %w", err)
	}
	if !o.has("latency") {
		return vs, nil
	}
	progress("measuring latency for %s at %.0f msg/s each way", o.duration, o.rate)
	if tracer != nil {
		fmt.Print(traceReport("warm-up", tracer.take(), len(vs), warm))
	}
	var lags *lagSampler
	if len(nodes) > 1 {
		lags = startLagSampler(ctx, basesOf(nodes), 500*time.Millisecond)
	}
	lat := runLatency(ctx, &population{visitors: vs, owner: owner, convs: convs, gwPids: pidsOf(nodes), bases: basesOf(nodes)}, b, o.rate, o.duration)
	if lags != nil {
		lat.lag = lags.finish(ctx)
	}
	if tracer != nil {
		defer fmt.Print(traceReport("the latency measurement", tracer.take(), lat.v2aSent+lat.a2vSent, lat.cpu.wall))
	}
	lat.agents, lat.sessions, lat.connect, lat.warmup, lat.warmCPU, lat.warmed = len(s.agents), sessT, connT, warm, warmCPU, warmed
	r.lat = &lat
	fmt.Print(lat.report())
	return vs, nil
}

// phaseThroughput measures (b): the gateway, then the raw store.
func phaseThroughput(ctx context.Context, o benchOpts, gwPids []int, vs []*visitorClient, rawURI, storeDesc string) throughputResult {
	tp := throughputResult{conc: min(o.tpConc, len(vs)), duration: o.tpDuration, storeDesc: storeDesc}
	tp.quiet = waitQuiet(ctx, 3*time.Minute, gwPids...)
	progress("gateway and store quiet after %s", tp.quiet.Round(time.Second))
	progress("gateway throughput: %d visitors for %s", tp.conc, o.tpDuration)
	var el time.Duration
	m := startCPU(gwPids...)
	if tracer != nil {
		tracer.take()
	}
	tp.gatewayN, tp.gatewayFailed, tp.gatewayAck, el = gatewayThroughput(ctx, vs, tp.conc, o.tpDuration)
	tp.gwCPU = m.stop()
	if tracer != nil {
		tp.trace = traceReport("the gateway throughput run", tracer.take(), int(tp.gatewayN+tp.gatewayFailed), tp.gwCPU.wall)
	}
	tp.gatewayRate = float64(tp.gatewayN) / el.Seconds()
	waitQuiet(ctx, 3*time.Minute, gwPids...)
	progress("raw insert throughput: %d in flight for %s", tp.conc, o.tpDuration)
	m = startCPU(gwPids...)
	n, failed, ins, err := rawThroughput(ctx, rawURI, "switchboard", tp.conc, o.tpDuration)
	tp.rawCPU = m.stop()
	if err != nil {
		tp.rawErr = err.Error()
	}
	tp.rawN, tp.rawFailed, tp.rawInsert = n, failed, ins
	tp.raw = float64(n) / o.tpDuration.Seconds()
	waitQuiet(ctx, 3*time.Minute, gwPids...)
	progress("the same with one in flight")
	if tracer != nil {
		tracer.take()
	}
	n, _, tp.serialGwAck, el = gatewayThroughput(ctx, vs, 1, o.tpDuration)
	tp.serialGw = float64(n) / el.Seconds()
	if tracer != nil {
		tp.serialTrace = traceReport("the one-in-flight gateway run", tracer.take(), int(n), el)
	}
	n, _, tp.serialRawIns, _ = rawThroughput(ctx, rawURI, "switchboard", 1, o.tpDuration)
	tp.serialRaw = float64(n) / o.tpDuration.Seconds()
	return tp
}
