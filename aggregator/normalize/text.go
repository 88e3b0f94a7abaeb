package normalize

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// BreaksLine reports whether element a ends a line of plain text (see
// PlainText): the cleanup of boilerplate lines uses the same notion of a
// line.
func BreaksLine(a atom.Atom) bool { return blockElements[a] }

// blockElements end a line of plain text: PlainText starts a new line at
// their start and end tags, so that each paragraph, list item or heading is
// one line.
var blockElements = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true,
	atom.Blockquote: true, atom.Br: true, atom.Caption: true,
	atom.Dd: true, atom.Details: true, atom.Div: true, atom.Dl: true,
	atom.Dt: true, atom.Figcaption: true, atom.Figure: true,
	atom.Footer: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true,
	atom.Hr: true, atom.Li: true, atom.Main: true, atom.Nav: true,
	atom.Ol: true, atom.P: true, atom.Pre: true, atom.Section: true,
	atom.Summary: true, atom.Table: true, atom.Tbody: true,
	atom.Tfoot: true, atom.Thead: true, atom.Tr: true, atom.Ul: true,
}

// cellElements separate words without ending the line.
var cellElements = map[atom.Atom]bool{atom.Td: true, atom.Th: true}

// hiddenElements hold text that is not part of what a reader sees: their
// content is dropped. The tokenizer reads each of them as raw text, so their
// content arrives as a single text token.
var hiddenElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true,
	atom.Noembed: true, atom.Noframes: true, atom.Noscript: true,
	atom.Xmp: true, atom.Title: true,
}

// CleanText turns a title, an author name or a category into one line of
// plain text: HTML entities decoded, tags dropped (with the content of
// script, style and the like), whitespace runs collapsed to one space,
// control characters removed, and invalid UTF-8 replaced by U+FFFD. The
// input is read as HTML, because feeds put escaped markup in titles
// ("&lt;b&gt;" arrives from gofeed as "<b>", and "&amp;amp;" as "&amp;").
func CleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsAny(s, "<&") {
		return collapseSpace(s)
	}
	var b strings.Builder
	walkText(s, func(text string, brk bool) {
		if brk {
			b.WriteByte(' ')
		}
		b.WriteString(text)
	})
	return collapseSpace(b.String())
}

// PlainText returns the text a reader sees in an HTML fragment, one line per
// block (paragraph, heading, list item, table row, line break): entities
// decoded, tags dropped, hidden content (script, style, …) dropped,
// whitespace collapsed within each line, empty lines dropped, lines joined
// with "\n". The output is valid UTF-8 without control characters.
func PlainText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var lines []string
	var cur strings.Builder
	flush := func() {
		if l := collapseSpace(cur.String()); l != "" {
			lines = append(lines, l)
		}
		cur.Reset()
	}
	walkText(s, func(text string, brk bool) {
		if brk {
			flush()
		}
		cur.WriteString(text)
	})
	flush()
	return strings.Join(lines, "\n")
}

// walkText tokenizes the HTML fragment s and calls emit with each piece of
// visible text (entities decoded). brk is true when a line break comes
// before the text: a block element boundary, or a newline inside <pre>. A
// table cell boundary is emitted as a space.
func walkText(s string, emit func(text string, brk bool)) {
	z := html.NewTokenizer(strings.NewReader(s))
	var hidden atom.Atom // set while inside a hidden element
	pre := 0
	brk := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return
		case html.TextToken:
			if hidden != 0 {
				continue
			}
			text := string(z.Text())
			if pre > 0 && strings.Contains(text, "\n") {
				for i, l := range strings.Split(text, "\n") {
					emit(l, brk || i > 0)
					brk = false
				}
				continue
			}
			emit(text, brk)
			brk = false
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case hidden != 0:
				if tt == html.EndTagToken && a == hidden {
					hidden = 0
				}
			case hiddenElements[a]:
				if tt == html.StartTagToken {
					hidden = a
				}
			case blockElements[a]:
				brk = true
				if a == atom.Pre && tt == html.StartTagToken {
					pre++
				} else if a == atom.Pre && tt == html.EndTagToken && pre > 0 {
					pre--
				}
			case cellElements[a]:
				emit(" ", false)
			}
		}
	}
}

// collapseSpace removes control and invisible formatting characters (see
// dropRune), collapses runs of white space into one space and trims the
// ends.
func collapseSpace(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if dropRune(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// dropRune reports whether r is removed from every stored string: C0 and C1
// controls (white space is handled by the callers), the bidirectional
// embedding, override and isolate controls (used to disguise text), the byte
// order mark and the noncharacters U+FFFE and U+FFFF. Joiners and the
// left-to-right/right-to-left marks are kept: scripts and emoji need them.
func dropRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0xFEFF, r == 0xFFFE, r == 0xFFFF:
		return true
	}
	return false
}

// cleanControls makes s valid UTF-8 and removes the runes dropRune reports,
// keeping tab, newline and carriage return.
func cleanControls(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	clean := true
	for _, r := range s {
		if r != '\t' && r != '\n' && r != '\r' && dropRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r != '\t' && r != '\n' && r != '\r' && dropRune(r) {
			return -1
		}
		return r
	}, s)
}

// truncateRunes returns s cut to at most n runes.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// truncateBytes returns s cut to at most n bytes, on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// htmlish matches what makes a string HTML rather than plain text: a tag, a
// comment or a character reference.
var htmlish = regexp.MustCompile(`</?[a-zA-Z][^>]*>|<!--|&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});`)

// blankLines splits plain text into paragraphs.
var blankLines = regexp.MustCompile(`\n[ \t]*\n\s*`)

// textToHTML returns s unchanged when it looks like HTML (it has a tag, a
// comment or a character reference), and plainToHTML(s) otherwise. RSS does
// not say whether a description is HTML; in practice it nearly always is.
func textToHTML(s string) string {
	if htmlish.MatchString(s) {
		return s
	}
	return plainToHTML(s)
}

// plainToHTML escapes plain text into HTML, one <p> per paragraph
// (paragraphs are separated by blank lines).
func plainToHTML(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, p := range blankLines.Split(s, -1) {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(html.EscapeString(p))
		b.WriteString("</p>")
	}
	return b.String()
}
