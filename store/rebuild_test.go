package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/store/storetest"
)

func TestRebuildTopics(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	var items []feedloom.Item
	for i := range 600 { // more than one batch
		title := "sports"
		if i%3 == 0 {
			title = "missile"
		}
		it := item("http://a/feed", fmt.Sprintf("guid:%d", i), fmt.Sprintf("http://a/%d", i), t0.Add(time.Duration(i)*time.Minute), "old", "all")
		it.Title = title
		items = append(items, it)
	}
	save(t, s, items...)
	var calls [][2]int
	classify := func(it *feedloom.Item) []string {
		out := []string{"all"}
		if strings.Contains(it.Title, "missile") {
			out = append(out, "missiles")
		}
		return out
	}
	if err := s.RebuildTopics(ctx, classify, func(done, total int) { calls = append(calls, [2]int{done, total}) }); err != nil {
		t.Fatal(err)
	}
	if want := [][2]int{{0, 600}, {256, 600}, {512, 600}, {600, 600}}; !slices.Equal(calls, want) {
		t.Errorf("progress %v, want %v", calls, want)
	}
	if n := len(entryIDs(t, s, "missiles", 0)); n != 200 {
		t.Errorf("missiles has %d entries, want 200", n)
	}
	if n := len(entryIDs(t, s, "old", 0)); n != 0 {
		t.Errorf("the removed topic still has %d entries", n)
	}
	if n := len(entryIDs(t, s, "all", 0)); n != 600 {
		t.Errorf("all has %d entries", n)
	}
	if v, _ := s.TopicVersion(ctx, "missiles"); v == 0 {
		t.Errorf("missiles has no version")
	}
	es, _ := s.TopicEntries(ctx, "missiles", 1)
	if got := es[0].Items[0].Topics; !slices.Equal(got, []string{"all", "missiles"}) {
		t.Errorf("item topics %v", got)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.RebuildTopics(cctx, classify, nil); err == nil {
		t.Error("a cancelled rebuild returned nil")
	}
}
