package clean

import (
	"reflect"
	"strings"
	"testing"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/normalize"
)

// FuzzClean: for any sanitized HTML and title, Clean leaves sanitized
// HTML, Text that is its text, something when there was something, and is
// idempotent.
func FuzzClean(f *testing.F) {
	for _, it := range load(f, "defapress-poll.xml") {
		f.Add(it.Summary, it.Title)
	}
	f.Add(`a<div>Message end/</div>b<br/>your comment<br/>c`, "Title of three words")
	f.Add(`<p><strong>Title of three</strong> words - x</p>`, "Title of three words")
	_, _, m := learned(f, "defapress-poll.xml")
	f.Fuzz(func(t *testing.T, html, title string) {
		it := feedloom.Item{Title: normalize.CleanText(title), Summary: normalize.Sanitize(html, nil)}
		it.Text = normalize.PlainText(it.Summary)
		orig := it
		m.Clean(&it)
		if it.Summary != orig.Summary {
			if normalize.Sanitize(it.Summary, nil) != it.Summary {
				t.Errorf("Summary %q is not sanitized", it.Summary)
			}
			if it.Text != normalize.PlainText(it.Summary) {
				t.Errorf("Text %q is not the text of %q", it.Text, it.Summary)
			}
		}
		if strings.TrimSpace(orig.Text) != "" && strings.TrimSpace(it.Text) == "" {
			t.Errorf("emptied %q", orig.Summary)
		}
		again := it
		m.Clean(&again)
		if !reflect.DeepEqual(again, it) {
			t.Errorf("not idempotent: %q → %q → %q", orig.Summary, it.Summary, again.Summary)
		}
	})
}
