package normalize

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// pollTime is the poll time every fixture test uses.
var pollTime = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// fixtures describes each feed under testdata/feeds: where it was fetched
// from and the Content-Type it came with.
var fixtures = map[string]struct {
	feedURL     string
	contentType string
	name        string // configured source name
}{
	"rss2.xml":          {"https://news.example.com/feeds/rss.xml", "application/rss+xml", ""},
	"atom.xml":          {"https://blog.example.org/atom.xml", "application/atom+xml; charset=utf-8", ""},
	"jsonfeed.json":     {"https://json.example.net/feed.json", "application/feed+json", "JSON Example"},
	"rdf.xml":           {"https://rdf.example.org/index.rdf", "application/rdf+xml", ""},
	"defapress.xml":     {"https://www.defapress.ir/en/rss", "text/xml; charset=utf-8", "Defa Press"},
	"tass.xml":          {"https://tass.com/rss/v2.xml", "application/rss+xml; charset=utf-8", "TASS"},
	"windows-1251.xml":  {"https://ru.example.com/rss", "text/xml", ""},
	"latin1-header.xml": {"https://fr.example.com/rss", "application/rss+xml; charset=ISO-8859-1", ""},
	"invalid-utf8.xml":  {"https://bad.example.com/rss", "", ""},
	// The same charsets declared the other way: windows-1256 in the
	// prolog and in the header only, windows-1251 and ISO-8859-1 where the
	// fixtures above do not declare them.
	"persian-1256.xml":        {"https://fa.example.ir/rss", "text/xml", ""},
	"persian-1256-header.xml": {"https://fa.example.ir/rss", "text/xml; charset=windows-1256", ""},
	"windows-1251-header.xml": {"https://ru.example.com/rss", "text/xml; charset=windows-1251", ""},
	"latin1-prolog.xml":       {"https://fr.example.com/rss", "application/rss+xml", ""},
}

// loadItems parses and normalizes one fixture the way the aggregator does.
func loadItems(t testing.TB, name string) []feedloom.Item {
	t.Helper()
	fx, ok := fixtures[name]
	if !ok {
		t.Fatalf("fixture %s is not described in fixtures", name)
	}
	body, err := os.ReadFile(filepath.Join("testdata", "feeds", name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(body, fx.contentType)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	src := feedloom.Source{URL: fx.feedURL, Name: fx.name}
	return Items(f, src, fx.feedURL, pollTime)
}

// TestItemsGolden compares the normalized items of every fixture feed with
// testdata/golden/<fixture>.json. Run with -update to rewrite the golden
// files, then review the diff.
func TestItemsGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "feeds", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/feeds")
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			items := loadItems(t, name)
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // keep the HTML in the golden files readable
			enc.SetIndent("", "  ")
			if err := enc.Encode(items); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("items differ from %s (run go test -update and review the diff)\n%s", golden, firstDiff(got, want))
			}
		})
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return "no line differs"
}
