// Package netguard decides which network addresses feedloom may connect
// to, and builds HTTP transports that enforce it where it cannot be
// bypassed: on the address about to be dialed, after DNS resolution and
// on every redirect. The feed fetcher, the WebSub subscriber and the
// WebSub hub all connect to addresses that strangers choose, so they share
// this one guard.
package netguard

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// A Guard says which destinations are allowed: everything when
// AllowPrivate is set, otherwise every address that is not Blocked, plus
// the prefixes in Allow.
type Guard struct {
	AllowPrivate bool
	Allow        []netip.Prefix
}

// Permitted reports whether a connection to ip may be made.
func (g Guard) Permitted(ip netip.Addr) bool {
	ip = ip.WithZone("")
	if g.AllowPrivate || !Blocked(ip) {
		return true
	}
	return inPrefixes(g.Allow, ip) || (ip.Is4In6() && inPrefixes(g.Allow, ip.Unmap()))
}

// Refused is the error a guarded dial returns for a destination the
// guard does not permit.
type Refused struct {
	Addr string // the address as dialed, or the IP when it parsed
	Who  string // the part of feedloom that refused, for the message ("fetch", "websub")
}

func (e *Refused) Error() string {
	if _, err := netip.ParseAddr(e.Addr); err != nil {
		return fmt.Sprintf("%s: refusing to connect to unparseable address %q", e.Who, e.Addr)
	}
	return fmt.Sprintf("%s: refusing to connect to private address %s (list it in fetch.allow, or set fetch.allow_private_networks)", e.Who, e.Addr)
}

// Control is a net.Dialer Control hook that refuses, with a *Refused
// error naming who, any address g does not permit. It runs after DNS
// resolution, just before connect(2): whatever the name or its spelling
// (127.1, 0x7f000001, [::ffff:7f00:1]), the number about to be connected
// to is judged.
func (g Guard) Control(who string) func(network, address string, c syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &Refused{Addr: address, Who: who}
		}
		if ip := ap.Addr().WithZone(""); !g.Permitted(ip) {
			return &Refused{Addr: ip.String(), Who: who}
		}
		return nil
	}
}

// Dialer returns a dialer whose every connection goes through control,
// with timeout for the connection.
func Dialer(timeout time.Duration, control func(network, address string, c syscall.RawConn) error) *net.Dialer {
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: control}
}

// Transport returns an HTTP transport that dials with d (see Dialer), with
// no proxy (a proxy would dial for us, past the guard), TLS 1.2 or later,
// 64 KiB of response headers at most, and every phase limited to d's
// timeout.
func Transport(d *net.Dialer) *http.Transport {
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true, // a custom DialContext disables HTTP/2 otherwise
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    d.Timeout,
		ResponseHeaderTimeout:  d.Timeout,
		MaxResponseHeaderBytes: MaxHeaderBytes,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
	}
}

// MaxHeaderBytes caps response headers: a hostile server sending megabytes
// of them fails early.
const MaxHeaderBytes = 64 << 10
