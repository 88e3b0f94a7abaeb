package publisher

import (
	"bytes"
	"context"
	"html"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func exportSite(t *testing.T, s *Server) (dir string, files []string) {
	t.Helper()
	dir = t.TempDir()
	if err := s.Export(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return dir, files
}

func TestExportLayout(t *testing.T) {
	s := newSite(t)
	dir, files := exportSite(t, s.srv)
	want := []string{
		"index.html", "style.css",
		"topics.opml",
		"topics/tech.atom", "topics/tech.json", "topics/tech.rss", "topics/tech/index.html",
		"topics/world.atom", "topics/world.json", "topics/world.rss", "topics/world/index.html",
	}
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Fatalf("exported %q, want %q", files, want)
	}
	// The same bytes as served.
	served := map[string]string{
		"index.html":              "/",
		"style.css":               "/style.css",
		"topics.opml":             "/topics.opml",
		"topics/world.atom":       "/topics/world.atom",
		"topics/world.rss":        "/topics/world.rss",
		"topics/world.json":       "/topics/world.json",
		"topics/world/index.html": "/topics/world",
	}
	for file, path := range served {
		t.Run(file, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			_, body := s.do(t, "GET", path)
			if !bytes.Equal(got, body) {
				t.Errorf("exported %s differs from GET %s", file, path)
			}
		})
	}
	// A second export over the first: same files, no temporary leftovers.
	if err := s.srv.Export(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".export-") {
			t.Errorf("leftover %s", e.Name())
		}
	}
}

// TestExportLinks follows every link under BaseURL in the pages, both on
// a static file server over the export and on the live handler: each must
// answer 200 (after redirects).
func TestExportLinks(t *testing.T) {
	s := newSite(t)
	dir, _ := exportSite(t, s.srv)
	static := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer static.Close()

	var links []string
	attr := regexp.MustCompile(`(?:href|src)="([^"]*)"`)
	for _, page := range []string{"index.html", "topics/world/index.html", "topics/tech/index.html"} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range attr.FindAllSubmatch(b, -1) {
			if u := html.UnescapeString(string(m[1])); strings.HasPrefix(u, testBase) && !slices.Contains(links, u) {
				links = append(links, u)
			}
		}
	}
	if len(links) < 10 {
		t.Fatalf("only %d site links found: %q", len(links), links)
	}
	live := httptest.NewServer(s.srv.Handler())
	defer live.Close()
	for name, base := range map[string]string{"static": static.URL, "live": live.URL} {
		for _, link := range links {
			t.Run(name+" "+strings.TrimPrefix(link, testBase), func(t *testing.T) {
				resp, err := http.Get(base + "/" + strings.TrimPrefix(link, testBase))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("status %d", resp.StatusCode)
				}
			})
		}
	}
}

func TestExportErrors(t *testing.T) {
	s, st := newTestServer()
	t.Run("store failure", func(t *testing.T) {
		st.mu.Lock()
		st.err = os.ErrPermission
		st.mu.Unlock()
		defer func() { st.mu.Lock(); st.err = nil; st.mu.Unlock() }()
		if err := s.Export(context.Background(), t.TempDir()); err == nil {
			t.Error("Export succeeded over a failing store")
		}
	})
	t.Run("unwritable directory", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(file, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := s.Export(context.Background(), file); err == nil {
			t.Error("Export into a regular file succeeded")
		}
	})
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Export(ctx, t.TempDir()); err == nil {
			t.Error("canceled Export succeeded")
		}
	})
}
