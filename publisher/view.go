package publisher

import (
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/feedloom/feedloom"
)

// zeroTime marks "no date": no entries, so no Last-Modified.
var zeroTime time.Time

// epoch stands in for a date where a format requires one and there is
// none: the Atom <updated> of an empty topic. It is valid and never
// changes, so an empty topic renders to the same bytes every time.
var epoch = time.Unix(0, 0).UTC()

// A topicView is a topic ready to render: everything every format needs,
// decided once, so that the formats cannot disagree about an entry.
type topicView struct {
	Topic       feedloom.Topic
	Title       string
	Description string
	PageURL     string    // the HTML page
	Newest      time.Time // Published of the newest entry; zero when none
	Modified    time.Time // latest Updated of any entry; zero when none
	Entries     []entryView
	feedURLs    map[Format]string
}

// FeedURL is the URL of the topic in format f.
func (v *topicView) FeedURL(f Format) string { return v.feedURLs[f] }

// An entryView is one story as every format shows it.
type entryView struct {
	ID         string // the story's EntryID, a urn:uuid
	Title      string // plain text, never empty
	Link       string // the shown item's original URL
	Summary    string // sanitized HTML
	Content    string // sanitized HTML
	Text       string // plain text, when there is no HTML at all
	Authors    []string
	Categories []string
	Enclosures []feedloom.Enclosure
	Published  time.Time // UTC, whole seconds, never zero
	Updated    time.Time // UTC, whole seconds, never before Published
	Outlets    []outlet  // the shown item's outlet first
	Rights     string    // the shown item's source's rights statement; "" when none
}

// An outlet is one member of a story: who carried it and where.
type outlet struct {
	Name    string
	URL     string // the item's page
	FeedURL string // the origin feed; "" unless http or https
}

// Related lists the outlets after the shown one: the other places the
// story was carried.
func (e *entryView) Related() []outlet {
	if len(e.Outlets) < 2 {
		return nil
	}
	return e.Outlets[1:]
}

// AlsoReportedBy is an HTML paragraph crediting the outlets after the
// shown one, or "" when the story has one outlet. Its links point where
// feeds said, so they carry the rel the sanitizer gives every link.
func (e *entryView) AlsoReportedBy() string {
	rel := e.Related()
	if len(rel) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<p class="feedloom-also">Also reported by: `)
	for i, o := range rel {
		if i > 0 {
			b.WriteString(", ")
		}
		if o.URL != "" {
			fmt.Fprintf(&b, `<a href="%s" rel="nofollow noopener noreferrer">%s</a>`, html.EscapeString(o.URL), html.EscapeString(o.Name))
		} else {
			b.WriteString(html.EscapeString(o.Name))
		}
	}
	b.WriteString(".</p>")
	return b.String()
}

// url is the absolute URL of path under the base URL.
func (s *Server) url(path string) string { return s.o.BaseURL + path }

// topicView orders, trims and flattens entries of topic t. Entries are
// sorted here again (newest Story.Published first, then story ID) so that
// the bytes do not depend on how a store breaks ties.
func (s *Server) topicView(t feedloom.Topic, entries []feedloom.Entry) *topicView {
	es := make([]feedloom.Entry, 0, len(entries))
	for _, e := range entries {
		if len(e.Items) > 0 {
			es = append(es, e)
		}
	}
	slices.SortStableFunc(es, func(a, b feedloom.Entry) int {
		if c := b.Story.Published.Compare(a.Story.Published); c != 0 {
			return c
		}
		return strings.Compare(a.Story.ID, b.Story.ID)
	})
	if n := limit(t); len(es) > n {
		es = es[:n]
	}
	v := &topicView{
		Topic:       t,
		Title:       firstNonEmpty(t.Title, t.Name),
		Description: t.Description,
		PageURL:     s.url("topics/" + t.Name),
		feedURLs:    make(map[Format]string, len(formats)),
	}
	for _, f := range formats {
		v.feedURLs[f] = s.url("topics/" + t.Name + f.Ext())
	}
	for i := range es {
		ev := newEntryView(&es[i])
		if v.Newest.IsZero() {
			v.Newest = ev.Published
		}
		if ev.Updated.After(v.Modified) {
			v.Modified = ev.Updated
		}
		v.Entries = append(v.Entries, ev)
	}
	return v
}

func newEntryView(e *feedloom.Entry) entryView {
	it := e.Shown()
	published := firstDate(e.Story.Published, it.Published, it.FirstSeen)
	updated := firstDate(e.Story.Updated, it.Updated)
	if updated.Before(published) {
		updated = published
	}
	ev := entryView{
		ID:         e.Story.EntryID(),
		Title:      entryTitle(it),
		Link:       it.URL,
		Summary:    strings.TrimSpace(it.Summary),
		Content:    strings.TrimSpace(it.Content),
		Categories: compact(it.Categories),
		Enclosures: it.Enclosures,
		Published:  published,
		Updated:    updated,
	}
	ev.Rights = strings.TrimSpace(it.Rights)
	if ev.Summary == "" && ev.Content == "" && it.Republish != feedloom.RepublishTitle {
		ev.Text = strings.TrimSpace(it.Text)
	}
	seen := map[string]bool{}
	for i := range e.Items {
		m := &e.Items[i]
		if seen[m.Source] {
			continue
		}
		seen[m.Source] = true
		o := outlet{Name: outletName(m), URL: m.URL}
		if isHTTP(m.Source) {
			o.FeedURL = m.Source
		}
		ev.Outlets = append(ev.Outlets, o)
	}
	ev.Authors = compact(it.Authors)
	if len(ev.Authors) == 0 {
		ev.Authors = []string{ev.Outlets[0].Name}
	}
	return ev
}

// entryTitle is the item's title, or for an untitled item the start of
// its text, so that no format shows an empty title.
func entryTitle(it *feedloom.Item) string {
	if t := strings.TrimSpace(it.Title); t != "" {
		return t
	}
	t := strings.TrimSpace(it.Text)
	if t == "" {
		t = htmlText(firstNonEmpty(it.Summary, it.Content))
	}
	if t == "" {
		return "Untitled"
	}
	return truncateWords(t, 80)
}

// outletName is the display name of the outlet that carried it.
func outletName(it *feedloom.Item) string {
	if n := strings.TrimSpace(it.SourceName); n != "" {
		return n
	}
	for _, raw := range []string{it.URL, it.Source} {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			return strings.TrimPrefix(u.Hostname(), "www.")
		}
	}
	return "unknown outlet"
}

// truncateWords cuts s to at most n runes, at a space where there is one,
// and marks the cut with an ellipsis.
func truncateWords(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := s[:len(string([]rune(s)[:n]))]
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// firstDate is the first non-zero of ts in UTC, whole seconds; epoch when
// all are zero.
func firstDate(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t.UTC().Truncate(time.Second)
		}
	}
	return epoch
}

// compact trims ss and drops empty and repeated values, keeping order.
func compact(ss []string) []string {
	var out []string
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// isHTTP reports whether raw is an http or https URL with a host: the
// only kind worth giving subscribers (a file:// source is not).
func isHTTP(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
