package fetch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/feedloom/feedloom/internal/netguard"
)

// Defaults for the zero values of Options.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBody      = 10 << 20 // 10 MiB
	DefaultMaxRedirects = 10
	DefaultUserAgent    = "feedloom"
)

// accept lists the feed formats first; a server that ignores it still
// gets a chance with the */* fallback. Request.Accept replaces it.
const accept = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"

// Options configure a Client. The zero value is usable: every zero field
// means its default.
type Options struct {
	// Timeout bounds a whole fetch: DNS, connect, TLS, redirects, headers
	// and body. Zero or negative means DefaultTimeout (30s).
	Timeout time.Duration
	// MaxBody caps the body after decompression. Zero or negative means
	// DefaultMaxBody (10 MiB).
	MaxBody int64
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// AllowPrivate lets fetches connect to every address netguard.Blocked reports
	// (loopback, private, link-local and the other special ranges). It is
	// the config's fetch.allow_private_networks.
	AllowPrivate bool
	// Allow lists ranges that may be connected to even when AllowPrivate is
	// false, for example one intranet host. An IPv4 prefix also matches the
	// IPv4-mapped form of its addresses.
	Allow []netip.Prefix
	// MaxRedirects is how many redirects one fetch follows. Zero means
	// DefaultMaxRedirects (10); negative means none is followed.
	MaxRedirects int
	// Proxy, when not nil, is an http, https or socks5 proxy every fetch
	// goes through (the config's fetch.proxy). It is dialed at exactly its
	// host and port, whatever the guard says of that address, and nothing
	// else is dialed; each request's host is checked against the guard
	// before it is handed to the proxy. The environment's proxy variables
	// are never read.
	Proxy *url.URL
}

// Client fetches feeds over HTTP with the guards the package documents. It
// is safe for concurrent use; share one per configuration.
type Client struct {
	timeout      time.Duration
	maxBody      int64
	userAgent    string
	guard        netguard.Guard
	maxRedirects int

	dialer    *net.Dialer
	transport *http.Transport
}

// New returns a Client for o, with its own connection pool.
func New(o Options) *Client {
	c := &Client{
		timeout:      o.Timeout,
		maxBody:      o.MaxBody,
		userAgent:    o.UserAgent,
		guard:        netguard.Guard{AllowPrivate: o.AllowPrivate, Allow: append([]netip.Prefix(nil), o.Allow...)},
		maxRedirects: o.MaxRedirects,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	switch {
	case c.maxRedirects == 0:
		c.maxRedirects = DefaultMaxRedirects
	case c.maxRedirects < 0:
		c.maxRedirects = 0
	}
	// Every phase limit equals Timeout: the context deadline normally fires
	// first, and whichever fires, "timed out after Timeout" stays true.
	c.dialer = netguard.Dialer(c.timeout, c.control)
	c.transport = netguard.Transport(c.dialer)
	c.transport.ExpectContinueTimeout = time.Second
	c.transport.DisableCompression = true // we decompress ourselves, so MaxBody counts decompressed bytes
	if o.Proxy != nil {
		c.useProxy(o.Proxy)
	}
	return c
}

// CloseIdleConnections closes the connections the Client keeps for reuse.
// Call it when the Client is replaced (on a config reload) or no longer
// needed.
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }

// control refuses, with ErrBlocked, any address the guard does not
// permit (see netguard.Guard.Control).
func (c *Client) control(network, address string, rc syscall.RawConn) error {
	err := c.guard.Control("fetch")(network, address, rc)
	if err != nil {
		return &kindError{msg: err.Error(), kind: ErrBlocked}
	}
	return nil
}

// Request is one fetch.
type Request struct {
	URL string
	// ETag and LastModified are the validators of the previous response;
	// they are sent as If-None-Match and If-Modified-Since.
	ETag         string
	LastModified string
	// Accept is the Accept header; empty means the feed formats first.
	// Fetching an article's page asks for HTML instead.
	Accept string
	// AllowFile lets URL be a file:// URL. Set it only for sources from the
	// config, never for URLs from a feed or a user. A redirect never leads
	// to a file, whatever AllowFile says.
	AllowFile bool
}

// Response is the result of a fetch.
type Response struct {
	URL         string // final URL, after redirects
	Status      int
	NotModified bool // the server answered 304; Body is empty
	// ETag, LastModified and ContentType are copied from Header.
	ETag, LastModified, ContentType string
	Header                          http.Header
	Body                            []byte     // decompressed, at most MaxBody bytes
	Redirects                       []Redirect // the redirects followed, in order
}

// Redirect is one redirect that was followed. Fetch does not act on its
// status: the caller decides whether a 301 or 308 updates the source.
type Redirect struct {
	From, To string
	Status   int
}

// Fetch gets r.URL with a GET request.
//
// On success (2xx) the Response holds the decompressed body. A 304 gives a
// Response with NotModified set, no body and a nil error. Any other status
// gives BOTH a *StatusError and a non-nil Response with the status, the
// headers and the redirects but no body, so the caller can read
// Retry-After, Location or the final URL of a 410. Every other failure
// returns a nil Response and an error wrapping one of the package's
// sentinels or, when ctx ends first, ctx's error; Classify names its kind.
func (c *Client) Fetch(ctx context.Context, r Request) (*Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, &kindError{msg: fmt.Sprintf("fetch: invalid URL: %v", err), kind: errOther, cause: err}
	}
	switch u.Scheme {
	case "http", "https":
	case "file":
		if r.AllowFile {
			return c.fetchFile(ctx, u)
		}
		fallthrough
	default:
		return nil, &kindError{
			msg:  fmt.Sprintf("fetch: unsupported URL scheme %q in %s (only http and https are fetched)", u.Scheme, u.Redacted()),
			kind: ErrScheme,
		}
	}

	deadline := time.Now().Add(c.timeout)
	fctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	req, err := http.NewRequestWithContext(fctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &kindError{msg: fmt.Sprintf("fetch: invalid URL: %v", err), kind: errOther, cause: err}
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", cmp.Or(r.Accept, accept))
	req.Header.Set("Accept-Encoding", acceptEncoding)
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}

	var hops []Redirect
	hc := &http.Client{
		Transport: c.transport,
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			if s := next.URL.Scheme; s != "http" && s != "https" {
				return &kindError{
					msg:  fmt.Sprintf("fetch: refusing redirect to %s (only http and https are followed)", next.URL.Redacted()),
					kind: ErrScheme,
				}
			}
			if prev := via[len(via)-1].URL; prev.Scheme == "https" && next.URL.Scheme == "http" {
				return &kindError{
					msg:  fmt.Sprintf("fetch: refusing redirect from https to http (%s); configure the http URL if that is meant", next.URL.Redacted()),
					kind: ErrScheme,
				}
			}
			if len(via) > c.maxRedirects {
				return &kindError{
					msg:  fmt.Sprintf("fetch: too many redirects (more than %d)", c.maxRedirects),
					kind: ErrTooManyRedirects,
				}
			}
			hops = append(hops, Redirect{
				From:   via[len(via)-1].URL.String(),
				To:     next.URL.String(),
				Status: next.Response.StatusCode,
			})
			return nil
		},
	}

	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.failure(ctx, fctx, deadline, err)
	}
	defer resp.Body.Close()

	res := &Response{
		URL:          resp.Request.URL.String(),
		Status:       resp.StatusCode,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		ContentType:  resp.Header.Get("Content-Type"),
		Header:       resp.Header,
		Redirects:    hops,
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		res.NotModified = true
		return res, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return res, &StatusError{
			Code:       resp.StatusCode,
			Status:     resp.Status,
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}
	body, err := c.readBody(resp)
	if err != nil {
		return nil, c.failure(ctx, fctx, deadline, err)
	}
	res.Body = body
	return res, nil
}

// failure turns an error from net/http or from reading the body into one
// with a clean message and a kind, keeping the original underneath.
func (c *Client) failure(parent, fctx context.Context, deadline time.Time, err error) error {
	if perr := parent.Err(); perr != nil {
		return &kindError{msg: "fetch: " + perr.Error(), kind: perr, cause: err}
	}
	var ne net.Error
	if fctx.Err() != nil || !time.Now().Before(deadline) || (errors.As(err, &ne) && ne.Timeout()) {
		return &kindError{msg: fmt.Sprintf("fetch: timed out after %v", c.timeout), kind: ErrTimeout, cause: err}
	}
	var ke *kindError
	if errors.As(err, &ke) { // from our own hooks and readers: blocked, scheme, redirects, too large, ...
		return &kindError{msg: ke.msg, kind: ke.kind, cause: err}
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = fmt.Sprintf("%s %s: %v", strings.ToLower(ue.Op), ue.URL, ue.Err)
	}
	return &kindError{msg: "fetch: " + msg, kind: errNetwork, cause: err}
}
