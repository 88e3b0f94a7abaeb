package publisher

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/feedloom/feedloom"
)

// Paging follows RFC 5005's archived feeds (section 4), not its paged
// feeds: the archive pages of a topic are stable documents a subscriber
// can fetch once, which paged feeds ("next", "previous") do not promise.
//
// A store that keeps a filing log (ArchiveStore; store.Store does) numbers
// a topic's stories in the order they were first filed: 0, 1, 2, …
// Archive page k holds the stories numbered k*limit … (k+1)*limit-1, so a
// page depends only on what was filed, never on publish dates, which move
// when a member joins a story. The current feed holds the newest limit
// stories of the log (shown newest published first, as always) and links
// with rel="prev-archive" to the newest full page; each page links to
// its neighbours (prev-archive, next-archive) and to the current feed
// (rel="current") and carries <fh:archive/>. Every story numbered below
// count-limit is on a full page, every other one is in the current feed:
// a subscriber that follows prev-archive from the current feed sees every
// entry, and sees an entry twice only across the current feed and the
// newest archive (RFC 5005 section 4.2: duplicates are merged by id).
// The page after the newest full one is served too, while it fills (the
// newest full page's next-archive points at it; no page is served before
// page 0 is full), and is cached like the current feed; full pages are cached for a year, immutable.
//
// A store without a filing log gets no paging: the feed is its newest
// limit entries by date, as TopicEntries gives them.

// ArchiveStore is a Store that keeps each topic's filing log.
type ArchiveStore interface {
	// TopicCount is the number of stories ever filed under topic.
	TopicCount(ctx context.Context, topic string) (int, error)
	// TopicRange returns the stories numbered from … to-1 in topic's
	// filing log that still exist and are still in the topic, in log
	// order.
	TopicRange(ctx context.Context, topic string, from, to int) ([]feedloom.Entry, error)
}

// FH is the namespace of RFC 5005's elements (fh:archive).
const nsFH = "http://purl.org/syndication/history/1.0"

const (
	cacheImmutable = "public, max-age=31536000, immutable"
	minMaxAge      = 60 * time.Second
	maxMaxAge      = time.Hour
	defaultMaxAge  = 5 * time.Minute
)

// feedLinks are the links of one feed document in one format: its own
// URL, the archive links of RFC 5005 and the WebSub hub.
type feedLinks struct {
	Self        string
	Current     string // the current feed; also the feed's id in Atom
	PrevArchive string // the next older archive page; "" for none
	NextArchive string // the next newer archive page (archive pages only)
	Archive     bool   // an archive page: <fh:archive/>
	Hub         string // WebSub hub URL; "" for none
}

// archiveURL is the URL of archive page k of topic in format f.
func (s *Server) archiveURL(topic string, k int, f Format) string {
	return s.url(archivePath(topic, k, f))
}

// archiveExt is the extension of an archive page in format f: the feed's,
// or ".html" for the page a person reads (the topic page has none; an
// archive page has one so that a static host serves it as HTML).
func archiveExt(f Format) string {
	if f == HTML {
		return ".html"
	}
	return f.Ext()
}

// paging is what a topic's HTML page links to for paging: the older
// archive page, the newer one (or the topic page itself), and, on an
// archive page, its number.
type paging struct {
	Older string // "" when there is none
	Newer string // "" on the topic page
	Page  int    // the archive page's number; -1 on the topic page
}

func (p *pageView) paging(s *Server) paging {
	pg := paging{Page: p.page}
	if p.prev >= 0 {
		pg.Older = s.archiveURL(p.Topic.Name, p.prev, HTML)
	}
	switch {
	case p.next >= 0:
		pg.Newer = s.archiveURL(p.Topic.Name, p.next, HTML)
	case p.page >= 0:
		pg.Newer = p.PageURL
	}
	return pg
}

// A pageView is a topic view with what the feeds link to and how long
// caches keep it.
type pageView struct {
	*topicView
	page         int // -1: the current feed; else the archive page
	prev, next   int // archive pages linked; -1 for none
	cacheControl string
}

func (p *pageView) links(s *Server, f Format) *feedLinks {
	name := p.Topic.Name
	l := &feedLinks{Current: s.url("topics/" + name + f.Ext())}
	l.Self = l.Current
	if p.page >= 0 {
		l.Self = s.archiveURL(name, p.page, f)
		l.Archive = true
	} else {
		l.Hub = s.o.Hub // archive pages do not change: nothing to push
	}
	if p.prev >= 0 {
		l.PrevArchive = s.archiveURL(name, p.prev, f)
	}
	if p.next >= 0 {
		l.NextArchive = s.archiveURL(name, p.next, f)
	}
	return l
}

// pageOf reads page (-1: the current feed) of topic t. ok is false for an
// archive page that does not exist (yet).
func (s *Server) pageOf(ctx context.Context, t feedloom.Topic, page int) (p *pageView, ok bool, err error) {
	L := limit(t)
	as, paged := s.st.(ArchiveStore)
	if !paged {
		if page >= 0 {
			return nil, false, nil
		}
		entries, err := s.st.TopicEntries(ctx, t.Name, L)
		if err != nil {
			return nil, false, fmt.Errorf("publisher: entries of topic %q: %w", t.Name, err)
		}
		return &pageView{topicView: s.topicView(t, entries), page: -1, prev: -1, next: -1, cacheControl: maxAgeOf(entries)}, true, nil
	}
	n, err := as.TopicCount(ctx, t.Name)
	if err != nil {
		return nil, false, fmt.Errorf("publisher: size of topic %q: %w", t.Name, err)
	}
	full := n / L
	p = &pageView{page: page, prev: -1, next: -1}
	from, to := max(n-L, 0), n
	if page >= 0 {
		if page > full || page == full && full == 0 {
			return nil, false, nil // page 0 is linked once it is full
		}
		from, to = page*L, (page+1)*L
		p.prev, p.next = page-1, page+1
		if page == full {
			p.next = -1 // the page still filling
		}
	} else {
		p.prev = full - 1
	}
	entries, err := as.TopicRange(ctx, t.Name, from, to)
	if err != nil {
		return nil, false, fmt.Errorf("publisher: entries of topic %q: %w", t.Name, err)
	}
	p.topicView = s.topicView(t, entries)
	if page >= 0 && page < full {
		p.cacheControl = cacheImmutable
	} else {
		p.cacheControl = maxAgeOf(entries)
	}
	return p, true, nil
}

// maxAgeOf is the Cache-Control of a feed whose newest entries are
// entries: half the median gap between the arrivals of the 10 newest,
// within [1 min, 1 h], so that a busy topic is polled often and a quiet
// one is not. Arrival is when the first outlet's item was stored. With
// fewer than three arrivals known, 5 minutes.
func maxAgeOf(entries []feedloom.Entry) string {
	var arrivals []time.Time
	for _, e := range entries {
		var first time.Time
		for _, it := range e.Items {
			if !it.FirstSeen.IsZero() && (first.IsZero() || it.FirstSeen.Before(first)) {
				first = it.FirstSeen
			}
		}
		if first.IsZero() {
			first = e.Story.Published
		}
		if !first.IsZero() {
			arrivals = append(arrivals, first)
		}
	}
	age := defaultMaxAge
	slices.SortFunc(arrivals, func(a, b time.Time) int { return b.Compare(a) })
	if len(arrivals) > 10 {
		arrivals = arrivals[:10]
	}
	if len(arrivals) >= 3 {
		gaps := make([]time.Duration, 0, len(arrivals)-1)
		for i := 1; i < len(arrivals); i++ {
			gaps = append(gaps, arrivals[i-1].Sub(arrivals[i]))
		}
		slices.Sort(gaps)
		m := gaps[len(gaps)/2]
		if len(gaps)%2 == 0 {
			m = (gaps[len(gaps)/2-1] + m) / 2
		}
		age = min(max(m/2, minMaxAge), maxMaxAge)
	}
	return "public, max-age=" + strconv.Itoa(int(age/time.Second))
}

type archiveKey struct {
	topic  string
	format Format
	page   int
}

// archiveSlots caches archive pages, created as they are asked for.
type archiveSlots struct {
	mu sync.Mutex
	m  map[archiveKey]*slot
}

func (a *archiveSlots) get(k archiveKey) *slot {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[archiveKey]*slot{}
	}
	sl := a.m[k]
	if sl == nil {
		sl = newSlot()
		a.m[k] = sl
	}
	return sl
}

// drop forgets the slot of k if it never held a rendering.
func (a *archiveSlots) drop(k archiveKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if sl := a.m[k]; sl != nil && sl.cur.Load() == nil {
		delete(a.m, k)
	}
}

// atomLinks are l as Atom links (atom:link in RSS): self, hub, current
// and the archive links, in that order.
func (l *feedLinks) atomLinks(f Format) []atomLink {
	out := []atomLink{{Href: l.Self, Rel: "self", Type: f.mediaType()}}
	if l.Hub != "" {
		out = append(out, atomLink{Href: l.Hub, Rel: "hub"})
	}
	if l.Archive {
		out = append(out, atomLink{Href: l.Current, Rel: "current", Type: f.mediaType()})
	}
	if l.PrevArchive != "" {
		out = append(out, atomLink{Href: l.PrevArchive, Rel: "prev-archive", Type: f.mediaType()})
	}
	if l.NextArchive != "" {
		out = append(out, atomLink{Href: l.NextArchive, Rel: "next-archive", Type: f.mediaType()})
	}
	return out
}
