package publisher

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/internal/readertest"
	"github.com/mmcdole/gofeed"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func render(t *testing.T, s *Server, topic string, f Format) []byte {
	t.Helper()
	rd, err := s.Render(context.Background(), topic, f)
	if err != nil {
		t.Fatalf("Render(%q, %v): %v", topic, f, err)
	}
	return rd.Body
}

func TestRenderGolden(t *testing.T) {
	s, _ := newTestServer()
	tests := map[string]struct {
		topic string
		f     Format
	}{
		"world.rss":  {"world", RSS},
		"world.atom": {"world", Atom},
		"world.json": {"world", JSON},
		"world.html": {"world", HTML},
		"empty.rss":  {"empty", RSS},
		"empty.atom": {"empty", Atom},
		"empty.json": {"empty", JSON},
		"empty.html": {"empty", HTML},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			golden(t, name, render(t, s, tc.topic, tc.f))
		})
	}
	t.Run("index.html", func(t *testing.T) {
		rd, err := s.index(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "index.html", rd.Body)
	})
	t.Run("topics.opml", func(t *testing.T) {
		golden(t, "topics.opml", s.static["topics.opml"].r.Body)
	})
}

// TestRenderGofeed parses every feed back with gofeed, the parser the
// aggregator uses, and checks what a reader sees of each entry.
func TestRenderGofeed(t *testing.T) {
	s, _ := newTestServer()
	wantIDs := make([]string, len(wantOrder))
	for i, id := range wantOrder {
		wantIDs[i] = feedloom.StoryURN(id)
	}
	wantTitle := `Ministers meet: 5 < 6 & "quotes" <b>not bold</b>`
	tests := map[string]struct {
		f        Format
		feedType string
		selfLink string
	}{
		"RSS":  {RSS, "rss", testBase + "topics/world.rss"},
		"Atom": {Atom, "atom", testBase + "topics/world.atom"},
		"JSON": {JSON, "json", testBase + "topics/world.json"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(render(t, s, "world", tc.f)))
			if err != nil {
				t.Fatal(err)
			}
			if feed.FeedType != tc.feedType {
				t.Errorf("feed type %q, want %q", feed.FeedType, tc.feedType)
			}
			if feed.FeedLink != tc.selfLink {
				t.Errorf("feed link %q, want %q", feed.FeedLink, tc.selfLink)
			}
			if feed.Title != testTopics[0].Title {
				t.Errorf("feed title %q, want %q", feed.Title, testTopics[0].Title)
			}
			var ids []string
			for _, it := range feed.Items {
				ids = append(ids, it.GUID)
			}
			if !slices.Equal(ids, wantIDs) {
				t.Fatalf("ids %q, want %q", ids, wantIDs)
			}
			first := feed.Items[0]
			if first.Title != wantTitle {
				t.Errorf("title %q, want %q", first.Title, wantTitle)
			}
			if first.Link != "https://tass.example/news/1?id=1" {
				t.Errorf("link %q, want the shown item's URL", first.Link)
			}
			var authors []string
			for _, a := range first.Authors {
				authors = append(authors, a.Name)
			}
			want := []string{"Ivan Petrov", "Anna Smirnova"}
			if tc.f == RSS {
				want = []string{"Ivan Petrov, Anna Smirnova"} // one dc:creator
			}
			if !slices.Equal(authors, want) {
				t.Errorf("authors %q, want %q", authors, want)
			}
			if want := []string{"Politics", "World"}; !slices.Equal(first.Categories, want) {
				t.Errorf("categories %q, want %q", first.Categories, want)
			}
			if len(first.Enclosures) != 1 || first.Enclosures[0].URL != "https://tass.example/a.jpg" {
				t.Errorf("enclosures %+v, want the item's image", first.Enclosures)
			}
			if first.PublishedParsed == nil || !first.PublishedParsed.Equal(t0.Add(3*3600e9)) {
				t.Errorf("published %v, want %v", first.PublishedParsed, t0.Add(3*3600e9))
			}
			for i, it := range feed.Items {
				if len(it.Authors) == 0 {
					t.Errorf("item %d has no author", i)
				}
			}
		})
	}
}

// TestRenderXMLWellFormed decodes RSS and Atom with encoding/xml, strictly.
func TestRenderXMLWellFormed(t *testing.T) {
	s, _ := newTestServer()
	for _, topic := range []string{"world", "empty"} {
		for _, f := range []Format{RSS, Atom} {
			t.Run(topic+f.Ext(), func(t *testing.T) {
				d := xml.NewDecoder(bytes.NewReader(render(t, s, topic, f)))
				d.Strict = true
				for {
					_, err := d.Token()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

// TestRenderRSS checks what gorilla gets wrong in RSS, per CLIENTS.md.
func TestRenderRSS(t *testing.T) {
	s, _ := newTestServer()
	var doc struct {
		Channel struct {
			ManagingEditor *string `xml:"managingEditor"`
			LastBuildDate  string  `xml:"lastBuildDate"`
			Links          []struct {
				Space string `xml:",any"`
				Href  string `xml:"href,attr"`
				Rel   string `xml:"rel,attr"`
				Type  string `xml:"type,attr"`
			} `xml:"http://www.w3.org/2005/Atom link"`
			Items []struct {
				GUID struct {
					IsPermaLink string `xml:"isPermaLink,attr"`
					ID          string `xml:",chardata"`
				} `xml:"guid"`
				Author      *string  `xml:"author"`
				Creators    []string `xml:"http://purl.org/dc/elements/1.1/ creator"`
				Categories  []string `xml:"category"`
				Description string   `xml:"description"`
				Source      *struct {
					URL  string `xml:"url,attr"`
					Name string `xml:",chardata"`
				} `xml:"source"`
				Enclosure *struct {
					URL    string `xml:"url,attr"`
					Length string `xml:"length,attr"`
					Type   string `xml:"type,attr"`
				} `xml:"enclosure"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	if err := xml.Unmarshal(render(t, s, "world", RSS), &doc); err != nil {
		t.Fatal(err)
	}
	ch := doc.Channel
	if ch.ManagingEditor != nil {
		t.Errorf("managingEditor %q present", *ch.ManagingEditor)
	}
	if want := "Sun, 01 Mar 2026 16:00:00 +0000"; ch.LastBuildDate != want {
		t.Errorf("lastBuildDate %q, want the newest entry's update %q", ch.LastBuildDate, want)
	}
	if len(ch.Links) != 1 || ch.Links[0].Rel != "self" || ch.Links[0].Href != testBase+"topics/world.rss" || ch.Links[0].Type != "application/rss+xml" {
		t.Errorf("atom:link %+v, want one self link to the feed", ch.Links)
	}
	if len(ch.Items) != 4 {
		t.Fatalf("%d items, want 4", len(ch.Items))
	}
	for i, it := range ch.Items {
		if it.GUID.IsPermaLink != "false" || it.GUID.ID != feedloom.StoryURN(wantOrder[i]) {
			t.Errorf("item %d guid %+v, want isPermaLink=false %s", i, it.GUID, feedloom.StoryURN(wantOrder[i]))
		}
		if it.Author != nil {
			t.Errorf("item %d has <author>%s</author>; names go in dc:creator", i, *it.Author)
		}
	}
	a := ch.Items[0]
	if want := []string{"Ivan Petrov, Anna Smirnova"}; !slices.Equal(a.Creators, want) {
		t.Errorf("dc:creator %q, want %q", a.Creators, want)
	}
	if want := []string{"Politics", "World"}; !slices.Equal(a.Categories, want) {
		t.Errorf("categories %q, want %q", a.Categories, want)
	}
	if a.Source == nil || a.Source.URL != "https://tass.example/rss" || a.Source.Name != "TASS" {
		t.Errorf("source %+v, want TASS with its feed URL", a.Source)
	}
	if !strings.Contains(a.Description, `Also reported by: <a href="`) || !strings.Contains(a.Description, "Defa Press</a>.</p>") {
		t.Errorf("description %q does not credit the other outlet", a.Description)
	}
	for i, it := range ch.Items[1:] {
		if strings.Contains(it.Description, "Also reported by") {
			t.Errorf("item %d, carried by one outlet, credits others: %q", i+1, it.Description)
		}
	}
	if c := ch.Items[1]; c.Source != nil {
		t.Errorf("a file:// origin gives source %+v, want none", c.Source)
	}
	d := ch.Items[3]
	if d.Enclosure == nil || d.Enclosure.Length != "0" || d.Enclosure.Type != "application/octet-stream" {
		t.Errorf("enclosure without length or type: %+v, want length 0 and a generic type", d.Enclosure)
	}
}

// TestRenderAtom checks what gorilla gets wrong in Atom, per CLIENTS.md.
func TestRenderAtom(t *testing.T) {
	type link struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	}
	type feed struct {
		ID      string `xml:"id"`
		Updated string `xml:"updated"`
		Links   []link `xml:"link"`
		Entries []struct {
			ID        string   `xml:"id"`
			Published string   `xml:"published"`
			Updated   string   `xml:"updated"`
			Authors   []string `xml:"author>name"`
			Links     []link   `xml:"link"`
			Content   *struct {
				Type string `xml:"type,attr"`
			} `xml:"content"`
			Source *struct {
				ID    string `xml:"id"`
				Title string `xml:"title"`
			} `xml:"source"`
		} `xml:"entry"`
	}
	s, _ := newTestServer()
	tests := map[string]struct {
		topic       string
		wantUpdated string
		wantEntries int
	}{
		"world": {"world", "2026-03-01T16:00:00Z", 4},
		"empty": {"empty", "1970-01-01T00:00:00Z", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var f feed
			if err := xml.Unmarshal(render(t, s, tc.topic, Atom), &f); err != nil {
				t.Fatal(err)
			}
			if want := testBase + "topics/" + tc.topic + ".atom"; f.ID != want {
				t.Errorf("feed id %q, want the feed URL %q", f.ID, want)
			}
			if f.Updated != tc.wantUpdated {
				t.Errorf("updated %q, want %q", f.Updated, tc.wantUpdated)
			}
			wantLinks := []link{{testBase + "topics/" + tc.topic + ".atom", "self"}, {testBase + "topics/" + tc.topic, "alternate"}}
			if !slices.Equal(f.Links, wantLinks) {
				t.Errorf("links %+v, want %+v", f.Links, wantLinks)
			}
			if len(f.Entries) != tc.wantEntries {
				t.Fatalf("%d entries, want %d", len(f.Entries), tc.wantEntries)
			}
			for i, e := range f.Entries {
				if e.ID != feedloom.StoryURN(wantOrder[i]) {
					t.Errorf("entry %d id %q, want %q", i, e.ID, feedloom.StoryURN(wantOrder[i]))
				}
				if e.Published == "" || e.Updated == "" || len(e.Authors) == 0 {
					t.Errorf("entry %d: published %q, updated %q, authors %q: want all", i, e.Published, e.Updated, e.Authors)
				}
				hasAlternate := slices.ContainsFunc(e.Links, func(l link) bool { return l.Rel == "alternate" })
				if !hasAlternate && e.Content == nil {
					t.Errorf("entry %d has neither an alternate link nor content", i)
				}
			}
		})
	}
	var f feed
	if err := xml.Unmarshal(render(t, s, "world", Atom), &f); err != nil {
		t.Fatal(err)
	}
	a := f.Entries[0]
	if want := []link{
		{"https://tass.example/news/1?id=1", "alternate"},
		{"https://defapress.example/n/77346", "related"},
		{"https://tass.example/a.jpg", "enclosure"},
	}; !slices.Equal(a.Links, want) {
		t.Errorf("links %+v, want %+v", a.Links, want)
	}
	if a.Source == nil || a.Source.ID != "https://tass.example/rss" || a.Source.Title != "TASS" {
		t.Errorf("source %+v, want the TASS feed", a.Source)
	}
	if b := f.Entries[2]; !slices.Equal(b.Authors, []string{"wire.example"}) {
		t.Errorf("authorless item: authors %q, want the outlet", b.Authors)
	}
}

// TestRenderJSON checks the JSON Feed 1.1 fields, per CLIENTS.md and the
// spec.
func TestRenderJSON(t *testing.T) {
	s, _ := newTestServer()
	t.Run("empty", func(t *testing.T) {
		body := render(t, s, "empty", JSON)
		var f map[string]json.RawMessage
		if err := json.Unmarshal(body, &f); err != nil {
			t.Fatal(err)
		}
		if got := string(f["items"]); got != "[]" {
			t.Errorf("items = %s, want []", got)
		}
	})
	var f struct {
		Version     string           `json:"version"`
		Title       string           `json:"title"`
		HomePageURL string           `json:"home_page_url"`
		FeedURL     string           `json:"feed_url"`
		Author      json.RawMessage  `json:"author"`
		Items       []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(render(t, s, "world", JSON), &f); err != nil {
		t.Fatal(err)
	}
	if f.Version != "https://jsonfeed.org/version/1.1" || f.FeedURL != testBase+"topics/world.json" || f.HomePageURL != testBase+"topics/world" {
		t.Errorf("version %q, feed_url %q, home_page_url %q", f.Version, f.FeedURL, f.HomePageURL)
	}
	if f.Author != nil {
		t.Errorf("deprecated feed author present: %s", f.Author)
	}
	for i, it := range f.Items {
		for _, key := range []string{"id", "title", "date_published", "date_modified", "authors", "_feedloom"} {
			if _, ok := it[key]; !ok {
				t.Errorf("item %d lacks %q", i, key)
			}
		}
		for _, key := range []string{"author", "external_url"} {
			if _, ok := it[key]; ok {
				t.Errorf("item %d has %q", i, key)
			}
		}
		_, html := it["content_html"]
		_, text := it["content_text"]
		if html == text {
			t.Errorf("item %d: content_html %v, content_text %v; want exactly one", i, html, text)
		}
		if it["id"] != feedloom.StoryURN(wantOrder[i]) {
			t.Errorf("item %d id %v, want %s", i, it["id"], feedloom.StoryURN(wantOrder[i]))
		}
	}
	a := f.Items[0]
	if a["summary"] != "The ministers met & talked." {
		t.Errorf("summary %q, want plain text", a["summary"])
	}
	outlets := a["_feedloom"].(map[string]any)["sources"].([]any)
	if len(outlets) != 2 {
		t.Errorf("outlets %v, want TASS and Defa Press once each", outlets)
	}
	if d := f.Items[3]; d["content_text"] == nil || d["attachments"] == nil {
		t.Errorf("text-only item: %v, want content_text and the attachment", d)
	}
	att := a["attachments"].([]any)[0].(map[string]any)
	if att["size_in_bytes"] != 12345.0 || att["mime_type"] != "image/jpeg" || len(att) != 3 {
		t.Errorf("attachment %v, want url, mime_type and size_in_bytes", att)
	}
}

// TestRenderEscapesTitles: a title is text. Its <, & and quotes must reach
// the reader as characters, never as markup.
func TestRenderEscapesTitles(t *testing.T) {
	s, _ := newTestServer()
	raw := `5 < 6 & "quotes" <b>not bold</b>`
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			body := render(t, s, "world", f)
			if bytes.Contains(body, []byte(raw)) && f != JSON {
				t.Errorf("title written unescaped")
			}
			if bytes.Contains(body, []byte("<b>not bold</b>")) && f != JSON {
				t.Errorf("title markup written as markup")
			}
		})
	}
}

// TestRenderDeterministic: unchanged data renders to the same bytes, also
// when the store returns entries in another order and from a new Server.
func TestRenderDeterministic(t *testing.T) {
	s1, _ := newTestServer()
	st := &memStore{}
	es := worldEntries()
	slices.Reverse(es)
	st.set("world", es)
	s2 := New(st, Options{BaseURL: testBase, Topics: testTopics, Title: "Loom & co"})
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			a, b := render(t, s1, "world", f), render(t, s2, "world", f)
			if !bytes.Equal(a, b) {
				t.Errorf("renders differ:\n%s\n---\n%s", a, b)
			}
		})
	}
}

func TestRenderCache(t *testing.T) {
	s, st := newTestServer()
	ctx := context.Background()
	r1, err := s.Render(ctx, "world", Atom)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := s.Render(ctx, "world", Atom)
	if r1 != r2 {
		t.Error("unchanged version rendered again")
	}
	// A new version with the same entries: rendered again, same bytes.
	st.set("world", worldEntries())
	r3, _ := s.Render(ctx, "world", Atom)
	if r3 == r1 || r3.ETag != r1.ETag {
		t.Errorf("same content at a new version: rerendered %v, ETag %s → %s", r3 != r1, r1.ETag, r3.ETag)
	}
	// Changed entries: new bytes, new ETag.
	st.set("world", worldEntries()[:2])
	r4, _ := s.Render(ctx, "world", Atom)
	if r4.ETag == r1.ETag || bytes.Equal(r4.Body, r1.Body) {
		t.Error("changed content kept its ETag")
	}
	if !strings.HasSuffix(r4.GzipETag, `-gz"`) || strings.TrimSuffix(r4.GzipETag, `-gz"`) != strings.TrimSuffix(r4.ETag, `"`) {
		t.Errorf("gzip ETag %s does not extend %s", r4.GzipETag, r4.ETag)
	}
}

func TestRenderErrors(t *testing.T) {
	s, st := newTestServer()
	ctx := context.Background()
	if _, err := s.Render(ctx, "nope", RSS); !errors.Is(err, ErrUnknownTopic) {
		t.Errorf("unknown topic: %v, want ErrUnknownTopic", err)
	}
	if _, err := s.Render(ctx, "world", Format(0)); err == nil || errors.Is(err, ErrUnknownTopic) {
		t.Errorf("invalid format: %v, want an error", err)
	}
	boom := errors.New("disk on fire")
	st.mu.Lock()
	st.err = boom
	st.mu.Unlock()
	if _, err := s.Render(ctx, "world", RSS); !errors.Is(err, boom) {
		t.Errorf("store failure: %v, want it wrapped", err)
	}
}

// TestFeedparser runs Universal Feed Parser (Debian's python3-feedparser,
// see CLIENTS.md) over RSS and Atom: bozo must be 0 and the version set.
func TestFeedparser(t *testing.T) {
	readertest.Require(t, "feedparser")
	s, _ := newTestServer()
	tests := map[string]struct {
		topic   string
		f       Format
		version string
		entries int
	}{
		"world.rss":  {"world", RSS, "rss20", 4},
		"world.atom": {"world", Atom, "atom10", 4},
		"empty.rss":  {"empty", RSS, "rss20", 0},
		"empty.atom": {"empty", Atom, "atom10", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := readertest.Feedparser(t, render(t, s, tc.topic, tc.f))
			if p.Bozo || p.Version != tc.version || len(p.IDs) != tc.entries {
				t.Fatalf("feedparser: %+v; want bozo 0, %s, %d entries", p, tc.version, tc.entries)
			}
			for i, id := range p.IDs {
				if id != feedloom.StoryURN(wantOrder[i]) {
					t.Errorf("entry %d id %q, want %q", i, id, feedloom.StoryURN(wantOrder[i]))
				}
			}
		})
	}
}
