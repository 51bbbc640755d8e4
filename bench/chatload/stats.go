package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// latencies collects delivery latencies of one direction.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

// Latency summarises the delivery latencies of one direction: send time (just before the
// SendMessage call) to the receive time on the recipient's WebSocket.
type Latency struct {
	N             int
	P50, P99, Max time.Duration
}

func (l *latencies) summary() Latency {
	l.mu.Lock()
	d := slices.Clone(l.d)
	l.mu.Unlock()
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return Latency{N: len(d), P50: at(0.50), P99: at(0.99), Max: d[len(d)-1]}
}

// String is the summary as the report prints it: "p50 … p99 … max … (N messages)", in
// milliseconds, or "none measured".
func (l Latency) String() string {
	if l.N == 0 {
		return "none measured"
	}
	return fmt.Sprintf("p50 %s  p99 %s  max %s  (%d messages)", ms(l.P50), ms(l.P99), ms(l.Max), l.N)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// Memory is a process's memory in bytes: resident (RSS) and live (heap objects still
// reachable plus goroutine stacks); CPU is the CPU time it has used so far.
type Memory struct {
	RSS, Live uint64
	CPU       time.Duration
}

// selfMemory collects garbage, returns freed memory to the system and reads this process's
// resident set size (Linux /proc/self/statm) and its live heap and stacks. It collects four
// times: each collection halves the stacks of goroutines that use under a quarter of theirs,
// as a long-running node's idle sockets come to.
func selfMemory() (Memory, error) {
	for range 3 {
		runtime.GC()
	}
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return Memory{}, fmt.Errorf("resident memory: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return Memory{}, fmt.Errorf("resident memory: /proc/self/statm reads %q", b)
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return Memory{}, fmt.Errorf("resident memory: %w", err)
	}
	return Memory{RSS: pages * uint64(os.Getpagesize()), Live: ms.HeapAlloc + ms.StackInuse, CPU: processCPU()}, nil
}

// metricsMemory reads a node's memory from its Prometheus /metrics: resident memory
// (process_resident_memory_bytes) and, as the live estimate, the heap live at its last
// collection (go_memstats_next_gc_bytes over 1 + go_gc_gogc_percent/100) plus its stacks
// (go_memstats_stack_inuse_bytes); and its CPU time (process_cpu_seconds_total).
func metricsMemory(ctx context.Context, hc *http.Client, url string) (Memory, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Memory{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Memory{}, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	want := map[string]float64{"process_resident_memory_bytes": -1, "go_memstats_next_gc_bytes": -1,
		"go_gc_gogc_percent": -1, "go_memstats_stack_inuse_bytes": -1, "process_cpu_seconds_total": -1}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if _, known := want[name]; ok && known {
			v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil {
				return Memory{}, fmt.Errorf("metrics: %s %q: %w", name, value, err)
			}
			want[name] = v
		}
	}
	if err := sc.Err(); err != nil {
		return Memory{}, fmt.Errorf("metrics: %w", err)
	}
	for name, v := range want {
		if v < 0 {
			return Memory{}, fmt.Errorf("metrics: %s has no %s", url, name)
		}
	}
	live := want["go_memstats_next_gc_bytes"]/(1+want["go_gc_gogc_percent"]/100) + want["go_memstats_stack_inuse_bytes"]
	return Memory{RSS: uint64(want["process_resident_memory_bytes"]), Live: uint64(live),
		CPU: time.Duration(want["process_cpu_seconds_total"] * float64(time.Second))}, nil
}

// descriptorLimit returns this process's limit on open files (RLIMIT_NOFILE, as Go raised it
// at start), or 0 when unknown.
func descriptorLimit() int {
	b, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Max open files") {
			f := strings.Fields(strings.TrimPrefix(line, "Max open files"))
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return 0
}

// writeHeapProfile writes the heap profile to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

// processCPU returns the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startCPUProfile starts the CPU profile into path ("" profiles nothing); the function it
// returns stops it.
func startCPUProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() error { pprof.StopCPUProfile(); return f.Close() }, nil
}
