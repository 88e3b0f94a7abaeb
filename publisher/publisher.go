package publisher

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/feedloom/feedloom"
)

// Store is what the publisher reads from the store: the entries of a topic
// and a cheap version number that says when they changed. It is declared
// here, at the consumer, so that publisher never sees the write side.
type Store interface {
	// TopicEntries returns up to limit entries of topic, newest first by
	// Story.Published, each with its member items, the shown one first.
	TopicEntries(ctx context.Context, topic string, limit int) ([]feedloom.Entry, error)
	// TopicVersion increases whenever the topic's entries change; 0 when
	// the topic was never filled.
	TopicVersion(ctx context.Context, topic string) (uint64, error)
}

// ErrUnknownTopic is returned by Render when the topic is not configured.
// The HTTP handler answers it with 404.
var ErrUnknownTopic = errors.New("publisher: unknown topic")

// defaultLimit is the number of entries of a topic whose Limit is not set.
const defaultLimit = 50

// Options configure a Server.
type Options struct {
	// BaseURL is the absolute URL the site is published under, ending
	// with "/" (one is added when missing). Every URL in feeds and pages
	// is absolute under it.
	BaseURL string
	// Topics are published in this order.
	Topics []feedloom.Topic
	// Title is the site title shown on the index page; "" means
	// "feedloom".
	Title string
	// Hub is the URL of the WebSub hub the feeds advertise (rel="hub"
	// links in RSS and Atom, "hubs" in JSON Feed, and Link headers);
	// "" for none.
	Hub string
	// Logger receives internal errors of the HTTP handler; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Server renders topics into feeds and pages, caches the bytes and serves
// them over HTTP. It is safe for concurrent use.
type Server struct {
	st      Store
	o       Options
	log     *slog.Logger
	topics  map[string]feedloom.Topic
	slots   map[slotKey]*slot     // filled in New, read-only afterwards
	static  map[string]staticFile // topics.opml, style.css
	archive archiveSlots          // archive pages, cached as asked for
	links   map[slotKey][]string  // the Link header of each topic feed; nil without a hub
	handler http.Handler
}

// New returns a Server that publishes o.Topics from st.
func New(st Store, o Options) *Server {
	if !strings.HasSuffix(o.BaseURL, "/") {
		o.BaseURL += "/"
	}
	if o.Title == "" {
		o.Title = "feedloom"
	}
	o.Topics = append([]feedloom.Topic(nil), o.Topics...)
	s := &Server{
		st:     st,
		o:      o,
		log:    o.Logger,
		topics: make(map[string]feedloom.Topic, len(o.Topics)),
		slots:  map[slotKey]*slot{{format: HTML}: newSlot()}, // the index page
		links:  map[slotKey][]string{},
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	for _, t := range o.Topics {
		s.topics[t.Name] = t
		for _, f := range formats {
			s.slots[slotKey{t.Name, f}] = newSlot()
		}
		if o.Hub != "" {
			for _, f := range feedFormats {
				s.links[slotKey{t.Name, f}] = []string{"<" + o.Hub + `>; rel="hub", <` + s.url("topics/"+t.Name+f.Ext()) + `>; rel="self"`}
			}
		}
	}
	opml, err := s.renderOPML()
	s.static = map[string]staticFile{
		"topics.opml": {newRendered(opml, "text/x-opml; charset=utf-8", zeroTime), err},
		"style.css":   {newRendered(styleCSS, "text/css; charset=utf-8", zeroTime), nil},
	}
	for _, sf := range s.static {
		sf.r.hdr = sf.r.headers()
	}
	s.handler = s.routes()
	return s
}

// A staticFile depends only on the options: rendered once, in New.
type staticFile struct {
	r   *Rendered
	err error
}

// limit is the number of entries topic t publishes.
func limit(t feedloom.Topic) int {
	if t.Limit > 0 {
		return t.Limit
	}
	return defaultLimit
}
