package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestServeExportDir: with export.dir set, serve keeps a static copy of
// the site there, the same bytes it serves, and rewrites it when the
// config is reloaded with a new topic.
func TestServeExportDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../examples/demo")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "feedloom.db"))
	cfgPath := filepath.Join(dir, "feedloom.yaml")
	const base = reloadBase + "export:\n  dir: site\n" + reloadTopicMissile
	if err := os.WriteFile(cfgPath, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	oldEvery := exportEvery
	exportEvery = 20 * time.Millisecond
	got := make(chan *reloader, 1)
	onReloader = func(r *reloader) { got <- r }
	t.Cleanup(func() { exportEvery, onReloader = oldEvery, nil })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	startServe(t, cfgPath, ln, &lockedBuffer{})
	rl := <-got
	served := func(path string) []byte {
		t.Helper()
		resp, err := http.Get("http://" + ln.Addr().String() + "/" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	// waitSame waits until the exported file equals what is served.
	waitSame := func(path string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; {
			file, err := os.ReadFile(filepath.Join(dir, "site", filepath.FromSlash(path)))
			if err == nil && bytes.Contains(file, []byte("<item>")) && bytes.Equal(file, served(path)) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the exported file (%v) never matched the served feed", path, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitSame("topics/missile-defense.rss")
	if err := os.WriteFile(cfgPath, []byte(base+reloadTopicEverything), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	waitSame("topics/everything.rss")
}
