package aggregator_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/store/storetest"
)

// TestLavrovOneStory feeds the TASS original and the defapress repost
// (page chrome around it, the title glued to the body) through the whole
// pipeline, in both orders: one story, both outlets, and the repost's
// republished content free of chrome and of the repeated title.
func TestLavrovOneStory(t *testing.T) {
	const title = "Moscow Views Deployment of US Missile Defense in Japan as Threat"
	chrome := []string{"News ID", "Publish Date", "Message end/", "your comment"}
	for name, order := range map[string][]string{
		"original first": {"tass.xml", "defapress.xml"},
		"repost first":   {"defapress.xml", "tass.xml"},
	} {
		t.Run(name, func(t *testing.T) {
			st := storetest.Open(t)
			var srcs []feedloom.Source
			for _, f := range order {
				abs, err := filepath.Abs(filepath.Join("testdata", "stories", f))
				if err != nil {
					t.Fatal(err)
				}
				srcs = append(srcs, feedloom.Source{URL: "file://" + abs})
			}
			agg := aggregator.New(st, srcs, aggregator.Options{
				Cluster:  true,
				Now:      func() time.Time { return time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC) },
				Classify: func(*feedloom.Item, feedloom.Source) []string { return []string{"all"} },
			})
			ctx := context.Background()
			for _, src := range srcs {
				if r := agg.Poll(ctx, src); r.Err != nil {
					t.Fatal(r.Err)
				}
			}
			es, err := st.TopicEntries(ctx, "all", 0)
			if err != nil {
				t.Fatal(err)
			}
			var found []feedloom.Entry
			for _, e := range es {
				for _, it := range e.Items {
					if it.Title == title {
						found = append(found, e)
						break
					}
				}
			}
			if len(found) != 1 {
				t.Fatalf("the Lavrov story is in %d entries, want 1", len(found))
			}
			e := found[0]
			if len(e.Items) != 2 || e.Items[0].Source == e.Items[1].Source {
				t.Fatalf("the story has %d members, want one from each outlet", len(e.Items))
			}
			for _, it := range e.Items {
				for _, field := range []string{it.Summary, it.Content, it.Text} {
					for _, c := range chrome {
						if strings.Contains(field, c) {
							t.Errorf("%s: %q left in %q", it.Source, c, field)
						}
					}
					if strings.Contains(field, title) {
						t.Errorf("%s: the title is still repeated in the body: %q", it.Source, field)
					}
				}
				if strings.TrimSpace(it.Text) == "" {
					t.Errorf("%s: cleaning emptied the item", it.Source)
				}
			}
		})
	}
}
