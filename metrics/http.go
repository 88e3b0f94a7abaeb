package metrics

import (
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Instrument wraps h, the server's whole handler, to count every request
// by route and status code and time it.
//
// The route is the pattern of the innermost http.ServeMux that matched the
// request ("GET /topics/{file}"): a ServeMux records it in the
// Request.Pattern of the very request it was given, so it is there for
// Instrument to read once h returns, however many muxes h nests. A path
// no pattern matched is counted as "unmatched", so a crawler trying a
// million paths adds one series, not a million.
func (m *Metrics) Instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		code := sw.code
		if code == 0 {
			code = http.StatusOK // nothing written: net/http sends 200
		}
		m.CountRequest(route, code, time.Since(start))
	})
}

// CountRequest counts one request answered outside Instrument's handler
// (the fasthttp engine's feed fast path) under route, as Instrument
// counts those it sees: route is the ServeMux pattern that would have
// matched, d how long the answer took.
func (m *Metrics) CountRequest(route string, code int, d time.Duration) {
	s := m.routes.get(routeCode{route, code}, m)
	s.requests.Inc()
	s.latency.Observe(d.Seconds())
}

type routeCode struct {
	route string
	code  int
}

type routeSeries struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// routeCache maps a route and status to its two series, so that a
// request costs a map read instead of hashing its label values (and
// formatting the code) in the vectors. The map is replaced, never changed:
// readers take no lock. There are few keys (routes × codes seen).
type routeCache struct {
	m  atomic.Pointer[map[routeCode]routeSeries]
	mu sync.Mutex // serializes additions
}

func (c *routeCache) get(k routeCode, m *Metrics) routeSeries {
	if p := c.m.Load(); p != nil {
		if s, ok := (*p)[k]; ok {
			return s
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[routeCode]routeSeries{}
	if p := c.m.Load(); p != nil {
		if s, ok := (*p)[k]; ok {
			return s
		}
		maps.Copy(next, *p)
	}
	s := routeSeries{m.requests.WithLabelValues(k.route, strconv.Itoa(k.code)), m.latency.WithLabelValues(k.route)}
	next[k] = s
	c.m.Store(&next)
	return s
}

// statusWriter remembers the status code a handler sent.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code // 1xx are informational; the final status follows
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through, so that a wrapped handler can still stream.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if w.code == 0 {
			w.code = http.StatusOK
		}
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
