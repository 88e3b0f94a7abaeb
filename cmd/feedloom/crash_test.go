package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/store"
)

// asCommand, set to 1 in a child's environment, makes the test binary run
// as the feedloom command (TestMain): the tests below kill and restart
// real feedloom processes without building a second binary.
const asCommand = "FEEDLOOM_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// command returns a feedloom process running args.
func command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), asCommand+"=1")
	return cmd
}

// crashOrigin serves feed i of the current round at /feed/i: a window of
// the source's items that moves forward three items a round, with the ETag
// "s<i>-r<round>".
type crashOrigin struct {
	round atomic.Int64
	srv   *httptest.Server
}

const crashWindow = 15 // items in one feed document

// crashItems is the range [lo, hi) of item numbers in a feed of round r.
func crashItems(r int) (lo, hi int) {
	hi = 3 * (r + 1)
	return max(0, hi-crashWindow), hi
}

func newCrashOrigin(t *testing.T) *crashOrigin {
	o := &crashOrigin{}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		round := int(o.round.Load())
		etag := fmt.Sprintf(`"s%d-r%d"`, i, round)
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		lo, hi := crashItems(round)
		var items []string
		for j := hi - 1; j >= lo; j-- {
			date := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(j) * time.Hour).Format(time.RFC1123Z)
			items = append(items, rssItem(fmt.Sprintf("s%d-%d", i, j), fmt.Sprintf("Source %d reports event %d", i, j),
				fmt.Sprintf("https://news%d.example.org/%d", i, j), date, fmt.Sprintf("Report %d from desk %d: %x.", j, i, sha256.Sum256([]byte{byte(i), byte(j)}))))
		}
		fmt.Fprint(w, rss(fmt.Sprintf("Desk %d", i), items...))
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// crashConfig writes a config polling n feeds of o.
func crashConfig(t *testing.T, dir string, o *crashOrigin, n int) *config.Config {
	var b strings.Builder
	b.WriteString("listen: 127.0.0.1:0\nfetch:\n  allow_private_networks: true\npoll:\n  workers: 8\n  per_host: 8\nsources:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - url: %s/feed/%d\n", o.srv.URL, i)
	}
	cfg, err := config.Load(writeConfig(t, dir, b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// storedRound is the round whose ETag the source's state holds, or -1.
func storedRound(etag string) int {
	_, r, ok := strings.Cut(strings.Trim(etag, `"`), "-r")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(r)
	if err != nil {
		return -2
	}
	return n
}

// checkCrashStore opens the store after a round and checks it: bbolt's
// page check and feedloom's invariants; every acknowledged source stores
// this round's validators and every item of the feed they came with; and
// for every source, items and validators go together: the items of the
// feed its ETag names are all there, and none newer.
func checkCrashStore(t *testing.T, cfg *config.Config, round int, acked map[string]bool) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(cfg.Store, store.Options{VerifyPages: true})
	if err != nil {
		t.Fatalf("round %d: reopen: %v", round, err)
	}
	defer st.Close()
	if err := st.Check(ctx); err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	all, err := st.Items(ctx, store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	bySource := make(map[string][]feedloom.Item)
	for _, it := range all {
		bySource[it.Source] = append(bySource[it.Source], it)
	}
	for i, src := range cfg.Sources {
		state, err := st.SourceState(ctx, src.URL)
		if err != nil {
			t.Fatal(err)
		}
		items := bySource[src.URL]
		have := make(map[string]bool)
		for _, it := range items {
			have[strings.TrimPrefix(it.Key, "guid:")] = true
		}
		r := storedRound(state.ETag)
		if acked[src.URL] && r != round {
			t.Errorf("round %d: %s was acknowledged but its stored ETag is %q", round, src.URL, state.ETag)
		}
		newest := 0
		if r >= 0 {
			lo, hi := crashItems(r)
			newest = hi
			for j := lo; j < hi; j++ {
				if !have[fmt.Sprintf("s%d-%d", i, j)] {
					t.Errorf("round %d: %s stores ETag %q but not item %d of that feed", round, src.URL, state.ETag, j)
				}
			}
		}
		for _, it := range items {
			var j int
			if _, err := fmt.Sscanf(it.Key, fmt.Sprintf("guid:s%d-%%d", i), &j); err != nil || j >= newest {
				t.Errorf("round %d: %s stores item %s without the validators of its feed (ETag %q)", round, src.URL, it.Key, state.ETag)
			}
		}
	}
}

// Case 30: SIGKILL of a real `feedloom poll` at random moments. Whatever
// it acknowledged is stored, the file checks clean, and a source's items
// and its ETag are always stored together.
func TestPollKilledKeepsAcknowledged(t *testing.T) {
	o := newCrashOrigin(t)
	dir := t.TempDir()
	cfg := crashConfig(t, dir, o, 60)
	rng := rand.New(rand.NewPCG(30, 30))
	var killed, midway, acks int
	const rounds = 20
	for round := range rounds {
		o.round.Store(int64(round))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := command(ctx, "poll", "-ack", "-config", cfg.File)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := make(map[string]bool)
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Even rounds kill at 5–500 ms after the start. On a loaded
		// machine that may fall before the first commit, so odd rounds
		// kill 0–20 ms after the first acknowledgement: some rounds are
		// always cut between two commits.
		var deadline <-chan time.Time
		afterFirst := round%2 == 1
		if !afterFirst {
			deadline = time.After(time.Duration(5+rng.IntN(496)) * time.Millisecond)
		}
		wasKilled := false
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if u, ok := strings.CutPrefix(l, "ACK "); ok {
					acked[u] = true
					if afterFirst && len(acked) == 1 {
						deadline = time.After(time.Duration(rng.IntN(20)) * time.Millisecond)
					}
				}
			case <-deadline:
				cmd.Process.Signal(syscall.SIGKILL)
				wasKilled = true
				deadline = nil
			}
		}
		err = cmd.Wait()
		cancel()
		var ee *exec.ExitError
		switch {
		case wasKilled && errors.As(err, &ee) && !ee.Exited():
			killed++
			if len(acked) > 0 && len(acked) < len(cfg.Sources) {
				midway++
			}
		case err != nil:
			t.Fatalf("round %d: poll: %v", round, err)
		case len(acked) != len(cfg.Sources):
			t.Fatalf("round %d: poll finished with %d of %d sources acknowledged", round, len(acked), len(cfg.Sources))
		}
		acks += len(acked)
		checkCrashStore(t, cfg, round, acked)
	}
	t.Logf("%d rounds: %d killed, %d of them after some sources were acknowledged; %d acknowledgements checked", rounds, killed, midway, acks)
	if midway == 0 {
		t.Error("no poll was killed between acknowledgements: the test proved nothing")
	}
}

// Case 32: a second feedloom process on a store in use exits non-zero
// within about the lock timeout, saying why.
func TestSecondProcessExitsNonZero(t *testing.T) {
	o := newCrashOrigin(t)
	cfg := crashConfig(t, t.TempDir(), o, 1)
	st, err := store.Open(cfg.Store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, args := range [][]string{{"poll"}, {"serve"}, {"compact"}} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := command(ctx, append(args, "-config", cfg.File)...)
		out, err := cmd.CombinedOutput()
		cancel()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitError {
			t.Errorf("%s: %v, want exit status %d\n%s", args[0], err, exitError, out)
		}
		if !strings.Contains(string(out), "in use by another feedloom process") {
			t.Errorf("%s: output does not say the store is in use:\n%s", args[0], out)
		}
	}
}

// Case 34: serve and poll refuse a damaged store at start, naming the
// file and what to do, exit non-zero, and leave the file as it was.
func TestDamagedStoreRefusedAtStart(t *testing.T) {
	o := newCrashOrigin(t)
	dir := t.TempDir()
	cfg := crashConfig(t, dir, o, 30)
	if code, _, errOut := run(t, "poll", "-config", cfg.File); code != 0 {
		t.Fatalf("poll: %d\n%s", code, errOut)
	}
	good, err := os.ReadFile(cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	page := os.Getpagesize()
	if len(good) < 16*page {
		t.Fatalf("store of %d bytes: too small to damage pages 4-11", len(good))
	}
	junk := make([]byte, 8*page)
	for i := range junk {
		junk[i] = byte(i*7 + i/page)
	}
	damages := map[string]func([]byte) []byte{
		"truncated":   func(b []byte) []byte { return b[:4096] },
		"zeroed-meta": func(b []byte) []byte { clear(b[:2*page]); return b },
		"junk-pages":  func(b []byte) []byte { copy(b[4*page:], junk); return b },
		"zero-length": func([]byte) []byte { return nil },
		"sqlite":      func(b []byte) []byte { return append([]byte("SQLite format 3\x00"), b[16:]...) },
	}
	for name, damage := range damages {
		for _, command := range []string{"serve", "poll"} {
			t.Run(name+"/"+command, func(t *testing.T) {
				bad := damage(append([]byte(nil), good...))
				if err := os.WriteFile(cfg.Store, bad, 0o600); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				var stdout, stderr strings.Builder
				code := Main(ctx, []string{command, "-config", cfg.File}, &stdout, &stderr)
				if ctx.Err() != nil {
					t.Fatalf("%s ran on a damaged store until stopped", command)
				}
				if code != exitError {
					t.Errorf("exit %d, want %d", code, exitError)
				}
				for _, want := range []string{cfg.Store, "corrupt", "restore it from a backup"} {
					if !strings.Contains(stderr.String(), want) {
						t.Errorf("message does not contain %q:\n%s", want, stderr.String())
					}
				}
				if after, _ := os.ReadFile(cfg.Store); sha256.Sum256(after) != sha256.Sum256(bad) {
					t.Error("the store file was changed")
				}
			})
		}
	}
}
