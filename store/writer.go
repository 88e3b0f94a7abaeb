package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/feedloom/feedloom"
	bolt "go.etcd.io/bbolt"
)

// A Writer is the domain view of one write transaction. It is valid only
// inside the function passed to Store.Update.
type Writer struct {
	tx  *bolt.Tx
	ctx context.Context
}

// SourceState returns the stored state of the source with URL u, or a zero
// state carrying only the URL.
func (w *Writer) SourceState(u string) (feedloom.SourceState, error) {
	return sourceState(w.tx, u)
}

func sourceState(tx *bolt.Tx, u string) (feedloom.SourceState, error) {
	st := feedloom.SourceState{URL: u}
	_, err := getJSON(tx.Bucket(bucketSources), []byte(u), &st)
	st.URL = u
	return st, err
}

// PutSourceState stores st under st.URL.
func (w *Writer) PutSourceState(st feedloom.SourceState) error {
	return putJSON(w.tx.Bucket(bucketSources), []byte(st.URL), st)
}

// Item returns the stored item with id, or nil.
func (w *Writer) Item(id string) (*feedloom.Item, error) {
	var it feedloom.Item
	ok, err := getJSON(w.tx.Bucket(bucketItems), []byte(id), &it)
	if !ok || err != nil {
		return nil, err
	}
	return &it, nil
}

// StoryByURL returns the ID of the story an item with canonical URL u
// already belongs to, or "".
func (w *Writer) StoryByURL(u string) string {
	if u == "" {
		return ""
	}
	return string(w.tx.Bucket(bucketURLs).Get([]byte(u)))
}

// SaveItem stores it, creating or updating it, and keeps every index in
// step: the item's time and source indexes, the URL index, its story's
// membership and topics, and the topic indexes. A new item must carry its
// Story (an existing story ID, or its own ID to start a story). An existing
// item keeps its story and FirstSeen.
func (w *Writer) SaveItem(it *feedloom.Item) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	items := w.tx.Bucket(bucketItems)
	old, err := w.Item(it.ID)
	if err != nil {
		return err
	}
	if old != nil {
		it.Story = old.Story
		it.FirstSeen = old.FirstSeen
		if !old.Published.Equal(it.Published) {
			if err := w.tx.Bucket(bucketItemTime).Delete(timeKey(old.Published, old.ID)); err != nil {
				return err
			}
		}
	}
	if it.Story == "" {
		return fmt.Errorf("store: item %s has no story", it.ID)
	}
	if err := putJSON(items, []byte(it.ID), it); err != nil {
		return err
	}
	if err := w.tx.Bucket(bucketItemTime).Put(timeKey(it.Published, it.ID), nil); err != nil {
		return err
	}
	if err := w.tx.Bucket(bucketSourceItems).Put([]byte(it.Source+"\x00"+it.ID), nil); err != nil {
		return err
	}
	if it.URL != "" && w.StoryByURL(it.URL) == "" {
		if err := w.tx.Bucket(bucketURLs).Put([]byte(it.URL), []byte(it.Story)); err != nil {
			return err
		}
	}
	return w.joinStory(it)
}

// joinStory records it as a member of its story and refiles the story
// under the union of its members' topics.
func (w *Writer) joinStory(it *feedloom.Item) error {
	stories := w.tx.Bucket(bucketStories)
	var s feedloom.Story
	found, err := getJSON(stories, []byte(it.Story), &s)
	if err != nil {
		return err
	}
	if !found {
		s = feedloom.Story{ID: it.Story}
	}
	if !slices.Contains(s.Items, it.ID) {
		s.Items = append(s.Items, it.ID)
	}
	if it.Updated.After(s.Updated) {
		s.Updated = it.Updated
	}
	if it.FirstSeen.After(s.Updated) {
		s.Updated = it.FirstSeen
	}
	var topics []string
	oldPublished := s.Published
	s.Published = time.Time{}
	for _, id := range s.Items {
		m := it
		if id != it.ID {
			if m, err = w.Item(id); err != nil {
				return err
			}
			if m == nil {
				continue
			}
		}
		topics = append(topics, m.Topics...)
		if s.Published.IsZero() || m.Published.Before(s.Published) {
			s.Published = m.Published
		}
	}
	slices.Sort(topics)
	topics = slices.Compact(topics)
	old := s.Topics
	s.Topics = topics
	if err := putJSON(stories, []byte(s.ID), s); err != nil {
		return err
	}
	// The story sorts by its earliest member; when that changed, its
	// index entries move. Every topic the story was or is in changes: its
	// entry's content did.
	oldKey, key := timeKey(oldPublished, s.ID), timeKey(s.Published, s.ID)
	for _, t := range old {
		if b := w.tx.Bucket(bucketTopics).Bucket([]byte(t)); b != nil {
			if err := b.Delete(oldKey); err != nil {
				return err
			}
		}
		if err := w.bumpTopic(t); err != nil {
			return err
		}
	}
	for _, t := range topics {
		b, err := w.tx.Bucket(bucketTopics).CreateBucketIfNotExists([]byte(t))
		if err != nil {
			return fmt.Errorf("store: topic bucket %q: %w", t, err)
		}
		if err := b.Put(key, nil); err != nil {
			return err
		}
		if !slices.Contains(old, t) {
			if err := w.bumpTopic(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// bumpTopic increases the version of topic t.
func (w *Writer) bumpTopic(t string) error {
	b := w.tx.Bucket(bucketTopicMeta)
	var v uint64
	if old := b.Get([]byte(t)); len(old) == 8 {
		v = binary.BigEndian.Uint64(old)
	}
	buf := make([]byte, 8)
	binary.BigEndian.PutUint64(buf, v+1)
	return b.Put([]byte(t), buf)
}
