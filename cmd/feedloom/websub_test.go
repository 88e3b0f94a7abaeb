package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeWebSub runs serve with websub.subscribe on against a hub of the
// test's own: the first poll finds the hub, serve subscribes, answers the
// verification, stores a signed push and ignores an unsigned one.
func TestServeWebSub(t *testing.T) {
	subs := make(chan url.Values, 10)
	hub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		subs <- r.PostForm
		w.WriteHeader(http.StatusAccepted)
	}))
	defer hub.Close()
	origin := httptest.NewUnstartedServer(nil)
	topic := "http://" + origin.Listener.Addr().String() + "/feed"
	doc := func(titles ...string) string {
		var items []string
		for _, title := range titles {
			items = append(items, rssItem(title, title, "https://example.org/"+strings.ReplaceAll(title, " ", "-"),
				"Mon, 02 Mar 2026 10:00:00 +0000", "<p>"+title+".</p>"))
		}
		return `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Wire</title>` +
			`<link>https://example.org/</link><description>d</description><atom:link rel="hub" href="` + hub.URL + `/"/>` +
			`<atom:link rel="self" href="` + topic + `"/>` + strings.Join(items, "") + `</channel></rss>`
	}
	origin.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, doc("Polled story"))
	})
	origin.Start()
	defer origin.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "listen: "+ln.Addr().String()+"\nbase_url: "+base+"\nstore: "+filepath.Join(dir, "feedloom.db")+
		"\nfetch:\n  allow_private_networks: true\nwebsub:\n  subscribe: true\n  lease: 1d\n"+
		"sources:\n  - url: "+topic+"\ntopics:\n  - name: everything\n")
	startServe(t, cfg, ln, nil)

	var req url.Values
	select {
	case req = <-subs:
	case <-time.After(20 * time.Second):
		t.Fatal("no subscription request reached the hub")
	}
	cb := req.Get("hub.callback")
	if req.Get("hub.mode") != "subscribe" || req.Get("hub.topic") != topic || req.Get("hub.lease_seconds") != "86400" ||
		!strings.HasPrefix(cb, base+"websub/callback/") {
		t.Fatalf("subscription request %v", req)
	}

	q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.challenge": {"ch4llenge"}, "hub.lease_seconds": {"86400"}}
	resp, err := http.Get(cb + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ch4llenge" {
		t.Fatalf("verification: %d %q", resp.StatusCode, body)
	}

	deliver := func(doc, sig string) {
		t.Helper()
		r, _ := http.NewRequest(http.MethodPost, cb, strings.NewReader(doc))
		r.Header.Set("Content-Type", "application/rss+xml")
		if sig != "" {
			r.Header.Set("X-Hub-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Errorf("push answered %d", resp.StatusCode)
		}
	}
	pushed := doc("Polled story", "Pushed story")
	mac := hmac.New(sha256.New, []byte(req.Get("hub.secret")))
	mac.Write([]byte(pushed))
	deliver(pushed, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	deliver(doc("Forged story"), "")

	resp, err = http.Get(base + "topics/everything.rss")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Pushed story") || strings.Contains(string(body), "Forged story") {
		t.Errorf("topic feed after a signed and an unsigned push:\n%s", body)
	}

	resp, err = http.Get(base + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`feedloom_websub_pushes_total{result="accepted"} 1`, `feedloom_websub_pushes_total{result="refused"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
