// Package aggregator takes feeds from a URL to stored items: it schedules
// polls, fetches through the guarded client (package fetch), parses and
// normalizes (package normalize), decides each entry's identity and story,
// and stores a poll's items together with the source's new state in one
// write transaction.
package aggregator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sync"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/store"
)

// Options configure an Aggregator.
type Options struct {
	Fetch    fetch.Options
	Interval time.Duration // time between two polls of a healthy source; default 30m
	Workers  int           // polls at once; default 16
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
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// MaxBackoff caps the delay after repeated failures.
const MaxBackoff = 24 * time.Hour

// An Aggregator polls a fixed set of sources into a store.
type Aggregator struct {
	st      *store.Store
	client  *fetch.Client
	sources []feedloom.Source
	o       Options

	onDocument documentHook // see OnDocument (hooks.go)
}

// New returns an aggregator polling sources into st.
func New(st *store.Store, sources []feedloom.Source, o Options) *Aggregator {
	if o.Interval <= 0 {
		o.Interval = 30 * time.Minute
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Now == nil {
		o.Now = time.Now
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
	return &Aggregator{st: st, client: fetch.New(o.Fetch), sources: sources, o: o}
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
	Err         error
}

// PollAll polls every source once, Workers at a time, and returns one
// result per source in configuration order. A failing source does not stop
// the others.
func (a *Aggregator) PollAll(ctx context.Context) []Result {
	return a.pollEach(ctx, a.sources)
}

func (a *Aggregator) pollEach(ctx context.Context, srcs []feedloom.Source) []Result {
	results := make([]Result, len(srcs))
	sem := make(chan struct{}, a.o.Workers)
	var wg sync.WaitGroup
	for i, src := range srcs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			results[i] = Result{Source: src.URL, Err: ctx.Err()}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = a.Poll(ctx, src)
		})
	}
	wg.Wait()
	return results
}

// Run polls each source when it is due until ctx is done. It returns only
// when every poll it started has finished.
func (a *Aggregator) Run(ctx context.Context) error {
	var lastPrune time.Time
	for {
		if now := a.o.Now(); now.Sub(lastPrune) >= a.o.PruneEvery {
			lastPrune = now
			if _, err := a.Prune(ctx); err != nil && ctx.Err() == nil {
				a.o.Logger.Error("retention", slog.Any("error", err))
			}
		}
		due, next, err := a.due(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if len(due) > 0 {
			a.pollEach(ctx, due)
			continue
		}
		wait := time.Until(next)
		if wait > time.Minute {
			wait = time.Minute
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
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

// due returns the sources whose next poll has come, and the earliest next
// poll among the others.
func (a *Aggregator) due(ctx context.Context) ([]feedloom.Source, time.Time, error) {
	now := a.o.Now()
	next := now.Add(a.o.Interval)
	var due []feedloom.Source
	for _, src := range a.sources {
		st, err := a.st.SourceState(ctx, src.URL)
		if err != nil {
			return nil, next, err
		}
		if !st.NextPoll.After(now) {
			due = append(due, src)
		} else if st.NextPoll.Before(next) {
			next = st.NextPoll
		}
	}
	return due, next, nil
}

// Poll fetches, parses and stores one source.
func (a *Aggregator) Poll(ctx context.Context, src feedloom.Source) Result {
	start := time.Now()
	res := a.poll(ctx, src)
	res.Duration = time.Since(start)
	if a.o.Observe != nil {
		a.o.Observe(res)
	}
	return res
}

func (a *Aggregator) poll(ctx context.Context, src feedloom.Source) Result {
	log := a.o.Logger.With(slog.String("source", src.URL))
	res := Result{Source: src.URL}
	st, err := a.st.SourceState(ctx, src.URL)
	if err != nil {
		res.Err = err
		return res
	}
	now := a.o.Now()
	resp, err := a.client.Fetch(ctx, fetch.Request{
		URL:          src.URL,
		ETag:         st.ETag,
		LastModified: st.LastModified,
		AllowFile:    isFile(src.URL),
	})
	if resp != nil {
		res.Status, res.Bytes = resp.Status, len(resp.Body)
	}
	switch {
	case err != nil:
		res.Err = err
	case resp.NotModified:
		res.NotModified = true
		err = a.st.Update(ctx, func(w *store.Writer) error {
			st.LastModified = firstNonEmpty(resp.LastModified, st.LastModified)
			st.ETag = firstNonEmpty(resp.ETag, st.ETag)
			return w.PutSourceState(a.succeeded(st, resp.Status, now))
		})
		res.Err = err
	default:
		res.Err = a.ingest(ctx, src, st, resp, now, &res)
		a.polled(src, resp, res.Err)
	}
	if res.Err != nil {
		a.failed(ctx, src, res, now)
		log.Warn("poll failed", slog.Int("status", res.Status), slog.String("class", fetch.Classify(res.Err)), slog.Any("error", res.Err))
		return res
	}
	log.Debug("polled", slog.Int("status", res.Status), slog.Bool("not_modified", res.NotModified),
		slog.Int("new", res.New), slog.Int("updated", res.Updated), slog.Int("unchanged", res.Unchanged))
	return res
}

// succeeded records a successful poll in st.
func (a *Aggregator) succeeded(st feedloom.SourceState, status int, now time.Time) feedloom.SourceState {
	st.LastPoll, st.LastSuccess, st.LastStatus = now, now, status
	st.LastError, st.ConsecutiveFails = "", 0
	st.NextPoll = now.Add(jitter(a.o.Interval))
	return st
}

// failed records a failed poll: the error, and a next poll backed off
// exponentially (and no sooner than a Retry-After asks). What was stored
// before stays stored.
func (a *Aggregator) failed(ctx context.Context, src feedloom.Source, res Result, now time.Time) {
	err := a.st.Update(context.WithoutCancel(ctx), func(w *store.Writer) error {
		st, err := w.SourceState(src.URL)
		if err != nil {
			return err
		}
		st.LastPoll, st.LastStatus = now, res.Status
		st.LastError = res.Err.Error()
		st.ConsecutiveFails++
		delay := backoff(a.o.Interval, st.ConsecutiveFails)
		var se *fetch.StatusError
		if errors.As(res.Err, &se) && se.RetryAfter > delay {
			delay = se.RetryAfter
		}
		st.NextPoll = now.Add(delay)
		return w.PutSourceState(st)
	})
	if err != nil {
		a.o.Logger.Error("recording a failed poll", slog.String("source", src.URL), slog.Any("error", err))
	}
}

// backoff is the delay before the next poll after fails consecutive
// failures: the interval doubled per failure, capped at MaxBackoff, with
// jitter.
func backoff(interval time.Duration, fails int) time.Duration {
	d := interval
	for i := 1; i < fails && d < MaxBackoff; i++ {
		d *= 2
	}
	return jitter(min(d, MaxBackoff))
}

// jitter spreads d by up to ±10% so sources polled together drift apart.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d - d/10 + rand.N(d/5+1)
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
