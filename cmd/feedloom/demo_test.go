package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// TestDemo runs the README's example (a copy, so the store lands in a
// temporary directory): serve polls the bundled feeds, and every topic
// feed it serves parses in Universal Feed Parser with bozo 0 (RSS, Atom)
// and in gofeed (all three formats).
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../examples/demo")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "feedloom.db"))
	cfgPath := filepath.Join(dir, "feedloom.yaml")
	code, out, errOut := run(t, "poll", "-config", cfgPath)
	if code != 0 || !strings.Contains(out, "3 sources polled, 0 failed") {
		t.Fatalf("poll of the demo: exit %d\n%s%s", code, out, errOut)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := startServe(t, cfgPath, ln, nil)
	base := "http://" + ln.Addr().String() + "/"
	for _, topic := range cfg.Topics {
		for _, ext := range []string{"rss", "atom", "json"} {
			t.Run(topic.Name+"."+ext, func(t *testing.T) {
				resp, err := http.Get(base + "topics/" + topic.Name + "." + ext)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d", resp.StatusCode)
				}
				feed, err := gofeed.NewParser().ParseString(string(body))
				if err != nil {
					t.Fatalf("gofeed: %v", err)
				}
				if len(feed.Items) == 0 {
					t.Errorf("topic %s is empty", topic.Name)
				}
				if ext != "json" {
					checkFeedparser(t, body)
				}
				if topic.Name == "missile-defense" && ext == "rss" {
					checkLavrov(t, body)
				}
			})
		}
	}
}

// checkLavrov requires the demo's Lavrov story, carried by TASS, the wire
// digest and the defapress-style repost, to be one entry crediting the
// other outlets, without the repost's page chrome.
func checkLavrov(t *testing.T, rss []byte) {
	t.Helper()
	const title = "<title>Moscow Views Deployment of US Missile Defense in Japan as Threat</title>"
	if n := strings.Count(string(rss), title); n != 1 {
		t.Errorf("the Lavrov story appears %d times, want once", n)
	}
	if !strings.Contains(string(rss), "Also reported by: ") {
		t.Error("no entry credits other outlets")
	}
	for _, chrome := range []string{"News ID", "Message end/", "your comment"} {
		if strings.Contains(string(rss), chrome) {
			t.Errorf("page chrome %q republished", chrome)
		}
	}
}
