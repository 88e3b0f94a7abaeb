package store_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

func TestPruneByAgeLeavesTombstones(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	old := item("http://a/feed", "guid:old", "http://a/old", t0, "news")
	fresh := item("http://a/feed", "guid:new", "http://a/new", t0.Add(48*time.Hour), "news")
	save(t, s, old, fresh)
	n, err := s.Prune(ctx, store.Retention{Before: t0.Add(24 * time.Hour)}, t0.Add(72*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 removed", n, err)
	}
	if got := entryIDs(t, s, "news", 0); !reflect.DeepEqual(got, []string{fresh.ID}) {
		t.Errorf("news after prune = %v, want only %s", got, fresh.ID)
	}
	err = s.Update(ctx, func(w *store.Writer) error {
		if !w.Tombstoned(old.ID) {
			t.Error("pruned item has no tombstone")
		}
		if w.Tombstoned(fresh.ID) {
			t.Error("kept item is tombstoned")
		}
		if it, _ := w.ItemBySourceURL(old.Source, old.URL); it != nil {
			t.Error("pruned item still found by its URL")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPruneKeepsStoryIDWhileAMemberIsLeft(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	first := item("http://tass/feed", "guid:t1", "http://tass/en/1", t0, "defense")
	second := item("http://digest/feed", "guid:d1", "http://tass/en/1", t0.Add(time.Hour), "defense")
	second.FirstSeen = t0.Add(48 * time.Hour)
	save(t, s, first, second)
	if _, err := s.Prune(ctx, store.Retention{Before: t0.Add(24 * time.Hour)}, t0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	es, err := s.TopicEntries(ctx, "defense", 0)
	if err != nil || len(es) != 1 {
		t.Fatalf("entries = %d, %v", len(es), err)
	}
	if es[0].Story.ID != first.ID || len(es[0].Items) != 1 || es[0].Items[0].ID != second.ID {
		t.Errorf("story %s with %d members; want id %s kept with the remaining member", es[0].Story.ID, len(es[0].Items), first.ID)
	}
}

func TestPruneMaxPerSourceRemovesOldestSeen(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	var keys []string
	for i := range 5 {
		it := item("http://a/feed", "guid:"+string(rune('a'+i)), "http://a/"+string(rune('a'+i)), t0.Add(time.Duration(i)*time.Hour), "news")
		keys = append(keys, it.Key)
		save(t, s, it)
	}
	if err := s.Update(ctx, func(w *store.Writer) error {
		st, _ := w.SourceState("http://a/feed")
		return w.PutSourceState(st)
	}); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(ctx, store.Retention{MaxPerSource: 2}, t0.Add(72*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("Prune = %d, %v; want 3", n, err)
	}
	items, _ := s.Items(ctx, store.ItemQuery{})
	var got []string
	for _, it := range items {
		got = append(got, it.Key)
	}
	if want := []string{keys[4], keys[3]}; !reflect.DeepEqual(got, want) {
		t.Errorf("kept %v, want the two seen last %v", got, want)
	}
}

// Retention by count never breaks a published story's id either: the
// item whose id the story carries goes, another outlet's member stays,
// and the topic feed still shows the story under its id.
func TestPruneMaxPerSourceKeepsStoryID(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	first := item("http://tass/feed", "guid:t1", "http://tass/en/1", t0, "defense")
	later := item("http://tass/feed", "guid:t2", "http://tass/en/2", t0.Add(time.Hour), "defense")
	later.FirstSeen = t0.Add(time.Hour)
	other := item("http://digest/feed", "guid:d1", "http://tass/en/1", t0.Add(2*time.Hour), "defense")
	save(t, s, first, later, other)
	for _, src := range []string{"http://tass/feed", "http://digest/feed"} {
		if err := s.Update(ctx, func(w *store.Writer) error {
			st, _ := w.SourceState(src)
			return w.PutSourceState(st)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Prune(ctx, store.Retention{MaxPerSource: 1}, t0.Add(72*time.Hour)); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want the first TASS item removed", n, err)
	}
	es, err := s.TopicEntries(ctx, "defense", 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range es {
		ids = append(ids, e.Story.ID)
	}
	if want := []string{first.ID, later.ID}; !slices.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(want))) {
		t.Errorf("stories %v after prune, want %v (the first story keeps its id)", ids, want)
	}
}
