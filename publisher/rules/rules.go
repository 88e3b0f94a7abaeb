// Package rules decides which topics an item belongs to.
//
// A topic's rules (feedloom.Match) are evaluated against the item's title,
// plain text and categories, and against its source:
//
//   - any: at least one of the phrases occurs
//   - all: every phrase occurs
//   - none: no phrase occurs
//   - sources: the source carries the tag of a "tag:x" entry, or its
//     configured name, the item's source name or the source URL equals an
//     entry, ignoring case
//
// An item belongs to a topic when every rule the topic sets holds; an
// empty list sets no rule, so a topic without rules takes every item.
//
// Phrases match whole words, ignoring case: "Iran" matches "IRAN" and
// "Iran's" but not "Iranian", and "missile defense" matches
// "Missile-Defense" (see words.go for what a word is). An item's text is
// read once per Classify call, however many topics and phrases there are.
package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/feedloom/feedloom"
)

// A Set is the compiled rules of every topic. It is safe for concurrent
// use.
type Set struct {
	topics  []topicRules     // sorted by name
	vocab   map[string]int32 // every word of every phrase -> word id
	phrases [][]int32        // phrase id -> its word ids
	starts  [][]int32        // word id -> ids of the phrases that start with it
	pool    sync.Pool        // *scratch
}

type topicRules struct {
	name           string
	any, all, none []rule
	sources        []string
}

// A rule is one phrase as configured and the id of its words.
type rule struct {
	text   string
	phrase int32
}

// Compile compiles the rules of topics. Its error lists every bad rule,
// naming the topic and the rule.
func Compile(topics []feedloom.Topic) (*Set, error) {
	s := &Set{vocab: make(map[string]int32)}
	ids := make(map[string]int32) // phrase words joined by spaces -> phrase id
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
		compile := func(kind string, phrases []string) []rule {
			var rs []rule
			for i, p := range phrases {
				words := split(p)
				if len(words) == 0 {
					fail("%s[%d]: %q has no words to match", kind, i, p)
					continue
				}
				rs = append(rs, rule{text: p, phrase: s.phrase(ids, words)})
			}
			return rs
		}
		ct := topicRules{
			name: t.Name,
			any:  compile("any", t.Match.Any),
			all:  compile("all", t.Match.All),
			none: compile("none", t.Match.None),
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
		s.topics = append(s.topics, ct)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.SortFunc(s.topics, func(a, b topicRules) int { return strings.Compare(a.name, b.name) })
	s.starts = make([][]int32, len(s.vocab))
	for id, words := range s.phrases {
		s.starts[words[0]] = append(s.starts[words[0]], int32(id))
	}
	return s, nil
}

// phrase returns the id of the phrase made of words, adding it (and its
// words) when it is new. Topics that share a phrase share its id, so it is
// looked for once.
func (s *Set) phrase(ids map[string]int32, words []string) int32 {
	key := strings.Join(words, " ")
	if id, ok := ids[key]; ok {
		return id
	}
	p := make([]int32, len(words))
	for i, w := range words {
		id, ok := s.vocab[w]
		if !ok {
			id = int32(len(s.vocab))
			s.vocab[w] = id
		}
		p[i] = id
	}
	id := int32(len(s.phrases))
	s.phrases = append(s.phrases, p)
	ids[key] = id
	return id
}

// Classify returns the names of the topics it belongs to, sorted; nil if
// none.
func (s *Set) Classify(it *feedloom.Item, src feedloom.Source) []string {
	sc := s.find(it)
	defer s.pool.Put(sc)
	var names []string
	for i := range s.topics {
		if s.topics[i].takes(sc.found, it, src) {
			names = append(names, s.topics[i].name)
		}
	}
	return names
}

func (t *topicRules) takes(found bitset, it *feedloom.Item, src feedloom.Source) bool {
	return (len(t.any) == 0 || firstFound(t.any, found) >= 0) &&
		firstMissing(t.all, found) < 0 &&
		firstFound(t.none, found) < 0 &&
		(len(t.sources) == 0 || firstSource(t.sources, it, src) >= 0)
}

// Explain tells whether the item belongs to the topic and why, naming the
// rule and phrase that decided: `any: "missile defense"` or
// `none: "video game"`. When the item is taken, the reason gives what
// every rule matched; when not, every rule that failed. Reasons are
// joined by "; ".
func (s *Set) Explain(it *feedloom.Item, src feedloom.Source, topic string) (ok bool, reason string) {
	i, found := slices.BinarySearchFunc(s.topics, topic, func(t topicRules, name string) int { return strings.Compare(t.name, name) })
	if !found {
		return false, fmt.Sprintf("unknown topic %q", topic)
	}
	t := &s.topics[i]
	if len(t.any)+len(t.all)+len(t.none)+len(t.sources) == 0 {
		return true, "no rules: takes every item"
	}
	sc := s.find(it)
	defer s.pool.Put(sc)
	var took, failed []string
	if len(t.any) > 0 {
		if j := firstFound(t.any, sc.found); j >= 0 {
			took = append(took, fmt.Sprintf("any: %q", t.any[j].text))
		} else {
			failed = append(failed, "any: no match")
		}
	}
	if len(t.all) > 0 {
		if j := firstMissing(t.all, sc.found); j >= 0 {
			failed = append(failed, fmt.Sprintf("all: missing %q", t.all[j].text))
		} else {
			took = append(took, "all: "+quoteAll(t.all))
		}
	}
	if j := firstFound(t.none, sc.found); j >= 0 {
		failed = append(failed, fmt.Sprintf("none: %q", t.none[j].text))
	}
	if len(t.sources) > 0 {
		if j := firstSource(t.sources, it, src); j >= 0 {
			took = append(took, fmt.Sprintf("sources: %q", t.sources[j]))
		} else {
			failed = append(failed, "sources: no match")
		}
	}
	if len(failed) > 0 {
		return false, strings.Join(failed, "; ")
	}
	if len(took) == 0 { // only none rules, and none matched
		return true, "none: no match"
	}
	return true, strings.Join(took, "; ")
}

func quoteAll(rs []rule) string {
	q := make([]string, len(rs))
	for i, r := range rs {
		q[i] = fmt.Sprintf("%q", r.text)
	}
	return strings.Join(q, ", ")
}

func firstFound(rs []rule, found bitset) int {
	for i, r := range rs {
		if found.has(r.phrase) {
			return i
		}
	}
	return -1
}

func firstMissing(rs []rule, found bitset) int {
	for i, r := range rs {
		if !found.has(r.phrase) {
			return i
		}
	}
	return -1
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
		if strings.EqualFold(e, src.Name) || strings.EqualFold(e, it.SourceName) ||
			strings.EqualFold(e, src.URL) || strings.EqualFold(e, it.Source) {
			return i
		}
	}
	return -1
}

// scratch is the per-call state of a Classify or Explain, pooled so that
// classifying an item allocates next to nothing.
type scratch struct {
	sc    scanner
	words []int32 // the item's words as word ids; -1 for any run of other words
	found bitset  // phrase ids found in the item
}

// gap stands for words that are in no phrase, and for the break between
// title, text and categories: no phrase spans it.
const gap = -1

// find reads the item's text once and records every phrase it contains.
func (s *Set) find(it *feedloom.Item) *scratch {
	sc, _ := s.pool.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	sc.found = sc.found.reset(len(s.phrases))
	if len(s.phrases) == 0 {
		return sc
	}
	sc.words = sc.words[:0]
	s.read(sc, it.Title)
	s.read(sc, it.Text)
	for _, c := range it.Categories {
		s.read(sc, c)
	}
	words := sc.words
	for i, w := range words {
		if w == gap {
			continue
		}
		for _, p := range s.starts[w] {
			if sc.found.has(p) {
				continue
			}
			if want := s.phrases[p]; i+len(want) <= len(words) && slices.Equal(words[i:i+len(want)], want) {
				sc.found.set(p)
			}
		}
	}
	return sc
}

// read appends the word ids of text to sc.words, then a gap.
func (s *Set) read(sc *scratch, text string) {
	sc.sc.reset(text)
	for {
		w, ok := sc.sc.next()
		if !ok {
			break
		}
		id, known := s.vocab[string(w)]
		if !known {
			if n := len(sc.words); n > 0 && sc.words[n-1] == gap {
				continue // one gap breaks a phrase as well as many
			}
			id = gap
		}
		sc.words = append(sc.words, id)
	}
	if n := len(sc.words); n > 0 && sc.words[n-1] != gap {
		sc.words = append(sc.words, gap)
	}
}

type bitset []uint64

func (b bitset) reset(n int) bitset {
	words := (n + 63) / 64
	if cap(b) < words {
		return make(bitset, words)
	}
	b = b[:words]
	clear(b)
	return b
}

func (b bitset) has(i int32) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int32)      { b[i/64] |= 1 << (i % 64) }
