package publisher

import (
	"encoding/xml"
	"html"
	"strconv"
	"strings"

	"github.com/gorilla/feeds"
)

// RSS 2.0 on top of gorilla's RssFeed and RssItem. What the wrappers fix:
// the atom:link self link (and its namespace), guids marked
// isPermaLink="false" (ours are urn:uuid), dc:creator for authors (RSS
// <author> wants an e-mail address, ours are names; one dc:creator listing
// them all, since gofeed, feedparser and others read only one), one <category> per
// category, <source url="…"> naming the outlet and its feed, enclosures
// without a known length (gorilla drops them), and no empty <link>.

const (
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsAtom    = "http://www.w3.org/2005/Atom"
)

// rssDoc replaces gorilla's RssFeedXml, whose namespaces are fixed.
type rssDoc struct {
	XMLName   xml.Name    `xml:"rss"`
	Version   string      `xml:"version,attr"`
	NSContent string      `xml:"xmlns:content,attr"`
	NSDC      string      `xml:"xmlns:dc,attr"`
	NSAtom    string      `xml:"xmlns:atom,attr"`
	NSFH      string      `xml:"xmlns:fh,attr,omitempty"`
	Channel   *rssChannel `xml:"channel"`
}

type rssChannel struct {
	*feeds.RssFeed
	Links   []rssAtomLink `xml:"atom:link"` // self, hub, and RFC 5005's archive links
	Archive *struct{}     `xml:"fh:archive"`
	Items   []*rssItem    `xml:"item"` // replaces RssFeed.Items
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

type rssItem struct {
	*feeds.RssItem
	Link       string     `xml:"link,omitempty"` // replaces RssItem.Link, which is never omitted
	Creator    string     `xml:"dc:creator,omitempty"`
	Categories []string   `xml:"category"` // replaces RssItem.Category, a single string
	Source     *rssSource `xml:"source"`   // replaces RssItem.Source, which has no url

	Rights string `xml:"dc:rights,omitempty"` // the source's rights statement
}

type rssSource struct {
	URL  string `xml:"url,attr"`
	Name string `xml:",chardata"`
}

func newRSS(v *topicView, l *feedLinks) *rssDoc {
	ch := (&feeds.Rss{Feed: gorillaFeed(v)}).RssFeed()
	gItems := ch.Items
	ch.Items = nil
	ch.ManagingEditor = "" // never set: a name-only author would give " (Name)"
	ch.Generator = generator
	c := &rssChannel{RssFeed: ch}
	for _, al := range l.atomLinks(RSS) {
		c.Links = append(c.Links, rssAtomLink{Href: al.Href, Rel: al.Rel, Type: al.Type})
	}
	doc := &rssDoc{Version: "2.0", NSContent: nsContent, NSDC: nsDC, NSAtom: nsAtom, Channel: c}
	if l.Archive {
		c.Archive = &struct{}{}
		doc.NSFH = nsFH
	}
	for i, gi := range gItems {
		e := &v.Entries[i]
		it := &rssItem{RssItem: gi, Link: gi.Link, Creator: strings.Join(e.Authors, ", "), Categories: e.Categories, Rights: e.Rights}
		gi.Link = ""
		gi.Author = ""
		gi.Category = ""
		gi.Source = ""
		if gi.Description == "" {
			// Readers without content:encoded show only the description.
			gi.Description = firstNonEmpty(e.Content, html.EscapeString(e.Text))
		}
		// RSS has one <source> per item: the other outlets are credited
		// in a line of the description every reader shows.
		gi.Description += e.AlsoReportedBy()
		if o := e.Outlets[0]; o.FeedURL != "" {
			it.Source = &rssSource{URL: o.FeedURL, Name: o.Name}
		}
		// RSS allows one enclosure per item: the first. Its length and
		// type are required; 0 is the convention for "unknown".
		gi.Enclosure = nil
		if len(e.Enclosures) > 0 {
			enc := e.Enclosures[0]
			gi.Enclosure = &feeds.RssEnclosure{
				Url:    enc.URL,
				Length: strconv.FormatInt(max(enc.Length, 0), 10),
				Type:   firstNonEmpty(enc.Type, "application/octet-stream"),
			}
		}
		c.Items = append(c.Items, it)
	}
	return doc
}
