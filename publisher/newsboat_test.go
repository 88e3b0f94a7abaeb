package publisher

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/internal/readertest"
)

// TestNewsboat subscribes newsboat, a real terminal reader (CLIENTS.md), to
// the RSS and Atom feed of every topic and reloads each three times. From
// newsboat's own sqlite cache: every feed holds exactly the topic's
// entries, each once, under its story id. From the server: the third
// reload of every feed was answered 304.
//
// Each feed gets its own urls and cache file: newsboat keys stored items
// by guid alone, across feeds, and a story keeps its guid in RSS and Atom
// and in every topic that has it, so one cache would file a shared story
// under whichever feed it saw last.
func TestNewsboat(t *testing.T) {
	readertest.Require(t, "newsboat", "sqlite3")
	s := newSite(t)
	// More stories than newSite's two, so topics differ in size and share
	// some stories.
	save(t, s.st,
		storeItem("https://c.example", "3", t0.Add(2*time.Hour), "tech"),
		storeItem("https://d.example", "4", t0.Add(3*time.Hour), "world", "tech"),
		storeItem("https://e.example", "5", t0.Add(4*time.Hour), "world"),
	)
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

	for _, topic := range httpTopics {
		entries, err := s.st.TopicEntries(context.Background(), topic.Name, limit(topic))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) < 2 {
			t.Fatalf("fixture: topic %s has %d entries, want at least 2", topic.Name, len(entries))
		}
		var want []string
		for _, e := range entries {
			want = append(want, feedloom.StoryURN(e.Story.ID))
		}
		slices.Sort(want)
		for _, ext := range []string{".rss", ".atom"} {
			path := "/topics/" + topic.Name + ext
			t.Run(path, func(t *testing.T) {
				db := newsboatReload(t, ts.URL+path, 3)
				rows := sqliteQuery(t, db, "SELECT feedurl, guid FROM rss_item ORDER BY guid")
				var got []string
				for _, row := range rows {
					feed, guid, _ := strings.Cut(row, "|")
					if feed != ts.URL+path {
						t.Errorf("item %s filed under feed %q, want %q", guid, feed, ts.URL+path)
					}
					got = append(got, guid)
				}
				if !slices.Equal(got, want) {
					t.Errorf("newsboat stored %d items %q, want the topic's %d entries %q", len(got), got, len(want), want)
				}
				if dup := sqliteQuery(t, db, "SELECT guid FROM rss_item GROUP BY guid HAVING count(*) > 1"); len(dup) > 0 {
					t.Errorf("guids stored more than once: %q", dup)
				}
				mu.Lock()
				st := statuses[path]
				mu.Unlock()
				if len(st) != 3 || st[0] != http.StatusOK || st[2] != http.StatusNotModified {
					t.Errorf("answered %v to three reloads, want 200 first and 304 on the third", st)
				}
			})
		}
	}
}

// newsboatReload runs `newsboat -x reload` n times on a urls file holding
// only feedURL, with its own config, error log and cache file, and returns
// the cache file's path. newsboat's error log must stay empty.
func newsboatReload(t *testing.T, feedURL string, n int) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("urls", feedURL+"\n")
	write("config", `error-log "`+filepath.Join(dir, "error.log")+`"`+"\n")
	db := filepath.Join(dir, "cache.db")
	for i := range n {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, "newsboat", "-u", filepath.Join(dir, "urls"), "-c", db,
			"-C", filepath.Join(dir, "config"), "-x", "reload")
		cmd.Env = append(os.Environ(), "HOME="+dir)
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("newsboat reload %d: %v: %s", i+1, err, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "error.log")); len(strings.TrimSpace(string(b))) > 0 {
		t.Errorf("newsboat error log:\n%s", b)
	}
	return db
}

// sqliteQuery runs query on the sqlite database file db with the sqlite3
// shell and returns its output lines (columns joined by "|").
func sqliteQuery(t *testing.T, db, query string) []string {
	t.Helper()
	out, err := exec.Command("sqlite3", db, query).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %s: %v: %s", strconv.Quote(query), err, out)
	}
	return strings.Fields(string(out))
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
