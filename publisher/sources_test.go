package publisher

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// configured pairs a list of sources with a store, as cmd does.
type configured struct {
	*store.Store
	list []feedloom.Source
}

func (c configured) Sources() []feedloom.Source { return c.list }

// sourcesFixture stores an ok source with two items, a failing one whose
// last error carries markup, and leaves a file: source never polled. The
// states carry no State, as a store written before states were: the
// state is read from the other fields.
func sourcesFixture(t *testing.T) (http.Handler, time.Time) {
	t.Helper()
	st := storetest.Open(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srcs := []feedloom.Source{
		{URL: "https://a.example/feed", Name: "Alpha"},
		{URL: "http://b.example/rss"},
		{URL: "file:///srv/feeds/c.xml"},
	}
	err := st.Update(context.Background(), func(w *store.Writer) error {
		if err := w.PutSourceState(feedloom.SourceState{URL: srcs[0].URL, Title: "Alpha's own title",
			LastPoll: now, LastSuccess: now, LastStatus: 200, NextPoll: now.Add(30 * time.Minute)}); err != nil {
			return err
		}
		return w.PutSourceState(feedloom.SourceState{URL: srcs[1].URL, Title: "Beta Daily",
			LastPoll: now, LastSuccess: now.Add(-48 * time.Hour), LastStatus: 503, ConsecutiveFails: 3,
			LastError: `fetch: unexpected status 503 <script>alert(1)</script>`, ErrorClass: "http_5xx", NextPoll: now.Add(4 * time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	save(t, st, storeItem(srcs[0].URL, "one", now, "world"), storeItem(srcs[0].URL, "two", now, "world"))
	s := New(st, Options{BaseURL: "https://feeds.example/loom/", Topics: httpTopics})
	return s.SourcesHandler(configured{st, srcs}), now
}

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestSourcesJSON(t *testing.T) {
	h, now := sourcesFixture(t)
	rec := get(t, h, "GET", "/sources.json")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" ||
		rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("GET /sources.json: %d %v", rec.Code, rec.Header())
	}
	var got struct{ Sources []SourceStatus }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, URL, State         string
		LastSuccess, NextPoll    time.Time
		LastStatus, Fails, Items int
	}
	want := []row{
		{"Alpha", "https://a.example/feed", "ok", now, now.Add(30 * time.Minute), 200, 0, 2},
		{"Beta Daily", "http://b.example/rss", "failing", now.Add(-48 * time.Hour), now.Add(4 * time.Hour), 503, 3, 0},
		{"file:///srv/feeds/c.xml", "file:///srv/feeds/c.xml", "new", time.Time{}, time.Time{}, 0, 0, 0},
	}
	if len(got.Sources) != len(want) {
		t.Fatalf("got %d sources, want %d: %s", len(got.Sources), len(want), rec.Body)
	}
	for i, s := range got.Sources {
		r := row{s.Name, s.URL, s.State, s.LastSuccess, s.NextPoll, s.LastStatus, s.ConsecutiveFails, s.Items}
		if !r.LastSuccess.Equal(want[i].LastSuccess) || !r.NextPoll.Equal(want[i].NextPoll) {
			t.Errorf("source %d times = %v, %v; want %v, %v", i, r.LastSuccess, r.NextPoll, want[i].LastSuccess, want[i].NextPoll)
		}
		r.LastSuccess, r.NextPoll, want[i].LastSuccess, want[i].NextPoll = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if r != want[i] {
			t.Errorf("source %d = %+v, want %+v", i, r, want[i])
		}
	}
	if !strings.Contains(rec.Body.String(), `"consecutive_errors": 3`) || !strings.Contains(rec.Body.String(), `"last_error": "fetch: unexpected status 503`) {
		t.Errorf("JSON lacks the store's field names:\n%s", rec.Body)
	}
}

func TestSourcesHTML(t *testing.T) {
	h, _ := sourcesFixture(t)
	rec := get(t, h, "GET", "/sources")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /sources: %d %v", rec.Code, rec.Header())
	}
	if got := rec.Header().Get("Content-Security-Policy"); got != headerCSP {
		t.Errorf("Content-Security-Policy = %q, want %q", got, headerCSP)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`,
		`<link rel="alternate" type="application/json" title="Sources (JSON)" href="https://feeds.example/loom/sources.json">`,
		`<p class="meta">3 sources · <a href="https://feeds.example/loom/sources?state=ok">1 ok</a> · ` +
			`<a href="https://feeds.example/loom/sources?state=failing">1 failing</a> · ` +
			`<a href="https://feeds.example/loom/sources?state=new">1 new</a> · <a href="https://feeds.example/loom/sources.json">JSON</a> · ` +
			`<a href="https://feeds.example/loom/sources.opml">OPML</a></p>`,
		`<link rel="alternate" type="text/x-opml" title="Sources (OPML)" href="https://feeds.example/loom/sources.opml">`,
		`<tr class="state-ok">
<td><a href="https://a.example/feed" rel="nofollow noopener noreferrer">Alpha</a>`,
		`<td>ok</td>
<td><time datetime="2026-03-01T12:00:00Z">1 Mar 2026 12:00 UTC</time></td>
<td>200</td>
<td>0</td>
<td><time datetime="2026-03-01T12:30:00Z">1 Mar 2026 12:30 UTC</time></td>
<td>2</td>`,
		`<a href="http://b.example/rss" rel="nofollow noopener noreferrer">Beta Daily</a>`,
		`<span class="error">http_5xx: fetch: unexpected status 503 &lt;script&gt;alert(1)&lt;/script&gt;</span>`,
		`<td>failing</td>`,
		// A file: URL is shown, not linked.
		`<td>file:///srv/feeds/c.xml
<br><span class="url">file:///srv/feeds/c.xml</span></td>
<td>new</td>
<td>—</td>
<td>—</td>
<td>0</td>
<td>—</td>
<td>0</td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks\n%s\n---- page:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("page carries a script element")
	}
}

// TestSourcesByState: ?state= keeps the sources in one state, on the page
// and in the JSON; the page still counts them all.
func TestSourcesByState(t *testing.T) {
	h, _ := sourcesFixture(t)
	var got struct{ Sources []SourceStatus }
	rec := get(t, h, "GET", "/sources.json?state=failing")
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Sources) != 1 || got.Sources[0].Name != "Beta Daily" {
		t.Errorf("/sources.json?state=failing = %+v, want Beta Daily alone", got.Sources)
	}
	page := get(t, h, "GET", "/sources?state=failing").Body.String()
	for _, want := range []string{
		`<title>Sources: failing · feedloom</title>`,
		`<link rel="alternate" type="application/json" title="Sources (JSON)" href="https://feeds.example/loom/sources.json?state=failing">`,
		`<h1>Sources: failing</h1>`,
		`<p class="meta"><a href="https://feeds.example/loom/sources">3 sources</a> · ` +
			`<a href="https://feeds.example/loom/sources?state=ok">1 ok</a> · 1 failing · `,
		`Beta Daily`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks\n%s\n---- page:\n%s", want, page)
		}
	}
	if strings.Contains(page, "Alpha</a>") {
		t.Error("the failing sources' page lists an ok source")
	}
	if rec := get(t, h, "GET", "/sources.json?state=nonsense"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"sources": []`) {
		t.Errorf("an unknown state: %d %s, want an empty list", rec.Code, rec.Body)
	}
}

// TestSourcesLifecycle shows what the scheduler records: the state, why
// the next poll is when it is, a moved feed's new URL, a flagged failure
// and a retired feed.
func TestSourcesLifecycle(t *testing.T) {
	st := storetest.Open(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	states := []feedloom.SourceState{
		{URL: "https://ok.example/feed", State: feedloom.StateOK, LastPoll: now, LastSuccess: now, LastStatus: 200,
			NextPoll: now.Add(2 * time.Hour), IntervalReason: "adaptive (3.5 items/day)"},
		{URL: "https://down.example/feed", State: feedloom.StateFailing, LastPoll: now, LastStatus: 500, ConsecutiveFails: 40,
			FailingSince: now.Add(-8 * 24 * time.Hour), Flagged: true, LastError: "fetch: unexpected status 500 Internal Server Error",
			NextPoll: now.Add(24 * time.Hour), IntervalReason: "backoff (40 errors)"},
		{URL: "https://old.example/feed", State: feedloom.StateMoved, MovedTo: "https://new.example/feed", LastPoll: now,
			LastSuccess: now, LastStatus: 200, NextPoll: now.Add(time.Hour), IntervalReason: "ttl 60m"},
		{URL: "https://dead.example/feed", State: feedloom.StateGone, LastPoll: now, LastStatus: 410, Retired: now,
			LastError: "fetch: unexpected status 410 Gone", NextPoll: now.Add(24 * time.Hour)},
	}
	var srcs []feedloom.Source
	err := st.Update(context.Background(), func(w *store.Writer) error {
		for _, s := range states {
			srcs = append(srcs, feedloom.Source{URL: s.URL})
			if err := w.PutSourceState(s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h := New(st, Options{BaseURL: "https://feeds.example/"}).SourcesHandler(configured{st, srcs})

	var got struct{ Sources []SourceStatus }
	if err := json.Unmarshal(get(t, h, "GET", "/sources.json").Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var gotStates []string
	for _, s := range got.Sources {
		gotStates = append(gotStates, s.State)
	}
	if want := []string{"ok", "failing", "moved", "gone"}; !slices.Equal(gotStates, want) {
		t.Errorf("states = %q, want %q", gotStates, want)
	}
	page := get(t, h, "GET", "/sources").Body.String()
	for _, want := range []string{
		`<td><time datetime="2026-03-01T14:00:00Z">1 Mar 2026 14:00 UTC</time><br><span class="why">adaptive (3.5 items/day)</span></td>`,
		`<td>failing<br><span class="error">flagged: failing since <time datetime="2026-02-21T12:00:00Z">21 Feb 2026 12:00 UTC</time></span></td>`,
		`<br><span class="why">backoff (40 errors)</span></td>`,
		`<br><span class="moved">polled at https://new.example/feed</span>`,
		`<td>gone<br><span class="why">since <time datetime="2026-03-01T12:00:00Z">1 Mar 2026 12:00 UTC</time></span></td>`,
		// A retired source is not polled again, whatever NextPoll says.
		`<td>410</td>
<td>0</td>
<td>—</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks\n%s\n---- page:\n%s", want, page)
		}
	}
}

func TestSourcesHead(t *testing.T) {
	h, _ := sourcesFixture(t)
	full := get(t, h, "GET", "/sources")
	rec := get(t, h, "HEAD", "/sources")
	if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != full.Header().Get("Content-Length") {
		t.Errorf("HEAD /sources: %d, %d bytes, Content-Length %q (GET: %q)", rec.Code, rec.Body.Len(),
			rec.Header().Get("Content-Length"), full.Header().Get("Content-Length"))
	}
}

type brokenReader struct{}

func (brokenReader) Sources() []feedloom.Source {
	return []feedloom.Source{{URL: "https://a.example/"}}
}
func (brokenReader) SourceState(context.Context, string) (feedloom.SourceState, error) {
	return feedloom.SourceState{}, errors.New("store: disk on fire")
}

func TestSourcesStoreError(t *testing.T) {
	s, _ := newTestServer()
	h := s.SourcesHandler(brokenReader{})
	for _, path := range []string{"/sources", "/sources.json"} {
		rec := get(t, h, "GET", path)
		if rec.Code != 500 || strings.Contains(rec.Body.String(), "fire") {
			t.Errorf("GET %s with a failing store: %d %q, want 500 without the error", path, rec.Code, rec.Body)
		}
	}
}

// TestSourcesOPML checks the OPML export: folders from the first tag,
// categories from every tag, htmlUrl from the stored state, names from
// config then feed, file: sources left out, and bytes stable.
func TestSourcesOPML(t *testing.T) {
	st := storetest.Open(t)
	srcs := []feedloom.Source{
		{URL: "https://a.example/feed", Name: "Alpha & Co", Tags: []string{"wire", "russia"}},
		{URL: "http://b.example/rss"},
		{URL: "https://c.example/atom", Tags: []string{"wire"}},
		{URL: "file:///srv/feeds/d.xml", Name: "Local"},
	}
	err := st.Update(context.Background(), func(w *store.Writer) error {
		return w.PutSourceState(feedloom.SourceState{URL: srcs[1].URL, Title: "Beta Daily", SiteURL: "https://b.example/"})
	})
	if err != nil {
		t.Fatal(err)
	}
	h := New(st, Options{BaseURL: "https://feeds.example/", Title: "Loom"}).SourcesHandler(configured{st, srcs})
	rec := get(t, h, http.MethodGet, "/sources.opml")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/x-opml; charset=utf-8" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, headers %v", rec.Code, rec.Header())
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head>
    <title>Sources · Loom</title>
  </head>
  <body>
    <outline text="wire" title="wire">
      <outline text="Alpha &amp; Co" title="Alpha &amp; Co" type="rss" xmlUrl="https://a.example/feed" category="/wire,/russia"></outline>
      <outline text="https://c.example/atom" title="https://c.example/atom" type="rss" xmlUrl="https://c.example/atom" category="/wire"></outline>
    </outline>
    <outline text="Beta Daily" title="Beta Daily" type="rss" xmlUrl="http://b.example/rss" htmlUrl="https://b.example/"></outline>
  </body>
</opml>
`
	if got := rec.Body.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if again := get(t, h, http.MethodGet, "/sources.opml").Body.String(); again != rec.Body.String() {
		t.Error("a second request gave other bytes")
	}
	if head := get(t, h, http.MethodHead, "/sources.opml"); head.Code != 200 || head.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d bytes", head.Code, head.Body.Len())
	}
}
