package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/feedloom/feedloom/metrics"
)

// TestInstrumentCountsByRoute mounts muxes the way cmd does (operator
// routes beside a publisher that has its own mux) and checks that every
// request is counted under the pattern that served it, not its path.
func TestInstrumentCountsByRoute(t *testing.T) {
	pub := http.NewServeMux()
	pub.HandleFunc("GET /topics/{file}", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte("feed"))
	})
	pub.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {}) // writes nothing: 200
	outer := http.NewServeMux()
	outer.HandleFunc("GET /sources", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page")) })
	outer.Handle("/", pub)

	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := m.Instrument(outer)
	for _, req := range []struct{ method, path, inm string }{
		{"GET", "/topics/a.rss", ""},
		{"GET", "/topics/b.atom", ""},
		{"HEAD", "/topics/b.atom", ""},
		{"GET", "/topics/a.rss", `"x"`},
		{"GET", "/healthz", ""},
		{"GET", "/sources", ""},
		{"GET", "/no/such/path/1", ""},
		{"GET", "/no/such/path/2", ""},
	} {
		r := httptest.NewRequest(req.method, req.path, nil)
		if req.inm != "" {
			r.Header.Set("If-None-Match", req.inm)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	const want = `
# HELP feedloom_http_requests_total HTTP requests served, by route pattern (unmatched: none) and status code.
# TYPE feedloom_http_requests_total counter
feedloom_http_requests_total{code="200",route="GET /healthz"} 1
feedloom_http_requests_total{code="200",route="GET /sources"} 1
feedloom_http_requests_total{code="200",route="GET /topics/{file}"} 3
feedloom_http_requests_total{code="304",route="GET /topics/{file}"} 1
feedloom_http_requests_total{code="404",route="unmatched"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "feedloom_http_requests_total"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, "feedloom_http_request_duration_seconds"); err != nil || n != 4 {
		t.Errorf("feedloom_http_request_duration_seconds has %d series, want 4 (one a route); error %v", n, err)
	}
}
