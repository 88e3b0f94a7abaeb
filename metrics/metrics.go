package metrics

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/aggregator/normalize"
)

// Options say where Metrics reads what it does not count itself.
type Options struct {
	// Sources returns the state of every configured source. It is called
	// on each scrape, which waits for it (at most ScrapeTimeout): it must
	// only read, and quickly. nil leaves out feedloom_sources,
	// feedloom_sources_flagged and feedloom_poll_overdue_seconds.
	Sources func(ctx context.Context) ([]Source, error)
	// WebSub returns the WebSub pushes counted since the process
	// started. nil leaves out feedloom_websub_pushes_total.
	WebSub func() Pushes
	// ScrapeTimeout bounds a call to Sources; default 5s.
	ScrapeTimeout time.Duration
	// Now is the clock poll lag is measured with, the aggregator's;
	// default time.Now.
	Now func() time.Time
}

// A Source is what the sources collector needs to know of one source.
type Source struct {
	State    string    // "new", "ok", "failing", "moved", "gone"
	NextPoll time.Time // when it is scheduled; zero when it is not
	Flagged  bool      // failing for a week or more
}

// Pushes counts WebSub content deliveries.
type Pushes struct {
	Accepted int64 // signed correctly and stored
	Refused  int64 // unsigned or badly signed
	Failed   int64 // signed correctly, but the document could not be stored
}

// Metrics counts what feedloom does. Its methods are safe for concurrent
// use and never block.
type Metrics struct {
	fetches     *prometheus.CounterVec
	parseErrors *prometheus.CounterVec
	bytes       prometheus.Counter
	duration    *prometheus.HistogramVec
	items       *prometheus.CounterVec
	fullText    *prometheus.CounterVec
	lag         prometheus.Histogram
	now         func() time.Time
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	routes      routeCache // the requests and latency series, looked up once
}

// New creates the metrics and registers them, with the collectors that
// read o.Sources and o.WebSub, in reg.
func New(reg prometheus.Registerer, o Options) (*Metrics, error) {
	if o.ScrapeTimeout <= 0 {
		o.ScrapeTimeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedloom_fetches_total",
			Help: "Polls by how they ended (ok, not_modified, parse, store, or the fetch error's class) and HTTP status (none: no response).",
		}, []string{"outcome", "code"}),
		parseErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedloom_parse_errors_total",
			Help: "Polls whose document was refused by the parse guard, by kind: not_feed, malformed, charset, too_deep, too_many_items, parser_panic.",
		}, []string{"kind"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "feedloom_fetch_bytes_total",
			Help: "Feed body bytes received, after decompression.",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "feedloom_fetch_duration_seconds",
			Help:    "Time a poll took, from the request to the commit of what it brought; result is ok, not_modified or error.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"result"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedloom_items_total",
			Help: "Entries seen by polls: new (stored for the first time), updated (content changed), unchanged (a duplicate of what is stored).",
		}, []string{"change"}),
		fullText: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedloom_fulltext_total",
			Help: "New items of sources with full text, by how they got their article: extracted (page fetched), cached (page stored already), or why they kept the feed's summary (not_html, no_article, skipped, or the page fetch's error class).",
		}, []string{"outcome"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "feedloom_poll_lag_seconds",
			Help:    "How late scheduled polls start: the start less the time the poll was due.",
			Buckets: []float64{.1, .5, 1, 5, 15, 30, 60, 300, 900, 3600},
		}),
		now: o.Now,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "feedloom_http_requests_total",
			Help: "HTTP requests served, by route pattern (unmatched: none) and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "feedloom_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route"}),
	}
	for _, change := range []string{"new", "updated", "unchanged"} {
		m.items.WithLabelValues(change) // present from the start, at 0
	}
	for _, k := range normalize.Kinds() {
		m.parseErrors.WithLabelValues(k) // present from the start, at 0
	}
	cs := []prometheus.Collector{m.fetches, m.parseErrors, m.bytes, m.duration, m.items, m.fullText, m.lag, m.requests, m.latency}
	if o.Sources != nil {
		cs = append(cs, &sourcesCollector{read: o.Sources, timeout: o.ScrapeTimeout, now: o.Now})
	}
	if o.WebSub != nil {
		cs = append(cs, websubCollector(o.WebSub))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Observe counts the result of one poll. It fits aggregator.Options.Observe.
func (m *Metrics) Observe(r aggregator.Result) {
	code := "none"
	if r.Status != 0 {
		code = strconv.Itoa(r.Status)
	}
	o := outcome(r)
	m.fetches.WithLabelValues(o, code).Inc()
	if o == "parse" {
		m.parseErrors.WithLabelValues(normalize.Kind(r.Err)).Inc()
	}
	m.bytes.Add(float64(r.Bytes))
	result := o
	if o != "ok" && o != "not_modified" {
		result = "error"
	}
	m.duration.WithLabelValues(result).Observe(r.Duration.Seconds())
	if !r.Scheduled.IsZero() {
		started := m.now().Add(-r.Duration)
		m.lag.Observe(max(started.Sub(r.Scheduled), 0).Seconds())
	}
	if r.Err == nil {
		m.items.WithLabelValues("new").Add(float64(r.New))
		m.items.WithLabelValues("updated").Add(float64(r.Updated))
		m.items.WithLabelValues("unchanged").Add(float64(r.Unchanged))
		for outcome, n := range r.FullText {
			m.fullText.WithLabelValues(outcome).Add(float64(n))
		}
	}
}

// outcome names how a poll ended; see the package documentation.
func outcome(r aggregator.Result) string {
	switch {
	case r.Err == nil && r.NotModified:
		return "not_modified"
	case r.Err == nil:
		return "ok"
	}
	switch {
	case errors.Is(r.Err, normalize.ErrParse):
		return "parse"
	case errors.Is(r.Err, aggregator.ErrStore):
		return "store"
	}
	return fetch.Classify(r.Err)
}

// sourcesCollector reads the sources' states on each scrape.
type sourcesCollector struct {
	read    func(context.Context) ([]Source, error)
	timeout time.Duration
	now     func() time.Time
}

var (
	sourcesDesc = prometheus.NewDesc("feedloom_sources",
		"Configured sources by state, read from the store on scrape.", []string{"state"}, nil)
	flaggedDesc = prometheus.NewDesc("feedloom_sources_flagged",
		"Sources failing for a week or more (still polled, at the longest interval).", nil, nil)
	overdueDesc = prometheus.NewDesc("feedloom_poll_overdue_seconds",
		"How late the most overdue source is now: now minus its scheduled poll time; 0 when none is overdue.", nil, nil)
)

// alwaysStates are reported even when no source is in them, so that an
// alert on failing sources has a series to read.
var alwaysStates = []string{"ok", "failing"}

func (c *sourcesCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- sourcesDesc
	ch <- flaggedDesc
	ch <- overdueDesc
}

func (c *sourcesCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	srcs, err := c.read(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(sourcesDesc, err)
		return
	}
	counts := map[string]int{}
	for _, s := range alwaysStates {
		counts[s] = 0
	}
	now := c.now()
	var overdue time.Duration
	flagged := 0
	for _, s := range srcs {
		counts[s.State]++
		if s.Flagged {
			flagged++
		}
		if !s.NextPoll.IsZero() {
			overdue = max(overdue, now.Sub(s.NextPoll))
		}
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(sourcesDesc, prometheus.GaugeValue, float64(n), state)
	}
	ch <- prometheus.MustNewConstMetric(flaggedDesc, prometheus.GaugeValue, float64(flagged))
	ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, overdue.Seconds())
}

// websubCollector reports the WebSub subscriber's own counts.
type websubCollector func() Pushes

var websubDesc = prometheus.NewDesc("feedloom_websub_pushes_total",
	"WebSub pushes received: accepted (signed correctly and stored), refused (unsigned or badly signed) or failed (signed, but not storable).",
	[]string{"result"}, nil)

func (f websubCollector) Describe(ch chan<- *prometheus.Desc) { ch <- websubDesc }

func (f websubCollector) Collect(ch chan<- prometheus.Metric) {
	p := f()
	ch <- prometheus.MustNewConstMetric(websubDesc, prometheus.CounterValue, float64(p.Accepted), "accepted")
	ch <- prometheus.MustNewConstMetric(websubDesc, prometheus.CounterValue, float64(p.Refused), "refused")
	ch <- prometheus.MustNewConstMetric(websubDesc, prometheus.CounterValue, float64(p.Failed), "failed")
}
