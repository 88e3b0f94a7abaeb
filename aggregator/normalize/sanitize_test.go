package normalize

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/internal/htmlcheck"
)

// xssCorpus returns the hostile HTML fragments under testdata/xss, by name.
func xssCorpus(t testing.TB) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "xss", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no XSS corpus in testdata/xss")
	}
	corpus := make(map[string]string, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		corpus[strings.TrimSuffix(filepath.Base(f), ".html")] = string(b)
	}
	return corpus
}

// checkSafeHTML returns the first way s breaks the rule for sanitized HTML
// (see package htmlcheck), or nil.
func checkSafeHTML(s string) error { return htmlcheck.Fragment(s) }

// checkURL returns what is wrong with v as a published URL.
func checkURL(v string) error { return htmlcheck.URL(v) }

// TestCheckSafeHTML makes sure the checker the XSS tests rely on does
// reject what it must.
func TestCheckSafeHTML(t *testing.T) {
	bad := map[string]string{
		"script":        `<script>alert(1)</script>`,
		"event handler": `<p onclick="x">p</p>`,
		"javascript":    `<a href="javascript:alert(1)" rel="nofollow noopener noreferrer">a</a>`,
		"relative":      `<img src="/x.png">`,
		"no rel":        `<a href="https://ok.example/">a</a>`,
		"unbalanced":    `<b><i>x</b></i>`,
		"unclosed":      `<p>x`,
		"style attr":    `<p style="color:red">x</p>`,
		"svg":           `<svg></svg>`,
		"comment":       `<!-- x -->`,
	}
	for name, s := range bad {
		t.Run(name, func(t *testing.T) {
			if checkSafeHTML(s) == nil {
				t.Errorf("checkSafeHTML(%q) = nil, want an error", s)
			}
		})
	}
	good := `<p><a href="https://ok.example/" rel="noopener nofollow noreferrer">a</a><img src="https://ok.example/a.png"/><br/></p>`
	if err := checkSafeHTML(good); err != nil {
		t.Errorf("checkSafeHTML(%q) = %v", good, err)
	}
}

func TestSanitizeXSSCorpus(t *testing.T) {
	base := mustURL(t, "https://news.example.com/world/story.html")
	for name, in := range xssCorpus(t) {
		t.Run(name, func(t *testing.T) {
			out := Sanitize(in, base)
			if err := checkSafeHTML(out); err != nil {
				t.Errorf("Sanitize output unsafe: %v\n in: %s\nout: %s", err, in, out)
			}
		})
	}
}

func TestSanitizeIdempotent(t *testing.T) {
	base := mustURL(t, "https://news.example.com/world/story.html")
	inputs := xssCorpus(t)
	for _, name := range []string{"rss2.xml", "atom.xml", "jsonfeed.json", "defapress.xml"} {
		for i, it := range loadItems(t, name) {
			inputs[fmt.Sprintf("%s/%d/content", name, i)] = it.Content
			inputs[fmt.Sprintf("%s/%d/summary", name, i)] = it.Summary
		}
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			once := Sanitize(in, base)
			if twice := Sanitize(once, base); twice != once {
				t.Errorf("Sanitize is not idempotent\n once: %s\ntwice: %s", once, twice)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	base := mustURL(t, "https://news.example.com/world/story.html?id=1")
	tests := map[string]struct {
		in   string
		base *url.URL
		want string
	}{
		"relative link resolved":  {`<a href="../about">about</a>`, base, `<a href="https://news.example.com/about" rel="noopener nofollow noreferrer">about</a>`},
		"relative image resolved": {`<img src="img/a.png" alt="A">`, base, `<img src="https://news.example.com/world/img/a.png" alt="A"/>`},
		"fragment link absolute":  {`<a href="#fn1">1</a>`, base, `<a href="https://news.example.com/world/story.html?id=1#fn1" rel="noopener nofollow noreferrer">1</a>`},
		"relative without base":   {`<a href="/about">about</a> <img src="a.png">`, nil, `about`},
		"mailto kept":             {`<a href="mailto:desk@example.com">mail</a>`, base, `<a href="mailto:desk@example.com" rel="noopener nofollow noreferrer">mail</a>`},
		"rel replaced":            {`<a href="https://x.example/" rel="opener author">x</a>`, base, `<a href="https://x.example/" rel="noopener nofollow noreferrer">x</a>`},
		"unclosed closed":         {`<p>open <b>bold`, base, `<p>open <b>bold</b></p>`},
		"misnested fixed":         {`<b><i>x</b>y</i>`, base, `<b><i>x</i></b><i>y</i>`},
		"tables kept":             {`<table><tr><td colspan="2">a</td></tr></table>`, base, `<table><tbody><tr><td colspan="2">a</td></tr></tbody></table>`},
		"class and id dropped":    {`<p class="x" id="y">p</p>`, base, `<p>p</p>`},
		"unknown tag unwrapped":   {`a<font color="red">b</font>c`, base, `a b c`},
		"whitespace only":         {" \n\t ", base, ``},
		"controls removed":        {"<p>a\x00b\x1bc</p>", base, `<p>abc</p>`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Sanitize(tt.in, tt.base); got != tt.want {
				t.Errorf("Sanitize(%q)\n got: %s\nwant: %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitizeSizeCap(t *testing.T) {
	base := mustURL(t, "https://news.example.com/")
	tests := map[string]string{
		// Truncation falls inside an element and inside a multi-byte rune.
		"long paragraphs": strings.Repeat("<p>Ministers met in <b>Genève</b> on Friday. ", 30000),
		// Sanitizing makes each link longer (resolved URL, rel), so the
		// output of a capped input is over the cap.
		"growing links": strings.Repeat(`<a href=a>x</a>`, 60000),
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if len(in) <= maxHTMLBytes {
				t.Fatalf("input of %d bytes does not exceed the cap", len(in))
			}
			out := Sanitize(in, base)
			if len(out) > maxHTMLBytes {
				t.Errorf("output is %d bytes, over the %d cap", len(out), maxHTMLBytes)
			}
			if len(out) < maxHTMLBytes/2 {
				t.Errorf("output is %d bytes: truncated far more than needed", len(out))
			}
			if err := checkSafeHTML(out); err != nil {
				t.Errorf("capped output: %v", err)
			}
		})
	}
}

// TestSanitizeTooDeep: HTML nested past what x/net/html parses fails
// closed.
func TestSanitizeTooDeep(t *testing.T) {
	in := strings.Repeat("<div>", 600) + "deep<script>alert(1)</script>"
	if got := Sanitize(in, nil); got != "" {
		t.Errorf("Sanitize(600 nested divs) = %.80q…, want \"\"", got)
	}
}
