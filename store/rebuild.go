package store

import (
	"context"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/feedloom/feedloom"
)

// rebuildBatch is how many items one write transaction of RebuildTopics
// re-files: short transactions, so polls are not held up for long.
const rebuildBatch = 256

// RebuildTopics re-files every stored item under the topics classify
// names for it: an item whose topics change is saved with them, its story
// is refiled (entering and leaving topic indexes) and the topics it
// enters or leaves get a new version. Items are taken in batches, each in
// its own short write transaction, so polls go on meanwhile; an item
// stored after the rebuild started was classified when it was stored.
// progress, when not nil, is called after each batch with the items done
// and the total. RebuildTopics stops with ctx's error when ctx is done,
// leaving the batches done so far in place.
func (s *Store) RebuildTopics(ctx context.Context, classify func(*feedloom.Item) []string, progress func(done, total int)) error {
	var ids []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketItems).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	if err != nil {
		return err
	}
	if progress != nil {
		progress(0, len(ids))
	}
	for start := 0; start < len(ids); start += rebuildBatch {
		batch := ids[start:min(start+rebuildBatch, len(ids))]
		err := s.Update(ctx, func(w *Writer) error {
			refile := map[string]bool{}
			var stories []string
			for _, id := range batch {
				it, err := w.Item(id)
				if err != nil {
					return err
				}
				if it == nil { // removed since
					continue
				}
				topics := slices.Clone(classify(it))
				slices.Sort(topics)
				topics = slices.Compact(topics)
				old := slices.Clone(it.Topics)
				slices.Sort(old)
				if slices.Equal(old, topics) {
					continue
				}
				it.Topics = topics
				if err := putJSON(w.tx.Bucket(bucketItems), []byte(it.ID), it); err != nil {
					return err
				}
				if !refile[it.Story] {
					refile[it.Story] = true
					stories = append(stories, it.Story)
				}
			}
			for _, st := range stories {
				if err := w.refile(st, ""); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if progress != nil {
			progress(start+len(batch), len(ids))
		}
	}
	return nil
}
