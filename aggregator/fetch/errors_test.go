package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/feedloom/feedloom/aggregator/fetch"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := map[string]struct {
		value string
		want  time.Duration
	}{
		"absent":                {"", 0},
		"seconds":               {"120", 2 * time.Minute},
		"zero":                  {"0", 0},
		"padded":                {" 30 ", 30 * time.Second},
		"exactly the clamp":     {"86400", 24 * time.Hour},
		"over the clamp":        {"999999999", 24 * time.Hour},
		"overflowing int64":     {"99999999999999999999999", 24 * time.Hour},
		"negative":              {"-5", 0},
		"fraction":              {"1.5", 0},
		"garbage":               {"soon", 0},
		"http-date ahead":       {date(90 * time.Second), 90 * time.Second},
		"http-date in the past": {date(-time.Hour), 0},
		"http-date far ahead":   {date(30 * 24 * time.Hour), 24 * time.Hour},
		"rfc 850 date":          {now.Add(time.Hour).Format(time.RFC850), time.Hour},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := fetch.ParseRetryAfter(tt.value, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}

func TestStatusErrorMessage(t *testing.T) {
	tests := map[string]struct {
		err  *fetch.StatusError
		want string
	}{
		"plain":       {&fetch.StatusError{Code: 404, Status: "404 Not Found"}, "fetch: unexpected status 404 Not Found"},
		"retry after": {&fetch.StatusError{Code: 429, Status: "429 Too Many Requests", RetryAfter: 2 * time.Minute}, "fetch: unexpected status 429 Too Many Requests (retry after 2m0s)"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := map[string]struct {
		err  error
		want string
	}{
		"nil":               {nil, ""},
		"blocked":           {fmt.Errorf("poll: %w", fetch.ErrBlocked), "blocked"},
		"timeout":           {fetch.ErrTimeout, "timeout"},
		"deadline":          {context.DeadlineExceeded, "timeout"},
		"net timeout":       {&net.OpError{Op: "read", Err: timeoutErr{}}, "timeout"},
		"too large":         {fetch.ErrTooLarge, "too_large"},
		"redirects":         {fetch.ErrTooManyRedirects, "redirects"},
		"scheme":            {fetch.ErrScheme, "scheme"},
		"encoding":          {fetch.ErrEncoding, "encoding"},
		"4xx":               {&fetch.StatusError{Code: 410}, "http_4xx"},
		"5xx":               {fmt.Errorf("x: %w", &fetch.StatusError{Code: 503}), "http_5xx"},
		"3xx":               {&fetch.StatusError{Code: 300}, "http_other"},
		"canceled":          {fmt.Errorf("x: %w", context.Canceled), "canceled"},
		"connection reset":  {&net.OpError{Op: "read", Err: errors.New("connection reset by peer")}, "network"},
		"dns":               {&net.DNSError{Err: "no such host", Name: "x.test", IsNotFound: true}, "network"},
		"url error":         {&url.Error{Op: "Get", URL: "http://x.test/", Err: io.ErrUnexpectedEOF}, "network"},
		"path error":        {&fs.PathError{Op: "open", Path: "/feed.xml", Err: fs.ErrNotExist}, "other"},
		"something unknown": {io.ErrShortWrite, "other"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := fetch.Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
