package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedloom/feedloom"
)

// TestAddSources checks that the new entries land at the end of the
// sources list, written in the list's own style, and that every other
// byte of the file is kept: the file is before+after and the result must
// be exactly before+block+after.
func TestAddSources(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "subs.opml"), []byte(`<opml version="2.0"><body>
<outline text="Included" xmlUrl="https://included.example/feed"/></body></opml>`), 0o644); err != nil {
		t.Fatal(err)
	}
	one := []feedloom.Source{{URL: "https://new.example/feed.xml", Name: "New: the #1 site", Tags: []string{"tech, science", "true", "world"}}}
	for name, tc := range map[string]struct {
		before, after, block string
		srcs                 []feedloom.Source
	}{
		"block mappings, comments around": {
			before: "# my feeds\nlisten: 127.0.0.1:9999   # port\n\nsources:\n  # wires\n  - url: https://a.example/rss   # A\n    name: A\n    tags: [wire]\n\n  - opml: subs.opml\n    tags: [imported]\n",
			after:  "  # - url: https://disabled.example/\n\n# topics below\ntopics:\n  - name: all\n",
			block:  "  - url: https://new.example/feed.xml\n    name: \"New: the #1 site\"\n    tags: [\"tech, science\", \"true\", world]\n",
			srcs:   one,
		},
		"flow mappings": {
			before: "sources:\n  - {url: https://a.example/rss, name: A}\n  - {url: https://b.example/rss}\n",
			after:  "topics: []\n",
			block:  "  - {url: https://new.example/feed.xml, name: \"New: the #1 site\", tags: [\"tech, science\", \"true\", world]}\n",
			srcs:   one,
		},
		"indentless list, two entries": {
			before: "sources:\n- url: https://a.example/rss\n  name: A\n",
			after:  "topics:\n- name: all\n",
			block:  "- url: https://new.example/one\n- url: https://new.example/two\n  name: Two\n",
			srcs:   []feedloom.Source{{URL: "https://new.example/one"}, {URL: "https://new.example/two", Name: "Two"}},
		},
		"deep indent, key under the dash": {
			before: "sources:\n    -\n        url: https://a.example/rss\n        name: A\n",
			after:  "",
			block:  "    -   url: https://new.example/one\n",
			srcs:   []feedloom.Source{{URL: "https://new.example/one"}},
		},
		"block scalar, blank line, deeper comment last": {
			before: "sources:\n  - url: https://a.example/rss\n    rights: >-\n      Line one\n      Line two\n\n    # still the entry\n",
			after:  "\n\ntopics:\n  - name: all\n",
			block:  "  - url: https://new.example/one\n",
			srcs:   []feedloom.Source{{URL: "https://new.example/one"}},
		},
		"no newline at the end": {
			before: "listen: 127.0.0.1:9999\nsources:\n  - url: https://a.example/rss",
			after:  "",
			block:  "\n  - url: https://new.example/one\n",
			srcs:   []feedloom.Source{{URL: "https://new.example/one"}},
		},
		"CRLF": {
			before: "sources:\r\n  - url: https://a.example/rss\r\n    name: A\r\n",
			after:  "# end\r\n",
			block:  "  - url: https://new.example/one\r\n    name: One\r\n",
			srcs:   []feedloom.Source{{URL: "https://new.example/one", Name: "One"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, "feedloom.yaml")
			data := []byte(tc.before + tc.after)
			out, c, err := AddSources(file, data, tc.srcs)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.before + tc.block + tc.after; string(out) != want {
				t.Fatalf("got\n%s\nwant\n%s", out, want)
			}
			last := c.Sources[len(c.Sources)-1]
			want := tc.srcs[len(tc.srcs)-1]
			if last.URL != want.URL || last.Name != want.Name || strings.Join(last.Tags, "|") != strings.Join(want.Tags, "|") {
				t.Errorf("last source %+v, want %+v", last, want)
			}
		})
	}
}

func TestAddSourcesRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "feedloom.yaml")
	src := []feedloom.Source{{URL: "https://new.example/"}}
	for name, tc := range map[string]struct {
		data string
		srcs []feedloom.Source
		want string
	}{
		"flow list":        {"sources: [{url: https://a.example/}]\n", src, "flow list"},
		"broken config":    {"sources:\n  - url: https://a.example/\nbogus: 1\n", src, "fix it first"},
		"duplicate":        {"sources:\n  - url: https://a.example/\n", []feedloom.Source{{URL: "https://A.example:443/"}}, "duplicate source"},
		"bad url":          {"sources:\n  - url: https://a.example/\n", []feedloom.Source{{URL: "ftp://x/"}}, "unsupported URL scheme"},
		"dash not leading": {"sources:\n  - url: https://a.example/\n    tags:\n      - a\n", src, ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := AddSources(file, []byte(tc.data), tc.srcs)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestAddTopicSource(t *testing.T) {
	file := filepath.Join(t.TempDir(), "feedloom.yaml")
	before := "sources:\n  - url: https://a.example/\n    name: A\ntopics:\n  - name: news\n    match:\n      sources:\n        - A   # the first\n"
	after := "      any: [x]\n  - name: other\n"
	out, c, err := AddTopicSource(file, []byte(before+after), "news", "https://b.example/feed")
	if err != nil {
		t.Fatal(err)
	}
	if want := before + "        - https://b.example/feed\n" + after; string(out) != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	if tp, _ := c.Topic("news"); strings.Join(tp.Match.Sources, ",") != "A,https://b.example/feed" {
		t.Errorf("match.sources %q", tp.Match.Sources)
	}
	for data, want := range map[string]string{
		"sources:\n  - url: https://a.example/\ntopics:\n  - name: news\n    match: {sources: [A]}\n": "flow list",
		"sources:\n  - url: https://a.example/\ntopics:\n  - name: news\n":                            "not in",
		"sources:\n  - url: https://a.example/\n":                                                     "no topic",
	} {
		if _, _, err := AddTopicSource(file, []byte(data), "news", "B"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", data, err, want)
		}
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedloom.yaml")
	if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("older"), []byte("new")); err == nil || !strings.Contains(err.Error(), "changed while") {
		t.Fatalf("a file changed meanwhile: err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("refused write changed the file to %q", b)
	}
	if err := WriteFile(path, []byte("old"), []byte("new")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if string(b) != "new" || fi.Mode().Perm() != 0o640 {
		t.Errorf("after the write: %q, mode %v; want \"new\", 0640", b, fi.Mode().Perm())
	}
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1 (no temporary file left)", len(ents))
	}
}

func TestReadOPMLFolders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subs.opml")
	if err := os.WriteFile(path, []byte(`<?xml version="1.0"?>
<opml version="2.0"><head><title>x</title></head><body>
  <outline text="Top" xmlUrl="https://top.example/feed"/>
  <outline text="Tech">
    <outline text="Go" title="Go blog" xmlUrl="https://go.example/feed" category="/lang/go, /news/"/>
    <outline text="Deep">
      <outline text="Inner" xmlUrl="https://inner.example/feed"/>
    </outline>
    <outline text="After" xmlUrl="https://after.example/feed"/>
  </outline>
</body></opml>`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := ReadOPML(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range out {
		got = append(got, o.Title+"|"+o.Folder+"|"+strings.Join(o.Categories, ","))
	}
	want := []string{"Top||", "Go blog|Tech|lang/go,news", "Inner|Deep|", "After|Tech|"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("outlines %q, want %q", got, want)
	}
}

// TestWriteFileThroughLink: a config reached through a symbolic link is
// replaced where the link points; the link stays a link.
func TestWriteFileThroughLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	link := filepath.Join(dir, "feedloom.yaml")
	if err := os.WriteFile(real, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.yaml", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("old"), []byte("new")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced by a file (%v)", err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("the linked file holds %q, want \"new\"", b)
	}
}
