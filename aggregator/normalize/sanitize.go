package normalize

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxHTMLBytes caps a sanitized summary or content.
const maxHTMLBytes = 512 << 10

// allowedElements are kept with no attributes (other than those in
// allowedAttrs). Everything else is removed: script, style, iframe,
// object, embed, form and its controls, base, meta, link, svg, math,
// and any element not named here. The content of removed elements stays,
// except for script, style, iframe, object, noscript and the like, whose
// content bluemonday drops too.
var allowedElements = []string{
	"p", "br", "hr", "div", "span",
	"h1", "h2", "h3", "h4", "h5", "h6",
	"a", "img", "figure", "figcaption", "picture",
	"blockquote", "q", "cite", "abbr", "time",
	"ul", "ol", "li", "dl", "dt", "dd",
	"em", "strong", "b", "i", "u", "s", "del", "ins", "mark",
	"small", "sub", "sup",
	"code", "pre", "kbd", "samp", "var",
	"table", "caption", "colgroup", "col", "thead", "tbody", "tfoot",
	"tr", "th", "td",
	"article", "section", "aside", "header", "footer",
	"details", "summary",
}

// allowedAttrs maps an attribute to the elements that may carry it and the
// pattern its value must match (nil: any value). URL attributes (href, src,
// cite) are also checked by the policy's URL rules: absolute http, https or
// mailto only. No event handler, style, class or id attribute is allowed
// anywhere, and no srcset: prepareHTML resolves only single-URL attributes,
// and each srcset candidate would need resolving and checking.
var allowedAttrs = []struct {
	name     string
	elements []string
	value    *regexp.Regexp
}{
	{"href", []string{"a"}, nil},
	{"src", []string{"img"}, nil},
	{"cite", []string{"blockquote", "q", "del", "ins"}, nil},
	// Only "noopener": bluemonday adds nofollow and noreferrer itself;
	// rewriteURLs sets this value on every link.
	{"rel", []string{"a"}, regexp.MustCompile(`^noopener$`)},
	{"title", []string{"a", "img", "abbr"}, nil},
	{"alt", []string{"img"}, nil},
	{"width", []string{"img", "col", "td", "th"}, number},
	{"height", []string{"img"}, number},
	{"colspan", []string{"td", "th", "col", "colgroup"}, number},
	{"rowspan", []string{"td", "th"}, number},
	{"start", []string{"ol"}, number},
	{"value", []string{"li"}, number},
	{"datetime", []string{"time", "del", "ins"}, regexp.MustCompile(`^[0-9T:+\-. Z]{1,40}$`)},
}

var number = regexp.MustCompile(`^[0-9]{1,5}$`)

// policy is built once and only read afterwards: bluemonday policies are
// safe for concurrent use once built.
var policy = newPolicy()

func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(allowedElements...)
	for _, a := range allowedAttrs {
		b := p.AllowAttrs(a.name)
		if a.value != nil {
			b = b.Matching(a.value)
		}
		b.OnElements(a.elements...)
	}
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	// Removing a tag such as <font> or <center> must not glue the words on
	// either side together.
	p.AddSpaceWhenStrippingTag(true)
	return p
}

// Sanitize is the one sanitizer: every piece of HTML feedloom stores or
// republishes goes through it, and nothing is done to the HTML after it.
//
// The fragment is first parsed as a browser would (HTML5 algorithm, so the
// result is balanced) and its relative href, src and cite values resolved
// against base (the item's link, or the feed URL; nil leaves them relative,
// and relative URLs are then removed). Then the allowlist policy keeps only simple formatting,
// links, images, lists, quotes, code and tables; URLs must be absolute
// http, https or mailto; every link gets rel="noopener nofollow noreferrer";
// srcset, style and event-handler attributes are dropped.
//
// The input is cut to 512 KiB on a rune boundary before sanitizing (the
// parse closes any element the cut left open), and cut further if the
// sanitized result is still larger. HTML nested deeper than 512 elements
// gives "". The result is valid UTF-8 without
// control characters other than tab and newline, and Sanitize(Sanitize(x),
// base) == Sanitize(x, base).
func Sanitize(s string, base *url.URL) string {
	s = cleanControls(s)
	if strings.TrimSpace(s) == "" {
		return ""
	}
	s = truncateBytes(s, maxHTMLBytes)
	for {
		prepared, ok := prepareHTML(s, base)
		if !ok {
			// Fail closed: never the raw input.
			return ""
		}
		out := strings.TrimSpace(policy.Sanitize(prepared))
		if len(out) <= maxHTMLBytes {
			return out
		}
		// Markup the sanitizer adds (rel, resolved URLs, escaping) made
		// the result too large: shrink the input in proportion. Each
		// round strictly shortens s, so this ends.
		n := int(int64(len(s)) * maxHTMLBytes / int64(len(out)))
		if n >= len(s) {
			n = len(s) - 1
		}
		s = truncateBytes(s, n)
	}
}

// prepareHTML parses an HTML fragment the way a browser parses the body of
// a page and renders it back, with its URL attributes rewritten against
// base: an href, src or cite that does not resolve to an absolute http(s)
// URL (or is not a mailto: URL) is removed, and every <a> with an href gets
// rel="noopener" in place of any rel it had.
//
// Parsing with the HTML5 algorithm closes what a cut or a sloppy feed left
// open and fixes misnesting, which bluemonday does not do. ok is false when
// the fragment does not parse (x/net/html refuses nesting deeper than 512
// elements) or does not render.
func prepareHTML(s string, base *url.URL) (out string, ok bool) {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, n := range nodes {
		for d := range n.Descendants() {
			if d.Type == html.ElementNode {
				rewriteAttrs(d, base)
			}
		}
		if n.Type == html.ElementNode {
			rewriteAttrs(n, base)
		}
		if err := html.Render(&b, n); err != nil {
			return "", false
		}
	}
	return b.String(), true
}

// rewriteAttrs applies prepareHTML's URL rules to one element.
func rewriteAttrs(n *html.Node, base *url.URL) {
	hasHref := false
	attrs := n.Attr[:0]
	for _, a := range n.Attr {
		if a.Namespace == "" {
			switch a.Key {
			case "href", "src", "cite":
				a.Val = resolveAttrURL(a.Val, base)
				if a.Val == "" {
					continue
				}
				if a.Key == "href" {
					hasHref = true
				}
			case "rel":
				if n.DataAtom == atom.A {
					continue
				}
			}
		}
		attrs = append(attrs, a)
	}
	n.Attr = attrs
	if n.DataAtom == atom.A && hasHref {
		n.Attr = append(n.Attr, html.Attribute{Key: "rel", Val: "noopener"})
	}
}

// resolveAttrURL returns the absolute http(s) URL that v resolves to against
// base (query and fragment kept), v itself when it is a mailto: URL, and ""
// otherwise.
func resolveAttrURL(v string, base *url.URL) string {
	if u := resolveHTTP(v, base); u != nil {
		return u.String()
	}
	t := trimURL(v)
	if len(t) > len("mailto:") && strings.EqualFold(t[:len("mailto:")], "mailto:") {
		if u, err := url.Parse(t); err == nil && u.Opaque != "" {
			return t
		}
	}
	return ""
}
