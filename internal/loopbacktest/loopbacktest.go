// Package loopbacktest starts test HTTP servers on loopback that count
// the connections they accept, so a test can assert that a refused fetch
// never reached the server (0 accepted), not just that it failed.
package loopbacktest

import (
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// Listener counts the connections it accepts.
type Listener struct {
	net.Listener
	accepts atomic.Int64
}

// Accept accepts and counts a connection.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepts.Add(1)
	}
	return c, err
}

// Accepts is how many connections were accepted so far.
func (l *Listener) Accepts() int64 { return l.accepts.Load() }

// Server starts h on 127.0.0.1 behind a counting Listener; it is closed
// when the test ends.
func Server(t testing.TB, h http.Handler) (*httptest.Server, *Listener) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	l := &Listener{Listener: srv.Listener}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, l
}

// ServerOn is Server on addr ("127.0.0.2:0": another loopback address,
// which a guard allowing only 127.0.0.1 refuses).
func ServerOn(t testing.TB, addr string, h http.Handler) (*httptest.Server, *Listener) {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = &Listener{Listener: l}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, srv.Listener.(*Listener)
}

// GzipZeros streams n bytes of zeros, gzip-compressed, to w without
// holding them in memory (a gzip bomb: 1 GiB is about 1 MB on the wire);
// it stops when the client stops reading.
func GzipZeros(w io.Writer, n int64) {
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	chunk := make([]byte, 64<<10)
	for ; n > 0; n -= int64(len(chunk)) {
		if _, err := zw.Write(chunk[:min(n, int64(len(chunk)))]); err != nil {
			return
		}
	}
	zw.Close()
}
