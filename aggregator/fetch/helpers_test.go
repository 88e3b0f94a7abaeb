package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/internal/loopbacktest"
)

// TestMain fails the run when a test leaves HTTP connections or handlers
// running after its cleanup.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitNoLeaks(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines left running after the tests:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// waitNoLeaks waits until no goroutine of net/http, httptest or this
// package is left, and returns their stacks if some remain after d.
func waitNoLeaks(d time.Duration) string {
	return waitGoroutinesGone(d, func(stack string) bool {
		return strings.Contains(stack, "net/http.") || strings.Contains(stack, "aggregator/fetch")
	})
}

// waitNoPersistConns waits until no net/http client connection goroutine
// is left, and returns their stacks if some remain after d.
func waitNoPersistConns(d time.Duration) string {
	return waitGoroutinesGone(d, func(stack string) bool {
		return strings.Contains(stack, "net/http.(*persistConn)")
	})
}

// waitGoroutinesGone waits until no goroutine but the caller's has a stack
// that match accepts, and returns those stacks if some remain after d. It
// polls: connection goroutines give no signal when they exit. The poll
// only waits for them to finish; no test relies on it to order events.
func waitGoroutinesGone(d time.Duration, match func(stack string) bool) string {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(d)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for g := range strings.SplitSeq(string(buf), "\n\n") {
			if !strings.Contains(g, "waitGoroutinesGone") && !strings.Contains(g, "testing.(*M)") && match(g) {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return ""
		}
		select {
		case <-tick.C:
		case <-deadline:
			return strings.Join(left, "\n\n")
		}
	}
}

// allowLoopback is the Options.Allow the tests use for servers on
// 127.0.0.1; 127.0.0.2 stays blocked.
var allowLoopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// noDNS resolves names only from /etc/hosts: any DNS query fails on the
// spot instead of leaving the machine.
var noDNS = &net.Resolver{
	PreferGo: true,
	Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("test: DNS is not available")
	},
}

// newClient returns a Client for o whose DNS never leaves the test (r, or
// noDNS when r is nil) and whose idle connections are closed at cleanup.
func newClient(t *testing.T, o fetch.Options, r *net.Resolver) *fetch.Client {
	t.Helper()
	if r == nil {
		r = noDNS
	}
	c := fetch.New(o)
	c.SetResolver(r)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// countingListener counts the connections it accepts, so a test can
// assert that a refused fetch never reached the server.
type countingListener = loopbacktest.Listener

// newServer starts h on addr ("127.0.0.1:0", "127.0.0.2:0", ...) behind a
// counting listener, closed at cleanup.
func newServer(t *testing.T, addr string, h http.Handler) (*httptest.Server, *countingListener) {
	t.Helper()
	return loopbacktest.ServerOn(t, addr, h)
}

// feedHandler answers every request with a small RSS document.
func feedHandler(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, body)
	}
}

const tinyFeed = `<rss version="2.0"><channel><title>t</title></channel></rss>`

// fakeDNS is a DNS server on 127.0.0.1 that answers A queries from a
// script: the i-th query for a name gets the i-th address of its list (the
// last one once the list runs out), with TTL 0. AAAA queries get no
// answer; unknown names get NXDOMAIN.
type fakeDNS struct {
	conn    net.PacketConn
	mu      sync.Mutex
	script  map[string][]netip.Addr
	queries map[string]int
}

func startDNS(t *testing.T, script map[string][]string) *fakeDNS {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{conn: conn, script: map[string][]netip.Addr{}, queries: map[string]int{}}
	for name, addrs := range script {
		for _, a := range addrs {
			d.script[name] = append(d.script[name], netip.MustParseAddr(a))
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.serve()
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	return d
}

// resolver returns a Resolver that sends every query to d.
func (d *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var nd net.Dialer
			return nd.DialContext(ctx, "udp", d.conn.LocalAddr().String())
		},
	}
}

// Queries returns how many A queries name ("feed.test.") got.
func (d *fakeDNS) Queries(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queries[name]
}

func (d *fakeDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if out, err := d.answer(buf[:n]); err == nil {
			_, _ = d.conn.WriteTo(out, from) // a lost answer makes the resolver retry
		}
	}
}

func (d *fakeDNS) answer(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(q.Name.String())
	d.mu.Lock()
	addrs, known := d.script[name]
	var a netip.Addr
	if known && q.Type == dnsmessage.TypeA {
		a = addrs[min(d.queries[name], len(addrs)-1)]
		d.queries[name]++
	}
	d.mu.Unlock()

	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if a.IsValid() {
		rr := dnsmessage.ResourceHeader{Name: q.Name, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET, TTL: 0}
		if err := b.AResource(rr, dnsmessage.AResource{A: a.As4()}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

// serverPort returns the port s listens on.
func serverPort(t *testing.T, s *httptest.Server) string {
	t.Helper()
	_, port, err := net.SplitHostPort(s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}
