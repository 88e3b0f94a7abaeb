// Package fulltext takes the article out of a web page, for sources whose
// feed carries only a summary of each entry.
//
// [Extract] works on a page already fetched (the aggregator fetches it
// with the same guarded client as the feeds): it decodes the page with the
// charset its header or markup declares, finds the article with a port of
// Mozilla's Readability (or, given a CSS selector, takes the first element
// that matches), and passes the result through [normalize.Sanitize] with
// relative URLs resolved against the page's URL. A page that is not HTML,
// or whose article is empty or shorter than [MinTextRunes] of text, gives
// an error wrapping [ErrNotHTML] or [ErrNoArticle]; the caller keeps the
// feed's summary then.
package fulltext

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"codeberg.org/readeck/go-readability/v2"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"github.com/feedloom/feedloom/aggregator/normalize"
)

// Accept is the Accept header to fetch a page with.
const Accept = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"

// MinTextRunes is the least plain text an extracted article must have:
// less is a teaser, a cookie wall or a page readability misread, and the
// feed's summary is worth as much.
const MinTextRunes = 200

// maxElements bounds the elements of a page given to readability, whose
// scoring passes walk the document several times.
const maxElements = 100_000

var (
	// ErrNotHTML is returned for a page whose media type is not HTML.
	ErrNotHTML = errors.New("fulltext: page is not HTML")
	// ErrNoArticle is returned when no article is found: readability
	// finds none, the selector matches nothing, or what is found has less
	// than MinTextRunes of text.
	ErrNoArticle = errors.New("fulltext: no article found")
)

// CheckSelector reports whether sel is a CSS selector Extract accepts.
func CheckSelector(sel string) error {
	if strings.TrimSpace(sel) == "" {
		return errors.New("empty CSS selector")
	}
	if _, err := cascadia.Compile(sel); err != nil {
		return fmt.Errorf("invalid CSS selector %q: %v", sel, err)
	}
	return nil
}

// Extract returns the article in page, sanitized HTML. contentType is the
// response's Content-Type (empty: sniffed), pageURL the page's final URL
// (after redirects), and selector a CSS selector whose first match is the
// article, or "" to let readability find it.
func Extract(page []byte, contentType string, pageURL *url.URL, selector string) (string, error) {
	if !isHTML(page, contentType) {
		return "", fmt.Errorf("%w (%s)", ErrNotHTML, cmp.Or(contentType, "no content type"))
	}
	r, err := charset.NewReader(bytes.NewReader(page), contentType)
	if err != nil {
		return "", fmt.Errorf("fulltext: page charset: %w", err)
	}
	doc, err := html.Parse(r)
	if err != nil {
		return "", fmt.Errorf("fulltext: parse page: %w", err)
	}
	var raw string
	if selector != "" {
		raw, err = selected(doc, selector)
	} else {
		raw, err = readable(doc, pageURL)
	}
	if err != nil {
		return "", err
	}
	out := normalize.Sanitize(raw, pageURL)
	if n := utf8.RuneCountInString(normalize.PlainText(out)); n < MinTextRunes {
		return "", fmt.Errorf("%w (%d characters of text, want at least %d)", ErrNoArticle, n, MinTextRunes)
	}
	return out, nil
}

// selected renders the first element of doc that sel matches.
func selected(doc *html.Node, sel string) (string, error) {
	s, err := cascadia.Compile(sel)
	if err != nil {
		return "", fmt.Errorf("fulltext: invalid CSS selector %q: %v", sel, err)
	}
	n := s.MatchFirst(doc)
	if n == nil {
		return "", fmt.Errorf("%w: the selector %q matches nothing", ErrNoArticle, sel)
	}
	var b strings.Builder
	if err := html.Render(&b, n); err != nil {
		return "", fmt.Errorf("fulltext: render: %w", err)
	}
	return b.String(), nil
}

// readable runs readability on doc (which it changes).
func readable(doc *html.Node, pageURL *url.URL) (string, error) {
	p := readability.NewParser()
	p.MaxElemsToParse = maxElements
	p.DisableJSONLD = true // only the body is used: metadata is the feed's
	a, err := p.ParseAndMutate(doc, pageURL)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoArticle, err)
	}
	if a.Node == nil {
		return "", ErrNoArticle
	}
	var b strings.Builder
	if err := a.RenderHTML(&b); err != nil {
		return "", fmt.Errorf("fulltext: render: %w", err)
	}
	return b.String(), nil
}

// isHTML reports whether a page is HTML by its declared media type or,
// when none is declared, by its first bytes.
func isHTML(page []byte, contentType string) bool {
	if strings.TrimSpace(contentType) == "" {
		contentType = http.DetectContentType(page)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "text/html" || mt == "application/xhtml+xml"
}
