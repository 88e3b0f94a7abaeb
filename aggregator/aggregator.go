// Package aggregator takes feeds from a URL to stored items: it schedules
// polls, fetches through the guarded client (package fetch), parses and
// normalizes (package normalize), decides each entry's identity and story,
// and stores a poll's items together with the source's new state in one
// write transaction.
package aggregator

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/aggregator/schedule"
	"github.com/feedloom/feedloom/store"
)

// Options configure an Aggregator.
type Options struct {
	Fetch fetch.Options
	// Interval is the poll interval of a source whose publishing rate is
	// unknown, and the first step of the backoff after a failure; default
	// 30m. MinInterval and MaxInterval bound the adaptive interval
	// (defaults 5m and 24h); see package schedule.
	Interval    time.Duration
	MinInterval time.Duration
	MaxInterval time.Duration
	Workers     int // polls at once; default 16
	// PerHost is how many polls of one host (the URL's host name) run at
	// once, and how many fetches of item pages for full text
	// (Source.FullText); default 2. file: sources are not limited.
	PerHost int
	// Cluster turns on near-duplicate clustering: a new item whose text
	// matches an item published within ClusterWindow (default 72h) of it
	// joins that item's story. Items with the same canonical URL always
	// share a story.
	Cluster       bool
	ClusterWindow time.Duration
	// Classify names the topics an item is filed under; nil files nothing.
	Classify func(*feedloom.Item, feedloom.Source) []string
	// Retention: items first seen longer than MaxAge ago are removed
	// (0 keeps them), a source keeps at most MaxPerSource items (0: no
	// limit); Run applies it every PruneEvery (default 1h).
	MaxAge       time.Duration
	MaxPerSource int
	PruneEvery   time.Duration
	// Observe, when set, is called with the result of every poll (for
	// metrics). It must not block.
	Observe func(Result)
	// Now is the clock; default time.Now. Until returns a channel that
	// receives once Now reaches t; default a timer on the wall clock.
	// Tests pass a fake clock's two functions.
	Now    func() time.Time
	Until  func(t time.Time) <-chan time.Time
	Logger *slog.Logger
}

// An Aggregator polls a fixed set of sources into a store.
type Aggregator struct {
	st      *store.Store
	client  *fetch.Client
	sources []feedloom.Source
	o       Options
	policy  schedule.Policy
	index   map[string]int // source URL → index in sources

	pageHosts  hostSlots    // page fetches running, by host (pages.go)
	onDocument documentHook // see OnDocument (hooks.go)
	push       pushState    // see SetPushed (run.go)
	reload     reloadState  // see SetClassify (reload.go)

	// beforeValidators, set only by tests (export_test.go), runs inside a
	// poll's transaction after its items were saved and before the
	// source's validators are: its error must undo the items too.
	beforeValidators func() error
}

// New returns an aggregator polling sources into st.
func New(st *store.Store, sources []feedloom.Source, o Options) *Aggregator {
	if o.Interval <= 0 {
		o.Interval = 30 * time.Minute
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.PerHost <= 0 {
		o.PerHost = 2
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Until == nil {
		o.Until = func(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ClusterWindow <= 0 {
		o.ClusterWindow = 72 * time.Hour
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = time.Hour
	}
	a := &Aggregator{
		st:      st,
		client:  fetch.New(o.Fetch),
		sources: sources,
		o:       o,
		policy:  schedule.Policy{Min: o.MinInterval, Max: o.MaxInterval, Default: o.Interval},
		index:   make(map[string]int, len(sources)),
	}
	a.pageHosts.limit = o.PerHost
	for i, src := range sources {
		a.index[src.URL] = i
	}
	a.push.init()
	return a
}

// Result is the outcome of one poll of one source.
type Result struct {
	Source      string
	Status      int  // HTTP status, 0 when none was received
	NotModified bool // the origin answered 304: nothing was parsed
	New         int  // items stored for the first time
	Updated     int  // stored items whose content changed
	Unchanged   int
	Bytes       int           // body bytes received (after decompression)
	Duration    time.Duration // fetch to commit
	// FullText counts, by outcome, how the new items of a source with
	// full text got their article (see FullTextExtracted and the other
	// outcomes); nil for other sources.
	FullText map[string]int
	// Scheduled is when the poll was due, for polls Run starts (the lag
	// is the time it started less Scheduled); zero otherwise.
	Scheduled time.Time
	Err       error
}

// Prune applies retention: it removes the items it does not keep, leaving
// tombstones so they never come back, and returns how many it removed.
func (a *Aggregator) Prune(ctx context.Context) (int, error) {
	r := store.Retention{MaxPerSource: a.o.MaxPerSource}
	if a.o.MaxAge > 0 {
		r.Before = a.o.Now().Add(-a.o.MaxAge)
	}
	if r.Before.IsZero() && r.MaxPerSource <= 0 {
		return 0, nil
	}
	n, err := a.st.Prune(ctx, r, a.o.Now())
	if n > 0 {
		a.o.Logger.Info("retention removed items", slog.Int("items", n))
	}
	return n, err
}

// Poll fetches, parses and stores one source, and schedules its next poll.
// A retired source (gone) is not fetched: its result has ErrGone.
func (a *Aggregator) Poll(ctx context.Context, src feedloom.Source) Result {
	res, _ := a.pollDue(ctx, src, time.Time{})
	return res
}

// pollDue polls src, due at due, and returns the result and the source's
// state as stored after it.
func (a *Aggregator) pollDue(ctx context.Context, src feedloom.Source, due time.Time) (Result, feedloom.SourceState) {
	start := time.Now()
	res, st := a.poll(ctx, src)
	res.Duration = time.Since(start)
	res.Scheduled = due
	if a.o.Observe != nil {
		a.o.Observe(res)
	}
	return res, st
}

func (a *Aggregator) poll(ctx context.Context, src feedloom.Source) (Result, feedloom.SourceState) {
	log := a.o.Logger.With(slog.String("source", src.URL))
	res := Result{Source: src.URL}
	st, err := a.st.SourceState(ctx, src.URL)
	if err != nil {
		res.Err = err
		return res, st
	}
	if !st.Retired.IsZero() {
		res.Err = fmt.Errorf("%w (%d since %s)", ErrGone, st.LastStatus, st.Retired.UTC().Format(time.DateOnly))
		return res, st
	}
	target := cmp.Or(st.MovedTo, src.URL)
	now := a.o.Now()
	resp, err := a.client.Fetch(ctx, fetch.Request{
		URL:          target,
		ETag:         st.ETag,
		LastModified: st.LastModified,
		AllowFile:    target == src.URL && isFile(src.URL),
	})
	if resp != nil {
		res.Status, res.Bytes = resp.Status, len(resp.Body)
	}
	switch {
	case err != nil:
		res.Err = err
	case resp.NotModified:
		res.NotModified = true
		res.Err = storing(a.st.Update(ctx, func(w *store.Writer) error {
			st.LastModified = firstNonEmpty(resp.LastModified, st.LastModified)
			st.ETag = firstNonEmpty(resp.ETag, st.ETag)
			return a.succeeded(w, src, &st, resp, nil, now)
		}))
	default:
		res.Err = storing(a.ingest(ctx, src, &st, resp, now, &res))
		a.polled(src, resp, res.Err)
	}
	if res.Err != nil {
		if ctx.Err() != nil {
			return res, st // shutting down: the poll did not fail, it was stopped
		}
		st = a.failed(ctx, src, res, now)
		log.Warn("poll failed", slog.Int("status", res.Status), slog.String("class", ErrorClass(res.Err)), slog.Any("error", res.Err),
			slog.String("next_poll", st.NextPoll.Format(time.RFC3339)), slog.String("why", st.IntervalReason))
		return res, st
	}
	log.Debug("polled", slog.Int("status", res.Status), slog.Bool("not_modified", res.NotModified),
		slog.Int("new", res.New), slog.Int("updated", res.Updated), slog.Int("unchanged", res.Unchanged),
		slog.String("next_poll", st.NextPoll.Format(time.RFC3339)), slog.String("why", st.IntervalReason))
	return res, st
}

func isFile(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.Scheme == "file"
}

func mustParse(u string) *url.URL {
	p, err := url.Parse(u)
	if err != nil {
		return &url.URL{}
	}
	return p
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// String summarizes a result for the terminal.
func (r Result) String() string {
	switch {
	case r.Err != nil:
		return fmt.Sprintf("%s: error: %v", r.Source, r.Err)
	case r.NotModified:
		return fmt.Sprintf("%s: not modified (%d)", r.Source, r.Status)
	}
	return fmt.Sprintf("%s: %d new, %d updated, %d unchanged", r.Source, r.New, r.Updated, r.Unchanged)
}
