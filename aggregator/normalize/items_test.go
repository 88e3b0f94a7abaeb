package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/mmcdole/gofeed"
)

// byTitle indexes items by title; titles are unique in the fixtures.
func byTitle(t testing.TB, items []feedloom.Item) map[string]feedloom.Item {
	t.Helper()
	m := make(map[string]feedloom.Item, len(items))
	for _, it := range items {
		if _, dup := m[it.Title]; dup {
			t.Fatalf("two items titled %q", it.Title)
		}
		m[it.Title] = it
	}
	return m
}

func TestItemsKeys(t *testing.T) {
	const src = "https://news.example.com/feeds/rss.xml"
	// The hash key of the entry without GUID and link, from its raw title
	// and description.
	sum := sha256.Sum256([]byte("No GUID, no link, no date\x00Only a title and a description: the key is a hash."))
	tests := map[string]string{
		"Ministers meet, talk & trade <b>tips</b>":       "guid:news-1001",
		"No GUID, relative link, plain-text description": "url:https://news.example.com/world/plain-text",
		"Repeated GUID with a different link":            "guid:news-1001|https://news.example.com/world/repeat",
		"No GUID, no link, no date":                      "hash:" + hex.EncodeToString(sum[:16]),
		"Hostile link":                                   "guid:news-1005",
		"Repeated GUID without a link":                   "guid:news-1001|6",
	}
	items := byTitle(t, loadItems(t, "rss2.xml"))
	if _, ok := items["Exact duplicate of the repeated GUID entry"]; ok {
		t.Error("the entry repeating an earlier entry's GUID and link was kept")
	}
	for title, want := range tests {
		t.Run(title, func(t *testing.T) {
			it, ok := items[title]
			if !ok {
				t.Fatalf("no item titled %q", title)
			}
			if it.Key != want {
				t.Errorf("Key = %q, want %q", it.Key, want)
			}
			if id := feedloom.ItemID(src, want); it.ID != id {
				t.Errorf("ID = %q, want ItemID(source, key) = %q", it.ID, id)
			}
		})
	}
}

// TestItemsKeysStable: the first entry with a GUID keeps its key when a
// later entry repeats the GUID, and keys do not depend on the poll time.
func TestItemsKeysStable(t *testing.T) {
	src := feedloom.Source{URL: "https://s.example/feed"}
	first := &gofeed.Item{GUID: "g", Link: "https://s.example/1", Title: "one"}
	alone := Items(&gofeed.Feed{Items: []*gofeed.Item{first}}, src, src.URL, pollTime)
	repeated := Items(&gofeed.Feed{Items: []*gofeed.Item{first, {GUID: "g", Link: "https://s.example/2"}}}, src, src.URL, pollTime.Add(time.Hour))
	if alone[0].ID != repeated[0].ID {
		t.Errorf("first entry's ID changed from %s to %s when its GUID was repeated", alone[0].ID, repeated[0].ID)
	}
	if repeated[0].ID == repeated[1].ID {
		t.Error("repeated GUID gave the same ID twice")
	}
}

func TestItemsRSSFields(t *testing.T) {
	it := byTitle(t, loadItems(t, "rss2.xml"))["Ministers meet, talk & trade <b>tips</b>"]
	checks := map[string]struct{ got, want any }{
		"source":      {it.Source, "https://news.example.com/feeds/rss.xml"},
		"source name": {it.SourceName, "Example News & Views"},
		"guid":        {it.GUID, "news-1001"},
		"url":         {it.URL, "https://news.example.com/world/ministers-meet?id=7"},
		"authors":     {it.Authors, []string{"Jane Doe"}},
		"categories":  {it.Categories, []string{"World", "Trade"}},
		"enclosures": {it.Enclosures, []feedloom.Enclosure{
			{URL: "https://news.example.com/audio/ministers.mp3", Type: "audio/mpeg", Length: 12345},
		}},
		"published":  {it.Published, time.Date(2024, 5, 31, 7, 30, 0, 0, time.UTC)},
		"updated":    {it.Updated, time.Date(2024, 5, 31, 7, 30, 0, 0, time.UTC)},
		"first seen": {it.FirstSeen, pollTime},
		// The summary's text is the content's first line: not repeated.
		"text": {it.Text, "Ministers met in Geneva on Friday.\nThe ministers.\nTalks covered tariffs & quotas."},
	}
	for name, c := range checks {
		t.Run(name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("got %#v, want %#v", c.got, c.want)
			}
		})
	}
	t.Run("content", func(t *testing.T) {
		for _, want := range []string{
			`<a href="https://news.example.com/places/geneva" rel="noopener nofollow noreferrer">Geneva</a>`,
			`<img src="https://news.example.com/img/ministers.jpg" alt="The ministers"/>`,
		} {
			if !strings.Contains(it.Content, want) {
				t.Errorf("content lacks %s:\n%s", want, it.Content)
			}
		}
		for _, bad := range []string{"script", "onerror", "srcset", "alert"} {
			if strings.Contains(it.Content, bad) {
				t.Errorf("content holds %q:\n%s", bad, it.Content)
			}
		}
	})
	t.Run("summary kept when it differs", func(t *testing.T) {
		if it.Summary == "" {
			t.Error("summary dropped although it differs from the content")
		}
	})
}

func TestItemsURLs(t *testing.T) {
	rss := byTitle(t, loadItems(t, "rss2.xml"))
	atom := byTitle(t, loadItems(t, "atom.xml"))
	tests := map[string]struct {
		got, want string
	}{
		"link javascript:alert(1)":    {rss["Hostile link"].URL, ""},
		"relative link resolved":      {rss["No GUID, relative link, plain-text description"].URL, "https://news.example.com/world/plain-text"},
		"xml:base javascript dropped": {atom["xml:base javascript"].URL, ""},
		"xml:base http applied":       {atom["Safe title"].URL, "https://blog.example.org/posts/2024/safe-title.html"},
		"xml:base javascript content": {atom["xml:base javascript"].Content, "<p> relative under a javascript: base </p>"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestItemsAtom(t *testing.T) {
	items := loadItems(t, "atom.xml")
	if len(items) == 0 {
		t.Fatal("no items")
	}
	first := items[0]
	t.Run("xhtml title with script is plain text", func(t *testing.T) {
		if first.Title != "Safe title" {
			t.Errorf("Title = %q, want %q", first.Title, "Safe title")
		}
	})
	t.Run("summary equal to content dropped", func(t *testing.T) {
		if first.Summary != "" || first.Content == "" {
			t.Errorf("Summary = %q, Content = %q; want only Content", first.Summary, first.Content)
		}
	})
	t.Run("authors deduplicated ignoring case", func(t *testing.T) {
		if want := []string{"Alice Example"}; !reflect.DeepEqual(first.Authors, want) {
			t.Errorf("Authors = %q, want %q", first.Authors, want)
		}
	})
	t.Run("feed authors as fallback", func(t *testing.T) {
		if want := []string{"Blog Team"}; !reflect.DeepEqual(items[1].Authors, want) {
			t.Errorf("Authors = %q, want %q", items[1].Authors, want)
		}
	})
	t.Run("updated only", func(t *testing.T) {
		want := time.Date(2024, 5, 29, 8, 0, 0, 0, time.UTC)
		if !items[1].Published.Equal(want) || !items[1].Updated.Equal(want) {
			t.Errorf("Published, Updated = %v, %v; want both %v", items[1].Published, items[1].Updated, want)
		}
	})
	t.Run("text content escaped", func(t *testing.T) {
		if want := "<p>if a &lt; b then b &gt; a</p><p>that is all</p>"; items[3].Content != want {
			t.Errorf("Content = %q, want %q", items[3].Content, want)
		}
	})
}

func TestItemsJSONFeed(t *testing.T) {
	items := loadItems(t, "jsonfeed.json")
	if len(items) != 2 {
		t.Fatalf("%d items, want 2", len(items))
	}
	tests := map[string]struct{ got, want any }{
		"source name from config": {items[0].SourceName, "JSON Example"},
		"tracking stripped":       {items[0].URL, "https://json.example.net/2024/first?page=1"},
		"e-mail author dropped":   {items[0].Authors, []string{"Ann Author"}},
		"tags deduplicated":       {items[0].Categories, []string{"json", "feeds"}},
		"content_text escaped":    {items[1].Content, "<p>Line one.</p><p>Line &lt;two&gt; &amp; three.</p>"},
		"content_text lines":      {items[1].Text, "Line one.\nLine <two> & three."},
		"relative url resolved":   {items[1].URL, "https://json.example.net/2024/second"},
		"feed author fallback":    {items[1].Authors, []string{"Feed Author"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
	if strings.Contains(strings.ToLower(items[0].Content), "javascript") {
		t.Errorf("javascript: link kept: %s", items[0].Content)
	}
}

func TestItemsCharsets(t *testing.T) {
	tests := map[string]struct {
		fixture, title, author, category string
	}{
		"windows-1251 prolog":        {"windows-1251.xml", "Москва считает развертывание ПРО США в Японии угрозой", "Мария Иванова", "Политика"},
		"ISO-8859-1 in Content-Type": {"latin1-header.xml", "Élysée : la réforme, déjà très critiquée, arrive à l'Assemblée", "Amélie Lefèvre", "Société"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			items := loadItems(t, tt.fixture)
			if len(items) != 1 {
				t.Fatalf("%d items, want 1", len(items))
			}
			it := items[0]
			if it.Title != tt.title {
				t.Errorf("Title = %q, want %q", it.Title, tt.title)
			}
			if len(it.Authors) != 1 || it.Authors[0] != tt.author {
				t.Errorf("Authors = %q, want [%q]", it.Authors, tt.author)
			}
			if len(it.Categories) != 1 || it.Categories[0] != tt.category {
				t.Errorf("Categories = %q, want [%q]", it.Categories, tt.category)
			}
		})
	}
}

func TestItemsDates(t *testing.T) {
	now := pollTime
	at := func(s string) *time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &tm
	}
	tests := map[string]struct {
		published, updated *time.Time
		wantPub, wantUpd   time.Time
	}{
		"both":                 {at("2024-05-01T10:00:00Z"), at("2024-05-02T10:00:00Z"), *at("2024-05-01T10:00:00Z"), *at("2024-05-02T10:00:00Z")},
		"published only":       {at("2024-05-01T10:00:00Z"), nil, *at("2024-05-01T10:00:00Z"), *at("2024-05-01T10:00:00Z")},
		"updated only":         {nil, at("2024-05-02T10:00:00Z"), *at("2024-05-02T10:00:00Z"), *at("2024-05-02T10:00:00Z")},
		"missing is zero":      {nil, nil, time.Time{}, time.Time{}},
		"future clamped":       {at("2099-01-01T00:00:00Z"), at("2099-01-02T00:00:00Z"), now, now},
		"future updated":       {at("2024-05-01T10:00:00Z"), at("2030-01-01T00:00:00Z"), *at("2024-05-01T10:00:00Z"), now},
		"before 1995 missing":  {at("1970-01-01T00:00:00Z"), nil, time.Time{}, time.Time{}},
		"old published, upd":   {at("0001-01-01T00:00:00Z"), at("2024-05-02T10:00:00Z"), *at("2024-05-02T10:00:00Z"), *at("2024-05-02T10:00:00Z")},
		"updated before pub":   {at("2024-05-02T10:00:00Z"), at("2024-05-01T10:00:00Z"), *at("2024-05-02T10:00:00Z"), *at("2024-05-02T10:00:00Z")},
		"zone to UTC, seconds": {at("2024-05-01T12:00:00.987+02:00"), nil, *at("2024-05-01T10:00:00Z"), *at("2024-05-01T10:00:00Z")},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := &gofeed.Feed{Items: []*gofeed.Item{{GUID: "1", PublishedParsed: tt.published, UpdatedParsed: tt.updated}}}
			// A poll time with nanoseconds and a zone: the item's times
			// must still be UTC seconds.
			poll := now.Add(300 * time.Millisecond).In(time.FixedZone("X", 3600))
			it := Items(f, feedloom.Source{URL: "https://s.example/"}, "https://s.example/", poll)[0]
			if !it.Published.Equal(tt.wantPub) || !it.Updated.Equal(tt.wantUpd) {
				t.Errorf("Published, Updated = %v, %v; want %v, %v", it.Published, it.Updated, tt.wantPub, tt.wantUpd)
			}
			for _, tm := range []time.Time{it.Published, it.Updated, it.FirstSeen} {
				if !tm.IsZero() && (tm.Location() != time.UTC || tm.Nanosecond() != 0) {
					t.Errorf("time %v is not UTC whole seconds", tm)
				}
			}
			if !it.FirstSeen.Equal(now) {
				t.Errorf("FirstSeen = %v, want %v", it.FirstSeen, now)
			}
		})
	}
}

func TestItemsAuthors(t *testing.T) {
	tests := map[string]struct {
		people []*gofeed.Person
		want   []string
	}{
		"name":                {[]*gofeed.Person{{Name: "Jane Doe"}}, []string{"Jane Doe"}},
		"email (Name) form":   {[]*gofeed.Person{{Name: "jane@example.com (Jane Doe)"}}, []string{"Jane Doe"}},
		"Name <email> form":   {[]*gofeed.Person{{Name: "Jane Doe <jane@example.com>"}}, []string{"Jane Doe"}},
		"email only dropped":  {[]*gofeed.Person{{Email: "jane@example.com"}, {Name: "jane@example.com"}}, nil},
		"deduplicated":        {[]*gofeed.Person{{Name: "Jane Doe"}, {Name: " jane  doe "}, {Name: "Bo"}}, []string{"Jane Doe", "Bo"}},
		"markup and entities": {[]*gofeed.Person{{Name: "<b>Jos&eacute;</b>"}}, []string{"José"}},
		"nil and empty":       {[]*gofeed.Person{nil, {Name: "  "}}, nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := &gofeed.Feed{Items: []*gofeed.Item{{GUID: "1", Authors: tt.people}}}
			it := Items(f, feedloom.Source{URL: "https://s.example/"}, "https://s.example/", pollTime)[0]
			if !reflect.DeepEqual(it.Authors, tt.want) {
				t.Errorf("Authors = %q, want %q", it.Authors, tt.want)
			}
		})
	}
}

func TestItemsEnclosures(t *testing.T) {
	tests := map[string]struct {
		in   []*gofeed.Enclosure
		want []feedloom.Enclosure
	}{
		"relative resolved":  {[]*gofeed.Enclosure{{URL: "/a.mp3", Type: "audio/mpeg", Length: "100"}}, []feedloom.Enclosure{{URL: "https://s.example/a.mp3", Type: "audio/mpeg", Length: 100}}},
		"javascript dropped": {[]*gofeed.Enclosure{{URL: "javascript:alert(1)", Type: "audio/mpeg"}}, nil},
		"data dropped":       {[]*gofeed.Enclosure{{URL: "data:audio/mpeg;base64,AAAA"}}, nil},
		"bad lengths":        {[]*gofeed.Enclosure{{URL: "https://c.example/1", Length: "1e300"}, {URL: "https://c.example/2", Length: "-1"}, {URL: "https://c.example/3", Length: "99999999999999999999"}, {URL: "https://c.example/4", Length: "2000000000000"}}, []feedloom.Enclosure{{URL: "https://c.example/1"}, {URL: "https://c.example/2"}, {URL: "https://c.example/3"}, {URL: "https://c.example/4"}}},
		"type parameters":    {[]*gofeed.Enclosure{{URL: "https://c.example/v", Type: "Video/MP4; codecs=avc1"}}, []feedloom.Enclosure{{URL: "https://c.example/v", Type: "video/mp4"}}},
		"bad type":           {[]*gofeed.Enclosure{{URL: "https://c.example/v", Type: "<script>"}}, []feedloom.Enclosure{{URL: "https://c.example/v"}}},
		"duplicates":         {[]*gofeed.Enclosure{{URL: "https://c.example/v"}, {URL: "https://C.example/v#t=1"}, nil}, []feedloom.Enclosure{{URL: "https://c.example/v"}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := &gofeed.Feed{Items: []*gofeed.Item{{GUID: "1", Enclosures: tt.in}}}
			it := Items(f, feedloom.Source{URL: "https://s.example/"}, "https://s.example/feed", pollTime)[0]
			if !reflect.DeepEqual(it.Enclosures, tt.want) {
				t.Errorf("Enclosures = %+v, want %+v", it.Enclosures, tt.want)
			}
		})
	}
}

func TestItemsSourceName(t *testing.T) {
	f := &gofeed.Feed{Title: " The <b>Daily</b>  Planet ", Items: []*gofeed.Item{{GUID: "1"}}}
	tests := map[string]struct {
		configured, want string
	}{
		"configured name wins":   {"Planet", "Planet"},
		"feed title when absent": {"", "The Daily Planet"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			it := Items(f, feedloom.Source{URL: "https://s.example/", Name: tt.configured}, "https://s.example/", pollTime)[0]
			if it.SourceName != tt.want {
				t.Errorf("SourceName = %q, want %q", it.SourceName, tt.want)
			}
		})
	}
}

func TestItemsTitle(t *testing.T) {
	tests := map[string]struct {
		in, want string
	}{
		"entities and whitespace": {"  Tom &amp;  Jerry\n\t&#8212; live ", "Tom & Jerry — live"},
		"markup removed":          {"<p>Breaking: <em>news</em></p>", "Breaking: news"},
		"capped at 1000 runes":    {strings.Repeat("ж", 1500), strings.Repeat("ж", 1000)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := &gofeed.Feed{Items: []*gofeed.Item{{GUID: "1", Title: tt.in}}}
			it := Items(f, feedloom.Source{URL: "https://s.example/"}, "https://s.example/", pollTime)[0]
			if it.Title != tt.want {
				t.Errorf("Title = %q, want %q", it.Title, tt.want)
			}
		})
	}
}

func TestItemsEdgeFeeds(t *testing.T) {
	src := feedloom.Source{URL: "https://s.example/"}
	if got := Items(nil, src, src.URL, pollTime); got != nil {
		t.Errorf("Items(nil) = %v, want nil", got)
	}
	f := &gofeed.Feed{Items: []*gofeed.Item{nil, {GUID: "a"}, nil}}
	if got := Items(f, src, src.URL, pollTime); len(got) != 1 {
		t.Errorf("%d items from one entry and two nils, want 1", len(got))
	}
	many := &gofeed.Feed{}
	for i := range maxItems + 10 {
		many.Items = append(many.Items, &gofeed.Item{GUID: fmt.Sprint(i)})
	}
	if got := Items(many, src, src.URL, pollTime); len(got) != maxItems {
		t.Errorf("%d items, want the cap %d", len(got), maxItems)
	}
}

// TestItemsDefapressTass: the two outlets' feeds (the same story, one with
// page chrome) normalize; boilerplate removal is later work.
func TestItemsDefapressTass(t *testing.T) {
	defa := loadItems(t, "defapress.xml")
	tass := loadItems(t, "tass.xml")
	if len(defa) != 5 || len(tass) != 2 {
		t.Fatalf("%d defapress and %d TASS items, want 5 and 2", len(defa), len(tass))
	}
	story := defa[0]
	if story.Title != "Moscow Views Deployment of US Missile Defense in Japan as Threat" {
		t.Errorf("defapress title = %q", story.Title)
	}
	for _, line := range []string{"News ID: 77346", "Publish Date: 11May 2019 - 14:08", "Message end/", "your comment"} {
		if !strings.Contains("\n"+story.Text+"\n", "\n"+line+"\n") {
			t.Errorf("defapress text lacks the chrome line %q:\n%s", line, story.Text)
		}
	}
	if !strings.HasPrefix(story.Text, `Moscow Views Deployment of US Missile Defense in Japan as Threat"We have once more drawn attention to`) {
		t.Errorf("defapress text does not start with the glued title:\n%s", story.Text)
	}
	// Every line of TASS's story is in defapress's text.
	for _, line := range strings.Split(tass[0].Text, "\n")[1:] {
		if !strings.Contains(story.Text, line) {
			t.Errorf("defapress text lacks TASS's line %q", line)
		}
	}
}

func TestItemsLanguage(t *testing.T) {
	const rssDoc = `<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title><language>en-US</language>
<item><guid>1</guid><title>Feed language</title></item>
<item><guid>2</guid><title>Entry language</title><dc:language>RU</dc:language></item>
<item><guid>3</guid><title>Entry region</title><dc:language>fa-IR</dc:language></item>
<item><guid>4</guid><title>Entry name, not a code</title><dc:language>English</dc:language></item>
</channel></rss>`
	const noLang = `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><language>English</language>
<item><guid>1</guid><title>No code</title></item></channel></rss>`
	const atomDoc = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de-AT"><title>t</title><id>urn:x</id>
<entry><id>urn:1</id><title>Atom</title><updated>2024-05-01T00:00:00Z</updated></entry></feed>`
	const jsonDoc = `{"version":"https://jsonfeed.org/version/1.1","title":"t","language":"fr-CA","items":[
{"id":"1","title":"JSON feed language","content_text":"x"},
{"id":"2","title":"JSON item language","content_text":"x","language":"pt-BR"}]}`
	tests := map[string]struct {
		doc, contentType string
		want             map[string]string // title -> language
	}{
		"RSS": {rssDoc, "application/rss+xml", map[string]string{
			"Feed language": "en", "Entry language": "ru", "Entry region": "fa", "Entry name, not a code": "en",
		}},
		"RSS, feed language not a code": {noLang, "application/rss+xml", map[string]string{"No code": ""}},
		"Atom xml:lang":                 {atomDoc, "application/atom+xml", map[string]string{"Atom": "de"}},
		"JSON Feed":                     {jsonDoc, "application/feed+json", map[string]string{"JSON feed language": "fr", "JSON item language": "pt"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := Parse([]byte(tt.doc), tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			items := byTitle(t, Items(f, feedloom.Source{URL: "https://x.example/feed"}, "https://x.example/feed", pollTime))
			for title, want := range tt.want {
				if got := items[title].Language; got != want {
					t.Errorf("%s: Language = %q, want %q", title, got, want)
				}
			}
		})
	}
}

func TestLanguageSubtag(t *testing.T) {
	for in, want := range map[string]string{
		"en": "en", "EN-us": "en", "en_GB": "en", " ru ": "ru", "fas": "fas", "zh-Hant-TW": "zh",
		"": "", "English": "", "e": "", "x-klingon": "", "12": "",
	} {
		if got := languageSubtag(in); got != want {
			t.Errorf("languageSubtag(%q) = %q, want %q", in, got, want)
		}
	}
}
