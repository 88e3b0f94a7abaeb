package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. Fetch returns errors that wrap them, with a message that
// names the detail (the address, the limit, the URL); test with errors.Is.
var (
	// ErrBlocked is returned when a connection would go to an address that
	// netguard.Blocked reports, and neither Options.AllowPrivate nor Options.Allow
	// permits it. It is checked on the address actually dialed, so it is
	// also returned when a redirect or a DNS answer leads there.
	ErrBlocked = errors.New("fetch: refusing to connect to private address")

	// ErrScheme is returned when a URL, or a redirect's target, is not http
	// or https (file:// is accepted only as the first URL of a Request with
	// AllowFile).
	ErrScheme = errors.New("fetch: unsupported URL scheme")

	// ErrTooLarge is returned when the decompressed body is larger than
	// Options.MaxBody, when Content-Length announces more than that, or
	// when a compressed body runs far past what MaxBody can need.
	ErrTooLarge = errors.New("fetch: response body too large")

	// ErrTimeout is returned when a fetch does not finish, body included,
	// within Options.Timeout.
	ErrTimeout = errors.New("fetch: timed out")

	// ErrTooManyRedirects is returned when following a redirect would exceed
	// Options.MaxRedirects.
	ErrTooManyRedirects = errors.New("fetch: too many redirects")

	// ErrEncoding is returned when the response has a Content-Encoding other
	// than gzip, deflate or identity, or its compressed body is corrupt.
	ErrEncoding = errors.New("fetch: bad content encoding")
)

// errNetwork marks failures of the connection itself (refused, reset, DNS,
// TLS, truncated body), and errOther the rest (a malformed URL, an
// unreadable file); Classify reports them as "network" and "other".
var (
	errNetwork = errors.New("fetch: network error")
	errOther   = errors.New("fetch: error")
)

// StatusError is returned, together with a non-nil *Response carrying the
// headers, when the server answers with a status other than 2xx or 304.
type StatusError struct {
	Code   int    // e.g. 429
	Status string // e.g. "429 Too Many Requests"
	// RetryAfter is the delay the server asked for in Retry-After (seconds
	// or an HTTP-date), clamped to 24h; 0 when absent, in the past or
	// unparseable.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := "fetch: unexpected status " + e.Status
	if e.RetryAfter > 0 {
		msg += " (retry after " + e.RetryAfter.String() + ")"
	}
	return msg
}

// maxRetryAfter bounds how long a server may ask us to stay away; a feed
// that asks for a week is polled again tomorrow.
const maxRetryAfter = 24 * time.Hour

// parseRetryAfter reads a Retry-After value: delta-seconds or an HTTP-date
// relative to now. Garbage, negative values and dates in the past give 0;
// anything beyond maxRetryAfter, including numbers too large to parse,
// gives maxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter // all digits, so only overflow fails
		}
		return time.Duration(secs) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return min(max(t.Sub(now), 0), maxRetryAfter)
}

// kindError gives a failure a clean message and a kind (one of the
// sentinels, or a context error) while keeping the error net/http returned
// reachable for errors.Is and errors.As.
type kindError struct {
	msg   string
	kind  error
	cause error // may be nil
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// Classify returns a short, stable class of an error returned by Fetch, for
// display and metrics: "blocked", "timeout", "too_large", "redirects",
// "scheme", "encoding", "http_4xx", "http_5xx", "http_other" (a 1xx or 3xx
// that was not followed), "network", "canceled", or "other". It returns ""
// for a nil error.
func Classify(err error) string {
	var se *StatusError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrBlocked):
		return "blocked"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrTooManyRedirects):
		return "redirects"
	case errors.Is(err, ErrScheme):
		return "scheme"
	case errors.Is(err, ErrEncoding):
		return "encoding"
	case errors.As(err, &se):
		switch {
		case se.Code >= 400 && se.Code < 500:
			return "http_4xx"
		case se.Code >= 500 && se.Code < 600:
			return "http_5xx"
		}
		return "http_other"
	case errors.Is(err, errNetwork):
		return "network"
	case errors.Is(err, errOther):
		return "other"
	case isNetError(err):
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "timeout"
		}
		return "network"
	}
	return "other"
}

// isNetError reports whether err comes from the network stack. It does not
// test for net.Error alone: *fs.PathError satisfies that interface too.
func isNetError(err error) bool {
	var (
		oe  *net.OpError
		de  *net.DNSError
		ue  *url.Error
		ate *net.AddrError
	)
	return errors.As(err, &oe) || errors.As(err, &de) || errors.As(err, &ue) || errors.As(err, &ate)
}

// formatSize writes a byte count the way limits are configured.
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
