package aggregator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/store/storetest"
)

// OnDocument sees the headers and body of a 200, and nothing of a 304 or
// a failed poll.
func TestOnDocument(t *testing.T) {
	const doc = `<rss version="2.0"><channel><title>T</title><link>https://example.org/</link><description>d</description>
<item><title>One</title><link>https://example.org/1</link><description>text</description></item></channel></rss>`
	var mu sync.Mutex
	code := http.StatusOK
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		c := code
		mu.Unlock()
		w.Header().Set("Link", `<https://hub.example/>; rel="hub"`)
		w.Header().Set("ETag", `"v1"`)
		if c != http.StatusOK {
			w.WriteHeader(c)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(doc))
	}))
	defer origin.Close()
	setCode := func(c int) { mu.Lock(); code = c; mu.Unlock() }

	src := feedloom.Source{URL: origin.URL + "/feed"}
	agg := aggregator.New(storetest.Open(t), []feedloom.Source{src}, aggregator.Options{
		Fetch: fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
	})
	var got []aggregator.Document
	agg.OnDocument(func(s feedloom.Source, d aggregator.Document) {
		if s.URL != src.URL {
			t.Errorf("source %q, want %q", s.URL, src.URL)
		}
		got = append(got, d)
	})
	ctx := context.Background()

	if r := agg.Poll(ctx, src); r.Err != nil {
		t.Fatal(r.Err)
	}
	if len(got) != 1 {
		t.Fatalf("%d documents after a 200, want 1", len(got))
	}
	if d := got[0]; d.URL != src.URL || d.Header.Get("Link") == "" || string(d.Body) != doc {
		t.Errorf("document = %q, Link %q, body %q", d.URL, d.Header.Get("Link"), d.Body)
	}

	setCode(http.StatusNotModified)
	agg.Poll(ctx, src)
	setCode(http.StatusInternalServerError)
	agg.Poll(ctx, src)
	if len(got) != 1 {
		t.Errorf("%d documents after a 304 and a 500, want still 1", len(got))
	}

	agg.OnDocument(nil)
	setCode(http.StatusOK)
	agg.Poll(ctx, src)
	if len(got) != 1 {
		t.Errorf("the removed hook was called")
	}
}
