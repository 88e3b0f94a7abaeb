package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

func TestArticlesRoundTripAndRetention(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	old := store.Article{Content: "<p>old article</p>", Outcome: "ok", Fetched: t0, Used: t0}
	failed := store.Article{Outcome: "http_4xx", Fetched: t0.Add(time.Hour), Used: t0.Add(48 * time.Hour)}
	err := s.Update(ctx, func(w *store.Writer) error {
		if err := w.PutArticle("http://a/old", old); err != nil {
			return err
		}
		if err := w.PutArticle("", old); !errors.Is(err, store.ErrArticleKey) {
			t.Errorf("PutPage with no URL = %v, want ErrArticleKey", err)
		}
		return w.PutArticle("http://a/gone", failed)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Articles(ctx, []string{"http://a/old", "http://a/gone", "http://a/never"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Article{"http://a/old": old, "http://a/gone": failed}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Pages = %+v, want %+v", got, want)
	}

	// Retention by age takes the pages last used before its limit along
	// with the items; a page used later stays.
	if _, err := s.Prune(ctx, store.Retention{Before: t0.Add(24 * time.Hour)}, t0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Articles(ctx, []string{"http://a/old", "http://a/gone"})
	if _, ok := got["http://a/old"]; ok || len(got) != 1 {
		t.Errorf("after retention: %+v, want only http://a/gone", got)
	}
}

func TestSeenItems(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	kept := item("http://a/feed", "guid:kept", "http://a/kept", t0.Add(48*time.Hour))
	gone := item("http://a/feed", "guid:gone", "http://a/gone", t0)
	save(t, s, kept, gone)
	if _, err := s.Prune(ctx, store.Retention{Before: t0.Add(24 * time.Hour)}, t0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	regrouped := item("http://a/feed", "guid:other", "http://a/kept", t0) // a new GUID for a stored link
	fresh := item("http://a/feed", "guid:fresh", "http://a/fresh", t0)
	elsewhere := item("http://b/feed", "guid:kept", "http://a/kept", t0) // another source's entry
	got, err := s.Seen(ctx, []feedloom.Item{kept, gone, regrouped, fresh, elsewhere})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, true, false, false}; !reflect.DeepEqual(got, want) {
		t.Errorf("Seen = %v, want %v (stored, tombstoned, same link, new, new to its source)", got, want)
	}
}
