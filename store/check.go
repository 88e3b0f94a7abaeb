package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/feedloom/feedloom"
	bolt "go.etcd.io/bbolt"
)

// Check verifies the file's page structure and feedloom's own invariants:
// every topic index entry and URL index entry points at a stored story,
// every story member is a stored item, and every item's story exists.
// It reads every page of the file; what it finds is reported with
// ErrCorrupt.
func (s *Store) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.readGuarded(func(tx *bolt.Tx) error {
		errs := pageErrors(tx)
		stories := tx.Bucket(bucketStories)
		items := tx.Bucket(bucketItems)
		tx.Bucket(bucketTopics).ForEachBucket(func(name []byte) error {
			return tx.Bucket(bucketTopics).Bucket(name).ForEach(func(k, _ []byte) error {
				if len(k) < 8 || stories.Get(k[8:]) == nil {
					errs = append(errs, fmt.Errorf("topic %s: entry %x has no story", name, k))
				}
				return nil
			})
		})
		for _, b := range [][]byte{bucketItemTime, bucketItemSeen, bucketSourceItems, bucketSourceURLs} {
			tx.Bucket(b).ForEach(func(k, v []byte) error {
				if items.Get(v) == nil {
					errs = append(errs, fmt.Errorf("%s: entry %q points at missing item %s", b, k, v))
				}
				return nil
			})
		}
		// The near index: every entry's item exists in the same story,
		// and every band it lists has its key (and no key is left over).
		bandsListed := 0
		tx.Bucket(bucketNearSig).ForEach(func(k, v []byte) error {
			e, err := decodeNear(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("near_sig %s: %w", k, err))
				return nil
			}
			var it feedloom.Item
			if ok, err := getJSON(items, k, &it); err != nil || !ok {
				errs = append(errs, fmt.Errorf("near_sig %s: item missing", k))
			} else if it.Story != e.story {
				errs = append(errs, fmt.Errorf("near_sig %s: story %s, the item's is %s", k, e.story, it.Story))
			}
			for _, b := range e.bands {
				bandsListed++
				if tx.Bucket(bucketNear).Get(nearKey(e.published, b, string(k))) == nil {
					errs = append(errs, fmt.Errorf("near_sig %s: band %x has no key", k, b))
				}
			}
			return nil
		})
		if n := tx.Bucket(bucketNear).Stats().KeyN; n != bandsListed {
			errs = append(errs, fmt.Errorf("near: %d keys, %d bands listed", n, bandsListed))
		}
		tx.Bucket(bucketURLs).ForEach(func(k, v []byte) error {
			if stories.Get(v) == nil {
				errs = append(errs, fmt.Errorf("url %s: story %s missing", k, v))
			}
			return nil
		})
		stories.ForEach(func(k, _ []byte) error {
			var st feedloom.Story
			if _, err := getJSON(stories, k, &st); err != nil {
				errs = append(errs, err)
				return nil
			}
			for _, id := range st.Items {
				if items.Get([]byte(id)) == nil {
					errs = append(errs, fmt.Errorf("story %s: member %s missing", k, id))
				}
			}
			return nil
		})
		items.ForEach(func(k, _ []byte) error {
			var it feedloom.Item
			if _, err := getJSON(items, k, &it); err != nil {
				errs = append(errs, err)
			} else if stories.Get([]byte(it.Story)) == nil {
				errs = append(errs, fmt.Errorf("item %s: story %s missing", k, it.Story))
			}
			return nil
		})
		if len(errs) > 0 {
			return fmt.Errorf("store: check %s: %w: %w", s.path, ErrCorrupt, errors.Join(errs...))
		}
		return nil
	})
}

// pageErrors runs bbolt's page check: every page reachable once, none
// both reachable and free, keys in order.
func pageErrors(tx *bolt.Tx) []error {
	var errs []error
	for err := range tx.Check() {
		errs = append(errs, err)
	}
	return errs
}
