package rules

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/feedloom/feedloom"
)

// benchTopics returns 20 topics of the size a curator writes: a few any
// phrases (some of two words), one all, one none, sources on some.
func benchTopics() []feedloom.Topic {
	subjects := []string{
		"missile defense", "ballistic missile", "air defense", "hypersonic", "drone strike",
		"nuclear program", "sanctions", "naval exercise", "fighter jet", "cyber attack",
		"satellite launch", "arms control", "border clash", "peace talks", "oil prices",
		"election", "earthquake", "central bank", "artificial intelligence", "vaccine",
	}
	topics := make([]feedloom.Topic, 20)
	for i := range topics {
		m := feedloom.Match{
			Any:  []string{subjects[i], subjects[(i+7)%20], subjects[(i+13)%20] + " report", strings.Fields(subjects[(i+3)%20])[0]},
			None: []string{"video game"},
		}
		if i%2 == 0 {
			m.All = []string{"minister"}
		}
		if i%4 == 0 {
			m.Sources = []string{"tag:defense", "TASS"}
		}
		topics[i] = feedloom.Topic{Name: fmt.Sprintf("topic-%02d", i), Match: m}
	}
	return topics
}

// benchItem returns an item with about 5 KB of text: common English
// words, with a few of the topics' phrases in it.
func benchItem() *feedloom.Item {
	vocab := strings.Fields(`the a of to and in that is was for on with as by at from
		said minister government officials report week year new would could after
		before against country military forces security talks statement region
		system test launch program state news agency people public defense missile
		attack strike`)
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for b.Len() < 5000 {
		w := vocab[r.IntN(len(vocab))]
		if r.IntN(12) == 0 {
			w = strings.ToUpper(w[:1]) + w[1:] // sentence-like capitals
		}
		b.WriteString(w)
		if r.IntN(15) == 0 {
			b.WriteString(".")
		}
		b.WriteString(" ")
	}
	b.WriteString("Analysts said the air defense system and the nuclear program were discussed.")
	return &feedloom.Item{
		Title:      "Minister says missile defense test succeeded",
		Text:       b.String(),
		Categories: []string{"Defense", "Middle East"},
	}
}

func BenchmarkClassify(b *testing.B) {
	s, err := Compile(benchTopics())
	if err != nil {
		b.Fatal(err)
	}
	it, src := benchItem(), feedloom.Source{Name: "TASS", Tags: []string{"defense"}}
	b.SetBytes(int64(len(it.Title) + len(it.Text)))
	b.ReportAllocs()
	for b.Loop() {
		s.Classify(it, src)
	}
}

// BenchmarkContainsBaseline is the naive way to do the same work, for
// scale: lower-case the item once and strings.Contains every phrase of
// every topic, short-circuiting as Classify does. It is not correct (it
// matches "Iran" in "Iranian"), only a yardstick.
func BenchmarkContainsBaseline(b *testing.B) {
	topics := benchTopics()
	for i := range topics {
		m := &topics[i].Match
		for _, l := range [][]string{m.Any, m.All, m.None} {
			for j := range l {
				l[j] = strings.ToLower(l[j])
			}
		}
	}
	it, src := benchItem(), feedloom.Source{Name: "TASS", Tags: []string{"defense"}}
	b.SetBytes(int64(len(it.Title) + len(it.Text)))
	b.ReportAllocs()
	for b.Loop() {
		text := strings.ToLower(it.Title + "\n" + it.Text + "\n" + strings.Join(it.Categories, "\n"))
		var names []string
		for _, t := range topics {
			if containsAny(text, t.Match.Any, len(t.Match.Any) == 0) && containsAll(text, t.Match.All) &&
				!containsAny(text, t.Match.None, false) &&
				(len(t.Match.Sources) == 0 || firstSource(t.Match.Sources, it, src) >= 0) {
				names = append(names, t.Name)
			}
		}
		_ = names
	}
}

func containsAny(text string, phrases []string, empty bool) bool {
	if len(phrases) == 0 {
		return empty
	}
	for _, p := range phrases {
		if strings.Contains(text, p) {
			return true
		}
	}
	return false
}

func containsAll(text string, phrases []string) bool {
	for _, p := range phrases {
		if !strings.Contains(text, p) {
			return false
		}
	}
	return true
}

// TestBenchItem keeps the benchmark honest: the item must be about 5 KB
// and be taken by some topics but not all, so the work measured is real.
func TestBenchItem(t *testing.T) {
	it := benchItem()
	if n := len(it.Title) + len(it.Text); n < 5000 || n > 5200 {
		t.Errorf("item is %d bytes, want about 5000", n)
	}
	s, err := Compile(benchTopics())
	if err != nil {
		t.Fatal(err)
	}
	got := s.Classify(it, feedloom.Source{Name: "TASS", Tags: []string{"defense"}})
	if len(got) == 0 || len(got) == 20 {
		t.Errorf("item is in %d of 20 topics (%q), want some but not all", len(got), got)
	}
}

// BenchmarkClassifyTerms is BenchmarkClassify with every topic also using
// a wildcard, a scoped phrase, a url term and, on every fifth topic, a
// regular expression: the cost of the richer terms.
func BenchmarkClassifyTerms(b *testing.B) {
	topics := benchTopics()
	for i := range topics {
		m := &topics[i].Match
		m.Any = append(m.Any, strings.Fields(m.Any[0])[0][:3]+"*", "title:"+m.Any[1], "url:/section-"+fmt.Sprint(i)+"/")
		if i%5 == 0 {
			m.None = append(m.None, fmt.Sprintf(`re:/\bgame %d\b/`, i))
		}
	}
	s, err := Compile(topics)
	if err != nil {
		b.Fatal(err)
	}
	it, src := benchItem(), feedloom.Source{Name: "TASS", Tags: []string{"defense"}}
	it.URL = "https://example.org/section-3/story"
	b.SetBytes(int64(len(it.Title) + len(it.Text)))
	b.ReportAllocs()
	for b.Loop() {
		s.Classify(it, src)
	}
}
