package metrics_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/metrics"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

func rss(items ...string) string {
	return `<rss version="2.0"><channel><title>T</title><link>https://example.org/</link><description>d</description>` +
		strings.Join(items, "") + `</channel></rss>`
}

func item(guid, text string) string {
	return `<item><guid>` + guid + `</guid><title>` + guid + `</title><link>https://example.org/` + guid +
		`</link><pubDate>Sat, 11 May 2019 10:41:00 +0300</pubDate><description>` + text + `</description></item>`
}

// origin starts a loopback server on addr ("127.0.0.1:0").
func origin(t *testing.T, addr string, h http.HandlerFunc) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + "/feed"
}

// TestScrapeAfterPolls polls a 200, a 304, a 500, a page that is not a
// feed, a feed nested too deeply and an origin the private-network guard refuses, twice, and reads
// the counters back from /metrics.
func TestScrapeAfterPolls(t *testing.T) {
	var polls atomic.Int32
	ok := origin(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		text := "first"
		if polls.Add(1) > 1 {
			text = "edited" // the second poll: b changed, a did not
		}
		w.Write([]byte(rss(item("a", "same"), item("b", text))))
	})
	notModified := origin(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotModified)
	})
	failing := origin(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	})
	notFeed := origin(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>a page</body></html>"))
	})
	deep := `<rss version="2.0" xmlns:x="urn:x"><channel><item>` + strings.Repeat("<x:a>", 600) + `</item></channel></rss>`
	tooDeep := origin(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(deep))
	})
	// 127.0.0.2 is loopback too, but only 127.0.0.1 is allowed below.
	blocked := origin(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {
		t.Error("the guard let a request through to a blocked origin")
	})

	st := storetest.Open(t)
	srcs := []feedloom.Source{{URL: ok}, {URL: notModified}, {URL: failing}, {URL: notFeed}, {URL: tooDeep}, {URL: blocked}}
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{
		Sources: func(ctx context.Context) ([]metrics.Source, error) { return readStates(ctx, st, srcs) },
		WebSub:  func() metrics.Pushes { return metrics.Pushes{Accepted: 3, Refused: 1, Failed: 2} },
	})
	if err != nil {
		t.Fatal(err)
	}
	agg := aggregator.New(st, srcs, aggregator.Options{
		Fetch:   fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		Observe: m.Observe,
	})
	for range 2 {
		agg.PollAll(t.Context())
	}

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	const want = `
# HELP feedloom_fetches_total Polls by how they ended (ok, not_modified, parse, store, or the fetch error's class) and HTTP status (none: no response).
# TYPE feedloom_fetches_total counter
feedloom_fetches_total{code="200",outcome="ok"} 2
feedloom_fetches_total{code="200",outcome="parse"} 4
feedloom_fetches_total{code="304",outcome="not_modified"} 2
feedloom_fetches_total{code="500",outcome="http_5xx"} 2
feedloom_fetches_total{code="none",outcome="blocked"} 2
# HELP feedloom_parse_errors_total Polls whose document was refused by the parse guard, by kind: not_feed, malformed, charset, too_deep, too_many_items, parser_panic.
# TYPE feedloom_parse_errors_total counter
feedloom_parse_errors_total{kind="charset"} 0
feedloom_parse_errors_total{kind="malformed"} 0
feedloom_parse_errors_total{kind="not_feed"} 2
feedloom_parse_errors_total{kind="parser_panic"} 0
feedloom_parse_errors_total{kind="too_deep"} 2
feedloom_parse_errors_total{kind="too_many_items"} 0
# HELP feedloom_items_total Entries seen by polls: new (stored for the first time), updated (content changed), unchanged (a duplicate of what is stored).
# TYPE feedloom_items_total counter
feedloom_items_total{change="new"} 2
feedloom_items_total{change="unchanged"} 1
feedloom_items_total{change="updated"} 1
# HELP feedloom_sources Configured sources by state, read from the store on scrape.
# TYPE feedloom_sources gauge
feedloom_sources{state="failing"} 4
feedloom_sources{state="ok"} 2
# HELP feedloom_websub_pushes_total WebSub pushes received: accepted (signed correctly and stored), refused (unsigned or badly signed) or failed (signed, but not storable).
# TYPE feedloom_websub_pushes_total counter
feedloom_websub_pushes_total{result="accepted"} 3
feedloom_websub_pushes_total{result="failed"} 2
feedloom_websub_pushes_total{result="refused"} 1
`
	if err := testutil.ScrapeAndCompare(srv.URL, strings.NewReader(want),
		"feedloom_fetches_total", "feedloom_parse_errors_total", "feedloom_items_total", "feedloom_sources", "feedloom_websub_pushes_total"); err != nil {
		t.Error(err)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			switch {
			case mt.GetCounter() != nil:
				got[mf.GetName()] += mt.GetCounter().GetValue()
			case mt.GetHistogram() != nil:
				got[mf.GetName()] += float64(mt.GetHistogram().GetSampleCount())
			}
		}
	}
	okBytes := len(rss(item("a", "same"), item("b", "first"))) + len(rss(item("a", "same"), item("b", "edited")))
	pageBytes := 2 * (len("<html><body>a page</body></html>") + len(deep))
	if got, want := got["feedloom_fetch_bytes_total"], float64(okBytes+pageBytes); got != want {
		t.Errorf("feedloom_fetch_bytes_total = %v, want %v", got, want)
	}
	if got := got["feedloom_fetch_duration_seconds"]; got != 12 {
		t.Errorf("feedloom_fetch_duration_seconds counts %v polls, want 12", got)
	}
}

// readStates is what cmd gives Options.Sources, reduced to what the test
// needs.
func readStates(ctx context.Context, st *store.Store, srcs []feedloom.Source) ([]metrics.Source, error) {
	var out []metrics.Source
	for _, src := range srcs {
		s, err := st.SourceState(ctx, src.URL)
		if err != nil {
			return nil, err
		}
		state := "ok"
		if s.ConsecutiveFails > 0 {
			state = "failing"
		}
		out = append(out, metrics.Source{State: state, NextPoll: s.NextPoll})
	}
	return out, nil
}

// gauge reads the value of an unlabelled gauge from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no %s", name)
	return 0
}

func TestPollOverdueAndFlagged(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		sources          []metrics.Source
		overdue, flagged float64
	}{
		"none":            {nil, 0, 0},
		"all in future":   {[]metrics.Source{{State: "ok", NextPoll: now.Add(time.Minute)}}, 0, 0},
		"never scheduled": {[]metrics.Source{{State: "new"}}, 0, 0},
		"most overdue": {[]metrics.Source{
			{State: "ok", NextPoll: now.Add(-90 * time.Second)},
			{State: "failing", NextPoll: now.Add(-30 * time.Second), Flagged: true},
			{State: "failing", NextPoll: now.Add(time.Hour), Flagged: true},
			{State: "new"},
		}, 90, 2},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			_, err := metrics.New(reg, metrics.Options{
				Sources: func(context.Context) ([]metrics.Source, error) { return tt.sources, nil },
				Now:     func() time.Time { return now },
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := gauge(t, reg, "feedloom_poll_overdue_seconds"); got != tt.overdue {
				t.Errorf("feedloom_poll_overdue_seconds = %v, want %v", got, tt.overdue)
			}
			if got := gauge(t, reg, "feedloom_sources_flagged"); got != tt.flagged {
				t.Errorf("feedloom_sources_flagged = %v, want %v", got, tt.flagged)
			}
		})
	}
}

// TestPollLag: a scheduled poll's lag is when it started (now less its
// duration) less when it was due; a poll nobody scheduled is not counted.
func TestPollLag(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	m.Observe(aggregator.Result{Status: 200, Duration: 10 * time.Second, Scheduled: now.Add(-70 * time.Second)})
	m.Observe(aggregator.Result{Status: 200, Duration: time.Second, Scheduled: now}) // started before it was due: 0
	m.Observe(aggregator.Result{Status: 200, Duration: time.Second})                 // feedloom poll: not scheduled
	const want = `
# HELP feedloom_poll_lag_seconds How late scheduled polls start: the start less the time the poll was due.
# TYPE feedloom_poll_lag_seconds histogram
feedloom_poll_lag_seconds_bucket{le="0.1"} 1
feedloom_poll_lag_seconds_bucket{le="0.5"} 1
feedloom_poll_lag_seconds_bucket{le="1"} 1
feedloom_poll_lag_seconds_bucket{le="5"} 1
feedloom_poll_lag_seconds_bucket{le="15"} 1
feedloom_poll_lag_seconds_bucket{le="30"} 1
feedloom_poll_lag_seconds_bucket{le="60"} 2
feedloom_poll_lag_seconds_bucket{le="300"} 2
feedloom_poll_lag_seconds_bucket{le="900"} 2
feedloom_poll_lag_seconds_bucket{le="3600"} 2
feedloom_poll_lag_seconds_bucket{le="+Inf"} 2
feedloom_poll_lag_seconds_sum 60
feedloom_poll_lag_seconds_count 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "feedloom_poll_lag_seconds"); err != nil {
		t.Error(err)
	}
}

// TestSourcesReadFails: a store that cannot be read fails the scrape of
// that collector, and says why; it does not report zero sources.
func TestSourcesReadFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	_, err := metrics.New(reg, metrics.Options{
		Sources: func(context.Context) ([]metrics.Source, error) { return nil, errors.New("store closed") },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "store closed") {
		t.Errorf("Gather error = %v, want the read error", err)
	}
}
