package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
	bucketArticles    = []byte("articles")

	allBuckets = [][]byte{bucketMeta, bucketSources, bucketItems, bucketItemTime,
		bucketSourceItems, bucketItemSeen, bucketSourceURLs, bucketTombstones, bucketURLs, bucketStories, bucketTopics, bucketTopicMeta,
		bucketSourceMeta, bucketNear, bucketNearSig, bucketArticles}

	keySchema = []byte("schema")
)

var (
	// ErrLocked is returned by Open when another process holds the file.
	ErrLocked = errors.New("store is in use by another feedloom process")
	// ErrForeign is returned by Open when the file cannot be read as a
	// feedloom store: not a bbolt file, another program's bbolt file, or
	// one whose header pages are damaged (the bytes do not tell those
	// apart). The file is left as it was.
	ErrForeign = errors.New("store is corrupt or not a feedloom store")
	// ErrCorrupt is returned by Open and Check when the file is a feedloom
	// store whose pages are damaged. The file is left as it was.
	ErrCorrupt = errors.New("store is corrupt")
	// ErrSchema is returned by Open when the file was written by a
	// feedloom whose store layout this one does not read.
	ErrSchema = errors.New("store written by an incompatible feedloom version")
	// ErrFull is returned by Update when committing would grow the file
	// past Options.MaxSize. Nothing of that transaction is stored; the
	// store stays readable and smaller transactions may still fit.
	ErrFull = errors.New("store is full")
)

// remedy is what the corrupt-file errors tell the operator to do.
const remedy = "restore it from a backup, or move it aside and poll again to start an empty store; the file was not changed"

// Options tune Open. The zero value is usable.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file. Zero means one second.
	LockTimeout time.Duration
	// MaxSize caps the file's size in bytes: a write that would grow it
	// further fails with ErrFull. Zero means no cap. A file already larger
	// opens and reads normally.
	MaxSize int64
	// VerifyPages has Open read every page of the file (bbolt's page
	// check) before anything writes to it, and fail with ErrCorrupt on
	// damage. It costs about half a second per GiB of cached file; without
	// it Open checks only the header pages, the freelist and the ends of
	// every bucket, in microseconds. Check does the full check.
	VerifyPages bool
}

// Store is an open feedloom store.
type Store struct {
	db      *bolt.DB
	path    string
	maxSize int64

	// versions caches topic versions: the publisher asks on every
	// request, and a read transaction per request cost more than the
	// rest of serving a cached feed. Versions only grow, so the cache
	// keeps the largest value seen (commits may report out of order).
	vmu      sync.Mutex
	versions map[string]uint64
}

// Open opens or creates the store at path. It never writes to a file it
// cannot read as a feedloom store: a damaged or foreign file gives
// ErrForeign or ErrCorrupt and stays byte for byte as it was. Open checks
// the header pages (bbolt does, with their checksums), the freelist, and
// the first and last page of every bucket; Check reads every page.
func Open(path string, o Options) (*Store, error) {
	if o.LockTimeout <= 0 {
		o.LockTimeout = time.Second
	}
	// Compact renames a new file over path while it holds the lock; a
	// process that opened the old file and waited for its lock would then
	// hold a file no longer at path. Open again when that happened.
	for attempt := 0; ; attempt++ {
		s, replaced, err := open(path, o)
		if !replaced {
			return s, err
		}
		if attempt == 2 {
			return nil, fmt.Errorf("store: %s: replaced while opening three times in a row", path)
		}
	}
}

func open(path string, o Options) (_ *Store, replaced bool, _ error) {
	if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
		return nil, false, fmt.Errorf("store: %s: %w (an empty file): %s", path, ErrForeign, remedy)
	}
	db, file, err := boltOpen(path, o)
	var pe *fs.PathError
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, false, fmt.Errorf("store: %s: %w (lock not released after %s)", path, ErrLocked, o.LockTimeout)
	case errors.As(err, &pe):
		return nil, false, fmt.Errorf("store: open %s: %w", path, err)
	case err != nil: // bbolt's own checks: magic, version, checksums, size
		return nil, false, fmt.Errorf("store: %s: %w (%v): %s", path, ErrForeign, err, remedy)
	}
	if same, err := samePath(file, path); err != nil || !same {
		db.Close()
		if err != nil {
			return nil, false, fmt.Errorf("store: open %s: %w", path, err)
		}
		return nil, true, nil
	}
	s := &Store{db: db, path: path, maxSize: o.MaxSize}
	if err := s.init(o.VerifyPages); err != nil {
		db.Close()
		return nil, false, err
	}
	return s, false, nil
}

// boltOpen opens path with bbolt and returns the file it opened. bbolt
// panics on some damaged header pages (a junk freelist); that becomes an
// error like bbolt's own.
func boltOpen(path string, o Options) (db *bolt.DB, file *os.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			if file != nil {
				file.Close() // releases the lock bbolt took
			}
			db, file, err = nil, nil, fmt.Errorf("reading its header pages failed: %v", p)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout: o.LockTimeout,
		MaxSize: int(o.MaxSize),
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		},
	})
	return db, file, err
}

// samePath reports whether f is still the file at path.
func samePath(f *os.File, path string) (bool, error) {
	a, err := f.Stat()
	if err != nil {
		return false, err
	}
	b, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(a, b), nil
}

// init checks an existing store's schema and page structure (every page
// when pages is set), and creates the buckets of a new one. It writes only
// when a bucket is missing, so a store that fails its checks is never
// touched.
func (s *Store) init(pages bool) error {
	var fresh, missing bool
	err := s.readGuarded(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return fmt.Errorf("store: %s: %w (a bbolt file without feedloom's schema): %s", s.path, ErrForeign, remedy)
			}
			fresh = true
			return nil
		}
		if v := string(meta.Get(keySchema)); v != schemaVersion {
			return fmt.Errorf("store: %s: %w (schema %q, this feedloom reads %q): move the file aside and poll again", s.path, ErrSchema, v, schemaVersion)
		}
		for _, name := range allBuckets {
			b := tx.Bucket(name)
			if b == nil {
				missing = true
				continue
			}
			// The first and last leaf of every bucket and the branch
			// pages on the way: cheap, and junk there is caught now
			// rather than as a panic in the middle of serving.
			c := b.Cursor()
			c.First()
			c.Last()
		}
		if pages {
			if errs := pageErrors(tx); len(errs) > 0 {
				return fmt.Errorf("store: %s: %w (%w): %s", s.path, ErrCorrupt, errors.Join(errs...), remedy)
			}
		}
		return nil
	})
	if err != nil || !fresh && !missing {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
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

// readGuarded runs fn in a read transaction. bbolt reports damaged pages
// by panicking while it reads them; readGuarded turns such a panic into
// ErrCorrupt.
func (s *Store) readGuarded(fn func(tx *bolt.Tx) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: %s: %w (reading it failed: %v): %s", s.path, ErrCorrupt, p, remedy)
		}
	}()
	return s.db.View(fn)
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
	if errors.Is(err, bolterrors.ErrMaxSizeReached) {
		return fmt.Errorf("store: %s: %w (store.max_size %s): nothing of this write was stored; raise store.max_size, or shorten retention and run feedloom compact", s.path, ErrFull, FormatSize(s.maxSize))
	}
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

// FormatSize writes n bytes in the largest binary unit that divides it
// ("8 MiB", "1536 KiB", "100 B"), the way the config spells sizes.
func FormatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d B", n)
}
