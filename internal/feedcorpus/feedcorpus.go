// Package feedcorpus finds the feed documents that gofeed's own tests parse
// (its testdata directory, in the module cache), for feedloom's tests and
// fuzz seeds. gofeed is a dependency, so the build has downloaded it on any
// machine that can run the tests; the directory is located with
// `go list -m`, which answers from the module cache.
package feedcorpus

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

var dir = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/mmcdole/gofeed").Output()
	if err != nil {
		return "", err
	}
	return filepath.Join(strings.TrimSpace(string(out)), "testdata"), nil
})

// Dir returns gofeed's testdata directory, or fails tb.
func Dir(tb testing.TB) string {
	tb.Helper()
	d, err := dir()
	if err != nil {
		tb.Fatalf("locating gofeed's testdata: %v", err)
	}
	return d
}

// Inputs returns the path of every feed document in gofeed's testdata,
// sorted: every .xml file, and every .json file that is a JSON Feed input
// rather than an expected parse result (gofeed keeps the results of XML
// fixtures as X.json next to X.xml, and of JSON fixtures as
// X_expected.json). It fails tb when there are none.
func Inputs(tb testing.TB) []string {
	tb.Helper()
	root := Dir(tb)
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(path) {
		case ".xml":
			out = append(out, path)
		case ".json":
			stem := strings.TrimSuffix(path, ".json")
			if strings.HasSuffix(stem, "_expected") {
				return nil
			}
			if _, err := os.Stat(stem + ".xml"); err == nil {
				return nil
			}
			out = append(out, path)
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("reading gofeed's testdata: %v", err)
	}
	if len(out) == 0 {
		tb.Fatalf("no feeds in %s", root)
	}
	sort.Strings(out)
	return out
}
