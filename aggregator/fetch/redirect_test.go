package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/aggregator/fetch"
)

// chainHandler serves /r/N as a redirect to /r/N-1, cycling through the
// redirect statuses, and /r/0 as the feed.
func chainHandler(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/r/"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if n == 0 {
		fmt.Fprint(w, tinyFeed)
		return
	}
	codes := []int{301, 302, 307, 308}
	http.Redirect(w, r, "/r/"+strconv.Itoa(n-1), codes[n%len(codes)])
}

func TestFetchRedirectLimit(t *testing.T) {
	tests := map[string]struct {
		maxRedirects int
		hops         int
		wantErr      bool
	}{
		"3 hops, default limit":      {0, 3, false},
		"10 hops, default limit":     {0, 10, false},
		"11 hops, default limit":     {0, 11, true},
		"2 hops, limit 2":            {2, 2, false},
		"3 hops, limit 2":            {2, 3, true},
		"no redirects allowed":       {-1, 1, true},
		"no redirect, none followed": {-1, 0, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(chainHandler))
			c := newClient(t, fetch.Options{MaxRedirects: tt.maxRedirects, Allow: allowLoopback}, nil)
			start := fmt.Sprintf("%s/r/%d", srv.URL, tt.hops)
			res, err := c.Fetch(context.Background(), fetch.Request{URL: start})
			if tt.wantErr {
				if !errors.Is(err, fetch.ErrTooManyRedirects) || res != nil {
					t.Fatalf("Fetch = %+v, %v; want nil, ErrTooManyRedirects", res, err)
				}
				if got := fetch.Classify(err); got != "redirects" {
					t.Errorf("Classify = %q, want redirects", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if want := srv.URL + "/r/0"; res.URL != want {
				t.Errorf("URL = %q, want the final URL %q", res.URL, want)
			}
			if len(res.Redirects) != tt.hops {
				t.Fatalf("recorded %d redirects, want %d: %+v", len(res.Redirects), tt.hops, res.Redirects)
			}
			codes := []int{301, 302, 307, 308}
			for i, h := range res.Redirects {
				n := tt.hops - i
				want := fetch.Redirect{
					From:   fmt.Sprintf("%s/r/%d", srv.URL, n),
					To:     fmt.Sprintf("%s/r/%d", srv.URL, n-1),
					Status: codes[n%len(codes)],
				}
				if h != want {
					t.Errorf("hop %d = %+v, want %+v", i, h, want)
				}
			}
		})
	}
}

// A redirect may only lead to http or https, whatever Request.AllowFile
// says: a feed must not be able to make us read local files.
func TestFetchRefusesRedirectToOtherSchemes(t *testing.T) {
	targets := []string{"file:///etc/passwd", "file://localhost/etc/passwd", "gopher://127.0.0.1:70/", "ftp://example.org/feed", "data:text/xml,<rss/>", "javascript:alert(1)"}
	for _, target := range targets {
		for _, allowFile := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/AllowFile=%v", target, allowFile), func(t *testing.T) {
				srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Location", target)
					w.WriteHeader(http.StatusFound)
				}))
				c := newClient(t, fetch.Options{Allow: allowLoopback}, nil)
				res, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL, AllowFile: allowFile})
				if !errors.Is(err, fetch.ErrScheme) || res != nil {
					t.Fatalf("Fetch = %+v, %v; want nil, ErrScheme", res, err)
				}
				if !strings.Contains(err.Error(), "refusing redirect to") {
					t.Errorf("error %q does not say the redirect was refused", err)
				}
				if got := fetch.Classify(err); got != "scheme" {
					t.Errorf("Classify = %q, want scheme", got)
				}
			})
		}
	}
}

func TestFetchRefusesOtherSchemes(t *testing.T) {
	for _, u := range []string{"ftp://example.org/feed", "gopher://127.0.0.1:70/", "javascript:alert(1)", "feed://example.org/rss", "/relative/feed.xml"} {
		t.Run(u, func(t *testing.T) {
			c := newClient(t, fetch.Options{}, nil)
			_, err := c.Fetch(context.Background(), fetch.Request{URL: u, AllowFile: true})
			if !errors.Is(err, fetch.ErrScheme) {
				t.Errorf("Fetch(%q) error = %v, want ErrScheme", u, err)
			}
		})
	}
}

func TestFetchFile(t *testing.T) {
	dir := t.TempDir()
	feedPath := filepath.Join(dir, "feed.xml")
	if err := os.WriteFile(feedPath, []byte(tinyFeed), 0o600); err != nil {
		t.Fatal(err)
	}
	bigPath := filepath.Join(dir, "big.xml")
	if err := os.WriteFile(bigPath, make([]byte, 1025), 0o600); err != nil {
		t.Fatal(err)
	}
	fileURL := func(p string) string { return "file://" + filepath.ToSlash(p) }

	tests := map[string]struct {
		url       string
		allowFile bool
		wantClass string
	}{
		"allowed":                {fileURL(feedPath), true, ""},
		"allowed with localhost": {"file://localhost" + filepath.ToSlash(feedPath), true, ""},
		"not allowed":            {fileURL(feedPath), false, "scheme"},
		"over MaxBody":           {fileURL(bigPath), true, "too_large"},
		"missing":                {fileURL(filepath.Join(dir, "nope.xml")), true, "other"},
		"a directory":            {fileURL(dir), true, "other"},
		"a remote host":          {"file://fileserver/share/feed.xml", true, "scheme"},
		"relative":               {"file:feed.xml", true, "other"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, fetch.Options{MaxBody: 1024}, nil)
			res, err := c.Fetch(context.Background(), fetch.Request{URL: tt.url, AllowFile: tt.allowFile})
			if got := fetch.Classify(err); got != tt.wantClass {
				t.Fatalf("Fetch(%s) error = %v (class %q), want class %q", tt.url, err, got, tt.wantClass)
			}
			if err != nil {
				return
			}
			if res.Status != 200 || string(res.Body) != tinyFeed || res.URL != tt.url {
				t.Errorf("Response{Status %d, URL %q, Body %q}, want {200, %q, the file}", res.Status, res.URL, res.Body, tt.url)
			}
		})
	}
}

// A redirect loop and a long chain end at the limit with
// ErrTooManyRedirects, and the request the caller made is not changed.
func TestFetchRedirectLoop(t *testing.T) {
	srv, ln := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusMovedPermanently)
	}))
	c := newClient(t, fetch.Options{MaxRedirects: 5, Allow: allowLoopback}, nil)
	req := fetch.Request{URL: srv.URL + "/loop"}
	res, err := c.Fetch(context.Background(), req)
	if !errors.Is(err, fetch.ErrTooManyRedirects) || res != nil {
		t.Fatalf("Fetch = %+v, %v; want nil, ErrTooManyRedirects", res, err)
	}
	if want := "fetch: too many redirects (more than 5)"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if n := ln.Accepts(); n != 1 {
		t.Errorf("%d connections for one loop, want 1 kept alive", n)
	}
	if req.URL != srv.URL+"/loop" {
		t.Errorf("request URL changed to %q", req.URL)
	}
}

// https → http is refused: the feed would lose TLS's protection on the
// way. http → https, and https → https, are followed.
func TestFetchRefusesDowngradeRedirect(t *testing.T) {
	plain, plainLn := newServer(t, "127.0.0.1:0", feedHandler(tinyFeed))
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down":
			http.Redirect(w, r, plain.URL+"/feed", http.StatusMovedPermanently)
		case "/same":
			http.Redirect(w, r, "/feed", http.StatusFound)
		default:
			feedHandler(tinyFeed)(w, r)
		}
	}))
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	up, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, tlsSrv.URL+"/feed", http.StatusMovedPermanently)
	}))
	c := newClient(t, fetch.Options{Allow: allowLoopback}, nil)
	c.TrustTLS(tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs)

	_, err := c.Fetch(context.Background(), fetch.Request{URL: tlsSrv.URL + "/down"})
	if !errors.Is(err, fetch.ErrScheme) || !strings.Contains(err.Error(), "from https to http") {
		t.Errorf("https → http: error %v, want ErrScheme naming the downgrade", err)
	}
	if n := plainLn.Accepts(); n != 0 {
		t.Errorf("the http target accepted %d connections, want 0", n)
	}
	for _, u := range []string{tlsSrv.URL + "/same", up.URL} {
		res, err := c.Fetch(context.Background(), fetch.Request{URL: u})
		if err != nil || string(res.Body) != tinyFeed || !strings.HasPrefix(res.URL, "https://") {
			t.Errorf("Fetch(%s) = %+v, %v; want the feed over https", u, res, err)
		}
	}
}
