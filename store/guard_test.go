package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// fill saves n items of about size bytes each into s, in batches, and
// returns their IDs.
func fill(tb testing.TB, s *store.Store, n, size int, from time.Time) []string {
	tb.Helper()
	body := strings.Repeat("x", size)
	var ids []string
	for b := 0; b < n; b += 100 {
		var batch []feedloom.Item
		for i := b; i < min(n, b+100); i++ {
			it := item(fmt.Sprintf("http://s%d/feed", i%7), fmt.Sprintf("guid:%d", i), fmt.Sprintf("http://s%d/%d", i%7, i),
				from.Add(time.Duration(i)*time.Minute), "news")
			it.FirstSeen = it.Published
			it.Content = body
			batch = append(batch, it)
			ids = append(ids, it.ID)
		}
		save(tb, s, batch...)
	}
	return ids
}

func hashFile(tb testing.TB, path string) [32]byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return sha256.Sum256(b)
}

// goodStore writes a closed store of a few hundred items at path.
func goodStore(tb testing.TB, path string) {
	tb.Helper()
	s, err := store.Open(path, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	fill(tb, s, 400, 300, t0)
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
}

// Case 34: a damaged or foreign file is refused at open with a message
// naming it and what to do, and is left byte for byte as it was.
func TestDamagedFilesRefusedAndUntouched(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	goodStore(t, good)
	page := int64(os.Getpagesize())
	orig, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(orig)) < 16*page {
		t.Fatalf("the good store has %d bytes; the junk case needs more than 16 pages", len(orig))
	}
	junk := make([]byte, 8*page)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	cases := map[string]func([]byte) []byte{
		"truncated":   func(b []byte) []byte { return b[:4096] },
		"zeroed-meta": func(b []byte) []byte { clear(b[:2*page]); return b },
		"junk-pages":  func(b []byte) []byte { copy(b[4*page:], junk); return b },
		"zero-length": func([]byte) []byte { return nil },
		"sqlite":      func(b []byte) []byte { return append([]byte("SQLite format 3\x00"), b[16:]...) },
		"text":        func([]byte) []byte { return []byte(strings.Repeat("not a database\n", 1000)) },
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".db")
			if err := os.WriteFile(path, damage(append([]byte(nil), orig...)), 0o600); err != nil {
				t.Fatal(err)
			}
			before := hashFile(t, path)
			// The quick open may or may not meet the damage; a verified
			// open must, and neither changes a byte.
			if s, err := store.Open(path, store.Options{}); err == nil {
				if err := s.Check(context.Background()); !errors.Is(err, store.ErrCorrupt) {
					t.Errorf("quick open succeeded and Check = %v, want ErrCorrupt", err)
				}
				s.Close()
			} else if !errors.Is(err, store.ErrForeign) && !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("quick open error = %v, want ErrForeign or ErrCorrupt", err)
			}
			_, err := store.Open(path, store.Options{VerifyPages: true})
			if !errors.Is(err, store.ErrForeign) && !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("verified open error = %v, want ErrForeign or ErrCorrupt", err)
			}
			for _, want := range []string{path, "corrupt", "restore it from a backup"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q does not contain %q", err, want)
				}
			}
			if hashFile(t, path) != before {
				t.Error("the file was changed")
			}
		})
	}
}

// A good store opens verified, and Check finds nothing.
func TestVerifiedOpenOfAGoodStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedloom.db")
	goodStore(t, path)
	before := hashFile(t, path)
	s, err := store.Open(path, store.Options{VerifyPages: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Error(err)
	}
	s.Close()
	if hashFile(t, path) != before {
		t.Error("opening a good store wrote to it")
	}
}

// Case 31: a panic after items were saved rolls back the whole
// transaction, like an error does (TestRollbackOnError).
func TestRollbackOnPanic(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not come through Update")
			}
		}()
		s.Update(ctx, func(w *store.Writer) error {
			it := item("http://a/feed", "guid:1", "http://a/1", t0, "news")
			it.Story = it.ID
			if err := w.SaveItem(&it); err != nil {
				return err
			}
			panic("between the items and the validators")
		})
	}()
	items, _ := s.Items(ctx, store.ItemQuery{})
	if len(items) != 0 {
		t.Errorf("%d items stored by a transaction that panicked", len(items))
	}
	save(t, s, item("http://a/feed", "guid:2", "http://a/2", t0, "news")) // the store still writes
}

// Case 35: past MaxSize, a write fails with ErrFull and a message naming
// the setting; the store stays readable and checks clean, and retention
// can still free room.
func TestMaxSizeGivesErrFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedloom.db")
	const max = 8 << 20
	s, err := store.Open(path, store.Options{MaxSize: max})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	body := strings.Repeat("y", 64<<10)
	var stored int
	var full error
	for i := range 1000 {
		it := item("http://big/feed", fmt.Sprint("guid:", i), fmt.Sprint("http://big/", i), t0.Add(time.Duration(i)*time.Minute), "news")
		it.Story, it.Content = it.ID, body
		err := s.Update(ctx, func(w *store.Writer) error { return w.SaveItem(&it) })
		if err != nil {
			full = err
			break
		}
		stored++
	}
	if !errors.Is(full, store.ErrFull) {
		t.Fatalf("after %d items: error %v, want ErrFull", stored, full)
	}
	if !strings.Contains(full.Error(), "store is full (store.max_size 8 MiB)") {
		t.Errorf("message %q does not name the limit", full)
	}
	if fi, _ := os.Stat(path); fi.Size() > max {
		t.Errorf("file is %d bytes, over the %d cap", fi.Size(), max)
	}
	items, err := s.Items(ctx, store.ItemQuery{})
	if err != nil || len(items) != stored {
		t.Errorf("after ErrFull: %d items readable, %v; want the %d stored", len(items), err, stored)
	}
	if err := s.Check(ctx); err != nil {
		t.Error(err)
	}
	// Writes that fit in the file still succeed.
	if err := s.Update(ctx, func(w *store.Writer) error { return w.PutSourceMeta("http://big/feed", "note", []byte("ok")) }); err != nil {
		t.Errorf("a small write after ErrFull: %v", err)
	}
	// Retention can still make room: Prune falls back to smaller batches
	// when a batch does not fit. In a store full to its last page not even
	// one item can be removed; Compact then packs the live data into
	// fewer pages and Prune works. Either way new items fit again.
	r := store.Retention{Before: t0.Add(time.Duration(stored/2) * time.Minute)}
	n, err := s.Prune(ctx, r, t0.Add(1000*time.Hour))
	if errors.Is(err, store.ErrFull) {
		t.Logf("full to the last page after %d removed: compacting", n)
		s.Close()
		if _, err := store.Compact(ctx, path, store.Options{}); err != nil {
			t.Fatalf("compact of a full store: %v", err)
		}
		if s, err = store.Open(path, store.Options{MaxSize: max}); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var more int
		more, err = s.Prune(ctx, r, t0.Add(1000*time.Hour))
		n += more
	}
	if err != nil || n != stored/2 {
		t.Fatalf("prune of a full store: %d removed, %v; want %d", n, err, stored/2)
	}
	it := item("http://big/feed", "guid:after", "http://big/after", t0.Add(2000*time.Minute), "news")
	it.Story, it.Content = it.ID, body
	if err := s.Update(ctx, func(w *store.Writer) error { return w.SaveItem(&it) }); err != nil {
		t.Errorf("a new item after pruning: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Size() > max {
		t.Errorf("file is %d bytes after pruning, over the %d cap", fi.Size(), max)
	}
}

// Case 35: after most items are deleted the file keeps its size; Compact
// brings it down to about the live data and keeps every live item.
func TestCompactShrinksAndKeepsLiveItems(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedloom.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ids := fill(t, s, 2000, 4000, t0) // 8 MB of content
	cut := t0.Add(1900 * time.Minute)
	if _, err := s.Prune(ctx, store.Retention{Before: cut}, cut); err != nil {
		t.Fatal(err)
	}
	live, err := s.Items(ctx, store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if len(live) != 100 {
		t.Fatalf("%d live items after prune, want 100", len(live))
	}
	sz, err := store.Compact(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d items written, %d left: file %d bytes before compact, %d after", len(ids), len(live), sz.Before, sz.After)
	if sz.After*10 > sz.Before {
		t.Errorf("compact left %d of %d bytes; want under a tenth", sz.After, sz.Before)
	}
	if left, _ := filepath.Glob(path + ".compact-*"); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	s, err = store.Open(path, store.Options{VerifyPages: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after, err := s.Items(ctx, store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(live) {
		t.Fatalf("%d items after compact, want %d", len(after), len(live))
	}
	for i := range live {
		if after[i].ID != live[i].ID || after[i].Content != live[i].Content {
			t.Fatalf("item %d differs after compact", i)
		}
	}
	if err := s.Check(ctx); err != nil {
		t.Error(err)
	}
}

// Compact takes the store's lock: it fails while another holder has it.
func TestCompactNeedsTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedloom.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := store.Compact(context.Background(), path, store.Options{LockTimeout: 100 * time.Millisecond}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("compact of a store in use: %v, want ErrLocked", err)
	}
}

// compactChildEnv names the store TestCompactChild compacts.
const compactChildEnv = "FEEDLOOM_TEST_COMPACT"

// TestCompactChild is the child process of TestCompactKilled: it says
// START, compacts the store the parent names and exits. Run alone it does
// nothing.
func TestCompactChild(t *testing.T) {
	path := os.Getenv(compactChildEnv)
	if path == "" {
		return
	}
	fmt.Println("START")
	if _, err := store.Compact(context.Background(), path, store.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// startCompactChild starts a child compacting path and returns once it
// said START, with the channel its exit arrives on.
func startCompactChild(t *testing.T, path string) (*exec.Cmd, <-chan error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCompactChild$")
	cmd.Env = append(os.Environ(), compactChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, len("START\n"))
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "START\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	wait := make(chan error, 1)
	go func() { io.Copy(io.Discard, out); wait <- cmd.Wait() }()
	return cmd, wait
}

// Case 35: a compaction killed at a random moment leaves a store that
// opens, checks clean and holds every item, whether or not the rename
// happened; the next compaction removes the leftover temporary file.
func TestCompactKilled(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feedloom.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ids := fill(t, s, 1000, 2000, t0)
	s.Close()
	ctx := context.Background()
	// One whole compaction gives the span to kill in.
	start := time.Now()
	_, wait := startCompactChild(t, path)
	if err := <-wait; err != nil {
		t.Fatalf("compact child: %v", err)
	}
	span := time.Since(start)
	rng := rand.New(rand.NewPCG(7, 7))
	var killed, midway, finished int
	const rounds = 8
	for round := range rounds {
		cmd, wait := startCompactChild(t, path)
		select {
		case err := <-wait:
			if err != nil {
				t.Fatalf("round %d: compact child failed: %v", round, err)
			}
			finished++
		case <-time.After(time.Duration(rng.Int64N(int64(span)))):
			cmd.Process.Signal(syscall.SIGKILL)
			<-wait
			killed++
			if left, _ := filepath.Glob(path + ".compact-*"); len(left) > 0 {
				midway++ // killed while the copy was being written
			}
		}
		s, err := store.Open(path, store.Options{VerifyPages: true})
		if err != nil {
			t.Fatalf("round %d: after the kill: %v", round, err)
		}
		items, err := s.Items(ctx, store.ItemQuery{})
		if err == nil {
			err = s.Check(ctx)
		}
		s.Close()
		if err != nil || len(items) != len(ids) {
			t.Fatalf("round %d: %d items of %d, %v", round, len(items), len(ids), err)
		}
	}
	t.Logf("compaction takes %s; of %d, %d killed (%d with the copy half written), %d finished", span, rounds, killed, midway, finished)
	if midway == 0 {
		t.Error("no compaction was killed while copying: the test proved nothing")
	}
	if _, err := store.Compact(ctx, path, store.Options{}); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(path + ".compact-*"); len(left) > 0 {
		t.Errorf("temporary files left after a finished compaction: %v", left)
	}
}
