package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
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

// TestServeHubReload: the built-in hub follows config reloads. A topic
// added by a reload takes subscriptions (verified at its URL under the
// new base_url), a kept topic's subscriber gets deliveries that name the
// new hub and feed URLs, the old URLs and a removed topic are refused.
func TestServeHubReload(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	base1 := "http://127.0.0.1:" + strconv.Itoa(port) + "/"
	base2 := "http://localhost:" + strconv.Itoa(port) + "/"
	dir := t.TempDir()
	config := func(base string, topics ...string) string {
		s := "listen: " + ln.Addr().String() + "\nbase_url: " + base + "\nstore: " + filepath.Join(dir, "feedloom.db") +
			"\nfetch:\n  allow_private_networks: true\nwebsub:\n  hub: builtin\nsources:\n  - url: http://127.0.0.1:1/feed\ntopics:\n"
		for _, n := range topics {
			s += "  - name: " + n + "\n"
		}
		return s
	}
	cfgPath := writeConfig(t, dir, config(base1, "everything"))
	oldPoll := hubPoll
	hubPoll = 20 * time.Millisecond
	got := make(chan *reloader, 1)
	onReloader = func(r *reloader) { got <- r }
	t.Cleanup(func() { hubPoll, onReloader = oldPoll, nil })
	startServe(t, cfgPath, ln, nil)
	rl := <-got

	type delivery struct {
		link string
		body []byte
	}
	checks, pushes := make(chan url.Values, 16), make(chan delivery, 16)
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			checks <- r.URL.Query()
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		b, _ := io.ReadAll(r.Body)
		pushes <- delivery{r.Header.Get("Link"), b}
	}))
	defer sub.Close()
	ask := func(hub, topic string) int {
		t.Helper()
		var resp *http.Response
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			resp, err = http.PostForm(hub, url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {sub.URL}})
			if err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	verified := func(topic string) {
		t.Helper()
		select {
		case q := <-checks:
			if q.Get("hub.topic") != topic {
				t.Errorf("verified %q, want %q", q.Get("hub.topic"), topic)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no verification of %s", topic)
		}
	}

	if code := ask(base1+"websub", base1+"topics/second.atom"); code != http.StatusBadRequest {
		t.Errorf("second before it is configured: %d, want 400", code)
	}
	if code := ask(base1+"websub", base1+"topics/everything.atom"); code != http.StatusAccepted {
		t.Fatalf("subscribe: %d", code)
	}
	verified(base1 + "topics/everything.atom")
	// The subscription is active once the hub has read the echo.
	for deadline := time.Now().Add(20 * time.Second); len(rl.hub.h.Subscribers(base1+"topics/everything.atom")) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the subscription did not become active")
		}
	}

	// Reload: a new base_url and a second topic.
	if err := os.WriteFile(cfgPath, []byte(config(base2, "everything", "second")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	if code := ask(base2+"websub", base2+"topics/second.atom"); code != http.StatusAccepted {
		t.Errorf("the added topic: %d, want 202", code)
	}
	verified(base2 + "topics/second.atom")
	if code := ask(base2+"websub", base1+"topics/everything.atom"); code != http.StatusBadRequest {
		t.Errorf("the old URL of a kept topic: %d, want 400", code)
	}
	// The kept topic's feed now names the new URLs: its subscriber gets
	// it, with the new hub and self links.
	select {
	case d := <-pushes:
		if want := `<` + base2 + `websub>; rel="hub", <` + base2 + `topics/everything.atom>; rel="self"`; d.link != want {
			t.Errorf("delivery Link %q, want %q", d.link, want)
		}
		if !strings.Contains(string(d.body), base2+"topics/everything.atom") || strings.Contains(string(d.body), base1) {
			t.Errorf("delivered feed does not use the new base URL only:\n%s", d.body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery after the reload")
	}

	// Reload: second removed.
	if err := os.WriteFile(cfgPath, []byte(config(base2, "everything")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	if code := ask(base2+"websub", base2+"topics/second.atom"); code != http.StatusBadRequest {
		t.Errorf("the removed topic: %d, want 400", code)
	}
}
