package clean

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/feedloom/feedloom"
)

func TestShape(t *testing.T) {
	tests := map[string]struct{ line, want string }{
		"number":               {"News ID: 77346", "news id: #"},
		"another number":       {"News ID: 77351", "news id: #"},
		"labelled date":        {"Publish Date: 11May 2019 - 14:08", "publish date: @date"},
		"next month":           {"Publish Date: 1Jun 2019 - 09:00", "publish date: @date"},
		"date alone":           {"Saturday, 11 May 2019 14:08", "@date"},
		"posted on":            {"Posted on May 11, 2019", "posted on @date"},
		"Persian date":         {"تاریخ انتشار: ۲۱ اردیبهشت ۱۳۹۸ - ۱۴:۰۸", "تاریخ انتشار: @date"},
		"case and space":       {"  Your   COMMENT ", "your comment"},
		"url":                  {"Source: https://www.defapress.ir/en/news/77346", "source: @url"},
		"id with letters":      {"Ref 4f2a9c", "ref #"},
		"copyright year":       {"© 2019 Defa Press. All rights reserved.", "© # defa press. all rights reserved."},
		"not a date, a number": {"Killed: 12", "killed: #"},
		"empty":                {"   ", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got, _ := shape(tt.line); got != tt.want {
				t.Errorf("shape(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
	long := strings.Repeat("A long paragraph of legal text, repeated. ", 20)
	key, isLong := shape(long)
	if !isLong || len(key) > maxKeyBytes {
		t.Errorf("shape of a %d-byte line: long = %v, key of %d bytes", len(long), isLong, len(key))
	}
	if other, _ := shape(long + "Different end."); other == key {
		t.Errorf("two long lines with the same start have the same key %q", key)
	}
}

func TestSeeds(t *testing.T) {
	tests := map[string]bool{
		"Read more":                 true,
		"Read more »":               true,
		"[Continue reading]":        true,
		"your comment":              true,
		"Message end/":              true,
		"Share on Facebook Twitter": true,
		"Share this article":        true,
		"Follow us on Telegram":     true,
		"The post Drills End appeared first on Defa Press.": true,
		"© 2019 Defa Press":                          true,
		"Copyright 2019 Example Media":               true,
		"Defa Press 2019. All rights reserved.":      true,
		"Copyright law changes approved":             false,
		"He said he would read more reports.":        false,
		"Share prices fell on Monday, traders said.": false,
		"Follow the money, investigators said.":      false,
	}
	for line, want := range tests {
		if got := (*Model)(nil).isBoilerplate(line); got != want {
			t.Errorf("isBoilerplate(%q) with no model = %v, want %v", line, got, want)
		}
	}
}

func TestBoilerplate(t *testing.T) {
	tests := map[string][]string{
		"defapress.xml": {"message end/", "news id: #", "publish date: @date", "your comment"},
		// Every item has the first five; the byline is in 8 of 12.
		"defapress-poll.xml": {"message end/", "news id: #", "publish date: @date", "share on facebook twitter", "your comment", "by staff writer"},
		"tass.xml":           nil,
		"running-story.xml":  {"read more"},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, m := learned(t, name)
			if got := m.Boilerplate(); !reflect.DeepEqual(got, want) {
				t.Errorf("Boilerplate() = %q, want %q", got, want)
			}
		})
	}
	if got := (*Model)(nil).Boilerplate(); got != nil {
		t.Errorf("nil model: Boilerplate() = %q", got)
	}
}

// TestLearnSmallFeeds: a shape needs 3 items, whatever its share.
func TestLearnSmallFeeds(t *testing.T) {
	items := load(t, "defapress.xml")
	tests := map[string]struct {
		n    int
		want int
	}{
		"two items":   {2, 0},
		"three items": {3, 4},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m := new(Model)
			m.Learn(items[:tt.n])
			if got := m.Boilerplate(); len(got) != tt.want {
				t.Errorf("Boilerplate() = %q, want %d shapes", got, tt.want)
			}
		})
	}
}

// TestLearnAcrossPolls: items learned over several polls count as if
// learned at once, and learning nothing changes nothing.
func TestLearnAcrossPolls(t *testing.T) {
	items := load(t, "defapress-poll.xml")
	once, polls := new(Model), new(Model)
	once.Learn(items)
	for i := 0; i < len(items); i += 5 {
		polls.Learn(items[i:min(i+5, len(items))])
	}
	polls.Learn(nil)
	if !reflect.DeepEqual(once.Boilerplate(), polls.Boilerplate()) {
		t.Errorf("in polls: %q; at once: %q", polls.Boilerplate(), once.Boilerplate())
	}
	if polls.Items != len(items) {
		t.Errorf("Items = %d, want %d", polls.Items, len(items))
	}
}

// TestModelJSON: a model survives the store: same shapes, same cleaning.
func TestModelJSON(t *testing.T) {
	before, _, m := learned(t, "defapress-poll.xml")
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Model
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, m) {
		t.Errorf("round trip changed the model:\n%+v\n%+v", back, *m)
	}
	if !reflect.DeepEqual(back.Boilerplate(), m.Boilerplate()) {
		t.Errorf("Boilerplate() = %q after the round trip, %q before", back.Boilerplate(), m.Boilerplate())
	}
	for _, it := range before {
		a, b := it, it
		m.Clean(&a)
		back.Clean(&b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: cleaned differently after the round trip", it.Title)
		}
	}
	var empty Model
	if b, err := json.Marshal(empty); err != nil || string(b) != `{"seen":0,"items":0}` {
		t.Errorf("empty model = %s, %v", b, err)
	}
}

// TestModelBounded: a source with long, ever-different items keeps at
// most 200 shapes, and still learns its chrome.
func TestModelBounded(t *testing.T) {
	m := new(Model)
	for poll := range 20 {
		items := make([]feedloom.Item, 50)
		for i := range items {
			var lines []string
			for l := range 30 {
				lines = append(lines, fmt.Sprintf("Sentence %s of item %s of poll %s, never seen again.", word(l), word(i), word(poll)))
			}
			lines = append(lines, "Follow Example News on Mastodon")
			items[i].Text = strings.Join(lines, "\n")
		}
		m.Learn(items)
		if len(m.Shapes) > maxShapes {
			t.Fatalf("poll %d: %d shapes", poll, len(m.Shapes))
		}
	}
	if got := m.Boilerplate(); !reflect.DeepEqual(got, []string{"follow example news on mastodon"}) {
		t.Errorf("Boilerplate() = %q", got)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 64<<10 {
		t.Errorf("model is %d bytes of JSON", len(b))
	}
}

// word spells n in letters, so that shapes do not fold it into "#".
func word(n int) string {
	s := ""
	for {
		s += string(rune('a' + n%26))
		n /= 26
		if n == 0 {
			return s
		}
	}
}

// TestModelForgets: when a source changes its chrome, the new lines are
// learned and the old ones stop counting.
func TestModelForgets(t *testing.T) {
	poll := func(n int, chrome string) []feedloom.Item {
		items := make([]feedloom.Item, n)
		for i := range items {
			items[i].Text = "Some news " + word(i) + "\n" + chrome
		}
		return items
	}
	m := new(Model)
	m.Learn(poll(50, "Old footer"))
	if got := m.Boilerplate(); !reflect.DeepEqual(got, []string{"old footer"}) {
		t.Fatalf("after the old template: %q", got)
	}
	for range 10 {
		m.Learn(poll(20, "New footer"))
	}
	if got := m.Boilerplate(); !reflect.DeepEqual(got, []string{"new footer"}) {
		t.Errorf("after the new template: %q", got)
	}
}
