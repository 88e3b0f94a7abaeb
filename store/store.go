package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// schemaVersion is written into new stores and checked on open.
const schemaVersion = "2"

var (
	bucketMeta        = []byte("meta")
	bucketSources     = []byte("sources")
	bucketItems       = []byte("items")
	bucketItemTime    = []byte("item_time")
	bucketSourceItems = []byte("source_items")
	bucketItemSeen    = []byte("item_seen")
	bucketSourceURLs  = []byte("source_urls")
	bucketTombstones  = []byte("tombstones")
	bucketURLs        = []byte("urls")
	bucketStories     = []byte("stories")
	bucketTopics      = []byte("topics")
	bucketTopicMeta   = []byte("topic_meta")
	bucketSourceMeta  = []byte("source_meta")
	bucketNear        = []byte("near")
	bucketNearSig     = []byte("near_sig")

	allBuckets = [][]byte{bucketMeta, bucketSources, bucketItems, bucketItemTime,
		bucketSourceItems, bucketItemSeen, bucketSourceURLs, bucketTombstones, bucketURLs, bucketStories, bucketTopics, bucketTopicMeta,
		bucketSourceMeta, bucketNear, bucketNearSig}

	keySchema = []byte("schema")
)

var (
	// ErrLocked is returned by Open when another process holds the file.
	ErrLocked = errors.New("store is in use by another feedloom process")
	// ErrForeign is returned by Open when the file is not a feedloom store
	// or is corrupt.
	ErrForeign = errors.New("not a feedloom store")
	// ErrSchema is returned by Open when the file was written by a
	// feedloom whose store layout this one does not read.
	ErrSchema = errors.New("store written by an incompatible feedloom version")
)

// Options tune Open. The zero value is usable.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file. Zero means one second.
	LockTimeout time.Duration
}

// Store is an open feedloom store.
type Store struct {
	db   *bolt.DB
	path string

	// versions caches topic versions: the publisher asks on every
	// request, and a read transaction per request cost more than the
	// rest of serving a cached feed. Versions only grow, so the cache
	// keeps the largest value seen (commits may report out of order).
	vmu      sync.Mutex
	versions map[string]uint64
}

// Open opens or creates the store at path.
func Open(path string, o Options) (*Store, error) {
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
		return nil, fmt.Errorf("store: %s: %w (empty file)", path, ErrForeign)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("store: %s: %w (lock not released after %s)", path, ErrLocked, o.LockTimeout)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrChecksum):
		return nil, fmt.Errorf("store: %s: %w: %v", path, ErrForeign, err)
	case err != nil:
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// init creates the buckets of a new store and checks the schema of an
// existing one.
func (s *Store) init() error {
	check := func(tx *bolt.Tx) (fresh bool, err error) {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return false, fmt.Errorf("store: %s: %w (it has no feedloom schema)", s.path, ErrForeign)
			}
			return true, nil
		}
		if v := string(meta.Get(keySchema)); v != schemaVersion {
			return false, fmt.Errorf("store: %s: %w (schema %q, this feedloom reads %q): move the file aside and poll again", s.path, ErrSchema, v, schemaVersion)
		}
		return false, nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		fresh, err := check(tx)
		if err != nil {
			return err
		}
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("store: create bucket %s: %w", b, err)
			}
		}
		if fresh {
			return tx.Bucket(bucketMeta).Put(keySchema, []byte(schemaVersion))
		}
		return nil
	})
}

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Update runs fn in one write transaction: everything it writes is
// committed together when it returns nil, and nothing is when it returns an
// error or panics.
func (s *Store) Update(ctx context.Context, fn func(w *Writer) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var w *Writer
	err := s.db.Update(func(tx *bolt.Tx) error {
		w = &Writer{tx: tx, ctx: ctx}
		return fn(w)
	})
	if err == nil && len(w.bumped) > 0 {
		s.vmu.Lock()
		for t, v := range w.bumped {
			s.noteVersion(t, v)
		}
		s.vmu.Unlock()
	}
	return err
}

// noteVersion records that topic t has version v (or a later one); s.vmu
// must be held.
func (s *Store) noteVersion(t string, v uint64) {
	if s.versions == nil {
		s.versions = make(map[string]uint64)
	}
	if v > s.versions[t] {
		s.versions[t] = v
	}
}

func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// timeKey makes a fixed-width, sortable key of t followed by id.
func timeKey(t time.Time, id string) []byte {
	k := make([]byte, 8+len(id))
	ns := t.UnixNano()
	if ns < 0 {
		ns = 0
	}
	binary.BigEndian.PutUint64(k, uint64(ns))
	copy(k[8:], id)
	return k
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("store: decode %q: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: encode %s: %w", key, err)
	}
	return b.Put(key, data)
}
