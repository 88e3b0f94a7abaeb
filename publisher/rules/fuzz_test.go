package rules

import (
	"slices"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
)

// FuzzTerm compiles one term into a topic and classifies an item with it.
// Invariants: nothing panics; Compile fails exactly when CheckTerm does;
// a term taken by "any" is refused by "none" and the other way round, and
// "all" with one term agrees with "any"; ExplainAt agrees with ClassifyAt.
func FuzzTerm(f *testing.F) {
	for _, s := range []string{
		"Iran", "missile defense", `"missile defense"`, "Iran*", "missile def*", "title:Iran",
		"author:John Smith", "category:defense", "url:/politics/", "source:TASS", "tag:defense",
		`re:/missiles?/`, `title:re:/^Iran/`, "COVID-19: vaccines", "Москва: ракеты", `url:re:/a*b/`,
		"re:/(/", "Ir*an", `"missile`, "re:/x*/", "*", "title:", "Breaking: news", "re:/(?-i)Iran/",
	} {
		f.Add(s, "Missile defense test over the Pacific", "The Navy intercepted a ballistic missile near Iran's coast.")
	}
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	src := feedloom.Source{URL: "https://tass.example/rss", Name: "TASS", Tags: []string{"defense"}}
	f.Fuzz(func(t *testing.T, term, title, text string) {
		checkErr := CheckTerm(term)
		it := feedloom.Item{
			Title: title, Text: text, URL: "https://tass.example/politics/1",
			Categories: []string{title}, Authors: []string{text},
			SourceName: "TASS", Published: now.Add(-time.Hour),
		}
		taken := map[string]bool{}
		for _, m := range []struct {
			name  string
			match feedloom.Match
		}{
			{"any", feedloom.Match{Any: []string{term}}},
			{"all", feedloom.Match{All: []string{term}}},
			{"none", feedloom.Match{None: []string{term}}},
		} {
			s, err := Compile([]feedloom.Topic{{Name: "t", Match: m.match}})
			if (err == nil) != (checkErr == nil) {
				t.Fatalf("%s %q: Compile error %v, CheckTerm error %v", m.name, term, err, checkErr)
			}
			if err != nil {
				return
			}
			got := slices.Equal(s.ClassifyAt(&it, src, now), []string{"t"})
			if e := s.ExplainAt(&it, src, "t", now); e.Taken != got {
				t.Fatalf("%s %q: ClassifyAt %v, ExplainAt %v (%s)", m.name, term, got, e.Taken, e)
			}
			taken[m.name] = got
		}
		if taken["any"] == taken["none"] || taken["any"] != taken["all"] {
			t.Fatalf("term %q: any %v, all %v, none %v", term, taken["any"], taken["all"], taken["none"])
		}
	})
}
