// Package htmlcheck checks, by tokenizing it with golang.org/x/net/html,
// that HTML feedloom publishes carries nothing a feed could use to attack
// a reader: it is the oracle of the hostile-content tests (threat cases 27
// and 28) and of the fuzz targets, shared so that every output format is
// judged by one rule.
//
// The rule, for HTML that came from a feed (Fragment): no script, style,
// iframe, object, embed, form or form control, base, meta, link, svg, math,
// template, noscript or frame element; no event handler (on*), style,
// srcset, action, formaction or background attribute; every href, src,
// cite, poster and data value an absolute http(s) URL with a host, or a
// mailto: URL; every link with rel holding nofollow, noopener and
// noreferrer; no comment or doctype; every element closed, in order.
//
// A whole page (Page) may also have the document elements and, inside
// head, meta and link; links within the site need no rel.
package htmlcheck

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// forbidden elements never appear in HTML from a feed.
var forbidden = map[string]bool{
	"script": true, "style": true, "iframe": true, "object": true,
	"embed": true, "form": true, "base": true, "meta": true, "svg": true,
	"math": true, "link": true, "input": true, "button": true,
	"textarea": true, "select": true, "option": true, "noscript": true,
	"applet": true, "param": true, "frame": true, "frameset": true,
	"template": true, "body": true, "html": true, "head": true,
}

// pageElements are allowed in a page but not in a fragment; meta and link
// only inside head.
var pageElements = map[string]bool{"html": true, "head": true, "body": true, "meta": true, "link": true, "title": true}

// void elements have no end tag.
var void = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true,
	"hr": true, "img": true, "input": true, "link": true, "meta": true,
	"source": true, "track": true, "wbr": true,
}

// Fragment returns the first way s breaks the rule for HTML from a feed,
// or nil.
func Fragment(s string) error { return check(s, nil) }

// Page returns the first way the HTML page s breaks the rule, or nil. site
// is the page's base URL: links under it are the site's own and need no
// rel.
func Page(s, site string) error {
	u, err := url.Parse(site)
	if err != nil {
		return err
	}
	return check(s, u)
}

func check(s string, site *url.URL) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("invalid UTF-8")
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var open []string
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				return z.Err()
			}
			if len(open) > 0 {
				return fmt.Errorf("unclosed elements %v", open)
			}
			return nil
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if err := allowed(tok.Data, open, site); err != nil {
				return err
			}
			if err := checkAttrs(tok, site); err != nil {
				return err
			}
			if tt == html.StartTagToken && !void[tok.Data] {
				open = append(open, tok.Data)
			}
		case html.EndTagToken:
			tok := z.Token()
			if err := allowed(tok.Data, open, site); err != nil {
				return err
			}
			if void[tok.Data] {
				continue
			}
			if len(open) == 0 || open[len(open)-1] != tok.Data {
				return fmt.Errorf("</%s> closes %v", tok.Data, open)
			}
			open = open[:len(open)-1]
		case html.CommentToken:
			return fmt.Errorf("comment %q", z.Raw())
		case html.DoctypeToken:
			if site == nil {
				return fmt.Errorf("doctype %q", z.Raw())
			}
		}
	}
}

// allowed reports an element that may not appear where it is.
func allowed(name string, open []string, site *url.URL) error {
	if !forbidden[name] {
		return nil
	}
	if site != nil && pageElements[name] {
		if (name == "meta" || name == "link") && (len(open) == 0 || open[len(open)-1] != "head") {
			return fmt.Errorf("<%s> outside head", name)
		}
		return nil
	}
	return fmt.Errorf("forbidden element <%s>", name)
}

func checkAttrs(tok html.Token, site *url.URL) error {
	href, rel := "", ""
	for _, a := range tok.Attr {
		key := strings.ToLower(a.Key)
		switch {
		case strings.HasPrefix(key, "on"):
			return fmt.Errorf("<%s> has event handler %s=%q", tok.Data, a.Key, a.Val)
		case key == "style", key == "srcset", key == "action", key == "formaction", key == "background":
			return fmt.Errorf("<%s> has %s=%q", tok.Data, a.Key, a.Val)
		case key == "href", key == "src", key == "cite", key == "poster", key == "data":
			if err := URL(a.Val); err != nil {
				return fmt.Errorf("<%s %s>: %w", tok.Data, a.Key, err)
			}
			if key == "href" {
				href = a.Val
			}
		case key == "rel":
			rel = a.Val
		}
	}
	if tok.Data != "a" || href == "" || (site != nil && strings.HasPrefix(href, site.String())) {
		return nil
	}
	for _, want := range []string{"nofollow", "noopener", "noreferrer"} {
		if !strings.Contains(" "+rel+" ", " "+want+" ") {
			return fmt.Errorf("<a href=%q> with rel=%q lacks %s", href, rel, want)
		}
	}
	return nil
}

// URL returns what is wrong with v as a URL feedloom publishes: it must be
// an absolute http(s) URL with a host, or a mailto: URL.
func URL(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return fmt.Errorf("%q has no host", v)
		}
	case "mailto":
	default:
		return fmt.Errorf("%q is not http, https or mailto", v)
	}
	return nil
}
