package rules

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/feedloom/feedloom"
)

func mustCompile(t testing.TB, topics ...feedloom.Topic) *Set {
	t.Helper()
	s, err := Compile(topics)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

// matches reports whether an item with text belongs to a topic with match m.
func matches(t *testing.T, m feedloom.Match, it feedloom.Item, src feedloom.Source) bool {
	t.Helper()
	s := mustCompile(t, feedloom.Topic{Name: "t", Match: m})
	got := s.Classify(&it, src)
	return reflect.DeepEqual(got, []string{"t"})
}

func TestRules(t *testing.T) {
	item := feedloom.Item{
		Title:      "Missile defense test over the Pacific",
		Text:       "The Navy intercepted a ballistic missile. Radar data were shared with Japan.",
		Categories: []string{"Defense Policy"},
	}
	tests := map[string]struct {
		match feedloom.Match
		want  bool
	}{
		"no rules":                {feedloom.Match{}, true},
		"empty lists":             {feedloom.Match{Any: []string{}, All: []string{}, None: []string{}, Sources: []string{}}, true},
		"any: one of several":     {feedloom.Match{Any: []string{"hypersonic", "ballistic missile"}}, true},
		"any: none present":       {feedloom.Match{Any: []string{"hypersonic", "cruise missile"}}, false},
		"all: every one":          {feedloom.Match{All: []string{"navy", "radar", "japan"}}, true},
		"all: one missing":        {feedloom.Match{All: []string{"navy", "radar", "korea"}}, false},
		"none: absent":            {feedloom.Match{None: []string{"video game"}}, true},
		"none: present":           {feedloom.Match{None: []string{"pacific"}}, false},
		"in the title":            {feedloom.Match{Any: []string{"missile defense test"}}, true},
		"in a category":           {feedloom.Match{Any: []string{"defense policy"}}, true},
		"any and all":             {feedloom.Match{Any: []string{"missile"}, All: []string{"japan"}}, true},
		"any and failing all":     {feedloom.Match{Any: []string{"missile"}, All: []string{"china"}}, false},
		"any and failing none":    {feedloom.Match{Any: []string{"missile"}, None: []string{"radar"}}, false},
		"not across fields":       {feedloom.Match{Any: []string{"pacific the"}}, false},
		"not across categories":   {feedloom.Match{Any: []string{"japan defense"}}, false},
		"words out of order":      {feedloom.Match{Any: []string{"defense missile"}}, false},
		"words with a gap":        {feedloom.Match{Any: []string{"navy a ballistic"}}, false},
		"phrase with punctuation": {feedloom.Match{Any: []string{"missile. radar"}}, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := matches(t, tt.match, item, feedloom.Source{}); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWords(t *testing.T) {
	tests := map[string]struct {
		phrase, text string
		want         bool
	}{
		"case":                       {"iran", "IRAN talks", true},
		"prefix of a longer word":    {"Iran", "Iranian officials", false},
		"suffix of a longer word":    {"ran", "Iran", false},
		"possessive":                 {"Iran", "Iran's navy", true},
		"curly apostrophe":           {"don't", "They don’t agree", true},
		"hyphen joins two words":     {"missile defense", "Missile-Defense systems", true},
		"spaces and punctuation":     {"missile defense", "a Missile  Defense, they said", true},
		"newline between words":      {"missile defense", "missile\ndefense", true},
		"phrase punctuation ignored": {"missile-defense!", "missile defense", true},
		"digits":                     {"f 35", "an F-35 crashed", true},
		"digits are words":           {"35", "F-35", true},
		"number prefix":              {"35", "350", false},
		"soft hyphen":                {"defense", "defen\u00adse", true},
		"phrase at the very end":     {"test", "a test", true},
		"phrase longer than text":    {"a b c", "a b", false},
		"repeated first word":        {"missile defense", "missile missile defense", true},
		"overlapping phrase":         {"a a b", "a a a b", true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := matches(t, feedloom.Match{Any: []string{tt.phrase}}, feedloom.Item{Text: tt.text}, feedloom.Source{})
			if got != tt.want {
				t.Errorf("%q in %q: got %v, want %v", tt.phrase, tt.text, got, tt.want)
			}
		})
	}
}

func TestUnicode(t *testing.T) {
	tests := map[string]struct {
		phrase, text string
		want         bool
	}{
		"French case folding":              {"été", "L'ÉTÉ INDIEN", true},
		"French, other way":                {"ÉTÉ", "un été chaud", true},
		"accents matter":                   {"ete", "un été chaud", false},
		"French elision":                   {"armée", "l'armée de l'air", true},
		"Russian":                          {"ракета", "Новая РАКЕТА испытана", true},
		"Russian word boundary":            {"ракета", "ракетами", false},
		"Russian phrase":                   {"противоракетная оборона", "Противоракетная  оборона, США", true},
		"Greek final sigma":                {"ΣΟΦΟΣ", "σοφος", true},
		"German sharp s upper":             {"straße", "STRAẞE", true},
		"Persian":                          {"موشک", "آزمایش موشک بالستیک", true},
		"Persian word boundary":            {"ایران", "ایرانی", false},
		"Persian phrase":                   {"موشک بالستیک", "آزمایش موشک بالستیک جدید", true},
		"Persian ZWNJ splits":              {"موشک", "موشک‌ها", true},
		"Persian ZWNJ or space":            {"می‌خواهد", "او می خواهد", true},
		"Persian Arabic yeh and kaf":       {"کشتی", "كشتي جنگی", true},
		"Persian digits":                   {"1403", "سال ۱۴۰۳", true},
		"Arabic-Indic digits":              {"۲۰۲۴", "عام ٢٠٢٤", true},
		"Arabic tatweel":                   {"موشک", "موشـــک", true},
		"Arabic vowel marks":               {"موشک", "مُوشَک", true},
		"Persian punctuation separates":    {"ایران", "ایران، عراق", true},
		"unspaced script: a run is a word": {"导弹", "新导弹试验", false},
		"Devanagari vowel signs in word":   {"मिसाइल", "नई मिसाइल का परीक्षण", true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := matches(t, feedloom.Match{Any: []string{tt.phrase}}, feedloom.Item{Text: tt.text}, feedloom.Source{})
			if got != tt.want {
				t.Errorf("%q in %q: got %v, want %v", tt.phrase, tt.text, got, tt.want)
			}
		})
	}
}

// TestFoldAgreesWithSimpleFold checks fold against the Unicode simple
// case folding orbits: every letter that folds to another must land on
// the same word form.
func TestFoldAgreesWithSimpleFold(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if fold(f) != fold(r) {
				t.Errorf("fold(%U %c) = %U, fold(%U %c) = %U; want the same", r, r, fold(r), f, f, fold(f))
			}
		}
	}
}

func TestSplit(t *testing.T) {
	tests := map[string]struct {
		in   string
		want []string
	}{
		"ASCII":      {"Missile  Defense, 2024!", []string{"missile", "defense", "2024"}},
		"apostrophe": {"Iran's", []string{"iran", "s"}},
		"mixed":      {"ÉTÉ–Москва", []string{"été", "москва"}},
		"only marks": {"—…!", nil},
		"empty":      {"", nil},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := split(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("split(%q): got %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSources(t *testing.T) {
	src := feedloom.Source{URL: "https://defapress.example/rss", Name: "Defa Press", Tags: []string{"defense", "persian"}}
	item := feedloom.Item{Source: src.URL, SourceName: "Defa Press Agency", Text: "news"}
	tests := map[string]struct {
		sources []string
		want    bool
	}{
		"tag":              {[]string{"tag:defense"}, true},
		"other tag":        {[]string{"tag:sports"}, false},
		"tags are exact":   {[]string{"tag:Defense"}, false},
		"configured name":  {[]string{"defa press"}, true},
		"item source name": {[]string{"DEFA PRESS AGENCY"}, true},
		"source URL":       {[]string{"https://defapress.example/rss"}, true},
		"part of a name":   {[]string{"Defa"}, false},
		"one of several":   {[]string{"TASS", "tag:persian"}, true},
		"none of several":  {[]string{"TASS", "tag:english"}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := matches(t, feedloom.Match{Sources: tt.sources}, item, src); got != tt.want {
				t.Errorf("sources %q: got %v, want %v", tt.sources, got, tt.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	s := mustCompile(t,
		feedloom.Topic{Name: "zeta-all"},
		feedloom.Topic{Name: "missile-defense", Match: feedloom.Match{Any: []string{"missile defense", "interceptor"}, None: []string{"video game"}}},
		feedloom.Topic{Name: "iran", Match: feedloom.Match{Any: []string{"Iran"}}},
		feedloom.Topic{Name: "alpha-defense-wire", Match: feedloom.Match{Any: []string{"missile defense"}, Sources: []string{"tag:wire"}}},
	)
	tests := map[string]struct {
		item feedloom.Item
		src  feedloom.Source
		want []string
	}{
		"several topics, sorted": {
			item: feedloom.Item{Title: "Iran tests missile defense"},
			src:  feedloom.Source{Tags: []string{"wire"}},
			want: []string{"alpha-defense-wire", "iran", "missile-defense", "zeta-all"},
		},
		"shared phrase, other source": {
			item: feedloom.Item{Title: "Iran tests missile defense"},
			want: []string{"iran", "missile-defense", "zeta-all"},
		},
		"excluded by none": {
			item: feedloom.Item{Title: "A missile defense video game", Text: "Iranian studio"},
			want: []string{"zeta-all"},
		},
		"empty item": {
			want: []string{"zeta-all"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := s.Classify(&tt.item, tt.src); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClassifyNoTopics(t *testing.T) {
	s := mustCompile(t)
	if got := s.Classify(&feedloom.Item{Title: "x"}, feedloom.Source{}); got != nil {
		t.Errorf("got %q, want nil", got)
	}
}

func TestExplain(t *testing.T) {
	s := mustCompile(t,
		feedloom.Topic{Name: "everything"},
		feedloom.Topic{Name: "md", Match: feedloom.Match{
			Any:  []string{"missile defense", "interceptor"},
			None: []string{"video game"},
		}},
		feedloom.Topic{Name: "full", Match: feedloom.Match{
			Any:     []string{"interceptor", "missile defense"},
			All:     []string{"navy", "radar"},
			None:    []string{"video game"},
			Sources: []string{"TASS", "tag:defense"},
		}},
		feedloom.Topic{Name: "only-none", Match: feedloom.Match{None: []string{"sports"}}},
	)
	defense := feedloom.Source{Name: "Wire", Tags: []string{"defense"}}
	tests := map[string]struct {
		topic   string
		item    feedloom.Item
		src     feedloom.Source
		wantOK  bool
		wantWhy string
	}{
		"no rules": {
			topic: "everything", wantOK: true, wantWhy: "no rules: takes every item",
		},
		"any": {
			topic: "md", item: feedloom.Item{Title: "Missile Defense budget"},
			wantOK: true, wantWhy: `any: "missile defense"`,
		},
		"any fails": {
			topic: "md", item: feedloom.Item{Title: "Budget talks"},
			wantOK: false, wantWhy: "any: no match",
		},
		"none": {
			topic: "md", item: feedloom.Item{Title: "Missile defense, the video game"},
			wantOK: false, wantWhy: `none: "video game"`,
		},
		"every rule": {
			topic: "full", item: feedloom.Item{Title: "Navy radar guides missile defense"}, src: defense,
			wantOK: true, wantWhy: `any: "missile defense"; all: "navy", "radar"; sources: "tag:defense"`,
		},
		"sources fail": {
			topic: "full", item: feedloom.Item{Title: "Navy radar guides missile defense"},
			wantOK: false, wantWhy: "sources: no match",
		},
		"all fails and none": {
			topic: "full", item: feedloom.Item{Title: "Navy interceptor video game"}, src: defense,
			wantOK: false, wantWhy: `all: missing "radar"; none: "video game"`,
		},
		"only none": {
			topic: "only-none", item: feedloom.Item{Title: "News"},
			wantOK: true, wantWhy: "none: no match",
		},
		"unknown topic": {
			topic: "nope", wantOK: false, wantWhy: `unknown topic "nope"`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ok, why := s.Explain(&tt.item, tt.src, tt.topic)
			if ok != tt.wantOK || why != tt.wantWhy {
				t.Errorf("got (%v, %q), want (%v, %q)", ok, why, tt.wantOK, tt.wantWhy)
			}
			// Explain and Classify must agree.
			if tt.topic != "nope" {
				in := false
				for _, n := range s.Classify(&tt.item, tt.src) {
					in = in || n == tt.topic
				}
				if in != ok {
					t.Errorf("Classify takes the item: %v; Explain: %v", in, ok)
				}
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := map[string]struct {
		topics []feedloom.Topic
		want   []string
	}{
		"phrase without words": {
			topics: []feedloom.Topic{{Name: "md", Match: feedloom.Match{Any: []string{"missile", "--"}}}},
			want:   []string{`rules: topic "md": any[1]: must contain a word, got "--"`},
		},
		"every bad rule": {
			topics: []feedloom.Topic{
				{Name: "a", Match: feedloom.Match{All: []string{""}, None: []string{"ok", "!"}}},
				{Name: "b", Match: feedloom.Match{Sources: []string{"tag:", " "}}},
			},
			want: []string{
				`rules: topic "a": all[0]: empty term`,
				`rules: topic "a": none[1]: must contain a word, got "!"`,
				`rules: topic "b": sources[0]: "tag:" names no tag`,
				`rules: topic "b": sources[1]: empty`,
			},
		},
		"duplicate topic": {
			topics: []feedloom.Topic{{Name: "a"}, {Name: "a"}},
			want:   []string{`rules: topic "a": defined twice`},
		},
		"nameless topic": {
			topics: []feedloom.Topic{{Title: "x"}},
			want:   []string{`rules: a topic has no name`},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Compile(tt.topics)
			if err == nil {
				t.Fatalf("got a Set and no error, want %q", tt.want)
			}
			if s != nil {
				t.Errorf("got a Set with the error, want nil")
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestConcurrentClassify is meant for -race: a Set is shared by every
// worker of the aggregator.
func TestConcurrentClassify(t *testing.T) {
	s := mustCompile(t,
		feedloom.Topic{Name: "a", Match: feedloom.Match{Any: []string{"alpha beta"}}},
		feedloom.Topic{Name: "b", Match: feedloom.Match{Any: []string{"gamma"}}},
	)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				text, want := "gamma", []string{"b"}
				if (g+i)%2 == 0 {
					text, want = fmt.Sprintf("x %d alpha beta", i), []string{"a"}
				}
				if got := s.Classify(&feedloom.Item{Text: text}, feedloom.Source{}); !reflect.DeepEqual(got, want) {
					errs <- fmt.Sprintf("Classify(%q): got %q, want %q", text, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
