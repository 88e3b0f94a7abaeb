// Package rules decides which topics an item belongs to.
//
// A topic's rules (feedloom.Match) are evaluated against the item and its
// source:
//
//   - any: at least one of the terms matches
//   - all: every term matches
//   - none: no term matches
//   - sources: the source carries the tag of a "tag:x" entry, or its
//     configured name, the item's source name or the source URL equals an
//     entry, ignoring case
//   - languages: the item's language (its primary subtag: "en" for
//     "en-US") is listed; an item whose feed gives no language passes,
//     since nothing says it is in another one
//   - max_age: the item was published at most this long before the
//     classification time (Classify: now; ClassifyAt: the time given)
//
// An item belongs to a topic when every rule the topic sets holds; an
// empty list sets no rule, so a topic without rules takes every item.
//
// # Terms
//
// A term is words, a field-scoped term or a regular expression (see
// terms.go for the grammar; CheckTerm validates one):
//
//	missile defense       the words as a phrase, in the title, text or categories
//	"missile defense"     the same; quotes let a phrase start with "word:"
//	Iran*                 the last word is a prefix: Iran, Iranian, Iran's
//	title:Iran*           words in one field: title:, author:, category:
//	url:/politics/        part of the canonical link, ignoring case
//	source:TASS           the source's configured or feed name, or its URL, ignoring case
//	tag:defense           a tag of the source
//	re:/missiles?\b/      an RE2 regular expression over the title, then the text;
//	                      case is ignored unless the pattern says (?-i)
//	title:re:/^Iran/      a regular expression over one field (any of the above)
//
// Words match whole words, ignoring case: "Iran" matches "IRAN" and
// "Iran's" but not "Iranian", and "missile defense" matches
// "Missile-Defense" (see words.go for what a word is). A phrase never
// spans two fields, two categories or two authors.
//
// # Cost
//
// An item's title, text and categories (and authors, when a term is
// scoped to them) are read once per Classify call, however many topics
// and word terms there are. Regular expression, url, source and tag
// terms are evaluated when a topic needs them, at most once per call each.
package rules

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/feedloom/feedloom"
)

// A Set is the compiled rules of every topic. It is safe for concurrent
// use.
type Set struct {
	topics []topicRules // sorted by name

	// Word terms, matched in one pass over the item's words.
	vocab    map[string]int32 // every exact word of every phrase -> word id
	phrases  []phrase         // phrase id -> phrase
	starts   [][]int32        // word id -> ids of the exact phrases that start with it
	prefixes map[string]int32 // the prefix word of a wildcard phrase -> prefix id
	preLens  []int            // the distinct byte lengths of prefixes, ascending
	byPrefix [][]int32        // prefix id -> ids of the phrases ending with it
	authors  bool             // some phrase is scoped to authors: read them

	// Other terms, evaluated on demand.
	others []term

	pool sync.Pool // *scratch
}

// A phrase is a word term: its words and where they must be found.
type phrase struct {
	words  []int32 // word ids; with a prefix, all but the last word
	prefix int32   // prefix id of the last word, or -1
	field  field   // inItem, inTitle, inAuthor or inCategory
}

func (p *phrase) len() int {
	if p.prefix >= 0 {
		return len(p.words) + 1
	}
	return len(p.words)
}

type topicRules struct {
	name           string
	any, all, none []rule
	sources        []string
	languages      []string // canonical codes
	maxAge         time.Duration
}

// A rule is one term as configured and what to look up to evaluate it:
// a phrase id, or (other) an index in Set.others.
type rule struct {
	text  string
	id    int32
	other bool
}

// Compile compiles the rules of topics. Its error lists every bad rule,
// naming the topic and the rule.
func Compile(topics []feedloom.Topic) (*Set, error) {
	s := &Set{vocab: make(map[string]int32), prefixes: make(map[string]int32)}
	ids := make(map[string]int32)    // phrase key -> phrase id
	others := make(map[string]int32) // term key -> index in s.others
	var errs []error
	seen := make(map[string]bool)
	for _, t := range topics {
		fail := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("rules: topic %q: "+format, append([]any{t.Name}, args...)...))
		}
		if t.Name == "" {
			errs = append(errs, errors.New("rules: a topic has no name"))
			continue
		}
		if seen[t.Name] {
			fail("defined twice")
			continue
		}
		seen[t.Name] = true
		compile := func(kind string, terms []string) []rule {
			var rs []rule
			for i, text := range terms {
				tm, err := parseTerm(text)
				if err != nil {
					fail("%s[%d]: %v", kind, i, err)
					continue
				}
				rs = append(rs, s.add(ids, others, text, tm))
			}
			return rs
		}
		ct := topicRules{
			name:   t.Name,
			any:    compile("any", t.Match.Any),
			all:    compile("all", t.Match.All),
			none:   compile("none", t.Match.None),
			maxAge: t.Match.MaxAge,
		}
		for i, src := range t.Match.Sources {
			switch {
			case strings.TrimSpace(src) == "":
				fail("sources[%d]: empty", i)
			case src == "tag:":
				fail("sources[%d]: %q names no tag", i, src)
			default:
				ct.sources = append(ct.sources, src)
			}
		}
		for i, code := range t.Match.Languages {
			c, err := languageCode(code)
			if err != nil {
				fail("languages[%d]: %v", i, err)
				continue
			}
			if !slices.Contains(ct.languages, c) {
				ct.languages = append(ct.languages, c)
			}
		}
		if t.Match.MaxAge < 0 {
			fail("max_age: must not be negative, got %s", t.Match.MaxAge)
		}
		s.topics = append(s.topics, ct)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(s.topics, func(a, b topicRules) int { return strings.Compare(a.name, b.name) })
	s.starts = make([][]int32, len(s.vocab))
	s.byPrefix = make([][]int32, len(s.prefixes))
	for id, p := range s.phrases {
		if p.prefix >= 0 {
			s.byPrefix[p.prefix] = append(s.byPrefix[p.prefix], int32(id))
		} else {
			s.starts[p.words[0]] = append(s.starts[p.words[0]], int32(id))
		}
		s.authors = s.authors || p.field == inAuthor
	}
	for w := range s.prefixes {
		if !slices.Contains(s.preLens, len(w)) {
			s.preLens = append(s.preLens, len(w))
		}
	}
	slices.Sort(s.preLens)
	return s, nil
}

// add returns the rule for the term tm written as text. Terms that match
// the same thing share their id, so each is looked for once.
func (s *Set) add(ids, others map[string]int32, text string, tm term) rule {
	key := tm.key()
	if tm.words == nil {
		id, ok := others[key]
		if !ok {
			id = int32(len(s.others))
			s.others = append(s.others, tm)
			others[key] = id
		}
		return rule{text: text, id: id, other: true}
	}
	if id, ok := ids[key]; ok {
		return rule{text: text, id: id}
	}
	p := phrase{prefix: -1, field: tm.field}
	words := tm.words
	if tm.prefix {
		last := words[len(words)-1]
		words = words[:len(words)-1]
		id, ok := s.prefixes[last]
		if !ok {
			id = int32(len(s.prefixes))
			s.prefixes[last] = id
		}
		p.prefix = id
	}
	for _, w := range words {
		id, ok := s.vocab[w]
		if !ok {
			id = int32(len(s.vocab))
			s.vocab[w] = id
		}
		p.words = append(p.words, id)
	}
	id := int32(len(s.phrases))
	s.phrases = append(s.phrases, p)
	ids[key] = id
	return rule{text: text, id: id}
}

// Classify returns the names of the topics the item belongs to at the
// current time, sorted; nil if none.
func (s *Set) Classify(it *feedloom.Item, src feedloom.Source) []string {
	return s.ClassifyAt(it, src, time.Now())
}

// ClassifyAt is Classify with max_age counted back from now.
func (s *Set) ClassifyAt(it *feedloom.Item, src feedloom.Source, now time.Time) []string {
	sc := s.find(it)
	defer s.pool.Put(sc)
	var names []string
	for i := range s.topics {
		if s.takes(&s.topics[i], sc, it, src, now) {
			names = append(names, s.topics[i].name)
		}
	}
	return names
}

// takes evaluates the cheap rules first.
func (s *Set) takes(t *topicRules, sc *scratch, it *feedloom.Item, src feedloom.Source, now time.Time) bool {
	if len(t.sources) > 0 && firstSource(t.sources, it, src) < 0 {
		return false
	}
	if len(t.languages) > 0 {
		if _, ok := languageOK(t.languages, it); !ok {
			return false
		}
	}
	if t.maxAge > 0 && !ageOK(t.maxAge, it, now) {
		return false
	}
	// Word terms first: they are known already. Other terms are evaluated
	// only when they can still decide.
	if s.some(t.all, sc, it, src, false, false) || s.some(t.none, sc, it, src, true, false) {
		return false
	}
	if len(t.any) > 0 && !s.some(t.any, sc, it, src, true, false) && !s.some(t.any, sc, it, src, true, true) {
		return false
	}
	return !s.some(t.all, sc, it, src, false, true) && !s.some(t.none, sc, it, src, true, true)
}

// some reports whether one of the rules that are other terms (or word
// terms, when other is false) matches (want true) or does not (want
// false).
func (s *Set) some(rs []rule, sc *scratch, it *feedloom.Item, src feedloom.Source, want, other bool) bool {
	for _, r := range rs {
		if r.other == other && s.matches(r, sc, it, src) == want {
			return true
		}
	}
	return false
}

// first returns the index of the first rule that matches (want true) or
// does not (want false), or -1.
func (s *Set) first(rs []rule, sc *scratch, it *feedloom.Item, src feedloom.Source, want bool) int {
	for i, r := range rs {
		if s.matches(r, sc, it, src) == want {
			return i
		}
	}
	return -1
}

func (s *Set) matches(r rule, sc *scratch, it *feedloom.Item, src feedloom.Source) bool {
	if !r.other {
		return sc.found.has(r.id)
	}
	switch sc.others[r.id] {
	case yes:
		return true
	case no:
		return false
	}
	ok := s.others[r.id].eval(sc, it, src)
	sc.others[r.id] = no
	if ok {
		sc.others[r.id] = yes
	}
	return ok
}

// languageOK reports whether the item's language is one of codes, and
// that language ("" when the item has none: it passes).
func languageOK(codes []string, it *feedloom.Item) (string, bool) {
	l := itemLanguage(it.Language)
	return l, l == "" || slices.Contains(codes, l)
}

// ageOK reports whether the item was published at most maxAge before now.
// An item without a date (never the case once stored: it takes the time
// it was first seen) passes.
func ageOK(maxAge time.Duration, it *feedloom.Item, now time.Time) bool {
	p := published(it)
	return p.IsZero() || now.Sub(p) <= maxAge
}

func published(it *feedloom.Item) time.Time {
	if it.Published.IsZero() {
		return it.FirstSeen
	}
	return it.Published
}

// eval evaluates a term that is not a word term.
func (t *term) eval(sc *scratch, it *feedloom.Item, src feedloom.Source) bool {
	if t.re != nil {
		return t.evalRegexp(it, src)
	}
	switch t.field {
	case inURL:
		if sc.url == "" && it.URL != "" {
			sc.url = strings.ToLower(it.URL)
		}
		return strings.Contains(sc.url, t.lit)
	case inSource:
		return sourceIs(t.lit, it, src)
	case inTag:
		return src.HasTag(t.lit)
	}
	return false
}

func (t *term) evalRegexp(it *feedloom.Item, src feedloom.Source) bool {
	re := t.re
	switch t.field {
	case inItem:
		return re.MatchString(it.Title) || re.MatchString(it.Text)
	case inTitle:
		return re.MatchString(it.Title)
	case inAuthor:
		return anyMatch(re, it.Authors)
	case inCategory:
		return anyMatch(re, it.Categories)
	case inURL:
		return re.MatchString(it.URL)
	case inSource:
		return anyMatch(re, []string{src.Name, it.SourceName, src.URL, it.Source})
	case inTag:
		return anyMatch(re, src.Tags)
	}
	return false
}

func anyMatch(re *regexp.Regexp, list []string) bool {
	for _, s := range list {
		if s != "" && re.MatchString(s) {
			return true
		}
	}
	return false
}

// sourceIs reports whether name is the source's configured name, the
// item's source name or the source URL, ignoring case.
func sourceIs(name string, it *feedloom.Item, src feedloom.Source) bool {
	return strings.EqualFold(name, src.Name) || strings.EqualFold(name, it.SourceName) ||
		strings.EqualFold(name, src.URL) || strings.EqualFold(name, it.Source)
}

// firstSource returns the index of the first entry the source matches.
func firstSource(entries []string, it *feedloom.Item, src feedloom.Source) int {
	for i, e := range entries {
		if tag, ok := strings.CutPrefix(e, "tag:"); ok {
			if src.HasTag(tag) {
				return i
			}
			continue
		}
		if sourceIs(e, it, src) {
			return i
		}
	}
	return -1
}
