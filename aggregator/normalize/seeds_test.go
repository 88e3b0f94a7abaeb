package normalize

import (
	"os"
	"regexp"
	"testing"

	"github.com/feedloom/feedloom/internal/feedcorpus"
)

// gofeedDocs returns every input feed of gofeed's testdata, for fuzz seeds.
func gofeedDocs(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, p := range feedcorpus.Inputs(tb) {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// gofeedValues returns the distinct values of re's first non-empty
// submatch over gofeed's testdata feeds.
func gofeedValues(tb testing.TB, re *regexp.Regexp) []string {
	tb.Helper()
	seen := make(map[string]bool)
	var out []string
	for _, b := range gofeedDocs(tb) {
		for _, m := range re.FindAllSubmatch(b, -1) {
			for _, v := range m[1:] {
				if s := string(v); s != "" && !seen[s] {
					seen[s] = true
					out = append(out, s)
					break
				}
			}
		}
	}
	return out
}

var (
	linkValue = regexp.MustCompile(`(?:<link>|href="|url="|"url": *")([^<"]{1,300})`)
	dateValue = regexp.MustCompile(`<(?:pubDate|updated|published|modified|issued|created|dc:date|lastBuildDate)>([^<]{1,100})<|"date_(?:published|modified)": *"([^"]{1,100})"`)
)

// gofeedLinks returns the links written in gofeed's testdata feeds.
func gofeedLinks(tb testing.TB) []string { return gofeedValues(tb, linkValue) }

// gofeedDates returns the dates written in gofeed's testdata feeds.
func gofeedDates(tb testing.TB) []string { return gofeedValues(tb, dateValue) }
