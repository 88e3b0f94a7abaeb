package rules

import (
	"slices"

	"github.com/feedloom/feedloom"
)

// scratch is the per-call state of a Classify or Explain, pooled so that
// classifying an item allocates next to nothing.
type scratch struct {
	sc     scanner
	words  []int32 // the item's words as word ids; gap for any run of other words, other for a word a prefix matched
	segs   [nsegs]int
	hits   []hit  // words that prefixes matched
	found  bitset // phrase ids found in the item
	others []tri  // evaluated other terms
	url    string // the item's URL, lower-cased, once needed
}

// A hit is a word at position pos of scratch.words that starts with the
// prefix of id prefix.
type hit struct {
	pos    int
	prefix int32
}

type tri uint8

const (
	unknown tri = iota
	yes
	no
)

const (
	// gap stands for words that are in no phrase, and for the break
	// between fields, categories and authors: no phrase spans it.
	gap = -1
	// other stands for a word in no phrase that a prefix matched: a word
	// of its own, so that the words before it are counted right.
	other = -2
)

// The segments of scratch.words, in reading order, and the field each is.
const (
	segTitle = iota
	segText
	segCategories
	segAuthors
	nsegs
)

var segField = [nsegs]field{inTitle, inItem, inCategory, inAuthor}

// fieldOK reports whether a phrase of field f may match in segment seg:
// an unscoped phrase in the title, text and categories, a scoped one in
// its field.
func fieldOK(f field, seg int) bool {
	return f == segField[seg] || f == inItem && seg != segAuthors
}

// find reads the item's words once and records every phrase it contains.
func (s *Set) find(it *feedloom.Item) *scratch {
	sc, _ := s.pool.Get().(*scratch)
	if sc == nil {
		sc = new(scratch)
	}
	sc.found = sc.found.reset(len(s.phrases))
	sc.url = ""
	if n := len(s.others); cap(sc.others) < n {
		sc.others = make([]tri, n)
	} else {
		sc.others = sc.others[:n]
		clear(sc.others)
	}
	if len(s.phrases) == 0 {
		return sc
	}
	sc.words, sc.hits = sc.words[:0], sc.hits[:0]
	s.read(sc, it.Title)
	sc.segs[segTitle] = len(sc.words)
	s.read(sc, it.Text)
	sc.segs[segText] = len(sc.words)
	for _, c := range it.Categories {
		s.read(sc, c)
	}
	sc.segs[segCategories] = len(sc.words)
	if s.authors {
		for _, a := range it.Authors {
			s.read(sc, a)
		}
	}
	sc.segs[segAuthors] = len(sc.words)

	words := sc.words
	for i, w := range words {
		if w < 0 {
			continue
		}
		for _, p := range s.starts[w] {
			if sc.found.has(p) {
				continue
			}
			ph := &s.phrases[p]
			if want := ph.words; i+len(want) <= len(words) && slices.Equal(words[i:i+len(want)], want) && fieldOK(ph.field, sc.seg(i)) {
				sc.found.set(p)
			}
		}
	}
	for _, h := range sc.hits {
		for _, p := range s.byPrefix[h.prefix] {
			if sc.found.has(p) {
				continue
			}
			ph := &s.phrases[p]
			if start := h.pos - len(ph.words); start >= 0 && slices.Equal(words[start:h.pos], ph.words) && fieldOK(ph.field, sc.seg(h.pos)) {
				sc.found.set(p)
			}
		}
	}
	return sc
}

// seg returns the segment of the word at position i. A phrase never
// spans two: each ends with a gap.
func (sc *scratch) seg(i int) int {
	for seg := range nsegs - 1 {
		if i < sc.segs[seg] {
			return seg
		}
	}
	return nsegs - 1
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
		if len(s.preLens) > 0 && s.prefixHits(sc, w) && !known {
			id, known = other, true
		}
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

// prefixHits records every prefix the word w, about to be appended,
// starts with, and reports whether there was one. Prefixes are whole
// runes, so a byte prefix of w equal to one ends on a rune boundary.
func (s *Set) prefixHits(sc *scratch, w []byte) bool {
	pos, found := len(sc.words), false
	for _, n := range s.preLens {
		if n > len(w) {
			break
		}
		if id, ok := s.prefixes[string(w[:n])]; ok {
			sc.hits = append(sc.hits, hit{pos: pos, prefix: id})
			found = true
		}
	}
	return found
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
