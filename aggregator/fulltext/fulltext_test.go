package fulltext_test

import (
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/aggregator/fulltext"
	"github.com/feedloom/feedloom/aggregator/normalize"
)

// The article's body paragraphs, and text from the page around it that
// must not come along.
var (
	articleBody = []string{
		"The harbour authority voted on Thursday evening to build a tidal barrier",
		"The barrier will consist of six steel gates",
		"We have waited long enough",
		"The scheme is expected to cost 310 million",
		"Fishing crews, who had opposed earlier designs",
		"Environmental groups welcomed the decision",
		"Objectors have six weeks to seek a judicial review",
	}
	pageChrome = []string{
		"Weekend Sport", "Subscribe for ninety-nine cents", // navigation
		"refinance your boat loan", "luxury cruise", // ads
		"SeagullWatcher42", "my cellar has flooded", "pothole", "Join the discussion", // comments
		"Most read", "Beloved bakery", "morning briefing", // sidebar
		"We use cookies", "All rights reserved", "trackPageView", "dataLayer",
	}
)

func readFixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/article.html")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var pageURL = mustURL("https://ledger.example.org/news/2026/11/20/tidal-barrier/?utm_source=feed")

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestExtractArticle(t *testing.T) {
	out, err := fulltext.Extract(readFixture(t), "text/html; charset=utf-8", pageURL, "")
	if err != nil {
		t.Fatal(err)
	}
	text := normalize.PlainText(out)
	for _, p := range articleBody {
		if !strings.Contains(text, p) {
			t.Errorf("article text lacks %q:\n%s", p, text)
		}
	}
	for _, c := range pageChrome {
		if strings.Contains(out, c) {
			t.Errorf("article keeps page chrome %q:\n%s", c, out)
		}
	}
	// Relative URLs are resolved against the page, as the sanitizer
	// resolves those of feed content.
	if want := `href="https://ledger.example.org/news/2016/01/14/storm-surge/"`; !strings.Contains(out, want) {
		t.Errorf("relative link not resolved against the page: want %s in\n%s", want, out)
	}
	if normalize.Sanitize(out, pageURL) != out {
		t.Error("the result is not what the sanitizer leaves: it did not have the last word")
	}
}

func TestExtractSelector(t *testing.T) {
	out, err := fulltext.Extract(readFixture(t), "text/html", pageURL, "section.comments")
	if err != nil {
		t.Fatal(err)
	}
	text := normalize.PlainText(out)
	if !strings.Contains(text, "my cellar has flooded three winters") || strings.Contains(text, "tidal barrier") {
		t.Errorf("selector section.comments gave:\n%s", text)
	}
	if strings.Contains(out, "<textarea") || strings.Contains(out, "<form") {
		t.Errorf("the selected block was not sanitized:\n%s", out)
	}
}

func TestExtractFailures(t *testing.T) {
	long := strings.Repeat("Words of a real paragraph that goes on. ", 20)
	tests := map[string]struct {
		page, contentType, selector string
		want                        error
	}{
		"json":              {`{"title":"x"}`, "application/json", "", fulltext.ErrNotHTML},
		"pdf sniffed":       {"%PDF-1.7\n...", "", "", fulltext.ErrNotHTML},
		"no article":        {`<html><body><nav><a href="/">Home</a></nav><p>Log in to read.</p></body></html>`, "text/html", "", fulltext.ErrNoArticle},
		"empty body":        {`<html><body></body></html>`, "text/html", "", fulltext.ErrNoArticle},
		"selector misses":   {`<html><body><article><p>` + long + `</p></article></body></html>`, "text/html", "div.story", fulltext.ErrNoArticle},
		"selector too thin": {`<html><body><div class="story"><p>Short.</p></div></body></html>`, "text/html", "div.story", fulltext.ErrNoArticle},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, err := fulltext.Extract([]byte(tc.page), tc.contentType, pageURL, tc.selector)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Extract = %q, %v; want %v", out, err, tc.want)
			}
		})
	}
}

// A page in a legacy charset is decoded by what its header declares.
func TestExtractCharset(t *testing.T) {
	para := "Caf\xe9 owners on the quay said the barrier would finally let them keep their terraces open through the winter storms. "
	page := "<html><body><div class=\"story\"><p>" + strings.Repeat(para, 3) + "</p></div></body></html>"
	out, err := fulltext.Extract([]byte(page), "text/html; charset=iso-8859-1", pageURL, "div.story")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Café owners") {
		t.Errorf("charset not decoded: %q", out[:80])
	}
}

func TestCheckSelector(t *testing.T) {
	for _, ok := range []string{"article", "div.story-body", "#main > article p", "main article, .post"} {
		if err := fulltext.CheckSelector(ok); err != nil {
			t.Errorf("CheckSelector(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "  ", "div[", "..story", "a >> b"} {
		if err := fulltext.CheckSelector(bad); err == nil {
			t.Errorf("CheckSelector(%q) = nil, want an error", bad)
		}
	}
}
