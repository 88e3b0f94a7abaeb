package aggregator_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// fakeClock is a clock the test moves: Until's channels receive when
// Advance reaches their time.
type fakeClock struct {
	mu      sync.Mutex
	t       time.Time
	waiters []fakeWaiter
	waiting chan struct{} // a token each time someone starts waiting
}

type fakeWaiter struct {
	at time.Time
	c  chan time.Time
}

func newFakeClock(t time.Time) *fakeClock {
	return &fakeClock{t: t, waiting: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Until(at time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !at.After(c.t) {
		ch <- c.t
	} else {
		c.waiters = append(c.waiters, fakeWaiter{at, ch})
		select {
		case c.waiting <- struct{}{}:
		default:
		}
	}
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.t) {
			kept = append(kept, w)
		} else {
			w.c <- c.t
		}
	}
	c.waiters = kept
}

// start is a Wednesday.
var start = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

// newScheduled returns an aggregator on a fake clock, reaching every
// loopback address, and the channel every poll's result is sent on.
func newScheduled(t *testing.T, c *fakeClock, srcs []feedloom.Source, edit func(*aggregator.Options)) (*aggregator.Aggregator, *store.Store, chan aggregator.Result) {
	t.Helper()
	st := storetest.Open(t)
	polled := make(chan aggregator.Result, 1000)
	o := aggregator.Options{
		Fetch:       fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Interval:    30 * time.Minute,
		MinInterval: 5 * time.Minute,
		MaxInterval: 24 * time.Hour,
		Workers:     4,
		PerHost:     2,
		Now:         c.Now,
		Until:       c.Until,
		Observe:     func(r aggregator.Result) { polled <- r },
	}
	if edit != nil {
		edit(&o)
	}
	return aggregator.New(st, srcs, o), st, polled
}

// run starts agg.Run, waits until it has queued the sources and waits on
// c, and stops it when the test ends (or when the returned function is
// called), checking that it returns nil.
func run(t *testing.T, agg *aggregator.Aggregator, c *fakeClock) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	select {
	case <-c.waiting: // drop one from before
	default:
	}
	go func() { done <- agg.Run(ctx) }()
	<-c.waiting
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// take receives n results.
func take(t *testing.T, polled chan aggregator.Result, n int) []aggregator.Result {
	t.Helper()
	var out []aggregator.Result
	for range n {
		out = append(out, <-polled)
	}
	return out
}

// busyFeed renders an RSS document of n entries spread evenly over the
// span before now (the oldest span ago), with extra elements in the
// channel.
func busyFeed(extra string, now time.Time, n int, span time.Duration) string {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>T</title><link>https://example.org/</link><description>d</description>` + extra)
	for i := range n {
		d := now.Add(-span * time.Duration(i+1) / time.Duration(n))
		fmt.Fprintf(&b, `<item><guid>g%d</guid><title>Entry %d</title><link>https://example.org/%d</link><pubDate>%s</pubDate><description>Text %d.</description></item>`,
			i, i, i, d.Format(time.RFC1123Z), i)
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

// paths serves a handler per path and counts the requests to each.
type paths struct {
	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	hits     map[string]int
}

func newPaths(t *testing.T, handlers map[string]http.HandlerFunc) (*paths, *httptest.Server) {
	p := &paths{handlers: handlers, hits: make(map[string]int)}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv
}

func (p *paths) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.hits[r.URL.Path]++
	h := p.handlers[r.URL.Path]
	p.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

func (p *paths) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

func serve(doc string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(doc))
	}
}

func state(t *testing.T, st *store.Store, u string) feedloom.SourceState {
	t.Helper()
	s, err := st.SourceState(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkNext checks the interval, its reason and that the next poll is in
// [now+lo, now+hi].
func checkNext(t *testing.T, s feedloom.SourceState, now time.Time, interval time.Duration, reason string, lo, hi time.Duration) {
	t.Helper()
	if s.Interval != interval || s.IntervalReason != reason {
		t.Errorf("interval %s %q, want %s %q", s.Interval, s.IntervalReason, interval, reason)
	}
	if d := s.NextPoll.Sub(now); d < lo || d > hi {
		t.Errorf("next poll in %s, want within [%s, %s]", d, lo, hi)
	}
}

func TestScheduleTTLKeptAcross304(t *testing.T) {
	c := newFakeClock(start)
	doc := busyFeed("<ttl>60</ttl>", start, 48, 24*time.Hour) // adaptive alone: 30m
	p, origin := newPaths(t, map[string]http.HandlerFunc{"/feed": func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Write([]byte(doc))
	}})
	src := feedloom.Source{URL: origin.URL + "/feed"}
	agg, st, _ := newScheduled(t, c, []feedloom.Source{src}, nil)
	ctx := context.Background()
	if r := agg.Poll(ctx, src); r.Err != nil {
		t.Fatal(r.Err)
	}
	checkNext(t, state(t, st, src.URL), c.Now(), time.Hour, "ttl 60m", time.Hour, 66*time.Minute)
	c.Advance(time.Hour)
	if r := agg.Poll(ctx, src); r.Err != nil || !r.NotModified {
		t.Fatalf("second poll = %v, want not modified", r)
	}
	checkNext(t, state(t, st, src.URL), c.Now(), time.Hour, "ttl 60m", time.Hour, 66*time.Minute)
	if p.count("/feed") != 2 {
		t.Errorf("%d requests, want 2", p.count("/feed"))
	}
}

func TestScheduleSkipHoursAndDays(t *testing.T) {
	late := time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC) // Wednesday
	tests := map[string]struct {
		extra string
		want  time.Time
	}{
		"skipHours": {
			extra: "<ttl>60</ttl><skipHours><hour>0</hour><hour>1</hour><hour>2</hour><hour>3</hour><hour>4</hour><hour>5</hour></skipHours>",
			want:  time.Date(2026, 3, 5, 6, 0, 0, 0, time.UTC),
		},
		"skipDays and skipHours": {
			extra: "<ttl>60</ttl><skipDays><day>Thursday</day></skipDays><skipHours><hour>0</hour><hour>1</hour></skipHours>",
			want:  time.Date(2026, 3, 6, 2, 0, 0, 0, time.UTC),
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := newFakeClock(late)
			_, origin := newPaths(t, map[string]http.HandlerFunc{"/": serve(busyFeed(tt.extra, late, 10, time.Hour))})
			src := feedloom.Source{URL: origin.URL + "/"}
			agg, st, _ := newScheduled(t, c, []feedloom.Source{src}, nil)
			if r := agg.Poll(context.Background(), src); r.Err != nil {
				t.Fatal(r.Err)
			}
			s := state(t, st, src.URL)
			if !s.NextPoll.Equal(tt.want) || s.IntervalReason != "ttl 60m, out of skipHours/skipDays" {
				t.Errorf("next poll %s (%s), want %s out of the skipped hours", s.NextPoll.UTC(), s.IntervalReason, tt.want)
			}
		})
	}
}

func TestScheduleCacheHeaders(t *testing.T) {
	tests := map[string]struct {
		header   []string
		interval time.Duration
		reason   string
	}{
		"max-age":  {[]string{"Cache-Control", "public, max-age=7200"}, 2 * time.Hour, "max-age 2h"},
		"expires":  {[]string{"Date", start.Add(-time.Hour).Format(http.TimeFormat), "Expires", start.Add(2 * time.Hour).Format(http.TimeFormat)}, 3 * time.Hour, "expires 3h"},
		"no-cache": {[]string{"Cache-Control", "no-cache", "Expires", start.Add(2 * time.Hour).Format(http.TimeFormat)}, 30 * time.Minute, "adaptive (48 items/day)"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := newFakeClock(start)
			_, origin := newPaths(t, map[string]http.HandlerFunc{"/": serve(busyFeed("", start, 48, 24*time.Hour), tt.header...)})
			src := feedloom.Source{URL: origin.URL + "/"}
			agg, st, _ := newScheduled(t, c, []feedloom.Source{src}, nil)
			if r := agg.Poll(context.Background(), src); r.Err != nil {
				t.Fatal(r.Err)
			}
			checkNext(t, state(t, st, src.URL), start, tt.interval, tt.reason, tt.interval, tt.interval+tt.interval/10)
		})
	}
}

// A 429 or 503 with Retry-After defers that source, not the other
// sources of its host.
func TestScheduleRetryAfterDefersOneSource(t *testing.T) {
	for _, code := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			c := newFakeClock(start)
			p, origin := newPaths(t, map[string]http.HandlerFunc{
				"/a": func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Retry-After", "7200")
					w.WriteHeader(code)
				},
				"/b": serve(busyFeed("", start, 48, 24*time.Hour)),
			})
			a := feedloom.Source{URL: origin.URL + "/a"}
			b := feedloom.Source{URL: origin.URL + "/b", Interval: 10 * time.Minute}
			agg, st, polled := newScheduled(t, c, []feedloom.Source{a, b}, nil)
			run(t, agg, c)

			c.Advance(time.Minute) // past the cold start
			take(t, polled, 2)
			now := c.Now()
			sa := state(t, st, a.URL)
			checkNext(t, sa, now, 2*time.Hour, "retry-after", 2*time.Hour, 2*time.Hour+12*time.Minute)
			if sa.LastStatus != code || sa.ConsecutiveFails != 1 || sa.State != feedloom.StateFailing {
				t.Errorf("a: status %d, %d errors, state %s", sa.LastStatus, sa.ConsecutiveFails, sa.State)
			}
			checkNext(t, state(t, st, b.URL), now, 10*time.Minute, "config", 10*time.Minute, 11*time.Minute)

			c.Advance(15 * time.Minute)
			if r := take(t, polled, 1)[0]; r.Source != b.URL || r.Err != nil {
				t.Fatalf("after 15m polled %v, want b", r)
			}
			if p.count("/a") != 1 {
				t.Errorf("a polled %d times within its Retry-After", p.count("/a"))
			}
			c.Advance(2 * time.Hour)
			got := map[string]bool{}
			for _, r := range take(t, polled, 2) {
				got[r.Source] = true
			}
			if !got[a.URL] || p.count("/a") != 2 {
				t.Errorf("after the Retry-After: polled %v, a %d times; want a again", got, p.count("/a"))
			}
		})
	}
}

func TestScheduleBackoffWithJitter(t *testing.T) {
	c := newFakeClock(start)
	_, origin := newPaths(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}})
	var srcs []feedloom.Source
	for i := range 16 {
		srcs = append(srcs, feedloom.Source{URL: fmt.Sprintf("%s/?n=%d", origin.URL, i)})
	}
	agg, st, _ := newScheduled(t, c, srcs, nil)
	ctx := context.Background()
	d := 30 * time.Minute
	for k := 1; k <= 8; k++ {
		if r := agg.Poll(ctx, srcs[0]); r.Err == nil {
			t.Fatal("a 500 polled without error")
		}
		reason := fmt.Sprintf("backoff (%d errors)", k)
		if k == 1 {
			reason = "backoff (1 error)"
		}
		checkNext(t, state(t, st, srcs[0].URL), c.Now(), d, reason, d-d/10, min(d+d/10, 24*time.Hour))
		d = min(2*d, 24*time.Hour)
		c.Advance(time.Hour)
	}
	// The same failure at the same time is spread over ±10%.
	seen := map[time.Time]bool{}
	now := c.Now()
	for _, src := range srcs[1:] {
		agg.Poll(ctx, src)
		s := state(t, st, src.URL)
		checkNext(t, s, now, 30*time.Minute, "backoff (1 error)", 27*time.Minute, 33*time.Minute)
		seen[s.NextPoll] = true
	}
	if len(seen) < 5 {
		t.Errorf("15 sources failing together retry at %d distinct times; want them spread", len(seen))
	}
}

// gate is an origin handler that holds every request until the test
// releases it, and records the most requests it held at once.
type gate struct {
	cur, peak atomic.Int32
	arrived   chan struct{}
	release   chan struct{}
	doc       string
}

func newGate(doc string) *gate {
	return &gate{arrived: make(chan struct{}), release: make(chan struct{}, 1000), doc: doc}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := g.cur.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	g.arrived <- struct{}{}
	<-g.release
	g.cur.Add(-1) // before the response: the next poll of the host starts after it
	w.Write([]byte(g.doc))
}

// drive lets n requests through, keeping as many held as the poller
// sends, and returns the most held at once.
func (g *gate) drive(n, limit int) int32 {
	for range limit {
		<-g.arrived
	}
	for range n - limit {
		g.release <- struct{}{}
		<-g.arrived
	}
	for range limit {
		g.release <- struct{}{}
	}
	return g.peak.Load()
}

func TestSchedulePerHostLimit(t *testing.T) {
	const perHost, onGate, elsewhere = 2, 12, 4
	doc := busyFeed("", start, 5, time.Hour)
	setup := func(t *testing.T) (*gate, []feedloom.Source) {
		g := newGate(doc)
		busy := httptest.NewServer(g)
		t.Cleanup(func() { close(g.release); busy.Close() })
		var srcs []feedloom.Source
		for i := range onGate {
			srcs = append(srcs, feedloom.Source{URL: fmt.Sprintf("%s/%d", busy.URL, i)})
		}
		// Another host: 127.0.0.2. Its polls go on while the first host's
		// are held.
		ln, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Logf("no second loopback address (%v): one host only", err)
			return g, srcs
		}
		other := httptest.NewUnstartedServer(serve(doc))
		other.Listener.Close()
		other.Listener = ln
		other.Start()
		t.Cleanup(other.Close)
		for i := range elsewhere {
			srcs = append(srcs, feedloom.Source{URL: fmt.Sprintf("%s/%d", other.URL, i)})
		}
		return g, srcs
	}
	workers := func(o *aggregator.Options) { o.Workers, o.PerHost = 8, perHost }

	t.Run("Run", func(t *testing.T) {
		g, srcs := setup(t)
		c := newFakeClock(start)
		agg, _, polled := newScheduled(t, c, srcs, workers)
		stop := run(t, agg, c)
		c.Advance(time.Minute)
		// While the first host's polls are held, the other host's are done.
		for _, r := range take(t, polled, len(srcs)-onGate) {
			if r.Err != nil || strings.Contains(r.Source, "127.0.0.1") {
				t.Errorf("while the first host is full: %v", r)
			}
		}
		if peak := g.drive(onGate, perHost); peak != perHost {
			t.Errorf("%d requests at once to one host, want %d", peak, perHost)
		}
		for _, r := range take(t, polled, onGate) {
			if r.Err != nil || r.New != 5 {
				t.Errorf("Run: %v", r)
			}
		}
		stop()
	})
	t.Run("PollAll", func(t *testing.T) {
		g, srcs := setup(t)
		agg, _, _ := newScheduled(t, newFakeClock(start), srcs, workers)
		done := make(chan []aggregator.Result)
		go func() { done <- agg.PollAll(context.Background()) }()
		if peak := g.drive(onGate, perHost); peak != perHost {
			t.Errorf("%d requests at once to one host, want %d", peak, perHost)
		}
		for _, r := range <-done {
			if r.Err != nil || r.New != 5 {
				t.Errorf("PollAll: %v", r)
			}
		}
	})
}

func TestScheduleRedirects(t *testing.T) {
	tests := []struct {
		code  int
		moves bool
	}{
		{http.StatusMovedPermanently, true},
		{http.StatusPermanentRedirect, true},
		{http.StatusFound, false},
		{http.StatusTemporaryRedirect, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			c := newFakeClock(start)
			p, origin := newPaths(t, map[string]http.HandlerFunc{
				"/old": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", tt.code) },
				"/new": serve(busyFeed("", start, 5, time.Hour)),
			})
			src := feedloom.Source{URL: origin.URL + "/old"}
			agg, st, _ := newScheduled(t, c, []feedloom.Source{src}, nil)
			ctx := context.Background()
			for k := 1; k <= 4; k++ {
				if r := agg.Poll(ctx, src); r.Err != nil {
					t.Fatalf("poll %d: %v", k, r.Err)
				}
				s := state(t, st, src.URL)
				moved := tt.moves && k >= 3
				switch {
				case moved && (s.MovedTo != origin.URL+"/new" || s.State != feedloom.StateMoved):
					t.Errorf("poll %d: moved to %q, state %s; want moved to /new", k, s.MovedTo, s.State)
				case !moved && (s.MovedTo != "" || s.State != feedloom.StateOK):
					t.Errorf("poll %d: moved to %q, state %s; want not moved", k, s.MovedTo, s.State)
				case tt.moves && k < 3 && s.Redirects != k:
					t.Errorf("poll %d: %d permanent redirects counted", k, s.Redirects)
				}
				c.Advance(time.Hour)
			}
			wantOld := 4
			if tt.moves {
				wantOld = 3
			}
			if p.count("/old") != wantOld || p.count("/new") != 4 {
				t.Errorf("requests: /old %d, /new %d; want %d and 4", p.count("/old"), p.count("/new"), wantOld)
			}
			items, _ := st.Items(ctx, store.ItemQuery{})
			for _, it := range items {
				if it.Source != src.URL {
					t.Errorf("item of source %q, want the configured URL", it.Source)
				}
			}
		})
	}
}

func TestScheduleGoneRetires(t *testing.T) {
	c := newFakeClock(start)
	var gone atomic.Bool
	doc := busyFeed("", start, 5, time.Hour)
	p, origin := newPaths(t, map[string]http.HandlerFunc{
		"/gone": func(w http.ResponseWriter, r *http.Request) {
			if gone.Load() {
				w.WriteHeader(http.StatusGone)
				return
			}
			w.Write([]byte(doc))
		},
		"/live": serve(doc),
	})
	dead, live := feedloom.Source{URL: origin.URL + "/gone"}, feedloom.Source{URL: origin.URL + "/live"}
	agg, st, polled := newScheduled(t, c, []feedloom.Source{dead, live}, nil)
	ctx := context.Background()
	agg.Poll(ctx, dead)
	gone.Store(true)
	c.Advance(time.Hour)
	agg.Poll(ctx, dead)
	s := state(t, st, dead.URL)
	if s.State != feedloom.StateGone || !s.Retired.Equal(c.Now()) || !s.NextPoll.IsZero() || s.LastStatus != 410 || s.IntervalReason != "gone" {
		t.Errorf("after a 410: %+v", s)
	}
	if s.Items != 5 {
		t.Errorf("%d items kept, want 5", s.Items)
	}
	if r := agg.Poll(ctx, dead); !errors.Is(r.Err, aggregator.ErrGone) {
		t.Errorf("poll of a retired source: %v, want ErrGone", r.Err)
	}
	for _, r := range agg.PollAll(ctx) {
		if (r.Source == dead.URL) != errors.Is(r.Err, aggregator.ErrGone) {
			t.Errorf("PollAll: %v", r)
		}
	}
	for range 3 { // the polls above
		<-polled
	}
	take(t, polled, 2)
	stop := run(t, agg, c)
	c.Advance(48 * time.Hour)
	if r := take(t, polled, 1)[0]; r.Source != live.URL {
		t.Errorf("Run polled %v, want only the live source", r)
	}
	stop()
	if n := p.count("/gone"); n != 2 {
		t.Errorf("the retired source was requested %d times, want 2", n)
	}
}

func TestScheduleConfigInterval(t *testing.T) {
	c := newFakeClock(start)
	_, origin := newPaths(t, map[string]http.HandlerFunc{"/": serve(busyFeed("", start, 48, 24*time.Hour))})
	src := feedloom.Source{URL: origin.URL + "/", Interval: 2 * time.Hour}
	agg, st, _ := newScheduled(t, c, []feedloom.Source{src}, nil)
	agg.Poll(context.Background(), src)
	checkNext(t, state(t, st, src.URL), start, 2*time.Hour, "config", 2*time.Hour, 2*time.Hour+12*time.Minute)
}

func TestScheduleAdaptiveBusyAndQuiet(t *testing.T) {
	c := newFakeClock(start)
	quiet := busyFeed("", start.Add(-24*time.Hour), 2, 4*24*time.Hour) + "" // 2 entries this week ...
	quiet = strings.Replace(quiet, "</channel>", `<item><title>Old</title><link>https://example.org/old</link><pubDate>`+
		start.Add(-40*24*time.Hour).Format(time.RFC1123Z)+`</pubDate></item></channel>`, 1) // ... and one from long ago
	_, origin := newPaths(t, map[string]http.HandlerFunc{
		"/busy":  serve(busyFeed("", start, 48, 24*time.Hour)),
		"/quiet": serve(quiet),
	})
	busy, calm := feedloom.Source{URL: origin.URL + "/busy"}, feedloom.Source{URL: origin.URL + "/quiet"}
	agg, st, _ := newScheduled(t, c, []feedloom.Source{busy, calm}, nil)
	for _, src := range []feedloom.Source{busy, calm} {
		if r := agg.Poll(context.Background(), src); r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	b := state(t, st, busy.URL)
	checkNext(t, b, start, 30*time.Minute, "adaptive (48 items/day)", 30*time.Minute, 33*time.Minute)
	if b.ItemsPerWeek != 48*7 {
		t.Errorf("busy: %v items a week recorded, want %d", b.ItemsPerWeek, 48*7)
	}
	q := state(t, st, calm.URL)
	checkNext(t, q, start, 24*time.Hour, "adaptive (0.3 items/day)", 24*time.Hour, 24*time.Hour)
	if q.ItemsPerWeek != 2 {
		t.Errorf("quiet: %v items a week recorded, want 2", q.ItemsPerWeek)
	}
}

func TestScheduleFlaggedAfterAWeek(t *testing.T) {
	c := newFakeClock(start)
	var ok atomic.Bool
	doc := busyFeed("", start, 5, time.Hour)
	_, origin := newPaths(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		if !ok.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Write([]byte(doc))
	}})
	src := feedloom.Source{URL: origin.URL + "/"}
	agg, st, _ := newScheduled(t, c, []feedloom.Source{src}, nil)
	ctx := context.Background()
	for _, tt := range []struct {
		after   time.Duration
		flagged bool
	}{{0, false}, {3 * 24 * time.Hour, false}, {4 * 24 * time.Hour, true}} {
		c.Advance(tt.after)
		agg.Poll(ctx, src)
		s := state(t, st, src.URL)
		if s.Flagged != tt.flagged || s.State != feedloom.StateFailing || !s.FailingSince.Equal(start) {
			t.Errorf("failing for %s: flagged %v, state %s, since %s", c.Now().Sub(start), s.Flagged, s.State, s.FailingSince)
		}
	}
	ok.Store(true)
	agg.Poll(ctx, src)
	if s := state(t, st, src.URL); s.Flagged || s.State != feedloom.StateOK || !s.FailingSince.IsZero() {
		t.Errorf("after recovery: flagged %v, state %s", s.Flagged, s.State)
	}
}

func TestSchedulePushed(t *testing.T) {
	c := newFakeClock(start)
	_, origin := newPaths(t, map[string]http.HandlerFunc{"/": serve(busyFeed("", start, 48, 24*time.Hour))})
	src := feedloom.Source{URL: origin.URL + "/"}
	agg, st, polled := newScheduled(t, c, []feedloom.Source{src}, nil)
	agg.SetPushed(src.URL, true)
	agg.Poll(context.Background(), src)
	<-polled
	checkNext(t, state(t, st, src.URL), start, 24*time.Hour, "push", 24*time.Hour, 24*time.Hour)

	run(t, agg, c)
	agg.SetPushed(src.URL, false) // polled at once, not in 24h
	take(t, polled, 1)
	checkNext(t, state(t, st, src.URL), start, 30*time.Minute, "adaptive (48 items/day)", 30*time.Minute, 33*time.Minute)
}

// The three file sources of the README demo are all polled within 30ms of
// the start.
func TestScheduleColdStartDemo(t *testing.T) {
	dir := t.TempDir()
	var srcs []feedloom.Source
	for i := range 3 {
		f := filepath.Join(dir, fmt.Sprintf("%d.xml", i))
		if err := os.WriteFile(f, []byte(busyFeed("", start, 3, time.Hour)), 0o644); err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, feedloom.Source{URL: "file://" + filepath.ToSlash(f)})
	}
	c := newFakeClock(start)
	agg, _, polled := newScheduled(t, c, srcs, nil)
	run(t, agg, c)
	c.Advance(30 * time.Millisecond)
	for _, r := range take(t, polled, 3) {
		if r.Err != nil || r.New != 3 {
			t.Errorf("first poll: %v", r)
		}
	}
}

// PollNow polls a source at once, and a source whose poll is running
// once more when it is done: never two polls of one source at a time.
func TestSchedulePollNow(t *testing.T) {
	c := newFakeClock(start)
	var running, most atomic.Int32
	release := make(chan struct{})
	hold := atomic.Bool{}
	_, origin := newPaths(t, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if hold.Load() {
			<-release
		}
		serve(busyFeed("", start, 2, 24*time.Hour))(w, r)
	}})
	src := feedloom.Source{URL: origin.URL + "/"}
	agg, _, polled := newScheduled(t, c, []feedloom.Source{src}, nil)
	agg.Poll(context.Background(), src) // polled: next poll hours away
	take(t, polled, 1)
	run(t, agg, c)

	agg.PollNow(src.URL)
	take(t, polled, 1)

	hold.Store(true)
	agg.PollNow(src.URL)
	for running.Load() == 0 { // the poll reached the origin and waits there
		time.Sleep(time.Millisecond)
	}
	agg.PollNow(src.URL) // while it runs
	agg.PollNow("http://not-a-source.example/")
	hold.Store(false)
	close(release)
	for i := range 2 {
		select {
		case <-polled:
		case <-time.After(10 * time.Second):
			t.Fatalf("poll %d of 2 (the one asked for while one ran) never came", i+1)
		}
	}
	if m := most.Load(); m != 1 {
		t.Errorf("%d polls of one source ran at once, want 1", m)
	}
	select {
	case r := <-polled:
		t.Errorf("an extra poll: %v", r)
	case <-time.After(100 * time.Millisecond):
	}
}
