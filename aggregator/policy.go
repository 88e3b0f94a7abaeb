package aggregator

import (
	"cmp"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/normalize"
)

// SummaryLength is the length, in runes of text, of a summary cut from an
// item's content when its source republishes summaries and sets no
// max_length.
const SummaryLength = 500

// ApplyPolicy cuts what an item of src republishes to the source's policy
// (src.Republish, src.MaxLength) and carries the source's rights into it.
// Text, used for matching and clustering, is left whole.
//
//   - full: Summary and Content as the source gave them;
//   - summary (the default): the Summary, or else the Content, as whole
//     paragraphs up to MaxLength or SummaryLength runes (the first
//     paragraph cut there when it alone is longer); no Content;
//   - title: no Summary and no Content (title and link only).
//
// MaxLength then caps Summary and Content on a rune boundary, with "…"
// where text was cut. Markup stays balanced: the cut HTML is sanitized
// again. An item without HTML but with text publishes the text, so it is
// cut the same way into Summary.
func ApplyPolicy(it *feedloom.Item, src feedloom.Source) {
	it.Rights, it.Republish = src.Rights, ""
	policy := src.Republish
	if policy == "" {
		policy = feedloom.RepublishSummary
	}
	if policy == feedloom.RepublishTitle {
		it.Summary, it.Content, it.Republish = "", "", feedloom.RepublishTitle
		return
	}
	if it.Summary == "" && it.Content == "" && it.Text != "" && (policy == feedloom.RepublishSummary || src.MaxLength > 0) {
		var b strings.Builder
		for l := range strings.SplitSeq(it.Text, "\n") {
			b.WriteString("<p>" + html.EscapeString(l) + "</p>")
		}
		it.Summary = b.String()
	}
	if policy == feedloom.RepublishSummary {
		// A feed's summary can be its whole text (RSS descriptions often
		// are): it is cut the same way as content.
		it.Summary = CutHTML(cmp.Or(it.Summary, it.Content), cmp.Or(src.MaxLength, SummaryLength), true)
		it.Content = ""
	}
	if src.MaxLength > 0 {
		it.Summary = CutHTML(it.Summary, src.MaxLength, false)
		it.Content = CutHTML(it.Content, src.MaxLength, false)
	}
}

// blocks are the elements whose end closes a paragraph for CutHTML.
var blocks = map[string]bool{"p": true, "div": true, "li": true, "ul": true, "ol": true, "blockquote": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "pre": true, "table": true, "figure": true, "section": true}

// CutHTML returns the sanitized HTML fragment s with at most limit runes
// of text. With paragraphs, it ends after the last block element that
// fits (or cuts the first one when none does). A cut inside text falls
// back to the last space when there is one nearby, and ends with "…",
// counted in limit, so that cutting again changes nothing.
// Elements the cut leaves open are closed by the sanitizer.
func CutHTML(s string, limit int, paragraphs bool) string {
	if s == "" || limit <= 0 {
		return s
	}
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var out strings.Builder
	n, lastBlock := 0, -1
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return s // all of it fits
		}
		raw := string(z.Raw())
		switch tt {
		case xhtml.TextToken:
			text := html.UnescapeString(raw)
			r := utf8.RuneCountInString(text)
			if n+r <= limit {
				n += r
				out.WriteString(raw)
				continue
			}
			if paragraphs && lastBlock > 0 {
				return normalize.Sanitize(out.String()[:lastBlock], nil)
			}
			if limit-n > 1 { // the ellipsis counts
				out.WriteString(html.EscapeString(cutText(text, limit-n-1)) + "…")
			}
			return normalize.Sanitize(out.String(), nil)
		case xhtml.EndTagToken:
			out.WriteString(raw)
			name, _ := z.TagName()
			if blocks[string(name)] && n > 0 {
				lastBlock = out.Len()
			}
		default:
			out.WriteString(raw)
		}
	}
}

// cutText returns the first n runes of s, shortened to the last space when
// the cut falls inside a word of which at most 20 runes are kept.
func cutText(s string, n int) string {
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	cut := s[:i]
	next, _ := utf8.DecodeRuneInString(s[i:])
	if sp := strings.LastIndexFunc(cut, unicode.IsSpace); sp > 0 && i < len(s) && !unicode.IsSpace(next) && utf8.RuneCountInString(cut[sp:]) <= 21 {
		cut = cut[:sp]
	}
	return strings.TrimRightFunc(cut, unicode.IsSpace)
}
