package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the logger's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const reloadBase = `store: feedloom.db
poll:
  interval: 30m
sources:
  - url: file:feeds/tass.xml
    name: TASS
    tags: [wire, russia]
    republish: full
`

const reloadTopicMissile = `topics:
  - name: missile-defense
    match:
      any: ["missile defense", "ballistic missile", "air defense"]
`

const reloadTopicEverything = `  - name: everything
    title: Everything
`

const reloadSourceWire = `  - url: file:feeds/wire.atom
    tags: [wire]
`

// TestServeReload: serve applies a new config without a restart, from an
// edit of the config file (found by polling its mtime and size) or a
// reload call (what SIGHUP does): a new topic is served and filled from
// the stored items, a new source is polled, and an invalid config is
// logged with its file:line errors while the running one stays.
func TestServeReload(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../examples/demo")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "feedloom.db"))
	cfgPath := filepath.Join(dir, "feedloom.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(reloadBase + reloadTopicMissile)

	oldInterval := configPollInterval
	configPollInterval = 20 * time.Millisecond
	got := make(chan *reloader, 1)
	onReloader = func(r *reloader) { got <- r }
	t.Cleanup(func() { configPollInterval, onReloader = oldInterval, nil })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	startServe(t, cfgPath, ln, stderr)
	rl := <-got
	base := "http://" + ln.Addr().String() + "/"

	type feed struct {
		Items []struct {
			Title    string `json:"title"`
			Feedloom struct {
				Sources []struct{ Name string } `json:"sources"`
			} `json:"_feedloom"`
		} `json:"items"`
	}
	get := func(topic string) (int, feed) {
		t.Helper()
		resp, err := http.Get(base + "topics/" + topic + ".json")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var f feed
		if resp.StatusCode == 200 {
			if err := json.NewDecoder(resp.Body).Decode(&f); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, f
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\n%s", what, stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("the first poll", func() bool { code, f := get("missile-defense"); return code == 200 && len(f.Items) > 0 })
	if code, _ := get("everything"); code != http.StatusNotFound {
		t.Fatalf("everything before the reload: %d, want 404", code)
	}

	// An edit of the file: a new topic, filled from the stored items.
	write(reloadBase + reloadTopicMissile + reloadTopicEverything)
	waitFor("the new topic to fill", func() bool { code, f := get("everything"); return code == 200 && len(f.Items) >= 3 })

	// An invalid config: logged with file:line, the running one kept.
	write(reloadBase + reloadTopicMissile + reloadTopicEverything + "    match:\n      any: [\"re:/(/\"]\n")
	if err := rl.Reload(); err == nil {
		t.Fatal("Reload of an invalid config returned nil")
	}
	if log := stderr.String(); !strings.Contains(log, "feedloom.yaml:16: topics[1].match.any[0]") || !strings.Contains(log, "keeping the running one") {
		t.Errorf("the invalid config is not logged with file:line:\n%s", log)
	}
	if code, f := get("everything"); code != 200 || len(f.Items) < 3 {
		t.Errorf("after an invalid config: %d, %d items", code, len(f.Items))
	}

	// A new source (a reload, as SIGHUP does): polled, its items filed.
	write(reloadBase + reloadSourceWire + reloadTopicMissile + reloadTopicEverything)
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	waitFor("the new source's items", func() bool {
		_, f := get("everything")
		for _, it := range f.Items {
			for _, s := range it.Feedloom.Sources {
				if s.Name != "TASS" {
					return true
				}
			}
		}
		return false
	})

	// A topic removed: 404.
	write(reloadBase + reloadSourceWire + reloadTopicMissile)
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	if code, _ := get("everything"); code != http.StatusNotFound {
		t.Errorf("a removed topic answers %d, want 404", code)
	}
}
