package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// maxMetaBytes caps one source meta value. The values are small summaries
// (a boilerplate model, an identity mode); the cap keeps a bug in a caller
// from growing the file without bound.
const maxMetaBytes = 1 << 20

var (
	// ErrMetaKey is returned by PutSourceMeta and SourceMeta when the
	// source or the name is empty or holds a 0x00 byte, which would make
	// two keys collide.
	ErrMetaKey = errors.New("store: invalid source meta key")
	// ErrMetaTooLarge is returned by PutSourceMeta when the value is
	// larger than 1 MiB.
	ErrMetaTooLarge = errors.New("store: source meta value too large")
)

// SourceMeta returns a copy of the value stored under name for source, or
// nil when there is none. Other parts of feedloom keep per-source state
// here that is not part of polling: the learned boilerplate model
// ("boilerplate"), the identity mode ("identity").
func (w *Writer) SourceMeta(source, name string) ([]byte, error) {
	k, err := metaKey(source, name)
	if err != nil {
		return nil, err
	}
	return getMeta(w.tx, k), nil
}

// PutSourceMeta stores value under name for source, replacing any earlier
// value. An empty value deletes the entry. The value is copied.
func (w *Writer) PutSourceMeta(source, name string, value []byte) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	k, err := metaKey(source, name)
	if err != nil {
		return err
	}
	b := w.tx.Bucket(bucketSourceMeta)
	if len(value) == 0 {
		return b.Delete(k)
	}
	if len(value) > maxMetaBytes {
		return fmt.Errorf("%w: %s %q is %d bytes, the limit is %d", ErrMetaTooLarge, source, name, len(value), maxMetaBytes)
	}
	return b.Put(k, bytes.Clone(value))
}

// SourceMeta returns a copy of the value stored under name for source, or
// nil when there is none.
func (s *Store) SourceMeta(ctx context.Context, source, name string) ([]byte, error) {
	k, err := metaKey(source, name)
	if err != nil {
		return nil, err
	}
	var v []byte
	err = s.view(ctx, func(tx *bolt.Tx) error {
		v = getMeta(tx, k)
		return nil
	})
	return v, err
}

// metaKey is source + 0x00 + name.
func metaKey(source, name string) ([]byte, error) {
	if source == "" || name == "" || strings.IndexByte(source, 0) >= 0 || strings.IndexByte(name, 0) >= 0 {
		return nil, fmt.Errorf("%w: source %q, name %q", ErrMetaKey, source, name)
	}
	k := make([]byte, 0, len(source)+1+len(name))
	k = append(k, source...)
	k = append(k, 0)
	return append(k, name...), nil
}

// getMeta copies the value out of bbolt's memory, which is valid only
// inside the transaction.
func getMeta(tx *bolt.Tx, k []byte) []byte {
	v := tx.Bucket(bucketSourceMeta).Get(k)
	if v == nil {
		return nil
	}
	return bytes.Clone(v)
}
