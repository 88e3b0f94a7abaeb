package store

import (
	"bytes"
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
	tx     *bolt.Tx
	ctx    context.Context
	bumped map[string]uint64 // topic versions written, for Store's cache after commit
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
// step: the item's time, source and per-source URL indexes, the URL index,
// its story's membership, topics and dates, and the topic indexes. A new
// item must carry its Story (an existing story ID, or its own ID to start a
// story). An existing item keeps its story and FirstSeen.
func (w *Writer) SaveItem(it *feedloom.Item) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	old, err := w.Item(it.ID)
	if err != nil {
		return err
	}
	if old != nil {
		it.Story, it.FirstSeen = old.Story, old.FirstSeen
		if err := w.unindex(old); err != nil {
			return err
		}
	}
	if it.Story == "" {
		return fmt.Errorf("store: item %s has no story", it.ID)
	}
	if err := putJSON(w.tx.Bucket(bucketItems), []byte(it.ID), it); err != nil {
		return err
	}
	if err := w.index(it); err != nil {
		return err
	}
	if it.URL != "" && w.StoryByURL(it.URL) == "" {
		if err := w.tx.Bucket(bucketURLs).Put([]byte(it.URL), []byte(it.Story)); err != nil {
			return err
		}
	}
	return w.refile(it.Story, it.ID)
}

// index and unindex keep the per-item index entries.
func (w *Writer) index(it *feedloom.Item) error {
	return w.eachIndexKey(it, func(b *bolt.Bucket, k []byte) error { return b.Put(k, []byte(it.ID)) })
}

func (w *Writer) unindex(it *feedloom.Item) error {
	return w.eachIndexKey(it, func(b *bolt.Bucket, k []byte) error { return b.Delete(k) })
}

func (w *Writer) eachIndexKey(it *feedloom.Item, fn func(*bolt.Bucket, []byte) error) error {
	if err := fn(w.tx.Bucket(bucketItemTime), timeKey(it.Published, it.ID)); err != nil {
		return err
	}
	if err := fn(w.tx.Bucket(bucketItemSeen), timeKey(it.FirstSeen, it.ID)); err != nil {
		return err
	}
	if err := fn(w.tx.Bucket(bucketSourceItems), sourceItemKey(it.Source, it.FirstSeen, it.ID)); err != nil {
		return err
	}
	if it.URL == "" {
		return nil
	}
	return fn(w.tx.Bucket(bucketSourceURLs), []byte(it.Source+"\x00"+it.URL))
}

// sourceItemKey orders a source's items by the time they were first seen.
func sourceItemKey(source string, firstSeen time.Time, id string) []byte {
	return append([]byte(source+"\x00"), timeKey(firstSeen, id)...)
}

// ItemBySourceURL returns the item of source whose canonical URL is u, or
// nil. It lets an entry whose GUID changed be recognized by its link.
func (w *Writer) ItemBySourceURL(source, u string) (*feedloom.Item, error) {
	if u == "" {
		return nil, nil
	}
	id := w.tx.Bucket(bucketSourceURLs).Get([]byte(source + "\x00" + u))
	if id == nil {
		return nil, nil
	}
	return w.Item(string(id))
}

// Tombstoned reports whether an item with id was removed by retention:
// such an item is never stored again.
func (w *Writer) Tombstoned(id string) bool {
	return w.tx.Bucket(bucketTombstones).Get([]byte(id)) != nil
}

// DeleteItem removes the item with id and leaves a tombstone so it never
// comes back as new. Its story keeps its ID while any member is left; a
// story left with no member leaves its topics.
func (w *Writer) DeleteItem(id string, now time.Time) error {
	it, err := w.Item(id)
	if err != nil || it == nil {
		return err
	}
	if err := w.unindex(it); err != nil {
		return err
	}
	if err := w.tx.Bucket(bucketItems).Delete([]byte(id)); err != nil {
		return err
	}
	if err := w.tx.Bucket(bucketTombstones).Put([]byte(id), timeKey(now, "")); err != nil {
		return err
	}
	if err := w.DeleteNear(id); err != nil {
		return err
	}
	if err := w.refile(it.Story, ""); err != nil {
		return err
	}
	if it.URL != "" && w.StoryByURL(it.URL) == it.Story && w.tx.Bucket(bucketStories).Get([]byte(it.Story)) == nil {
		return w.tx.Bucket(bucketURLs).Delete([]byte(it.URL))
	}
	return nil
}

// refile brings a story up to date with its members (adding the item add
// when not empty): its topics are the union of theirs, it sorts by its
// shown member's date, its updated date is the latest change of any member.
// The topic index entries move with it, and every topic it was or is in
// gets a new version. A story without members is deleted.
func (w *Writer) refile(id, add string) error {
	stories := w.tx.Bucket(bucketStories)
	var s feedloom.Story
	found, err := getJSON(stories, []byte(id), &s)
	if err != nil {
		return err
	}
	if !found {
		s = feedloom.Story{ID: id}
	}
	if add != "" && !slices.Contains(s.Items, add) {
		s.Items = append(s.Items, add)
	}
	oldKey, oldTopics := timeKey(s.Published, s.ID), s.Topics
	var members []feedloom.Item
	var kept []string
	for _, mid := range s.Items {
		m, err := w.Item(mid)
		if err != nil {
			return err
		}
		if m != nil {
			members = append(members, *m)
			kept = append(kept, mid)
		}
	}
	s.Items, s.Topics, s.Updated = kept, nil, time.Time{}
	for _, m := range members {
		s.Topics = append(s.Topics, m.Topics...)
		s.Updated = latest(s.Updated, m.Updated, m.Changed, m.FirstSeen)
	}
	slices.Sort(s.Topics)
	s.Topics = slices.Compact(s.Topics)
	if len(members) > 0 {
		feedloom.ShowOrder(members)
		s.Published = members[0].Published
		if err := putJSON(stories, []byte(s.ID), s); err != nil {
			return err
		}
	} else if err := stories.Delete([]byte(s.ID)); err != nil {
		return err
	}
	key := timeKey(s.Published, s.ID)
	topics := w.tx.Bucket(bucketTopics)
	for _, t := range oldTopics {
		if b := topics.Bucket([]byte(t)); b != nil {
			if err := b.Delete(oldKey); err != nil {
				return err
			}
		}
		if err := w.bumpTopic(t); err != nil {
			return err
		}
	}
	for _, t := range s.Topics {
		b, err := topics.CreateBucketIfNotExists([]byte(t))
		if err != nil {
			return fmt.Errorf("store: topic bucket %q: %w", t, err)
		}
		if err := b.Put(key, nil); err != nil {
			return err
		}
		if err := fileInTopic(w.tx, t, s.ID); err != nil { // archive.go: the topic's filing log
			return err
		}
		if !slices.Contains(oldTopics, t) {
			if err := w.bumpTopic(t); err != nil {
				return err
			}
		}
	}
	return nil
}

func latest(ts ...time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
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
	if w.bumped == nil {
		w.bumped = make(map[string]uint64)
	}
	w.bumped[t] = v + 1
	return b.Put([]byte(t), buf)
}

// MergeStories makes one story of stories a and b, found to be the same
// (an item shares its link with one and its text with the other). The
// story first seen keeps its ID, and so its published entry; the other's
// members move into it and its entry leaves every topic. It returns the
// ID kept.
func (w *Writer) MergeStories(a, b string) (string, error) {
	if a == b {
		return a, nil
	}
	sa, err := w.story(a)
	if err != nil {
		return "", err
	}
	sb, err := w.story(b)
	if err != nil {
		return "", err
	}
	if sa == nil || sb == nil {
		return "", fmt.Errorf("store: merge stories %s and %s: missing story", a, b)
	}
	fa, err := w.firstSeen(sa)
	if err != nil {
		return "", err
	}
	fb, err := w.firstSeen(sb)
	if err != nil {
		return "", err
	}
	keep, gone := sa, sb
	if fb.Before(fa) || (fb.Equal(fa) && b < a) {
		keep, gone = sb, sa
	}
	// Take the gone story out of its topics, then move its members.
	key := timeKey(gone.Published, gone.ID)
	for _, t := range gone.Topics {
		if tb := w.tx.Bucket(bucketTopics).Bucket([]byte(t)); tb != nil {
			if err := tb.Delete(key); err != nil {
				return "", err
			}
		}
		if err := w.bumpTopic(t); err != nil {
			return "", err
		}
	}
	if err := w.tx.Bucket(bucketStories).Delete([]byte(gone.ID)); err != nil {
		return "", err
	}
	for _, id := range gone.Items {
		it, err := w.Item(id)
		if err != nil {
			return "", err
		}
		if it == nil {
			continue
		}
		it.Story = keep.ID
		if err := putJSON(w.tx.Bucket(bucketItems), []byte(id), it); err != nil {
			return "", err
		}
		if it.URL != "" && w.StoryByURL(it.URL) == gone.ID {
			if err := w.tx.Bucket(bucketURLs).Put([]byte(it.URL), []byte(keep.ID)); err != nil {
				return "", err
			}
		}
		if err := w.restoryNear(id, keep.ID); err != nil {
			return "", err
		}
		keep.Items = append(keep.Items, id)
	}
	if err := putJSON(w.tx.Bucket(bucketStories), []byte(keep.ID), keep); err != nil {
		return "", err
	}
	return keep.ID, w.refile(keep.ID, "")
}

func (w *Writer) story(id string) (*feedloom.Story, error) {
	var s feedloom.Story
	ok, err := getJSON(w.tx.Bucket(bucketStories), []byte(id), &s)
	if err != nil || !ok {
		return nil, err
	}
	return &s, nil
}

// firstSeen is when the first of a story's members was stored.
func (w *Writer) firstSeen(s *feedloom.Story) (time.Time, error) {
	var first time.Time
	for _, id := range s.Items {
		it, err := w.Item(id)
		if err != nil {
			return first, err
		}
		if it != nil && (first.IsZero() || it.FirstSeen.Before(first)) {
			first = it.FirstSeen
		}
	}
	return first, nil
}

// restoryNear points an item's near-index entry at story.
func (w *Writer) restoryNear(itemID, story string) error {
	v := w.tx.Bucket(bucketNearSig).Get([]byte(itemID))
	if v == nil {
		return nil
	}
	e, err := decodeNear(v)
	if err != nil {
		return fmt.Errorf("store: near index: item %s: %w", itemID, err)
	}
	bands := make([][]byte, len(e.bands))
	for i, b := range e.bands {
		bands[i] = bytes.Clone(b)
	}
	return w.PutNear(itemID, story, time.Unix(0, e.published), bytes.Clone(e.sig), bands)
}
