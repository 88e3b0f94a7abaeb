package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: Parse never panics, and a config it refuses is refused with
// Errors, each naming the file and a line within the input; parsing the
// same bytes twice gives the same answer.
//
// Inputs naming an OPML file are skipped: Parse reads those files, and a
// fuzzer that finds "opml: /dev/zero" would wait forever, a hazard of
// fuzzing, not of a config an operator writes.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"sources:\n  - url: https://example.org/feed.xml\n",
		"sources:\n  - url: file:///etc/passwd\n  - url: gopher://127.0.0.1:70/\n",
		"topics:\n  - name: x\n    match:\n      any: [\"re:/(/\"]\n",
		"poll:\n  interval: 1d12h\n  workers: -1\n",
		"fetch:\n  max_body: 99999999999999999999KiB\n",
		"a: &a [*a, *a]\nb: *a\n",
		"listen: [\n",
		"\t- x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Contains(bytes.ToLower(data), []byte("opml")) || bytes.ContainsRune(data, '\\') {
			return
		}
		file := filepath.Join(t.TempDir(), "feedloom.yaml")
		c, err := Parse(file, data)
		if err == nil {
			if c == nil {
				t.Fatal("Parse returned neither a config nor an error")
			}
		} else {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("Parse error %T %v is not Errors", err, err)
			}
			// YAML breaks lines at LF, CR and CRLF.
			lines := bytes.Count(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n")) + bytes.Count(data, []byte("\r")) - bytes.Count(data, []byte("\r\n")) + 1
			for _, e := range es {
				if e.File != file || e.Line < 1 || e.Line > lines+1 {
					t.Fatalf("error %q: want file %s and a line in 1..%d", e, file, lines+1)
				}
			}
		}
		_, err2 := Parse(file, data)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("Parse gave %v, then %v", err, err2)
		}
	})
}
