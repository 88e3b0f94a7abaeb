package rules

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
)

// takes reports whether a topic whose any list is the one term takes the
// item, and checks that Explain agrees.
func takes(t *testing.T, term string, it feedloom.Item, src feedloom.Source) bool {
	t.Helper()
	s := mustCompile(t, feedloom.Topic{Name: "t", Match: feedloom.Match{Any: []string{term}}})
	got := reflect.DeepEqual(s.Classify(&it, src), []string{"t"})
	if ok, why := s.Explain(&it, src, "t"); ok != got {
		t.Errorf("Classify: %v, Explain: %v (%s)", got, ok, why)
	}
	return got
}

func TestWildcard(t *testing.T) {
	tests := map[string]struct {
		term, text string
		want       bool
	}{
		"longer word":                 {"Iran*", "Iranian officials", true},
		"the word itself":             {"Iran*", "talks with Iran", true},
		"possessive":                  {"Iran*", "Iran's navy", true},
		"case":                        {"IRAN*", "the iranian side", true},
		"not inside a word":           {"ran*", "Iranian", false},
		"not another word":            {"Iran*", "Tehran", false},
		"phrase, last word":           {"missile def*", "new Missile-Defenses deployed", true},
		"phrase, words before":        {"nuclear iran*", "a nuclear Iranian deal", true},
		"phrase, word between":        {"nuclear iran*", "nuclear talks with Iranians", false},
		"phrase, words out of order":  {"iran nucl*", "nuclear Iran", false},
		"prefix is a word of another": {"defense*", "defenseless", true},
		"quoted":                      {`"Iran*"`, "Iranians", true},
		"Cyrillic":                    {"ракет*", "Новые РАКЕТЫ испытаны", true},
		"Cyrillic, not inside":        {"кет*", "ракеты", false},
		"Cyrillic phrase, one prefix": {"противоракетная оборон*", "Противоракетная оборона США", true},
		"Persian":                     {"ایران*", "مقامات ایرانی گفتند", true},
		"Persian, Arabic yeh":         {"ایرانی*", "مقامات ايرانيان", true},
		"Persian, not inside":         {"ران*", "ایرانی", false},
		"Persian ZWNJ splits":         {"موشک*", "موشک‌ها", true},
		"digits":                      {"f35*", "F35A", true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := takes(t, tt.term, feedloom.Item{Text: tt.text}, feedloom.Source{}); got != tt.want {
				t.Errorf("%q in %q: got %v, want %v", tt.term, tt.text, got, tt.want)
			}
		})
	}
}

// TestWildcardAndExactShareWords: a word that is both a phrase word and
// matched by a prefix, and prefixes of several lengths, in one set.
func TestWildcardAndExactShareWords(t *testing.T) {
	s := mustCompile(t,
		feedloom.Topic{Name: "exact", Match: feedloom.Match{Any: []string{"iran"}}},
		feedloom.Topic{Name: "prefix", Match: feedloom.Match{Any: []string{"iran*"}}},
		feedloom.Topic{Name: "short", Match: feedloom.Match{Any: []string{"ir*"}}},
		feedloom.Topic{Name: "phrase", Match: feedloom.Match{Any: []string{"iran nuc*"}}},
	)
	tests := map[string][]string{
		"Iran":              {"exact", "prefix", "short"},
		"Iranian":           {"prefix", "short"},
		"Iraq":              {"short"},
		"Iran nuclear deal": {"exact", "phrase", "prefix", "short"},
		"Iranian nuclear":   {"prefix", "short"},
		"Tehran":            nil,
	}
	for text, want := range tests {
		if got := s.Classify(&feedloom.Item{Title: text}, feedloom.Source{}); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
	}
}

func TestScoped(t *testing.T) {
	item := feedloom.Item{
		Title:      "Iran tests a missile",
		Text:       "Officials in Moscow said the Russian navy watched. Written by the desk.",
		Authors:    []string{"Dr. John Smith", "Анна Петрова"},
		Categories: []string{"Defense Policy", "Middle East"},
		URL:        "https://tass.com/Politics/1057599",
		Source:     "https://tass.com/rss/v2.xml",
		SourceName: "TASS English",
	}
	src := feedloom.Source{URL: "https://tass.com/rss/v2.xml", Name: "TASS", Tags: []string{"wire", "russia"}}
	tests := map[string]struct {
		term string
		want bool
	}{
		"title":                         {"title:Iran", true},
		"title, case of the field name": {"Title:iran", true},
		"title, not in the text":        {"title:Moscow", false},
		"title phrase":                  {"title:tests a missile", true},
		"title quoted phrase":           {`title:"tests a missile"`, true},
		"title wildcard":                {"title:miss*", true},
		"title wildcard, text only":     {"title:Mosc*", false},
		"unscoped reads every field":    {"Moscow", true},
		"author":                        {"author:john smith", true},
		"author, one name":              {"author:Smith", true},
		"author, not across authors":    {"author:smith анна", false},
		"author, Cyrillic":              {"author:анна петрова", true},
		"author, wildcard":              {"author:Петр*", true},
		"authors are not in the text":   {"john smith", false},
		"author, not the text":          {"author:desk", false},
		"category":                      {"category:defense policy", true},
		"category, one word":            {"category:east", true},
		"category, not across":          {"category:policy middle", false},
		"category, not the title":       {"category:Iran", false},
		"url":                           {"url:/politics/", true},
		"url, case":                     {"URL:TASS.COM/POLITICS", true},
		"url, not there":                {"url:/economy/", false},
		"source name":                   {"source:tass", true},
		"source, item source name":      {"source:TASS English", true},
		"source URL":                    {"source:https://tass.com/rss/v2.xml", true},
		"source, part of a name":        {"source:TAS", false},
		"tag":                           {"tag:wire", true},
		"tag, exact":                    {"tag:Wire", false},
		"tag, missing":                  {"tag:sports", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := takes(t, tt.term, item, src); got != tt.want {
				t.Errorf("%q: got %v, want %v", tt.term, got, tt.want)
			}
		})
	}
}

func TestRegexp(t *testing.T) {
	item := feedloom.Item{
		Title:      "Iran tests a missile",
		Text:       "The MISSILES flew 300 km.\nRussia's navy watched.",
		Authors:    []string{"John Smith"},
		Categories: []string{"Defense Policy"},
		URL:        "https://tass.ru/politics/1057599",
		SourceName: "TASS",
	}
	src := feedloom.Source{URL: "https://tass.ru/rss/v2.xml", Name: "TASS", Tags: []string{"wire"}}
	tests := map[string]struct {
		term string
		want bool
	}{
		"text, ignoring case":           {`re:/missiles?\b/`, true},
		"case kept with (?-i)":          {`re:/(?-i)MISSILE\b/`, false},
		"case kept, matching":           {`re:/(?-i)MISSILES/`, true},
		"digits":                        {`re:/\d{3} km/`, true},
		"title anchored":                {`title:re:/^iran\b/`, true},
		"title, not the text":           {`title:re:/navy/`, false},
		"title and text, separately":    {`re:/missile.The/`, false},
		"line anchors need (?m)":        {`re:/(?m)^russia/`, true},
		"not the categories":            {`re:/policy/`, false},
		"category":                      {`category:re:/^defen[cs]e/`, true},
		"author":                        {`author:re:/smith$/`, true},
		"url":                           {`url:re:/\.ru\/politics\//`, true},
		"source":                        {`source:re:/^tass$/`, true},
		"source URL":                    {`source:re:/tass\.ru/`, true},
		"tag":                           {`tag:re:/^wi/`, true},
		"tag, no match":                 {`tag:re:/^def/`, false},
		"Unicode case":                  {`re:/ракет/`, false},
		"slash inside":                  {`url:re:/ru/politics/`, true},
		"field and re: ignore case":     {`TITLE:RE:/IRAN/`, true},
		"word boundaries are ASCII \\b": {`re:/\bnavy\b/`, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := takes(t, tt.term, item, src); got != tt.want {
				t.Errorf("%q: got %v, want %v", tt.term, got, tt.want)
			}
		})
	}
	cyr := feedloom.Item{Title: "Новая РАКЕТА", Text: "آزمایش موشک بالستیک"}
	for term, want := range map[string]bool{`re:/ракета/`: true, `re:/موشک\s+بالستیک/`: true, `title:re:/موشک/`: false} {
		if got := takes(t, term, cyr, feedloom.Source{}); got != want {
			t.Errorf("%q: got %v, want %v", term, got, want)
		}
	}
}

func TestLanguages(t *testing.T) {
	s := mustCompile(t,
		feedloom.Topic{Name: "en-ru", Match: feedloom.Match{Languages: []string{"en", "RU"}}},
		feedloom.Topic{Name: "fa", Match: feedloom.Match{Any: []string{"موشک"}, Languages: []string{"fas"}}},
	)
	tests := map[string]struct {
		item feedloom.Item
		want []string
	}{
		"listed":                 {feedloom.Item{Language: "ru"}, []string{"en-ru"}},
		"region subtag":          {feedloom.Item{Language: "en-US"}, []string{"en-ru"}},
		"underscore":             {feedloom.Item{Language: "en_GB"}, []string{"en-ru"}},
		"not listed":             {feedloom.Item{Language: "de"}, nil},
		"no language passes":     {feedloom.Item{Text: "موشک"}, []string{"en-ru", "fa"}},
		"three-letter in config": {feedloom.Item{Language: "fa", Text: "موشک"}, []string{"fa"}},
		"three-letter in item":   {feedloom.Item{Language: "rus"}, []string{"en-ru"}},
		"garbage is none":        {feedloom.Item{Language: "English"}, []string{"en-ru"}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := s.Classify(&tt.item, feedloom.Source{}); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaxAge(t *testing.T) {
	now := time.Date(2024, 6, 16, 12, 0, 0, 0, time.UTC)
	s := mustCompile(t, feedloom.Topic{Name: "week", Match: feedloom.Match{MaxAge: 7 * 24 * time.Hour}})
	tests := map[string]struct {
		published, firstSeen time.Time
		want                 bool
	}{
		"a day old":               {published: now.Add(-24 * time.Hour), want: true},
		"exactly the age":         {published: now.Add(-7 * 24 * time.Hour), want: true},
		"older":                   {published: now.Add(-7*24*time.Hour - time.Second), want: false},
		"no date, first seen new": {firstSeen: now.Add(-time.Hour), want: true},
		"no date, first seen old": {firstSeen: now.Add(-30 * 24 * time.Hour), want: false},
		"no date at all":          {want: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			it := feedloom.Item{Published: tt.published, FirstSeen: tt.firstSeen}
			got := reflect.DeepEqual(s.ClassifyAt(&it, feedloom.Source{}, now), []string{"week"})
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if e := s.ExplainAt(&it, feedloom.Source{}, "week", now); e.Taken != got {
				t.Errorf("ExplainAt disagrees: %+v", e)
			}
		})
	}
	// Classify counts from the current time.
	old := feedloom.Item{Published: time.Now().Add(-8 * 24 * time.Hour)}
	if got := s.Classify(&old, feedloom.Source{}); got != nil {
		t.Errorf("Classify of an item 8 days old: %q", got)
	}
}

func TestExplainTerms(t *testing.T) {
	now := time.Date(2024, 6, 16, 12, 0, 0, 0, time.UTC)
	s := mustCompile(t,
		feedloom.Topic{Name: "iran", Match: feedloom.Match{
			Any:       []string{"title:Iran*", `re:/tehran/`},
			All:       []string{"url:/politics/", "tag:wire"},
			None:      []string{"category:sports", "source:Spam Daily"},
			Languages: []string{"en"},
			MaxAge:    7 * 24 * time.Hour,
		}},
	)
	wire := feedloom.Source{Name: "Wire", Tags: []string{"wire"}}
	fresh := now.Add(-50 * time.Hour)
	tests := map[string]struct {
		item    feedloom.Item
		src     feedloom.Source
		want    string
		taken   bool
		nearMis bool
	}{
		"taken": {
			item:  feedloom.Item{Title: "Iranian navy", URL: "https://x.example/politics/1", Language: "en-US", Published: fresh},
			src:   wire,
			taken: true,
			want:  `any: "title:Iran*"; all: "url:/politics/", "tag:wire"; languages: "en"; max_age: published 2d2h ago`,
		},
		"regexp taken, no language": {
			item:  feedloom.Item{Text: "Talks in TEHRAN", URL: "https://x.example/politics/1", Published: fresh},
			src:   wire,
			taken: true,
			want:  `any: "re:/tehran/"; all: "url:/politics/", "tag:wire"; languages: the item gives none; max_age: published 2d2h ago`,
		},
		"near miss: all": {
			item:    feedloom.Item{Title: "Iran", URL: "https://x.example/economy/1", Published: fresh},
			src:     wire,
			want:    `all: missing "url:/politics/"`,
			nearMis: true,
		},
		"near miss: none, language and age": {
			item:    feedloom.Item{Title: "Iran", Categories: []string{"Sports"}, URL: "https://x.example/politics/1", Language: "de", Published: now.Add(-9 * 24 * time.Hour)},
			src:     wire,
			want:    `none: "category:sports"; languages: "de" is not listed; max_age: published 9d ago, more than 7d`,
			nearMis: true,
		},
		"near miss: only all terms matched": {
			item:    feedloom.Item{Title: "Budget", URL: "https://x.example/politics/1", Published: fresh},
			src:     wire,
			want:    `any: no match`,
			nearMis: true,
		},
		"not a near miss": {
			item: feedloom.Item{Title: "Budget", URL: "https://x.example/economy/1", Published: fresh},
			want: `any: no match; all: missing "url:/politics/", "tag:wire"`,
		},
		"excluded by source": {
			item:    feedloom.Item{Title: "Iran", URL: "https://x.example/politics/1", SourceName: "spam daily", Published: fresh},
			src:     wire,
			want:    `none: "source:Spam Daily"`,
			nearMis: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := s.ExplainAt(&tt.item, tt.src, "iran", now)
			if e.Taken != tt.taken || e.String() != tt.want || e.NearMiss != tt.nearMis {
				t.Errorf("got %+v\nwant taken %v, near miss %v, %s", e, tt.taken, tt.nearMis, tt.want)
			}
			if in := len(s.ClassifyAt(&tt.item, tt.src, now)) == 1; in != e.Taken {
				t.Errorf("ClassifyAt takes it: %v", in)
			}
		})
	}
}

func TestCheckTerm(t *testing.T) {
	good := []string{
		"Iran", "missile defense", `"missile defense"`, "Iran*", "missile def*", `"Breaking: news"`,
		"title:Iran", "author:John Smith", "category:defense", "url:/politics/", "source:TASS",
		"tag:defense", `re:/missiles?/`, `title:re:/^Iran/`, "COVID-19: vaccines", "9:30 news",
		"Москва: ракеты", `url:re:/a*b/`,
	}
	for _, s := range good {
		if err := CheckTerm(s); err != nil {
			t.Errorf("CheckTerm(%q): %v", s, err)
		}
	}
	bad := map[string]string{
		"":                `empty term`,
		"   ":             `empty term`,
		"--":              `must contain a word, got "--"`,
		"title:--":        `must contain a word, got "title:--"`,
		"title:":          `"title:" has nothing to match after "title:"`,
		"url: ":           `"url: " has nothing to match after "url:"`,
		`url:""`:          `"url:\"\"" has nothing to match`,
		"Breaking: news":  `unknown field "Breaking:" in "Breaking: news" (use title:, author:, category:, url:, source:, tag: or re:/…/; to match the words, put the term in double quotes)`,
		"auther:Smith":    `unknown field "auther:" in "auther:Smith" (use title:, author:, category:, url:, source:, tag: or re:/…/; to match the words, put the term in double quotes)`,
		"re:/(/":          `invalid regular expression "re:/(/": missing closing )`,
		"title:re:/[a/":   `invalid regular expression "title:re:/[a/": missing closing ]`,
		`re:/a**/`:        `invalid regular expression "re:/a**/": invalid nested repetition operator`,
		"re:/abc":         `invalid regular expression "re:/abc": missing the closing "/"`,
		"re:/":            `invalid regular expression "re:/": missing the closing "/"`,
		"re://":           `invalid regular expression "re://": empty`,
		"re:abc":          `invalid regular expression "re:abc": write it between slashes, as in re:/missiles?/`,
		"re:/x*/":         `regular expression "re:/x*/" matches empty text, so it would match every item`,
		"Ir*an":           `"Ir*an": "*" may only end the last word`,
		"ракет* оборон*":  `"ракет* оборон*": "*" may only end the last word`,
		"*":               `"*": "*" must follow the start of a word, as in Iran*`,
		"Iran *":          `"Iran *": "*" must follow the start of a word, as in Iran*`,
		"url:/news/*":     `"url:/news/*": "*" is not a wildcard in url terms; use url:re:/…/`,
		"source:TA*":      `"source:TA*": "*" is not a wildcard in source terms; use source:re:/…/`,
		`"missile`:        `"\"missile" opens a quote it does not close`,
		`title:"missile`:  `"title:\"missile" opens a quote it does not close`,
		"title:re:/x|/":   `regular expression "title:re:/x|/" matches empty text, so it would match every item`,
		"category:re:/(/": `invalid regular expression "category:re:/(/": missing closing )`,
	}
	for s, want := range bad {
		err := CheckTerm(s)
		if err == nil || err.Error() != want {
			t.Errorf("CheckTerm(%q):\n got %v\nwant %s", s, err, want)
		}
	}
}

func TestCheckLanguage(t *testing.T) {
	for _, c := range []string{"en", "RU", "fa", "fas", "eng"} {
		if err := CheckLanguage(c); err != nil {
			t.Errorf("CheckLanguage(%q): %v", c, err)
		}
	}
	bad := map[string]string{
		"english": `invalid language code "english" (use an ISO 639 code such as en, ru or fa)`,
		"en-US":   `invalid language code "en-US" (use an ISO 639 code such as en, ru or fa)`,
		"e":       `invalid language code "e" (use an ISO 639 code such as en, ru or fa)`,
		"zz":      `unknown language code "zz" (use an ISO 639 code such as en, ru or fa)`,
	}
	for c, want := range bad {
		if err := CheckLanguage(c); err == nil || err.Error() != want {
			t.Errorf("CheckLanguage(%q): got %v, want %s", c, err, want)
		}
	}
}

func TestCompileNewErrors(t *testing.T) {
	_, err := Compile([]feedloom.Topic{{Name: "a", Match: feedloom.Match{
		Any:       []string{"ok", "re:/(/"},
		None:      []string{"foo:bar"},
		Languages: []string{"en", "xx"},
		MaxAge:    -time.Hour,
	}}})
	want := strings.Join([]string{
		`rules: topic "a": any[1]: invalid regular expression "re:/(/": missing closing )`,
		`rules: topic "a": none[0]: unknown field "foo:" in "foo:bar" (use title:, author:, category:, url:, source:, tag: or re:/…/; to match the words, put the term in double quotes)`,
		`rules: topic "a": languages[1]: unknown language code "xx" (use an ISO 639 code such as en, ru or fa)`,
		`rules: topic "a": max_age: must not be negative, got -1h0m0s`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

// TestSharedTerms: topics that write the same term differently share
// its work, and evaluate it right for each.
func TestSharedTerms(t *testing.T) {
	s := mustCompile(t,
		feedloom.Topic{Name: "a", Match: feedloom.Match{Any: []string{"re:/tass/", "title:iran"}}},
		feedloom.Topic{Name: "b", Match: feedloom.Match{All: []string{"re:/tass/", "Title:IRAN"}}},
		feedloom.Topic{Name: "c", Match: feedloom.Match{None: []string{"re:/tass/"}}},
	)
	if len(s.others) != 1 || len(s.phrases) != 1 {
		t.Errorf("%d other terms and %d phrases, want 1 and 1", len(s.others), len(s.phrases))
	}
	if got, want := s.Classify(&feedloom.Item{Title: "Iran", Text: "via TASS"}, feedloom.Source{}), []string{"a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := s.Classify(&feedloom.Item{Title: "Iran"}, feedloom.Source{}), []string{"a", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestConcurrentTerms is meant for -race: pooled scratch state of every
// kind of term, shared by goroutines.
func TestConcurrentTerms(t *testing.T) {
	s := mustCompile(t,
		feedloom.Topic{Name: "a", Match: feedloom.Match{Any: []string{"iran*", "url:/a/"}}},
		feedloom.Topic{Name: "b", Match: feedloom.Match{Any: []string{"re:/gamma/", "author:smith"}}},
	)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				it, want := feedloom.Item{Text: "gamma", URL: "https://x/b"}, []string{"b"}
				if (g+i)%2 == 0 {
					it, want = feedloom.Item{Text: fmt.Sprintf("x %d Iranian", i), URL: "https://x/a/"}, []string{"a"}
				}
				if got := s.Classify(&it, feedloom.Source{}); !reflect.DeepEqual(got, want) {
					errs <- fmt.Sprintf("Classify(%+v): got %q, want %q", it, got, want)
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

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		20 * time.Minute:          "20m",
		5*time.Hour + time.Minute: "5h",
		7 * 24 * time.Hour:        "7d",
		36 * time.Hour:            "1d12h",
	} {
		if got := age(d); got != want {
			t.Errorf("age(%v) = %q, want %q", d, got, want)
		}
	}
}
