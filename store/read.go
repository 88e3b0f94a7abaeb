package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"

	"github.com/feedloom/feedloom"
	bolt "go.etcd.io/bbolt"
)

// TopicEntries returns up to limit stories filed under topic, newest first
// (by Story.Published, then story ID), each with its member items, the
// earliest published first (ties in arrival order): that one is shown. An unknown or empty topic gives no entries.
func (s *Store) TopicEntries(ctx context.Context, topic string, limit int) ([]feedloom.Entry, error) {
	var out []feedloom.Entry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTopics).Bucket([]byte(topic))
		if tb == nil {
			return nil
		}
		c := tb.Cursor()
		for k, _ := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Prev() {
			if err := ctx.Err(); err != nil {
				return err
			}
			e, err := entry(tx, string(k[8:]))
			if err != nil {
				return err
			}
			if e != nil {
				out = append(out, *e)
			}
		}
		return nil
	})
	return out, err
}

// entry loads a story and its members.
func entry(tx *bolt.Tx, id string) (*feedloom.Entry, error) {
	var e feedloom.Entry
	found, err := getJSON(tx.Bucket(bucketStories), []byte(id), &e.Story)
	if err != nil || !found {
		return nil, err
	}
	items := tx.Bucket(bucketItems)
	for _, iid := range e.Story.Items {
		var it feedloom.Item
		ok, err := getJSON(items, []byte(iid), &it)
		if err != nil {
			return nil, err
		}
		if ok {
			e.Items = append(e.Items, it)
		}
	}
	if len(e.Items) == 0 {
		return nil, nil
	}
	feedloom.ShowOrder(e.Items)
	return &e, nil
}

// TopicVersion returns a number that increases whenever the entries of
// topic change; 0 when the topic never had any.
func (s *Store) TopicVersion(ctx context.Context, topic string) (uint64, error) {
	s.vmu.Lock()
	defer s.vmu.Unlock()
	if v, ok := s.versions[topic]; ok {
		return v, ctx.Err()
	}
	var v uint64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketTopicMeta).Get([]byte(topic)); len(b) == 8 {
			v = binary.BigEndian.Uint64(b)
		}
		return nil
	})
	if err == nil {
		s.noteVersion(topic, v)
	}
	return s.versions[topic], err
}

// ItemQuery selects items for Items.
type ItemQuery struct {
	Topic  string // only items filed under this topic; "" for all
	Source string // only items of this source URL; "" for all
	Limit  int    // at most this many; 0 for all
}

// Items returns stored items newest first (by Published).
func (s *Store) Items(ctx context.Context, q ItemQuery) ([]feedloom.Item, error) {
	var out []feedloom.Item
	err := s.view(ctx, func(tx *bolt.Tx) error {
		items := tx.Bucket(bucketItems)
		c := tx.Bucket(bucketItemTime).Cursor()
		for k, _ := c.Last(); k != nil && (q.Limit <= 0 || len(out) < q.Limit); k, _ = c.Prev() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var it feedloom.Item
			ok, err := getJSON(items, k[8:], &it)
			if err != nil {
				return err
			}
			if !ok || (q.Source != "" && it.Source != q.Source) || (q.Topic != "" && !slices.Contains(it.Topics, q.Topic)) {
				continue
			}
			out = append(out, it)
		}
		return nil
	})
	return out, err
}

// SourceState returns the stored state of the source with URL u (a zero
// state carrying the URL when it was never polled), with Items counted.
func (s *Store) SourceState(ctx context.Context, u string) (feedloom.SourceState, error) {
	var st feedloom.SourceState
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		if st, err = sourceState(tx, u); err != nil {
			return err
		}
		st.Items = countPrefix(tx.Bucket(bucketSourceItems), []byte(u+"\x00"))
		return nil
	})
	return st, err
}

func countPrefix(b *bolt.Bucket, prefix []byte) int {
	n := 0
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n++
	}
	return n
}

// Stats counts what the store holds.
type Stats struct {
	Sources, Items, Stories int
	FileSize                int64
}

// Stats reports the number of sources, items and stories stored.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.view(ctx, func(tx *bolt.Tx) error {
		st.Sources = tx.Bucket(bucketSources).Stats().KeyN
		st.Items = tx.Bucket(bucketItems).Stats().KeyN
		st.Stories = tx.Bucket(bucketStories).Stats().KeyN
		st.FileSize = tx.Size()
		return nil
	})
	return st, err
}

// Stories returns up to limit stories newest first, each with its member
// items (the shown one first): those filed under topic, or when topic is
// "", every story, ordered by its newest member.
func (s *Store) Stories(ctx context.Context, topic string, limit int) ([]feedloom.Entry, error) {
	if topic != "" {
		return s.TopicEntries(ctx, topic, limit)
	}
	var out []feedloom.Entry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		seen := map[string]bool{}
		items := tx.Bucket(bucketItems)
		c := tx.Bucket(bucketItemTime).Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			if err := ctx.Err(); err != nil {
				return err
			}
			var it feedloom.Item
			if ok, err := getJSON(items, v, &it); err != nil || !ok || seen[it.Story] {
				if err != nil {
					return err
				}
				continue
			}
			seen[it.Story] = true
			e, err := entry(tx, it.Story)
			if err != nil {
				return err
			}
			if e != nil {
				out = append(out, *e)
			}
		}
		return nil
	})
	return out, err
}
