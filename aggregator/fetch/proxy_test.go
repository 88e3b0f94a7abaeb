package fetch_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/feedloom/feedloom/aggregator/fetch"
)

// forwardProxy is a plain HTTP forward proxy for tests: it sends every
// request it gets to upstream (whatever host the request names, so that
// test names need not resolve anywhere) and records the hosts asked for.
type forwardProxy struct {
	upstream string // "127.0.0.1:PORT"
	requests atomic.Int64
	mu       sync.Mutex
	hosts    []string
	client   *http.Client
}

func (p *forwardProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	p.mu.Lock()
	p.hosts = append(p.hosts, r.URL.Host)
	p.mu.Unlock()
	if !r.URL.IsAbs() {
		http.Error(w, "not a proxy request", http.StatusBadRequest)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Host = p.upstream
	out.Host = r.URL.Host
	resp, err := p.client.Transport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// proxySetup is a target feed server, a configured proxy in front of it,
// and an environment proxy (HTTP_PROXY and friends) that must never be
// used. Both proxies count their connections.
type proxySetup struct {
	target, proxy, env          *countingListener
	targetURL, proxyURL, envURL string
	fwd                         *forwardProxy
}

func newProxySetup(t *testing.T) *proxySetup {
	t.Helper()
	tsrv, tln := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		feedHandler(tinyFeed)(w, r)
	}))
	fwd := &forwardProxy{upstream: tsrv.Listener.Addr().String(), client: &http.Client{Transport: &http.Transport{}}}
	t.Cleanup(fwd.client.CloseIdleConnections)
	psrv, pln := newServer(t, "127.0.0.1:0", fwd)
	esrv, eln := newServer(t, "127.0.0.1:0", fwd)
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"} {
		t.Setenv(k, esrv.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	return &proxySetup{target: tln, proxy: pln, env: eln, targetURL: tsrv.URL, proxyURL: psrv.URL, envURL: esrv.URL, fwd: fwd}
}

// A configured proxy is used even on loopback, which the guard refuses
// otherwise, and the environment's proxy is not.
func TestFetchThroughConfiguredProxy(t *testing.T) {
	ps := newProxySetup(t)
	dns := startDNS(t, map[string][]string{"feed.test.": {"93.184.215.14"}})
	c := newClient(t, fetch.Options{Proxy: mustURL(t, ps.proxyURL)}, dns.resolver())

	res, err := c.Fetch(context.Background(), fetch.Request{URL: "http://feed.test/rss"})
	if err != nil {
		t.Fatalf("Fetch through the proxy: %v", err)
	}
	if string(res.Body) != tinyFeed {
		t.Errorf("Body = %q, want the feed", res.Body)
	}
	if n := ps.proxy.Accepts(); n != 1 {
		t.Errorf("configured proxy accepted %d connections, want 1", n)
	}
	if n := ps.env.Accepts(); n != 0 {
		t.Errorf("environment proxy accepted %d connections, want 0", n)
	}
	ps.fwd.mu.Lock()
	got := ps.fwd.hosts
	ps.fwd.mu.Unlock()
	if len(got) != 1 || got[0] != "feed.test" {
		t.Errorf("the proxy was asked for %v, want [feed.test]", got)
	}
}

// Through a proxy the guard cannot see the dial, so the host is judged
// before the request is handed over: a refused address never reaches the
// proxy, directly or by a redirect.
func TestFetchThroughProxyRefusesBlockedHosts(t *testing.T) {
	tests := map[string]struct {
		url          string
		wantRequests int64 // that reached the proxy
	}{
		"loopback literal":        {"http://127.0.0.1:1/", 0},
		"metadata literal":        {"http://169.254.169.254/latest/meta-data/", 0},
		"nat64 literal":           {"http://[64:ff9b::a9fe:a9fe]/", 0},
		"name resolving private":  {"http://internal.test/", 0},
		"localhost":               {"http://localhost/", 0},
		"redirect to loopback":    {"http://feed.test/hop?to=http://127.0.0.2/admin", 1},
		"redirect to a bad name":  {"http://feed.test/hop?to=http://internal.test/", 1},
		"redirect to metadata v6": {"http://feed.test/hop?to=http://[::ffff:169.254.169.254]/", 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ps := newProxySetup(t)
			dns := startDNS(t, map[string][]string{"feed.test.": {"93.184.215.14"}, "internal.test.": {"10.0.0.7"}})
			c := newClient(t, fetch.Options{Proxy: mustURL(t, ps.proxyURL)}, dns.resolver())
			_, err := c.Fetch(context.Background(), fetch.Request{URL: tt.url})
			if !errors.Is(err, fetch.ErrBlocked) {
				t.Fatalf("Fetch(%s) error = %v, want ErrBlocked", tt.url, err)
			}
			if n := ps.fwd.requests.Load(); n != tt.wantRequests {
				t.Errorf("the proxy got %d requests, want %d", n, tt.wantRequests)
			}
			if n := ps.env.Accepts(); n != 0 {
				t.Errorf("environment proxy accepted %d connections, want 0", n)
			}
		})
	}
}

// With HTTP_PROXY set and no proxy configured, a refused target is still
// refused at the dial and the environment's proxy sees nothing.
func TestFetchEnvironmentProxyDoesNotBypassTheGuard(t *testing.T) {
	ps := newProxySetup(t)
	dns := startDNS(t, map[string][]string{"internal.test.": {"127.0.0.1"}})
	c := newClient(t, fetch.Options{}, dns.resolver())
	for _, u := range []string{ps.targetURL, "http://internal.test:" + port(t, ps.targetURL) + "/"} {
		_, err := c.Fetch(context.Background(), fetch.Request{URL: u})
		if !errors.Is(err, fetch.ErrBlocked) {
			t.Errorf("Fetch(%s) error = %v, want ErrBlocked", u, err)
		}
	}
	if n := ps.env.Accepts(); n != 0 {
		t.Errorf("environment proxy accepted %d connections, want 0", n)
	}
	if n := ps.target.Accepts(); n != 0 {
		t.Errorf("target accepted %d connections, want 0", n)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func port(t *testing.T, raw string) string {
	t.Helper()
	return mustURL(t, raw).Port()
}
