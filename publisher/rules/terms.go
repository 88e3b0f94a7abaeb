package rules

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// The terms of match.any, match.all and match.none:
//
//	missile defense       words, as a phrase, in the title, text or categories
//	"missile defense"     the same; quotes let a phrase start with "word:"
//	Iran*                 the last word is a prefix: Iran, Iranian, Iran's
//	title:Iran*           words in one field: title, author, category
//	url:/politics/        part of the canonical link, ignoring case
//	source:TASS           the source's name or URL, ignoring case
//	tag:defense           a tag of the source
//	re:/missiles?\b/      an RE2 regular expression over the title and text,
//	                      ignoring case unless it starts with (?-i)
//	title:re:/^Iran/      a regular expression on one field

// A field is the part of an item a term looks at.
type field uint8

const (
	inItem     field = iota // title, text and categories (a regular expression: title and text)
	inTitle                 // the title
	inAuthor                // each author
	inCategory              // each category
	inURL                   // the canonical link
	inSource                // the source's name and URL
	inTag                   // each tag of the source
)

var fieldNames = map[string]field{
	"title":    inTitle,
	"author":   inAuthor,
	"category": inCategory,
	"url":      inURL,
	"source":   inSource,
	"tag":      inTag,
}

// A term is one entry of any, all or none, parsed.
type term struct {
	field field
	// Word terms (in the item, title, author, category): the folded
	// words, the last one a prefix when prefix is set.
	words  []string
	prefix bool
	// Regular expression terms.
	re *regexp.Regexp
	// url, source and tag terms: the text to find (a url's lower-cased).
	lit string
}

// key identifies what the term matches, so that topics sharing a term
// share its work.
func (t *term) key() string {
	switch {
	case t.re != nil:
		return fmt.Sprintf("%d re %s", t.field, t.re.String())
	case t.field >= inURL:
		return fmt.Sprintf("%d lit %s", t.field, t.lit)
	}
	return fmt.Sprintf("%d %t %s", t.field, t.prefix, strings.Join(t.words, " "))
}

// CheckTerm reports what is wrong with a term of match.any, match.all or
// match.none, in words a curator can act on; nil when it is good. The
// config package calls it for every term, to report it at its line.
func CheckTerm(s string) error {
	_, err := parseTerm(s)
	return err
}

func parseTerm(s string) (term, error) {
	var t term
	body := strings.TrimSpace(s)
	if body == "" {
		return t, errors.New("empty term")
	}
	if name, rest, ok := fieldPrefix(body); ok {
		f, known := fieldNames[strings.ToLower(name)]
		if !known && !strings.EqualFold(name, "re") {
			return t, fmt.Errorf("unknown field %q in %q (use title:, author:, category:, url:, source:, tag: or re:/…/; "+
				"to match the words, put the term in double quotes)", name+":", s)
		}
		if known {
			t.field, body = f, strings.TrimSpace(rest)
			if body == "" {
				return t, fmt.Errorf("%q has nothing to match after %q", s, name+":")
			}
		}
	}
	if rest, ok := cutPrefixFold(body, "re:"); ok {
		re, err := parseRegexp(s, rest)
		if err != nil {
			return t, err
		}
		t.re = re
		return t, nil
	}
	if len(body) >= 2 && body[0] == '"' && body[len(body)-1] == '"' {
		body = body[1 : len(body)-1]
	} else if body[0] == '"' {
		return t, fmt.Errorf("%q opens a quote it does not close", s)
	}
	switch t.field {
	case inURL, inSource, inTag:
		if strings.Contains(body, "*") {
			return t, fmt.Errorf("%q: \"*\" is not a wildcard in %s terms; use %s:re:/…/", s, fieldName(t.field), fieldName(t.field))
		}
		t.lit = strings.TrimSpace(body)
		if t.lit == "" {
			return t, fmt.Errorf("%q has nothing to match", s)
		}
		if t.field == inURL {
			t.lit = strings.ToLower(t.lit)
		}
		return t, nil
	}
	if i := strings.IndexByte(body, '*'); i >= 0 {
		if i != len(body)-1 {
			return t, fmt.Errorf("%q: \"*\" may only end the last word", s)
		}
		r, _ := utf8.DecodeLastRuneInString(body[:i])
		if i == 0 || !inWord(r) {
			return t, fmt.Errorf("%q: \"*\" must follow the start of a word, as in Iran*", s)
		}
		t.prefix, body = true, body[:i]
	}
	t.words = split(body)
	if len(t.words) == 0 {
		return t, fmt.Errorf("must contain a word, got %q", s)
	}
	return t, nil
}

// fieldPrefix splits "name:rest" when name is ASCII letters only: the
// form of a field prefix, known or not.
func fieldPrefix(s string) (name, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case c == ':' && i > 0:
			return s[:i], s[i+1:], true
		default:
			return "", "", false
		}
	}
	return "", "", false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func fieldName(f field) string {
	for name, g := range fieldNames {
		if g == f {
			return name
		}
	}
	return ""
}

// parseRegexp compiles the "/pattern/" of the term s, ignoring case
// unless the pattern turns it off with (?-i).
func parseRegexp(s, slashed string) (*regexp.Regexp, error) {
	bad := func(why string) error { return fmt.Errorf("invalid regular expression %q: %s", s, why) }
	if !strings.HasPrefix(slashed, "/") {
		return nil, bad("write it between slashes, as in re:/missiles?/")
	}
	if len(slashed) < 2 || !strings.HasSuffix(slashed, "/") {
		return nil, bad(`missing the closing "/"`)
	}
	pattern := slashed[1 : len(slashed)-1]
	if pattern == "" {
		return nil, bad("empty")
	}
	re, err := regexp.Compile("(?i)" + pattern)
	if err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return nil, bad(string(se.Code))
		}
		return nil, bad(err.Error())
	}
	if re.MatchString("") {
		return nil, fmt.Errorf("regular expression %q matches empty text, so it would match every item", s)
	}
	return re, nil
}

// CheckLanguage reports what is wrong with an entry of match.languages: it
// must be an ISO 639 language code, such as en, ru or fa (a subtag such as
// en-US is refused: items are compared by their language alone).
func CheckLanguage(code string) error {
	_, err := languageCode(code)
	return err
}

// languageCode returns the code as items are compared with it: lower
// case, two letters when ISO 639-1 has them ("eng" is "en").
func languageCode(code string) (string, error) {
	c := strings.TrimSpace(code)
	if len(c) < 2 || len(c) > 3 || strings.IndexFunc(c, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') }) >= 0 {
		return "", fmt.Errorf("invalid language code %q (use an ISO 639 code such as en, ru or fa)", code)
	}
	b, err := language.ParseBase(c)
	if err != nil {
		return "", fmt.Errorf("unknown language code %q (use an ISO 639 code such as en, ru or fa)", code)
	}
	return b.String(), nil
}

// itemLanguage is the language of an item as compared with a topic's
// codes: the primary subtag of its tag, "" when it has none or it is not
// one.
func itemLanguage(tag string) string {
	primary, _, _ := strings.Cut(tag, "-")
	primary, _, _ = strings.Cut(primary, "_")
	if len(primary) == 2 {
		return strings.ToLower(primary)
	}
	c, err := languageCode(primary)
	if err != nil {
		return ""
	}
	return c
}
