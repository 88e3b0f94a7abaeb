package aggregator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/internal/loopbacktest"
	"github.com/feedloom/feedloom/metrics"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// The saved news page (navigation, ads, a sidebar, comments around the
// article) is the fulltext package's fixture.
const articleFixture = "fulltext/testdata/article.html"

var (
	articleParagraphs = []string{
		"The harbour authority voted on Thursday evening to build a tidal barrier",
		"The barrier will consist of six steel gates",
		"The scheme is expected to cost 310 million",
		"Objectors have six weeks to seek a judicial review",
	}
	pageChrome = []string{"Weekend Sport", "refinance your boat loan", "SeagullWatcher42", "my cellar has flooded", "Beloved bakery", "All rights reserved"}
)

const feedSummary = "The harbour authority approved a tidal barrier on Thursday."

// site is a loopback news site: a feed at /feed whose items link to
// links (relative ones on the site), and pages; it counts the requests to
// each path.
type site struct {
	*paths
	srv    *httptest.Server
	noETag atomic.Bool // serve the feed without validators: every poll gets a 200
	mu     sync.Mutex
	accept string // of the last page request
}

func newSite(t *testing.T, pages map[string]http.HandlerFunc, links ...string) *site {
	s := &site{}
	handlers := map[string]http.HandlerFunc{"/feed": s.feed(links)}
	for path, h := range pages {
		handlers[path] = func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.accept = r.Header.Get("Accept")
			s.mu.Unlock()
			h(w, r)
		}
	}
	s.paths, s.srv = newPaths(t, handlers)
	return s
}

func (s *site) feed(links []string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		if !s.noETag.Load() {
			w.Header().Set("ETag", `"v1"`)
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		base := "http://" + r.Host
		fmt.Fprint(w, `<rss version="2.0"><channel><title>Coastal Ledger</title><link>`+base+`/</link><description>d</description>`)
		for i, l := range links {
			if !strings.Contains(l, "://") {
				l = base + l
			}
			fmt.Fprintf(w, `<item><guid>story-%d</guid><title>Harbour story %d</title><link>%s</link><pubDate>Fri, 20 Nov 2026 08:30:00 +0000</pubDate><description>%s</description></item>`, i, i, l, feedSummary)
		}
		fmt.Fprint(w, `</channel></rss>`)
	}
}

// serveFile serves the file at path as an HTML page.
func serveFile(t *testing.T, path string) http.HandlerFunc {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	}
}

type fullTextRig struct {
	st  *store.Store
	agg *aggregator.Aggregator
	reg *prometheus.Registry
	m   *metrics.Metrics
}

func newFullTextRig(t *testing.T, srcs []feedloom.Source, fo fetch.Options) *fullTextRig {
	t.Helper()
	r := &fullTextRig{st: storetest.Open(t), reg: prometheus.NewRegistry()}
	var err error
	if r.m, err = metrics.New(r.reg, metrics.Options{}); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	r.agg = aggregator.New(r.st, srcs, aggregator.Options{Fetch: fo, Now: c.now, Observe: r.m.Observe})
	return r
}

func (r *fullTextRig) poll(t *testing.T, src feedloom.Source) aggregator.Result {
	t.Helper()
	res := r.agg.Poll(context.Background(), src)
	if res.Err != nil {
		t.Fatalf("poll %s: %v", src.URL, res.Err)
	}
	return res
}

func (r *fullTextRig) counted(outcome string) float64 {
	c, err := r.reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range c {
		if mf.GetName() != "feedloom_fulltext_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// onlyItem returns the one item stored for source.
func (r *fullTextRig) onlyItem(t *testing.T, source string) feedloom.Item {
	t.Helper()
	items, err := r.st.Items(context.Background(), store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []feedloom.Item
	for _, it := range items {
		if it.Source == source {
			got = append(got, it)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d items stored for %s, want 1", len(got), source)
	}
	return got[0]
}

func TestFullTextFromArticlePage(t *testing.T) {
	s := newSite(t, map[string]http.HandlerFunc{"/news/2026/11/20/tidal-barrier/": serveFile(t, articleFixture)},
		"/news/2026/11/20/tidal-barrier/")
	src := feedloom.Source{URL: s.srv.URL + "/feed", FullText: true, Republish: feedloom.RepublishFull}
	r := newFullTextRig(t, []feedloom.Source{src}, newAggregatorFetch())

	res := r.poll(t, src)
	if res.New != 1 || res.FullText[aggregator.FullTextExtracted] != 1 {
		t.Fatalf("poll = %v, full text %v; want 1 new, 1 extracted", res, res.FullText)
	}
	it := r.onlyItem(t, src.URL)
	for _, p := range articleParagraphs {
		if !strings.Contains(it.Content, p) || !strings.Contains(it.Text, p) {
			t.Errorf("stored content lacks the article's %q:\n%s", p, it.Content)
		}
	}
	for _, c := range pageChrome {
		if strings.Contains(it.Content, c) || strings.Contains(it.Text, c) {
			t.Errorf("stored content keeps the page's %q", c)
		}
	}
	if !strings.Contains(it.Summary, feedSummary) {
		t.Errorf("summary = %q, want the feed's", it.Summary)
	}
	s.mu.Lock()
	if accept := s.accept; !strings.HasPrefix(accept, "text/html") {
		t.Errorf("the page was asked for with Accept %q, want HTML first", accept)
	}
	s.mu.Unlock()
	if got := r.counted(aggregator.FullTextExtracted); got != 1 {
		t.Errorf("feedloom_fulltext_total{outcome=extracted} = %v, want 1", got)
	}

	// Neither a 304 nor a 200 with the same item fetches the page again,
	// and the item keeps its article.
	if res := r.poll(t, src); !res.NotModified {
		t.Errorf("second poll = %v, want a 304", res)
	}
	s.noETag.Store(true)
	if res := r.poll(t, src); res.Unchanged != 1 || len(res.FullText) != 0 {
		t.Errorf("third poll = %v, full text %v; want the item unchanged, nothing counted", res, res.FullText)
	}
	if n := s.count("/news/2026/11/20/tidal-barrier/"); n != 1 {
		t.Errorf("the page was requested %d times, want once", n)
	}
	if it2 := r.onlyItem(t, src.URL); it2.Content != it.Content {
		t.Errorf("a later poll changed the article")
	}
	counts, err := aggregator.SourceFullText(context.Background(), r.st, src.URL)
	if err != nil || counts[aggregator.FullTextExtracted] != 1 || len(counts) != 1 {
		t.Errorf("SourceFullText = %v, %v; want 1 extracted", counts, err)
	}
}

// A second source linking the same article takes the stored page; a
// source taking another block of the page with a selector fetches it.
func TestFullTextSharedBySources(t *testing.T) {
	s := newSite(t, map[string]http.HandlerFunc{"/article": serveFile(t, articleFixture)}, "/article")
	a := feedloom.Source{URL: s.srv.URL + "/feed", FullText: true, Republish: feedloom.RepublishFull}
	b := feedloom.Source{URL: s.srv.URL + "/feed?edition=intl", FullText: true, Republish: feedloom.RepublishFull}
	c := feedloom.Source{URL: s.srv.URL + "/feed?edition=comments", FullText: true, FullTextSelector: "#comments", Republish: feedloom.RepublishFull}
	r := newFullTextRig(t, []feedloom.Source{a, b, c}, newAggregatorFetch())
	r.poll(t, a)
	res := r.poll(t, b)
	if res.New != 1 || res.FullText[aggregator.FullTextCached] != 1 {
		t.Fatalf("second source's poll = %v, full text %v; want 1 new from the cache", res, res.FullText)
	}
	if n := s.count("/article"); n != 1 {
		t.Errorf("the page was requested %d times, want once", n)
	}
	if it := r.onlyItem(t, b.URL); !strings.Contains(it.Content, articleParagraphs[0]) {
		t.Errorf("second source's item has no article: %q", it.Content)
	}
	if res := r.poll(t, c); res.FullText[aggregator.FullTextExtracted] != 1 || s.count("/article") != 2 {
		t.Errorf("source with a selector: full text %v, page requested %d times; want its own fetch", res.FullText, s.count("/article"))
	}
	if it := r.onlyItem(t, c.URL); !strings.Contains(it.Content, "my cellar has flooded") || strings.Contains(it.Content, articleParagraphs[0]) {
		t.Errorf("source with a selector got %q", it.Content)
	}
}

func TestFullTextSelector(t *testing.T) {
	s := newSite(t, map[string]http.HandlerFunc{"/article": serveFile(t, articleFixture)}, "/article")
	src := feedloom.Source{URL: s.srv.URL + "/feed", FullText: true, FullTextSelector: "#comments", Republish: feedloom.RepublishFull}
	r := newFullTextRig(t, []feedloom.Source{src}, newAggregatorFetch())
	r.poll(t, src)
	it := r.onlyItem(t, src.URL)
	if !strings.Contains(it.Content, "my cellar has flooded three winters") || strings.Contains(it.Content, articleParagraphs[0]) {
		t.Errorf("with the selector #comments the content is:\n%s", it.Content)
	}
}

// A page that gives no article leaves the item with the feed's summary,
// and the failure is counted by what went wrong.
func TestFullTextFallsBackToSummary(t *testing.T) {
	long := strings.Repeat("A paragraph of the article that goes on for a while. ", 12)
	tests := map[string]struct {
		page    http.HandlerFunc // nil: 404
		outcome string
	}{
		"not found": {nil, "http_4xx"},
		"no article": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><body><nav><a href="/">Home</a> <a href="/login">Log in</a></nav><p>Subscribe to read this story.</p></body></html>`)
		}, aggregator.FullTextNoArticle},
		"not html": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/pdf")
			fmt.Fprint(w, "%PDF-1.7 "+long)
		}, aggregator.FullTextNotHTML},
		"timeout": {func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, "<html><body><article><p>")
			w.(http.Flusher).Flush()
			<-r.Context().Done() // the rest never comes
		}, "timeout"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			pages := map[string]http.HandlerFunc{}
			if tc.page != nil {
				pages["/article"] = tc.page
			}
			s := newSite(t, pages, "/article")
			src := feedloom.Source{URL: s.srv.URL + "/feed", FullText: true, Republish: feedloom.RepublishFull}
			fo := newAggregatorFetch()
			fo.Timeout = time.Second
			r := newFullTextRig(t, []feedloom.Source{src}, fo)
			res := r.poll(t, src)
			if res.New != 1 || res.FullText[tc.outcome] != 1 {
				t.Fatalf("poll = %v, full text %v; want 1 new, counted as %s", res, res.FullText, tc.outcome)
			}
			it := r.onlyItem(t, src.URL)
			if !strings.Contains(it.Summary+it.Content, feedSummary) || strings.Contains(it.Content, "paragraph of the article") {
				t.Errorf("item summary %q, content %q; want the feed's summary", it.Summary, it.Content)
			}
			if got := r.counted(tc.outcome); got != 1 {
				t.Errorf("feedloom_fulltext_total{outcome=%s} = %v, want 1", tc.outcome, got)
			}
			counts, _ := aggregator.SourceFullText(context.Background(), r.st, src.URL)
			if counts[tc.outcome] != 1 {
				t.Errorf("source counts = %v, want 1 %s", counts, tc.outcome)
			}
		})
	}
}

// The fetch guard applies to item pages: a feed on an allowed origin
// cannot make feedloom fetch a page on an address it does not allow.
func TestFullTextPageBehindGuard(t *testing.T) {
	inside, denied := loopbacktest.ServerOn(t, "127.0.0.2:0", serveFile(t, articleFixture)) // loopback, but not allowed below
	s := newSite(t, nil, inside.URL+"/admin/article")
	src := feedloom.Source{URL: s.srv.URL + "/feed", FullText: true, Republish: feedloom.RepublishFull}
	fo := fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}} // the feed's origin only
	r := newFullTextRig(t, []feedloom.Source{src}, fo)
	res := r.poll(t, src)
	if res.New != 1 || res.FullText["blocked"] != 1 {
		t.Fatalf("poll = %v, full text %v; want 1 new, 1 blocked", res, res.FullText)
	}
	if n := denied.Accepts(); n != 0 {
		t.Errorf("the denied address accepted %d connections, want 0", n)
	}
	if it := r.onlyItem(t, src.URL); !strings.Contains(it.Summary+it.Content, feedSummary) || strings.Contains(it.Content, articleParagraphs[0]) {
		t.Errorf("item = %q / %q, want the feed's summary", it.Summary, it.Content)
	}
	if got := r.counted("blocked"); got != 1 {
		t.Errorf("blocked counted %v times, want 1", got)
	}
}

// Under the default republishing policy (summary) the article is not
// republished, but matching and clustering read it.
func TestFullTextUnderSummaryPolicy(t *testing.T) {
	s := newSite(t, map[string]http.HandlerFunc{"/article": serveFile(t, articleFixture)}, "/article")
	src := feedloom.Source{URL: s.srv.URL + "/feed", FullText: true}
	r := newFullTextRig(t, []feedloom.Source{src}, newAggregatorFetch())
	r.poll(t, src)
	it := r.onlyItem(t, src.URL)
	if it.Content != "" || !strings.Contains(it.Summary, feedSummary) {
		t.Errorf("summary %q, content %q; want the feed's summary alone", it.Summary, it.Content)
	}
	if !strings.Contains(it.Text, articleParagraphs[3]) {
		t.Errorf("text %q lacks the article", it.Text)
	}
}

// A pushed document is stored within a deadline: pages that do not arrive
// in half the time left are cut short, and the items are stored with the
// feed's summary rather than lost.
func TestFullTextWithinPushDeadline(t *testing.T) {
	s := newSite(t, map[string]http.HandlerFunc{"/article": func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	}}, "/article")
	src := feedloom.Source{URL: s.srv.URL + "/feed", FullText: true, Republish: feedloom.RepublishFull}
	r := newFullTextRig(t, []feedloom.Source{src}, newAggregatorFetch()) // fetch timeout: the default 30s
	resp, err := http.Get(src.URL)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	res, err := r.agg.Ingest(ctx, src, doc, "application/rss+xml", src.URL)
	if err != nil || res.New != 1 || res.FullText[aggregator.FullTextSkipped] != 1 {
		t.Fatalf("Ingest = %v, %v, full text %v; want 1 new, its page skipped", res, err, res.FullText)
	}
	if it := r.onlyItem(t, src.URL); !strings.Contains(it.Summary, feedSummary) {
		t.Errorf("item summary %q, want the feed's", it.Summary)
	}
}
