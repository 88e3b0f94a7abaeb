// Command bench measures how feedloom polls many sources: it starts
// synthetic RSS origins on many loopback addresses, polls every source
// three times (a first poll, a cycle where a fraction of the feeds
// changed, a cycle where none did) and reports each cycle's wall time, CPU
// seconds, peak RSS, requests and items stored per second, against the
// items per second gofeed alone parses from the same bytes in the same run.
//
//	go run ./bench -sources 10000 -items 20
//
// "go run ./bench load" is the load test instead: subscribers fetching
// topic feeds with and without polling going on (load.go).
//
// The origins run in a child process (this binary, re-executed), so the
// CPU and memory figures are the aggregator's alone. See BENCHMARKS.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/internal/assemble"
	"github.com/feedloom/feedloom/publisher/rules"
	"github.com/feedloom/feedloom/store"
	"github.com/mmcdole/gofeed"
)

func main() {
	if os.Getenv(originsEnv) != "" {
		os.Exit(serveOrigins(os.Stdin, os.Stdout))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "load" {
		_, err = runLoad(ctx, os.Args[2:], os.Stdout, os.Stderr)
	} else {
		_, err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(1)
	}
}

// Report is what one run measured.
type Report struct {
	Setup  Setup   `json:"setup"`
	Cycles []Cycle `json:"cycles"`
	Gofeed Gofeed  `json:"gofeed"`
	Ratio  float64 `json:"ratio"` // cycle 1 items/s ÷ gofeed items/s (GOMAXPROCS goroutines)
	// Store counts what the store holds after the three cycles (read
	// after them, as it reads every page).
	Store   store.Stats `json:"store"`
	Targets []Target
}

// Setup describes the run.
type Setup struct {
	Sources      int     `json:"sources"`
	Items        int     `json:"items"`
	Hosts        int     `json:"hosts"`
	PerHost      int     `json:"feeds_per_host"`
	Workers      int     `json:"workers"`
	PerHostLimit int     `json:"per_host_limit"`
	Cluster      bool    `json:"cluster"`
	Wire         float64 `json:"wire"`
	Change       float64 `json:"change"`
	GOMAXPROCS   int     `json:"gomaxprocs"`
	FeedBytes    int64   `json:"feed_bytes"` // all feeds at version 0
	Load         string  `json:"load_before"`
	Poll         string  `json:"poll"` // the aggregator entry point used
}

// Cycle is one poll of every source.
type Cycle struct {
	Name      string        `json:"name"`
	Changed   int           `json:"changed"` // feeds the origins changed before it
	Wall      time.Duration `json:"wall_ns"`
	CPU       float64       `json:"cpu_seconds"`        // user+sys of this process
	OriginCPU float64       `json:"origin_cpu_seconds"` // of the origins' process
	PeakRSS   int64         `json:"peak_rss_bytes"`     // VmHWM after the cycle: the process's peak so far
	// The two parts of RSS at their highest during the cycle, sampled
	// every 100ms: anonymous memory (Go heap, stacks) and file pages
	// mapped (mostly the store's mmap, which the kernel may reclaim).
	PeakAnon    int64   `json:"peak_rss_anon_bytes"`
	PeakFile    int64   `json:"peak_rss_file_bytes"`
	Requests    int64   `json:"requests"`
	OK          int64   `json:"ok"`
	NotModified int64   `json:"not_modified"`
	Errors      int     `json:"errors"`
	Conns       int64   `json:"conns"`
	MaxInFlight int64   `json:"max_in_flight_per_host"` // requests being served by one host at once
	MaxConns    int64   `json:"max_conns_per_host"`     // connections open to one host at once
	Items       int     `json:"items"`                  // new + updated
	ItemsPerSec float64 `json:"items_per_second"`
	StoreBytes  int64   `json:"store_bytes"`
	FirstError  string  `json:"first_error,omitempty"`
}

// Gofeed is the baseline: gofeed.NewParser().Parse over every feed body
// once, from memory.
type Gofeed struct {
	Items          int           `json:"items"`
	Wall           time.Duration `json:"wall_ns"` // parsing only, GOMAXPROCS goroutines
	ItemsPerSec    float64       `json:"items_per_second"`
	Wall1          time.Duration `json:"wall_1_ns"` // parsing only, one goroutine
	ItemsPerSec1   float64       `json:"items_per_second_1"`
	ParseBytesRate float64       `json:"bytes_per_second"`
}

// Target is one of issue 4's targets.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

type options struct {
	sources, items, perHost, workers int
	perHostLimit                     int
	wire, change                     float64
	seed                             uint64
	cluster, jsonOut, skipGofeed     bool
	cpuprofile, dir                  string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (*Report, error) {
	stderr = &lockedWriter{w: stderr} // the origins' process writes to it too
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.sources, "sources", 10000, "synthetic `feeds` to poll")
	fs.IntVar(&o.items, "items", 20, "items in each feed")
	fs.IntVar(&o.perHost, "per-host", 20, "feeds on each loopback host (127.0.1.1, 127.0.1.2, …)")
	fs.IntVar(&o.workers, "workers", 0, "polls at once (poll.workers; 0: the config default)")
	fs.IntVar(&o.perHostLimit, "per-host-limit", 0, "polls of one host at once (poll.per_host; 0: the config default)")
	fs.Float64Var(&o.change, "change", 0.01, "`fraction` of the feeds that get a new item before cycle 2")
	fs.Float64Var(&o.wire, "wire", 0.1, "`fraction` of items retelling a wire story other outlets carry")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the synthetic text")
	fs.BoolVar(&o.cluster, "cluster", true, "near-duplicate clustering (cluster.enabled)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of each poll cycle to `file`.1, .2 and .3")
	fs.StringVar(&o.dir, "dir", "", "`directory` for the store (default: a new temporary one, removed after)")
	fs.BoolVar(&o.skipGofeed, "skip-gofeed", false, "skip the gofeed baseline")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 || o.sources < 1 || o.items < 1 || o.perHost < 1 || o.change < 0 || o.change > 1 {
		fs.Usage()
		return nil, errors.New("bad arguments")
	}
	g := gen{Sources: o.sources, Items: o.items, PerHost: o.perHost, Wire: o.wire, Seed: o.seed, T0: time.Now().Unix()}
	rep := &Report{Setup: Setup{
		Sources: o.sources, Items: o.items, Hosts: g.hosts(), PerHost: o.perHost,
		Cluster: o.cluster, Wire: o.wire, Change: o.change, GOMAXPROCS: runtimeCPUs(),
		Load: loadAverage(),
		Poll: "Aggregator.PollAll",
	}}

	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "feedloom-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	dbPath := filepath.Join(dir, "feedloom.db")
	st, err := store.Open(dbPath, store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()

	fmt.Fprintf(stderr, "bench: starting %d origin hosts for %d feeds…\n", g.hosts(), g.Sources)
	orig, err := startOrigins(ctx, g, stderr)
	if err != nil {
		return nil, err
	}
	defer orig.close()

	sources := make([]feedloom.Source, g.Sources)
	for f := range sources {
		sources[f] = feedloom.Source{URL: orig.url(g, f)}
	}
	cfg, err := config.Parse("bench.yaml", []byte(benchConfig))
	if err != nil {
		return nil, fmt.Errorf("the bench's config: %w", err)
	}
	if o.workers > 0 {
		cfg.Poll.Workers = o.workers
	}
	if o.perHostLimit > 0 {
		cfg.Poll.PerHost = o.perHostLimit
	}
	cfg.Cluster.Enabled = o.cluster
	rep.Setup.Workers, rep.Setup.PerHostLimit = cfg.Poll.Workers, cfg.Poll.PerHost
	set, err := rules.Compile(cfg.Topics)
	if err != nil {
		return nil, err
	}
	// As cmd/feedloom's newAggregator wires it from the config, with the
	// loopback range allowed and the synthetic sources.
	ao := assemble.AggregatorOptions(cfg, set, slog.New(slog.DiscardHandler))
	ao.Fetch.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	agg := aggregator.New(st, sources, ao)

	prev, err := orig.do(command{Op: "stats"})
	if err != nil {
		return nil, err
	}
	names := []string{"1 first poll", fmt.Sprintf("2 %g%% changed", o.change*100), "3 none changed"}
	for i, name := range names {
		c := Cycle{Name: name}
		if i == 1 {
			s, err := orig.do(command{Op: "change", Fraction: o.change})
			if err != nil {
				return nil, err
			}
			c.Changed = s.Changed
		}
		stopProfile, err := startProfile(o.cpuprofile, i+1)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "bench: cycle %s…\n", name)
		cpu0 := cpuSeconds()
		sampled := sampleRSS()
		start := time.Now()
		results := agg.PollAll(ctx)
		c.Wall = time.Since(start)
		c.CPU = cpuSeconds() - cpu0
		c.PeakAnon, c.PeakFile = sampled()
		if err := stopProfile(); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, r := range results {
			if r.Err != nil {
				c.Errors++
				if c.FirstError == "" {
					c.FirstError = r.Err.Error()
				}
				continue
			}
			c.Items += r.New + r.Updated
		}
		s, err := orig.do(command{Op: "stats"})
		if err != nil {
			return nil, err
		}
		c.Requests, c.OK, c.NotModified = s.Requests-prev.Requests, s.OK-prev.OK, s.NotModified-prev.NotModified
		c.Conns, c.MaxInFlight, c.MaxConns, c.OriginCPU = s.Conns-prev.Conns, s.MaxInFlight, s.MaxConns, s.CPU-prev.CPU
		prev = s
		c.ItemsPerSec = float64(c.Items) / c.Wall.Seconds()
		c.PeakRSS = procStatus()["VmHWM"]
		if fi, err := os.Stat(dbPath); err == nil {
			c.StoreBytes = fi.Size()
		}
		rep.Cycles = append(rep.Cycles, c)
	}
	if rep.Store, err = st.Stats(ctx); err != nil {
		return nil, err
	}
	if err := orig.close(); err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "bench: origins:", err)
	}

	if !o.skipGofeed {
		fmt.Fprintln(stderr, "bench: gofeed alone over the same bytes…")
		rep.Gofeed, rep.Setup.FeedBytes, err = gofeedBaseline(ctx, g)
		if err != nil {
			return nil, err
		}
		rep.Ratio = rep.Cycles[0].ItemsPerSec / rep.Gofeed.ItemsPerSec
	}
	rep.Targets = targets(rep)
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return rep, enc.Encode(rep)
	}
	rep.print(stdout)
	return rep, nil
}

// startProfile starts a CPU profile of cycle n into name.n, when name is
// set; the function it returns stops it.
func startProfile(name string, n int) (stop func() error, err error) {
	if name == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", name, n))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// benchConfig is the config the aggregator is built from: every default,
// and three topics filing items by keyword. Its source is a placeholder;
// the synthetic sources replace it.
const benchConfig = `
sources:
  - url: http://127.0.1.1/placeholder.xml
topics:
  - name: politics
    match:
      any: [election, parliament, prime minister, coalition]
  - name: economy
    match:
      any: [inflation, central bank, oil prices, tariffs]
  - name: disasters
    match:
      any: [earthquake, flood, wildfire, storm]
      none: [political storm]
`

// gofeedBaseline times gofeed.NewParser().Parse over every feed's first
// version, from memory: once with a goroutine per CPU, once with one
// goroutine. Bodies are rendered in batches outside the timing.
func gofeedBaseline(ctx context.Context, g gen) (Gofeed, int64, error) {
	var res Gofeed
	var total int64
	const batch = 256
	procs := runtimeCPUs()
	for lo := 0; lo < g.Sources; lo += batch {
		if err := ctx.Err(); err != nil {
			return res, total, err
		}
		bodies := make([][]byte, 0, batch)
		for f := lo; f < min(lo+batch, g.Sources); f++ {
			bodies = append(bodies, g.body(f, 0))
			total += int64(len(bodies[len(bodies)-1]))
		}
		var items atomic.Int64
		var bad atomic.Value
		parse := func(b []byte) {
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(b))
			if err != nil {
				bad.Store(err)
				return
			}
			items.Add(int64(len(feed.Items)))
		}
		// one goroutine
		start := time.Now()
		for _, b := range bodies {
			parse(b)
		}
		res.Wall1 += time.Since(start)
		// every CPU
		var next atomic.Int64
		var wg sync.WaitGroup
		start = time.Now()
		for range procs {
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(bodies); i = int(next.Add(1) - 1) {
					parse(bodies[i])
				}
			})
		}
		wg.Wait()
		res.Wall += time.Since(start)
		if err, ok := bad.Load().(error); ok {
			return res, total, fmt.Errorf("gofeed: %w", err)
		}
		res.Items += int(items.Load() / 2)
	}
	res.ItemsPerSec = float64(res.Items) / res.Wall.Seconds()
	res.ItemsPerSec1 = float64(res.Items) / res.Wall1.Seconds()
	res.ParseBytesRate = float64(total) / res.Wall.Seconds()
	return res, total, nil
}

func targets(r *Report) []Target {
	c1, c3 := r.Cycles[0], r.Cycles[2]
	var peak int64
	for _, c := range r.Cycles {
		peak = max(peak, c.PeakRSS)
	}
	ts := []Target{
		{Name: "unchanged cycle time", Want: "< 1/10 of the first cycle's",
			Got: fmt.Sprintf("%s vs %s = 1/%.1f", round(c3.Wall), round(c1.Wall), c1.Wall.Seconds()/c3.Wall.Seconds()),
			Met: c3.Wall*10 < c1.Wall},
	}
	if r.Gofeed.Items > 0 {
		ts = append(ts, Target{Name: "ingest vs gofeed alone", Want: "≥ 0.5× items/s",
			Got: fmt.Sprintf("%.0f ÷ %.0f items/s = %.3f×", c1.ItemsPerSec, r.Gofeed.ItemsPerSec, r.Ratio),
			Met: r.Ratio >= 0.5})
	}
	ts = append(ts, Target{Name: "peak RSS", Want: "< 500 MB", Got: mb(peak), Met: peak < 500e6})
	return ts
}

func (r *Report) print(w io.Writer) {
	s := r.Setup
	fmt.Fprintf(w, "%d sources × %d items on %d loopback hosts (%d feeds each); workers %d, per host %d, clustering %v, %d CPUs (load before: %s); %s\n\n",
		s.Sources, s.Items, s.Hosts, s.PerHost, s.Workers, s.PerHostLimit, s.Cluster, s.GOMAXPROCS, s.Load, s.Poll)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "cycle\twall\tCPU s\tpeak RSS\tpeak anon\tpeak file\trequests\t200\t304\terrors\tnew conns\tmax conns/host\tmax reqs/host\titems\titems/s\tstore\torigin CPU s\t")
	for _, c := range r.Cycles {
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.0f\t%s\t%.1f\t\n",
			c.Name, round(c.Wall), c.CPU, mb(c.PeakRSS), mb(c.PeakAnon), mb(c.PeakFile), c.Requests, c.OK, c.NotModified,
			c.Errors, c.Conns, c.MaxConns, c.MaxInFlight, c.Items, c.ItemsPerSec, mb(c.StoreBytes), c.OriginCPU)
	}
	tw.Flush()
	for _, c := range r.Cycles {
		if c.FirstError != "" {
			fmt.Fprintf(w, "cycle %s: first error: %s\n", c.Name, c.FirstError)
		}
	}
	fmt.Fprintf(w, "store after the cycles: %d sources, %d items, %d stories, %s\n", r.Store.Sources, r.Store.Items, r.Store.Stories, mb(r.Store.FileSize))
	if gf := r.Gofeed; gf.Items > 0 {
		fmt.Fprintf(w, "\ngofeed alone, same bytes (%s, %d items): %.0f items/s with %d goroutines (%s), %.0f items/s with 1 (%s)\n",
			mb(s.FeedBytes), gf.Items, gf.ItemsPerSec, s.GOMAXPROCS, round(gf.Wall), gf.ItemsPerSec1, round(gf.Wall1))
		fmt.Fprintf(w, "steady-state ingest (cycle 1) ÷ gofeed alone: %.3f\n", r.Ratio)
	}
	fmt.Fprintln(w)
	for _, t := range r.Targets {
		v := "MISSED"
		if t.Met {
			v = "met"
		}
		fmt.Fprintf(w, "target %-24s %-28s %-40s %s\n", t.Name+":", t.Want, t.Got, v)
	}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }

// loadAverage is the machine's 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func runtimeCPUs() int { return runtime.GOMAXPROCS(0) }

// cpuSeconds is this process's user+sys CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
}

// sampleRSS samples RssAnon and RssFile every 100ms until the function it
// returns is called, which returns the highest of each.
func sampleRSS() func() (anon, file int64) {
	var a, f int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			m := procStatus()
			a, f = max(a, m["RssAnon"]), max(f, m["RssFile"])
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() (int64, int64) {
		close(stop)
		<-done
		m := procStatus()
		return max(a, m["RssAnon"]), max(f, m["RssFile"])
	}
}

// procStatus reads the kB fields of /proc/self/status, in bytes.
func procStatus() map[string]int64 {
	m := map[string]int64{}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return m
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		f := strings.Fields(v)
		if !ok || len(f) != 2 || f[1] != "kB" {
			continue
		}
		if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			m[k] = n * 1024
		}
	}
	return m
}
