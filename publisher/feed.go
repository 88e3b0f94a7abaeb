package publisher

import (
	"bytes"
	"encoding/xml"
	"fmt"

	"github.com/gorilla/feeds"
)

// The feeds are built in two steps. gorilla/feeds turns a feeds.Feed into
// the typed structs of each format (RssFeed, AtomFeed, JSONFeed); our own
// types embed those structs and add or replace what gorilla gets wrong or
// cannot express (see rss.go, atom.go, jsonfeed.go). Only the scalar
// fields come from gorilla: title, link, summary, content, id and dates.
// Lists (authors, categories, enclosures, outlets) are always ours.

// generator names the software in the feeds. No version: a deploy must not
// change the bytes, and so the ETags, of unchanged topics.
const generator = "feedloom"

// gorillaFeed is the format-neutral feed of v.
func gorillaFeed(v *topicView) *feeds.Feed {
	f := &feeds.Feed{
		Title:       v.Title,
		Link:        &feeds.Link{Href: v.PageURL},
		Description: firstNonEmpty(v.Description, v.Title),
		Created:     v.Newest,   // RSS pubDate; zero (omitted) when empty
		Updated:     v.Modified, // RSS lastBuildDate; never the build time
	}
	for i := range v.Entries {
		e := &v.Entries[i]
		it := &feeds.Item{
			Id:          e.ID, // always set: gorilla invents random ids otherwise
			IsPermaLink: "false",
			Title:       e.Title,
			Description: e.Summary,
			Content:     e.Content,
			Created:     e.Published,
			Updated:     e.Updated,
		}
		if e.Link != "" {
			it.Link = &feeds.Link{Href: e.Link}
		}
		f.Items = append(f.Items, it)
	}
	return f
}

// renderFeed renders v in feed format f, with links l (self, archives,
// hub).
func renderFeed(v *topicView, f Format, l *feedLinks) ([]byte, error) {
	switch f {
	case RSS:
		return marshalXML(newRSS(v, l))
	case Atom:
		return marshalXML(newAtom(v, l))
	case JSON:
		return marshalJSON(newJSONFeed(v, l))
	}
	return nil, fmt.Errorf("publisher: %v is not a feed format", f)
}

// marshalXML writes doc as an indented XML document with a declaration.
func marshalXML(doc any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	e := xml.NewEncoder(&b)
	e.Indent("", "  ")
	if err := e.Encode(doc); err != nil {
		return nil, fmt.Errorf("publisher: encode xml: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}
