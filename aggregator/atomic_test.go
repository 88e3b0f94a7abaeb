package aggregator_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// Case 31: a failure after a poll's items were saved and before the
// source's validators were, in the same transaction, stores neither. The
// next poll is then unconditional (no stale If-None-Match), and it stores
// the items.
func TestFailureBeforeValidatorsRollsBackItems(t *testing.T) {
	var mu sync.Mutex
	var conditional []string
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conditional = append(conditional, r.Header.Get("If-None-Match"))
		mu.Unlock()
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body(undated)(w)
	}))
	defer origin.Close()
	st := storetest.Open(t)
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	src := feedloom.Source{URL: origin.URL}
	agg := newAggregator(st, []feedloom.Source{src}, c)
	ctx := context.Background()

	boom := errors.New("disk on fire")
	var itemsSeen int
	aggregator.SetBeforeValidators(agg, func() error {
		itemsSeen++
		return boom
	})
	if r := agg.Poll(ctx, src); !errors.Is(r.Err, boom) || r.New == 0 {
		t.Fatalf("poll with the failure injected: %v, %d new; want the injected error after the items were saved", r.Err, r.New)
	}
	items, _ := st.Items(ctx, store.ItemQuery{})
	s, _ := st.SourceState(ctx, src.URL)
	if len(items) != 0 || s.ETag != "" || s.LastModified != "" {
		t.Fatalf("after the failure: %d items, ETag %q; want nothing of the poll stored", len(items), s.ETag)
	}
	if s.LastError == "" {
		t.Error("the failure was not recorded on the source")
	}

	aggregator.SetBeforeValidators(agg, nil)
	c.t = c.t.Add(time.Hour)
	if r := agg.Poll(ctx, src); r.Err != nil || r.New != 2 {
		t.Fatalf("next poll: %v, %d new; want the 2 items", r.Err, r.New)
	}
	mu.Lock()
	if len(conditional) != 2 || conditional[1] != "" {
		t.Errorf("If-None-Match of the polls: %q; the one after the failure must be unconditional", conditional)
	}
	mu.Unlock()
	items, _ = st.Items(ctx, store.ItemQuery{})
	s, _ = st.SourceState(ctx, src.URL)
	if len(items) != 2 || s.ETag != `"v1"` {
		t.Errorf("after the retry: %d items, ETag %q; want 2 and \"v1\"", len(items), s.ETag)
	}
	if itemsSeen != 1 {
		t.Errorf("hook ran %d times, want 1", itemsSeen)
	}
}
