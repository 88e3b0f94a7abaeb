package aggregator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/normalize"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// The labeled set in testdata/stories is the yardstick for recognizing the
// same story across outlets: every entry of every feed carries a story
// label, and entries with the same label are the same news. See
// testdata/stories/README.md.

const storiesDir = "testdata/stories"

// Minimums the labeled set must keep (TestStoryDatasetShape).
const (
	minStoryFeeds         = 7
	minStoryLabels        = 35
	minStoryItems         = 90
	minStoryHardNegatives = 12
)

// Thresholds of pairwise "same story" precision and recall.
const (
	minStoryPrecision = 0.98
	minStoryRecall    = 0.90
)

// storyClock is the aggregator's clock: after every entry of the set, so no
// date is clamped.
var storyClock = time.Date(2019, 6, 30, 0, 0, 0, 0, time.UTC)

type storyLabel struct {
	Feed  string `json:"feed"`
	Link  string `json:"link"`
	Story string `json:"story"`
}

type hardNegative struct {
	A   string `json:"a"`
	B   string `json:"b"`
	Why string `json:"why"`
}

type storySet struct {
	Feeds         []string       `json:"feeds"`
	Items         []storyLabel   `json:"items"`
	HardNegatives []hardNegative `json:"hard_negatives"`
}

func loadStorySet(t *testing.T) storySet {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(storiesDir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s storySet
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("labels.json: %v", err)
	}
	return s
}

// labelKey identifies a labeled entry the way the store does: its source
// and its canonical URL.
type labelKey struct{ feed, url string }

// byCanonical maps every labeled entry to its label, failing on links that
// have no canonical form or that two entries of one feed share.
func (s storySet) byCanonical(t *testing.T) map[labelKey]storyLabel {
	t.Helper()
	m := make(map[labelKey]storyLabel, len(s.Items))
	for _, l := range s.Items {
		u := normalize.CanonicalURL(l.Link, nil)
		if u == "" {
			t.Fatalf("labels.json: %s: link %q has no canonical form", l.Feed, l.Link)
		}
		k := labelKey{l.Feed, u}
		if prev, ok := m[k]; ok {
			t.Fatalf("labels.json: %s: %q and %q are the same canonical URL %s", l.Feed, prev.Link, l.Link, u)
		}
		m[k] = l
	}
	return m
}

// parsedFeed is one feed of the set as normalize reads it.
type parsedFeed struct {
	file  string
	title string
	kind  string // gofeed's FeedType: rss, atom, json
	items []feedloom.Item
}

func parseStoryFeed(t *testing.T, file string) parsedFeed {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(storiesDir, file))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := normalize.Parse(b, "")
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	src := feedloom.Source{URL: "file://" + filepath.ToSlash(path)}
	return parsedFeed{
		file:  file,
		title: f.Title,
		kind:  f.FeedType,
		items: normalize.Items(f, src, src.URL, storyClock),
	}
}

func TestStoryDatasetShape(t *testing.T) {
	s := loadStorySet(t)
	labels := s.byCanonical(t)

	if len(s.Feeds) < minStoryFeeds {
		t.Errorf("%d feeds, want at least %d", len(s.Feeds), minStoryFeeds)
	}
	if len(s.Items) < minStoryItems {
		t.Errorf("%d labeled items, want at least %d", len(s.Items), minStoryItems)
	}
	stories := map[string]int{}
	for _, l := range s.Items {
		if l.Story == "" {
			t.Errorf("labels.json: %s %s: empty story label", l.Feed, l.Link)
		}
		if !slices.Contains(s.Feeds, l.Feed) {
			t.Errorf("labels.json: item %s names feed %q, not in feeds", l.Link, l.Feed)
		}
		stories[l.Story]++
	}
	if len(stories) < minStoryLabels {
		t.Errorf("%d story labels, want at least %d", len(stories), minStoryLabels)
	}
	multi := 0
	for _, n := range stories {
		if n > 1 {
			multi++
		}
	}
	if multi < len(stories)/2 {
		t.Errorf("only %d of %d stories are carried by more than one outlet", multi, len(stories))
	}

	// Hard negatives: pairs of different stories that share people, place
	// or topic. Both must be labels of the set.
	if len(s.HardNegatives) < minStoryHardNegatives {
		t.Errorf("%d hard negatives, want at least %d", len(s.HardNegatives), minStoryHardNegatives)
	}
	for _, h := range s.HardNegatives {
		if h.A == h.B || stories[h.A] == 0 || stories[h.B] == 0 || h.Why == "" {
			t.Errorf("hard negative %q / %q: both must be distinct labels of the set, with a reason", h.A, h.B)
		}
	}

	// Every feed parses, every entry is labeled, every label is an entry.
	// A canonical URL belongs to one feed only: exact URL dedup must not
	// be able to do the work.
	kinds := map[string]bool{}
	seen := map[labelKey]bool{}
	urlFeed := map[string]string{}
	for _, file := range s.Feeds {
		f := parseStoryFeed(t, file)
		kinds[f.kind] = true
		if f.title == "" {
			t.Errorf("%s: the feed has no title (it names the outlet)", file)
		}
		if len(f.items) == 0 {
			t.Errorf("%s: no entries", file)
		}
		for _, it := range f.items {
			k := labelKey{file, it.URL}
			if _, ok := labels[k]; !ok {
				t.Errorf("%s: entry %q (%s) has no label", file, it.Title, it.URL)
			}
			if seen[k] {
				t.Errorf("%s: two entries with the canonical URL %s", file, it.URL)
			}
			seen[k] = true
			if other, ok := urlFeed[it.URL]; ok && other != file {
				t.Errorf("%s and %s both carry the URL %s", other, file, it.URL)
			}
			urlFeed[it.URL] = file
			if it.Published.IsZero() || it.Published.After(storyClock) {
				t.Errorf("%s: entry %q: published %v, want a date before %v", file, it.Title, it.Published, storyClock)
			}
			if it.Title == "" || it.Text == "" {
				t.Errorf("%s: entry %s has no title or no text", file, it.URL)
			}
		}
	}
	for k, l := range labels {
		if !seen[k] && slices.Contains(s.Feeds, l.Feed) {
			t.Errorf("labels.json: %s %s (%s): no such entry in the feed", l.Feed, l.Link, l.Story)
		}
	}
	for _, kind := range []string{"rss", "atom", "json"} {
		if !kinds[kind] {
			t.Errorf("no %s feed in the set", kind)
		}
	}
	t.Logf("%d feeds (%d formats), %d items, %d stories (%d carried by several outlets), %d hard negatives",
		len(s.Feeds), len(kinds), len(s.Items), len(stories), multi, len(s.HardNegatives))
}

func TestStoryClustering(t *testing.T) {
	s := loadStorySet(t)
	t.Run("forward", func(t *testing.T) { checkStoryClustering(t, s, s.Feeds) })
	reversed := slices.Clone(s.Feeds)
	slices.Reverse(reversed)
	t.Run("reverse", func(t *testing.T) { checkStoryClustering(t, s, reversed) })
}

// checkStoryClustering polls the feeds in order into a fresh store and
// scores the stories it formed against the labels.
func checkStoryClustering(t *testing.T, s storySet, order []string) {
	labels := s.byCanonical(t)
	dir := t.TempDir()
	sources := make([]feedloom.Source, 0, len(order))
	sourceFeed := map[string]string{} // source URL -> feed file
	for _, file := range order {
		b, err := os.ReadFile(filepath.Join(storiesDir, file))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			t.Fatal(err)
		}
		name := parseStoryFeed(t, file).title
		src := feedloom.Source{URL: "file://" + filepath.ToSlash(abs), Name: name}
		sources = append(sources, src)
		sourceFeed[src.URL] = file
	}

	st := storetest.Open(t)
	agg := aggregator.New(st, sources, aggregator.Options{
		Workers: 1,
		Cluster: true,
		Now:     func() time.Time { return storyClock },
	})
	ctx := context.Background()
	for _, src := range sources {
		if r := agg.Poll(ctx, src); r.Err != nil {
			t.Fatalf("poll %s: %v", sourceFeed[src.URL], r.Err)
		}
	}
	items, err := st.Items(ctx, store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}

	// Map every stored item back to its label; no labeled item may be lost.
	var got []scoredItem
	found := map[labelKey]bool{}
	for _, it := range items {
		feed := sourceFeed[it.Source]
		k := labelKey{feed, it.URL}
		l, ok := labels[k]
		if !ok {
			t.Errorf("stored item %q from %s (%s) has no label", it.Title, feed, it.URL)
			continue
		}
		if found[k] {
			t.Errorf("%s %s stored twice", feed, it.URL)
			continue
		}
		found[k] = true
		got = append(got, scoredItem{item: it, feed: feed, label: l.Story})
	}
	for k, l := range labels {
		if !found[k] {
			t.Errorf("lost: %s %s (story %s) is not in the store", l.Feed, l.Link, l.Story)
		}
	}
	sort.Slice(got, func(i, j int) bool {
		if got[i].label != got[j].label {
			return got[i].label < got[j].label
		}
		return got[i].item.Published.Before(got[j].item.Published)
	})

	sc := scoreStories(got)
	t.Logf("polled in order %v", order)
	t.Logf("%d items, %d labels, %d predicted stories", len(got), sc.labels, sc.predicted)
	t.Logf("precision %.4f, recall %.4f (pairs: TP %d, FP %d, FN %d)", sc.precision(), sc.recall(), sc.tp, len(sc.fp), len(sc.fn))
	for _, p := range sc.fp {
		t.Logf("false positive (merged, different stories %s / %s):\n\t%s\n\t%s", p[0].label, p[1].label, p[0], p[1])
	}
	for _, p := range sc.fn {
		t.Logf("false negative (split, story %s):\n\t%s\n\t%s", p[0].label, p[0], p[1])
	}
	for _, h := range s.HardNegatives {
		if sc.merged[[2]string{h.A, h.B}] || sc.merged[[2]string{h.B, h.A}] {
			t.Logf("hard negative merged: %s / %s (%s)", h.A, h.B, h.Why)
		}
	}
	if p := sc.precision(); p < minStoryPrecision {
		t.Errorf("precision %.4f < %.2f: %d pairs of different stories merged", p, minStoryPrecision, len(sc.fp))
	}
	if r := sc.recall(); r < minStoryRecall {
		t.Errorf("recall %.4f < %.2f: %d pairs of the same story not merged", r, minStoryRecall, len(sc.fn))
	}
}

type scoredItem struct {
	item  feedloom.Item
	feed  string
	label string
}

func (s scoredItem) String() string {
	return fmt.Sprintf("%q [%s, %s, %s]", s.item.Title, s.item.SourceName, s.feed, s.item.Published.UTC().Format(time.RFC3339))
}

type storyScore struct {
	tp        int
	fp, fn    [][2]scoredItem
	merged    map[[2]string]bool // label pairs with at least one false-positive pair
	labels    int
	predicted int
}

// scoreStories counts pairs of items: predicted same story (same
// Item.Story) against labeled same story.
func scoreStories(items []scoredItem) storyScore {
	sc := storyScore{merged: map[[2]string]bool{}}
	labels, stories := map[string]bool{}, map[string]bool{}
	for i, a := range items {
		labels[a.label] = true
		stories[a.item.Story] = true
		for _, b := range items[i+1:] {
			same, truth := a.item.Story == b.item.Story, a.label == b.label
			switch {
			case same && truth:
				sc.tp++
			case same:
				sc.fp = append(sc.fp, [2]scoredItem{a, b})
				sc.merged[[2]string{a.label, b.label}] = true
			case truth:
				sc.fn = append(sc.fn, [2]scoredItem{a, b})
			}
		}
	}
	sc.labels, sc.predicted = len(labels), len(stories)
	return sc
}

// precision is 1 when nothing was merged: no pair was wrongly merged.
func (sc storyScore) precision() float64 {
	if sc.tp+len(sc.fp) == 0 {
		return 1
	}
	return float64(sc.tp) / float64(sc.tp+len(sc.fp))
}

func (sc storyScore) recall() float64 {
	if sc.tp+len(sc.fn) == 0 {
		return 1
	}
	return float64(sc.tp) / float64(sc.tp+len(sc.fn))
}
