package aggregator

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/normalize"
)

func TestApplyPolicy(t *testing.T) {
	long := strings.Repeat("word ", 150) // 750 runes
	content := "<p>First paragraph, short.</p><p>" + long + "</p><p>Third.</p>"
	item := func() feedloom.Item {
		return feedloom.Item{Title: "T", Summary: "", Content: content, Text: "First paragraph, short.\n" + long + "\nThird."}
	}
	cases := []struct {
		name             string
		src              feedloom.Source
		summary, content string
	}{
		{"full", feedloom.Source{Republish: "full"}, "", content},
		{"default is summary: whole paragraphs up to 500 runes", feedloom.Source{}, "<p>First paragraph, short.</p>", ""},
		{"summary", feedloom.Source{Republish: "summary"}, "<p>First paragraph, short.</p>", ""},
		{"title", feedloom.Source{Republish: "title", Rights: "© X"}, "", ""},
		{"summary max_length cuts the first paragraph", feedloom.Source{Republish: "summary", MaxLength: 10}, "<p>First…</p>", ""},
		{"full max_length", feedloom.Source{Republish: "full", MaxLength: 30}, "", "<p>First paragraph, short.</p><p>word…</p>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it := item()
			ApplyPolicy(&it, c.src)
			if it.Summary != c.summary || it.Content != c.content {
				t.Errorf("summary %q content %q, want %q, %q", it.Summary, it.Content, c.summary, c.content)
			}
			if c.src.MaxLength > 0 {
				again := it
				ApplyPolicy(&again, c.src)
				if again.Summary != it.Summary || again.Content != it.Content {
					t.Errorf("applying the policy again cut more: %q %q", again.Summary, again.Content)
				}
			}
			if it.Text != item().Text {
				t.Errorf("text changed: matching must see it whole")
			}
			if it.Rights != c.src.Rights {
				t.Errorf("rights %q", it.Rights)
			}
			if (c.src.Republish == "title") != (it.Republish == "title") {
				t.Errorf("republish %q", it.Republish)
			}
		})
	}
	t.Run("the summary the feed gave is kept", func(t *testing.T) {
		it := item()
		it.Summary = "<p>Given <b>summary</b></p>"
		ApplyPolicy(&it, feedloom.Source{})
		if it.Summary != "<p>Given <b>summary</b></p>" || it.Content != "" {
			t.Errorf("%q %q", it.Summary, it.Content)
		}
	})
	t.Run("a summary that is the whole text is cut", func(t *testing.T) {
		it := item()
		it.Summary, it.Content = content, ""
		ApplyPolicy(&it, feedloom.Source{})
		if it.Summary != "<p>First paragraph, short.</p>" {
			t.Errorf("%q", it.Summary)
		}
	})
	t.Run("text only is cut into a summary", func(t *testing.T) {
		it := feedloom.Item{Text: "a < b\n" + long}
		ApplyPolicy(&it, feedloom.Source{MaxLength: 20, Republish: "full"})
		if it.Summary != "<p>a &lt; b</p><p>word word word…</p>" {
			t.Errorf("%q", it.Summary)
		}
	})
}

func TestCutHTMLBalancedAndRuneSafe(t *testing.T) {
	s := "<div><p>Привет <b>мир, <i>как дела</i></b> сегодня</p></div>"
	for n := 1; n < 30; n++ {
		got := CutHTML(s, n, false)
		if !utf8.ValidString(got) {
			t.Fatalf("%d: invalid UTF-8 %q", n, got)
		}
		if normalize.Sanitize(got, nil) != got {
			t.Errorf("%d: not sanitized %q", n, got)
		}
		if strings.Count(got, "<b>") != strings.Count(got, "</b>") || strings.Count(got, "<p>") != strings.Count(got, "</p>") {
			t.Errorf("%d: unbalanced %q", n, got)
		}
		if text := normalize.PlainText(got); utf8.RuneCountInString(text) > n {
			t.Errorf("%d: %q is longer", n, text)
		}
	}
}
