package store

import (
	"bytes"
	"context"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Retention bounds what Prune keeps.
type Retention struct {
	Before       time.Time // items first seen before this are removed; zero keeps all
	MaxPerSource int       // a source keeps at most this many items, the most recently first seen; 0 keeps all
}

// pruneBatch bounds one write transaction of Prune, so serving and polling
// are not held up behind a long one.
const pruneBatch = 1000

// Prune removes the items that retention r does not keep, leaving
// tombstones, and returns how many it removed; with r.Before it also
// removes the cached articles last used before then (see Article). It works in
// batches of short transactions; what it removed stays removed if ctx
// ends midway.
// In a store at Options.MaxSize a batch may not fit (bbolt writes the
// changed pages anew before it frees the old ones): Prune then halves the
// batch, down to one item. A store full to its last page cannot remove
// even that; Prune then returns ErrFull, and Compact (which packs the live
// data into fewer pages) or a larger cap makes room.
func (s *Store) Prune(ctx context.Context, r Retention, now time.Time) (int, error) {
	removed, batch := 0, pruneBatch
	for {
		var ids []string
		err := s.view(ctx, func(tx *bolt.Tx) error {
			ids = doomed(tx, r, batch)
			return nil
		})
		if err != nil {
			return removed, err
		}
		if len(ids) == 0 {
			if !r.Before.IsZero() {
				_, err = s.pruneArticles(ctx, r.Before)
			}
			return removed, err
		}
		err = s.Update(ctx, func(w *Writer) error {
			for _, id := range ids {
				if err := w.DeleteItem(id, now); err != nil {
					return err
				}
			}
			return nil
		})
		if errors.Is(err, ErrFull) && batch > 1 {
			batch /= 2
			continue
		}
		if err != nil {
			return removed, err
		}
		removed += len(ids)
		batch = min(2*batch, pruneBatch)
	}
}

// doomed lists up to n items that retention r removes.
func doomed(tx *bolt.Tx, r Retention, n int) []string {
	var ids []string
	if !r.Before.IsZero() {
		c := tx.Bucket(bucketItemSeen).Cursor()
		limit := timeKey(r.Before, "")
		for k, v := c.First(); k != nil && bytes.Compare(k[:8], limit) < 0 && len(ids) < n; k, v = c.Next() {
			ids = append(ids, string(v))
		}
	}
	if r.MaxPerSource <= 0 || len(ids) >= n {
		return ids
	}
	items := tx.Bucket(bucketSourceItems)
	tx.Bucket(bucketSources).ForEach(func(src, _ []byte) error {
		prefix := append(append([]byte{}, src...), 0)
		excess := countPrefix(items, prefix) - r.MaxPerSource
		c := items.Cursor()
		for k, v := c.Seek(prefix); k != nil && excess > 0 && bytes.HasPrefix(k, prefix) && len(ids) < n; k, v = c.Next() {
			ids = append(ids, string(v))
			excess--
		}
		return nil
	})
	return ids
}
