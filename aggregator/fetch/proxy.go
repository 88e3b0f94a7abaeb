package fetch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"

	"github.com/feedloom/feedloom/internal/netguard"
)

// useProxy sends every fetch of c through the proxy at u. The proxy dials
// the feed's server, out of the guard's sight, so two checks take the
// dial-time guard's place:
//
//   - the transport connects to the proxy's exact host and port, and to
//     nothing else, even when that is a private address (a proxy on
//     loopback or in the intranet is the usual case);
//   - before a request (the first or a redirect) goes to the proxy, its
//     host is judged: an address literal by the guard, a name by the
//     addresses it resolves to here. A name that does not resolve here
//     is left to the proxy, which is what a proxy is for where there is
//     no DNS; a name that resolves to a refused address is refused.
func (c *Client) useProxy(u *url.URL) {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443", "socks5": "1080"}[u.Scheme]
	}
	proxyAddr := net.JoinHostPort(host, port)
	literal, _ := netip.ParseAddr(host)
	d := *c.dialer
	d.Control = func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || ap.Port() != mustPort(port) || (literal.IsValid() && ap.Addr().Unmap() != literal.Unmap()) {
			return &kindError{msg: fmt.Sprintf("fetch: refusing to connect to %s: only the proxy %s is dialed", address, proxyAddr), kind: ErrBlocked}
		}
		return nil
	}
	c.transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != proxyAddr {
			return nil, &kindError{msg: fmt.Sprintf("fetch: refusing to connect to %s: only the proxy %s is dialed", addr, proxyAddr), kind: ErrBlocked}
		}
		return d.DialContext(ctx, network, addr)
	}
	c.transport.Proxy = func(req *http.Request) (*url.URL, error) {
		if err := c.checkHost(req.Context(), req.URL.Hostname()); err != nil {
			return nil, err
		}
		return u, nil
	}
}

// checkHost refuses a host that is, or resolves here to, an address the
// guard does not permit.
func (c *Client) checkHost(ctx context.Context, host string) error {
	refuse := func(ip netip.Addr) error {
		return &kindError{msg: (&netguard.Refused{Addr: ip.String(), Who: "fetch"}).Error(), kind: ErrBlocked}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !c.guard.Permitted(ip) {
			return refuse(ip)
		}
		return nil
	}
	r := c.dialer.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil // unknown here: the proxy resolves it
	}
	for _, ip := range ips {
		if !c.guard.Permitted(ip) {
			return refuse(ip)
		}
	}
	return nil
}

func mustPort(s string) uint16 {
	p, err := net.LookupPort("tcp", s)
	if err != nil {
		return 0
	}
	return uint16(p)
}
