// Package discover finds the feeds a web page offers and checks that an
// address really serves a feed. It is what `feedloom add` and `feedloom
// import` use before a source goes into the config.
//
// Every request goes through the fetch.Client it is given, so the
// private-network guard, the size and time limits and the redirect rules
// of polling apply to discovery too: a page cannot lead feedloom to an
// address the config does not allow, through an advertised link, a
// fallback path or a redirect.
//
// # Finding feeds (Find)
//
//  1. The address is fetched. When it parses as a feed (RSS, Atom, JSON
//     Feed), it is the one candidate.
//  2. When it is an HTML page, every <link rel="alternate"> whose type is
//     an RSS, Atom, RDF or JSON Feed type is a candidate, in document
//     order, its href resolved against the page's <base href> or final URL.
//     Advertised links are not fetched: the caller checks the one chosen.
//  3. When the page advertises none, the usual paths (FallbackPaths) are
//     tried at the root of the page's host; each one that answers with a
//     feed is a candidate. Paths that answer with the same final URL or the
//     same bytes count once.
//
// Anything else is ErrNotFeed (a document that is neither) or
// ErrUnreachable (the fetch failed).
package discover

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/aggregator/normalize"
)

var (
	// ErrUnreachable wraps a failed fetch: a refused address, a network
	// error, a timeout, a status other than 2xx.
	ErrUnreachable = errors.New("unreachable")
	// ErrNotFeed is returned for a document that is not a feed (and, for
	// Find, not a page that leads to one).
	ErrNotFeed = errors.New("not a feed")
)

// FallbackPaths are tried, in this order, on a page that advertises no
// feed.
var FallbackPaths = []string{"/feed", "/rss.xml", "/atom.xml", "/index.xml", "/feed.xml", "/rss", "/feed.json"}

// feedTypes are the <link type> values that announce a feed.
var feedTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/rdf+xml":   true,
	"application/feed+json": true,
	"application/json":      true, // what JSON Feed 1.0 said to use
}

// Feed is a fetched and parsed feed.
type Feed struct {
	// URL is the address to subscribe to: the final URL when every
	// redirect on the way was permanent (301, 308), else the one asked
	// for.
	URL     string
	Title   string // the feed's own title, cleaned
	SiteURL string // the feed's link to its site, when it gives one
	Items   int
	// Newest is the most recently published item; zero when the feed has
	// none.
	Newest feedloom.Item
}

// Candidate is a feed a page offers.
type Candidate struct {
	URL   string
	Title string // from the link's title attribute, or the feed's own title
	Type  string // the link's type; "" for a fallback path or the page itself
	// Feed is set when the candidate was fetched while finding it (the
	// address itself, a fallback path); nil for an advertised link.
	Feed *Feed
}

// Result is what Find found.
type Result struct {
	// Page is the final URL of the address fetched.
	Page string
	// IsFeed reports that the address itself is a feed; Candidates then
	// holds only it.
	IsFeed bool
	// Fallback reports that the candidates come from FallbackPaths, the
	// page advertising none.
	Fallback   bool
	Candidates []Candidate
}

// Find returns the feeds at or advertised by the address raw (see the
// package documentation). With no candidate at all the error wraps
// ErrNotFeed.
func Find(ctx context.Context, c *fetch.Client, raw string) (*Result, error) {
	res, err := c.Fetch(ctx, fetch.Request{URL: raw})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	feed, perr := parse(raw, res)
	if perr == nil {
		return &Result{Page: res.URL, IsFeed: true, Candidates: []Candidate{{URL: feed.URL, Title: feed.Title, Feed: feed}}}, nil
	}
	if !isHTML(res) {
		return nil, fmt.Errorf("%s: %w: %w", raw, ErrNotFeed, perr)
	}
	out := &Result{Page: res.URL}
	out.Candidates, err = advertised(res.Body, res.URL)
	if err != nil {
		return nil, err
	}
	if len(out.Candidates) > 0 {
		return out, nil
	}
	out.Fallback = true
	out.Candidates = probe(ctx, c, res.URL)
	if len(out.Candidates) == 0 {
		return nil, fmt.Errorf("%s: %w: the page advertises no feed (no <link rel=\"alternate\"> with a feed type) and none of %s answers with one",
			raw, ErrNotFeed, strings.Join(FallbackPaths, ", "))
	}
	return out, nil
}

// Check fetches raw and parses it as a feed. Its errors wrap
// ErrUnreachable or ErrNotFeed.
func Check(ctx context.Context, c *fetch.Client, raw string) (*Feed, error) {
	res, err := c.Fetch(ctx, fetch.Request{URL: raw})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	f, err := parse(raw, res)
	if err != nil {
		if isHTML(res) {
			return nil, fmt.Errorf("%w: %s is an HTML page (run feedloom add on it to find its feeds)", ErrNotFeed, res.URL)
		}
		return nil, fmt.Errorf("%w: %w", ErrNotFeed, err)
	}
	return f, nil
}

// parse reads the body of res, fetched for asked, as a feed.
func parse(asked string, res *fetch.Response) (*Feed, error) {
	gf, err := normalize.Parse(res.Body, res.ContentType)
	if err != nil {
		return nil, err
	}
	return summarize(gf, subscribeURL(asked, res)), nil
}

// subscribeURL follows permanent redirects only: a temporary one may go
// away, and the address asked for is the one to keep.
func subscribeURL(asked string, res *fetch.Response) string {
	for _, r := range res.Redirects {
		if r.Status != http.StatusMovedPermanently && r.Status != http.StatusPermanentRedirect {
			return asked
		}
	}
	return res.URL
}

func summarize(gf *gofeed.Feed, u string) *Feed {
	items := normalize.Items(gf, feedloom.Source{URL: u}, u, time.Now())
	f := &Feed{URL: u, Title: normalize.CleanText(gf.Title), Items: len(items)}
	if link := strings.TrimSpace(gf.Link); link != "" {
		if l, err := url.Parse(link); err == nil && (l.Scheme == "http" || l.Scheme == "https") {
			f.SiteURL = link
		}
	}
	for _, it := range items {
		if f.Newest.ID == "" || it.Published.After(f.Newest.Published) {
			f.Newest = it
		}
	}
	return f
}

func isHTML(res *fetch.Response) bool {
	if t, _, err := mime.ParseMediaType(res.ContentType); err == nil && (t == "text/html" || t == "application/xhtml+xml") {
		return true
	}
	return strings.HasPrefix(http.DetectContentType(res.Body), "text/html")
}

// advertised lists the feeds the page body (at pageURL) links to with
// rel="alternate", in document order, each once.
func advertised(body []byte, pageURL string) ([]Candidate, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("discover: page URL: %w", err)
	}
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: cannot read the page: %w", pageURL, ErrNotFeed, err)
	}
	var links []*html.Node
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Base:
			if href, ok := attr(n, "href"); ok {
				if b, err := base.Parse(strings.TrimSpace(href)); err == nil {
					base = b
				}
			}
		case atom.Link:
			links = append(links, n)
		}
	}
	var out []Candidate
	for _, n := range links {
		rel, _ := attr(n, "rel")
		typ, _ := attr(n, "type")
		href, _ := attr(n, "href")
		typ = strings.ToLower(strings.TrimSpace(typ))
		if t, _, err := mime.ParseMediaType(typ); err == nil {
			typ = t
		}
		if !slices.Contains(strings.Fields(strings.ToLower(rel)), "alternate") || !feedTypes[typ] || strings.TrimSpace(href) == "" {
			continue
		}
		u, err := base.Parse(strings.TrimSpace(href))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		u.Fragment = ""
		if slices.ContainsFunc(out, func(c Candidate) bool { return c.URL == u.String() }) {
			continue
		}
		title, _ := attr(n, "title")
		out = append(out, Candidate{URL: u.String(), Title: normalize.CleanText(title), Type: typ})
	}
	return out, nil
}

func attr(n *html.Node, name string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, name) {
			return a.Val, true
		}
	}
	return "", false
}

// probe tries FallbackPaths at the root of pageURL's host, one after the
// other (they are on one host), and returns those that are feeds.
func probe(ctx context.Context, c *fetch.Client, pageURL string) []Candidate {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil
	}
	var out []Candidate
	seen := map[string]bool{}
	for _, p := range FallbackPaths {
		if ctx.Err() != nil {
			break
		}
		u := (&url.URL{Scheme: base.Scheme, Host: base.Host, Path: p}).String()
		res, err := c.Fetch(ctx, fetch.Request{URL: u})
		if err != nil {
			continue
		}
		f, err := parse(u, res)
		if err != nil {
			continue
		}
		sum := sha256.Sum256(res.Body)
		if seen[res.URL] || seen[string(sum[:])] {
			continue
		}
		seen[res.URL], seen[string(sum[:])] = true, true
		out = append(out, Candidate{URL: f.URL, Title: cmp.Or(f.Title, p), Feed: f})
	}
	return out
}

// Known recognizes feeds already configured: two addresses are the same
// feed when their canonical URLs (normalize.CanonicalURL: case of scheme
// and host, default port, fragment, tracking parameters) are equal.
// Addresses that have no canonical form (file:) are compared as written.
type Known struct {
	m map[string]feedloom.Source
}

// NewKnown indexes srcs.
func NewKnown(srcs []feedloom.Source) *Known {
	k := &Known{m: make(map[string]feedloom.Source, len(srcs))}
	for _, s := range srcs {
		k.Add(s)
	}
	return k
}

// Add records s; a source already known under its address stays.
func (k *Known) Add(s feedloom.Source) {
	if _, ok := k.m[sameFeed(s.URL)]; !ok {
		k.m[sameFeed(s.URL)] = s
	}
}

// Lookup returns the known source that is the same feed as u.
func (k *Known) Lookup(u string) (feedloom.Source, bool) {
	s, ok := k.m[sameFeed(u)]
	return s, ok
}

func sameFeed(u string) string {
	return cmp.Or(normalize.CanonicalURL(u, nil), u)
}
