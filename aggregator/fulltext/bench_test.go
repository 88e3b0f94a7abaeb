package fulltext_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/feedloom/feedloom/aggregator/fulltext"
)

// benchPage is the fixture grown to the size of a real news page (about
// 160 KB): its comments repeated 250 times below the article.
func benchPage(b *testing.B) []byte {
	page := string(readFixture(b))
	start, end := strings.Index(page, `<div class="comment">`), strings.Index(page, `<form class="comment-form">`)
	if start < 0 || end < start {
		b.Fatal("fixture has no comments")
	}
	return []byte(page[:start] + strings.Repeat(page[start:end], 250) + page[start:])
}

// BenchmarkExtract measures extracting the article from one page. Each
// iteration also parses the same page into a DOM (the first step of
// Extract), the baseline; the two alternate so that a busy machine slows
// both alike, and x-parse is the ratio of their total times.
func BenchmarkExtract(b *testing.B) {
	page := benchPage(b)
	for name, sel := range map[string]string{"readability": "", "selector": "article .story-body"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(page)))
			var parse, extract time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := html.Parse(bytes.NewReader(page)); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := fulltext.Extract(page, "text/html; charset=utf-8", pageURL, sel); err != nil {
					b.Fatal(err)
				}
				parse, extract = parse+t1.Sub(t0), extract+time.Since(t1)
			}
			b.ReportMetric(float64(extract)/float64(parse), "x-parse")
			b.ReportMetric(float64(extract.Microseconds())/float64(b.N), "extract-µs/op")
		})
	}
}
