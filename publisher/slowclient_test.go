package publisher

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// Case 33: a client that reads a large topic feed one byte a second does
// not hold up ingestion. Rendered feeds are bytes copied out of the store's
// read transactions (the store hands out decoded values only, and the
// cache keeps rendered bytes), so while the handler sits blocked in Write,
// commits that grow the file (and make bbolt remap it, which waits for
// every open read transaction) all finish; then the server's WriteTimeout
// cuts the slow client off.
func TestSlowClientDoesNotHoldIngestion(t *testing.T) {
	st := storetest.Open(t)
	body := "<p>" + strings.Repeat("A long report, paragraph after paragraph. ", 1200) + "</p>" // ~50 KB
	var items []feedloom.Item
	for i := range 200 {
		it := storeItem("https://big.example", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Minute), "world")
		it.Content = body
		items = append(items, it)
	}
	save(t, st, items...)
	srv := New(st, Options{BaseURL: testBase, Topics: []feedloom.Topic{{Name: "world", Title: "World", Limit: 1000}}})
	full, err := srv.Render(context.Background(), "world", RSS)
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Body) < 8<<20 {
		t.Fatalf("the feed is %d bytes; it must outgrow the socket buffers", len(full.Body))
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{}) // the slow client's connection was closed by the server
	var conns atomic.Int32
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      20 * time.Second, // room for the commits on a loaded machine
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
			if s == http.StateClosed {
				close(closed)
			}
		},
	}
	go hs.Serve(ln)
	defer hs.Close()

	// A raw client with a small receive buffer, so the server's writes
	// block soon.
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /topics/world.rss HTTP/1.1\r\nHost: %s\r\n\r\n", ln.Addr())
	one := make([]byte, 1)
	if _, err := io.ReadFull(conn, one); err != nil { // the answer has started
		t.Fatal(err)
	}
	read := 1
	stopReading := make(chan struct{})
	readerDone := make(chan struct{})
	go func() { // one byte a second while ingestion runs
		defer close(readerDone)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stopReading:
				return
			case <-tick.C:
				if _, err := io.ReadFull(conn, one); err != nil {
					return
				}
				read++
			}
		}
	}()

	// Ingestion: commits of 4 MB until the file outgrows four times the
	// next power of two above its size: bbolt's memory map (whose sizes
	// double up to 1 GiB; the file grows in steps of its own) cannot hold
	// that without a remap.
	fi, err := os.Stat(st.Path())
	if err != nil {
		t.Fatal(err)
	}
	mapped := int64(32 << 10)
	for mapped < fi.Size() {
		mapped *= 2
	}
	mapped *= 4
	chunk := strings.Repeat("x", 4<<20)
	commits := 0
	for size := fi.Size(); size <= mapped; commits++ {
		if commits == 64 {
			t.Fatalf("the file is %d bytes after 64 commits, still within %d", size, mapped)
		}
		it := storeItem("https://ingest.example", fmt.Sprint("n", commits), t0.Add(time.Duration(commits)*time.Second), "other")
		it.Content = chunk
		save(t, st, it)
		select {
		case <-closed:
			t.Fatalf("commit %d waited until the slow client was cut off", commits+1)
		default:
		}
		if fi, err := os.Stat(st.Path()); err == nil {
			size = fi.Size()
		}
	}
	t.Logf("%d commits took the file from %d to past %d bytes while the client was connected", commits, fi.Size(), mapped)
	close(stopReading)
	<-readerDone
	if read >= len(full.Body) {
		t.Fatalf("the client read the whole feed (%d bytes) before the commits ended: nothing was tested", read)
	}

	// Then WriteTimeout cuts the client off before it has the feed.
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow client was not cut off")
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	rest, err := io.Copy(io.Discard, conn)
	if total := int64(read) + rest; total >= int64(len(full.Body)) {
		t.Errorf("the client got %d bytes, the whole feed: not cut off (%v)", total, err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want the slow client's only", n)
	}
	if got, err := st.Items(context.Background(), store.ItemQuery{Source: "https://ingest.example"}); err != nil || len(got) != commits {
		t.Errorf("%d ingested items, %v; want %d", len(got), err, commits)
	}
}
