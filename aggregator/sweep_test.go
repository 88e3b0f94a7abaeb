package aggregator_test

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/internal/feedcorpus"
	"github.com/feedloom/feedloom/publisher"
	"github.com/feedloom/feedloom/store/storetest"
	"github.com/mmcdole/gofeed"
)

// TestGofeedTestdataSweep runs every input feed of gofeed's testdata (about
// 560 documents, from the module cache) through the whole pipeline: Ingest
// into a real bbolt store, each file as a source filed under a topic of its
// own, then the topic rendered as RSS, Atom, JSON Feed and HTML and checked
// by renderChecked (well-formed, re-parsed with the stored stories' ids,
// HTML safe, URLs absolute). Nothing may crash, fail to store or fail to
// render; a document may be refused only by the parse guard. The test
// logs how many files produced items and why the others did not.
func TestGofeedTestdataSweep(t *testing.T) {
	root := feedcorpus.Dir(t)
	inputs := feedcorpus.Inputs(t)
	var (
		srcs    []feedloom.Source
		topics  []feedloom.Topic
		topicOf = map[string]string{}
	)
	for i, path := range inputs {
		rel, err := filepath.Rel(root, path)
		if err != nil {
			t.Fatal(err)
		}
		src := feedloom.Source{URL: "https://sweep.example/" + filepath.ToSlash(rel)}
		srcs = append(srcs, src)
		name := fmt.Sprintf("f%03d", i)
		topics = append(topics, feedloom.Topic{Name: name, Limit: pipelineLimit})
		topicOf[src.URL] = name
	}
	st := storetest.Open(t)
	agg := aggregator.New(st, srcs, aggregator.Options{
		Now:      func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		Classify: func(_ *feedloom.Item, src feedloom.Source) []string { return []string{topicOf[src.URL]} },
	})
	pub := publisher.New(st, publisher.Options{BaseURL: pipelineBase, Topics: topics})

	reasons := map[string][]string{}
	produced, items := 0, 0
	for i, path := range inputs {
		src := srcs[i]
		rel := strings.TrimPrefix(src.URL, "https://sweep.example/")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		res, err := agg.Ingest(t.Context(), src, b, "", src.URL)
		if err != nil {
			class := aggregator.ErrorClass(err)
			if !strings.HasPrefix(class, "parse/") {
				t.Errorf("%s: %v (class %s): only the parse guard may refuse a document", rel, err, class)
			}
			reasons["refused: "+class] = append(reasons["refused: "+class], rel)
			continue
		}
		r, err := renderChecked(t.Context(), st, pub, topicOf[src.URL])
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if n := res.New + res.Updated + res.Unchanged; n > 0 {
			produced++
			items += n
			if len(r.entries) == 0 {
				t.Errorf("%s: %d items stored, none published", rel, n)
			}
			continue
		}
		reasons[noItemsReason(b)] = append(reasons[noItemsReason(b)], rel)
	}
	t.Logf("gofeed testdata sweep: %d input feeds; %d produced items (%d items in all)", len(inputs), produced, items)
	for _, why := range slices.Sorted(maps.Keys(reasons)) {
		files := reasons[why]
		t.Logf("  %3d %s, e.g. %s", len(files), why, strings.Join(files[:min(3, len(files))], ", "))
	}
	if produced < len(inputs)/4 {
		t.Errorf("only %d of %d files produced items: the sweep is not exercising the pipeline", produced, len(inputs))
	}
}

// noItemsReason says why a document parsed without error gave no items:
// gofeed itself finds no entries (most of gofeed's fixtures test channel
// fields), or it finds entries feedloom dropped.
func noItemsReason(doc []byte) string {
	f, err := gofeed.NewParser().Parse(bytes.NewReader(doc))
	switch {
	case err != nil:
		return "no items: gofeed alone fails: " + err.Error()
	case len(f.Items) == 0:
		return "no items: the document has no entries (a fixture of feed-level fields)"
	}
	return fmt.Sprintf("no items: gofeed finds %d entries, feedloom keeps none", len(f.Items))
}
