package publisher

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// storeItem is an item of source src filed under topics.
func storeItem(src, key string, published time.Time, topics ...string) feedloom.Item {
	return feedloom.Item{
		ID: feedloom.ItemID(src, key), Source: src, SourceName: "Outlet " + key, Key: "url:" + key,
		URL: src + "/" + key, Title: "Story " + key + " <&>", Summary: "<p>About " + key + ".</p>",
		Authors: []string{"Reporter " + key}, Published: published, Updated: published, FirstSeen: published,
		Topics: topics,
	}
}

// save stores items as the aggregator does: a new item starts its own
// story unless its URL is already known.
func save(t testing.TB, st *store.Store, items ...feedloom.Item) {
	t.Helper()
	err := st.Update(context.Background(), func(w *store.Writer) error {
		for i := range items {
			it := &items[i]
			if old, err := w.Item(it.ID); err != nil {
				return err
			} else if old == nil {
				if it.Story = w.StoryByURL(it.URL); it.Story == "" {
					it.Story = it.ID
				}
			}
			if err := w.SaveItem(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

var httpTopics = []feedloom.Topic{
	{Name: "world", Title: "World", Description: "News from everywhere"},
	{Name: "tech", Title: "Tech & science"},
}

// site is a Server over a real store behind a loopback HTTP server.
type site struct {
	st     *store.Store
	srv    *Server
	ts     *httptest.Server
	client *http.Client
}

func newSite(t *testing.T) *site {
	t.Helper()
	st := storetest.Open(t)
	save(t, st,
		storeItem("https://a.example", "1", t0, "world"),
		storeItem("https://b.example", "2", t0.Add(time.Hour), "world", "tech"),
	)
	srv := New(st, Options{BaseURL: testBase, Topics: httpTopics})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	// The client must not ask for gzip on its own: the tests do.
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	t.Cleanup(client.CloseIdleConnections)
	return &site{st: st, srv: srv, ts: ts, client: client}
}

// do sends a request with headers given as "Name: value" lines.
func (s *site) do(t *testing.T, method, path string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHTTPConditional is THREATS.md 7.E item 37: conditional GET for each
// format, identity and gzip.
func TestHTTPConditional(t *testing.T) {
	s := newSite(t)
	for _, f := range formats {
		for _, gz := range []bool{false, true} {
			name := "world" + f.Ext()
			enc := "Accept-Encoding: identity"
			if gz {
				name += "+gzip"
				enc = "Accept-Encoding: gzip, deflate;q=0.5"
			}
			t.Run(name, func(t *testing.T) {
				path := "/topics/world" + f.Ext()
				resp, body := s.do(t, "GET", path, enc)
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
				if !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") {
					t.Errorf("ETag %q, want a strong validator", etag)
				}
				if want := t0.Add(time.Hour).Format(http.TimeFormat); lm != want {
					t.Errorf("Last-Modified %q, want the newest entry's update %q", lm, want)
				}
				if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
					t.Errorf("Vary %q, want Accept-Encoding", got)
				}
				if got := resp.Header.Get("Cache-Control"); got != "public, max-age=300" {
					t.Errorf("Cache-Control %q", got)
				}
				if got := resp.Header.Get("Content-Type"); got != f.ContentType() {
					t.Errorf("Content-Type %q, want %q", got, f.ContentType())
				}
				rd, err := s.srv.Render(context.Background(), "world", f)
				if err != nil {
					t.Fatal(err)
				}
				if gz {
					if resp.Header.Get("Content-Encoding") != "gzip" || etag != rd.GzipETag {
						t.Errorf("Content-Encoding %q, ETag %s; want gzip, %s", resp.Header.Get("Content-Encoding"), etag, rd.GzipETag)
					}
					body = gunzip(t, body)
				} else if resp.Header.Get("Content-Encoding") != "" || etag != rd.ETag {
					t.Errorf("Content-Encoding %q, ETag %s; want none, %s", resp.Header.Get("Content-Encoding"), etag, rd.ETag)
				}
				if !bytes.Equal(body, rd.Body) {
					t.Error("body differs from the rendered bytes")
				}

				other := rd.GzipETag
				if gz {
					other = rd.ETag
				}
				conditional := map[string]struct {
					headers []string
					want    int
				}{
					"If-None-Match exact":             {[]string{"If-None-Match: " + etag}, 304},
					"If-None-Match weak":              {[]string{"If-None-Match: W/" + etag}, 304},
					"If-None-Match list":              {[]string{`If-None-Match: "x", ` + etag}, 304},
					"If-None-Match star":              {[]string{"If-None-Match: *"}, 304},
					"If-None-Match other variant":     {[]string{"If-None-Match: " + other}, 200},
					"If-Modified-Since equal":         {[]string{"If-Modified-Since: " + lm}, 304},
					"If-Modified-Since earlier":       {[]string{"If-Modified-Since: " + t0.Format(http.TimeFormat)}, 200},
					"stale ETag wins over IMS":        {[]string{`If-None-Match: "stale"`, "If-Modified-Since: " + lm}, 200},
					"matching ETag wins over old IMS": {[]string{"If-None-Match: " + etag, "If-Modified-Since: " + t0.Format(http.TimeFormat)}, 304},
				}
				for cname, tc := range conditional {
					t.Run(cname, func(t *testing.T) {
						resp, body := s.do(t, "GET", path, append(tc.headers, enc)...)
						if resp.StatusCode != tc.want {
							t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
						}
						if tc.want == 304 {
							if len(body) != 0 {
								t.Errorf("304 with a %d-byte body", len(body))
							}
							for _, h := range []string{"ETag", "Cache-Control", "Vary"} {
								if resp.Header.Get(h) == "" {
									t.Errorf("304 lacks %s", h)
								}
							}
							if resp.Header.Get("ETag") != etag {
								t.Errorf("304 ETag %q, want %q", resp.Header.Get("ETag"), etag)
							}
						}
					})
				}

				t.Run("HEAD", func(t *testing.T) {
					head, hbody := s.do(t, "HEAD", path, enc)
					if head.StatusCode != 200 || len(hbody) != 0 {
						t.Fatalf("status %d, %d-byte body", head.StatusCode, len(hbody))
					}
					for _, h := range []string{"ETag", "Last-Modified", "Content-Type", "Content-Length", "Content-Encoding", "Vary", "Cache-Control", "Access-Control-Allow-Origin"} {
						if head.Header.Get(h) != resp.Header.Get(h) {
							t.Errorf("HEAD %s %q, GET %q", h, head.Header.Get(h), resp.Header.Get(h))
						}
					}
				})
			})
		}
	}
}

// TestHTTPETagFollowsContent: the ETag changes iff the bytes do, for
// every format and both encodings, even though the store's version
// changes on every write; the identity and gzip variants never share one.
func TestHTTPETagFollowsContent(t *testing.T) {
	s := newSite(t)
	type variant struct {
		path, enc string
	}
	var variants []variant
	for _, f := range formats {
		for _, enc := range []string{"identity", "gzip"} {
			variants = append(variants, variant{"/topics/world" + f.Ext(), enc})
		}
	}
	type seen struct{ etag, body string }
	snapshot := func() map[variant]seen {
		t.Helper()
		out := make(map[variant]seen)
		etags := make(map[string]variant)
		for _, v := range variants {
			resp, body := s.do(t, "GET", v.path, "Accept-Encoding: "+v.enc)
			if v.enc == "gzip" {
				body = gunzip(t, body)
			}
			e := resp.Header.Get("ETag")
			if other, dup := etags[e]; dup {
				t.Errorf("%v and %v share the ETag %s", v, other, e)
			}
			etags[e] = v
			out[v] = seen{e, string(body)}
		}
		return out
	}
	version := func() uint64 {
		v, err := s.st.TopicVersion(context.Background(), "world")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	compare := func(step string, before, after map[variant]seen, wantChange bool) {
		t.Helper()
		for _, v := range variants {
			b, a := before[v], after[v]
			if (a.etag != b.etag) != (a.body != b.body) {
				t.Errorf("%s: %v: ETag changed %v, bytes changed %v", step, v, a.etag != b.etag, a.body != b.body)
			}
			if (a.body != b.body) != wantChange {
				t.Errorf("%s: %v: bytes changed %v, want %v", step, v, a.body != b.body, wantChange)
			}
		}
	}
	s1, v1 := snapshot(), version()

	// The same item again: a new version, the same content.
	save(t, s.st, storeItem("https://a.example", "1", t0, "world"))
	if v := version(); v == v1 {
		t.Fatalf("version %d unchanged by a write; this test needs it to move", v)
	}
	s2 := snapshot()
	compare("same item written again", s1, s2, false)

	// A changed title: new content, new ETag; the old one no longer matches.
	it := storeItem("https://a.example", "1", t0, "world")
	it.Title = "Edited"
	save(t, s.st, it)
	s3 := snapshot()
	compare("edited entry", s2, s3, true)
	for _, v := range variants {
		if resp, _ := s.do(t, "GET", v.path, "Accept-Encoding: "+v.enc, "If-None-Match: "+s2[v].etag); resp.StatusCode != 200 {
			t.Errorf("%v: the old ETag: status %d, want 200", v, resp.StatusCode)
		}
	}

	// Another topic's write leaves this one alone.
	save(t, s.st, storeItem("https://c.example", "3", t0, "tech"))
	compare("write to another topic", s3, snapshot(), false)
}

func TestHTTPHeaders(t *testing.T) {
	s := newSite(t)
	tests := map[string]struct {
		path        string
		contentType string
		cors        bool
		csp         bool
	}{
		"rss":   {"/topics/world.rss", "application/rss+xml; charset=utf-8", true, false},
		"atom":  {"/topics/world.atom", "application/atom+xml; charset=utf-8", true, false},
		"json":  {"/topics/world.json", "application/feed+json; charset=utf-8", true, false},
		"page":  {"/topics/world", "text/html; charset=utf-8", false, true},
		"index": {"/", "text/html; charset=utf-8", false, true},
		"opml":  {"/topics.opml", "text/x-opml; charset=utf-8", true, false},
		"css":   {"/style.css", "text/css; charset=utf-8", true, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, _ := s.do(t, "GET", tc.path, "Origin: https://elsewhere.example")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); (got == "*") != tc.cors || (got != "" && got != "*") {
				t.Errorf("Access-Control-Allow-Origin %q, want * %v", got, tc.cors)
			}
			if got := resp.Header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials %q", got)
			}
			csp := resp.Header.Get("Content-Security-Policy")
			if tc.csp != strings.HasPrefix(csp, "default-src 'none'; style-src 'self'; img-src https: http:") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			if tc.csp && strings.Contains(csp, "script-src") {
				t.Errorf("CSP allows scripts: %q", csp)
			}
			if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q", got)
			}
		})
	}
}

func TestHTTPNotFound(t *testing.T) {
	s := newSite(t)
	tests := map[string]struct {
		method, path string
		want         int
	}{
		"unknown topic feed":  {"GET", "/topics/nope.rss", 404},
		"unknown topic page":  {"GET", "/topics/nope", 404},
		"unknown topic HEAD":  {"HEAD", "/topics/nope.atom", 404},
		"unknown topic dir":   {"GET", "/topics/nope/", 404},
		"unknown extension":   {"GET", "/topics/world.xml", 404},
		"two extensions":      {"GET", "/topics/world.rss.atom", 404},
		"empty extension":     {"GET", "/topics/world.", 404},
		"deeper path":         {"GET", "/topics/world/extra", 404},
		"unknown path":        {"GET", "/nothing", 404},
		"POST to a feed":      {"POST", "/topics/world.rss", 405},
		"DELETE on the index": {"DELETE", "/", 405},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := s.do(t, tc.method, tc.path)
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d (%s)", resp.StatusCode, tc.want, body)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Error("error response carries CORS")
			}
		})
	}
}

func TestHTTPPages(t *testing.T) {
	s := newSite(t)
	alternates := func(topic string) []string {
		var ls []string
		for _, f := range feedFormats {
			ls = append(ls, fmt.Sprintf(`<link rel="alternate" type="%s" title=`, f.mediaType()), fmt.Sprintf(`href="%stopics/%s%s">`, testBase, topic, f.Ext()))
		}
		return ls
	}
	tests := map[string]struct {
		path string
		want []string
	}{
		"index": {"/", append(append([]string{
			`<a href="https://feeds.example/loom/topics/world">World</a>`,
			`<a href="https://feeds.example/loom/topics/tech">Tech &amp; science</a>`,
			"2 entries", "1 entry",
			`<time datetime="2026-03-01T13:00:00Z">`,
			`<link rel="stylesheet" href="https://feeds.example/loom/style.css">`,
		}, alternates("world")...), alternates("tech")...)},
		"topic page": {"/topics/world", append([]string{
			`<h1>World</h1>`,
			`<a href="https://b.example/2" rel="nofollow noopener noreferrer">Story 2 &lt;&amp;&gt;</a>`,
			`<a href="https://a.example/1" rel="nofollow noopener noreferrer">Outlet 1</a>`,
			`<p>About 2.</p>`,
			`<a href="https://feeds.example/loom/topics/world.json" type="application/feed+json">JSON Feed</a>`,
		}, alternates("world")...)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, body := s.do(t, "GET", tc.path)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			for _, w := range tc.want {
				if !bytes.Contains(body, []byte(w)) {
					t.Errorf("page lacks %s", w)
				}
			}
			if bytes.Contains(body, []byte("<script")) {
				t.Error("page has a script")
			}
		})
	}

	t.Run("directory redirect", func(t *testing.T) {
		resp, _ := s.do(t, "GET", "/topics/world/")
		if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "../world" {
			t.Errorf("status %d, Location %q; want 301 to ../world", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("healthz", func(t *testing.T) {
		resp, body := s.do(t, "GET", "/healthz")
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("status %d, %q, %s", resp.StatusCode, body, resp.Header.Get("Content-Type"))
		}
		if head, hbody := s.do(t, "HEAD", "/healthz"); head.StatusCode != 200 || len(hbody) != 0 {
			t.Errorf("HEAD: status %d, body %q", head.StatusCode, hbody)
		}
	})
	t.Run("opml", func(t *testing.T) {
		resp, body := s.do(t, "GET", "/topics.opml")
		var doc struct {
			Version  string `xml:"version,attr"`
			Outlines []struct {
				Type    string `xml:"type,attr"`
				Text    string `xml:"text,attr"`
				XMLURL  string `xml:"xmlUrl,attr"`
				HTMLURL string `xml:"htmlUrl,attr"`
			} `xml:"body>outline"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || doc.Version != "2.0" || len(doc.Outlines) != 2 {
			t.Fatalf("status %d, version %q, %d outlines", resp.StatusCode, doc.Version, len(doc.Outlines))
		}
		o := doc.Outlines[1]
		if o.Type != "rss" || o.Text != "Tech & science" || o.XMLURL != testBase+"topics/tech.atom" || o.HTMLURL != testBase+"topics/tech" {
			t.Errorf("outline %+v", o)
		}
	})
}

// TestHTTPStoreError: a failing store gives 500 with a generic body; the
// cause goes to the log only.
func TestHTTPStoreError(t *testing.T) {
	st := &memStore{err: fmt.Errorf("bolt: page 42 corrupt at /var/lib/secret.db")}
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
	ts := httptest.NewServer(New(st, Options{BaseURL: testBase, Topics: httpTopics, Logger: logger}).Handler())
	defer ts.Close()
	for _, path := range []string{"/topics/world.rss", "/topics/world", "/"} {
		t.Run(path, func(t *testing.T) {
			resp, err := http.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 500 || strings.Contains(string(body), "secret") {
				t.Errorf("status %d, body %q; want 500 without internals", resp.StatusCode, body)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "secret.db"); n != 3 {
		t.Errorf("%d logged errors, want 3:\n%s", n, logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestHTTPConcurrent serves every representation to many clients while
// the topic changes underneath (run it with -race). When the writes stop,
// every representation shows the last one.
func TestHTTPConcurrent(t *testing.T) {
	s := newSite(t)
	const writes, readers = 20, 12
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for r := range readers {
		wg.Go(func() {
			f := formats[r%len(formats)]
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				req, _ := http.NewRequest("GET", s.ts.URL+"/topics/world"+f.Ext(), nil)
				if i%2 == 0 {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				resp, err := s.client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("%v: status %d", f, resp.StatusCode)
					return
				}
			}
		})
	}
	for i := range writes {
		save(t, s.st, storeItem("https://w.example", fmt.Sprint("w", i), t0.Add(time.Duration(i+2)*time.Hour), "world"))
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, body := s.do(t, "GET", "/topics/world.json")
	if n := bytes.Count(body, []byte(`"id": "urn:`)); n != writes+2 {
		t.Errorf("after the writes: %d items, want %d", n, writes+2)
	}
	if !bytes.Contains(body, []byte(fmt.Sprintf("Story w%d", writes-1))) {
		t.Error("the last write is missing")
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := map[string]struct {
		header []string
		want   bool
	}{
		"none":              {nil, false},
		"gzip":              {[]string{"gzip"}, true},
		"list":              {[]string{"br, gzip, deflate"}, true},
		"upper case":        {[]string{"GZIP"}, true},
		"x-gzip":            {[]string{"x-gzip"}, true},
		"q zero":            {[]string{"gzip;q=0"}, false},
		"q zero spaced":     {[]string{"gzip ; q=0.0"}, false},
		"q low":             {[]string{"gzip;q=0.1"}, true},
		"star":              {[]string{"*"}, true},
		"star but not gzip": {[]string{"*, gzip;q=0"}, false},
		"star q zero":       {[]string{"*;q=0"}, false},
		"identity":          {[]string{"identity"}, false},
		"two header lines":  {[]string{"br", "gzip"}, true},
		"bad q":             {[]string{"gzip;q=x"}, false},
		"gzip in a name":    {[]string{"notgzip"}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := acceptsGzip(tc.header); got != tc.want {
				t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}

// TestFastPathsMatchServeContent: unconditional GETs and 304s to an exact
// ETag skip http.ServeContent; their headers must be the ones it sends.
func TestFastPathsMatchServeContent(t *testing.T) {
	s := newSite(t)
	strip := func(h http.Header) http.Header {
		h = h.Clone()
		h.Del("Date")
		return h
	}
	for _, ext := range []string{".rss", ".atom", ".json"} {
		for _, enc := range []string{"", "gzip"} {
			t.Run(ext+"/"+enc, func(t *testing.T) {
				path := "/topics/world" + ext
				get, body := s.do(t, "GET", path, "Accept-Encoding: "+enc)
				// HEAD always goes through ServeContent.
				head, _ := s.do(t, "HEAD", path, "Accept-Encoding: "+enc)
				if !reflect.DeepEqual(strip(get.Header), strip(head.Header)) {
					t.Errorf("GET headers %v\nServeContent's (HEAD) %v", strip(get.Header), strip(head.Header))
				}
				if len(body) == 0 {
					t.Fatal("empty body")
				}
				etag := get.Header.Get("ETag")
				fast, _ := s.do(t, "GET", path, "Accept-Encoding: "+enc, "If-None-Match: "+etag)
				slow, _ := s.do(t, "GET", path, "Accept-Encoding: "+enc, `If-None-Match: "other", `+etag)
				if fast.StatusCode != 304 || slow.StatusCode != 304 {
					t.Fatalf("statuses %d and %d, want 304", fast.StatusCode, slow.StatusCode)
				}
				if !reflect.DeepEqual(strip(fast.Header), strip(slow.Header)) {
					t.Errorf("fast 304 headers %v\nServeContent's %v", strip(fast.Header), strip(slow.Header))
				}
			})
		}
	}
}

// TestTopicRoute: the direct route to topic feeds answers and sets
// Request.Pattern (which the metrics read) as the mux does, and leaves
// every other path under /topics/ to the mux.
func TestTopicRoute(t *testing.T) {
	s := newSite(t)
	h := s.srv.Handler()
	tests := []struct {
		method, target string
		code           int
		pattern        string
	}{
		{"GET", "/topics/world.atom", 200, topicPattern},
		{"HEAD", "/topics/world.rss", 200, topicPattern},
		{"GET", "/topics/world", 200, topicPattern},
		{"GET", "/topics/world.xml", 404, topicPattern},
		{"GET", "/topics/nope.json", 404, topicPattern},
		{"POST", "/topics/world.atom", 405, ""},
		{"GET", "/topics/", 404, ""},
		{"GET", "/topics/world/", 301, "GET /topics/{name}/{$}"},
		{"GET", "/topics/world/archive/0.atom", 404, "GET /topics/{name}/archive/{file}"},
		{"GET", "/topics/../topics/world.atom", 307, topicPattern}, // the mux redirects to the clean path
		{"GET", "/topics/wor%6cd.atom", 200, topicPattern},
		{"GET", "/topics/world%2Fx.atom", 404, topicPattern},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.code || r.Pattern != tc.pattern {
			t.Errorf("%s %s: %d, pattern %q; want %d, %q", tc.method, tc.target, w.Code, r.Pattern, tc.code, tc.pattern)
		}
	}
}
