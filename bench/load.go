package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
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
	"github.com/feedloom/feedloom/publisher"
	"github.com/feedloom/feedloom/publisher/rules"
	"github.com/feedloom/feedloom/store"
)

// The load test: subscribers on loopback fetch topic feeds from feedloom's
// HTTP handler, first while nothing is polled (the baseline), then while
// every source is polled over and over with a share of the feeds changing
// before each cycle, so topics change and feeds are rendered again.
//
//	go run ./bench load -subscribers 1000 -sources 500 -duration 30s

// loadOptions are the load test's flags.
type loadOptions struct {
	subscribers int
	sources     int
	items       int
	perHost     int
	change      float64
	duration    time.Duration
	rounds      int
}

// Phase is what the subscribers saw during one phase.
type Phase struct {
	Name       string
	Requests   int64
	Errors     int64
	FirstError string
	Bytes      int64
	Wall       time.Duration
	P50, P90   time.Duration
	P99, Max   time.Duration
	Cycles     int // poll cycles finished during the phase
	Polls      int // polls finished
	PollErrors int // polls that failed
	Items      int // items stored (new + updated)
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) ([]Phase, error) {
	stderr = &lockedWriter{w: stderr} // the origins' process writes to it too
	var o loadOptions
	fs := flag.NewFlagSet("bench load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.subscribers, "subscribers", 1000, "concurrent subscribers, each on its own keep-alive connection")
	fs.IntVar(&o.sources, "sources", 500, "synthetic `feeds` polled")
	fs.IntVar(&o.items, "items", 20, "items in each feed")
	fs.IntVar(&o.perHost, "per-host", 20, "feeds on each loopback origin host")
	fs.Float64Var(&o.change, "change", 0.05, "`fraction` of the feeds given a new item before each poll cycle")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "length of each phase")
	fs.IntVar(&o.rounds, "rounds", 1, "times the two phases run, alternating (the machine's load drifts between phases)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 || o.subscribers < 1 || o.sources < 1 || o.duration <= 0 || o.rounds < 1 {
		fs.Usage()
		return nil, errors.New("bad arguments")
	}
	load := loadAverage()
	if err := raiseFileLimit(2*o.subscribers + 2*o.sources + 256); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "feedloom-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "feedloom.db"), store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()

	g := gen{Sources: o.sources, Items: o.items, PerHost: o.perHost, Wire: 0.1, Seed: 1, T0: time.Now().Unix()}
	orig, err := startOrigins(ctx, g, stderr)
	if err != nil {
		return nil, err
	}
	defer orig.close()
	cfg, err := config.Parse("bench.yaml", []byte(benchConfig))
	if err != nil {
		return nil, err
	}
	set, err := rules.Compile(cfg.Topics)
	if err != nil {
		return nil, err
	}
	sources := make([]feedloom.Source, g.Sources)
	for f := range sources {
		sources[f] = feedloom.Source{URL: orig.url(g, f)}
	}
	ao := assemble.AggregatorOptions(cfg, set, slog.New(slog.DiscardHandler))
	ao.Fetch.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	var polls, pollErrors, stored atomic.Int64 // counted as polls finish
	ao.Observe = func(r aggregator.Result) {
		if errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded) {
			return // stopped by the end of a phase
		}
		polls.Add(1)
		if r.Err != nil {
			pollErrors.Add(1)
		}
		stored.Add(int64(r.New + r.Updated))
	}
	agg := aggregator.New(st, sources, ao)
	fmt.Fprintf(stderr, "bench load: first poll of %d sources…\n", len(sources))
	if n := failures(agg.PollAll(ctx)); n > 0 {
		return nil, fmt.Errorf("the first poll: %d sources failed", n)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	base := "http://" + ln.Addr().String() + "/"
	pub := publisher.New(st, publisher.Options{BaseURL: base, Topics: cfg.Topics})
	srv := &http.Server{ // as serve sets it up, with config defaults
		Handler:           pub.Handler(),
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		ReadTimeout:       cfg.Server.ReadTimeout,
		WriteTimeout:      cfg.Server.WriteTimeout,
		IdleTimeout:       cfg.Server.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
	}
	go srv.Serve(ln)
	defer srv.Close()
	var urls []string
	for _, t := range cfg.Topics {
		for _, ext := range []string{"rss", "atom", "json"} {
			urls = append(urls, base+"topics/"+t.Name+"."+ext)
		}
	}

	poll := func(ctx context.Context, ph *Phase) {
		p0, e0, i0 := polls.Load(), pollErrors.Load(), stored.Load()
		for ctx.Err() == nil {
			if _, err := orig.do(command{Op: "change", Fraction: o.change}); err != nil {
				break
			}
			agg.PollAll(ctx)
			if ctx.Err() == nil {
				ph.Cycles++
			}
		}
		ph.Polls, ph.PollErrors, ph.Items = int(polls.Load()-p0), int(pollErrors.Load()-e0), int(stored.Load()-i0)
	}
	var phases []Phase
	var failed int64
	for r := range o.rounds {
		suffix := ""
		if o.rounds > 1 {
			suffix = fmt.Sprintf(", round %d", r+1)
		}
		phases = append(phases,
			subscribe(ctx, o, urls, stderr, "no polling (baseline)"+suffix, nil),
			subscribe(ctx, o, urls, stderr, "while polling"+suffix, poll))
		failed += phases[len(phases)-2].Errors + phases[len(phases)-1].Errors
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	printLoad(stdout, o, load, phases)
	if failed > 0 {
		return phases, fmt.Errorf("%d requests failed", failed)
	}
	return phases, nil
}

// subscribe runs o.subscribers clients fetching urls for o.duration, with
// work (when not nil) running alongside, and returns what they saw.
func subscribe(ctx context.Context, o loadOptions, urls []string, stderr io.Writer, name string, work func(context.Context, *Phase)) Phase {
	fmt.Fprintf(stderr, "bench load: %d subscribers for %s, %s…\n", o.subscribers, o.duration, name)
	ph := Phase{Name: name}
	tr := &http.Transport{
		MaxIdleConns:        o.subscribers,
		MaxIdleConnsPerHost: o.subscribers,
		DisableCompression:  true, // ask for gzip and count the bytes, as readers download them
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var workDone sync.WaitGroup
	if work != nil {
		workDone.Go(func() { work(ctx, &ph) })
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      atomic.Int64
		bytes     atomic.Int64
		firstErr  atomic.Value
	)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.subscribers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 9))
			var mine []time.Duration
			for ctx.Err() == nil {
				u := urls[rng.IntN(len(urls))]
				t0 := time.Now()
				n, err := fetchOnce(ctx, client, u)
				if ctx.Err() != nil {
					break // the phase ended during the request
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				mine = append(mine, time.Since(t0))
				bytes.Add(n)
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	ph.Wall = time.Since(start)
	workDone.Wait()
	slices.Sort(latencies)
	q := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	ph.Requests, ph.Errors, ph.Bytes = int64(len(latencies)), errs.Load(), bytes.Load()
	ph.P50, ph.P90, ph.P99 = q(0.50), q(0.90), q(0.99)
	if len(latencies) > 0 {
		ph.Max = latencies[len(latencies)-1]
	}
	if e, ok := firstErr.Load().(string); ok {
		ph.FirstError = e
	}
	return ph
}

// fetchOnce GETs u as a feed reader does (gzip accepted) and reads the
// whole body; anything but a 200 is an error.
func fetchOnce(ctx context.Context, c *http.Client, u string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return n, err
}

func failures(rs []aggregator.Result) int {
	n := 0
	for _, r := range rs {
		if r.Err != nil {
			n++
		}
	}
	return n
}

// raiseFileLimit raises the soft limit on open files to at least n (up to
// the hard limit): every subscriber holds a connection, and so does the
// server's end of it.
func raiseFileLimit(n int) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if l.Cur >= uint64(n) {
		return nil
	}
	l.Cur = min(max(uint64(n), l.Cur), l.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return err
	}
	if l.Cur < uint64(n) {
		return fmt.Errorf("open files limited to %d, the load needs about %d (raise the hard limit: ulimit -Hn)", l.Cur, n)
	}
	return nil
}

func printLoad(w io.Writer, o loadOptions, loadavg string, phases []Phase) {
	fmt.Fprintf(w, "%d subscribers, %s a phase; %d sources (%d items each, %g changed before each cycle); GOMAXPROCS %d; load average before: %s\n\n",
		o.subscribers, o.duration, o.sources, o.items, o.change, runtimeCPUs(), loadavg)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\trequests\treq/s\terrors\tp50\tp90\tp99\tmax\tMB/s\tpoll cycles\tpolls\tpoll errors\titems stored\t")
	for _, p := range phases {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%d\t%s\t%s\t%s\t%s\t%.1f\t%d\t%d\t%d\t%d\t\n", p.Name, p.Requests, float64(p.Requests)/p.Wall.Seconds(), p.Errors,
			round(p.P50), round(p.P90), round(p.P99), round(p.Max), float64(p.Bytes)/1e6/p.Wall.Seconds(), p.Cycles, p.Polls, p.PollErrors, p.Items)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for i := 0; i+1 < len(phases); i += 2 {
		a, b := phases[i], phases[i+1]
		if a.P99 == 0 || a.Requests == 0 {
			continue
		}
		fmt.Fprintf(w, "while polling ÷ baseline (round %d): p50 %.2f, p99 %.2f, requests/s %.2f\n", i/2+1,
			float64(b.P50)/float64(a.P50), float64(b.P99)/float64(a.P99), float64(b.Requests)/b.Wall.Seconds()/(float64(a.Requests)/a.Wall.Seconds()))
	}
	for _, p := range phases {
		if p.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", p.Name, strings.TrimSpace(p.FirstError))
		}
	}
}
