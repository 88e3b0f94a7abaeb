package config

import (
	"strings"
	"testing"
)

func TestSourcePolicy(t *testing.T) {
	c := mustParse(t, `sources:
  - url: https://a.example/feed.xml
    republish: full
    max_length: 300
    rights: "© 2026 A, CC BY 4.0"
  - url: https://b.example/feed.xml
    republish: title
  - url: https://c.example/feed.xml
`)
	a, b, d := c.Sources[0], c.Sources[1], c.Sources[2]
	if a.Republish != "full" || a.MaxLength != 300 || a.Rights != "© 2026 A, CC BY 4.0" {
		t.Errorf("a = %+v", a)
	}
	if b.Republish != "title" || d.Republish != "" || d.MaxLength != 0 || d.Rights != "" {
		t.Errorf("b = %+v, c = %+v (\"\" means summary)", b, d)
	}
}

func TestSourceFullText(t *testing.T) {
	c := mustParse(t, `sources:
  - url: https://a.example/feed.xml
    fulltext: true
  - url: https://b.example/feed.xml
    fulltext: true
    fulltext_selector: "main article .story-body"
  - url: https://c.example/feed.xml
`)
	a, b, d := c.Sources[0], c.Sources[1], c.Sources[2]
	if !a.FullText || a.FullTextSelector != "" {
		t.Errorf("a = %+v, want full text by readability", a)
	}
	if !b.FullText || b.FullTextSelector != "main article .story-body" {
		t.Errorf("b = %+v, want full text by the selector", b)
	}
	if d.FullText || d.FullTextSelector != "" {
		t.Errorf("c = %+v, want the feed's content", d)
	}
}

func TestSourcePolicyErrors(t *testing.T) {
	tests := map[string]struct{ yaml, want string }{
		"republish":  {"    republish: everything\n", `feedloom.yaml:3: sources[0].republish: must be full, summary or title, got "everything"`},
		"max_length": {"    max_length: -1\n", `feedloom.yaml:3: sources[0].max_length:`},
		"fulltext":   {"    fulltext: yes please\n", `feedloom.yaml:3: sources[0].fulltext: must be true or false`},
		"bad selector": {"    fulltext: true\n    fulltext_selector: \"div[\"\n",
			`feedloom.yaml:4: sources[0].fulltext_selector: invalid CSS selector "div["`},
		"selector alone": {"    fulltext_selector: article\n", `feedloom.yaml:3: sources[0].fulltext_selector: has no effect without fulltext: true`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("testdata/feedloom.yaml", []byte("sources:\n  - url: https://example.org/feed.xml\n"+tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
