package fetch_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/internal/loopbacktest"
)

func TestFetchSendsHeaders(t *testing.T) {
	tests := map[string]struct {
		userAgent string
		want      string
	}{
		"configured user agent": {"feedloom-test/1.0 (+ops@example.org)", "feedloom-test/1.0 (+ops@example.org)"},
		"default user agent":    {"", fetch.DefaultUserAgent},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := make(chan http.Header, 1)
			srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- r.Header.Clone()
				fmt.Fprint(w, tinyFeed)
			}))
			c := newClient(t, fetch.Options{UserAgent: tt.userAgent, Allow: allowLoopback}, nil)
			if _, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL}); err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			h := <-got
			want := map[string]string{
				"User-Agent":      tt.want,
				"Accept":          "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
				"Accept-Encoding": "gzip, deflate",
			}
			for k, v := range want {
				if h.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v)
				}
			}
			for _, k := range []string{"If-None-Match", "If-Modified-Since", "Cookie"} {
				if v, ok := h[k]; ok {
					t.Errorf("%s sent without a reason: %q", k, v)
				}
			}
		})
	}
}

func TestFetchConditionalGET(t *testing.T) {
	const etag = `"v42"`
	const lastMod = "Mon, 02 Jan 2006 15:04:05 GMT"
	tests := map[string]struct {
		req          fetch.Request
		wantNotMod   bool
		wantIfNone   string
		wantIfModSin string
	}{
		"etag matches":          {fetch.Request{ETag: etag}, true, etag, ""},
		"last-modified matches": {fetch.Request{LastModified: lastMod}, true, "", lastMod},
		"both sent":             {fetch.Request{ETag: etag, LastModified: lastMod}, true, etag, lastMod},
		"stale etag":            {fetch.Request{ETag: `"v41"`}, false, `"v41"`, ""},
		"no validators":         {fetch.Request{}, false, "", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			type seen struct{ ifNone, ifMod string }
			got := make(chan seen, 1)
			srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got <- seen{r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")}
				w.Header().Set("ETag", etag)
				w.Header().Set("Last-Modified", lastMod)
				if r.Header.Get("If-None-Match") == etag || r.Header.Get("If-Modified-Since") == lastMod {
					w.WriteHeader(http.StatusNotModified)
					return
				}
				fmt.Fprint(w, tinyFeed)
			}))
			c := newClient(t, fetch.Options{Allow: allowLoopback}, nil)
			req := tt.req
			req.URL = srv.URL
			res, err := c.Fetch(context.Background(), req)
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			s := <-got
			if s.ifNone != tt.wantIfNone || s.ifMod != tt.wantIfModSin {
				t.Errorf("server saw If-None-Match %q, If-Modified-Since %q; want %q, %q", s.ifNone, s.ifMod, tt.wantIfNone, tt.wantIfModSin)
			}
			if res.NotModified != tt.wantNotMod {
				t.Errorf("NotModified = %v, want %v", res.NotModified, tt.wantNotMod)
			}
			wantStatus, wantBody := 200, tinyFeed
			if tt.wantNotMod {
				wantStatus, wantBody = 304, ""
			}
			if res.Status != wantStatus || string(res.Body) != wantBody {
				t.Errorf("Status %d, Body %q; want %d, %q", res.Status, res.Body, wantStatus, wantBody)
			}
			if res.ETag != etag || res.LastModified != lastMod {
				t.Errorf("validators ETag %q, Last-Modified %q; want %q, %q", res.ETag, res.LastModified, etag, lastMod)
			}
		})
	}
}

func TestFetchStatusError(t *testing.T) {
	tests := map[string]struct {
		code       int
		retryAfter string
		wantRetry  time.Duration
		wantClass  string
	}{
		"429 with seconds":      {429, "120", 2 * time.Minute, "http_4xx"},
		"503 with garbage":      {503, "soon", 0, "http_5xx"},
		"503 with huge seconds": {503, "999999999", 24 * time.Hour, "http_5xx"},
		"404":                   {404, "", 0, "http_4xx"},
		"410 gone":              {410, "", 0, "http_4xx"},
		"500":                   {500, "", 0, "http_5xx"},
		"300 without location":  {300, "", 0, "http_other"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.Header().Set("X-Trace", "abc")
				w.WriteHeader(tt.code)
				fmt.Fprint(w, "error page")
			}))
			c := newClient(t, fetch.Options{Allow: allowLoopback}, nil)
			res, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL})
			var se *fetch.StatusError
			if !errors.As(err, &se) {
				t.Fatalf("Fetch error = %v, want *StatusError", err)
			}
			if se.Code != tt.code || se.RetryAfter != tt.wantRetry {
				t.Errorf("StatusError{Code %d, RetryAfter %v}, want {%d, %v}", se.Code, se.RetryAfter, tt.code, tt.wantRetry)
			}
			if want := strconv.Itoa(tt.code) + " " + http.StatusText(tt.code); se.Status != want {
				t.Errorf("Status = %q, want %q", se.Status, want)
			}
			if got := fetch.Classify(err); got != tt.wantClass {
				t.Errorf("Classify = %q, want %q", got, tt.wantClass)
			}
			if res == nil {
				t.Fatal("Response is nil with a StatusError; want the headers")
			}
			if res.Status != tt.code || res.Header.Get("X-Trace") != "abc" || res.URL != srv.URL {
				t.Errorf("Response{Status %d, X-Trace %q, URL %q}, want {%d, abc, %s}", res.Status, res.Header.Get("X-Trace"), res.URL, tt.code, srv.URL)
			}
			if res.Body != nil {
				t.Errorf("Body = %q, want none for an error status", res.Body)
			}
		})
	}
}

// encodings maps a Content-Encoding to a function that encodes b with it.
var encodings = map[string]func(b []byte) []byte{
	"identity": func(b []byte) []byte { return b },
	"gzip": func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	},
	"deflate": func(b []byte) []byte { // zlib-wrapped, as RFC 9110 says
		var buf bytes.Buffer
		zw := zlib.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	},
	"raw deflate": func(b []byte) []byte { // what many servers send as deflate
		var buf bytes.Buffer
		zw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	},
}

func TestFetchDecodesContentEncoding(t *testing.T) {
	feed := []byte(strings.Repeat(tinyFeed, 50))
	tests := map[string]struct {
		header    string
		body      []byte
		wantBody  []byte
		wantClass string
	}{
		"identity":           {"", feed, feed, ""},
		"explicit identity":  {"identity", feed, feed, ""},
		"gzip":               {"gzip", encodings["gzip"](feed), feed, ""},
		"x-gzip":             {"x-gzip", encodings["gzip"](feed), feed, ""},
		"gzip in caps":       {"GZIP", encodings["gzip"](feed), feed, ""},
		"deflate zlib":       {"deflate", encodings["deflate"](feed), feed, ""},
		"deflate raw":        {"deflate", encodings["raw deflate"](feed), feed, ""},
		"empty gzip body":    {"gzip", nil, []byte{}, ""},
		"brotli":             {"br", []byte("whatever"), nil, "encoding"},
		"stacked encodings":  {"gzip, deflate", encodings["gzip"](feed), nil, "encoding"},
		"corrupt gzip":       {"gzip", []byte("this is not gzip at all"), nil, "encoding"},
		"gzip bad checksum":  {"gzip", corruptTrailer(encodings["gzip"](feed)), nil, "encoding"},
		"truncated gzip":     {"gzip", encodings["gzip"](feed)[:40], nil, "network"},
		"gzip labelled none": {"", encodings["gzip"](feed), encodings["gzip"](feed), ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Content-Encoding", tt.header)
				}
				w.Write(tt.body)
			}))
			c := newClient(t, fetch.Options{Allow: allowLoopback}, nil)
			res, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL})
			if got := fetch.Classify(err); got != tt.wantClass {
				t.Fatalf("Fetch error = %v (class %q), want class %q", err, got, tt.wantClass)
			}
			if err != nil {
				if res != nil {
					t.Errorf("Response %+v returned with error", res)
				}
				return
			}
			if !bytes.Equal(res.Body, tt.wantBody) {
				t.Errorf("Body = %.60q (%d bytes), want %.60q (%d bytes)", res.Body, len(res.Body), tt.wantBody, len(tt.wantBody))
			}
		})
	}
}

func corruptTrailer(b []byte) []byte {
	b = bytes.Clone(b)
	b[len(b)-8] ^= 0xff // CRC-32
	return b
}

// The limit counts decoded bytes: exactly MaxBody succeeds and one byte
// more fails, whatever the encoding and whether or not the length is
// announced.
func TestFetchBodyLimitIsExact(t *testing.T) {
	const maxBody = 4096
	type variant struct {
		encoding string
		chunked  bool // no Content-Length
	}
	variants := map[string]variant{
		"identity with length": {"identity", false},
		"identity chunked":     {"identity", true},
		"gzip":                 {"gzip", false},
		"gzip chunked":         {"gzip", true},
		"deflate":              {"deflate", true},
	}
	sizes := map[string]struct {
		n       int
		wantErr bool
	}{
		"exactly MaxBody": {maxBody, false},
		"MaxBody+1":       {maxBody + 1, true},
		"empty":           {0, false},
	}
	for vname, v := range variants {
		for sname, s := range sizes {
			t.Run(vname+"/"+sname, func(t *testing.T) {
				plain := bytes.Repeat([]byte("x"), s.n)
				wire := encodings[v.encoding](plain)
				srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if v.encoding != "identity" {
						w.Header().Set("Content-Encoding", v.encoding)
					}
					if v.chunked {
						w.(http.Flusher).Flush()
					} else {
						w.Header().Set("Content-Length", strconv.Itoa(len(wire)))
					}
					w.Write(wire)
				}))
				c := newClient(t, fetch.Options{MaxBody: maxBody, Allow: allowLoopback}, nil)
				res, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL})
				if s.wantErr {
					if !errors.Is(err, fetch.ErrTooLarge) {
						t.Fatalf("Fetch error = %v, want ErrTooLarge", err)
					}
					if want := "fetch: response body larger than 4 KiB"; err.Error() != want {
						t.Errorf("error %q, want %q", err, want)
					}
					return
				}
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if len(res.Body) != s.n {
					t.Errorf("len(Body) = %d, want %d", len(res.Body), s.n)
				}
			})
		}
	}
}

// A Content-Length over the limit fails before the body is read: the
// server announces 10 GB and then sends nothing, so a client that waited
// for the body would time out instead.
func TestFetchRejectsAnnouncedLengthEarly(t *testing.T) {
	tests := map[string]struct {
		encoding string
		length   int64
	}{
		"identity 10 GB":     {"", 10 << 30},
		"identity MaxBody+1": {"", 10<<20 + 1},
		"gzip 10 GB":         {"gzip", 10 << 30},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.encoding != "" {
					w.Header().Set("Content-Encoding", tt.encoding)
				}
				w.Header().Set("Content-Length", strconv.FormatInt(tt.length, 10))
				w.WriteHeader(200)
				w.(http.Flusher).Flush()
				<-r.Context().Done() // never send the body; released when the client hangs up
			}))
			c := newClient(t, fetch.Options{Timeout: 5 * time.Second, Allow: allowLoopback}, nil)
			_, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL})
			if !errors.Is(err, fetch.ErrTooLarge) {
				t.Fatalf("Fetch error = %v, want ErrTooLarge", err)
			}
		})
	}
}

var gzipZeros = loopbacktest.GzipZeros

// A gzip bomb: 1 GiB of zeros, about 1 MB on the wire. It must stop at the
// default 10 MiB after decompression, without using memory in proportion
// to what the server would send.
func TestFetchStopsGzipBomb(t *testing.T) {
	srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/rss+xml")
		gzipZeros(w, 1<<30)
	}))
	c := newClient(t, fetch.Options{Allow: allowLoopback}, nil)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL})
	runtime.ReadMemStats(&after)

	if !errors.Is(err, fetch.ErrTooLarge) || res != nil {
		t.Fatalf("Fetch = %v, %v; want nil, ErrTooLarge", res, err)
	}
	if want := "fetch: response body larger than 10 MiB"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if got := fetch.Classify(err); got != "too_large" {
		t.Errorf("Classify = %q, want too_large", got)
	}
	// Reading 10 MiB into a growing buffer allocates about 2x that; the
	// server's gzip writer a little more. 1 GiB would be far beyond.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 96<<20 {
		t.Errorf("allocated %d MiB during the fetch, want under 96 MiB", alloc>>20)
	}
}

// A compressed body that decodes to nothing (empty gzip members, one after
// another) would never reach MaxBody; the cap on compressed bytes stops it
// long before the timeout.
func TestFetchStopsEndlessEmptyGzipMembers(t *testing.T) {
	var member bytes.Buffer
	zw := gzip.NewWriter(&member)
	zw.Close()
	srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		for {
			if _, err := w.Write(member.Bytes()); err != nil {
				return
			}
		}
	}))
	c := newClient(t, fetch.Options{MaxBody: 64 << 10, Timeout: time.Minute, Allow: allowLoopback}, nil)
	_, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL})
	if !errors.Is(err, fetch.ErrTooLarge) {
		t.Fatalf("Fetch error = %v, want ErrTooLarge", err)
	}
	if !strings.Contains(err.Error(), "compressed response body larger than") {
		t.Errorf("error %q does not say the compressed body was too large", err)
	}
}
