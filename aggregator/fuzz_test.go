package aggregator_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/normalize"
	"github.com/feedloom/feedloom/internal/feedcorpus"
	"github.com/feedloom/feedloom/internal/htmlcheck"
	"github.com/feedloom/feedloom/publisher"
)

// FuzzIngest runs bytes through the whole ingest path short of the store:
// Parse (charset, repair, the depth and item scan, gofeed under recover),
// Items (keys, canonical URLs, sanitizing, plain text), then the publisher
// renders the items as RSS, Atom, JSON Feed and HTML and gofeed reads the
// feeds back. Invariants: nothing panics; Parse's errors match
// normalize.ErrParse; every stored string is valid UTF-8; every link and
// enclosure is absolute http(s); sanitizing is idempotent (S(S(x)) ==
// S(x)); the outputs pass renderChecked (well-formed, re-parsed with one
// entry per item and the same ids, HTML safe by htmlcheck).
//
// Not checked: miniflux's "no more tokens out than in". Parsing as a
// browser does inserts what HTML implies (tbody, end tags), so feedloom's
// sanitizer may emit more tokens than it was given, by design.
//
// Seeds: every input feed of gofeed's testdata, feedloom's own fixtures,
// the XSS corpus in each format, and the documents of the hostile tests.
func FuzzIngest(f *testing.F) {
	for _, path := range feedcorpus.Inputs(f) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
	}
	fixtures, err := filepath.Glob(filepath.Join("normalize", "testdata", "feeds", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range fixtures {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "application/xml; charset=windows-1251")
	}
	for _, html := range readXSSCorpus(f) {
		cdata := strings.ReplaceAll(html, "]]>", "]]]]><![CDATA[>")
		f.Add([]byte(`<rss version="2.0"><channel><title>x</title><item><link>/a</link><description><![CDATA[`+cdata+`]]></description></item></channel></rss>`), "")
		f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://x.example/b/"><entry><id>1</id><link href="c"/><content type="html"><![CDATA[`+cdata+`]]></content></entry></feed>`), "")
	}
	for _, s := range []string{
		`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"1"},null]}`,
		`<rss version="2.0" xmlns:x="urn:x"><channel><item>` + strings.Repeat("<x:a>", 600) + `</item></channel></rss>`,
		`<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:alert(1)//"><entry><link href="x"/><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div></title></entry></feed>`,
		"<rss version=\"2.0\"><channel><item><title>a\x00&#xD800;&#0;b</title><guid>g</guid></item><item><guid>g</guid></item></channel></rss>",
		`<?xml version="1.0" encoding="x-no-such-charset"?><rss/>`,
		`<!-- ` + strings.Repeat("x", 5000) + ` --><rss version="2.0"><channel><item><title>late root</title></item></channel></rss>`,
	} {
		f.Add([]byte(s), "")
	}

	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	src := feedloom.Source{URL: "https://fuzz.example/feed"}
	topics := []feedloom.Topic{{Name: "all", Title: "All", Limit: pipelineLimit}}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		feed, err := normalize.Parse(body, contentType)
		if err != nil {
			if !errors.Is(err, normalize.ErrParse) || normalize.Kind(err) == "" {
				t.Fatalf("Parse error %v has no kind", err)
			}
			return
		}
		items := normalize.Items(feed, src, src.URL, now)
		for i := range items {
			checkFuzzedItem(t, &items[i])
		}
		st := memStore(items)
		pub := publisher.New(st, publisher.Options{BaseURL: pipelineBase, Topics: topics})
		if _, err := renderChecked(context.Background(), st, pub, "all"); err != nil {
			t.Fatal(err)
		}
	})
}

func checkFuzzedItem(t *testing.T, it *feedloom.Item) {
	t.Helper()
	strs := append([]string{it.Title, it.Summary, it.Content, it.Text, it.GUID, it.URL, it.SourceName}, append(it.Authors, it.Categories...)...)
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Fatalf("item %s: %q is not valid UTF-8", it.ID, s)
		}
	}
	urls := []string{it.URL}
	for _, e := range it.Enclosures {
		urls = append(urls, e.URL)
	}
	for _, u := range urls {
		if u != "" && (htmlcheck.URL(u) != nil || strings.HasPrefix(u, "mailto:")) {
			t.Fatalf("item %s: URL %q is not absolute http(s)", it.ID, u)
		}
	}
	for what, h := range map[string]string{"summary": it.Summary, "content": it.Content} {
		if again := normalize.Sanitize(h, nil); again != h {
			t.Fatalf("item %s: sanitizing the %s again changes it:\n once: %s\ntwice: %s", it.ID, what, h, again)
		}
	}
}

// memStore is a publisher.Store of items, each its own story, filed under
// "all".
type memStore []feedloom.Item

func (m memStore) TopicEntries(ctx context.Context, topic string, limit int) ([]feedloom.Entry, error) {
	var out []feedloom.Entry
	for _, it := range m {
		published := it.Published
		if published.IsZero() {
			published = it.FirstSeen
		}
		it.Published = published
		if it.Updated.IsZero() {
			it.Updated = published
		}
		it.Story = it.ID
		out = append(out, feedloom.Entry{
			Story: feedloom.Story{ID: it.ID, Published: published, Updated: it.Updated, Items: []string{it.ID}, Topics: []string{"all"}},
			Items: []feedloom.Item{it},
		})
	}
	slices.SortFunc(out, func(a, b feedloom.Entry) int { return b.Story.Published.Compare(a.Story.Published) })
	return out[:min(limit, len(out))], nil
}

func (m memStore) TopicVersion(ctx context.Context, topic string) (uint64, error) { return 1, nil }
