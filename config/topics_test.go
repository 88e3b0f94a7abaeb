package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom"
)

func TestTopicTerms(t *testing.T) {
	c := mustParse(t, `sources:
  - url: https://example.org/feed.xml
    tags: [wire]
topics:
  - name: iran
    match:
      any: ['Iran*', 'title:"nuclear deal"', 're:/missiles?\b/', '"Breaking: news"']
      all: ['url:/politics/', 'tag:wire']
      none: ['author:John Smith', 'category:re:/^sport/', 'source:Spam Daily']
      languages: [en, RU, fas]
      max_age: 7d
`)
	want := feedloom.Match{
		Any:       []string{"Iran*", `title:"nuclear deal"`, `re:/missiles?\b/`, `"Breaking: news"`},
		All:       []string{"url:/politics/", "tag:wire"},
		None:      []string{"author:John Smith", "category:re:/^sport/", "source:Spam Daily"},
		Languages: []string{"en", "RU", "fas"},
		MaxAge:    7 * 24 * time.Hour,
	}
	if got := c.Topics[0].Match; !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
}

// TestTopicTermErrors: every bad term is reported at its own line, with
// the path of the list entry.
func TestTopicTermErrors(t *testing.T) {
	const f = "testdata/feedloom.yaml"
	yaml := `sources:
  - url: https://example.org/feed.xml
topics:
  - name: a
    match:
      any:
        - Iran
        - 're:/(/'
        - 'Breaking: news'
        - '   '
        - '--'
        - 'Ir*an'
        - 'title:'
        - 're:/x*/'
        - 'url:/news/*'
        - 're:/abc'
      all: ['title:re:/[a/', '"missile']
      none: [ok, 'auther:Smith']
      languages: [en, english, en-US, zz, '']
      max_age: 7x
  - name: b
    match:
      max_age: 0s
      languages: fa
`
	_, err := Parse(f, []byte(yaml))
	if err == nil {
		t.Fatal("Parse accepted bad terms")
	}
	want := []string{
		f + `:8: topics[0].match.any[1]: invalid regular expression "re:/(/": missing closing )`,
		f + `:9: topics[0].match.any[2]: unknown field "Breaking:" in "Breaking: news" (use title:, author:, category:, url:, source:, tag: or re:/…/; to match the words, put the term in double quotes)`,
		f + `:10: topics[0].match.any[3]: empty term`,
		f + `:11: topics[0].match.any[4]: must contain a word, got "--"`,
		f + `:12: topics[0].match.any[5]: "Ir*an": "*" may only end the last word`,
		f + `:13: topics[0].match.any[6]: "title:" has nothing to match after "title:"`,
		f + `:14: topics[0].match.any[7]: regular expression "re:/x*/" matches empty text, so it would match every item`,
		f + `:15: topics[0].match.any[8]: "url:/news/*": "*" is not a wildcard in url terms; use url:re:/…/`,
		f + `:16: topics[0].match.any[9]: invalid regular expression "re:/abc": missing the closing "/"`,
		f + `:17: topics[0].match.all[0]: invalid regular expression "title:re:/[a/": missing closing ]`,
		f + `:17: topics[0].match.all[1]: "\"missile" opens a quote it does not close`,
		f + `:18: topics[0].match.none[1]: unknown field "auther:" in "auther:Smith" (use title:, author:, category:, url:, source:, tag: or re:/…/; to match the words, put the term in double quotes)`,
		f + `:19: topics[0].match.languages[1]: invalid language code "english" (use an ISO 639 code such as en, ru or fa)`,
		f + `:19: topics[0].match.languages[2]: invalid language code "en-US" (use an ISO 639 code such as en, ru or fa)`,
		f + `:19: topics[0].match.languages[3]: unknown language code "zz" (use an ISO 639 code such as en, ru or fa)`,
		f + `:19: topics[0].match.languages[4]: must not be empty`,
		f + `:20: topics[0].match.max_age: invalid duration "7x" (use Go durations such as 30s, 10m, 6h, 7d)`,
		f + `:23: topics[1].match.max_age: must be greater than 0, got 0s`,
		f + `:24: topics[1].match.languages: must be a list, got a string ("fa")`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}
