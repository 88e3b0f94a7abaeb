package fetch_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/aggregator/fetch"
)

// rawServer accepts connections on 127.0.0.1 and hands each to serve on
// its own goroutine, for answers net/http would never write. At cleanup
// the listener and every connection are closed and the goroutines waited
// for.
func rawServer(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String() + "/"
}

// readRequest reads the request's head from c, so the answer comes after
// it as a server's would.
func readRequest(c net.Conn) (*http.Request, error) {
	return http.ReadRequest(bufio.NewReader(c))
}

// THREATS case 11: a transfer that breaks off is an error, never a
// shorter feed.
func TestFetchBrokenTransfers(t *testing.T) {
	half := `<rss version="2.0"><channel><title>t</title><item><title>half`
	tests := map[string]func(c net.Conn){
		"closed mid body": func(c net.Conn) {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", 2*len(half), half)
		},
		"reset mid body": func(c net.Conn) {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", 2*len(half), half)
			time.Sleep(50 * time.Millisecond) // let the bytes leave before the RST
			c.(*net.TCPConn).SetLinger(0)
		},
		"chunked without the last chunk": func(c net.Conn) {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", len(half), half)
		},
		"gzip cut short": func(c net.Conn) {
			z := encodings["gzip"]([]byte(strings.Repeat(tinyFeed, 100)))
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", len(z))
			c.Write(z[:len(z)/2])
		},
	}
	for name, answer := range tests {
		t.Run(name, func(t *testing.T) {
			u := rawServer(t, func(c net.Conn) {
				if _, err := readRequest(c); err == nil {
					answer(c)
				}
			})
			c := newClient(t, fetch.Options{Allow: allowLoopback}, nil)
			res, err := c.Fetch(context.Background(), fetch.Request{URL: u})
			if err == nil || res != nil {
				t.Fatalf("Fetch = %+v, %v; want an error and no response", res, err)
			}
			if got := fetch.Classify(err); got != "network" {
				t.Errorf("Classify(%v) = %q, want network", err, got)
			}
		})
	}
	// HTTP/1.0 without a length ends at close: HTTP cannot tell a cut, so
	// the bytes come back as they are and the XML parser refuses them (see
	// aggregator's TestBrokenFeedStoresNothing).
	u := rawServer(t, func(c net.Conn) {
		if _, err := readRequest(c); err == nil {
			fmt.Fprintf(c, "HTTP/1.0 200 OK\r\n\r\n%s", half)
		}
	})
	res, err := newClient(t, fetch.Options{Allow: allowLoopback}, nil).Fetch(context.Background(), fetch.Request{URL: u})
	if err != nil || string(res.Body) != half {
		t.Errorf("HTTP/1.0 until close: %v, %v; want the bytes sent", res, err)
	}
}

// THREATS case 10 (c): the status line and headers arrive one byte at a
// time. The fetch's deadline ends it as a timeout, and fetches of other
// feeds on the same Client go on meanwhile.
func TestFetchHeaderDrip(t *testing.T) {
	dripping := make(chan struct{})
	var once sync.Once
	u := rawServer(t, func(c net.Conn) {
		if _, err := readRequest(c); err != nil {
			return
		}
		once.Do(func() { close(dripping) })
		for _, b := range []byte("HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nX-Padding: " + strings.Repeat("p", 1000)) {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond) // paces the drip; 20 s for the whole head
		}
	})
	good, _ := newServer(t, "127.0.0.1:0", feedHandler(tinyFeed))
	c := newClient(t, fetch.Options{Timeout: 500 * time.Millisecond, Allow: allowLoopback}, nil)

	errc := make(chan error, 1)
	go func() {
		_, err := c.Fetch(context.Background(), fetch.Request{URL: u})
		errc <- err
	}()
	<-dripping
	for range 3 {
		if res, err := c.Fetch(context.Background(), fetch.Request{URL: good.URL}); err != nil || string(res.Body) != tinyFeed {
			t.Errorf("another feed during the drip: %v", err)
		}
	}
	select {
	case err := <-errc:
		if !errors.Is(err, fetch.ErrTimeout) {
			t.Errorf("dripped headers: error %v, want ErrTimeout", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the dripping fetch did not end")
	}
}

// THREATS case 13: hostile response headers.
func TestFetchHostileHeaders(t *testing.T) {
	t.Run("5 MB of headers", func(t *testing.T) {
		u := rawServer(t, func(c net.Conn) {
			if _, err := readRequest(c); err == nil {
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 5<<20))
			}
		})
		_, err := newClient(t, fetch.Options{Allow: allowLoopback}, nil).Fetch(context.Background(), fetch.Request{URL: u})
		if err == nil || !strings.Contains(err.Error(), "headers exceeded 65536 bytes") {
			t.Errorf("error %v, want one naming the 64 KiB header limit", err)
		}
	})
	t.Run("10,000 Set-Cookie", func(t *testing.T) {
		u := rawServer(t, func(c net.Conn) {
			if _, err := readRequest(c); err == nil {
				fmt.Fprint(c, "HTTP/1.1 200 OK\r\n"+strings.Repeat("Set-Cookie: session=abcdef; Path=/\r\n", 10000)+"Content-Length: 0\r\n\r\n")
			}
		})
		_, err := newClient(t, fetch.Options{Allow: allowLoopback}, nil).Fetch(context.Background(), fetch.Request{URL: u})
		if err == nil || !strings.Contains(err.Error(), "headers exceeded 65536 bytes") {
			t.Errorf("error %v, want one naming the 64 KiB header limit", err)
		}
	})
	t.Run("cookies are never sent back", func(t *testing.T) {
		cookies := make(chan []string, 2)
		srv, _ := newServer(t, "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cookies <- r.Header.Values("Cookie")
			for i := range 100 {
				http.SetCookie(w, &http.Cookie{Name: fmt.Sprintf("c%d", i), Value: "v", Path: "/"})
			}
			feedHandler(tinyFeed)(w, r)
		}))
		c := newClient(t, fetch.Options{Allow: allowLoopback}, nil)
		for range 2 {
			if _, err := c.Fetch(context.Background(), fetch.Request{URL: srv.URL}); err != nil {
				t.Fatal(err)
			}
			if got := <-cookies; len(got) != 0 {
				t.Errorf("request carried cookies %q", got)
			}
		}
	})
	t.Run("malformed Content-Type", func(t *testing.T) {
		u := rawServer(t, func(c net.Conn) {
			if _, err := readRequest(c); err == nil {
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=\"; ;;=\r\nContent-Length: %d\r\n\r\n%s", len(tinyFeed), tinyFeed)
			}
		})
		res, err := newClient(t, fetch.Options{Allow: allowLoopback}, nil).Fetch(context.Background(), fetch.Request{URL: u})
		if err != nil || string(res.Body) != tinyFeed {
			t.Errorf("Fetch = %v, %v; want the body (the type is the parser's to judge)", res, err)
		}
	})
	t.Run("control character in a header", func(t *testing.T) {
		u := rawServer(t, func(c net.Conn) {
			if _, err := readRequest(c); err == nil {
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/xml\x01\r\nContent-Length: %d\r\n\r\n%s", len(tinyFeed), tinyFeed)
			}
		})
		res, err := newClient(t, fetch.Options{Allow: allowLoopback}, nil).Fetch(context.Background(), fetch.Request{URL: u})
		if res != nil || !strings.Contains(fmt.Sprint(err), "malformed MIME header") || fetch.Classify(err) != "network" {
			t.Errorf("Fetch = %v, %v; want a network error naming the malformed header", res, err)
		}
	})
	t.Run("CRLF in Location", func(t *testing.T) {
		seen := make(chan *http.Request, 4)
		u := rawServer(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				r, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				seen <- r
				if r.URL.Path == "/" {
					fmt.Fprint(c, "HTTP/1.1 302 Found\r\nLocation: /next%0d%0aX-Injected:%20yes\r\nContent-Length: 0\r\n\r\n")
					continue
				}
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(tinyFeed), tinyFeed)
			}
		})
		res, err := newClient(t, fetch.Options{Allow: allowLoopback}, nil).Fetch(context.Background(), fetch.Request{URL: u})
		if err != nil || string(res.Body) != tinyFeed {
			t.Fatalf("Fetch = %v, %v", res, err)
		}
		<-seen
		next := <-seen
		if next.Header.Get("X-Injected") != "" || !strings.Contains(strings.ToUpper(next.RequestURI), "%0D%0A") {
			t.Errorf("redirected request: URI %q, X-Injected %q; want the CRLF kept escaped in the path", next.RequestURI, next.Header.Get("X-Injected"))
		}
	})
}
