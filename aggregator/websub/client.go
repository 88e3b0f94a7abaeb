package websub

import (
	"errors"
	"net/http"
	"time"

	"github.com/feedloom/feedloom/internal/netguard"
)

// maxRedirects bounds the 307/308 redirects to another hub.
const maxRedirects = 3

// guardedClient is the default client for hub requests. A hub URL comes
// from a feed, so, like a feed fetch, it may only reach a private or
// loopback address that g permits: the check runs on the IP about to be
// dialed, after DNS and on every redirect.
func guardedClient(timeout time.Duration, g netguard.Guard) *http.Client {
	return &http.Client{
		Timeout:   timeout,
		Transport: netguard.Transport(netguard.Dialer(timeout, g.Control("websub"))),
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
