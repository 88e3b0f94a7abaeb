package rules

import (
	"unicode"
	"unicode/utf8"
)

// Words are what rules match. A word is a run of letters, digits and
// combining marks, compared after fold; everything else (spaces,
// punctuation, apostrophes, hyphens, zero-width non-joiners) separates
// words. So "Iran" does not match "Iranian" but does match "Iran's", and
// "missile defense" matches "Missile-Defense" and "missile  defense,".

// A scanner yields the folded words of a text, one at a time, into a
// buffer it reuses: reading a text allocates nothing.
type scanner struct {
	s   string
	i   int
	buf []byte
}

func (sc *scanner) reset(s string) { sc.s, sc.i = s, 0 }

// next returns the next word, valid until the following call, or false at
// the end of the text.
func (sc *scanner) next() ([]byte, bool) {
	s, i := sc.s, sc.i
	// Skip to the start of a word.
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if asciiWord[c] {
				break
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if inWord(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		sc.i = i
		return nil, false
	}
	w := sc.buf[:0]
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if !asciiWord[c] {
				break
			}
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			w = append(w, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !inWord(r) {
			break
		}
		i += n
		if ignored(r) {
			continue
		}
		w = utf8.AppendRune(w, fold(r))
	}
	sc.i, sc.buf = i, w
	return w, true
}

// asciiWord marks the ASCII bytes that are part of words.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return t
}()

func inWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || ignored(r)
}

// ignored reports whether r is dropped from the middle of a word: the soft
// hyphen, the Arabic tatweel that stretches a word, and the optional
// Arabic vowel marks, none of which change what the word is.
func ignored(r rune) bool {
	return r == '\u00ad' || r == '\u0640' || '\u064b' <= r && r <= '\u065f' || r == '\u0670'
}

// fold maps r to the form words are compared in: Unicode simple case
// folding (the equivalence strings.EqualFold uses, so "ÉTÉ" is "été" and
// "ΣΟΦΟΣ" is "σοφος"), plus the variants Persian text is written with
// interchangeably: Arabic yeh and kaf, and Persian and Arabic-Indic
// digits.
func fold(r rune) rune {
	switch {
	case r == 'ي' || r == 'ى':
		return 'ی'
	case r == 'ك':
		return 'ک'
	case '۰' <= r && r <= '۹':
		return '0' + r - '۰'
	case '٠' <= r && r <= '٩':
		return '0' + r - '٠'
	}
	return unicode.ToLower(unicode.ToUpper(r))
}

// split returns the folded words of s.
func split(s string) []string {
	var out []string
	sc := scanner{s: s}
	for {
		w, ok := sc.next()
		if !ok {
			return out
		}
		out = append(out, string(w))
	}
}
