package normalize

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/mmcdole/gofeed"
)

// The benchmarks share one realistic document: 50 news items of about 4 KB
// of HTML each (paragraphs, links with tracking parameters, a figure with
// srcset, quotes, the odd script and onclick), 213 KiB in all.
//
// BenchmarkGofeedParse is the baseline: gofeed alone. BenchmarkParse adds
// charset handling and the pre-scan; BenchmarkItems is normalization of the
// parsed feed; BenchmarkParseItems is the whole path the aggregator takes.
// The cost of normalization is BenchmarkParseItems / BenchmarkGofeedParse.

const benchFeedURL = "https://daily.example.com/world/rss.xml"

func benchDoc(b *testing.B) []byte {
	b.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", "bench", "news50.xml"))
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

func BenchmarkGofeedParse(b *testing.B) {
	doc := benchDoc(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := gofeed.NewParser().Parse(bytes.NewReader(doc))
		if err != nil || len(f.Items) != 50 {
			b.Fatalf("gofeed: %d items, %v", len(f.Items), err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	doc := benchDoc(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(doc, "application/rss+xml; charset=utf-8")
		if err != nil || len(f.Items) != 50 {
			b.Fatalf("Parse: %d items, %v", len(f.Items), err)
		}
	}
}

func BenchmarkItems(b *testing.B) {
	doc := benchDoc(b)
	f, err := Parse(doc, "application/rss+xml; charset=utf-8")
	if err != nil {
		b.Fatal(err)
	}
	src := feedloom.Source{URL: benchFeedURL}
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if items := Items(f, src, benchFeedURL, now); len(items) != 50 {
			b.Fatalf("%d items, want 50", len(items))
		}
	}
}

func BenchmarkParseItems(b *testing.B) {
	doc := benchDoc(b)
	src := feedloom.Source{URL: benchFeedURL}
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(doc, "application/rss+xml; charset=utf-8")
		if err != nil {
			b.Fatal(err)
		}
		if items := Items(f, src, benchFeedURL, now); len(items) != 50 {
			b.Fatalf("%d items, want 50", len(items))
		}
	}
}
