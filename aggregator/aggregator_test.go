package aggregator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// scripted serves the responses in order, repeating the last.
type scripted struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter)
	n     int
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	step := s.steps[min(s.n, len(s.steps)-1)]
	s.n++
	s.mu.Unlock()
	step(w)
}

func body(doc string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(doc))
	}
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

const undated = `<rss version="2.0"><channel><title>T</title><link>https://example.org/</link><description>d</description>
<item><title>No date here</title><link>https://example.org/a</link><description>text</description></item>
<item><title>Dated</title><link>https://example.org/b</link><pubDate>Sat, 11 May 2019 10:41:00 +0300</pubDate><description>text</description></item>
</channel></rss>`

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// newAggregatorFetch allows the loopback test origins.
func newAggregatorFetch() fetch.Options {
	return fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
}

func newAggregator(st *store.Store, srcs []feedloom.Source, c *clock) *aggregator.Aggregator {
	return aggregator.New(st, srcs, aggregator.Options{
		Fetch:    newAggregatorFetch(),
		Interval: 30 * time.Minute,
		Workers:  2,
		Now:      c.now,
		Classify: func(*feedloom.Item, feedloom.Source) []string { return []string{"all"} },
	})
}

func TestUndatedItemKeepsFirstSeenDate(t *testing.T) {
	origin := httptest.NewServer(&scripted{steps: []func(http.ResponseWriter){body(undated)}})
	defer origin.Close()
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: origin.URL}
	agg := newAggregator(st, []feedloom.Source{src}, c)
	ctx := context.Background()
	if r := agg.Poll(ctx, src); r.Err != nil || r.New != 2 {
		t.Fatalf("first poll = %v, want 2 new", r)
	}
	c.t = c.t.Add(time.Hour)
	if r := agg.Poll(ctx, src); r.Err != nil || r.Unchanged != 2 {
		t.Fatalf("second poll = %v, want 2 unchanged (an undated entry is not an edit)", r)
	}
	items, _ := st.Items(ctx, store.ItemQuery{})
	for _, it := range items {
		if it.Title == "No date here" && !it.Published.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("undated item published %s, want the time first seen", it.Published)
		}
	}
}

func TestFailureKeepsItemsAndBacksOff(t *testing.T) {
	origin := httptest.NewServer(&scripted{steps: []func(http.ResponseWriter){
		body(undated),
		status(500),
		status(503, "Retry-After", "7200"),
		body(undated),
	}})
	defer origin.Close()
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: origin.URL}
	agg := newAggregator(st, []feedloom.Source{src}, c)
	ctx := context.Background()
	agg.Poll(ctx, src)

	r := agg.Poll(ctx, src)
	if r.Err == nil || r.Status != 500 {
		t.Fatalf("poll of a 500 = %v", r)
	}
	s, _ := st.SourceState(ctx, src.URL)
	if s.ConsecutiveFails != 1 || s.Items != 2 || s.LastStatus != 500 || !strings.Contains(s.LastError, "500") {
		t.Errorf("after a 500: %+v; want 1 failure, the 2 items kept, the error shown", s)
	}
	if d := s.NextPoll.Sub(c.t); d < 27*time.Minute || d > 33*time.Minute {
		t.Errorf("first retry in %s, want about the interval", d)
	}

	r = agg.Poll(ctx, src)
	s, _ = st.SourceState(ctx, src.URL)
	if d := s.NextPoll.Sub(c.t); s.ConsecutiveFails != 2 || d < 2*time.Hour {
		t.Errorf("after a 503 with Retry-After 2h: %d failures, next poll in %s; want 2 and at least 2h", s.ConsecutiveFails, d)
	}

	if r = agg.Poll(ctx, src); r.Err != nil {
		t.Fatal(r.Err)
	}
	s, _ = st.SourceState(ctx, src.URL)
	if s.ConsecutiveFails != 0 || s.LastError != "" || s.LastSuccess != c.t {
		t.Errorf("after recovery: %+v", s)
	}
}

func TestBrokenFeedStoresNothing(t *testing.T) {
	origin := httptest.NewServer(&scripted{steps: []func(http.ResponseWriter){
		body(undated),
		body(`<rss version="2.0"><channel><title>T</title><item><title>half`),
		body(`<html><body>Login</body></html>`),
	}})
	defer origin.Close()
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: origin.URL}
	agg := newAggregator(st, []feedloom.Source{src}, c)
	ctx := context.Background()
	agg.Poll(ctx, src)
	for _, name := range []string{"truncated", "html"} {
		if r := agg.Poll(ctx, src); r.Err == nil {
			t.Errorf("%s document: no error", name)
		}
	}
	items, _ := st.Items(ctx, store.ItemQuery{})
	if len(items) != 2 {
		t.Errorf("%d items after broken documents, want the 2 stored before", len(items))
	}
}

func TestPollAllIsolatesFailures(t *testing.T) {
	good := httptest.NewServer(&scripted{steps: []func(http.ResponseWriter){body(undated)}})
	defer good.Close()
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	srcs := []feedloom.Source{{URL: "http://127.0.0.1:1/nothing-listens"}, {URL: good.URL}, {URL: "http://10.0.0.1/blocked"}}
	res := newAggregator(st, srcs, c).PollAll(context.Background())
	if len(res) != 3 || res[0].Err == nil || res[1].Err != nil || res[1].New != 2 || res[2].Err == nil {
		t.Fatalf("results = %v", res)
	}
	if !strings.Contains(res[2].Err.Error(), "refusing") {
		t.Errorf("private address error = %v", res[2].Err)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	origin := httptest.NewServer(&scripted{steps: []func(http.ResponseWriter){body(undated)}})
	defer origin.Close()
	st := storetest.Open(t)
	polled := make(chan struct{}, 1)
	src := feedloom.Source{URL: origin.URL}
	agg := aggregator.New(st, []feedloom.Source{src}, aggregator.Options{
		Fetch: newAggregatorFetch(),
		Classify: func(*feedloom.Item, feedloom.Source) []string {
			select {
			case polled <- struct{}{}:
			default:
			}
			return nil
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- agg.Run(ctx) }()
	<-polled
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run returned %v after cancel", err)
	}
}

func TestEditMovesStoryUpdatedNotEntries(t *testing.T) {
	first := feedOf("a|Grain exports|https://e.org/a|Sat, 11 May 2019 10:00:00 +0000")
	edited := strings.Replace(first, "About Grain exports.", "About record grain exports.", 1)
	origin := twoStepOrigin(t, first, edited)
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: origin.URL}
	agg := newAggregator(st, []feedloom.Source{src}, c)
	ctx := context.Background()
	agg.Poll(ctx, src)
	before, _ := st.TopicEntries(ctx, "all", 0)
	c.t = c.t.Add(time.Hour)
	if r := agg.Poll(ctx, src); r.Updated != 1 {
		t.Fatalf("second poll = %v, want 1 updated", r)
	}
	after, _ := st.TopicEntries(ctx, "all", 0)
	if len(before) != 1 || len(after) != 1 || after[0].Story.ID != before[0].Story.ID {
		t.Fatalf("entries before %d, after %d: an edit must keep one entry with its id", len(before), len(after))
	}
	if !after[0].Story.Updated.Equal(c.t) || !after[0].Story.Published.Equal(before[0].Story.Published) {
		t.Errorf("after the edit: published %s updated %s; want published kept and updated = %s",
			after[0].Story.Published, after[0].Story.Updated, c.t)
	}
}

func TestRefilingKeepsStoryUpdated(t *testing.T) {
	doc := feedOf("a|Grain exports|https://e.org/a|Sat, 11 May 2019 10:00:00 +0000")
	origin := twoStepOrigin(t, doc, doc)
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: origin.URL}
	topic := "old"
	agg := aggregator.New(st, []feedloom.Source{src}, aggregator.Options{
		Fetch:    newAggregatorFetch(),
		Now:      c.now,
		Classify: func(*feedloom.Item, feedloom.Source) []string { return []string{topic} },
	})
	ctx := context.Background()
	agg.Poll(ctx, src)
	before, _ := st.TopicEntries(ctx, "old", 0)
	topic = "new"
	c.t = c.t.Add(time.Hour)
	if r := agg.Poll(ctx, src); r.Err != nil || r.Unchanged != 1 {
		t.Fatalf("poll = %v, want 1 unchanged", r)
	}
	after, _ := st.TopicEntries(ctx, "new", 0)
	if gone, _ := st.TopicEntries(ctx, "old", 0); len(gone) != 0 || len(before) != 1 || len(after) != 1 {
		t.Fatalf("old topic %d entries, new %d; want the story refiled", len(gone), len(after))
	}
	if !after[0].Story.Updated.Equal(before[0].Story.Updated) {
		t.Errorf("refiling moved the story's updated date from %s to %s", before[0].Story.Updated, after[0].Story.Updated)
	}
}
