package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/internal/loopbacktest"
)

// feedServer serves a small RSS feed at /feed/{n} for any n, and an HTML
// page at /page.
func feedServer(t *testing.T) (*httptest.Server, *loopbacktest.Listener) {
	t.Helper()
	return loopbacktest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/page" {
			w.Header().Set("Content-Type", htmlType)
			fmt.Fprint(w, "<html><body>just a page</body></html>")
			return
		}
		n, ok := strings.CutPrefix(r.URL.Path, "/feed/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, feedOf("Feed"+n, 1))
	}))
}

func writeOPML(t *testing.T, path string, body string) {
	t.Helper()
	doc := `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>subs</title></head><body>
` + body + `</body></opml>
`
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestImport200 imports 200 outlines in four folders: 196 live feeds, two
// the config already has (one spelled differently), a dead host and an
// HTML page.
func TestImport200(t *testing.T) {
	srv, _ := feedServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/feed/x"
	ln.Close()

	dir := t.TempDir()
	head := "# imported below\nfetch:\n  allow_private_networks: true\nsources:\n"
	cfgText := head + fmt.Sprintf("  - url: %s/feed/0\n  - url: %s/feed/1\n    name: One\n", srv.URL, srv.URL)
	tail := "topics:\n  - name: all\n"
	cfg := writeConfig(t, dir, cfgText+tail)

	var b strings.Builder
	folders := []string{"Tech", "World News", "Science", "Local"}
	for f, folder := range folders {
		fmt.Fprintf(&b, "<outline text=%q>\n", folder)
		for i := range 49 {
			n := f*49 + i
			u := fmt.Sprintf("%s/feed/%d", srv.URL, n)
			if n == 1 {
				u = "HTTP" + strings.TrimPrefix(srv.URL, "http") + "/feed/1#again" // the same feed, spelled otherwise
			}
			fmt.Fprintf(&b, "  <outline type=\"rss\" text=\"Feed %d\" xmlUrl=%q/>\n", n, u)
		}
		b.WriteString("</outline>\n")
	}
	fmt.Fprintf(&b, "<outline text=\"Dead\" xmlUrl=%q/>\n<outline text=\"Page\" xmlUrl=\"%s/page\"/>\n", dead, srv.URL)
	fmt.Fprintf(&b, "<outline text=\"Top&#9;level\" xmlUrl=\"%s/feed/top\"/>\n<outline text=\"Again\" xmlUrl=\"%s/feed/top\"/>\n", srv.URL, srv.URL)
	opml := filepath.Join(dir, "subs.opml")
	writeOPML(t, opml, b.String())
	if outlines, err := config.ReadOPML(opml); err != nil || len(outlines) != 200 {
		t.Fatalf("the test OPML has %d outlines (%v), want 200", len(outlines), err)
	}

	code, out, errOut := run(t, "import", opml, "-tags", "imported", "-config", cfg)
	if code != 0 {
		t.Fatalf("import exited %d\n%s%s", code, out, errOut)
	}
	// Present: feed 0, feed 1 (spelled otherwise) and the repeat of "Top
	// level"; the other 197 are checked: 194 + "Top level" are added.
	summary := opml + ": 195 added to " + cfg + ", 3 already present, 1 unreachable, 1 not a feed\n"
	if !strings.Contains(out, summary) {
		t.Errorf("summary: want %q in\n%s", summary, out)
	}
	if n := len(regexp.MustCompile(`(?m)^\[\d+/197\] `).FindAllString(out, -1)); n != 197 {
		t.Errorf("%d progress lines, want one per feed checked (197)", n)
	}
	for _, want := range []string{
		"unreachable (not added):\n  " + opml + ":",
		dead + ": fetch: get " + dead,
		"not a feed (not added):\n  " + opml + ":",
		srv.URL + "/page: " + srv.URL + "/page is an HTML page",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	got := readFile(t, cfg)
	if !strings.HasPrefix(got, cfgText) || !strings.HasSuffix(got, tail) {
		t.Fatalf("the file outside the added block changed:\n%s", got)
	}
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatalf("the imported config does not load: %v", err)
	}
	if len(c.Sources) != 197 {
		t.Errorf("%d sources, want 197", len(c.Sources))
	}
	for _, s := range c.Sources[2:] {
		switch {
		case s.Name == "Top level":
			if !slices.Equal(s.Tags, []string{"imported"}) {
				t.Errorf("%s: tags %q, want [imported]", s.Name, s.Tags)
			}
		case !slices.Contains(folders, s.Tags[0]) || len(s.Tags) != 2 || s.Tags[1] != "imported":
			t.Errorf("%s: tags %q, want its folder and imported", s.Name, s.Tags)
		}
	}
	if s := c.Sources[2]; s.URL != srv.URL+"/feed/2" || s.Name != "Feed 2" || s.Tags[0] != "Tech" {
		t.Errorf("first imported source %+v", s)
	}

	// Again: everything is present now, the file is not touched.
	before := readFile(t, cfg)
	old := isTerminal
	t.Cleanup(func() { isTerminal = old })
	isTerminal = func(any) bool { return true }
	code, out, _ = run(t, "import", opml, "-config", cfg)
	if code != 0 || !strings.Contains(out, ": 0 added to "+cfg+", 198 already present, 1 unreachable, 1 not a feed\n") {
		t.Errorf("second import: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "\r[") || !strings.Contains(out, "100% 2/2 feeds checked") {
		t.Errorf("no progress bar on a terminal:\n%q", out)
	}
	if readFile(t, cfg) != before {
		t.Error("an import that added nothing changed the file")
	}
}

// TestImportGuard: without allow_private_networks every loopback feed is
// unreachable, none is connected to, and nothing is added.
func TestImportGuard(t *testing.T) {
	srv, cl := feedServer(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "sources:\n  - url: https://wire.example/rss\n")
	opml := filepath.Join(dir, "subs.opml")
	writeOPML(t, opml, fmt.Sprintf("<outline text=\"A\" xmlUrl=\"%[1]s/feed/a\"/><outline text=\"B\" xmlUrl=\"%[1]s/feed/b\"/>\n"+
		"<outline text=\"C\" xmlUrl=\"http://user:secret@%[2]s/feed/c\"/>\n", srv.URL, srv.Listener.Addr()))
	code, out, errOut := run(t, "import", opml, "-config", cfg)
	if code != 0 || !strings.Contains(out, "0 added to "+cfg+", 0 already present, 3 unreachable, 0 not a feed") ||
		!strings.Contains(out, "refusing to connect") || !strings.Contains(out, "holds a user name or password") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if n := cl.Accepts(); n != 0 {
		t.Errorf("%d connections accepted, want 0", n)
	}
	if got := readFile(t, cfg); got != "sources:\n  - url: https://wire.example/rss\n" {
		t.Errorf("config changed:\n%s", got)
	}
}

// TestOPMLRoundTrip exports one config's sources with sources -opml and
// imports them into another: same feeds, names and tags.
func TestOPMLRoundTrip(t *testing.T) {
	srv, _ := feedServer(t)
	from := writeConfig(t, t.TempDir(), fmt.Sprintf(`fetch: {allow_private_networks: true}
sources:
  - {url: %[1]s/feed/a, name: "Alpha & Omega", tags: [wire, "world news"]}
  - {url: %[1]s/feed/b, name: Beta}
  - {url: %[1]s/feed/c, name: Gamma, tags: [science]}
  - {url: "file:local.xml", name: Local}
`, srv.URL))
	code, exported, errOut := run(t, "sources", "-opml", "-config", from)
	if code != 0 {
		t.Fatalf("sources -opml exited %d: %s", code, errOut)
	}
	dir := t.TempDir()
	opml := filepath.Join(dir, "export.opml")
	if err := os.WriteFile(opml, []byte(exported), 0o644); err != nil {
		t.Fatal(err)
	}
	to := writeConfig(t, dir, fmt.Sprintf("fetch: {allow_private_networks: true}\nsources:\n  - {url: %s/feed/z, name: Zed}\n", srv.URL))
	code, out, errOut := run(t, "import", opml, "-config", to)
	if code != 0 || !strings.Contains(out, "3 added") {
		t.Fatalf("import exited %d\n%s%s", code, out, errOut)
	}
	a, err := config.Load(from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := config.Load(to)
	if err != nil {
		t.Fatal(err)
	}
	describe := func(c *config.Config) []string {
		var out []string
		for _, s := range c.Sources {
			if strings.HasPrefix(s.URL, "http") && s.Name != "Zed" {
				out = append(out, fmt.Sprintf("%s|%s|%q", s.URL, s.Name, s.Tags))
			}
		}
		slices.Sort(out)
		return out
	}
	if got, want := describe(b), describe(a); !slices.Equal(got, want) {
		t.Errorf("after the round trip:\n%q\nwant\n%q", got, want)
	}
	if strings.Contains(exported, "local.xml") {
		t.Error("a file: source was exported")
	}
}
