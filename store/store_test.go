package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

var t0 = time.Date(2019, 5, 11, 14, 8, 0, 0, time.UTC)

func item(src, key, url string, published time.Time, topics ...string) feedloom.Item {
	return feedloom.Item{
		ID: feedloom.ItemID(src, key), Source: src, Key: key, URL: url,
		Title: "title " + key, Published: published, Updated: published, FirstSeen: published,
		Topics: topics,
	}
}

// save stores items as the aggregator does: a new item starts its own
// story unless its URL is already known.
func save(tb testing.TB, s *store.Store, items ...feedloom.Item) {
	tb.Helper()
	err := s.Update(context.Background(), func(w *store.Writer) error {
		for i := range items {
			it := &items[i]
			if old, err := w.Item(it.ID); err != nil {
				return err
			} else if old == nil {
				it.Story = w.StoryByURL(it.URL)
				if it.Story == "" {
					it.Story = it.ID
				}
			}
			if err := w.SaveItem(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func entryIDs(tb testing.TB, s *store.Store, topic string, limit int) []string {
	tb.Helper()
	es, err := s.TopicEntries(context.Background(), topic, limit)
	if err != nil {
		tb.Fatal(err)
	}
	var ids []string
	for _, e := range es {
		ids = append(ids, e.Story.ID)
	}
	return ids
}

func TestTopicEntriesNewestFirst(t *testing.T) {
	s := storetest.Open(t)
	a := item("http://a/feed", "guid:1", "http://a/1", t0, "news")
	b := item("http://a/feed", "guid:2", "http://a/2", t0.Add(time.Hour), "news")
	c := item("http://a/feed", "guid:3", "http://a/3", t0.Add(2*time.Hour), "other")
	save(t, s, a, b, c)
	if got, want := entryIDs(t, s, "news", 0), []string{b.ID, a.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("news entries = %v, want %v", got, want)
	}
	if got, want := entryIDs(t, s, "news", 1), []string{b.ID}; !reflect.DeepEqual(got, want) {
		t.Errorf("news entries limit 1 = %v, want %v", got, want)
	}
	if got := entryIDs(t, s, "nothing", 0); got != nil {
		t.Errorf("unknown topic entries = %v, want none", got)
	}
}

func TestSameURLTwoSourcesIsOneStory(t *testing.T) {
	s := storetest.Open(t)
	a := item("http://tass/feed", "guid:77346", "http://tass/en/77346", t0, "defense")
	b := item("http://defapress/feed", "guid:x1", "http://tass/en/77346", t0.Add(time.Minute), "defense")
	save(t, s, a)
	save(t, s, b)
	es, err := s.TopicEntries(context.Background(), "defense", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Fatalf("entries = %d, want 1 story", len(es))
	}
	if got := len(es[0].Items); got != 2 {
		t.Errorf("story members = %d, want 2", got)
	}
	if es[0].Story.ID != a.ID || es[0].Items[0].ID != a.ID {
		t.Errorf("story %s shown %s, want both %s (the first item)", es[0].Story.ID, es[0].Items[0].ID, a.ID)
	}
}

func TestUpdateKeepsStoryAndBumpsVersion(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	a := item("http://a/feed", "guid:1", "http://a/1", t0, "news")
	save(t, s, a)
	v1, _ := s.TopicVersion(ctx, "news")
	if v1 == 0 {
		t.Fatal("version of a filled topic is 0")
	}
	edited := a
	edited.Story = ""
	edited.Title = "edited"
	edited.FirstSeen = t0.Add(time.Hour)
	save(t, s, edited)
	v2, _ := s.TopicVersion(ctx, "news")
	if v2 <= v1 {
		t.Errorf("version after edit = %d, want > %d", v2, v1)
	}
	items, err := s.Items(ctx, store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Title != "edited" || items[0].Story != a.ID || !items[0].FirstSeen.Equal(t0) {
		t.Errorf("items after edit = %+v, want one edited item keeping story and first-seen", items)
	}
}

func TestItemLeavingTopic(t *testing.T) {
	s := storetest.Open(t)
	a := item("http://a/feed", "guid:1", "http://a/1", t0, "news", "sport")
	save(t, s, a)
	a.Topics = []string{"sport"}
	save(t, s, a)
	if got := entryIDs(t, s, "news", 0); len(got) != 0 {
		t.Errorf("news entries after the item left = %v, want none", got)
	}
	if got := entryIDs(t, s, "sport", 0); len(got) != 1 {
		t.Errorf("sport entries = %v, want 1", got)
	}
}

func TestItemsQuery(t *testing.T) {
	s := storetest.Open(t)
	save(t, s,
		item("http://a/feed", "guid:1", "http://a/1", t0, "news"),
		item("http://b/feed", "guid:2", "http://b/2", t0.Add(time.Hour)),
		item("http://a/feed", "guid:3", "http://a/3", t0.Add(2*time.Hour), "news"))
	ctx := context.Background()
	for name, tc := range map[string]struct {
		q    store.ItemQuery
		want []string
	}{
		"all":    {store.ItemQuery{}, []string{"guid:3", "guid:2", "guid:1"}},
		"topic":  {store.ItemQuery{Topic: "news"}, []string{"guid:3", "guid:1"}},
		"source": {store.ItemQuery{Source: "http://b/feed"}, []string{"guid:2"}},
		"limit":  {store.ItemQuery{Limit: 1}, []string{"guid:3"}},
	} {
		t.Run(name, func(t *testing.T) {
			items, err := s.Items(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range items {
				got = append(got, it.Key)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	st, err := s.SourceState(ctx, "http://a/feed")
	if err != nil || st.Items != 2 {
		t.Errorf("source state items = %d, %v; want 2", st.Items, err)
	}
}

func TestRollbackOnError(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Update(ctx, func(w *store.Writer) error {
		it := item("http://a/feed", "guid:1", "http://a/1", t0, "news")
		it.Story = it.ID
		if err := w.SaveItem(&it); err != nil {
			return err
		}
		if err := w.PutSourceState(feedloom.SourceState{URL: "http://a/feed", ETag: `"x"`}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	items, _ := s.Items(ctx, store.ItemQuery{})
	st, _ := s.SourceState(ctx, "http://a/feed")
	if len(items) != 0 || st.ETag != "" {
		t.Errorf("after rollback: %d items, etag %q; want nothing stored", len(items), st.ETag)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedloom.db")
	s, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	_, err = store.Open(path, store.Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second open error = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "in use by another feedloom process") {
		t.Errorf("message %q does not say the store is in use", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("second open took %s: it waited instead of failing", d)
	}
}

func TestForeignFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"empty":   {},
		"text":    []byte(strings.Repeat("not a database\n", 1000)),
		"garbage": make([]byte, 8192),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".db")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := store.Open(path, store.Options{})
			if !errors.Is(err, store.ErrForeign) {
				t.Fatalf("open error = %v, want ErrForeign", err)
			}
			after, _ := os.ReadFile(path)
			if string(after) != string(content) {
				t.Error("the file was changed")
			}
		})
	}
}

func TestShownMemberIsEarliestPublished(t *testing.T) {
	s := storetest.Open(t)
	late := item("http://digest/feed", "guid:d1", "http://tass/en/1", t0.Add(time.Hour), "defense")
	early := item("http://tass/feed", "guid:t1", "http://tass/en/1", t0, "defense")
	save(t, s, late)
	save(t, s, early)
	es, err := s.TopicEntries(context.Background(), "defense", 0)
	if err != nil || len(es) != 1 {
		t.Fatalf("entries = %d, %v; want one story", len(es), err)
	}
	if es[0].Story.ID != late.ID {
		t.Errorf("story id %s, want the first arrival's %s", es[0].Story.ID, late.ID)
	}
	if got := es[0].Items[0].ID; got != early.ID {
		t.Errorf("shown member %s, want the earliest published %s", got, early.ID)
	}
}

func TestStoryMovesToEarliestMember(t *testing.T) {
	s := storetest.Open(t)
	other := item("http://x/feed", "guid:o", "http://x/o", t0.Add(30*time.Minute), "defense")
	late := item("http://digest/feed", "guid:d1", "http://tass/en/1", t0.Add(time.Hour), "defense")
	early := item("http://tass/feed", "guid:t1", "http://tass/en/1", t0, "defense")
	save(t, s, other, late)
	if got := entryIDs(t, s, "defense", 0); !reflect.DeepEqual(got, []string{late.ID, other.ID}) {
		t.Fatalf("before: %v", got)
	}
	save(t, s, early)
	if got := entryIDs(t, s, "defense", 0); !reflect.DeepEqual(got, []string{other.ID, late.ID}) {
		t.Errorf("after an earlier member joined: %v, want the story (id %s kept) to sort by %s", got, late.ID, t0)
	}
}

func TestStoriesAll(t *testing.T) {
	s := storetest.Open(t)
	a := item("http://tass/feed", "guid:t1", "http://tass/en/1", t0)
	b := item("http://digest/feed", "guid:d1", "http://tass/en/1", t0.Add(time.Hour))
	c := item("http://tass/feed", "guid:t2", "http://tass/en/2", t0.Add(30*time.Minute))
	save(t, s, a, b, c)
	es, err := s.Stories(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%s:%d", e.Story.ID, len(e.Items)))
	}
	if want := []string{a.ID + ":2", c.ID + ":1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("stories = %v, want %v (by newest member)", got, want)
	}
}

func TestMergeStoriesKeepsTheFirstSeen(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	older := item("http://defa/feed", "guid:d", "http://defa/77346", t0.Add(2*time.Hour), "defense")
	older.FirstSeen = t0
	newer := item("http://tass/feed", "guid:t", "http://tass/1", t0, "defense", "russia")
	newer.FirstSeen = t0.Add(time.Hour)
	save(t, s, older, newer)
	var kept string
	err := s.Update(ctx, func(w *store.Writer) error {
		if err := w.PutNear(newer.ID, newer.ID, newer.Published, []byte("sig"), [][]byte{[]byte("band")}); err != nil {
			return err
		}
		var err error
		kept, err = w.MergeStories(newer.ID, older.ID)
		if err != nil {
			return err
		}
		if got := w.StoryByURL(newer.URL); got != older.ID {
			t.Errorf("URL of the moved item points at %s, want %s", got, older.ID)
		}
		if n, _ := w.Near(newer.ID); n == nil || n.Story != older.ID {
			t.Errorf("near entry of the moved item: %+v, want story %s", n, older.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if kept != older.ID {
		t.Errorf("kept %s, want the story first seen %s", kept, older.ID)
	}
	for _, topic := range []string{"defense", "russia"} {
		es, err := s.TopicEntries(ctx, topic, 0)
		if err != nil || len(es) != 1 || es[0].Story.ID != older.ID || len(es[0].Items) != 2 {
			t.Errorf("%s: %d entries (%v); want the one merged story with 2 members", topic, len(es), err)
		}
	}
}

func TestTopicVersionCacheFollowsCommitsOnly(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	save(t, s, item("http://a/feed", "guid:1", "http://a/1", t0, "news"))
	v1, err := s.TopicVersion(ctx, "news")
	if err != nil || v1 == 0 {
		t.Fatalf("version %d, %v", v1, err)
	}
	boom := errors.New("boom")
	s.Update(ctx, func(w *store.Writer) error {
		it := item("http://a/feed", "guid:2", "http://a/2", t0, "news")
		it.Story = it.ID
		if err := w.SaveItem(&it); err != nil {
			return err
		}
		return boom
	})
	if v, _ := s.TopicVersion(ctx, "news"); v != v1 {
		t.Errorf("version after a rolled-back write = %d, want %d", v, v1)
	}
	save(t, s, item("http://a/feed", "guid:3", "http://a/3", t0, "news"))
	if v, _ := s.TopicVersion(ctx, "news"); v <= v1 {
		t.Errorf("version after a commit = %d, want > %d", v, v1)
	}
}
