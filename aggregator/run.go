package aggregator

import (
	"cmp"
	"context"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/schedule"
)

// coldSpread is how far apart, on average, Run places the first polls of
// the sources due when it starts (never polled, or overdue), up to
// coldSpreadMax in all: 3 sources start within 30ms, 10,000 within a
// minute.
const (
	coldSpread    = 10 * time.Millisecond
	coldSpreadMax = time.Minute
)

// maxWait bounds one wait of Run on the clock, so that a clock that jumps
// (a suspended laptop) is noticed.
const maxWait = time.Minute

// Run polls each source when it is due until ctx is done. Every source's
// next poll is kept in a queue; at most Workers polls run at once, and at
// most PerHost of them to one host. A retired source is not polled. Run
// returns nil once ctx is done and every poll it started has finished, or
// an error when the store cannot be read at start.
func (a *Aggregator) Run(ctx context.Context) error {
	q, hosts, err := a.seed(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	p := a.newPool(ctx, hosts)
	defer p.wg.Wait()
	var lastPrune time.Time
	for {
		now := a.o.Now()
		if now.Sub(lastPrune) >= a.o.PruneEvery {
			lastPrune = now
			if _, err := a.Prune(ctx); err != nil && ctx.Err() == nil {
				a.o.Logger.Error("retention", slog.Any("error", err))
			}
		}
		for _, i := range a.push.takeKicks(a.index) {
			if p.taken[i] {
				p.again[i] = true // running or waiting for its host: poll again once it is done
			} else {
				q.Set(i, now)
			}
		}
		for p.free() {
			i, at, ok := q.Peek()
			if !ok || at.After(now) {
				break
			}
			q.Pop()
			p.offer(job{i: i, due: at})
		}
		wake := now.Add(maxWait)
		if prune := lastPrune.Add(a.o.PruneEvery); prune.Before(wake) {
			wake = prune
		}
		if _, at, ok := q.Peek(); ok && p.free() && at.Before(wake) {
			wake = at
		}
		select {
		case <-ctx.Done():
			return nil
		case f := <-p.done:
			p.finish(f)
			if !f.st.Retired.IsZero() {
				continue
			}
			next := f.st.NextPoll
			if next.IsZero() { // the state could not be read or written
				next = now.Add(a.policy.Backoff(1).Delay(rand.Float64()))
			}
			if p.again[f.i] {
				delete(p.again, f.i)
				next = now
			}
			q.Set(f.i, next)
		case <-a.o.Until(wake):
		case <-a.push.wake:
		}
	}
}

// seed queues every source that is not retired at its stored next poll.
// The sources due now (never polled, or overdue after a stop) are spread
// over coldSpread each, so a cold start does not send every request in the
// same second. It also returns the host of each source's URL.
func (a *Aggregator) seed(ctx context.Context) (*schedule.Queue[int], []string, error) {
	now := a.o.Now()
	q := new(schedule.Queue[int])
	hosts := make([]string, len(a.sources))
	var due []int
	for i, src := range a.sources {
		st, err := a.st.SourceState(ctx, src.URL)
		if err != nil {
			return nil, nil, err
		}
		hosts[i] = hostKey(cmp.Or(st.MovedTo, src.URL))
		switch {
		case !st.Retired.IsZero():
		case st.NextPoll.After(now):
			q.Set(i, st.NextPoll)
		default:
			due = append(due, i)
		}
	}
	spread := min(time.Duration(len(due))*coldSpread, coldSpreadMax)
	for _, i := range due {
		q.Set(i, now.Add(time.Duration(rand.Int64N(int64(spread)+1))))
	}
	return q, hosts, nil
}

// PollAll polls every source once, Workers at a time and at most PerHost
// to one host, and returns one result per source in configuration order.
// A failing source does not stop the others. A retired source is not
// fetched; its result has ErrGone.
func (a *Aggregator) PollAll(ctx context.Context) []Result {
	hosts := make([]string, len(a.sources))
	for i, src := range a.sources {
		hosts[i] = hostKey(src.URL)
		if st, err := a.st.SourceState(ctx, src.URL); err == nil && st.MovedTo != "" {
			hosts[i] = hostKey(st.MovedTo)
		}
	}
	p := a.newPool(ctx, hosts)
	results := make([]Result, len(a.sources))
	collect := func(f finished) {
		p.finish(f)
		results[f.i] = f.res
	}
	for i := range a.sources {
		for !p.free() {
			collect(<-p.done)
		}
		if ctx.Err() != nil {
			results[i] = Result{Source: a.sources[i].URL, Err: ctx.Err()}
			continue
		}
		p.offer(job{i: i})
	}
	for p.busy > 0 {
		collect(<-p.done)
	}
	p.wg.Wait()
	for _, held := range p.held { // left when ctx ended
		for _, j := range held {
			results[j.i] = Result{Source: a.sources[j.i].URL, Err: ctx.Err()}
		}
	}
	return results
}

// A job is one poll of a.sources[i], due at due.
type job struct {
	i   int
	due time.Time
}

// finished is a job's outcome: its result and the source's state after.
type finished struct {
	job
	res Result
	st  feedloom.SourceState
}

// A pool runs polls on goroutines it owns: at most Workers at once, at most
// PerHost of them to one host. Only the goroutine that made the pool calls
// its methods; the polls report on done.
type pool struct {
	a     *Aggregator
	ctx   context.Context
	hosts []string // of each source; "" is not limited
	wg    sync.WaitGroup
	done  chan finished
	busy  int
	per   map[string]int   // polls running, by host
	held  map[string][]job // due jobs waiting for their host, in order
	taken map[int]bool     // sources whose job is running or held
	again map[int]bool     // taken sources asked for (PollNow) meanwhile: polled again when done
}

func (a *Aggregator) newPool(ctx context.Context, hosts []string) *pool {
	return &pool{
		a:     a,
		ctx:   ctx,
		hosts: hosts,
		done:  make(chan finished, a.o.Workers), // never more than Workers polls: sends never block
		per:   make(map[string]int),
		held:  make(map[string][]job),
		taken: make(map[int]bool),
		again: make(map[int]bool),
	}
}

// free reports whether a worker is free.
func (p *pool) free() bool { return p.busy < p.a.o.Workers }

// offer starts j, or holds it until a poll of its host finishes. A worker
// must be free.
func (p *pool) offer(j job) {
	p.taken[j.i] = true
	if h := p.hosts[j.i]; h != "" && p.per[h] >= p.a.o.PerHost {
		p.held[h] = append(p.held[h], j)
		return
	}
	p.start(j)
}

func (p *pool) start(j job) {
	p.busy++
	if h := p.hosts[j.i]; h != "" {
		p.per[h]++
	}
	src := p.a.sources[j.i]
	p.wg.Go(func() {
		res, st := p.a.pollDue(p.ctx, src, j.due)
		p.done <- finished{job: j, res: res, st: st}
	})
}

// finish accounts for a finished poll and starts the next job held for
// its host.
func (p *pool) finish(f finished) {
	p.busy--
	delete(p.taken, f.i)
	h := p.hosts[f.i]
	if h == "" {
		return
	}
	p.per[h]--
	if moved := hostKey(cmp.Or(f.st.MovedTo, p.a.sources[f.i].URL)); moved != h {
		p.hosts[f.i] = moved
	}
	if held := p.held[h]; len(held) > 0 && p.ctx.Err() == nil {
		p.held[h] = held[1:]
		if len(p.held[h]) == 0 {
			delete(p.held, h)
		}
		p.start(held[0])
	}
}

// hostKey is what the per-host limit counts polls of a URL by: its host
// name, lower-cased (ports do not matter: one machine). file: URLs, and
// URLs that do not parse, are not limited ("").
func hostKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "file" {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// pushState holds the sources whose updates arrive by WebSub push.
type pushState struct {
	mu     sync.Mutex
	pushed map[string]bool
	kicks  []string      // sources no longer pushed, to poll at once
	wake   chan struct{} // tells Run there are kicks
}

func (s *pushState) init() {
	s.pushed = make(map[string]bool)
	s.wake = make(chan struct{}, 1)
}

func (s *pushState) is(source string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushed[source]
}

// takeKicks returns the indexes of the sources to poll at once.
func (s *pushState) takeKicks(index map[string]int) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, u := range s.kicks {
		if i, ok := index[u]; ok {
			out = append(out, i)
		}
	}
	s.kicks = s.kicks[:0]
	return out
}

// PollNow asks Run to poll the source with the configured URL source at
// once, within the Workers and PerHost limits; when a poll of it is
// already running or waiting for its host, once that one is done (one
// poll of a source runs at a time). A URL that is not a source is
// ignored. It is safe to call at any time; asked while Run is not
// running, the poll happens when Run starts.
func (a *Aggregator) PollNow(source string) {
	a.push.kick(source)
}

// kick queues source for an immediate poll and wakes Run.
func (s *pushState) kick(source string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kicks = append(s.kicks, source)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// SetPushed says whether the updates of the source with the configured URL
// source arrive by push (a WebSub subscription is active). A pushed source
// is polled only every MaxInterval, as a safety net, from its next poll
// on; its interval reason is "push". A source that stops being pushed is
// polled at once. It is safe to call at any time, also while Run polls.
func (a *Aggregator) SetPushed(source string, pushed bool) {
	s := &a.push
	s.mu.Lock()
	was := s.pushed[source]
	if pushed {
		s.pushed[source] = true
	} else {
		delete(s.pushed, source)
	}
	s.mu.Unlock()
	if was && !pushed {
		s.kick(source)
	}
}
