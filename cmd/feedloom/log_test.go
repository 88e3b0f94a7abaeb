package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestLogFormatJSON polls a good and a failing origin with log.format json
// at debug: stderr is one JSON object a line, a debug line for the fetch
// that worked and a warning for the one that failed.
func TestLogFormatJSON(t *testing.T) {
	good := newOrigin(t, rss("Good", rssItem("g-1", "One", "https://example.org/1", "Sat, 11 May 2019 10:41:00 +0300", "<p>one</p>")))
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	t.Cleanup(bad.Close)
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`
fetch:
  allow_private_networks: true
log:
  format: json
  level: debug
sources:
  - url: %s
  - url: %s
`, good.srv.URL, bad.URL))
	code, out, errOut := run(t, "poll", "-config", cfg)
	if code != 0 {
		t.Fatalf("poll exited %d\n%s%s", code, out, errOut)
	}
	type line struct {
		Level, Msg, Source, Class string
		Status                    int
	}
	got := map[string]line{}
	sc := bufio.NewScanner(strings.NewReader(errOut))
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stderr line is not JSON: %q: %v", sc.Text(), err)
		}
		if l.Source != "" {
			got[l.Source] = l
		}
	}
	want := map[string]line{
		good.srv.URL: {Level: "DEBUG", Msg: "polled", Source: good.srv.URL, Status: 200},
		bad.URL:      {Level: "WARN", Msg: "poll failed", Source: bad.URL, Class: "http_5xx", Status: 500},
	}
	for src, w := range want {
		if got[src] != w {
			t.Errorf("log line for %s = %+v, want %+v", src, got[src], w)
		}
	}
}

// TestLogDefaultLevel: at the default level (info, text) a fetch that
// works writes nothing; one that fails writes one warning.
func TestLogDefaultLevel(t *testing.T) {
	good := newOrigin(t, rss("Good", rssItem("g-1", "One", "https://example.org/1", "Sat, 11 May 2019 10:41:00 +0300", "<p>one</p>")))
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusNotFound)
	}))
	t.Cleanup(bad.Close)
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`
fetch:
  allow_private_networks: true
sources:
  - url: %s
  - url: %s
`, good.srv.URL, bad.URL))
	code, out, errOut := run(t, "poll", "-config", cfg)
	if code != 0 {
		t.Fatalf("poll exited %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "time=") || !strings.Contains(lines[0], "level=WARN") ||
		!strings.Contains(lines[0], "source="+bad.URL) || !strings.Contains(lines[0], "class=http_4xx") {
		t.Errorf("stderr = %q, want one text warning for %s", errOut, bad.URL)
	}
}
