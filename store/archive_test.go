package store

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	bolt "go.etcd.io/bbolt"
)

func logIDs(t *testing.T, s *Store, topic string) []string {
	t.Helper()
	ctx := context.Background()
	n, err := s.TopicCount(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	es, err := s.TopicRange(ctx, topic, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range es {
		ids = append(ids, e.Story.ID)
	}
	return ids
}

func TestTopicLog(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "s.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	put := func(src, key, url string, published time.Time, topics ...string) string {
		it := feedloom.Item{
			ID: feedloom.ItemID(src, key), Source: src, Key: key, URL: url, Title: key,
			Published: published, Updated: published, FirstSeen: published, Topics: topics,
		}
		err := s.Update(ctx, func(w *Writer) error {
			if old, err := w.Item(it.ID); err != nil {
				return err
			} else if old != nil {
				it.Story = old.Story
			} else if it.Story = w.StoryByURL(it.URL); it.Story == "" {
				it.Story = it.ID
			}
			return w.SaveItem(&it)
		})
		if err != nil {
			t.Fatal(err)
		}
		return it.Story
	}
	// Stored before the log existed: numbered by the topic index's
	// (published) order when the log is first read.
	b := put("https://a", "b", "https://x/b", t0.Add(2*time.Hour), "t")
	a := put("https://a", "a", "https://x/a", t0.Add(time.Hour), "t")
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketTopicSeq) }); err != nil {
		t.Fatal(err)
	}
	if got, want := logIDs(t, s, "t"), []string{a, b}; !slices.Equal(got, want) {
		t.Fatalf("backfilled log %v, want %v", got, want)
	}
	// Later stories go to the end whatever their dates; a member that
	// moves a story's date (an earlier report joins) does not move it.
	c := put("https://a", "c", "https://x/c", t0, "t")
	d := put("https://a", "d", "https://x/d", t0.Add(5*time.Hour), "t")
	put("https://b", "b2", "https://x/b", t0.Add(-time.Hour), "t")
	want := []string{a, b, c, d}
	if got := logIDs(t, s, "t"); !slices.Equal(got, want) {
		t.Fatalf("log %v, want %v", got, want)
	}
	// A story that leaves the topic keeps its number but is not listed;
	// when it comes back it has its old place.
	put("https://a", "c", "https://x/c", t0)
	if got := logIDs(t, s, "t"); !slices.Equal(got, []string{a, b, d}) {
		t.Fatalf("after c left: %v", got)
	}
	put("https://a", "c", "https://x/c", t0, "t")
	if got := logIDs(t, s, "t"); !slices.Equal(got, want) {
		t.Fatalf("after c came back: %v", got)
	}
	if n, _ := s.TopicCount(ctx, "t"); n != 4 {
		t.Errorf("count %d, want 4", n)
	}
	if n, err := s.TopicCount(ctx, "none"); n != 0 || err != nil {
		t.Errorf("unknown topic: %d, %v", n, err)
	}
}
