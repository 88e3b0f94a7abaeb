package publisher

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/internal/readertest"
)

// TestNewsboat subscribes newsboat, a real terminal reader (CLIENTS.md), to
// the RSS and Atom feeds and reloads three times: it stores every entry
// with its id, and from the third reload it asks conditionally and gets
// 304s.
func TestNewsboat(t *testing.T) {
	readertest.Require(t, "newsboat", "sqlite3")
	s := newSite(t)
	var mu sync.Mutex
	statuses := map[string][]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		s.srv.Handler().ServeHTTP(rec, r)
		mu.Lock()
		statuses[r.URL.Path] = append(statuses[r.URL.Path], rec.status)
		mu.Unlock()
	}))
	defer ts.Close()

	// One cache per feed: newsboat keys items by guid across feeds, and
	// the RSS and Atom entries of a story share theirs.
	var want []string
	for _, src := range []string{"https://b.example", "https://a.example"} { // newest first
		key := map[string]string{"https://a.example": "1", "https://b.example": "2"}[src]
		want = append(want, feedloom.StoryURN(feedloom.ItemID(src, key)))
	}
	for _, path := range []string{"/topics/world.rss", "/topics/world.atom"} {
		t.Run(path, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, content string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("urls", ts.URL+path+"\n")
			write("config", `error-log "`+filepath.Join(dir, "error.log")+`"`+"\n")
			for range 3 {
				cmd := exec.Command("newsboat", "-u", filepath.Join(dir, "urls"), "-c", filepath.Join(dir, "cache.db"),
					"-C", filepath.Join(dir, "config"), "-x", "reload")
				cmd.Env = append(os.Environ(), "HOME="+dir)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("newsboat: %v: %s", err, out)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "error.log")); len(strings.TrimSpace(string(b))) > 0 {
				t.Errorf("newsboat error log:\n%s", b)
			}
			out, err := exec.Command("sqlite3", filepath.Join(dir, "cache.db"),
				"SELECT guid FROM rss_item ORDER BY pubDate DESC").CombinedOutput()
			if err != nil {
				t.Fatalf("sqlite3: %v: %s", err, out)
			}
			if got := strings.Fields(string(out)); !slices.Equal(got, want) {
				t.Errorf("newsboat stored %q, want %q", got, want)
			}
			mu.Lock()
			defer mu.Unlock()
			if st := statuses[path]; len(st) != 3 || st[0] != 200 || st[2] != 304 {
				t.Errorf("answered %v to three reloads, want 200 first and 304 last", st)
			}
		})
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
