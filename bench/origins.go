package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The origins run in a child process (this same binary, with originsEnv
// set), so the CPU, memory and garbage of serving feeds are not counted as
// feedloom's. The parent talks to it with one JSON line per message over
// the child's standard input and output; the child exits when its input
// closes.
const originsEnv = "FEEDLOOM_BENCH_ORIGINS"

// command is a message from the parent.
type command struct {
	Op       string  `json:"op"` // "change" or "stats"
	Fraction float64 `json:"fraction,omitempty"`
}

// originStats are the origins' counters since they started; MaxInFlight
// is the most requests one host served at once since the previous stats.
type originStats struct {
	Requests    int64   `json:"requests"`
	OK          int64   `json:"ok"`           // 200
	NotModified int64   `json:"not_modified"` // 304
	Other       int64   `json:"other"`
	Bytes       int64   `json:"bytes"` // body bytes sent
	Conns       int64   `json:"conns"` // TCP connections accepted
	MaxInFlight int64   `json:"max_in_flight_per_host"`
	MaxConns    int64   `json:"max_conns_per_host"` // open at once, since the previous stats
	CPU         float64 `json:"cpu_seconds"`
	Changed     int     `json:"changed,omitempty"`
	Error       string  `json:"error,omitempty"`
}

// hello is the child's first answer: the origin hosts, in order.
type hello struct {
	Hosts []string `json:"hosts"`
	Error string   `json:"error,omitempty"`
}

// origins serves every synthetic feed.
type origins struct {
	g       gen
	mu      sync.RWMutex
	version []int32
	etags   []string
	rng     *rand.Rand

	requests, ok, notModified, other, bytes, conns atomic.Int64
	inFlight, open                                 []atomic.Int64 // per host
	maxInFlight, maxOpen                           atomic.Int64
}

// serveOrigins is the child's main: it reads gen from in, listens, answers
// commands until in closes.
func serveOrigins(in io.Reader, out io.Writer) int {
	r := bufio.NewReader(in)
	enc := json.NewEncoder(out)
	line, err := r.ReadBytes('\n')
	var g gen
	if err == nil {
		err = json.Unmarshal(line, &g)
	}
	if err != nil {
		enc.Encode(hello{Error: "reading the feed description: " + err.Error()})
		return 1
	}
	o := &origins{
		g:        g,
		version:  make([]int32, g.Sources),
		etags:    make([]string, g.Sources),
		rng:      rand.New(rand.NewPCG(g.Seed, 77)),
		inFlight: make([]atomic.Int64, g.hosts()),
		open:     make([]atomic.Int64, g.hosts()),
	}
	o.computeETags(allFeeds(g.Sources))
	var lns []net.Listener
	var hosts []string
	for h := range g.hosts() {
		ip := hostIP(h)
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
		if err != nil {
			enc.Encode(hello{Error: fmt.Sprintf("listening on %s (host %d): %v", ip, h, err)})
			return 1
		}
		lns = append(lns, ln)
		hosts = append(hosts, ln.Addr().String())
	}
	for h, ln := range lns {
		srv := &http.Server{
			Handler:           o.handler(h),
			ReadHeaderTimeout: 10 * time.Second,
			ConnState: func(_ net.Conn, s http.ConnState) {
				switch s {
				case http.StateNew:
					o.conns.Add(1)
					raise(&o.maxOpen, o.open[h].Add(1))
				case http.StateClosed, http.StateHijacked:
					o.open[h].Add(-1)
				}
			},
		}
		go srv.Serve(ln)
	}
	enc.Encode(hello{Hosts: hosts})
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return 0 // the parent is gone or done
		}
		var c command
		if err := json.Unmarshal(line, &c); err != nil {
			enc.Encode(originStats{Error: err.Error()})
			continue
		}
		switch c.Op {
		case "change":
			n := o.change(c.Fraction)
			enc.Encode(originStats{Changed: n})
		case "stats":
			enc.Encode(o.stats())
		default:
			enc.Encode(originStats{Error: "unknown op " + strconv.Quote(c.Op)})
		}
	}
}

// hostIP is the loopback address of host h: 127.0.1.1 … 127.0.1.254,
// 127.0.2.1 …
func hostIP(h int) string {
	return fmt.Sprintf("127.%d.%d.%d", (h/254/254)%256, 1+(h/254)%254, 1+h%254)
}

func allFeeds(n int) []int {
	fs := make([]int, n)
	for i := range fs {
		fs[i] = i
	}
	return fs
}

// computeETags renders the feeds fs, on every core, to hash them.
func (o *origins) computeETags(fs []int) {
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range max(1, runtimeCPUs()) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(fs) {
					return
				}
				f := fs[i]
				o.mu.RLock()
				v := int(o.version[f])
				o.mu.RUnlock()
				e := o.g.etag(f, v)
				o.mu.Lock()
				o.etags[f] = e
				o.mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// change gives a fraction of the feeds, chosen at random, a new item.
func (o *origins) change(fraction float64) int {
	k := int(float64(o.g.Sources)*fraction + 0.5)
	fs := o.rng.Perm(o.g.Sources)[:k]
	o.mu.Lock()
	for _, f := range fs {
		o.version[f]++
	}
	o.mu.Unlock()
	o.computeETags(fs)
	return k
}

func (o *origins) stats() originStats {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return originStats{
		Requests:    o.requests.Load(),
		OK:          o.ok.Load(),
		NotModified: o.notModified.Load(),
		Other:       o.other.Load(),
		Bytes:       o.bytes.Load(),
		Conns:       o.conns.Load(),
		MaxInFlight: o.maxInFlight.Swap(0),
		MaxConns:    o.maxOpen.Swap(0),
		CPU:         tvSeconds(ru.Utime) + tvSeconds(ru.Stime),
	}
}

// handler serves host h's feeds at /{section}/feed-{k}.xml.
func (o *origins) handler(h int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.requests.Add(1)
		raise(&o.maxInFlight, o.inFlight[h].Add(1))
		defer o.inFlight[h].Add(-1)
		f, ok := o.feedOf(h, r.URL.Path)
		if !ok || r.Method != http.MethodGet {
			o.other.Add(1)
			http.NotFound(w, r)
			return
		}
		o.mu.RLock()
		v, etag := int(o.version[f]), o.etags[f]
		o.mu.RUnlock()
		w.Header().Set("ETag", etag)
		if matchETag(r.Header.Get("If-None-Match"), etag) {
			o.notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := o.g.body(f, v)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		o.ok.Add(1)
		o.bytes.Add(int64(len(body)))
	})
}

// raise sets m to n if n is larger.
func raise(m *atomic.Int64, n int64) {
	for old := m.Load(); n > old && !m.CompareAndSwap(old, n); old = m.Load() {
	}
}

// feedOf maps a path of host h to its feed index.
func (o *origins) feedOf(h int, path string) (int, bool) {
	_, name, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/feed-")
	if !ok {
		return 0, false
	}
	k, err := strconv.Atoi(strings.TrimSuffix(name, ".xml"))
	f := h*o.g.PerHost + k
	if err != nil || k < 0 || k >= o.g.PerHost || f >= o.g.Sources || path != feedPath(f, k) {
		return 0, false
	}
	return f, true
}

// feedPath is the path of feed f, the k-th of its host.
func feedPath(f, k int) string {
	return "/" + strings.ToLower(section(f)) + "/feed-" + strconv.Itoa(k) + ".xml"
}

// matchETag reports whether an If-None-Match header names etag.
func matchETag(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// originProc is the parent's handle on the child.
type originProc struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	hosts []string
}

// startOrigins starts the child and waits until it listens.
func startOrigins(ctx context.Context, g gen, stderr io.Writer) (*originProc, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), originsEnv+"=1")
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &originProc{cmd: cmd, in: in, out: bufio.NewReader(out)}
	var h hello
	if err := p.send(g, &h); err != nil {
		p.close()
		return nil, err
	}
	if h.Error != "" {
		p.close()
		return nil, errors.New("origins: " + h.Error)
	}
	p.hosts = h.Hosts
	return p, nil
}

func (p *originProc) send(msg, reply any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("origins: %w", err)
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("origins: no answer: %w", err)
	}
	return json.Unmarshal(line, reply)
}

func (p *originProc) do(c command) (originStats, error) {
	var s originStats
	if err := p.send(c, &s); err != nil {
		return s, err
	}
	if s.Error != "" {
		return s, errors.New("origins: " + s.Error)
	}
	return s, nil
}

// url is the address of feed f.
func (p *originProc) url(g gen, f int) string {
	return "http://" + p.hosts[f/g.PerHost] + feedPath(f, f%g.PerHost)
}

func (p *originProc) close() error {
	p.in.Close()
	return p.cmd.Wait()
}
