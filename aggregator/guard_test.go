package aggregator_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/aggregator/normalize"
	"github.com/feedloom/feedloom/internal/loopbacktest"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// THREATS case 1: a source on a refused address is never connected to;
// it is marked failing with a message naming the address and the
// setting, and backs off like any failure instead of being retried at
// once.
func TestBlockedSourceFailsAndBacksOff(t *testing.T) {
	srv, ln := loopbacktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(undated)) }))
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: srv.URL + "/feed"}
	agg := aggregator.New(st, []feedloom.Source{src}, aggregator.Options{Interval: 30 * time.Minute, Now: c.now}) // the production guard
	ctx := context.Background()

	var last time.Duration
	for k := 1; k <= 3; k++ {
		r := agg.Poll(ctx, src)
		if !errors.Is(r.Err, fetch.ErrBlocked) {
			t.Fatalf("poll %d: %v, want ErrBlocked", k, r.Err)
		}
		s, _ := st.SourceState(ctx, src.URL)
		if s.State != feedloom.StateFailing || s.ConsecutiveFails != k ||
			!strings.Contains(s.LastError, "refusing to connect to private address 127.0.0.1 (list it in fetch.allow, or set fetch.allow_private_networks)") {
			t.Errorf("poll %d: state %s, %d failures, last error %q", k, s.State, s.ConsecutiveFails, s.LastError)
		}
		d := s.NextPoll.Sub(c.t)
		if d < 25*time.Minute || d <= last {
			t.Errorf("poll %d: next poll in %v after %v before; want the backoff to start at the interval and grow", k, d, last)
		}
		last = d
		c.t = s.NextPoll
	}
	if n := ln.Accepts(); n != 0 {
		t.Errorf("the refused origin accepted %d connections, want 0", n)
	}
}

// THREATS case 2: a permanent redirect to a refused address fails the
// poll at the second hop, however often it is seen; the source is never
// moved there and its URL is never rewritten.
func TestPermanentRedirectToBlockedAddressNeverMoves(t *testing.T) {
	for _, code := range []int{301, 302, 307, 308} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			target, targetLn := loopbacktest.ServerOn(t, "127.0.0.2:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(undated)) }))
			origin, _ := loopbacktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+"/feed", code)
			}))
			st := storetest.Open(t)
			c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
			src := feedloom.Source{URL: origin.URL + "/feed"}
			agg := newAggregator(st, []feedloom.Source{src}, c) // allows 127.0.0.1 only
			ctx := context.Background()
			for k := 1; k <= 5; k++ { // more than the 3 permanent redirects that move a source
				if r := agg.Poll(ctx, src); !errors.Is(r.Err, fetch.ErrBlocked) {
					t.Fatalf("poll %d: %v, want ErrBlocked", k, r.Err)
				}
				c.t = c.t.Add(24 * time.Hour)
			}
			s, _ := st.SourceState(ctx, src.URL)
			if s.MovedTo != "" || s.RedirectTo != "" || s.State != feedloom.StateFailing {
				t.Errorf("state after 5 refused redirects: moved to %q, redirect to %q, state %s", s.MovedTo, s.RedirectTo, s.State)
			}
			if n := targetLn.Accepts(); n != 0 {
				t.Errorf("the refused target accepted %d connections, want 0", n)
			}
			if got := agg.Sources()[0].URL; got != src.URL {
				t.Errorf("source URL %q, want it unchanged", got)
			}
		})
	}
}

// THREATS cases 8, 9 and 11 end to end: a gzip bomb, a body over the
// cap and a cut-off transfer fail the poll, store nothing and leave the
// validators of the last good poll, so the next poll is conditional on
// what is really stored.
func TestFailedFetchKeepsItemsAndValidators(t *testing.T) {
	bomb := func(w http.ResponseWriter) {
		w.Header().Set("ETag", `"bomb"`)
		w.Header().Set("Content-Encoding", "gzip")
		loopbacktest.GzipZeros(w, 8<<20) // 32 times the cap
	}
	big := func(w http.ResponseWriter) {
		w.Header().Set("ETag", `"big"`)
		w.Write([]byte(strings.Repeat(" ", 300<<10)))
	}
	cut := func(w http.ResponseWriter) {
		w.Header().Set("ETag", `"cut"`)
		w.Header().Set("Content-Length", "100000")
		w.Write([]byte(undated[:len(undated)/2]))
	}
	good := func(w http.ResponseWriter) {
		w.Header().Set("ETag", `"v1"`)
		body(undated)(w)
	}
	origin, _ := loopbacktest.Server(t, &scripted{steps: []func(http.ResponseWriter){good, bomb, big, cut, good}})
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: origin.URL}
	o := newAggregatorFetch()
	o.MaxBody = 256 << 10
	agg := aggregator.New(st, []feedloom.Source{src}, aggregator.Options{Fetch: o, Now: c.now})
	ctx := context.Background()
	if r := agg.Poll(ctx, src); r.Err != nil || r.New != 2 {
		t.Fatalf("first poll: %v", r)
	}
	for _, want := range []string{"too_large", "too_large", "network"} {
		r := agg.Poll(ctx, src)
		if got := fetch.Classify(r.Err); got != want {
			t.Errorf("poll: %v (class %q), want class %q", r.Err, got, want)
		}
		s, _ := st.SourceState(ctx, src.URL)
		items, _ := st.Items(ctx, store.ItemQuery{})
		if s.ETag != `"v1"` || s.Items != 2 || len(items) != 2 {
			t.Errorf("after a %s failure: ETag %s, %d items (%d stored); want the first poll's", want, s.ETag, s.Items, len(items))
		}
	}
}

// THREATS case 12: the status-code zoo, in one source's life.
func TestStatusZoo(t *testing.T) {
	good := func(w http.ResponseWriter) {
		w.Header().Set("ETag", `"v1"`)
		body(undated)(w)
	}
	login := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html><head><title>Sign in</title></head><body><form method="post"><input name="user"></form></body></html>`))
	}
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	steps := []struct {
		name  string
		reply func(http.ResponseWriter)
		check func(t *testing.T, r aggregator.Result, s feedloom.SourceState)
	}{
		{"200", good, func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			if r.Err != nil || r.New != 2 {
				t.Errorf("%v", r)
			}
		}},
		{"304", status(304), func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			if r.Err != nil || !r.NotModified || r.New+r.Updated+r.Unchanged != 0 {
				t.Errorf("%v: want not modified, nothing parsed", r)
			}
		}},
		{"200 with the same ETag", good, func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			if r.Err != nil || r.New != 0 || r.Unchanged != 2 {
				t.Errorf("%v: want the 2 items unchanged", r)
			}
		}},
		{"404", status(404), func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			checkBackoff(t, r, s, c.t, 404)
		}},
		{"500", status(500), func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			checkBackoff(t, r, s, c.t, 500)
		}},
		{"429 Retry-After 120", status(429, "Retry-After", "120"), func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			checkRetryAfter(t, s, c.t, 5*time.Minute) // at least min_interval
		}},
		{"503 Retry-After date", status(503, "Retry-After", time.Now().Add(3*time.Hour).UTC().Format(http.TimeFormat)), func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			// The date is judged by the wall clock, this test's clock is fake: about 3h.
			if d := s.NextPoll.Sub(c.t); s.IntervalReason != "retry-after" || d < 2*time.Hour || d > 4*time.Hour {
				t.Errorf("next poll in %v (%s), want about 3h after the Retry-After date", d, s.IntervalReason)
			}
		}},
		{"503 Retry-After 999999999", status(503, "Retry-After", "999999999"), func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			checkRetryAfter(t, s, c.t, 24*time.Hour) // clamped
		}},
		{"503 Retry-After garbage", status(503, "Retry-After", "tomorrow-ish"), func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			if s.IntervalReason == "retry-after" {
				t.Errorf("garbage Retry-After honoured: %s", s.IntervalReason)
			}
			checkBackoff(t, r, s, c.t, 503)
		}},
		{"200 HTML login page", login, func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			if !errors.Is(r.Err, normalize.ErrNotFeed) || !strings.Contains(s.LastError, "not a feed") {
				t.Errorf("%v (last error %q): want not a feed", r.Err, s.LastError)
			}
		}},
		{"410", status(410), func(t *testing.T, r aggregator.Result, s feedloom.SourceState) {
			if s.State != feedloom.StateGone || s.Retired.IsZero() || !s.NextPoll.IsZero() {
				t.Errorf("state %s, retired %v, next poll %v; want gone with no next poll", s.State, s.Retired, s.NextPoll)
			}
		}},
	}
	var replies []func(http.ResponseWriter)
	for _, s := range steps {
		replies = append(replies, s.reply)
	}
	origin, ln := loopbacktest.Server(t, &scripted{steps: replies})
	st := storetest.Open(t)
	src := feedloom.Source{URL: origin.URL}
	agg := aggregator.New(st, []feedloom.Source{src}, aggregator.Options{Fetch: newAggregatorFetch(), Interval: 30 * time.Minute, Now: c.now})
	ctx := context.Background()
	for _, step := range steps {
		r := agg.Poll(ctx, src)
		s, _ := st.SourceState(ctx, src.URL)
		t.Run(step.name, func(t *testing.T) { step.check(t, r, s) })
		c.t = c.t.Add(time.Hour)
	}
	before := ln.Accepts()
	if r := agg.Poll(ctx, src); !errors.Is(r.Err, aggregator.ErrGone) || ln.Accepts() != before {
		t.Errorf("after 410: %v, %d new connections; want ErrGone and no fetch", r.Err, ln.Accepts()-before)
	}
	if items, _ := st.Items(ctx, store.ItemQuery{}); len(items) != 2 {
		t.Errorf("%d items at the end, want the 2 of the first poll", len(items))
	}
}

// checkBackoff checks a failed poll with the HTTP status code was
// scheduled by the error backoff (exponential, with up to a tenth of
// jitter either way), not retried at once.
func checkBackoff(t *testing.T, r aggregator.Result, s feedloom.SourceState, now time.Time, code int) {
	t.Helper()
	var se *fetch.StatusError
	if !errors.As(r.Err, &se) || se.Code != code {
		t.Fatalf("%v: want a status error %d", r.Err, code)
	}
	want := 30 * time.Minute << (s.ConsecutiveFails - 1)
	if d := s.NextPoll.Sub(now); !strings.HasPrefix(s.IntervalReason, "backoff") || d < want-want/10 || d > want+want/10 {
		t.Errorf("after %d failures: next poll in %v (%s), want %v ± 10%%", s.ConsecutiveFails, d, s.IntervalReason, want)
	}
}

// checkRetryAfter checks the next poll honours a Retry-After of want.
func checkRetryAfter(t *testing.T, s feedloom.SourceState, now time.Time, want time.Duration) {
	t.Helper()
	if d := s.NextPoll.Sub(now); s.IntervalReason != "retry-after" || d < want || d > want+want/10 {
		t.Errorf("next poll in %v (%s), want %v to %v", d, s.IntervalReason, want, want+want/10)
	}
}
