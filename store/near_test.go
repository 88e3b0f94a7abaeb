package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

var nearT0 = time.Date(2019, 5, 10, 23, 30, 0, 0, time.UTC)

func band(s string) []byte { return []byte(s) }

type nearItem struct {
	id        string
	published time.Time
	bands     []string
}

func putNear(tb testing.TB, s *store.Store, items ...nearItem) {
	tb.Helper()
	err := s.Update(context.Background(), func(w *store.Writer) error {
		for _, it := range items {
			var bs [][]byte
			for _, b := range it.bands {
				bs = append(bs, band(b))
			}
			// The item itself, so that Check's near-index invariants hold.
			if err := w.SaveItem(&feedloom.Item{ID: it.id, Story: "story-" + it.id, Source: "http://near/feed",
				Published: it.published, FirstSeen: it.published}); err != nil {
				return err
			}
			if err := w.PutNear(it.id, "story-"+it.id, it.published, []byte("sig-"+it.id), bs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// lookup returns the IDs NearCandidates finds, checking each candidate's
// story, published time and signature against what putNear stored.
func lookup(tb testing.TB, s *store.Store, bands []string, from, to time.Time, limit int) []string {
	tb.Helper()
	var got []store.NearCandidate
	err := s.Update(context.Background(), func(w *store.Writer) error {
		var bs [][]byte
		for _, b := range bands {
			bs = append(bs, band(b))
		}
		var err error
		got, err = w.NearCandidates(bs, from, to, limit)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	ids := []string{}
	for _, c := range got {
		// Read after the transaction: nothing may alias bbolt's memory.
		if c.Story != "story-"+c.Item || string(c.Sig) != "sig-"+c.Item || c.Published.Location() != time.UTC {
			tb.Errorf("candidate %+v", c)
		}
		ids = append(ids, c.Item)
	}
	return ids
}

func TestNearCandidates(t *testing.T) {
	s := storetest.Open(t)
	putNear(t, s,
		nearItem{"a", nearT0, []string{"b1", "b2", "b3"}},
		nearItem{"b", nearT0.Add(time.Hour), []string{"b1", "x"}},                  // next day, shares b1
		nearItem{"c", nearT0.Add(-2 * time.Hour), []string{"b2", "b3", "y"}},       // shares b2 and b3
		nearItem{"d", nearT0.Add(-5 * 24 * time.Hour), []string{"b1", "b2", "b3"}}, // outside the window
		nearItem{"e", nearT0.Add(30 * time.Minute), []string{"zz"}},                // in the window, no band shared
		nearItem{"f", nearT0.Add(48 * time.Hour), []string{"b1"}},                  // after the window
	)
	from, to := nearT0.Add(-72*time.Hour), nearT0.Add(2*time.Hour)
	tests := map[string]struct {
		bands    []string
		from, to time.Time
		limit    int
		want     []string
	}{
		"most shared bands first, then newest": {[]string{"b1", "b2", "b3"}, from, to, 0, []string{"a", "c", "b"}},
		"limit keeps the best":                 {[]string{"b1", "b2", "b3"}, from, to, 2, []string{"a", "c"}},
		"one band":                             {[]string{"x"}, from, to, 0, []string{"b"}},
		"window bounds are inclusive":          {[]string{"b1"}, nearT0, nearT0.Add(time.Hour), 0, []string{"b", "a"}},
		"window ends before":                   {[]string{"b1"}, nearT0.Add(time.Nanosecond), nearT0.Add(time.Hour - time.Nanosecond), 0, []string{}},
		"wide window":                          {[]string{"b1"}, nearT0.Add(-30 * 24 * time.Hour), nearT0.Add(30 * 24 * time.Hour), 0, []string{"f", "b", "a", "d"}},
		"unknown band":                         {[]string{"nope"}, from, to, 0, []string{}},
		"band that is a prefix of another":     {[]string{"b"}, from, to, 0, []string{}},
		"no bands":                             {nil, from, to, 0, []string{}},
		"from after to":                        {[]string{"b1"}, to, from, 0, []string{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := lookup(t, s, tc.bands, tc.from, tc.to, tc.limit); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPutNearReplaces(t *testing.T) {
	s := storetest.Open(t)
	putNear(t, s, nearItem{"a", nearT0, []string{"old"}})
	putNear(t, s, nearItem{"a", nearT0.Add(24 * time.Hour), []string{"new"}})
	wide := func(b string) []string {
		return lookup(t, s, []string{b}, nearT0.Add(-240*time.Hour), nearT0.Add(240*time.Hour), 0)
	}
	if got := wide("old"); len(got) != 0 {
		t.Errorf("old band still finds %q", got)
	}
	if got := wide("new"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("new band finds %q", got)
	}
	if got := lookup(t, s, []string{"new"}, nearT0.Add(-time.Hour), nearT0.Add(time.Hour), 0); len(got) != 0 {
		t.Errorf("old published time still finds %q", got)
	}
}

func TestDeleteNear(t *testing.T) {
	s := storetest.Open(t)
	putNear(t, s, nearItem{"a", nearT0, []string{"b1", "b2"}}, nearItem{"b", nearT0, []string{"b1"}})
	err := s.Update(context.Background(), func(w *store.Writer) error {
		if err := w.DeleteNear("a"); err != nil {
			return err
		}
		if nc, err := w.Near("a"); nc != nil || err != nil {
			return fmt.Errorf("Near after delete: %+v, %v", nc, err)
		}
		return w.DeleteNear("never-stored")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := lookup(t, s, []string{"b1", "b2"}, nearT0.Add(-time.Hour), nearT0.Add(time.Hour), 0); !slices.Equal(got, []string{"b"}) {
		t.Errorf("after delete: %q", got)
	}
}

func TestNear(t *testing.T) {
	s := storetest.Open(t)
	putNear(t, s, nearItem{"a", nearT0, []string{"b1"}})
	err := s.Update(context.Background(), func(w *store.Writer) error {
		nc, err := w.Near("a")
		if err != nil || nc == nil {
			return fmt.Errorf("Near: %+v, %v", nc, err)
		}
		if want := (store.NearCandidate{Item: "a", Story: "story-a", Published: nearT0, Sig: []byte("sig-a")}); nc.Item != want.Item ||
			nc.Story != want.Story || !nc.Published.Equal(want.Published) || string(nc.Sig) != string(want.Sig) {
			return fmt.Errorf("Near = %+v, want %+v", nc, want)
		}
		if nc, err := w.Near("b"); nc != nil || err != nil {
			return fmt.Errorf("Near of an unknown item: %+v, %v", nc, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPutNearRejects(t *testing.T) {
	s := storetest.Open(t)
	for name, put := range map[string]func(w *store.Writer) error{
		"no item":    func(w *store.Writer) error { return w.PutNear("", "s", nearT0, nil, [][]byte{band("b")}) },
		"no story":   func(w *store.Writer) error { return w.PutNear("a", "", nearT0, nil, [][]byte{band("b")}) },
		"empty band": func(w *store.Writer) error { return w.PutNear("a", "s", nearT0, nil, [][]byte{{}}) },
		"long band":  func(w *store.Writer) error { return w.PutNear("a", "s", nearT0, nil, [][]byte{make([]byte, 256)}) },
	} {
		if err := s.Update(context.Background(), put); err == nil {
			t.Errorf("%s: stored", name)
		}
	}
	if got := lookup(t, s, []string{"b"}, nearT0.Add(-time.Hour), nearT0.Add(time.Hour), 0); len(got) != 0 {
		t.Errorf("a rejected put left %q", got)
	}
}

func TestNearRollsBack(t *testing.T) {
	s := storetest.Open(t)
	boom := errors.New("boom")
	err := s.Update(context.Background(), func(w *store.Writer) error {
		if err := w.PutNear("a", "s", nearT0, nil, [][]byte{band("b")}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := lookup(t, s, []string{"b"}, nearT0.Add(-time.Hour), nearT0.Add(time.Hour), 0); len(got) != 0 {
		t.Errorf("rolled back put left %q", got)
	}
}

// TestNearEdgeTimes: times before 1970 count as 1970, and a window may
// end at the last representable time.
func TestNearEdgeTimes(t *testing.T) {
	s := storetest.Open(t)
	old := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)
	putNear(t, s, nearItem{"old", old, []string{"b"}}, nearItem{"now", nearT0, []string{"b"}})
	end := time.Date(2262, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := lookup(t, s, []string{"b"}, old, end, 0); !slices.Equal(got, []string{"now", "old"}) {
		t.Errorf("got %q", got)
	}
	if got := lookup(t, s, []string{"b"}, time.Unix(0, 0), time.Unix(0, 0), 0); !slices.Equal(got, []string{"old"}) {
		t.Errorf("1970: got %q", got)
	}
}

// TestNearHotBand: a band shared by very many items in one week (a
// template repeated verbatim) returns its newest, and the lookup stays
// bounded.
func TestNearHotBand(t *testing.T) {
	s := storetest.Open(t)
	var items []nearItem
	for i := range 3000 {
		items = append(items, nearItem{fmt.Sprintf("i%04d", i), nearT0.Add(-time.Duration(i) * time.Second), []string{"hot"}})
	}
	putNear(t, s, items...)
	got := lookup(t, s, []string{"hot"}, nearT0.Add(-time.Hour), nearT0, 10)
	want := []string{"i0000", "i0001", "i0002", "i0003", "i0004", "i0005", "i0006", "i0007", "i0008", "i0009"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q", got)
	}
	if all := lookup(t, s, []string{"hot"}, nearT0.Add(-time.Hour), nearT0, 0); len(all) > 1024 || !strings.HasPrefix(all[0], "i0000") {
		t.Errorf("unbounded lookup returned %d items, first %q", len(all), all[0])
	}
}

// TestNearAcrossWeeks: the index is partitioned by week (weeks start on
// Thursday, as 1 January 1970 did); a window finds items on both sides.
func TestNearAcrossWeeks(t *testing.T) {
	s := storetest.Open(t)
	thursday := time.Date(2019, 5, 9, 0, 0, 0, 0, time.UTC)
	putNear(t, s,
		nearItem{"wed", thursday.Add(-time.Nanosecond), []string{"b"}},
		nearItem{"thu", thursday, []string{"b"}},
		nearItem{"prev", thursday.Add(-8 * 24 * time.Hour), []string{"b"}},
	)
	if got := lookup(t, s, []string{"b"}, thursday.Add(-72*time.Hour), thursday.Add(time.Hour), 0); !slices.Equal(got, []string{"thu", "wed"}) {
		t.Errorf("got %q", got)
	}
	if got := lookup(t, s, []string{"b"}, thursday.Add(-30*24*time.Hour), thursday.Add(-time.Nanosecond), 0); !slices.Equal(got, []string{"wed", "prev"}) {
		t.Errorf("got %q", got)
	}
}
