package clean

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/normalize"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// pollTime is the poll time of every fixture.
var pollTime = time.Date(2019, 5, 12, 12, 0, 0, 0, time.UTC)

// feeds are the fixture feeds: this package's testdata, and normalize's
// defapress and TASS feeds.
var feeds = map[string]string{
	"defapress.xml":      filepath.Join("..", "normalize", "testdata", "feeds", "defapress.xml"),
	"tass.xml":           filepath.Join("..", "normalize", "testdata", "feeds", "tass.xml"),
	"defapress-poll.xml": filepath.Join("testdata", "defapress-poll.xml"),
	"legal.xml":          filepath.Join("testdata", "legal.xml"),
	"running-story.xml":  filepath.Join("testdata", "running-story.xml"),
}

// load parses and normalizes a fixture feed as the aggregator does.
func load(tb testing.TB, name string) []feedloom.Item {
	tb.Helper()
	path, ok := feeds[name]
	if !ok {
		tb.Fatalf("no fixture %s", name)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	f, err := normalize.Parse(body, "application/rss+xml; charset=utf-8")
	if err != nil {
		tb.Fatal(err)
	}
	src := feedloom.Source{URL: "https://feeds.example/" + name}
	return normalize.Items(f, src, src.URL, pollTime)
}

// learned returns the items of a fixture, learned by a new model and
// cleaned by it, with the model.
func learned(tb testing.TB, name string) (before, after []feedloom.Item, m *Model) {
	tb.Helper()
	before = load(tb, name)
	after = load(tb, name)
	m = new(Model)
	m.Learn(before)
	for i := range after {
		m.Clean(&after[i])
	}
	return before, after, m
}

func parseForTest(tb testing.TB, s string) *html.Node {
	tb.Helper()
	root := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), root)
	if err != nil {
		tb.Fatal(err)
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	return root
}
