package publisher

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/feedloom/feedloom/store/storetest"
)

// BenchmarkServe measures the hot path of a feed request against a real
// store: a version read and cached bytes. "baseline" serves the same bytes
// with http.ServeContent and nothing else, to compare against.
func BenchmarkServe(b *testing.B) {
	st := storetest.Open(b)
	for i := range 50 {
		save(b, st, storeItem("https://a.example", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Minute), "world"))
	}
	srv := New(st, Options{BaseURL: testBase, Topics: httpTopics})
	h := srv.Handler()
	rd, err := srv.Render(b.Context(), "world", Atom)
	if err != nil {
		b.Fatal(err)
	}
	cases := map[string][]string{
		"200":      nil,
		"200 gzip": {"Accept-Encoding", "gzip"},
		"304":      {"If-None-Match", rd.ETag},
	}
	for name, hdr := range cases {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/topics/world.atom", nil)
			if hdr != nil {
				req.Header.Set(hdr[0], hdr[1])
			}
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 200 && w.Code != 304 {
					b.Fatal(w.Code)
				}
			}
		})
	}
	b.Run("baseline", func(b *testing.B) {
		req := httptest.NewRequest("GET", "/topics/world.atom", nil)
		for b.Loop() {
			w := httptest.NewRecorder()
			w.Header().Set("ETag", rd.ETag)
			http.ServeContent(w, req, "", rd.Modified, bytes.NewReader(rd.Body))
		}
	})
}
