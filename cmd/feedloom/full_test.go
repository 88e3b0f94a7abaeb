package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
)

// Case 35: a poll that would grow the store past store.max_size fails on
// its source with a message naming the setting; the other sources are
// stored, the file stays under the cap, and serving goes on.
func TestStoreMaxSizeFailsTheSourceOnly(t *testing.T) {
	small := newOrigin(t, rss("Small", rssItem("s-1", "Small news", "https://small.example.org/1", "Sat, 11 May 2019 10:41:00 +0300", "<p>short</p>")))
	var entries []string
	for i := range 300 {
		entries = append(entries, rssItem(fmt.Sprint("b-", i), fmt.Sprint("Big story ", i), fmt.Sprint("https://big.example.org/", i),
			"Sat, 11 May 2019 10:41:00 +0300", "<p>"+strings.Repeat(fmt.Sprintf("word%d ", i), 1500)+"</p>"))
	}
	big := newOrigin(t, rss("Big", entries...))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`
listen: %s
store:
  path: feedloom.db
  max_size: 2MiB
fetch:
  allow_private_networks: true
sources:
  - url: %s
  - url: %s
topics:
  - name: all
`, ln.Addr(), small.srv.URL, big.srv.URL))
	code, out, errOut := run(t, "poll", "-config", cfg)
	if code != 0 {
		t.Fatalf("poll exited %d: a full store fails the source, not the command\n%s", code, errOut)
	}
	if !strings.Contains(out, "store is full (store.max_size 2 MiB)") || !strings.Contains(out, "1 failed") {
		t.Errorf("poll output does not report the full store on one source:\n%s", out)
	}
	if fi, err := os.Stat(dir + "/feedloom.db"); err != nil || fi.Size() > 2<<20 {
		t.Errorf("store file %v, %v: over the cap", fi.Size(), err)
	}
	if got := items(t, cfg); len(got) != 1 || got[0].Title != "Small news" {
		t.Errorf("stored items %+v, want the small source's one", got)
	}
	_, out, _ = run(t, "sources", "-config", cfg)
	if !strings.Contains(out, "store is full") {
		t.Errorf("sources does not show the error:\n%s", out)
	}

	startServe(t, cfg, ln, nil)
	resp, err := http.Get("http://" + ln.Addr().String() + "/topics/all.rss")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Small news") {
		t.Errorf("GET /topics/all.rss on a full store: %d\n%s", resp.StatusCode, body)
	}
}

// feedloom compact rewrites the store in place and keeps every item;
// check -store then reads every page and index of it.
func TestCompactAndCheckStoreCommands(t *testing.T) {
	o := newCrashOrigin(t)
	cfg := crashConfig(t, t.TempDir(), o, 10)
	if code, _, errOut := run(t, "poll", "-config", cfg.File); code != 0 {
		t.Fatalf("poll: %d\n%s", code, errOut)
	}
	before := items(t, cfg.File)
	code, out, errOut := run(t, "compact", "-config", cfg.File)
	if code != 0 || !strings.Contains(out, cfg.Store+": ") || !strings.Contains(out, "MiB after") {
		t.Fatalf("compact: %d\n%s%s", code, out, errOut)
	}
	if after := items(t, cfg.File); len(after) != len(before) || len(after) == 0 {
		t.Errorf("%d items after compact, %d before", len(after), len(before))
	}
	code, out, errOut = run(t, "check", "-store", "-config", cfg.File)
	if code != 0 || !strings.Contains(out, cfg.Store+": ok") {
		t.Errorf("check -store: %d\n%s%s", code, out, errOut)
	}
}
