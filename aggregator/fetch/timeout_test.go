package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/aggregator/fetch"
)

// Handlers that stall. Each signals on reached once the client has got as
// far as it will, then holds until the client hangs up.
var stalls = map[string]func(reached chan<- struct{}) http.HandlerFunc{
	"headers never come": func(reached chan<- struct{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			reached <- struct{}{}
			<-r.Context().Done()
		}
	},
	"body stalls": func(reached chan<- struct{}) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<rss version="2.0"><channel>`)
			w.(http.Flusher).Flush()
			reached <- struct{}{}
			<-r.Context().Done()
		}
	},
	"body drips": func(reached chan<- struct{}) http.HandlerFunc {
		// One byte every 10ms never trips a per-read idle timeout; only the
		// deadline on the whole fetch stops it. The ticker paces the server,
		// it does not synchronize the test.
		return func(w http.ResponseWriter, r *http.Request) {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			signaled := false
			for {
				select {
				case <-r.Context().Done():
					return
				case <-tick.C:
				}
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				if !signaled {
					reached <- struct{}{}
					signaled = true
				}
			}
		}
	},
}

func TestFetchTimesOut(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for name, stall := range stalls {
		t.Run(name, func(t *testing.T) {
			reached := make(chan struct{}, 1)
			srv, _ := newServer(t, "127.0.0.1:0", stall(reached))
			c := newClient(t, fetch.Options{Timeout: timeout, Allow: allowLoopback}, nil)

			start := time.Now()
			res, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL})
			elapsed := time.Since(start)

			if !errors.Is(err, fetch.ErrTimeout) || res != nil {
				t.Fatalf("Fetch = %+v, %v; want nil, ErrTimeout", res, err)
			}
			if want := "fetch: timed out after 300ms"; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			if got := fetch.Classify(err); got != "timeout" {
				t.Errorf("Classify = %q, want timeout", got)
			}
			select {
			case <-reached:
			default:
				t.Error("the server never got as far as the stall; the timeout came from somewhere else")
			}
			if elapsed < timeout || elapsed > timeout+5*time.Second {
				t.Errorf("Fetch took %v, want about %v", elapsed, timeout)
			}
		})
	}
}

// Cancelling the caller's context ends a fetch at once, at any stage, and
// is reported as context.Canceled, not as a timeout: the poller treats a
// shutdown differently from a slow feed.
func TestFetchCanceled(t *testing.T) {
	for name, stall := range stalls {
		t.Run(name, func(t *testing.T) {
			reached := make(chan struct{}, 1)
			srv, _ := newServer(t, "127.0.0.1:0", stall(reached))
			c := newClient(t, fetch.Options{Timeout: time.Minute, Allow: allowLoopback}, nil)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				<-reached
				cancel()
			}()
			start := time.Now()
			res, err := c.Fetch(ctx, fetch.Request{URL: srv.URL})
			if !errors.Is(err, context.Canceled) || res != nil {
				t.Fatalf("Fetch = %+v, %v; want nil, context.Canceled", res, err)
			}
			if errors.Is(err, fetch.ErrTimeout) {
				t.Errorf("a cancellation reported as a timeout: %v", err)
			}
			if got := fetch.Classify(err); got != "canceled" {
				t.Errorf("Classify = %q, want canceled", got)
			}
			if !strings.HasPrefix(err.Error(), "fetch: ") {
				t.Errorf("error %q lacks the fetch: prefix", err)
			}
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("Fetch returned %v after the start; cancellation is not prompt", elapsed)
			}
		})
	}
}

func TestFetchAlreadyCanceledNeverConnects(t *testing.T) {
	srv, ln := newServer(t, "127.0.0.1:0", feedHandler(tinyFeed))
	c := newClient(t, fetch.Options{Allow: allowLoopback}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Fetch(ctx, fetch.Request{URL: srv.URL})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch error = %v, want context.Canceled", err)
	}
	if n := ln.Accepts(); n != 0 {
		t.Errorf("server accepted %d connections, want 0", n)
	}
}

// A deadline of the caller's that is shorter than Timeout is the caller's
// deadline, not our timeout: the message must not claim "after 1m0s".
func TestFetchCallerDeadline(t *testing.T) {
	reached := make(chan struct{}, 1)
	srv, _ := newServer(t, "127.0.0.1:0", stalls["headers never come"](reached))
	c := newClient(t, fetch.Options{Timeout: time.Minute, Allow: allowLoopback}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Fetch(ctx, fetch.Request{URL: srv.URL})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, fetch.ErrTimeout) {
		t.Fatalf("Fetch error = %v, want context.DeadlineExceeded and not ErrTimeout", err)
	}
	if want := "fetch: context deadline exceeded"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if got := fetch.Classify(err); got != "timeout" {
		t.Errorf("Classify = %q, want timeout", got)
	}
}

// After every kind of outcome, and CloseIdleConnections, no client
// connection goroutine is left: each path closed its response body, so
// each connection went back to the pool or was torn down. The servers are
// still running and Timeout is long, so neither the servers nor the
// deadline can be what closes the connections.
func TestFetchLeavesNoConnections(t *testing.T) {
	reached := make(chan struct{}, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", feedHandler(tinyFeed))
	mux.HandleFunc("/304", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) })
	mux.HandleFunc("/429", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, strings.Repeat("slow down ", 10000)) // a body we do not read
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, strings.Repeat("x", 100<<10)) })
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		gzipZeros(w, 64<<20)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/stall", stalls["body stalls"](reached))
	srv, _ := newServer(t, "127.0.0.1:0", mux)
	c := newClient(t, fetch.Options{Timeout: time.Minute, MaxBody: 64 << 10, Allow: allowLoopback}, nil)

	tests := []struct {
		path      string
		wantClass string
	}{
		{"/ok", ""},
		{"/304", ""},
		{"/429", "http_4xx"},
		{"/big", "too_large"},
		{"/bomb", "too_large"},
		{"/redirect", ""},
		{"/stall", "canceled"},
		{"/ok", ""},
	}
	for _, tt := range tests {
		// Only the stall gets a context that ends: cancelling the others
		// would close their connections and hide a leak.
		ctx := context.Background()
		if tt.path == "/stall" {
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			go func() {
				<-reached
				cancel()
			}()
		}
		_, err := c.Fetch(ctx, fetch.Request{URL: srv.URL + tt.path, ETag: `"e"`})
		if got := fetch.Classify(err); got != tt.wantClass {
			t.Errorf("%s: error %v (class %q), want class %q", tt.path, err, got, tt.wantClass)
		}
	}
	c.CloseIdleConnections()
	if leaked := waitNoPersistConns(5 * time.Second); leaked != "" {
		t.Errorf("client connections still open after CloseIdleConnections:\n%s", leaked)
	}
}
