package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/internal/netguard"
)

func TestFetchRefusesLoopbackByDefault(t *testing.T) {
	srv, ln := newServer(t, "127.0.0.1:0", feedHandler(tinyFeed))
	c := newClient(t, fetch.Options{}, nil)

	res, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL + "/feed"})
	if !errors.Is(err, fetch.ErrBlocked) {
		t.Fatalf("Fetch(%s) error = %v, want ErrBlocked", srv.URL, err)
	}
	if res != nil {
		t.Errorf("Fetch returned a Response with a refusal: %+v", res)
	}
	const want = "fetch: refusing to connect to private address 127.0.0.1 (list it in fetch.allow, or set fetch.allow_private_networks)"
	if err.Error() != want {
		t.Errorf("error message\n got: %s\nwant: %s", err, want)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("error %v does not keep the *url.Error of net/http underneath", err)
	}
	if got := fetch.Classify(err); got != "blocked" {
		t.Errorf("Classify = %q, want blocked", got)
	}
	if n := ln.Accepts(); n != 0 {
		t.Errorf("server accepted %d connections, want 0", n)
	}
}

func TestFetchAllowsPermittedPrivateAddresses(t *testing.T) {
	tests := map[string]fetch.Options{
		"allow_private_networks":  {AllowPrivate: true},
		"allow list 127.0.0.1/32": {Allow: allowLoopback},
	}
	for name, o := range tests {
		t.Run(name, func(t *testing.T) {
			srv, _ := newServer(t, "127.0.0.1:0", feedHandler(tinyFeed))
			c := newClient(t, o, nil)
			res, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL})
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if string(res.Body) != tinyFeed {
				t.Errorf("Body = %q, want %q", res.Body, tinyFeed)
			}
		})
	}
}

// A server allowed by the Allow list redirects to one that is not: the
// guard sits on the dial, so the second hop is refused before connecting.
func TestFetchRefusesRedirectToBlockedAddress(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			target, targetLn := newServer(t, "127.0.0.2:0", feedHandler("secret"))
			origin, originLn := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+"/latest/meta-data/", code)
			}))
			c := newClient(t, fetch.Options{Allow: allowLoopback}, nil)

			res, err := c.Fetch(context.Background(), fetch.Request{URL: origin.URL})
			if !errors.Is(err, fetch.ErrBlocked) {
				t.Fatalf("Fetch error = %v (response %+v), want ErrBlocked", err, res)
			}
			if !strings.Contains(err.Error(), "127.0.0.2") {
				t.Errorf("error %q does not name the refused address 127.0.0.2", err)
			}
			if n := originLn.Accepts(); n != 1 {
				t.Errorf("origin accepted %d connections, want 1", n)
			}
			if n := targetLn.Accepts(); n != 0 {
				t.Errorf("blocked target accepted %d connections, want 0", n)
			}
		})
	}
}

// Every spelling of loopback is refused or fails to resolve; none
// reaches the server. 127.1 and 2130706433 are not valid host names for
// Go's resolver; localhost comes from /etc/hosts; the rest are addresses.
func TestFetchRefusesLoopbackSpellings(t *testing.T) {
	srv, ln := newServer(t, "127.0.0.1:0", feedHandler(tinyFeed))
	port := serverPort(t, srv)
	c := newClient(t, fetch.Options{}, nil)

	for _, host := range []string{"127.1", "2130706433", "0x7f000001", "[::ffff:7f00:1]", "[::ffff:127.0.0.1]", "localhost", "127.0.0.1", "0.0.0.0"} {
		t.Run(host, func(t *testing.T) {
			u := "http://" + host + ":" + port + "/"
			_, err := c.Fetch(context.Background(), fetch.Request{URL: u})
			var dnsErr *net.DNSError
			t.Logf("%s: %v", u, err)
			if !errors.Is(err, fetch.ErrBlocked) && !errors.As(err, &dnsErr) {
				t.Errorf("Fetch(%s) error = %v, want ErrBlocked or a resolution failure", u, err)
			}
		})
	}
	if n := ln.Accepts(); n != 0 {
		t.Errorf("server accepted %d connections, want 0", n)
	}
}

// HTTP_PROXY must not be honoured: a proxy dials on our behalf, out of the
// guard's sight. The target is named feed.test, because net/http never
// proxies requests to loopback addresses or localhost, so a loopback URL
// could not show the difference.
func TestFetchIgnoresEnvironmentProxy(t *testing.T) {
	var proxied atomic.Int64
	proxy, proxyLn := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		fmt.Fprint(w, "from the proxy")
	}))
	target, targetLn := newServer(t, "127.0.0.1:0", feedHandler(tinyFeed))
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"} {
		t.Setenv(k, proxy.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	dns := startDNS(t, map[string][]string{"feed.test.": {"127.0.0.1"}})
	c := newClient(t, fetch.Options{Allow: allowLoopback}, dns.resolver())

	res, err := c.Fetch(context.Background(), fetch.Request{URL: "http://feed.test:" + serverPort(t, target) + "/"})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if string(res.Body) != tinyFeed {
		t.Errorf("Body = %q, want the target's feed", res.Body)
	}
	if n := proxyLn.Accepts(); n != 0 {
		t.Errorf("proxy accepted %d connections (%d requests), want 0", n, proxied.Load())
	}
	if n := targetLn.Accepts(); n != 1 {
		t.Errorf("target accepted %d connections, want 1", n)
	}
}

// rebindPair starts h on 127.0.0.1 (allowed by allowLoopback) and a
// server that must never be reached on 127.0.0.2 with the same port, and
// returns the port and both listeners.
func rebindPair(t *testing.T, h http.Handler) (string, *countingListener, *countingListener) {
	t.Helper()
	allowed, allowedLn := newServer(t, "127.0.0.1:0", h)
	port := serverPort(t, allowed)
	l, err := net.Listen("tcp", "127.0.0.2:"+port)
	if err != nil {
		t.Fatalf("listen on 127.0.0.2 with the same port: %v", err)
	}
	blockedLn := &countingListener{Listener: l}
	blockedSrv := &http.Server{Handler: feedHandler("internal")}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = blockedSrv.Serve(blockedLn)
	}()
	t.Cleanup(func() {
		blockedSrv.Close()
		<-served
	})
	return port, allowedLn, blockedLn
}

// DNS rebinding: the name first resolves to an allowed address, then to a
// blocked one. A check made once on the name would let the second fetch
// through; the check on each dial refuses it.
func TestFetchChecksTheDialedAddressNotTheName(t *testing.T) {
	port, allowedLn, blockedLn := rebindPair(t, feedHandler(tinyFeed))
	dns := startDNS(t, map[string][]string{"rebind.test.": {"127.0.0.1", "127.0.0.2"}})
	c := newClient(t, fetch.Options{Allow: allowLoopback}, dns.resolver())
	u := "http://rebind.test:" + port + "/"

	if _, err := c.Fetch(context.Background(), fetch.Request{URL: u}); err != nil {
		t.Fatalf("first Fetch (resolves to 127.0.0.1): %v", err)
	}
	c.CloseIdleConnections() // make the second fetch dial again
	_, err := c.Fetch(context.Background(), fetch.Request{URL: u})
	if !errors.Is(err, fetch.ErrBlocked) {
		t.Fatalf("second Fetch (resolves to 127.0.0.2) error = %v, want ErrBlocked", err)
	}
	checkRebound(t, dns, allowedLn, blockedLn)
}

// DNS rebinding within one fetch: the origin redirects to its own name
// and closes the connection, so the redirect dials again, and the name
// now resolves to a blocked address.
func TestFetchRebindingThroughARedirect(t *testing.T) {
	var port string
	port, allowedLn, blockedLn := rebindPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feed" {
			feedHandler(tinyFeed)(w, r)
			return
		}
		w.Header().Set("Connection", "close")
		http.Redirect(w, r, "http://rebind.test:"+port+"/feed", http.StatusFound)
	}))
	dns := startDNS(t, map[string][]string{"rebind.test.": {"127.0.0.1", "127.0.0.2"}})
	c := newClient(t, fetch.Options{Allow: allowLoopback}, dns.resolver())

	_, err := c.Fetch(context.Background(), fetch.Request{URL: "http://rebind.test:" + port + "/start"})
	if !errors.Is(err, fetch.ErrBlocked) || !strings.Contains(err.Error(), "127.0.0.2") {
		t.Fatalf("Fetch error = %v, want ErrBlocked naming 127.0.0.2", err)
	}
	checkRebound(t, dns, allowedLn, blockedLn)
}

// checkRebound checks that the name was resolved twice, the allowed
// server connected to once and the blocked one never.
func checkRebound(t *testing.T, dns *fakeDNS, allowedLn, blockedLn *countingListener) {
	t.Helper()
	if q := dns.Queries("rebind.test."); q < 2 {
		t.Errorf("the name was resolved %d times, want 2 (no second dial, so no rebinding)", q)
	}
	if n := allowedLn.Accepts(); n != 1 {
		t.Errorf("allowed server accepted %d connections, want 1", n)
	}
	if n := blockedLn.Accepts(); n != 0 {
		t.Errorf("blocked server accepted %d connections, want 0", n)
	}
}

// Every address of the special-purpose table is refused by the dial hook
// itself, the code that runs on each real connection. Nothing is dialed:
// the network beyond loopback is closed here, so a dial could not tell a
// refusal from an unreachable host.
func TestFetchControlRefusesEveryDeniedRange(t *testing.T) {
	denied := []string{"127.0.0.1", "::1", "::ffff:127.0.0.1", "0.0.0.0", "0.1.2.3", "10.0.0.1", "172.16.0.1",
		"192.168.1.1", "100.64.0.1", "169.254.169.254", "fd00:ec2::254", "fe80::1", "64:ff9b::a9fe:a9fe",
		"198.18.0.1", "192.0.0.170", "240.0.0.1", "255.255.255.255", "224.0.0.1"}
	control := netguard.Guard{}.Control("fetch")
	for _, a := range denied {
		if err := control("tcp", net.JoinHostPort(a, "80"), nil); err == nil {
			t.Errorf("dial to %s allowed, want refused", a)
		}
	}
	for _, a := range []string{"1.1.1.1", "2606:4700:4700::1111"} {
		if err := control("tcp", net.JoinHostPort(a, "443"), nil); err != nil {
			t.Errorf("dial to %s refused: %v", a, err)
		}
	}
	open := netguard.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}.Control("fetch")
	for a, want := range map[string]bool{"10.9.8.7": true, "::ffff:10.9.8.7": true, "10.0.0.0": true, "11.0.0.0": true, "172.16.0.1": false, "127.0.0.1": false} {
		if err := open("tcp", net.JoinHostPort(a, "80"), nil); (err == nil) != want {
			t.Errorf("allow 10.0.0.0/8: dial to %s: error %v, want allowed %v", a, err, want)
		}
	}
}
