package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuSeconds is the user+system CPU time a process has used (clock ticks
// of 1/100 s, Linux's USER_HZ).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// After the command: state is field 3; utime and stime are 14 and 15.
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) / 100
}

// runqueueWait sums, over a process's threads, the time they were ready to
// run but waited for a CPU (/proc/PID/task/*/schedstat, second field, ns).
func runqueueWait(pid int) float64 {
	dirs, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	var total float64
	for _, d := range dirs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, d.Name()))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) >= 2 {
			v, _ := strconv.ParseFloat(f[1], 64)
			total += v / 1e9
		}
	}
	return total
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// cpuMeter measures the CPU the gateways (summed over the -nodes
// processes) and the bench (clients, and with -store shared the embedded
// engine) use over a phase.
type cpuMeter struct {
	gwPids      []int
	start       time.Time
	gw0, bench0 float64
	gwW0, bW0   float64
	load0       string
	gwUse, bUse float64 // cores
	// gwWait, bWait: threads ready to run but waiting for a CPU, on average
	gwWait, bWait float64
	wall          time.Duration
	load1         string
}

// sumOver adds f over the pids.
func sumOver(pids []int, f func(int) float64) float64 {
	var t float64
	for _, p := range pids {
		t += f(p)
	}
	return t
}

func startCPU(gwPids ...int) *cpuMeter {
	return &cpuMeter{gwPids: gwPids, start: time.Now(), gw0: sumOver(gwPids, cpuSeconds), bench0: cpuSeconds(os.Getpid()),
		gwW0: sumOver(gwPids, runqueueWait), bW0: runqueueWait(os.Getpid()), load0: loadAvg()}
}

func (m *cpuMeter) stop() *cpuMeter {
	m.wall = time.Since(m.start)
	m.gwUse = (sumOver(m.gwPids, cpuSeconds) - m.gw0) / m.wall.Seconds()
	m.bUse = (cpuSeconds(os.Getpid()) - m.bench0) / m.wall.Seconds()
	m.gwWait = (sumOver(m.gwPids, runqueueWait) - m.gwW0) / m.wall.Seconds()
	m.bWait = (runqueueWait(os.Getpid()) - m.bW0) / m.wall.Seconds()
	m.load1 = loadAvg()
	return m
}

func (m *cpuMeter) String() string {
	if m == nil {
		return ""
	}
	gw := "gateway"
	if len(m.gwPids) > 1 {
		gw = fmt.Sprintf("%d gateways", len(m.gwPids))
	}
	return fmt.Sprintf("CPU over %s: %s %.2f cores (+%.2f threads waiting for a CPU), bench process %.2f cores (+%.2f waiting); machine load average %s → %s",
		m.wall.Round(100*time.Millisecond), gw, m.gwUse, m.gwWait, m.bUse, m.bWait, m.load0, m.load1)
}

// waitQuiet waits (at most limit) until the gateways and the bench process
// (which, with -store shared, runs the store) use less than a quarter of a
// core between them over two seconds: requests abandoned by the previous
// phase must not be counted against the next one.
func waitQuiet(ctx context.Context, limit time.Duration, gwPids ...int) time.Duration {
	start := time.Now()
	for time.Since(start) < limit && ctx.Err() == nil {
		m := startCPU(gwPids...)
		if sleepCtx(ctx, 2*time.Second) != nil {
			break
		}
		m.stop()
		if m.gwUse+m.bUse < 0.25 {
			break
		}
	}
	return time.Since(start)
}
