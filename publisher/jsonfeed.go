package publisher

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gorilla/feeds"
)

// JSON Feed 1.1 on top of gorilla's JSONFeed and JSONItem. What the
// wrappers fix: "items" is always present ([] when empty; gorilla omits
// it); feed_url is set; every item has content_html or, when there is no
// HTML at all, content_text; summary is plain text as the spec asks (the
// stored summary is HTML); only "authors", never the deprecated "author";
// attachments from enclosures, with "size_in_bytes" (gorilla writes
// "size"); and no external_url for the origin, which
// the spec reserves for a page the item is about. The outlets go into a
// "_feedloom" object instead, per the spec's rule for extensions. Paging
// (archive.go): next_url is the next older archive page, "hubs" the
// WebSub hub; an archive page has a feed-level "_feedloom" object with
// "archive": true and its "current" and "next_archive" links.

type jsonFeed struct {
	*feeds.JSONFeed
	NextURL string      `json:"next_url,omitempty"` // replaces JSONFeed.NextUrl
	Hubs    []*jsonHub  `json:"hubs,omitempty"`     // replaces JSONFeed.Hubs
	Items   []*jsonItem `json:"items"`              // replaces JSONFeed.Items, which is omitempty
	// Feedloom marks an archive page, which JSON Feed cannot say: RFC
	// 5005's fh:archive and its current and next-archive links.
	Feedloom *jsonFeedExtension `json:"_feedloom,omitempty"`
}

type jsonFeedExtension struct {
	About       string `json:"about"`
	Archive     bool   `json:"archive"`
	Current     string `json:"current"`
	NextArchive string `json:"next_archive,omitempty"`
}

type jsonHub struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type jsonItem struct {
	*feeds.JSONItem
	// Attachments replaces JSONItem.Attachments, whose size is spelled
	// "size"; the spec (and its JSON Schema) says "size_in_bytes".
	Attachments []jsonAttachment `json:"attachments,omitempty"`
	Feedloom    *jsonExtension   `json:"_feedloom,omitempty"`
}

type jsonAttachment struct {
	URL      string `json:"url"`
	MIMEType string `json:"mime_type"`
	Size     int64  `json:"size_in_bytes,omitempty"`
}

// jsonExtension is the "_feedloom" object of an item: every outlet that
// carried the story, the shown one first.
type jsonExtension struct {
	About   string       `json:"about"`
	Sources []jsonOutlet `json:"sources"`
	Rights  string       `json:"rights,omitempty"` // the shown item's source's rights statement
}

type jsonOutlet struct {
	Name    string `json:"name"`
	URL     string `json:"url,omitempty"`
	FeedURL string `json:"feed_url,omitempty"`
}

// extensionAbout documents the "_feedloom" object, as the JSON Feed spec
// suggests for extensions.
const extensionAbout = "https://github.com/feedloom/feedloom/blob/main/publisher/doc.go"

func newJSONFeed(v *topicView, l *feedLinks) *jsonFeed {
	jf := (&feeds.JSON{Feed: gorillaFeed(v)}).JSONFeed()
	gItems := jf.Items
	jf.Items = nil
	jf.FeedUrl = l.Self
	jf.Author, jf.Authors = nil, nil
	jf.NextUrl, jf.Hubs = "", nil
	// next_url is the next older items: the older archive page.
	f := &jsonFeed{JSONFeed: jf, NextURL: l.PrevArchive, Items: []*jsonItem{}}
	if l.Hub != "" {
		f.Hubs = []*jsonHub{{Type: "WebSub", URL: l.Hub}}
	}
	if l.Archive {
		f.Feedloom = &jsonFeedExtension{About: extensionAbout, Archive: true, Current: l.Current, NextArchive: l.NextArchive}
	}
	for i, gi := range gItems {
		e := &v.Entries[i]
		gi.ExternalUrl = ""
		gi.Author = nil
		gi.Image = ""
		gi.ContentHTML = firstNonEmpty(e.Content, e.Summary)
		if gi.ContentHTML == "" {
			gi.ContentText = firstNonEmpty(e.Text, e.Title)
		}
		gi.Summary = htmlText(e.Summary)
		gi.Authors = nil
		for _, a := range e.Authors {
			gi.Authors = append(gi.Authors, &feeds.JSONAuthor{Name: a})
		}
		gi.Tags = e.Categories
		gi.Attachments = nil
		it := &jsonItem{JSONItem: gi, Feedloom: &jsonExtension{About: extensionAbout, Rights: e.Rights}}
		for _, enc := range e.Enclosures {
			it.Attachments = append(it.Attachments, jsonAttachment{
				URL:      enc.URL,
				MIMEType: firstNonEmpty(enc.Type, "application/octet-stream"),
				Size:     max(enc.Length, 0),
			})
			if gi.Image == "" && strings.HasPrefix(enc.Type, "image/") {
				gi.Image = enc.URL
			}
		}
		for _, o := range e.Outlets {
			it.Feedloom.Sources = append(it.Feedloom.Sources, jsonOutlet(o))
		}
		f.Items = append(f.Items, it)
	}
	return f
}

// marshalJSON writes v indented, without escaping <, > and & (the HTML in
// content_html stays readable; the bytes are valid JSON either way).
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		return nil, fmt.Errorf("publisher: encode json: %w", err)
	}
	return b.Bytes(), nil
}
