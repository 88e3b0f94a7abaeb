package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/internal/loopbacktest"
)

// newSite serves pages (path → content type and body) on loopback and
// counts the connections it accepts.
func newSite(t *testing.T, pages map[string][2]string) (*httptest.Server, *loopbacktest.Listener) {
	t.Helper()
	return loopbacktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", p[0])
		fmt.Fprint(w, p[1])
	}))
}

const htmlType = "text/html; charset=utf-8"

func feedOf(title string, n int) string {
	var items []string
	for i := range n {
		items = append(items, rssItem(fmt.Sprintf("%s-%d", title, i), fmt.Sprintf("%s story %d", title, i),
			fmt.Sprintf("https://example.org/%s/%d", title, i),
			time.Date(2026, 6, 1+i, 9, 30, 0, 0, time.UTC).Format(time.RFC1123Z), "body"))
	}
	return rss(title, items...)
}

// The config the add tests edit: comments, blank lines, an OPML
// include, and topics after the sources.
const addBefore = `# feedloom config: hand-written, keep my comments
fetch:
  allow_private_networks: true   # the test sites are on loopback

sources:
  # the wires
  - url: https://wire.example/rss     # the main wire
    name: Wire
    tags: [wire]

  - opml: subs.opml   # everything else
`

const addAfter = `  # - url: https://disabled.example/feed

# topics below
topics:
  - name: everything
  - name: wires
    match:
      sources: ["tag:wire"]
  - name: chosen
    match:
      sources:
        - Wire
  - name: flowlist
    match: {sources: [Wire]}
`

func addConfig(t *testing.T) (dir, cfg string) {
	t.Helper()
	dir = t.TempDir()
	err := os.WriteFile(filepath.Join(dir, "subs.opml"), []byte(`<?xml version="1.0"?>
<opml version="2.0"><body><outline text="Included" xmlUrl="https://included.example/feed?utm_source=x"/></body></opml>`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return dir, writeConfig(t, dir, addBefore+addAfter)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAddFromPage: a page advertising two feeds (one by a relative href);
// -pick 2 takes the second; the block goes after the last source and
// every other byte of the file stays.
func TestAddFromPage(t *testing.T) {
	srv, _ := newSite(t, map[string][2]string{
		"/news/": {htmlType, `<!doctype html><html><head><title>News</title>
<link rel="alternate" type="application/rss+xml" title="All news" href="all.xml">
<link rel="alternate" type="application/atom+xml" title="Comments" href="/comments.atom">
</head><body></body></html>`},
		"/news/all.xml": {"application/rss+xml", feedOf("Daily", 3)},
	})
	_, cfg := addConfig(t)
	code, out, errOut := run(t, "add", srv.URL+"/news/", "-pick", "1", "-tags", "world, daily", "-config", cfg)
	if code != 0 {
		t.Fatalf("add exited %d\n%s%s", code, out, errOut)
	}
	t.Logf("feedloom add:\n%s", out)
	for _, want := range []string{
		srv.URL + "/news/ advertises 2 feeds:",
		"  1. All news  " + srv.URL + "/news/all.xml  application/rss+xml",
		"  2. Comments  " + srv.URL + "/comments.atom  application/atom+xml",
		"feed:   Daily\n",
		"items:  3\n",
		"newest: " + time.Date(2026, 6, 3, 9, 30, 0, 0, time.UTC).Local().Format(time.DateTime) + "  Daily story 2\n",
		"added Daily to " + cfg + " (3 sources)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	block := "  - url: " + srv.URL + "/news/all.xml\n    name: Daily\n    tags: [world, daily]\n"
	if got, want := readFile(t, cfg), addBefore+block+addAfter; got != want {
		t.Errorf("config file\n%s\nwant\n%s", got, want)
	}
	if code, out, errOut := run(t, "check", "-config", cfg); code != 0 || !strings.Contains(out, "3 sources") {
		t.Errorf("check after add: %d %s%s", code, out, errOut)
	}

	// Several feeds, standard input not a terminal, no -pick: no guess.
	before := readFile(t, cfg)
	code, out, errOut = run(t, "add", srv.URL+"/news/", "-config", cfg)
	if code != exitUsage || !strings.Contains(errOut, "choose one with -pick N") ||
		!strings.Contains(out, "  1. All news  "+srv.URL+"/news/all.xml  application/rss+xml  (already a source)\n") {
		t.Errorf("several feeds without -pick: exit %d\n%s%s", code, out, errOut)
	}
	if readFile(t, cfg) != before {
		t.Error("the refused add changed the config")
	}
}

// TestAddPrompt: on a terminal, add asks which feed, and asks again after
// an answer that is not one of them.
func TestAddPrompt(t *testing.T) {
	srv, _ := newSite(t, map[string][2]string{
		"/": {htmlType, `<html><head>
<link rel="alternate" type="application/rss+xml" title="One" href="/one.xml">
<link rel="alternate" type="application/feed+json" title="Two" href="/two.xml">
</head></html>`},
		"/one.xml": {"application/rss+xml", feedOf("One", 1)},
		"/two.xml": {"application/rss+xml", feedOf("Two", 2)},
	})
	old := isTerminal
	t.Cleanup(func() { isTerminal = old })
	isTerminal = func(any) bool { return true }
	_, cfg := addConfig(t)
	var stdout, stderr bytes.Buffer
	code := mainIO(context.Background(), []string{"add", srv.URL + "/", "-name", "Second", "-config", cfg},
		strings.NewReader("7\n2\n"), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("add exited %d\n%s%s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if strings.Count(out, "add which one? [1-2, empty to cancel]: ") != 2 || !strings.Contains(out, `"7" is not one of 1 to 2`) {
		t.Errorf("prompt:\n%s", out)
	}
	if !strings.Contains(readFile(t, cfg), "  - url: "+srv.URL+"/two.xml\n    name: Second\n") {
		t.Errorf("the second feed was not added:\n%s", readFile(t, cfg))
	}
	// An empty answer cancels.
	before := readFile(t, cfg)
	stdout.Reset()
	code = mainIO(context.Background(), []string{"add", srv.URL + "/", "-config", cfg}, strings.NewReader("\n"), &stdout, &stderr)
	if code != exitError || readFile(t, cfg) != before {
		t.Errorf("cancelled add: exit %d, file changed %v", code, readFile(t, cfg) != before)
	}
}

// TestAddFallbackPaths: a page that advertises nothing; the feed is at
// one of the usual paths.
func TestAddFallbackPaths(t *testing.T) {
	srv, _ := newSite(t, map[string][2]string{
		"/about":    {htmlType, `<html><head><title>About</title></head><body>no links</body></html>`},
		"/feed":     {htmlType, `<html>a page, not a feed</html>`},
		"/atom.xml": {"application/atom+xml", feedOf("Fallback", 2)},
	})
	_, cfg := addConfig(t)
	code, out, errOut := run(t, "add", srv.URL+"/about", "-config", cfg)
	if code != 0 {
		t.Fatalf("add exited %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "advertises no feed; found at the usual paths:\n  1. Fallback  "+srv.URL+"/atom.xml\n") {
		t.Errorf("output:\n%s", out)
	}
	if !strings.Contains(readFile(t, cfg), "  - url: "+srv.URL+"/atom.xml\n    name: Fallback\n") {
		t.Errorf("config:\n%s", readFile(t, cfg))
	}
}

// TestAddFeedAndDuplicates: the address is a feed itself; adding it
// again, or a spelling of a feed an OPML include lists, is refused.
func TestAddFeedAndDuplicates(t *testing.T) {
	srv, _ := newSite(t, map[string][2]string{"/rss": {"application/rss+xml", feedOf("Direct", 2)}})
	_, cfg := addConfig(t)
	code, out, errOut := run(t, "add", srv.URL+"/rss", "-config", cfg)
	if code != 0 {
		t.Fatalf("add exited %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, srv.URL+"/rss is a feed\n") {
		t.Errorf("output:\n%s", out)
	}
	before := readFile(t, cfg)
	for _, u := range []string{
		srv.URL + "/rss#latest",
		strings.Replace(srv.URL, "http://", "HTTP://", 1) + "/rss?utm_medium=feed",
		"https://INCLUDED.example:443/feed", // listed by subs.opml, with a tracking parameter
		"https://wire.example/rss",
	} {
		code, out, errOut := run(t, "add", u, "-config", cfg)
		if code != exitError || !strings.Contains(errOut, "is already a source") {
			t.Errorf("add %s: exit %d\n%s%s", u, code, out, errOut)
		}
	}
	if readFile(t, cfg) != before {
		t.Error("a refused duplicate changed the config")
	}
}

// TestAddNothingFound: a page with no feed anywhere, and a missing page.
func TestAddNothingFound(t *testing.T) {
	srv, _ := newSite(t, map[string][2]string{"/": {htmlType, `<html><head><title>Bare</title></head></html>`}})
	_, cfg := addConfig(t)
	before := readFile(t, cfg)
	code, _, errOut := run(t, "add", srv.URL+"/", "-config", cfg)
	if code != exitError || !strings.Contains(errOut, "not a feed: the page advertises no feed") {
		t.Errorf("no feed: exit %d: %s", code, errOut)
	}
	code, _, errOut = run(t, "add", srv.URL+"/gone", "-config", cfg)
	if code != exitError || !strings.Contains(errOut, "unreachable") || !strings.Contains(errOut, "404") {
		t.Errorf("404: exit %d: %s", code, errOut)
	}
	if readFile(t, cfg) != before {
		t.Error("a failed add changed the config")
	}
}

// TestAddGuard: without fetch.allow_private_networks a loopback address
// is refused before any connection is made.
func TestAddGuard(t *testing.T) {
	srv, cl := newSite(t, map[string][2]string{"/rss": {"application/rss+xml", feedOf("Private", 1)}})
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "sources:\n  - url: https://wire.example/rss\n")
	code, _, errOut := run(t, "add", srv.URL+"/rss", "-config", cfg)
	if code != exitError || !strings.Contains(errOut, "refusing to connect") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if n := cl.Accepts(); n != 0 {
		t.Errorf("%d connections accepted, want 0", n)
	}
	if got := readFile(t, cfg); got != "sources:\n  - url: https://wire.example/rss\n" {
		t.Errorf("config changed:\n%s", got)
	}
}

// TestAddTopic: -topic on a topic that takes every source, one that takes
// a tag, and one that lists its sources.
func TestAddTopic(t *testing.T) {
	srv, _ := newSite(t, map[string][2]string{
		"/a": {"application/rss+xml", feedOf("A", 1)},
		"/b": {"application/rss+xml", feedOf("B", 1)},
		"/c": {"application/rss+xml", feedOf("C", 1)},
		"/d": {"application/rss+xml", feedOf("D", 1)},
	})
	_, cfg := addConfig(t)
	for _, tc := range []struct{ path, topic, say, file string }{
		{"/a", "everything", "takes items from every source already", "  - url: " + srv.URL + "/a\n    name: A\n"},
		{"/b", "wires", `takes sources tagged "wire": the source gets that tag`, "  - url: " + srv.URL + "/b\n    name: B\n    tags: [wire]\n"},
		{"/c", "chosen", "the feed's URL is added to its match.sources", "        - Wire\n        - " + srv.URL + "/c\n"},
	} {
		code, out, errOut := run(t, "add", srv.URL+tc.path, "-topic", tc.topic, "-config", cfg)
		if code != 0 || !strings.Contains(out, tc.say) {
			t.Errorf("-topic %s: exit %d\n%s%s", tc.topic, code, out, errOut)
		}
		if !strings.Contains(readFile(t, cfg), tc.file) {
			t.Errorf("-topic %s: config lacks %q:\n%s", tc.topic, tc.file, readFile(t, cfg))
		}
	}
	if code, out, errOut := run(t, "check", "-config", cfg); code != 0 || !strings.Contains(out, "5 sources") {
		t.Errorf("the edited config: exit %d %s%s", code, out, errOut)
	}
	// A list written [A, B] is not rewritten; the message names its line
	// in the file as it is.
	before := readFile(t, cfg)
	line := strings.Count(before[:strings.Index(before, "match: {sources: [Wire]}")], "\n") + 1
	code, _, errOut := run(t, "add", srv.URL+"/d", "-topic", "flowlist", "-config", cfg)
	if want := fmt.Sprintf(`line %d: topic "flowlist"'s match.sources is written as a flow list`, line); code != exitError || !strings.Contains(errOut, want) {
		t.Errorf("flow list: exit %d: %s, want %q", code, errOut, want)
	}
	if readFile(t, cfg) != before {
		t.Error("the refused -topic changed the config")
	}
	if code, _, errOut := run(t, "add", srv.URL+"/a", "-topic", "nope", "-config", cfg); code != exitUsage || !strings.Contains(errOut, `no topic "nope"`) {
		t.Errorf("unknown topic: exit %d: %s", code, errOut)
	}
}

// TestIsTerminal: /dev/null is a character device but not a terminal, so
// `feedloom add URL </dev/null` does not wait for an answer.
func TestIsTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, s := range map[string]any{"/dev/null": null, "pipe": r, "buffer": &bytes.Buffer{}} {
		if isTerminal(s) {
			t.Errorf("%s is taken for a terminal", name)
		}
	}
}
