package publisher

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/internal/readertest"
	"github.com/feedloom/feedloom/store"
	"github.com/feedloom/feedloom/store/storetest"
)

// scriptMarker is what the script planted in a summary would add to the
// DOM if it ran. It is built at run time, so the script's own source (which
// is in the DOM whether or not it ran) does not contain it.
const (
	plantedScript = `<script>document.body.appendChild(document.createElement("x-" + "ran"))</script>`
	scriptMarker  = "<x-ran>"
)

// chromiumSite is a topic over a real store, served on loopback with its
// own address as the base URL, so that the browser loads the stylesheet
// and follows the links to the same server.
func chromiumSite(t *testing.T) (base string) {
	t.Helper()
	st := storetest.Open(t)
	now := time.Now().UTC().Truncate(time.Second)
	item := func(src, name, key, title, summary string, published time.Time) feedloom.Item {
		return feedloom.Item{
			ID: feedloom.ItemID(src, key), Source: src, SourceName: name, Key: "url:" + key,
			URL: src + "/news/" + key, Title: title, Summary: summary,
			Published: published, Updated: published, FirstSeen: published, Topics: []string{"world"},
		}
	}
	// One story carried by three outlets, one story carried by one, and a
	// summary with a script in it (the store holds what it is given; the
	// page's CSP must stop it).
	stories := [][]feedloom.Item{
		{
			item("https://tass.example", "TASS", "1", "Ministers meet in Geneva on missile defense",
				"<p>The foreign ministers met for three hours and agreed to meet again in spring.</p>", now.Add(-2*time.Hour)),
			item("https://defapress.example", "Defa Press", "77346", "Geneva talks: ministers meet", "", now.Add(-110*time.Minute)),
			item("https://wire.example", "Wire Digest", "w9", "Ministers meet", "", now.Add(-100*time.Minute)),
		},
		{
			item("https://wire.example", "Wire Digest", "w10", "Air defense drills end early",
				"<p>Drills ended a day early.</p>"+plantedScript, now.Add(-5*time.Hour)),
		},
	}
	err := st.Update(context.Background(), func(w *store.Writer) error {
		for _, items := range stories {
			for i := range items {
				items[i].Story = items[0].ID
				if err := w.SaveItem(&items[i]); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	ts := httptest.NewUnstartedServer(nil)
	base = "http://" + ts.Listener.Addr().String() + "/"
	srv := New(st, Options{BaseURL: base, Title: "Loom", Topics: []feedloom.Topic{
		{Name: "world", Title: "World", Description: "Wire stories and analysis, once each."},
	}})
	h := srv.Handler()
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/control" {
			// The same script on a page without a CSP: it must run, or
			// the check that it did not run on the topic page proves
			// nothing.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<!DOCTYPE html><html><head><title>control</title></head><body>" + plantedScript + "</body></html>"))
			return
		}
		h.ServeHTTP(w, r)
	})
	ts.Start()
	t.Cleanup(ts.Close)
	return base
}

// TestChromium loads the index and a topic page in headless Chromium
// (CLIENTS.md): the entries, their outlets and links and the
// autodiscovery links are in the DOM, no script ran, and a screenshot of
// each page is saved as a test artifact (in $FEEDLOOM_ARTIFACTS when set).
func TestChromium(t *testing.T) {
	readertest.Require(t, "chromium")
	base := chromiumSite(t)

	if dom := readertest.DumpDOM(t, base+"control"); !strings.Contains(dom, scriptMarker) {
		t.Fatalf("the script did not run on the control page, so the CSP check below proves nothing:\n%s", dom)
	}

	dom := readertest.DumpDOM(t, base+"topics/world")
	for _, want := range []string{
		"<h1>World</h1>",
		// Entries, newest first, with their links.
		`<a href="https://tass.example/news/1" rel="nofollow noopener noreferrer">Ministers meet in Geneva on missile defense</a>`,
		`<a href="https://wire.example/news/w10" rel="nofollow noopener noreferrer">Air defense drills end early</a>`,
		"The foreign ministers met for three hours",
		// Every outlet of the story, linked.
		`<a href="https://defapress.example/news/77346" rel="nofollow noopener noreferrer">Defa Press</a>`,
		`<a href="https://wire.example/news/w9" rel="nofollow noopener noreferrer">Wire Digest</a>`,
		// Autodiscovery, one link per format.
		`<link rel="alternate" type="application/atom+xml" title="World (Atom)" href="` + base + `topics/world.atom">`,
		`<link rel="alternate" type="application/rss+xml" title="World (RSS)" href="` + base + `topics/world.rss">`,
		`<link rel="alternate" type="application/feed+json" title="World (JSON Feed)" href="` + base + `topics/world.json">`,
		// The stylesheet.
		`<link rel="stylesheet" href="` + base + `style.css">`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("topic page DOM lacks %s", want)
		}
	}
	if strings.Index(dom, "Ministers meet in Geneva") > strings.Index(dom, "Air defense drills") {
		t.Error("topic page: entries are not newest first")
	}
	if strings.Contains(dom, scriptMarker) {
		t.Error("topic page: the script in a summary ran despite the CSP")
	}
	if !strings.Contains(dom, "Drills ended a day early.") {
		t.Error("topic page: the summary that holds the script is missing")
	}

	index := readertest.DumpDOM(t, base)
	for _, want := range []string{
		`<a href="` + base + `topics/world">World</a>`,
		`href="` + base + `topics/world.atom"`,
		`href="` + base + `topics.opml"`,
	} {
		if !strings.Contains(index, want) {
			t.Errorf("index DOM lacks %s", want)
		}
	}

	dir := os.Getenv("FEEDLOOM_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"chromium-topic.png": "topics/world", "chromium-index.png": ""} {
		file := filepath.Join(dir, name)
		readertest.Screenshot(t, base+path, file)
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("screenshot %s: %v", file, err)
		}
		if r := img.Bounds(); r.Dx() != 1280 || r.Dy() < 100 {
			t.Errorf("screenshot %s is %v, want 1280 wide", file, r)
		}
		t.Logf("screenshot of /%s: %s (%d bytes)", path, file, len(b))
	}
}
