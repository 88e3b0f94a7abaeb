package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/internal/readertest"
	"github.com/mmcdole/gofeed"
)

// origin serves one RSS document with an ETag and answers 304 to a
// matching If-None-Match, recording what each request carried.
type origin struct {
	mu       sync.Mutex
	body     string
	requests []http.Header
	srv      *httptest.Server
}

func newOrigin(t *testing.T, body string) *origin {
	o := &origin{body: body}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.requests = append(o.requests, r.Header.Clone())
		etag := fmt.Sprintf(`"%x"`, len(o.body)*31+int(o.body[len(o.body)/2]))
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, o.body)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *origin) set(body string) {
	o.mu.Lock()
	o.body = body
	o.mu.Unlock()
}

func (o *origin) lastRequest() http.Header {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.requests) == 0 {
		return nil
	}
	return o.requests[len(o.requests)-1]
}

func (o *origin) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.requests)
}

func rss(title string, items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>` + title +
		`</title><link>https://example.org/</link><description>d</description>` + strings.Join(items, "") + `</channel></rss>`
}

func rssItem(guid, title, link, date, body string) string {
	return `<item><guid isPermaLink="false">` + guid + `</guid><title>` + title + `</title><link>` + link +
		`</link><pubDate>` + date + `</pubDate><description><![CDATA[` + body + `]]></description></item>`
}

// run runs the command line and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

type jsonItem struct {
	ID, Story, Source, GUID, URL, Title, Published string
	Topics                                         []string
}

func items(t *testing.T, cfg string, extra ...string) []jsonItem {
	t.Helper()
	code, out, errOut := run(t, append([]string{"items", "-json", "-config", cfg}, extra...)...)
	if code != 0 {
		t.Fatalf("items exited %d: %s", code, errOut)
	}
	var list []jsonItem
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var it jsonItem
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			t.Fatalf("items -json line %q: %v", sc.Text(), err)
		}
		list = append(list, it)
	}
	return list
}

func writeConfig(t *testing.T, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "feedloom.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEndToEnd runs origin → poll → serve → parse every topic feed back.
func TestEndToEnd(t *testing.T) {
	tass := newOrigin(t, rss("TASS",
		rssItem("tass-1", "Moscow Views Deployment of US Missile Defense in Japan as Threat",
			"https://tass.com/politics/1057599?utm_source=rss", "Sat, 11 May 2019 10:41:00 +0300",
			"<p>Lavrov said the missile defense systems in Japan threaten Russia.</p>"),
		rssItem("tass-2", "Grain exports set a record", "https://tass.com/economy/1", "Sat, 11 May 2019 16:20:00 +0300",
			"<p>Russia exported a record amount of grain.</p>"),
		rssItem("tass-3", "S-500 to enter service", "https://tass.com/defense/2", "Sun, 12 May 2019 09:15:00 +0300",
			"<p>The S-500 ballistic missile defense system enters service.</p>"),
	))
	digest := newOrigin(t, rss("Digest",
		rssItem("d-1", "Moscow: US missile defense in Japan is a threat",
			"https://TASS.com/politics/1057599?utm_source=digest&utm_medium=rss&fbclid=x#top", "Sat, 11 May 2019 08:00:00 +0000",
			"<p>Via TASS.</p>"),
	))
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	cfg := writeConfig(t, dir, fmt.Sprintf(`
listen: %s
base_url: %s
store: state/feedloom.db
fetch:
  allow_private_networks: true
sources:
  - url: %s
    name: TASS
    tags: [wire]
  - url: %s
topics:
  - name: missile-defense
    title: Missile defense
    match:
      any: ["missile defense"]
  - name: everything
    title: Everything
`, ln.Addr(), base, tass.srv.URL, digest.srv.URL))
	if err := os.Mkdir(filepath.Join(dir, "state"), 0o700); err != nil {
		t.Fatal(err)
	}

	// First poll: unconditional.
	if code, out, errOut := run(t, "poll", "-config", cfg); code != 0 {
		t.Fatalf("poll exited %d\n%s%s", code, out, errOut)
	}
	if h := tass.lastRequest(); h.Get("If-None-Match") != "" {
		t.Errorf("first poll sent If-None-Match %q", h.Get("If-None-Match"))
	}
	first := items(t, cfg)
	if len(first) != 4 {
		t.Fatalf("stored %d items after the first poll, want 4: %+v", len(first), first)
	}
	stories := map[string][]string{}
	for _, it := range first {
		stories[it.Story] = append(stories[it.Story], it.Source)
	}
	if len(stories) != 3 {
		t.Errorf("%d stories, want 3 (the utm variant of the TASS link joins its story): %v", len(stories), stories)
	}

	// stories lists the merged story with both outlets.
	code, out, errOut := run(t, "stories", "-json", "-topic", "missile-defense", "-config", cfg)
	if code != 0 {
		t.Fatalf("stories exited %d: %s", code, errOut)
	}
	var merged struct {
		Title   string
		Outlets []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(strings.SplitN(out, "\n", 3)[1]), &merged); err != nil {
		t.Fatalf("stories -json: %v\n%s", err, out)
	}
	if len(merged.Outlets) != 2 || merged.Outlets[0].Name != "TASS" || merged.Outlets[1].Name != "Digest" {
		t.Errorf("the merged story lists outlets %+v, want TASS then Digest", merged.Outlets)
	}

	// Second poll: conditional, answered 304, stores nothing.
	if code, out, errOut := run(t, "poll", "-config", cfg); code != 0 || !strings.Contains(out, "not modified") {
		t.Fatalf("second poll exited %d, want 0 with 'not modified'\n%s%s", code, out, errOut)
	}
	if h := tass.lastRequest(); h.Get("If-None-Match") == "" {
		t.Error("second poll sent no If-None-Match")
	}
	if second := items(t, cfg); !slices.EqualFunc(first, second, func(a, b jsonItem) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
		t.Errorf("a 304 changed what is stored:\nbefore %+v\nafter  %+v", first, second)
	}

	// An edited item (same GUID, new text) is updated, not duplicated.
	tass.set(strings.Replace(tass.body, "Grain exports set a record", "Grain exports set a new record", 1))
	if code, out, errOut := run(t, "poll", "-config", cfg); code != 0 || !strings.Contains(out, "1 updated") {
		t.Fatalf("third poll exited %d, want '1 updated'\n%s%s", code, out, errOut)
	}
	third := items(t, cfg)
	if len(third) != 4 {
		t.Fatalf("stored %d items after an edit, want still 4", len(third))
	}
	var edited jsonItem
	for _, it := range third {
		if it.GUID == "tass-2" {
			edited = it
		}
	}
	if edited.Title != "Grain exports set a new record" {
		t.Errorf("edited item title = %q", edited.Title)
	}
	for _, it := range first {
		if it.GUID == "tass-2" && (it.ID != edited.ID || it.Story != edited.Story) {
			t.Errorf("edit changed ids: %s/%s -> %s/%s", it.ID, it.Story, edited.ID, edited.Story)
		}
	}

	// Serve, and read every topic feed back.
	_, stopServe := startServe(t, cfg, ln, nil)

	wantTopic := map[string][]string{
		// newest first: S-500 (12 May), then the missile defense story
		// (11 May 07:41 UTC, the TASS item created it).
		"missile-defense": {"S-500 to enter service", "Moscow Views Deployment of US Missile Defense in Japan as Threat"},
		"everything": {"S-500 to enter service", "Grain exports set a new record",
			"Moscow Views Deployment of US Missile Defense in Japan as Threat"},
	}
	storyOf := map[string]string{}
	for _, it := range third {
		storyOf[it.Title] = it.Story
	}
	for topic, titles := range wantTopic {
		for _, ext := range []string{"rss", "atom", "json"} {
			t.Run(topic+"."+ext, func(t *testing.T) {
				resp, err := http.Get(base + "topics/" + topic + "." + ext)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				}
				feed, err := gofeed.NewParser().ParseString(string(body))
				if err != nil {
					t.Fatalf("gofeed cannot parse it: %v\n%s", err, body)
				}
				var got []string
				for _, it := range feed.Items {
					got = append(got, it.Title)
					if want := feedloom.StoryURN(storyOf[it.Title]); it.GUID != want {
						t.Errorf("%q has id %q, want %q", it.Title, it.GUID, want)
					}
				}
				if !slices.Equal(got, titles) {
					t.Errorf("entries = %q, want %q", got, titles)
				}
				// The HTTP layer answers 304 to a matching ETag.
				etag := resp.Header.Get("ETag")
				req, _ := http.NewRequest("GET", base+"topics/"+topic+"."+ext, nil)
				req.Header.Set("If-None-Match", etag)
				resp2, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp2.Body.Close()
				if etag == "" || resp2.StatusCode != http.StatusNotModified {
					t.Errorf("If-None-Match %s: status %d, want 304", etag, resp2.StatusCode)
				}
				if ext != "json" {
					checkFeedparser(t, body)
				}
			})
		}
	}

	// The story carried by two sources credits both outlets.
	resp, err := http.Get(base + "topics/missile-defense")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"TASS", "Digest", `rel="alternate"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("HTML page lacks %q", want)
		}
	}

	// A second process on the same store fails fast with a clear message.
	code, _, errOut = run(t, "sources", "-config", cfg)
	if code == 0 || !strings.Contains(errOut, "in use by another feedloom process") {
		t.Errorf("sources while serve runs: exit %d, stderr %q; want a clear lock error", code, errOut)
	}

	if err := stopServe(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	// Shut down cleanly: the store is released.
	if code, out, errOut := run(t, "sources", "-config", cfg); code != 0 || !strings.Contains(out, "TASS") {
		t.Errorf("sources after shutdown: exit %d\n%s%s", code, out, errOut)
	}
}

// checkFeedparser requires Universal Feed Parser to read body with bozo 0
// and a known version.
func checkFeedparser(t *testing.T, body []byte) {
	t.Helper()
	if p := readertest.Feedparser(t, body); p.Bozo || p.Version == "" {
		t.Errorf("feedparser: %+v", p)
	}
}

func TestCheckReportsFileLine(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, `sources:
  - url: https://example.org/feed.xml
fetch:
  timeout: 30x
topics:
  - name: defense
    match:
      anyy: [missile]
`)
	code, _, errOut := run(t, "check", "-config", cfg)
	if code == 0 {
		t.Fatal("check accepted a bad config")
	}
	for _, want := range []string{
		cfg + `:4: fetch.timeout: invalid duration "30x"`,
		cfg + `:8: topics[0].match: unknown key "anyy"`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check output lacks %q:\n%s", want, errOut)
		}
	}
	good := writeConfig(t, t.TempDir(), "sources:\n  - url: https://example.org/feed.xml\n")
	if code, out, errOut := run(t, "check", "-config", good); code != 0 {
		t.Errorf("check of a good config exited %d: %s%s", code, out, errOut)
	}
}

func TestPrivateNetworkRefusedByDefault(t *testing.T) {
	o := newOrigin(t, rss("x", rssItem("1", "t", "https://example.org/1", "Sat, 11 May 2019 10:41:00 +0300", "b")))
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf("sources:\n  - url: %s\n", o.srv.URL))
	code, out, errOut := run(t, "poll", "-config", cfg)
	if code != 0 {
		t.Errorf("poll exited %d: a failing source must not fail the command\n%s", code, errOut)
	}
	if !strings.Contains(out, "refusing to connect") || !strings.Contains(out, "1 failed") {
		t.Errorf("poll output does not report the refusal:\n%s", out)
	}
	if n := o.count(); n != 0 {
		t.Errorf("origin on 127.0.0.1 got %d requests, want 0", n)
	}
	_, out, _ = run(t, "sources", "-config", cfg)
	if !strings.Contains(out, "failing") || !strings.Contains(out, "refusing to connect") {
		t.Errorf("sources does not show the failing source:\n%s", out)
	}
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := run(t, "version"); code != 0 || !strings.HasPrefix(out, "feedloom ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errOut := run(t, "frobnicate"); code != exitUsage || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
}
