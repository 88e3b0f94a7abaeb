package websub

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/feedloom/feedloom/aggregator/fetch"
)

// maxRedirects bounds the 307/308 redirects to another hub.
const maxRedirects = 3

// guardedClient is the default client for hub requests. A hub URL comes
// from a feed, so, like a feed fetch, it may only reach a private or
// loopback address when allowPrivate is set: the check runs on the IP
// about to be dialed, after DNS and on every redirect.
func guardedClient(timeout time.Duration, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("websub: refusing to connect to unparseable address %q", address)
			}
			if !allowPrivate && fetch.Blocked(ap.Addr()) {
				return fmt.Errorf("websub: refusing to connect to private address %s (set fetch.allow_private_networks to allow)", ap.Addr())
			}
			return nil
		},
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                  nil, // a proxy would dial for us, past the guard
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    timeout,
			ResponseHeaderTimeout:  timeout,
			MaxResponseHeaderBytes: 64 << 10,
			MaxIdleConnsPerHost:    2,
			IdleConnTimeout:        90 * time.Second,
		},
		// A hub may send the subscriber to another hub with 307 or 308,
		// which repeat the POST; any other redirect is the answer, and
		// not a success.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if c := req.Response.StatusCode; c != http.StatusTemporaryRedirect && c != http.StatusPermanentRedirect {
				return http.ErrUseLastResponse
			}
			if len(via) > maxRedirects {
				return errors.New("websub: too many redirects")
			}
			return nil
		},
	}
}
