package normalize

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedloom/feedloom"
)

// FuzzItems runs bytes through Parse and Items and checks what every
// caller relies on: no panic; every string valid UTF-8 without control
// characters (tab and newline allowed in HTML and text); every URL "" or
// absolute http(s); summary and content safe by the XSS tests' checker;
// keys and IDs consistent and unique; times UTC whole seconds, not after
// the poll time, published not after updated.
//
// The seeds are the feed fixtures (with their Content-Types), the XSS
// corpus inside an RSS description, and the documents that break gofeed.
func FuzzItems(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "feeds", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, fixtures[filepath.Base(file)].contentType)
	}
	for _, html := range xssCorpus(f) {
		f.Add([]byte(`<rss version="2.0"><channel><title>x</title><item><link>/a</link><description><![CDATA[`+html+`]]></description></item></channel></rss>`), "")
	}
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[null]}`), "application/feed+json")
	f.Add([]byte(nested(600)), "")
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:alert(1)//"><entry><link href="x"/><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></div></title></entry></feed>`), "")

	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	src := feedloom.Source{URL: "https://fuzz.example/feed"}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		feed, err := Parse(body, contentType)
		if err != nil {
			if feed != nil {
				t.Fatalf("Parse returned a feed and error %v", err)
			}
			return
		}
		items := Items(feed, src, src.URL, now)
		ids := make(map[string]bool)
		for _, it := range items {
			checkItem(t, it, src, now)
			if ids[it.ID] {
				t.Errorf("ID %s twice", it.ID)
			}
			ids[it.ID] = true
		}
	})
}

func checkItem(t *testing.T, it feedloom.Item, src feedloom.Source, now time.Time) {
	t.Helper()
	line := map[string]string{"title": it.Title, "guid": it.GUID, "source name": it.SourceName, "key": it.Key}
	for i, a := range it.Authors {
		line[fmt.Sprint("author ", i)] = a
	}
	for i, c := range it.Categories {
		line[fmt.Sprint("category ", i)] = c
	}
	for name, s := range line {
		if err := checkString(s, ""); err != "" {
			t.Errorf("%s %q: %s", name, s, err)
		}
	}
	for name, s := range map[string]string{"summary": it.Summary, "content": it.Content, "text": it.Text} {
		if err := checkString(s, "\t\n"); err != "" {
			t.Errorf("%s %q: %s", name, s, err)
		}
	}
	for name, s := range map[string]string{"summary": it.Summary, "content": it.Content} {
		if err := checkSafeHTML(s); err != nil {
			t.Errorf("%s is unsafe: %v\n%s", name, err, s)
		}
	}
	urls := []string{it.URL}
	for _, e := range it.Enclosures {
		if e.URL == "" {
			t.Error("enclosure without URL")
		}
		urls = append(urls, e.URL)
	}
	for _, u := range urls {
		if u != "" && (!strings.HasPrefix(u, "http") || checkURL(u) != nil) {
			t.Errorf("URL %q is neither empty nor absolute http(s)", u)
		}
	}
	if !strings.HasPrefix(it.Key, "guid:") && !strings.HasPrefix(it.Key, "url:") && !strings.HasPrefix(it.Key, "hash:") {
		t.Errorf("key %q has no known prefix", it.Key)
	}
	if it.ID != feedloom.ItemID(src.URL, it.Key) || it.Source != src.URL {
		t.Errorf("ID %s, source %s do not match key %q of source %s", it.ID, it.Source, it.Key, src.URL)
	}
	for _, tm := range []time.Time{it.Published, it.Updated, it.FirstSeen} {
		if tm.IsZero() && tm != it.FirstSeen {
			continue // no usable date: the aggregator fills it in
		}
		if tm.Location() != time.UTC || tm.Nanosecond() != 0 || tm.After(now) || tm.Before(minDate) {
			t.Errorf("time %v: want UTC whole seconds between 1995 and %v", tm, now)
		}
	}
	if it.Updated.Before(it.Published) {
		t.Errorf("updated %v before published %v", it.Updated, it.Published)
	}
}

// checkString returns what is wrong with s: invalid UTF-8, or a control
// character other than those in allowed.
func checkString(s, allowed string) string {
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	for _, r := range s {
		if dropRune(r) && !strings.ContainsRune(allowed, r) {
			return fmt.Sprintf("control character %U", r)
		}
	}
	return ""
}
