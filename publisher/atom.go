package publisher

import (
	"strconv"
	"time"

	"github.com/gorilla/feeds"
)

// Atom 1.0 on top of gorilla's AtomFeed and AtomEntry. What the wrappers
// fix: the feed <id> is the feed's own URL (gorilla uses the HTML link and
// ignores Feed.Id); <updated> is the newest entry's, or the Unix epoch for
// a topic without entries (gorilla leaves it empty, which is invalid); a
// self and an alternate link; every entry has an author (the item's, else
// the outlet); <published>; one <category> per category; a <source> for
// the origin feed; rel="related" links to the other outlets of the story;
// enclosure links from every enclosure.

type atomFeed struct {
	*feeds.AtomFeed
	NSFH      string        `xml:"xmlns:fh,attr,omitempty"`
	Links     []atomLink    `xml:"link"` // replaces AtomFeed.Link, a single link
	Archive   *struct{}     `xml:"fh:archive"`
	Generator atomGenerator `xml:"generator"`
	Entries   []*atomEntry  `xml:"entry"` // replaces AtomFeed.Entries
}

type atomGenerator struct {
	Name string `xml:",chardata"`
}

type atomEntry struct {
	*feeds.AtomEntry
	Links      []atomLink         `xml:"link"`   // replaces AtomEntry.Links
	Authors    []feeds.AtomAuthor `xml:"author"` // replaces AtomEntry.Author, a single author
	Categories []atomCategory     `xml:"category"`
	Source     *atomSource        `xml:"source"` // replaces AtomEntry.Source, a string
}

type atomLink struct {
	Href   string `xml:"href,attr"`
	Rel    string `xml:"rel,attr,omitempty"`
	Type   string `xml:"type,attr,omitempty"`
	Title  string `xml:"title,attr,omitempty"`
	Length string `xml:"length,attr,omitempty"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// atomSource is the origin feed as far as the item tells: its URL (as id
// and self link) and the outlet's name.
type atomSource struct {
	ID    string     `xml:"id"`
	Title string     `xml:"title"`
	Links []atomLink `xml:"link"`
}

func newAtom(v *topicView, l *feedLinks) *atomFeed {
	af := (&feeds.Atom{Feed: gorillaFeed(v)}).AtomFeed()
	gEntries := af.Entries
	af.Entries = nil
	af.Link = nil
	af.Id = l.Current                                       // archive pages are documents of the same feed
	af.Updated = firstDate(v.Modified).Format(time.RFC3339) // epoch when empty
	f := &atomFeed{
		AtomFeed:  af,
		Links:     append(l.atomLinks(Atom), atomLink{Href: v.PageURL, Rel: "alternate", Type: HTML.mediaType()}),
		Generator: atomGenerator{Name: generator},
	}
	if l.Archive {
		f.NSFH, f.Archive = nsFH, &struct{}{}
	}
	for i, ge := range gEntries {
		e := &v.Entries[i]
		ge.Links = nil
		ge.Author = nil
		ge.Category = ""
		ge.Source = ""
		ge.Published = e.Published.Format(time.RFC3339)
		ge.Rights = e.Rights
		if ge.Content == nil && e.Link == "" {
			// An entry without an alternate link must have content.
			switch {
			case ge.Summary != nil:
				ge.Content = &feeds.AtomContent{Content: ge.Summary.Content, Type: ge.Summary.Type}
				ge.Summary = nil
			default:
				ge.Content = &feeds.AtomContent{Content: firstNonEmpty(e.Text, e.Title), Type: "text"}
			}
		} else if ge.Summary == nil && ge.Content == nil && e.Text != "" {
			ge.Summary = &feeds.AtomSummary{Content: e.Text, Type: "text"}
		}
		ae := &atomEntry{AtomEntry: ge}
		if e.Link != "" {
			ae.Links = append(ae.Links, atomLink{Href: e.Link, Rel: "alternate", Type: HTML.mediaType()})
		}
		for _, o := range e.Related() {
			if o.URL != "" && o.URL != e.Link {
				ae.Links = append(ae.Links, atomLink{Href: o.URL, Rel: "related", Type: HTML.mediaType(), Title: o.Name})
			}
		}
		for _, enc := range e.Enclosures {
			l := atomLink{Href: enc.URL, Rel: "enclosure", Type: enc.Type}
			if enc.Length > 0 {
				l.Length = strconv.FormatInt(enc.Length, 10)
			}
			ae.Links = append(ae.Links, l)
		}
		for _, a := range e.Authors {
			ae.Authors = append(ae.Authors, feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: a}})
		}
		for _, c := range e.Categories {
			ae.Categories = append(ae.Categories, atomCategory{Term: c})
		}
		if o := e.Outlets[0]; o.FeedURL != "" {
			ae.Source = &atomSource{
				ID:    o.FeedURL,
				Title: o.Name,
				Links: []atomLink{{Href: o.FeedURL, Rel: "self"}},
			}
		}
		f.Entries = append(f.Entries, ae)
	}
	return f
}
