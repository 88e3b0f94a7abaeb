package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeHub runs serve with websub.hub: builtin: the feeds advertise
// the hub, and /websub refuses a topic that is not a feed of the site.
func TestServeHub(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "listen: "+ln.Addr().String()+"\nbase_url: "+base+"\nstore: "+filepath.Join(dir, "feedloom.db")+
		"\nfetch:\n  allow_private_networks: true\nwebsub:\n  hub: builtin\n"+
		"sources:\n  - url: http://127.0.0.1:1/feed\ntopics:\n  - name: everything\n")
	startServe(t, cfg, ln, nil)
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err = http.Get(base + "topics/everything.atom")
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), base+"websub") || !strings.Contains(resp.Header.Get("Link"), base+"websub") {
		t.Errorf("the feed does not advertise the hub: Link %q\n%s", resp.Header.Get("Link"), body)
	}
	resp, err = http.PostForm(base+"websub", url.Values{"hub.mode": {"subscribe"}, "hub.topic": {base + "topics/nope.rss"}, "hub.callback": {base + "cb"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown topic: %d, want 400", resp.StatusCode)
	}
}

func TestHubConfig(t *testing.T) {
	for value, want := range map[string]string{
		"builtin":              "http://127.0.0.1:8080/websub",
		"https://hub.example/": "https://hub.example/",
		"ftp://hub.example/":   "",
		"relative/path":        "",
	} {
		dir := t.TempDir()
		cfg := writeConfig(t, dir, "listen: 127.0.0.1:8080\nstore: "+filepath.Join(dir, "feedloom.db")+
			"\nwebsub:\n  hub: "+value+"\nsources:\n  - url: https://example.org/feed\ntopics:\n  - name: everything\n")
		e := &env{stdout: io.Discard, stderr: io.Discard, name: "serve", configPath: cfg}
		c, err := e.loadConfig()
		if want == "" {
			if err == nil {
				t.Errorf("%s: accepted", value)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", value, err)
			continue
		}
		if got := hubURL(c); got != want {
			t.Errorf("%s: hub URL %q, want %q", value, got, want)
		}
	}
}
