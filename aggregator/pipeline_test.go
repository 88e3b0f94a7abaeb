package aggregator_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/internal/htmlcheck"
	"github.com/feedloom/feedloom/publisher"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	jsonfeed "github.com/mmcdole/gofeed/json"
)

// A pipeline is the whole path a document takes: Ingest into a store (a
// real bbolt file), the items filed under the topic "all", then the
// publisher renders that topic as RSS, Atom, JSON Feed and HTML.
type pipeline struct {
	st  *store.Store
	agg *aggregator.Aggregator
	pub *publisher.Server
	now time.Time
}

const pipelineBase = "https://loom.example/"

// pipelineLimit is the topic's entry limit: high enough to publish every
// item of a test.
const pipelineLimit = 10_000

func newPipeline(st *store.Store, srcs []feedloom.Source, now time.Time) *pipeline {
	return &pipeline{
		st: st,
		agg: aggregator.New(st, srcs, aggregator.Options{
			Now:      func() time.Time { return now },
			Classify: func(*feedloom.Item, feedloom.Source) []string { return []string{"all"} },
		}),
		pub: publisher.New(st, publisher.Options{BaseURL: pipelineBase,
			Topics: []feedloom.Topic{{Name: "all", Title: "All", Limit: pipelineLimit}}}),
		now: now,
	}
}

// rendered is what the pipeline published, each feed as gofeed reads it
// back.
type rendered struct {
	raw     map[publisher.Format][]byte
	feeds   map[publisher.Format]*gofeed.Feed
	entries []feedloom.Entry
}

var feedFormats = []publisher.Format{publisher.RSS, publisher.Atom, publisher.JSON}

// render renders the topic in every format and returns the first way the
// output breaks the content guard's promises, or nil: RSS and Atom are
// well-formed XML; every feed re-parses with gofeed with one entry per
// stored story and the stories' IDs; every piece of HTML in a feed
// (description, content, content_html) and the HTML page pass htmlcheck;
// every link and enclosure URL is absolute http(s).
func (p *pipeline) render(ctx context.Context) (*rendered, error) {
	return renderChecked(ctx, p.st, p.pub, "all")
}

// renderChecked is pipeline.render for topic of any store pub publishes.
func renderChecked(ctx context.Context, st publisher.Store, pub *publisher.Server, topic string) (*rendered, error) {
	r := &rendered{raw: map[publisher.Format][]byte{}, feeds: map[publisher.Format]*gofeed.Feed{}}
	var err error
	if r.entries, err = st.TopicEntries(ctx, topic, pipelineLimit); err != nil {
		return nil, err
	}
	var ids []string
	for i := range r.entries {
		ids = append(ids, r.entries[i].Story.EntryID())
	}
	slices.Sort(ids)
	for _, f := range append(feedFormats, publisher.HTML) {
		rd, err := pub.Render(ctx, topic, f)
		if err != nil {
			return nil, fmt.Errorf("render %v: %w", f, err)
		}
		r.raw[f] = rd.Body
	}
	if err := htmlcheck.Page(string(r.raw[publisher.HTML]), pipelineBase); err != nil {
		return r, fmt.Errorf("HTML page: %w", err)
	}
	for _, f := range feedFormats {
		name := map[publisher.Format]string{publisher.RSS: "RSS", publisher.Atom: "Atom", publisher.JSON: "JSON"}[f]
		if f != publisher.JSON {
			if err := wellFormed(r.raw[f]); err != nil {
				return r, fmt.Errorf("%s is not well-formed XML: %w", name, err)
			}
		}
		gp := gofeed.NewParser()
		gp.KeepOriginalFeed = true
		feed, err := gp.Parse(bytes.NewReader(r.raw[f]))
		if err != nil {
			return r, fmt.Errorf("%s does not re-parse: %w", name, err)
		}
		r.feeds[f] = feed
		var got []string
		for i, it := range feed.Items {
			id := it.GUID
			textDescription, textContent, err := plainText(feed, r.raw[f], i)
			if err != nil {
				return r, fmt.Errorf("%s: %w", name, err)
			}
			if err := checkPublishedItem(it, textDescription, textContent); err != nil {
				return r, fmt.Errorf("%s item %s: %w", name, id, err)
			}
			got = append(got, id)
		}
		slices.Sort(got)
		if !slices.Equal(got, ids) {
			return r, fmt.Errorf("%s re-parses with ids %v, want the %d stories' %v", name, got, len(ids), ids)
		}
	}
	return r, nil
}

// plainText reports which of entry i's description and content its feed
// declares plain text: a JSON Feed summary (plain text by the spec) and
// content_text without content_html, an Atom summary or content of type
// "text" (the default). Text such as "<P>" is what those should hold, not
// HTML to judge. gofeed keeps no type for Atom summaries, so raw, the Atom
// document, is read again for them.
func plainText(feed *gofeed.Feed, raw []byte, i int) (description, content bool, err error) {
	switch orig := feed.OriginalFeed().(type) {
	case *jsonfeed.Feed:
		return true, orig.Items[i].ContentHTML == "", nil
	case *atom.Feed:
		var doc struct {
			Entries []struct {
				Summary *struct {
					Type string `xml:"type,attr"`
				} `xml:"http://www.w3.org/2005/Atom summary"`
				Content *struct {
					Type string `xml:"type,attr"`
				} `xml:"http://www.w3.org/2005/Atom content"`
			} `xml:"http://www.w3.org/2005/Atom entry"`
		}
		if err := xml.Unmarshal(raw, &doc); err != nil {
			return false, false, err
		}
		e := doc.Entries[i]
		return e.Summary != nil && (e.Summary.Type == "" || e.Summary.Type == "text"),
			e.Content != nil && (e.Content.Type == "" || e.Content.Type == "text"), nil
	}
	return false, false, nil
}

// checkPublishedItem checks one entry of a rendered feed as gofeed read it;
// textDescription and textContent say which of the two are plain text.
func checkPublishedItem(it *gofeed.Item, textDescription, textContent bool) error {
	html := map[string]string{"description": it.Description, "content": it.Content}
	if textDescription {
		delete(html, "description")
	}
	if textContent {
		delete(html, "content")
	}
	for what, s := range html {
		if err := htmlcheck.Fragment(s); err != nil {
			return fmt.Errorf("%s: %w\n%s", what, err, s)
		}
	}
	urls := slices.Clone(it.Links)
	for _, e := range it.Enclosures {
		urls = append(urls, e.URL)
	}
	for _, u := range urls {
		if err := htmlcheck.URL(u); err != nil || strings.HasPrefix(u, "mailto:") {
			return fmt.Errorf("link %q: not absolute http(s)", u)
		}
	}
	return nil
}

// wellFormed reads b with encoding/xml in strict mode.
func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// TestPipelineXSS (threat case 27) sends the XSS corpus through every
// place a feed carries HTML (RSS description and content:encoded, Atom
// content and summary, JSON Feed content_html) and checks, by tokenizing,
// every output: the RSS, Atom and JSON feeds' HTML and the HTML page carry
// no script, style, iframe, object, embed, form, base, meta or svg
// element, no on* attribute, only absolute http(s) and mailto URLs, and
// rel="nofollow noopener noreferrer" on every link to elsewhere.
func TestPipelineXSS(t *testing.T) {
	corpus := readXSSCorpus(t)
	src := feedloom.Source{URL: "https://hostile.example/feed"}
	p := newPipeline(storetest.Open(t), []feedloom.Source{src}, time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC))
	var rss, atom, jsonItems strings.Builder
	i := 0
	for name, html := range corpus {
		i++
		cdata := strings.ReplaceAll(html, "]]>", "]]]]><![CDATA[>")
		fmt.Fprintf(&rss, `<item><guid>r%d</guid><title>%s</title><link>https://hostile.example/r/%d</link><description><![CDATA[%s]]></description><content:encoded><![CDATA[<p>%s</p>%s]]></content:encoded></item>`,
			i, name, i, cdata, name, cdata)
		fmt.Fprintf(&atom, `<entry><id>urn:a%d</id><title>%s</title><link href="/a/%d"/><updated>2024-05-01T00:00:00Z</updated><summary type="html"><![CDATA[%s]]></summary><content type="html"><![CDATA[<p>%s</p>%s]]></content></entry>`,
			i, name, i, cdata, name, cdata)
		if jsonItems.Len() > 0 {
			jsonItems.WriteByte(',')
		}
		fmt.Fprintf(&jsonItems, `{"id":"j%d","title":%q,"url":"https://hostile.example/j/%d","content_html":%q}`, i, name, i, "<p>"+name+"</p>"+html)
	}
	docs := map[string]string{
		"rss":  `<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>x</title>` + rss.String() + `</channel></rss>`,
		"atom": `<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>` + atom.String() + `</feed>`,
		"json": `{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[` + jsonItems.String() + `]}`,
	}
	for name, doc := range docs {
		if _, err := p.agg.Ingest(t.Context(), src, []byte(doc), "", src.URL); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	r, err := p.render(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * len(corpus); len(r.entries) != want {
		t.Fatalf("%d entries published, want %d", len(r.entries), want)
	}
	// The checks above would pass on empty output: the corpus' harmless
	// text must have come through.
	for _, f := range feedFormats {
		if !strings.Contains(string(r.raw[f]), "javascript-casings") {
			t.Errorf("%v output lacks the corpus' text", f)
		}
	}
}

// TestPipelineHostileMetadata (threat cases 28 and 23) puts markup and
// non-http(s) URLs where feeds carry metadata and control characters in
// the text: links and enclosures are dropped unless absolute http(s)
// (relative ones resolve against the fetched URL, never against a
// javascript: or data: xml:base); titles, authors and categories are plain
// text, escaped on output; the rendered feeds are well-formed and re-parse.
func TestPipelineHostileMetadata(t *testing.T) {
	const evil = `"><img src=x onerror=alert(1)>`
	docs := map[string]string{
		"rss": `<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>` + xmlText(evil) + `</title>
<item><guid>1</guid><title>javascript link</title><link>javascript:alert(1)</link></item>
<item><guid>2</guid><title>` + xmlText(evil) + `</title><link>https://hostile.example/2</link><dc:creator>` + xmlText(evil) + `</dc:creator>
<category>` + xmlText("<b>bold</b><script>alert(1)</script>") + `</category><enclosure url="javascript:alert(1)" length="1" type="audio/mpeg"/>
<enclosure url="data:text/html,&lt;script&gt;" length="1" type="text/html"/></item>
<item><guid>3</guid><title>controls a` + "\x00b\x08c\uFFFE" + `d&#xD800;e&#0;f</title><link>https://hostile.example/3</link><description>x&#x1;y</description></item>
</channel></rss>`,
		"atom": `<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:alert(1)//"><title>t</title>
<entry><id>urn:e1</id><title>relative under javascript base</title><link href="/x"/><updated>2024-05-01T00:00:00Z</updated></entry>
<entry xml:base="data:text/html,x"><id>urn:e2</id><title>relative under data base</title><link href="rel"/><updated>2024-05-01T00:00:00Z</updated>
<content type="html">&lt;a href="y"&gt;y&lt;/a&gt;&lt;img src="z.png"&gt;</content></entry>
<entry><id>urn:e3</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X<script>alert(1)</script><b>Y</b></div></title>
<author><name>` + xmlText(evil) + `</name></author><link href="https://hostile.example/e3"/><updated>2024-05-01T00:00:00Z</updated></entry>
</feed>`,
	}
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			src := feedloom.Source{URL: "https://hostile.example/" + name}
			p := newPipeline(storetest.Open(t), []feedloom.Source{src}, now)
			if _, err := p.agg.Ingest(t.Context(), src, []byte(doc), "", src.URL); err != nil {
				t.Fatal(err)
			}
			items, err := p.st.Items(t.Context(), store.ItemQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 3 {
				t.Fatalf("%d items stored, want 3", len(items))
			}
			for _, it := range items {
				if it.URL != "" && !strings.HasPrefix(it.URL, "https://hostile.example/") {
					t.Errorf("%q: link %q, want empty or under the fetched URL", it.Title, it.URL)
				}
				for _, s := range append([]string{it.Title, it.SourceName}, append(it.Authors, it.Categories...)...) {
					if strings.ContainsAny(s, "\x00\x01\x08\uFFFE") || strings.Contains(s, "<script") || strings.Contains(s, "<b>") {
						t.Errorf("%q: field %q keeps markup or control characters", it.Title, s)
					}
				}
				for _, e := range it.Enclosures {
					t.Errorf("%q: enclosure %q kept", it.Title, e.URL)
				}
				if strings.Contains(it.Content+it.Summary, "data:") || strings.Contains(it.Content+it.Summary, "javascript:") {
					t.Errorf("%q: HTML keeps a hostile base: %s %s", it.Title, it.Summary, it.Content)
				}
			}
			r, err := p.render(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			for f, b := range r.raw {
				if bytes.Contains(b, []byte("<img src=x")) || bytes.Contains(b, []byte("<script")) {
					t.Errorf("%v output carries the markup unescaped", f)
				}
			}
		})
	}
}

// xmlText escapes s as XML character data.
func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// TestPipelineUndated (threat case 25): an entry whose date cannot be read
// is dated when it was first fetched, and keeps that date when fetched
// again later.
func TestPipelineUndated(t *testing.T) {
	src := feedloom.Source{URL: "https://hostile.example/feed"}
	st := storetest.Open(t)
	first := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	doc := []byte(`<rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>a</title><pubDate>Dom, 16 Jun 2024 25:61:00 +0000</pubDate></item></channel></rss>`)
	for _, now := range []time.Time{first, first.Add(time.Hour)} {
		p := newPipeline(st, []feedloom.Source{src}, now)
		if _, err := p.agg.Ingest(t.Context(), src, doc, "", src.URL); err != nil {
			t.Fatal(err)
		}
	}
	items, err := st.Items(t.Context(), store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || !items[0].Published.Equal(first) {
		t.Fatalf("items %+v, want one published at the first fetch, %v", items, first)
	}
}

// TestGUIDSpoofing (threat case 29): a source publishing another source's
// GUIDs and links cannot overwrite or hide that source's items; an edit
// under the same GUID updates in place; two entries with one GUID and
// link in a feed collapse to the first; an entry with a GUID and nothing
// else keeps its ID; published IDs are the same on every render.
func TestGUIDSpoofing(t *testing.T) {
	a := feedloom.Source{URL: "https://a.example/feed"}
	b := feedloom.Source{URL: "https://b.example/feed"}
	st := storetest.Open(t)
	p := newPipeline(st, []feedloom.Source{a, b}, time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC))
	ingest := func(src feedloom.Source, doc string) {
		t.Helper()
		if _, err := p.agg.Ingest(t.Context(), src, []byte(doc), "", src.URL); err != nil {
			t.Fatal(err)
		}
	}
	entry := func(guid, title, link string) string {
		return `<item><guid isPermaLink="false">` + guid + `</guid><title>` + title + `</title><link>` + link +
			`</link><pubDate>Sat, 01 Jun 2024 10:00:00 +0000</pubDate><description>` + title + ` body</description></item>`
	}
	rss := func(items ...string) string {
		return `<rss version="2.0"><channel><title>t</title>` + strings.Join(items, "") + `</channel></rss>`
	}
	ingest(a, rss(entry("g1", "A's story", "https://a.example/1"), `<item><guid>bare</guid></item>`))
	ingest(b, rss(entry("g1", "B's spoof", "https://a.example/1"),
		entry("dup", "first of two", "https://b.example/d"), entry("dup", "second of two", "https://b.example/d")))
	ingest(a, rss(entry("g1", "A's story, edited", "https://a.example/1"), `<item><guid>bare</guid></item>`))

	items, err := st.Items(t.Context(), store.ItemQuery{})
	if err != nil {
		t.Fatal(err)
	}
	bySource := map[string][]string{}
	ids := map[string]string{}
	for _, it := range items {
		bySource[it.Source] = append(bySource[it.Source], it.Title)
		ids[it.Source+" "+it.GUID] = it.ID
	}
	slices.Sort(bySource[a.URL])
	slices.Sort(bySource[b.URL])
	if want := []string{"", "A's story, edited"}; !slices.Equal(bySource[a.URL], want) {
		t.Errorf("A's items %q, want %q (edited in place, the bare one kept)", bySource[a.URL], want)
	}
	if want := []string{"B's spoof", "first of two"}; !slices.Equal(bySource[b.URL], want) {
		t.Errorf("B's items %q, want %q", bySource[b.URL], want)
	}
	if ids[a.URL+" g1"] == ids[b.URL+" g1"] || ids[a.URL+" g1"] != feedloom.ItemID(a.URL, "guid:g1") {
		t.Errorf("ids %v: the same GUID in two sources must give two IDs, each namespaced by its source", ids)
	}
	r1, err := p.render(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	r2, err := p.render(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range feedFormats {
		if !bytes.Equal(r1.raw[f], r2.raw[f]) {
			t.Errorf("%v differs between two renders", f)
		}
	}
	// The spoof shares A's link, so it joins A's story; the story shows
	// A's item, the first to arrive.
	found := false
	for _, e := range r1.entries {
		for _, it := range e.Items {
			if it.ID == ids[a.URL+" g1"] {
				found = true
				if shown := e.Shown(); shown.ID != it.ID {
					t.Errorf("A's story shows %q of %s over A's %q", shown.Title, shown.Source, it.Title)
				}
				if len(e.Items) != 2 || e.Items[1].ID != ids[b.URL+" g1"] {
					t.Errorf("A's story has %d members, want A's item and B's copy", len(e.Items))
				}
			}
		}
	}
	if !found {
		t.Error("A's item is not published")
	}
}

// readXSSCorpus returns the hostile HTML fragments of the sanitizer's
// tests (aggregator/normalize/testdata/xss), by name.
func readXSSCorpus(t testing.TB) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("normalize", "testdata", "xss", "*.html"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no XSS corpus: %v", err)
	}
	out := make(map[string]string, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".html")] = string(b)
	}
	return out
}

// TestPollHostileDocuments (threat case 20, and the error classes of the
// parse guard): origins on loopback serve a JSON Feed with "items":[null]
// (a gofeed panic), a nesting bomb, an unknown charset, a page that is not
// a feed and broken XML, next to a good feed. Each bad source is recorded
// failing with its class; the good one is stored and published, on this
// poll and the next.
func TestPollHostileDocuments(t *testing.T) {
	docs := map[string]string{
		"/good":    `<rss version="2.0"><channel><title>t</title><item><guid>1</guid><title>Fine</title><link>https://good.example/1</link></item></channel></rss>`,
		"/null":    `{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"1"},null]}`,
		"/deep":    `<rss version="2.0" xmlns:x="urn:x"><channel><item>` + strings.Repeat("<x:a>", 100_000) + `</item></channel></rss>`,
		"/charset": `<?xml version="1.0" encoding="x-no-such-charset"?><rss version="2.0"><channel><title>t</title></channel></rss>`,
		"/page":    `<!DOCTYPE html><html><body><form>login</form></body></html>`,
		"/broken":  `<rss version="2.0"><channel><title>t</title><item><title>a</ti`,
	}
	want := map[string]string{"/good": "", "/null": "parse/parser_panic", "/deep": "parse/too_deep", "/charset": "parse/charset", "/page": "parse/not_feed", "/broken": "parse/malformed"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, docs[r.URL.Path])
	}))
	defer srv.Close()
	var srcs []feedloom.Source
	for path := range docs {
		srcs = append(srcs, feedloom.Source{URL: srv.URL + path})
	}
	st := storetest.Open(t)
	p := newPipeline(st, srcs, time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC))
	p.agg = aggregator.New(st, srcs, aggregator.Options{
		Fetch:    fetch.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		Classify: func(*feedloom.Item, feedloom.Source) []string { return []string{"all"} },
	})
	for round := range 2 {
		for _, res := range p.agg.PollAll(t.Context()) {
			path := strings.TrimPrefix(res.Source, srv.URL)
			if got := aggregator.ErrorClass(res.Err); got != want[path] {
				t.Errorf("round %d, %s: class %q (%v), want %q", round, path, got, res.Err, want[path])
			}
			state, err := st.SourceState(t.Context(), res.Source)
			if err != nil {
				t.Fatal(err)
			}
			if state.ErrorClass != want[path] || (want[path] != "") != (state.LastError != "") {
				t.Errorf("round %d, %s: stored class %q, error %q", round, path, state.ErrorClass, state.LastError)
			}
		}
		r, err := p.render(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(r.entries) != 1 || r.entries[0].Shown().Title != "Fine" {
			t.Errorf("round %d: published %d entries, want the good feed's one", round, len(r.entries))
		}
	}
}
