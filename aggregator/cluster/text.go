package cluster

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A token is one word of a text, reduced to the hash of its lowercase
// form. Nothing else of the word is kept: the signature never holds text.
type token struct {
	hash   uint64
	pos    int  // index of the word in the text, stop words included
	stop   bool // a function word: left out of shingles and anchors
	anchor bool // a number or a name: see isAnchor
	number bool
}

// scan splits s into words and calls emit for each, in order. A word is a
// run of letters, digits and combining marks; a capital after a small
// letter starts a new word, since "TokyoRussian" is two words whose
// markup was lost (and "McDonald" splits the same way in every copy). Digits joined by one of
// ".,:/-–" stay one word ("1,200" becomes "1200", "2-1" stays "2-1",
// "10:30", "2019-05-11"), so a score or an amount is one anchor. A clitic
// after an apostrophe ("Russia's", "don't") is dropped, so straight and
// curly apostrophes give the same words.
func scan(s string, emit func(token)) {
	pos := 0
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		first := classify(r)
		if first&cWord == 0 {
			i += size
			continue
		}
		h := uint64(fnvOffset)
		runes, letters, upper := 0, 0, 0
		digit, prevDigit, prevLower := false, false, false
		for i < len(s) {
			r, size = rune(s[i]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[i:])
			}
			c := classify(r)
			if c&cWord != 0 {
				if prevLower && c&cUpper != 0 {
					break // "TokyoRussian": two words glued where markup was dropped
				}
				prevLower, prevDigit = c&cLower != 0, c&cDigit != 0
				digit = digit || prevDigit
				if c&cLetter != 0 {
					letters++
					if c&cUpper != 0 {
						upper++
						r = toLower(r)
					}
				}
				h = fnvRune(h, r)
				runes++
				i += size
				continue
			}
			if prevDigit && isNumberSep(r) {
				if n, nsize := utf8.DecodeRuneInString(s[i+size:]); classify(n)&cDigit != 0 {
					switch r {
					case ',':
					case '–', '—', '‒':
						h = fnvRune(h, '-')
					default:
						h = fnvRune(h, r)
					}
					h = fnvRune(h, n)
					i += size + nsize
					runes++
					continue
				}
			}
			break
		}
		i = skipClitic(s, i)
		t := token{hash: mix(h), pos: pos, number: digit}
		acronym := letters >= 2 && upper == letters
		class := wordClasses[t.hash]
		t.stop = !digit && !acronym && class == stopWord
		t.anchor = !t.stop && (digit || (first&cUpper != 0 && runes >= 2) || class == ordinal)
		emit(t)
		pos++
	}
}

// Classes of runes.
const (
	cWord   = 1 << iota // letter, digit or combining mark
	cLetter             //
	cUpper              // upper or title case
	cLower              //
	cDigit              //
)

var asciiClasses = func() (t [utf8.RuneSelf]uint8) {
	for r := range t {
		t[r] = slowClassify(rune(r))
	}
	return t
}()

func classify(r rune) uint8 {
	if r < utf8.RuneSelf {
		return asciiClasses[r]
	}
	return slowClassify(r)
}

func slowClassify(r rune) uint8 {
	switch {
	case unicode.IsLetter(r):
		switch {
		case unicode.IsUpper(r) || unicode.IsTitle(r):
			return cWord | cLetter | cUpper
		case unicode.IsLower(r):
			return cWord | cLetter | cLower
		}
		return cWord | cLetter
	case unicode.IsDigit(r):
		return cWord | cDigit
	case unicode.Is(unicode.Mn, r):
		return cWord
	}
	return 0
}

func toLower(r rune) rune {
	if r < utf8.RuneSelf {
		return r + 'a' - 'A'
	}
	return unicode.ToLower(r)
}

func isWordRune(r rune) bool { return classify(r)&cWord != 0 }

func isNumberSep(r rune) bool {
	switch r {
	case '.', ',', ':', '/', '-', '–', '—', '‒':
		return true
	}
	return false
}

// skipClitic returns the index after an apostrophe and clitic ("'s",
// "’ll") that starts at i, or i.
func skipClitic(s string, i int) int {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r != '\'' && r != '’' && r != 'ʼ' {
		return i
	}
	j := i + size
	k := j
	for k < len(s) && k-j < 3 {
		c := s[k]
		if c < 'A' || c > 'z' || (c > 'Z' && c < 'a') {
			break
		}
		k++
	}
	if next, _ := utf8.DecodeRuneInString(s[k:]); k < len(s) && isWordRune(next) {
		return i
	}
	switch strings.ToLower(s[j:k]) {
	case "s", "t", "d", "ll", "re", "ve", "m":
		return k
	}
	return i
}

// Datelines open wire copy ("MOSCOW, May 11. /TASS/.", "LONDON (Reuters)
// -", "WASHINGTON —"); one outlet keeps it and another drops it, so it is
// cut before the words are counted, or every position after it would be
// off by its length.
var datelines = []*regexp.Regexp{
	// "MOSCOW, May 11. /TASS/." and "/TASS/."
	regexp.MustCompile(`^\s*(?:\p{Lu}[\p{L}\p{N} ,.'’-]{0,60}?)?\s*/\s*\p{Lu}[\p{L} .&-]{0,20}/\s*[.:–—-]?\s+`),
	// "LONDON, May 11 (Reuters) -", "Paris (AFP) —", "(AP) -"
	regexp.MustCompile(`^\s*(?:\p{Lu}[\p{L}\p{N} ,.'’-]{0,60}?)?\s*\(\s*\p{Lu}[\p{L} .&-]{0,20}\)\s*[–—-]+\s+`),
	// "WASHINGTON —", "NEW YORK, May 11 --"
	regexp.MustCompile(`^\s*\p{Lu}{2,}(?:[ .'’-]+\p{Lu}{2,})*(?:,[\p{L}\p{N} .]{0,30})?\s+[–—-]+\s+`),
}

// colonDateline is "MOSCOW: ". Only the first paragraph may open with
// it: later, "LAVROV: " is a speaker in a transcript.
var colonDateline = regexp.MustCompile(`^\s*\p{Lu}{2,}(?:[ .'’-]+\p{Lu}{2,})*:\s+`)

// stripDateline removes a wire dateline from the start of text, and
// whatever precedes it when it opens the second or third paragraph (a
// byline, an editor's introduction).
func stripDateline(text string) string {
	start := 0
	for n := range 3 {
		line := text[start:]
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		if len(line) > 160 {
			line = line[:160]
		}
		res := datelines
		if n == 0 {
			res = append(res[:len(res):len(res)], colonDateline)
		}
		for _, re := range res {
			if loc := re.FindStringIndex(line); loc != nil && loc[1] < len(line) {
				return text[start+loc[1]:]
			}
		}
		next := strings.IndexByte(text[start:], '\n')
		if next < 0 {
			break
		}
		start += next + 1
	}
	return text
}

// stopWords are English function words and the commonest sentence
// openers. They are left out of shingles, so "said on Saturday" and "said
// Saturday" shingle alike, and out of anchors, so "The" opening a sentence
// is not taken for a name.
var stopWords = `a about above after again against all also although am among an and another any
are as at be because been before being below between both but by can could did do does doing down during
each either even ever every few for from further had has have having he her here hers him his how however
i if in into is it its itself just least less many me meanwhile more most much must my neither no nor not
now of off on once only or other mr mrs ms dr our ours out over own per said same says she should since so some still
such than that the their theirs them then there these they this those though through thus to too under
until up upon very via was we were what when where whether which while who whom whose why will with
within without would yet you your according`

// ordinals are anchors although written in lower case: "first-quarter"
// and "second-quarter" results are different news.
var ordinals = `first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth`

const (
	stopWord = 1 + iota
	ordinal
)

// wordClasses maps the hash of a stop word or an ordinal to its class.
var wordClasses = func() map[uint64]uint8 {
	m := make(map[uint64]uint8)
	add := func(words string, class uint8) {
		for _, w := range strings.Fields(words) {
			h := uint64(fnvOffset)
			for _, r := range w {
				h = fnvRune(h, unicode.ToLower(r))
			}
			m[mix(h)] = class
		}
	}
	add(stopWords, stopWord)
	add(ordinals, ordinal)
	return m
}()
