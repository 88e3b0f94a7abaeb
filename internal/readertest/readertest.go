// Package readertest runs the real feed readers that feedloom's output is
// checked with (see ../shared/CLIENTS.md) from tests.
//
// A reader that is not installed skips the test, unless the environment
// variable FEEDLOOM_REQUIRE_READERS is set (as .ci/run does, after
// installing them): then it fails it, so CI cannot pass by skipping.
package readertest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Python is Debian's interpreter, which sees Debian's python3-feedparser
// (another python3 earlier on PATH may not).
const Python = "/usr/bin/python3"

// Require skips or fails t (see the package doc) unless every tool is on
// PATH or, for Python, importable.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		var err error
		if tool == "feedparser" {
			err = exec.Command(Python, "-c", "import feedparser").Run()
		} else {
			_, err = exec.LookPath(tool)
		}
		if err == nil {
			continue
		}
		if os.Getenv("FEEDLOOM_REQUIRE_READERS") != "" {
			t.Fatalf("%s is required (FEEDLOOM_REQUIRE_READERS is set) but unavailable: %v", tool, err)
		}
		t.Skipf("%s not installed: %v", tool, err)
	}
}

// Parsed is what Universal Feed Parser made of a document.
type Parsed struct {
	Bozo      bool     `json:"bozo"`
	Exception string   `json:"exception"`
	Version   string   `json:"version"` // "rss20", "atom10", "" when not a feed
	IDs       []string `json:"ids"`
	Titles    []string `json:"titles"`
}

// Feedparser parses body with Universal Feed Parser.
func Feedparser(t testing.TB, body []byte) Parsed {
	t.Helper()
	Require(t, "feedparser")
	const script = `import sys, json, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
json.dump({"bozo": bool(d.bozo), "exception": str(d.get("bozo_exception", "")),
  "version": d.version or "", "ids": [e.get("id", "") for e in d.entries],
  "titles": [e.get("title", "") for e in d.entries]}, sys.stdout)`
	cmd := exec.Command(Python, "-c", script)
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("feedparser: %v\n%s", err, stderr.Bytes())
	}
	var p Parsed
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("feedparser output %q: %v", out, err)
	}
	return p
}

// chromiumFlags make headless Chromium quiet, offline and self-contained:
// no sandbox (CI runs as root), no GPU, no QUIC, no first-run, update,
// sync or background requests.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	"--no-first-run", "--disable-background-networking",
	"--disable-component-update", "--disable-sync",
}

// Chromium runs headless Chromium (Debian's chromium) with args after the
// standard flags and a fresh profile, and returns its standard output. It
// fails t when Chromium fails or takes more than a minute.
func Chromium(t testing.TB, args ...string) []byte {
	t.Helper()
	Require(t, "chromium")
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	argv := append(append(append([]string(nil), chromiumFlags...), "--user-data-dir="+dir), args...)
	cmd := exec.CommandContext(ctx, "chromium", argv...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.Bytes())
	}
	return out
}

// DumpDOM loads url in headless Chromium and returns the DOM after the
// page loaded (and any script it was allowed to run ran), serialized.
func DumpDOM(t testing.TB, url string) string {
	t.Helper()
	return string(Chromium(t, "--dump-dom", url))
}

// Screenshot loads url in headless Chromium in a 1280×1600 window and
// writes a PNG of it to file.
func Screenshot(t testing.TB, url, file string) {
	t.Helper()
	Chromium(t, "--screenshot="+file, "--window-size=1280,1600", "--hide-scrollbars", url)
}
