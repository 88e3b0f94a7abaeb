package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/feedloom/feedloom/store"
)

// The tests of THREATS.md §7 E (serving, admin and lifecycle) and of
// case 14 (fleet exhaustion): each runs the real serve on a loopback
// listener, with short limits set in the config, and checks that the
// goroutines it started are gone once it stops.

const adminTestToken = "test-admin-token-0123456789"

// guardEngine, when set, is the server.engine startGuardServe configures;
// TestServeGuardsOnFastHTTP sets it to hold the fasthttp engine to the
// same cases as the default one.
var guardEngine string

// TestServeGuardsOnFastHTTP runs the server-guard cases (slowloris,
// oversized requests, admin auth and CORS, shutdown during a download,
// fleet exhaustion) again with server.engine: fasthttp.
func TestServeGuardsOnFastHTTP(t *testing.T) {
	guardEngine = "fasthttp"
	t.Cleanup(func() { guardEngine = "" })
	for _, c := range []struct {
		name string
		test func(*testing.T)
	}{
		{"Slowloris", TestServeSlowloris},
		{"OversizedRequests", TestServeOversizedRequests},
		{"AdminAuthAndCORS", TestServeAdminAuthAndCORS},
		{"AdminTokenFromEnvironment", TestServeAdminTokenFromEnvironment},
		{"ShutdownDuringSlowDownload", TestServeShutdownDuringSlowDownload},
		{"FleetExhaustion", TestServeFleetExhaustion},
	} {
		t.Run(c.name, c.test)
	}
}

// guardServe is a running serve for these tests.
type guardServe struct {
	base   string // "http://127.0.0.1:PORT"
	cfg    string // the config file
	stop   func() error
	client *http.Client
	log    *lockedBuffer // serve's log
}

// startGuardServe writes a config with extra (YAML at the top level,
// may be "") and the given sources, with one topic "all", and serves it.
// Unless extra has a fetch section, fetches may reach 127.0.0.1.
func startGuardServe(t *testing.T, extra string, sources ...string) *guardServe {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if guardEngine != "" {
		if strings.Contains(extra, "server:\n") {
			extra = strings.Replace(extra, "server:\n", "server:\n  engine: "+guardEngine+"\n", 1)
		} else {
			extra += "\nserver:\n  engine: " + guardEngine + "\n"
		}
	}
	if !strings.Contains(extra, "fetch:\n") {
		extra += "\nfetch:\n  allow: [127.0.0.1/32]\n"
	}
	fmt.Fprintf(&b, "store: feedloom.db\n%s\nsources:\n", extra)
	for _, s := range sources {
		fmt.Fprintf(&b, "  - url: %s\n", s)
	}
	b.WriteString("topics:\n  - name: all\n")
	path := writeConfig(t, dir, b.String())
	log := &lockedBuffer{}
	cfg, stop := startServe(t, path, ln, log)
	if guardEngine != "" && cfg.Server.Engine != guardEngine {
		t.Fatalf("serving on %q, want %q", cfg.Server.Engine, guardEngine)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	return &guardServe{base: "http://" + ln.Addr().String(), cfg: path, stop: stop, client: client, log: log}
}

// do sends a request with headers as "Name: value" strings and returns
// the response with its body read.
func (g *guardServe) do(t *testing.T, method, path string, body io.Reader, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, g.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := g.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp, string(b)
}

// eventually waits until cond holds, failing the test after d. It polls:
// the conditions are states of another process-like part (a server, the
// scheduler) that give no signal.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noLeaks records the goroutines now and, at cleanup (after the serve
// started later has stopped), checks they come back to that count. The
// signal package's one goroutine, started by the first signal.Notify of
// the process and never stopped, is not counted.
func noLeaks(t *testing.T) {
	t.Helper()
	base, _ := goroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			n, stacks := goroutines()
			if n <= base {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines, %d before serve started:\n%s", n, base, stacks)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// goroutines counts the goroutines but the signal package's and
// fasthttp's clock, and returns their stacks.
func goroutines() (int, string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		// Like os/signal's, fasthttp's clock (the Date header it
		// writes) is one goroutine a process, started by the first
		// fasthttp server and never stopped.
		if !strings.Contains(g, "os/signal.loop") && !strings.Contains(g, "fasthttp.updateServerDate") {
			n++
		}
	}
	return n, string(buf)
}

// stopWithin stops serve and fails unless it returns within d.
func stopWithin(t *testing.T, g *guardServe, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- g.stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(d):
		t.Fatalf("serve did not stop within %v", d)
	}
}

// Case 36: slowloris. Many connections each send a request's headers one
// byte at a time; each is closed at read_header_timeout without an
// answer, while a legitimate request made during the attack is answered.
func TestServeSlowloris(t *testing.T) {
	noLeaks(t)
	o := newOrigin(t, rss("Feed", rssItem("1", "One", "https://example.org/1", "Sat, 11 May 2019 10:41:00 +0300", "b")))
	g := startGuardServe(t, "server:\n  read_header_timeout: 1s\n", o.srv.URL)

	const conns = 200
	var (
		wg        sync.WaitGroup
		closed    atomic.Int64 // connections the server closed
		answered  atomic.Int64 // connections that got an answer other than 400
		sentAll   atomic.Int64 // connections that sent their whole header: the server waited too long
		connected = make(chan struct{}, conns)
	)
	header := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100) + "\r\n\r\n"
	for range conns {
		wg.Go(func() {
			c, err := net.Dial("tcp", strings.TrimPrefix(g.base, "http://"))
			if err != nil {
				t.Errorf("dial: %v", err)
				connected <- struct{}{}
				return
			}
			defer c.Close()
			readDone := make(chan struct{})
			go func() {
				defer close(readDone)
				// net/http answers a header cut off by its deadline with
				// 400 and closes; the request itself is never served.
				b, _ := io.ReadAll(c)
				if len(b) > 0 && !strings.HasPrefix(string(b), "HTTP/1.1 400 ") {
					answered.Add(1)
				}
				closed.Add(1)
			}()
			connected <- struct{}{}
			tick := time.NewTicker(100 * time.Millisecond) // 14 s for the whole header
			defer tick.Stop()
			for i := range len(header) {
				if _, err := c.Write([]byte{header[i]}); err != nil {
					<-readDone // the server closed the connection
					return
				}
				select {
				case <-readDone:
					return
				case <-tick.C:
				}
			}
			sentAll.Add(1)
			c.Close()
			<-readDone
		})
	}
	for range conns {
		<-connected
	}
	// During the attack, a legitimate GET is answered.
	if resp, body := g.do(t, "GET", "/healthz", nil); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("GET /healthz during the attack: %d %q", resp.StatusCode, body)
	}
	if resp, _ := g.do(t, "GET", "/topics/all.rss", nil); resp.StatusCode != 200 {
		t.Errorf("GET /topics/all.rss during the attack: %d", resp.StatusCode)
	}
	wg.Wait()
	if n := closed.Load(); n != conns {
		t.Errorf("%d of %d slow connections closed", n, conns)
	}
	if n := sentAll.Load(); n != 0 {
		t.Errorf("%d slow connections sent a whole header before the server closed them", n)
	}
	if n := answered.Load(); n != 0 {
		t.Errorf("%d slow connections got an answer other than 400", n)
	}
	stopWithin(t, g, 15*time.Second)
}

// Case 36: a request whose headers pass max header bytes gets 431; an
// admin body over the cap gets 413.
func TestServeOversizedRequests(t *testing.T) {
	noLeaks(t)
	g := startGuardServe(t, "admin:\n  token: "+adminTestToken+"\n", "file:///nonexistent/feed.xml")
	checkOversized(t, g)
	stopWithin(t, g, 15*time.Second)
}

// checkOversized sends g 2 MiB of headers (431) and a 10 MiB admin body
// (413). g must have the admin token adminTestToken.
func checkOversized(t *testing.T, g *guardServe) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(g.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	status := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(c).ReadString('\n')
		status <- line
	}()
	go func() {
		// The server stops reading past its limit; this write then fails.
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 2<<20)+"\r\n\r\n")
	}()
	select {
	case line := <-status:
		if !strings.HasPrefix(line, "HTTP/1.1 431 ") {
			t.Errorf("2 MiB of headers: status line %q, want 431", line)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no answer to 2 MiB of headers")
	}

	body := strings.NewReader("source=" + strings.Repeat("x", 10<<20))
	resp, text := g.do(t, "POST", "/admin/poll", body, "Authorization: Bearer "+adminTestToken, "Content-Type: application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("10 MiB admin body: %d %q, want 413", resp.StatusCode, text)
	}
}

// Case 38: the admin endpoints exist only with a token, take it only as
// a bearer token, and carry no CORS header; the feeds carry
// Access-Control-Allow-Origin: * and never credentials.
func TestServeAdminAuthAndCORS(t *testing.T) {
	noLeaks(t)
	o := newOrigin(t, rss("Feed", rssItem("1", "One", "https://example.org/1", "Sat, 11 May 2019 10:41:00 +0300", "b")))
	src := o.srv.URL + "/feed"

	t.Run("no token: no admin endpoints", func(t *testing.T) {
		other := newOrigin(t, rss("Other", rssItem("1", "One", "https://example.org/1", "Sat, 11 May 2019 10:41:00 +0300", "b")))
		src := other.srv.URL + "/feed"
		g := startGuardServe(t, "", src)
		for _, p := range []string{"/admin/poll?source=" + url.QueryEscape(src), "/admin/reload"} {
			if resp, _ := g.do(t, "POST", p, nil, "Authorization: Bearer "+adminTestToken); resp.StatusCode != 404 {
				t.Errorf("POST %s without a configured token: %d, want 404", p, resp.StatusCode)
			}
		}
	})

	g := startGuardServe(t, "admin:\n  token: "+adminTestToken+"\npoll:\n  interval: 24h\n  min_interval: 24h\n", src)
	eventually(t, 10*time.Second, "the first poll", func() bool { return o.count() >= 1 })
	poll := "/admin/poll?source=" + url.QueryEscape(src)
	bad := map[string][]string{
		"no token":             nil,
		"wrong token":          {"Authorization: Bearer wrong-token-0123456789"},
		"token with a suffix":  {"Authorization: Bearer " + adminTestToken + "x"},
		"token prefix":         {"Authorization: Bearer " + adminTestToken[:10]},
		"empty bearer":         {"Authorization: Bearer "},
		"scheme only":          {"Authorization: Bearer"},
		"basic scheme":         {"Authorization: Basic " + adminTestToken},
		"token as the scheme":  {"Authorization: " + adminTestToken},
		"token in a cookie":    {"Cookie: token=" + adminTestToken},
		"token in a header of": {"X-Admin-Token: " + adminTestToken},
	}
	for name, headers := range bad {
		resp, _ := g.do(t, "POST", poll, nil, headers...)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d (WWW-Authenticate %q), want 401 with a challenge", name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	for _, q := range []string{"&token=", "&access_token=", "&bearer="} {
		if resp, _ := g.do(t, "POST", poll+q+adminTestToken, nil); resp.StatusCode != 401 {
			t.Errorf("token in the query string (%s): %d, want 401", q, resp.StatusCode)
		}
	}
	if n := o.count(); n != 1 {
		t.Fatalf("the origin was polled %d times by refused requests", n)
	}

	auth := "Authorization: Bearer " + adminTestToken
	resp, text := g.do(t, "POST", poll, nil, auth, "Origin: https://evil.example")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("valid token: %d %q, want 202", resp.StatusCode, text)
	}
	if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("admin answer carries Access-Control-Allow-Origin %q", v)
	}
	eventually(t, 10*time.Second, "the poll asked for", func() bool { return o.count() >= 2 })
	form := strings.NewReader("source=" + url.QueryEscape(src))
	if resp, text := g.do(t, "POST", "/admin/poll", form, "authorization: bearer "+adminTestToken, "Content-Type: application/x-www-form-urlencoded"); resp.StatusCode != 202 {
		t.Errorf("source in a form body, scheme in lower case: %d %q, want 202", resp.StatusCode, text)
	}
	if resp, _ := g.do(t, "POST", "/admin/poll?source=http://127.0.0.1:1/other", nil, auth); resp.StatusCode != 404 {
		t.Errorf("unknown source: %d, want 404", resp.StatusCode)
	}
	if resp, _ := g.do(t, "POST", "/admin/poll", nil, auth); resp.StatusCode != 400 {
		t.Errorf("no source: %d, want 400", resp.StatusCode)
	}
	if resp, _ := g.do(t, "GET", poll, nil, auth); resp.StatusCode != 404 {
		t.Errorf("GET of an admin endpoint: %d, want 404 (only POST exists)", resp.StatusCode)
	}
	if resp, text := g.do(t, "POST", "/admin/reload", nil, auth); resp.StatusCode != 200 || text != "config reloaded\n" {
		t.Errorf("reload: %d %q", resp.StatusCode, text)
	}
	good, err := os.ReadFile(g.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(g.cfg), "feedloom.yaml"), append(good, "bogus: 1\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if resp, text := g.do(t, "POST", "/admin/reload", nil, auth); resp.StatusCode != 422 || !strings.Contains(text, `unknown key "bogus"`) {
		t.Errorf("reload of a broken config: %d %q, want 422 naming the problem", resp.StatusCode, text)
	}

	if l := g.log.String(); !strings.Contains(l, "admin: poll requested") || !strings.Contains(l, "admin: reload requested") || strings.Contains(l, adminTestToken) {
		t.Errorf("serve's log does not record the admin actions, or shows the token:\n%s", l)
	}

	// CORS: a preflight from another site.
	preflight := []string{"Origin: https://evil.example", "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: authorization"}
	for _, p := range []string{poll, "/admin/reload"} {
		resp, _ := g.do(t, "OPTIONS", p, nil, preflight...)
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" || resp.StatusCode < 400 {
			t.Errorf("preflight to %s: %d, Access-Control-Allow-Origin %q; want an error and none", p, resp.StatusCode, v)
		}
	}
	for _, p := range []string{"/topics/all.rss", "/topics/all.atom", "/topics/all.json", "/topics.opml"} {
		resp, _ := g.do(t, "OPTIONS", p, nil, "Origin: https://evil.example", "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: if-none-match")
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Credentials") != "" ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "If-None-Match") {
			t.Errorf("preflight to %s: %d %v; want 204, origin *, If-None-Match allowed, no credentials", p, resp.StatusCode, resp.Header)
		}
		resp, _ = g.do(t, "GET", p, nil, "Origin: https://evil.example", "Cookie: session=1")
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("GET %s from another origin: %d, ACAO %q, credentials %q; want 200, *, none", p, resp.StatusCode,
				resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Access-Control-Allow-Credentials"))
		}
	}
	if resp, _ := g.do(t, "OPTIONS", "/topics/all", nil, preflight...); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight to the HTML page allowed another origin")
	}
	stopWithin(t, g, 15*time.Second)
}

// The token may come from FEEDLOOM_ADMIN_TOKEN instead of the config; a
// short one there stops serve from starting, as it would in the config.
func TestServeAdminTokenFromEnvironment(t *testing.T) {
	noLeaks(t)
	t.Setenv(adminTokenEnv, "env-admin-token-0123456789")
	g := startGuardServe(t, "", "file:///nonexistent/feed.xml")
	if resp, _ := g.do(t, "POST", "/admin/reload", nil, "Authorization: Bearer env-admin-token-0123456789"); resp.StatusCode != 200 {
		t.Errorf("token from the environment: %d, want 200", resp.StatusCode)
	}
	stopWithin(t, g, 15*time.Second)

	t.Setenv(adminTokenEnv, "short")
	dir := t.TempDir()
	path := writeConfig(t, dir, "sources:\n  - url: file:///nonexistent/feed.xml\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	code, errOut := 0, ""
	func() {
		var stdout, stderr strings.Builder
		e := &env{stdout: &stdout, stderr: &stderr, name: "serve", configPath: path}
		cfg, err := e.loadConfig()
		if err != nil {
			t.Fatal(err)
		}
		if err := serve(context.Background(), e, cfg, ln); err != nil {
			code, errOut = 1, err.Error()
		}
	}()
	if code == 0 || !strings.Contains(errOut, adminTokenEnv+": must be at least 16 characters") {
		t.Errorf("serve with a short token in the environment: error %q, want one naming %s", errOut, adminTokenEnv)
	}
}

// Case 38: cancelling serve's context (what SIGTERM does) while one feed
// drips its body: serve returns within shutdown_timeout, the download's
// request is cancelled, the store is closed (it opens again at once),
// and every item stored before is there.
func TestServeShutdownDuringSlowDownload(t *testing.T) {
	noLeaks(t)
	good := newOrigin(t, rss("Good",
		rssItem("g1", "First story", "https://example.org/g1", "Sat, 11 May 2019 10:41:00 +0300", "one"),
		rssItem("g2", "Second story", "https://example.org/g2", "Sat, 11 May 2019 11:41:00 +0300", "two")))
	reached, cancelled := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := newStallServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<rss version="2.0"><channel><title>Slow</title>`)
		w.(http.Flusher).Flush()
		once.Do(func() { close(reached) })
		<-r.Context().Done()
		close(cancelled)
	})
	g := startGuardServe(t, "server:\n  shutdown_timeout: 2s\nfetch:\n  timeout: 10m\n  allow: [127.0.0.1/32]\n", good.srv.URL, slow.String())
	eventually(t, 10*time.Second, "the good feed's items in the topic", func() bool {
		_, body := g.do(t, "GET", "/topics/all.json", nil)
		return strings.Contains(body, "First story") && strings.Contains(body, "Second story")
	})
	select {
	case <-reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow download never started")
	}
	stopWithin(t, g, 2*time.Second+5*time.Second)
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Error("the slow download was not cancelled by the shutdown")
	}

	st, err := store.Open(filepath.Join(filepath.Dir(g.cfg), "feedloom.db"), store.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("reopening the store after shutdown: %v", err)
	}
	defer st.Close()
	items, err := st.Items(context.Background(), store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, it := range items {
		titles = append(titles, it.Title)
	}
	if len(items) != 2 {
		t.Errorf("after the restart the store holds %q, want the 2 stories stored before", titles)
	}
}

// newStallServer serves h on 127.0.0.1 and, at cleanup, ends the
// handlers still running before closing (httptest's Close waits for
// them).
func newStallServer(t *testing.T, h http.HandlerFunc) *url.URL {
	t.Helper()
	srv := &http.Server{Handler: h}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return &url.URL{Scheme: "http", Host: ln.Addr().String(), Path: "/"}
}

// blackHole accepts connections and never answers, counting how many are
// open at once; a connection counts until the client closes it.
type blackHole struct {
	ln                   net.Listener
	open, most, accepted atomic.Int64
	wg                   sync.WaitGroup
	mu                   sync.Mutex
	conns                []net.Conn
}

func newBlackHole(t *testing.T) *blackHole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackHole{ln: ln}
	b.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.accepted.Add(1)
			n := b.open.Add(1)
			for m := b.most.Load(); n > m && !b.most.CompareAndSwap(m, n); m = b.most.Load() {
			}
			b.mu.Lock()
			b.conns = append(b.conns, c)
			b.mu.Unlock()
			b.wg.Go(func() {
				io.Copy(io.Discard, c) // until the client hangs up
				b.open.Add(-1)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

// Case 14: 300 sources at a server that accepts and never answers, with
// 8 workers. With a fetch timeout longer than the test, every connection
// stays open, so the connections open are the fetches in flight: exactly
// 8, and no more while every other source falls due (the cold start
// spreads 300 over 3 s), the site answering meanwhile, the goroutines
// bounded by the pool rather than the sources; serve then stops within its
// deadline, cancelling the 8. With a 1 s fetch timeout, the pool moves on
// to the next sources as the hung fetches time out.
func TestServeFleetExhaustion(t *testing.T) {
	sources := func(hole *blackHole) []string {
		var srcs []string
		for i := range 300 {
			srcs = append(srcs, fmt.Sprintf("http://%s/feed/%d", hole.ln.Addr(), i))
		}
		return srcs
	}
	const cfg = "poll:\n  workers: 8\n  per_host: 1024\nfetch:\n  timeout: %s\n  allow: [127.0.0.1/32]\nserver:\n  shutdown_timeout: 2s\n"

	t.Run("bounded", func(t *testing.T) {
		noLeaks(t)
		base, _ := goroutines()
		hole := newBlackHole(t)
		g := startGuardServe(t, fmt.Sprintf(cfg, "10m"), sources(hole)...)
		eventually(t, 30*time.Second, "8 fetches hanging", func() bool { return hole.accepted.Load() == 8 })
		peak := 0
		for end := time.Now().Add(4 * time.Second); time.Now().Before(end); { // past the 3 s cold start: all 300 due
			for _, p := range []string{"/healthz", "/topics/all.rss", "/sources.json"} {
				if resp, _ := g.do(t, "GET", p, nil); resp.StatusCode != 200 {
					t.Fatalf("GET %s while every worker hangs: %d", p, resp.StatusCode)
				}
			}
			if n := hole.accepted.Load(); n != 8 {
				t.Fatalf("%d fetches started while 8 hang, want at most 8 (poll.workers)", n)
			}
			n, _ := goroutines()
			peak = max(peak, n)
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("goroutines: %d before serve, %d at the peak", base, peak)
		// 300 sources polled at once would take 300 goroutines and more.
		if peak-base > 150 {
			t.Errorf("%d goroutines at the peak, %d before serve: not bounded by the pool", peak, base)
		}
		stopWithin(t, g, 2*time.Second+5*time.Second)
		eventually(t, 10*time.Second, "the 8 hung connections closed", func() bool { return hole.open.Load() == 0 })
	})

	t.Run("moves on", func(t *testing.T) {
		noLeaks(t)
		hole := newBlackHole(t)
		g := startGuardServe(t, fmt.Sprintf(cfg, "1s"), sources(hole)...)
		eventually(t, 60*time.Second, "three waves of fetches", func() bool { return hole.accepted.Load() >= 24 })
		if resp, _ := g.do(t, "GET", "/healthz", nil); resp.StatusCode != 200 {
			t.Errorf("GET /healthz: %d", resp.StatusCode)
		}
		stopWithin(t, g, 2*time.Second+5*time.Second)
	})
}

// Case 38 with a real signal: a feedloom serve process gets SIGTERM while
// a feed drips its body. It exits 0 within server.shutdown_timeout, the
// download is cancelled, and the store opens at once afterwards with every
// item the process stored.
func TestServeSIGTERM(t *testing.T) {
	good := newOrigin(t, rss("Good",
		rssItem("g1", "First story", "https://example.org/g1", "Sat, 11 May 2019 10:41:00 +0300", "one"),
		rssItem("g2", "Second story", "https://example.org/g2", "Sat, 11 May 2019 11:41:00 +0300", "two")))
	reached, cancelled := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := newStallServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<rss version="2.0"><channel><title>Slow</title>`)
		w.(http.Flusher).Flush()
		once.Do(func() { close(reached) })
		<-r.Context().Done()
		close(cancelled)
	})
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`listen: 127.0.0.1:0
store: feedloom.db
server:
  shutdown_timeout: 2s
fetch:
  timeout: 10m
  allow: [127.0.0.1/32]
sources:
  - url: %s
  - url: %s
topics:
  - name: all
`, good.srv.URL, slow.String()))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := command(ctx, "serve", "-config", cfg)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	addr := ""
	for addr == "" && lines.Scan() {
		if _, rest, ok := strings.Cut(lines.Text(), "(listening on "); ok {
			addr = strings.TrimSuffix(rest, ")")
		}
	}
	if addr == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("serve did not say where it listens; stderr:\n%s", stderr.String())
	}
	rest := make(chan string, 1)
	go func() {
		var b strings.Builder
		for lines.Scan() {
			b.WriteString(lines.Text() + "\n")
		}
		rest <- b.String()
	}()
	g := &guardServe{base: "http://" + addr, client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}}
	defer g.client.CloseIdleConnections()
	eventually(t, 20*time.Second, "the good feed's items in the topic", func() bool {
		_, body := g.do(t, "GET", "/topics/all.json", nil)
		return strings.Contains(body, "First story") && strings.Contains(body, "Second story")
	})
	select {
	case <-reached:
	case <-time.After(20 * time.Second):
		t.Fatal("the slow download never started")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(2*time.Second + 10*time.Second):
		cmd.Process.Kill()
		t.Fatalf("serve still running after SIGTERM; stderr:\n%s", stderr.String())
	}
	if out := <-rest; !strings.Contains(out, "feedloom: stopped") {
		t.Errorf("serve's output after SIGTERM: %q, want it to say it stopped", out)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Error("the slow download was not cancelled")
	}
	st, err := store.Open(filepath.Join(dir, "feedloom.db"), store.Options{LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("reopening the store after SIGTERM: %v", err)
	}
	defer st.Close()
	if items, err := st.Items(context.Background(), store.ItemQuery{}); err != nil || len(items) != 2 {
		t.Errorf("after SIGTERM the store holds %d items (%v), want the 2 served before", len(items), err)
	}
}
