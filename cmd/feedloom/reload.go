package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/publisher"
	"github.com/feedloom/feedloom/publisher/rules"
	"github.com/feedloom/feedloom/store"
)

// configPollInterval is how often serve looks at the config file's
// modification time and size: a change reloads it, as SIGHUP does.
// Tests shorten it.
var configPollInterval = 2 * time.Second

// onReloader, when set (by tests), is called with serve's reloader once
// it is wired, before the server starts.
var onReloader func(*reloader)

// A reloader applies a new config to a running serve: the topics (rules
// recompiled, a new publisher swapped in, changed topics re-filed from
// the stored items in the background), the sources (the aggregator's
// Run restarted with the new list: added sources are polled, removed ones
// no longer), and base_url (the new publisher and the WebSub hub, which
// follows the topics too, use it). Every other key needs a restart. An invalid config is
// logged with its errors and the running one kept.
type reloader struct {
	log     *slog.Logger
	st      *store.Store
	agg     *aggregator.Aggregator
	handler swapHandler
	sources *liveSources
	hub     *webSubHub // nil unless websub.hub; follows topics and base_url

	mu       sync.Mutex // serializes Reload; guards cfg, rebuild
	cfg      *config.Config
	restart  chan []feedloom.Source // new sources for the poll loop (buffer 1)
	rebuild  *rebuildJob            // the rebuild started last, nil when none
	rebuilds sync.WaitGroup

	ctx context.Context // serve's; the rebuilds stop with it
}

// A rebuildJob is a background re-filing of some topics.
type rebuildJob struct {
	topics   []string
	cancel   context.CancelFunc
	done     chan struct{}
	finished atomic.Bool // it re-filed every item
}

// newReloader returns serve's reloader; serve sets its ctx before the
// first reload can happen.
func newReloader(cfg *config.Config, st *store.Store, agg *aggregator.Aggregator, log *slog.Logger) *reloader {
	r := &reloader{
		log: log, st: st, agg: agg, cfg: cfg,
		sources: &liveSources{st: st},
		restart: make(chan []feedloom.Source, 1),
	}
	r.sources.list.Store(&cfg.Sources)
	return r
}

// Reload reads the config file again and applies it. It returns the
// config's errors when it is invalid (the running config stays).
func (r *reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	next, err := config.Load(r.cfg.File)
	if err != nil {
		var list []string
		var ce config.Errors
		if errors.As(err, &ce) {
			for _, e := range ce {
				list = append(list, e.Error())
			}
		} else {
			list = append(list, err.Error())
		}
		r.log.Error("config reload: invalid config, keeping the running one", slog.String("file", r.cfg.File), slog.Any("errors", list))
		return err
	}
	set, err := rules.Compile(next.Topics)
	if err != nil {
		r.log.Error("config reload: keeping the running config", slog.Any("error", err))
		return err
	}
	prev := r.cfg
	for _, k := range []struct {
		key       string
		old, next string
	}{{"listen", prev.Listen, next.Listen}, {"store", prev.Store, next.Store}, {"websub.hub", prev.WebSub.Hub, next.WebSub.Hub}} {
		if k.old != k.next {
			r.log.Warn("config reload: "+k.key+" changes only on restart", slog.String("running", k.old), slog.String("config", k.next))
		}
	}
	r.cfg = next
	r.agg.SetClassify(set.Classify)
	pub := newPublisher(next, r.st)
	r.handler.set(pub)
	r.hub.setSite(r.ctx, next, pub)
	if !reflect.DeepEqual(prev.Sources, next.Sources) {
		r.sources.list.Store(&next.Sources)
		select {
		case <-r.restart: // a restart not yet taken: replace it
		default:
		}
		r.restart <- next.Sources
	}
	changed := changedTopics(prev.Topics, next.Topics)
	r.log.Info("config reloaded", slog.Int("topics", len(next.Topics)), slog.Int("sources", len(next.Sources)), slog.Any("rebuild", changed))
	if len(changed) > 0 {
		r.startRebuild(changed, set, next.Sources)
	}
	return nil
}

// changedTopics names the topics added, removed, or whose rules changed.
func changedTopics(old, next []feedloom.Topic) []string {
	was := map[string]feedloom.Match{}
	for _, t := range old {
		was[t.Name] = t.Match
	}
	var out []string
	for _, t := range next {
		m, ok := was[t.Name]
		if !ok || !reflect.DeepEqual(m, t.Match) {
			out = append(out, t.Name)
		}
		delete(was, t.Name)
	}
	for name := range was {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// startRebuild re-files topics (with those of a rebuild still running,
// which it replaces) in a goroutine that stops with serve. r.mu is held.
func (r *reloader) startRebuild(topics []string, set *rules.Set, sources []feedloom.Source) {
	if old := r.rebuild; old != nil {
		old.cancel()
		<-old.done
		if !old.finished.Load() {
			topics = append(topics, old.topics...)
		}
	}
	slices.Sort(topics)
	topics = slices.Compact(topics)
	ctx, cancel := context.WithCancel(r.ctx)
	job := &rebuildJob{topics: topics, cancel: cancel, done: make(chan struct{})}
	r.rebuild = job
	classify := topicClassifier(set, sources, topics, time.Now())
	r.rebuilds.Go(func() {
		defer close(job.done)
		defer cancel()
		start := time.Now()
		err := r.st.RebuildTopics(ctx, classify, nil)
		switch {
		case err == nil:
			job.finished.Store(true)
			r.log.Info("topics rebuilt", slog.Any("topics", topics), slog.Duration("took", time.Since(start)))
		case ctx.Err() != nil:
		default:
			r.log.Error("topics rebuild", slog.Any("topics", topics), slog.Any("error", err))
		}
	})
}

// wait waits for the rebuilds started so far.
func (r *reloader) wait() { r.rebuilds.Wait() }

// topicClassifier files an item under the topics it is filed under now,
// except that membership of the named topics is judged again by set (at
// now, for max_age). An item of a source no longer configured is judged
// with its URL only (no tags).
func topicClassifier(set *rules.Set, sources []feedloom.Source, topics []string, now time.Time) func(*feedloom.Item) []string {
	bySource := make(map[string]feedloom.Source, len(sources))
	for _, s := range sources {
		bySource[s.URL] = s
	}
	return func(it *feedloom.Item) []string {
		src, ok := bySource[it.Source]
		if !ok {
			src = feedloom.Source{URL: it.Source}
		}
		var out []string
		for _, t := range it.Topics {
			if !slices.Contains(topics, t) {
				out = append(out, t)
			}
		}
		for _, t := range set.ClassifyAt(it, src, now) {
			if slices.Contains(topics, t) {
				out = append(out, t)
			}
		}
		return out
	}
}

// runAggregator runs agg.Run until ctx is done, restarting it with the
// new sources of a reload. It returns Run's error, if any.
func (r *reloader) runAggregator(ctx context.Context) error {
	for {
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- r.agg.Run(rctx) }()
		select {
		case err := <-done:
			cancel()
			return err
		case sources := <-r.restart:
			cancel()
			if err := <-done; err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
			r.agg.SetSources(sources)
			r.log.Info("sources reloaded", slog.Int("sources", len(sources)))
		}
	}
}

// config returns the configuration serve runs with now.
func (r *reloader) config() *config.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cfg
}

// watch reloads on SIGHUP and when the config file's modification time or
// size changes, until ctx is done.
func (r *reloader) watch(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	file := r.config().File
	last, _ := stat(file)
	tick := time.NewTicker(configPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.log.Info("SIGHUP: reloading the config", slog.String("file", file))
			last, _ = stat(file)
			r.Reload()
		case <-tick.C:
			now, ok := stat(file)
			if !ok || now == last {
				continue
			}
			last = now
			r.log.Info("config file changed: reloading it", slog.String("file", file))
			r.Reload()
		}
	}
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func stat(file string) (fileStamp, bool) {
	fi, err := os.Stat(file)
	if err != nil {
		return fileStamp{}, false
	}
	return fileStamp{fi.ModTime(), fi.Size()}, true
}

// swapHandler serves with the publisher set last.
type swapHandler struct {
	h   atomic.Pointer[http.Handler]
	pub atomic.Pointer[publisher.Server]
}

func (s *swapHandler) set(pub *publisher.Server) {
	h := pub.Handler()
	s.h.Store(&h)
	s.pub.Store(pub)
}

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	(*s.h.Load()).ServeHTTP(w, req)
}

// liveSources is the sources of the config running now, with their states
// in the store (for /sources and the metrics).
type liveSources struct {
	st   *store.Store
	list atomic.Pointer[[]feedloom.Source]
}

func (l *liveSources) Sources() []feedloom.Source { return *l.list.Load() }

func (l *liveSources) SourceState(ctx context.Context, u string) (feedloom.SourceState, error) {
	return l.st.SourceState(ctx, u)
}

var _ publisher.SourceReader = (*liveSources)(nil)
