package aggregator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// feedOf renders an RSS document of entries, each "guid|title|link|date"
// (empty parts are left out).
func feedOf(entries ...string) string {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>T</title><link>https://example.org/</link><description>d</description>`)
	for _, e := range entries {
		p := strings.Split(e, "|")
		b.WriteString("<item>")
		if p[0] != "" {
			fmt.Fprintf(&b, `<guid isPermaLink="false">%s</guid>`, p[0])
		}
		fmt.Fprintf(&b, "<title>%s</title><link>%s</link><description>About %s.</description>", p[1], p[2], p[1])
		if p[3] != "" {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", p[3])
		}
		b.WriteString("</item>")
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

// twoStepOrigin serves first to the first request and second after.
func twoStepOrigin(t *testing.T, first, second string) *httptest.Server {
	var n atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Write([]byte(first))
		} else {
			w.Write([]byte(second))
		}
	}))
	t.Cleanup(origin.Close)
	return origin
}

// pollTwice serves first, then second, polling after each, and returns
// the source's identity and stored items.
func pollTwice(t *testing.T, first, second string) (aggregator.Identity, []feedloom.Item) {
	t.Helper()
	origin := twoStepOrigin(t, first, second)
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: origin.URL}
	agg := newAggregator(st, []feedloom.Source{src}, c)
	ctx := context.Background()
	for i := range 2 {
		if r := agg.Poll(ctx, src); r.Err != nil {
			t.Fatalf("poll %d: %v", i+1, r.Err)
		}
		c.t = c.t.Add(time.Hour)
	}
	id, err := aggregator.SourceIdentity(ctx, st, src.URL)
	if err != nil {
		t.Fatal(err)
	}
	items, err := st.Items(ctx, store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return id, items
}

func TestIdentityPerSource(t *testing.T) {
	// Each case is a folder of testdata/identity holding the document of
	// the first and of the second poll.
	tests := map[string]struct {
		mode  string
		items int
	}{
		"stable-guids":            {aggregator.IdentityGUID, 3},
		"guids-change-every-poll": {aggregator.IdentityLink, 2},
		"guids-missing":           {aggregator.IdentityLink, 2},
		"guids-repeated":          {aggregator.IdentityLink, 2},
		"one-link-dated":          {aggregator.IdentityLinkDate, 3},
		"one-link-undated":        {aggregator.IdentityHash, 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			read := func(f string) string {
				b, err := os.ReadFile(filepath.Join("testdata", "identity", name, f))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			id, items := pollTwice(t, read("poll1.xml"), read("poll2.xml"))
			if id.Mode != tc.mode {
				t.Errorf("identity %+v, want mode %s", id, tc.mode)
			}
			if tc.mode != aggregator.IdentityGUID && id.Reason == "" {
				t.Error("no reason recorded")
			}
			if len(items) != tc.items {
				var titles []string
				for _, it := range items {
					titles = append(titles, it.Title+" "+it.Key)
				}
				t.Errorf("%d items stored, want %d: %q", len(items), tc.items, titles)
			}
		})
	}
}

func TestTombstonedItemNeverComesBack(t *testing.T) {
	doc := feedOf("a|A|https://e.org/a|Sat, 11 May 2019 10:00:00 +0000", "b|B|https://e.org/b|Sat, 11 May 2019 11:00:00 +0000")
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(doc)) }))
	defer origin.Close()
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: origin.URL}
	agg := newAggregator(st, []feedloom.Source{src}, c)
	ctx := context.Background()
	agg.Poll(ctx, src)
	if n, err := st.Prune(ctx, store.Retention{MaxPerSource: 1}, c.t); err != nil || n != 1 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	c.t = c.t.Add(time.Hour)
	if r := agg.Poll(ctx, src); r.Err != nil || r.New != 0 {
		t.Fatalf("poll after prune = %v, want nothing new", r)
	}
	if items, _ := st.Items(ctx, store.ItemQuery{}); len(items) != 1 {
		t.Errorf("%d items after re-poll, want the 1 kept", len(items))
	}
}

func TestRetentionByAge(t *testing.T) {
	doc := feedOf("a|A|https://e.org/a|Sat, 11 May 2019 10:00:00 +0000")
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(doc)) }))
	defer origin.Close()
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: origin.URL}
	agg := aggregator.New(st, []feedloom.Source{src}, aggregator.Options{
		Fetch:  newAggregatorFetch(),
		Now:    c.now,
		MaxAge: 30 * 24 * time.Hour,
	})
	ctx := context.Background()
	agg.Poll(ctx, src)
	c.t = c.t.Add(29 * 24 * time.Hour)
	if n, err := agg.Prune(ctx); err != nil || n != 0 {
		t.Fatalf("prune at 29 days = %d, %v; want nothing removed", n, err)
	}
	c.t = c.t.Add(2 * 24 * time.Hour)
	if n, err := agg.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("prune at 31 days = %d, %v; want 1 removed", n, err)
	}
	if r := agg.Poll(ctx, src); r.New != 0 {
		t.Errorf("the pruned item came back: %v", r)
	}
}

func TestIngestPushedDocument(t *testing.T) {
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: "https://e.org/feed"}
	agg := newAggregator(st, []feedloom.Source{src}, c)
	ctx := context.Background()
	doc := feedOf("a|A|https://e.org/a|Sat, 11 May 2019 10:00:00 +0000", "b|B|/b|")
	r, err := agg.Ingest(ctx, src, []byte(doc), "application/rss+xml", src.URL)
	if err != nil || r.New != 2 {
		t.Fatalf("Ingest = %v, %v; want 2 new", r, err)
	}
	items, _ := st.Items(ctx, store.ItemQuery{Source: src.URL})
	if len(items) != 2 || items[0].URL != "https://e.org/b" {
		t.Errorf("items %+v; want 2, the relative link resolved against the document URL", items)
	}
	s, _ := st.SourceState(ctx, src.URL)
	if !s.LastPoll.IsZero() || s.ETag != "" {
		t.Errorf("a push changed the polling state: %+v", s)
	}
}
