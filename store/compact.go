package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// compactTxSize bounds one write transaction of Compact's copy.
const compactTxSize = 64 << 20

// Sizes are a file's size before and after Compact.
type Sizes struct{ Before, After int64 }

// Compact rewrites the store at path with only its live data: bbolt never
// gives the space of deleted items back to the file system. It holds the
// store's lock throughout, so nothing else uses the store meanwhile. The
// copy goes to a temporary file next to path, which is synced, checked and
// renamed over path, and then the directory is synced. Killed at any
// moment, it leaves path as it was or fully compacted, never in between;
// a temporary file left by a killed run is removed by the next one.
func Compact(ctx context.Context, path string, o Options) (Sizes, error) {
	o.VerifyPages = true
	src, err := Open(path, o)
	if err != nil {
		return Sizes{}, err
	}
	defer src.Close()
	var sz Sizes
	fi, err := os.Stat(path)
	if err != nil {
		return sz, err
	}
	sz.Before = fi.Size()
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	stale, _ := filepath.Glob(filepath.Join(dir, base+".compact-*"))
	for _, f := range stale {
		os.Remove(f)
	}
	tmp, err := os.CreateTemp(dir, base+".compact-*")
	if err != nil {
		return sz, fmt.Errorf("store: compact: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpPath)
		}
	}()
	if err := src.copyTo(ctx, tmpPath, o); err != nil {
		return sz, fmt.Errorf("store: compact %s: %w", path, err)
	}
	if err := syncFile(tmpPath); err != nil {
		return sz, fmt.Errorf("store: compact: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return sz, err
	}
	if err := os.Rename(tmpPath, path); err != nil {
		return sz, fmt.Errorf("store: compact: %w", err)
	}
	done = true
	if err := syncFile(dir); err != nil {
		return sz, fmt.Errorf("store: compact: the new file is in place, but syncing %s failed: %w", dir, err)
	}
	if fi, err := os.Stat(path); err == nil {
		sz.After = fi.Size()
	}
	return sz, nil
}

// copyTo copies every bucket and key of s into a new bbolt file at dst and
// checks the copy's pages.
func (s *Store) copyTo(ctx context.Context, dst string, o Options) (err error) {
	db, err := bolt.Open(dst, 0o600, &bolt.Options{Timeout: o.LockTimeout})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	defer func() {
		if p := recover(); p != nil { // a damaged page met while copying
			err = fmt.Errorf("%w (reading it failed: %v)", ErrCorrupt, p)
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := bolt.Compact(db, s.db, compactTxSize); err != nil {
		return err
	}
	return db.View(func(tx *bolt.Tx) error {
		if errs := pageErrors(tx); len(errs) > 0 {
			return fmt.Errorf("the copy fails its page check: %w", errors.Join(errs...))
		}
		return nil
	})
}

// syncFile flushes the file or directory at path to stable storage.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
