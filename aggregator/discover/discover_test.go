package discover

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/internal/loopbacktest"
)

func rssDoc(title string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0"><channel><title>%s</title><link>https://site.example/</link>`, title)
	for i := range n {
		fmt.Fprintf(&b, `<item><title>%s item %d</title><link>https://site.example/%d</link><guid>%s-%d</guid><pubDate>Mon, 0%d Jun 2026 10:00:00 +0000</pubDate></item>`,
			title, i, i, title, i, i+1)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

const atomDoc = `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom one</title><id>urn:a</id><updated>2026-06-01T00:00:00Z</updated>
<entry><title>Only</title><id>urn:a:1</id><link href="https://site.example/a1"/><updated>2026-06-01T00:00:00Z</updated></entry></feed>`

// site serves the given path → (content type, body) table on loopback.
func site(t *testing.T, pages map[string][2]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(p[0], "redirect") {
			code := http.StatusFound
			if p[0] == "redirect301" {
				code = http.StatusMovedPermanently
			}
			http.Redirect(w, r, p[1], code)
			return
		}
		w.Header().Set("Content-Type", p[0])
		fmt.Fprint(w, p[1])
	}))
	t.Cleanup(srv.Close)
	return srv
}

func loopbackClient() *fetch.Client { return fetch.New(fetch.Options{AllowPrivate: true}) }

func urls(cs []Candidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.URL)
	}
	return out
}

const html5 = "text/html; charset=utf-8"

func TestFindAdvertised(t *testing.T) {
	srv := site(t, map[string][2]string{
		"/blog/post": {html5, `<!doctype html><html><head><title>Post</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Posts (RSS)" href="feed.xml">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" title="Posts (Atom)" href="/atom.xml#top">
<link rel="alternate" type="application/rss+xml" href="feed.xml">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/post">
<link rel="alternate" type="application/feed+json" title="JSON" href="//other.example/feed.json">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body>hi</body></html>`},
	})
	res, err := Find(context.Background(), loopbackClient(), srv.URL+"/blog/post")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{srv.URL + "/blog/feed.xml", srv.URL + "/atom.xml", "http://other.example/feed.json"}
	if got := urls(res.Candidates); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("candidates %q, want %q", got, want)
	}
	if res.IsFeed || res.Fallback {
		t.Errorf("IsFeed %v Fallback %v, want both false", res.IsFeed, res.Fallback)
	}
	if c := res.Candidates[0]; c.Title != "Posts (RSS)" || c.Type != "application/rss+xml" || c.Feed != nil {
		t.Errorf("first candidate %+v", c)
	}
	if c := res.Candidates[1]; c.Type != "application/atom+xml" {
		t.Errorf("type with parameters not reduced: %q", c.Type)
	}
}

func TestFindBaseHref(t *testing.T) {
	srv := site(t, map[string][2]string{
		"/a/b/page": {html5, `<html><head><base href="/feeds/"><link rel="alternate" type="application/atom+xml" href="all.atom"></head></html>`},
	})
	res, err := Find(context.Background(), loopbackClient(), srv.URL+"/a/b/page")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := urls(res.Candidates), []string{srv.URL + "/feeds/all.atom"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("candidates %q, want %q", got, want)
	}
}

func TestFindFallback(t *testing.T) {
	feed := rssDoc("Site", 3)
	srv := site(t, map[string][2]string{
		"/":          {html5, `<html><head><title>Home</title></head><body><a href="/feed">feed</a></body></html>`},
		"/feed":      {"application/rss+xml", feed},
		"/rss.xml":   {"application/rss+xml", feed}, // the same feed again
		"/atom.xml":  {"application/atom+xml", atomDoc},
		"/index.xml": {html5, "<html>not a feed</html>"},
		"/rss":       {"redirect301", "/feed"}, // lands on a URL already found
	})
	res, err := Find(context.Background(), loopbackClient(), srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{srv.URL + "/feed", srv.URL + "/atom.xml"}
	if got := urls(res.Candidates); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("candidates %q, want %q", got, want)
	}
	if !res.Fallback {
		t.Error("Fallback not set")
	}
	c := res.Candidates[0]
	if c.Feed == nil || c.Feed.Title != "Site" || c.Feed.Items != 3 || c.Feed.Newest.Title != "Site item 2" {
		t.Errorf("probed feed %+v", c.Feed)
	}
}

func TestFindNone(t *testing.T) {
	srv := site(t, map[string][2]string{
		"/": {html5, `<html><head><link rel="alternate" type="text/html" href="/en"></head></html>`},
	})
	_, err := Find(context.Background(), loopbackClient(), srv.URL+"/")
	if !errors.Is(err, ErrNotFeed) {
		t.Fatalf("err = %v, want ErrNotFeed", err)
	}
	if !strings.Contains(err.Error(), "advertises no feed") || !strings.Contains(err.Error(), "/feed.json") {
		t.Errorf("message does not say what was tried: %v", err)
	}
}

func TestFindFeedItself(t *testing.T) {
	srv := site(t, map[string][2]string{
		"/old.atom": {"redirect301", "/new.atom"},
		"/new.atom": {"text/xml", atomDoc}, // a feed served with a generic type
		"/tmp.atom": {"redirect", "/new.atom"},
		"/logo.png": {"image/png", "\x89PNG\r\n\x1a\n"},
	})
	c := loopbackClient()
	res, err := Find(context.Background(), c, srv.URL+"/old.atom")
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsFeed || len(res.Candidates) != 1 {
		t.Fatalf("result %+v, want the address itself as the one feed", res)
	}
	f := res.Candidates[0].Feed
	if f.URL != srv.URL+"/new.atom" || f.Title != "Atom one" || f.Items != 1 {
		t.Errorf("feed %+v: want the permanent redirect's target, title and one item", f)
	}
	// A temporary redirect keeps the address asked for.
	f, err = Check(context.Background(), c, srv.URL+"/tmp.atom")
	if err != nil || f.URL != srv.URL+"/tmp.atom" {
		t.Errorf("Check after a 302: %+v, %v", f, err)
	}
	if _, err := Find(context.Background(), c, srv.URL+"/logo.png"); !errors.Is(err, ErrNotFeed) {
		t.Errorf("an image: %v, want ErrNotFeed", err)
	}
}

func TestCheck(t *testing.T) {
	srv := site(t, map[string][2]string{
		"/page": {html5, "<html><body>hello</body></html>"},
		"/feed": {"application/rss+xml", rssDoc("Five", 5)},
	})
	c := loopbackClient()
	ctx := context.Background()
	f, err := Check(ctx, c, srv.URL+"/feed")
	if err != nil || f.Items != 5 || f.Title != "Five" || f.SiteURL != "https://site.example/" || f.Newest.Title != "Five item 4" {
		t.Errorf("Check(feed) = %+v, %v", f, err)
	}
	if _, err := Check(ctx, c, srv.URL+"/page"); !errors.Is(err, ErrNotFeed) || !strings.Contains(err.Error(), "HTML page") {
		t.Errorf("Check(page) = %v, want ErrNotFeed naming an HTML page", err)
	}
	if _, err := Check(ctx, c, srv.URL+"/missing"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Check(404) = %v, want ErrUnreachable", err)
	}
	dead := deadURL(t)
	if _, err := Check(ctx, c, dead); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Check(dead host) = %v, want ErrUnreachable", err)
	}
}

// deadURL is a loopback address nothing listens on.
func deadURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/feed"
}

// TestGuard: without allow_private_networks, neither the page nor a
// fallback path on loopback is ever connected to.
func TestGuard(t *testing.T) {
	srv, cl := loopbacktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, rssDoc("x", 1))
	}))
	c := fetch.New(fetch.Options{})
	for _, try := range []func() error{
		func() error { _, err := Find(context.Background(), c, srv.URL+"/"); return err },
		func() error { _, err := Check(context.Background(), c, srv.URL+"/feed"); return err },
	} {
		err := try()
		if !errors.Is(err, ErrUnreachable) || !errors.Is(err, fetch.ErrBlocked) {
			t.Errorf("err = %v, want ErrUnreachable wrapping fetch.ErrBlocked", err)
		}
	}
	if n := cl.Accepts(); n != 0 {
		t.Errorf("%d connections accepted, want 0", n)
	}
}

func TestKnown(t *testing.T) {
	k := NewKnown([]feedloom.Source{{URL: "https://a.example/feed", Name: "A"}, {URL: "file:///srv/b.xml"}})
	for u, want := range map[string]bool{
		"HTTPS://A.example:443/feed?utm_source=x#top": true,
		"https://a.example/feed/":                     false, // another path
		"http://a.example/feed":                       false, // another scheme
		"file:///srv/b.xml":                           true,
		"https://b.example/":                          false,
	} {
		if _, got := k.Lookup(u); got != want {
			t.Errorf("Lookup(%q) = %v, want %v", u, got, want)
		}
	}
	k.Add(feedloom.Source{URL: "https://b.example"})
	if s, ok := k.Lookup("https://b.example/"); !ok || s.URL != "https://b.example" {
		t.Errorf("after Add: %+v %v", s, ok)
	}
}
