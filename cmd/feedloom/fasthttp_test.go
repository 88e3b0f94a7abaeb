package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// engines is one publisher behind both engines on loopback: net/http
// (httptest) and fasthttp, sharing the one net/http handler.
type engines struct {
	st       *store.Store
	net, fst string // base URLs
	client   *http.Client

	mu   sync.Mutex
	fast map[int]int // fast-path answers by status, from the metrics hook
}

func startEngines(t *testing.T) *engines {
	t.Helper()
	cfg, err := config.Parse("feedloom.yaml", []byte("base_url: https://news.example/\nserver:\n  engine: fasthttp\nsources:\n  - url: https://1.example/feed\ntopics:\n  - name: world\n  - name: tech\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := &engines{st: storetest.Open(t), fast: map[int]int{}}
	saveItems(t, e.st, testItem("1", 0, "world"), testItem("2", time.Hour, "world", "tech"))
	var sw swapHandler
	sw.set(newPublisher(cfg, e.st))
	h := routes(&sw)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	e.net = ts.URL

	count := func(route string, code int, _ time.Duration) {
		if route != "GET /topics/{file}" {
			t.Errorf("fast path counted under %q", route)
		}
		e.mu.Lock()
		e.fast[code]++
		e.mu.Unlock()
	}
	eng := newFastEngine(cfg, h, sw.pub.Load, count, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- eng.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := eng.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	e.fst = "http://" + ln.Addr().String()
	e.client = &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(e.client.CloseIdleConnections)
	return e
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testItem(key string, after time.Duration, topics ...string) feedloom.Item {
	src := "https://" + key + ".example"
	p := t0.Add(after)
	return feedloom.Item{
		ID: feedloom.ItemID(src, key), Source: src, SourceName: "Outlet " + key, Key: "url:" + key,
		URL: src + "/" + key, Title: "Story " + key, Summary: "<p>About " + key + ".</p>",
		Published: p, Updated: p, FirstSeen: p, Topics: topics,
	}
}

// saveItems stores items, each its own story.
func saveItems(t *testing.T, st *store.Store, items ...feedloom.Item) {
	t.Helper()
	err := st.Update(context.Background(), func(w *store.Writer) error {
		for i := range items {
			items[i].Story = items[i].ID
			if err := w.SaveItem(&items[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (e *engines) do(t *testing.T, base, method, path string, headers []string) answer {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, base, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// comparedHeaders are the response headers both engines must send alike.
var comparedHeaders = []string{"ETag", "Cache-Control", "Content-Type", "Content-Encoding", "Content-Length",
	"Vary", "Last-Modified", "Access-Control-Allow-Origin", "Link", "Accept-Ranges", "Content-Range",
	"X-Content-Type-Options", "Content-Security-Policy", "Location", "Access-Control-Allow-Methods"}

// same sends the request to both engines and fails unless status, the
// compared headers and the bytes agree. It returns net/http's answer.
func (e *engines) same(t *testing.T, method, path string, headers ...string) answer {
	t.Helper()
	want := e.do(t, e.net, method, path, headers)
	got := e.do(t, e.fst, method, path, headers)
	what := fmt.Sprintf("%s %s %q", method, path, headers)
	if got.status != want.status {
		t.Errorf("%s: fasthttp %d, net/http %d", what, got.status, want.status)
	}
	for _, k := range comparedHeaders {
		if g, w := strings.Join(got.header.Values(k), ", "), strings.Join(want.header.Values(k), ", "); g != w {
			t.Errorf("%s: %s: fasthttp %q, net/http %q", what, k, g, w)
		}
	}
	if got.body != want.body {
		t.Errorf("%s: bodies differ: fasthttp %d bytes, net/http %d", what, len(got.body), len(want.body))
	}
	return want
}

func (e *engines) fastCount(code int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fast[code]
}

// The fasthttp engine answers the conditional-GET matrix of the feeds
// exactly as net/http does, before and after a change of the topic, and
// answers the feed polls it can itself (the metrics hook counts them).
func TestFastHTTPEngineMatchesNetHTTP(t *testing.T) {
	e := startEngines(t)
	matrix := func(step string) {
		t.Helper()
		for _, ext := range []string{".rss", ".atom", ".json"} {
			path := "/topics/world" + ext
			for _, enc := range []string{"", "gzip", "gzip, deflate, br", "identity", "gzip;q=0"} {
				var ae []string
				if enc != "" {
					ae = []string{"Accept-Encoding: " + enc}
				}
				with := func(h ...string) []string { return append(append([]string{}, ae...), h...) }
				full := e.same(t, "GET", path, ae...)
				if full.status != 200 || full.header.Get("ETag") == "" {
					t.Fatalf("%s: GET %s: %d, ETag %q", step, path, full.status, full.header.Get("ETag"))
				}
				etag, lm := full.header.Get("ETag"), full.header.Get("Last-Modified")
				e.same(t, "HEAD", path, ae...)
				if a := e.same(t, "GET", path, with("If-None-Match: "+etag)...); a.status != 304 {
					t.Errorf("%s: exact ETag: %d, want 304", step, a.status)
				}
				e.same(t, "HEAD", path, with("If-None-Match: "+etag)...)
				e.same(t, "GET", path, with(`If-None-Match: "0000"`)...)
				e.same(t, "GET", path, with(`If-None-Match: "0000", `+etag)...)
				e.same(t, "GET", path, with("If-None-Match: W/"+etag)...)
				e.same(t, "GET", path, with("If-None-Match: *")...)
				e.same(t, "GET", path, with("If-None-Match:")...)
				e.same(t, "GET", path, with("If-Modified-Since: "+lm)...)
				e.same(t, "GET", path, with("If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT")...)
				e.same(t, "GET", path, with("Range: bytes=0-9")...)
				e.same(t, "GET", path+"?since=1", ae...)
			}
		}
	}
	matrix("before")
	before := e.same(t, "GET", "/topics/world.atom")
	saveItems(t, e.st, testItem("3", 2*time.Hour, "world"))
	after := e.same(t, "GET", "/topics/world.atom")
	if after.header.Get("ETag") == before.header.Get("ETag") || after.body == before.body {
		t.Fatal("a new entry changed neither the ETag nor the bytes")
	}
	if a := e.same(t, "GET", "/topics/world.atom", "If-None-Match: "+before.header.Get("ETag")); a.status != 200 {
		t.Errorf("the old ETag after a change: %d, want 200", a.status)
	}
	matrix("after a change")

	// Everything else goes through the adaptor to the same handler.
	for _, r := range [][2]string{
		{"GET", "/"}, {"GET", "/healthz"}, {"GET", "/nope"}, {"GET", "/topics/nope.rss"}, {"GET", "/topics/world"},
		{"GET", "/topics/world.txt"}, {"GET", "/topics/world/"}, {"GET", "/topics/%77orld.rss"}, {"GET", "/topics.opml"},
		{"GET", "/style.css"}, {"OPTIONS", "/topics/world.rss"}, {"POST", "/topics/world.rss"}, {"HEAD", "/"},
	} {
		e.same(t, r[0], r[1])
	}
	if e.fastCount(200) == 0 || e.fastCount(304) == 0 {
		t.Errorf("the fast path answered %d 200s and %d 304s; want some of each", e.fastCount(200), e.fastCount(304))
	}
}

// serve with server.engine: fasthttp: the feeds parse in feedparser and
// gofeed, a repeat poll is a 304 counted in the metrics, oversized
// headers get 431 and an oversized admin body 413, and a stop cuts a
// connection still sending its request once shutdown_timeout has passed.
func TestServeFastHTTPEngine(t *testing.T) {
	noLeaks(t)
	o := newOrigin(t, rss("Wire",
		rssItem("w1", "First story", "https://example.org/w1", "Sat, 11 May 2019 10:41:00 +0300", "one"),
		rssItem("w2", "Second story", "https://example.org/w2", "Sat, 11 May 2019 11:41:00 +0300", "two")))
	g := startGuardServe(t, "server:\n  engine: fasthttp\n  shutdown_timeout: 1s\n  read_header_timeout: 1m\nadmin:\n  token: "+adminTestToken+"\n", o.srv.URL)
	eventually(t, 10*time.Second, "both stories in the topic", func() bool {
		_, body := g.do(t, "GET", "/topics/all.json", nil)
		return strings.Contains(body, "First story") && strings.Contains(body, "Second story")
	})
	for _, ext := range []string{".rss", ".atom", ".json"} {
		resp, body := g.do(t, "GET", "/topics/all"+ext, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET /topics/all%s: %d", ext, resp.StatusCode)
		}
		feed, err := gofeed.NewParser().ParseString(body)
		if err != nil {
			t.Fatalf("gofeed /topics/all%s: %v", ext, err)
		}
		if len(feed.Items) != 2 {
			t.Errorf("gofeed /topics/all%s: %d items, want 2", ext, len(feed.Items))
		}
		if ext != ".json" {
			checkFeedparser(t, []byte(body))
		}
		if r, _ := g.do(t, "GET", "/topics/all"+ext, nil, "If-None-Match: "+resp.Header.Get("ETag")); r.StatusCode != 304 {
			t.Errorf("GET /topics/all%s with its ETag: %d, want 304", ext, r.StatusCode)
		}
	}
	_, metrics := g.do(t, "GET", "/metrics", nil)
	for _, code := range []string{"200", "304"} {
		if !strings.Contains(metrics, `feedloom_http_requests_total{code="`+code+`",route="GET /topics/{file}"}`) {
			t.Errorf("/metrics counts no %s under the feed route:\n%s", code, metrics)
		}
	}

	checkOversized(t, g)

	// A request half sent when serve stops: read_header_timeout (1m)
	// would wait for it; shutdown_timeout (1s) cuts it.
	half, err := net.Dial("tcp", strings.TrimPrefix(g.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	if _, err := io.WriteString(half, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	g.client.CloseIdleConnections()
	stopWithin(t, g, 1*time.Second+5*time.Second)
	half.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := half.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the half-sent request's connection is still open after the stop (read %d, %v)", n, err)
	}
}
