package store_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
	bolt "go.etcd.io/bbolt"
)

func putMeta(tb testing.TB, s *store.Store, source, name string, value []byte) {
	tb.Helper()
	err := s.Update(context.Background(), func(w *store.Writer) error {
		return w.PutSourceMeta(source, name, value)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func getMeta(tb testing.TB, s *store.Store, source, name string) []byte {
	tb.Helper()
	v, err := s.SourceMeta(context.Background(), source, name)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

type metaPut struct {
	source, name string
	value        []byte
}

func TestSourceMeta(t *testing.T) {
	const (
		defa = "https://www.defapress.ir/en/rss"
		tass = "https://tass.com/rss/v2.xml"
	)
	tests := map[string]struct {
		puts         []metaPut
		source, name string
		want         []byte
	}{
		"absent": {
			source: defa, name: "boilerplate", want: nil,
		},
		"stored": {
			puts:   []metaPut{{defa, "boilerplate", []byte(`{"items":5}`)}},
			source: defa, name: "boilerplate", want: []byte(`{"items":5}`),
		},
		"replaced": {
			puts:   []metaPut{{defa, "identity", []byte("guid")}, {defa, "identity", []byte("url")}},
			source: defa, name: "identity", want: []byte("url"),
		},
		"empty value deletes": {
			puts:   []metaPut{{defa, "identity", []byte("guid")}, {defa, "identity", nil}},
			source: defa, name: "identity", want: nil,
		},
		"other name": {
			puts:   []metaPut{{defa, "identity", []byte("guid")}},
			source: defa, name: "boilerplate", want: nil,
		},
		"other source": {
			puts:   []metaPut{{tass, "identity", []byte("guid")}},
			source: defa, name: "identity", want: nil,
		},
		"source is a prefix of another": {
			puts:   []metaPut{{defa + "2", "identity", []byte("guid")}},
			source: defa, name: "identity", want: nil,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := storetest.Open(t)
			for _, p := range tt.puts {
				putMeta(t, s, p.source, p.name, p.value)
			}
			if got := getMeta(t, s, tt.source, tt.name); !bytes.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("Store.SourceMeta = %q, want %q", got, tt.want)
			}
			err := s.Update(context.Background(), func(w *store.Writer) error {
				got, err := w.SourceMeta(tt.source, tt.name)
				if err != nil {
					return err
				}
				if !bytes.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
					t.Errorf("Writer.SourceMeta = %q, want %q", got, tt.want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSourceMetaCopies: the caller may change the slice it put and the one
// it got; neither reaches the store, and what was read stays valid after
// the transaction.
func TestSourceMetaCopies(t *testing.T) {
	s := storetest.Open(t)
	v := []byte("boilerplate model")
	putMeta(t, s, "https://a.example/rss", "boilerplate", v)
	v[0] = 'X'
	var inTx []byte
	err := s.Update(context.Background(), func(w *store.Writer) error {
		var err error
		inTx, err = w.SourceMeta("https://a.example/rss", "boilerplate")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	putMeta(t, s, "https://a.example/rss", "boilerplate", []byte("something else entirely"))
	if string(inTx) != "boilerplate model" {
		t.Errorf("value read in an earlier transaction = %q, want %q", inTx, "boilerplate model")
	}
}

// TestSourceMetaRollback: a failed Update stores nothing.
func TestSourceMetaRollback(t *testing.T) {
	s := storetest.Open(t)
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(w *store.Writer) error {
		if err := w.PutSourceMeta("https://a.example/rss", "identity", []byte("url")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want %v", err, boom)
	}
	if got := getMeta(t, s, "https://a.example/rss", "identity"); got != nil {
		t.Errorf("after rollback SourceMeta = %q, want nil", got)
	}
}

func TestSourceMetaErrors(t *testing.T) {
	tests := map[string]struct {
		source, name string
		value        []byte
		want         error
	}{
		"empty source":      {"", "identity", []byte("x"), store.ErrMetaKey},
		"empty name":        {"https://a.example/rss", "", []byte("x"), store.ErrMetaKey},
		"NUL in source":     {"https://a.example/\x00rss", "identity", []byte("x"), store.ErrMetaKey},
		"NUL in name":       {"https://a.example/rss", "a\x00b", []byte("x"), store.ErrMetaKey},
		"value over 1 MiB":  {"https://a.example/rss", "boilerplate", bytes.Repeat([]byte("x"), 1<<20+1), store.ErrMetaTooLarge},
		"value of 1 MiB ok": {"https://a.example/rss", "boilerplate", bytes.Repeat([]byte("x"), 1<<20), nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := storetest.Open(t)
			err := s.Update(context.Background(), func(w *store.Writer) error {
				return w.PutSourceMeta(tt.source, tt.name, tt.value)
			})
			if !errors.Is(err, tt.want) {
				t.Errorf("PutSourceMeta = %v, want %v", err, tt.want)
			}
			if tt.want == store.ErrMetaKey {
				if _, err := s.SourceMeta(context.Background(), tt.source, tt.name); !errors.Is(err, store.ErrMetaKey) {
					t.Errorf("SourceMeta = %v, want %v", err, store.ErrMetaKey)
				}
			}
		})
	}
}

func TestSourceMetaCancelled(t *testing.T) {
	s := storetest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.SourceMeta(ctx, "https://a.example/rss", "identity"); !errors.Is(err, context.Canceled) {
		t.Errorf("SourceMeta on a cancelled context = %v, want %v", err, context.Canceled)
	}
}

// TestSourceMetaOlderStore: a store written before the source_meta bucket
// existed gets it when opened, without a schema change.
func TestSourceMetaOlderStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedloom.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("source_meta")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	putMeta(t, s, "https://a.example/rss", "identity", []byte("guid"))
	if got := getMeta(t, s, "https://a.example/rss", "identity"); string(got) != "guid" {
		t.Errorf("SourceMeta = %q, want %q", got, "guid")
	}
	if err := s.Check(context.Background()); err != nil {
		t.Error(err)
	}
}
