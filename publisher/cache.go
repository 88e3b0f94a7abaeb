package publisher

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/feedloom/feedloom"
)

// Rendered is one representation of a topic (or page), rendered once and
// served until the topic's version changes. It must not be modified.
type Rendered struct {
	Body        []byte    // the bytes, identity encoding
	ETag        string    // strong validator of Body: quoted hex of a SHA-256 prefix
	Gzip        []byte    // Body gzipped once per render; nil if compression failed
	GzipETag    string    // ETag with "-gz" inside the quotes: the gzip variant is another representation
	Modified    time.Time // latest Updated of the entries; zero when there are none
	ContentType string
	// CacheControl is the Cache-Control header; "" for the default.
	CacheControl string

	version uint64 // the store version the bytes are at least as new as
	hdr     served // header values, built once
}

func newRendered(body []byte, contentType string, modified time.Time) *Rendered {
	sum := sha256.Sum256(body)
	tag := hex.EncodeToString(sum[:16])
	return &Rendered{
		Body:        body,
		ETag:        `"` + tag + `"`,
		Gzip:        gzipBytes(body),
		GzipETag:    `"` + tag + `-gz"`,
		Modified:    modified,
		ContentType: contentType,
	}
}

// gzipBytes compresses b with a fixed header (no name, no time), so equal
// input gives equal output.
func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil
	}
	if _, err := zw.Write(b); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	return buf.Bytes()
}

type slotKey struct {
	topic  string // "" with HTML: the index page
	format Format
}

// A slot caches the latest rendering of one (topic, format). Readers load
// it without a lock; a render holds sem, so that a burst of requests after
// a change renders once.
type slot struct {
	sem chan struct{}
	cur atomic.Pointer[Rendered]
}

func newSlot() *slot { return &slot{sem: make(chan struct{}, 1)} }

// get returns the cached rendering if it is at the current version, and
// renders it otherwise.
//
// The version is read before the entries are (render reads them), so the
// bytes are at least as new as the version they are stored under: a change
// that lands in between makes the next request render again, never leaves
// stale bytes under a new version.
func (sl *slot) get(ctx context.Context, version func(context.Context) (uint64, error), render func(context.Context) (*Rendered, error)) (*Rendered, error) {
	v, err := version(ctx)
	if err != nil {
		return nil, err
	}
	if r := sl.cur.Load(); r != nil && r.version == v {
		return r, nil
	}
	select {
	case sl.sem <- struct{}{}:
		defer func() { <-sl.sem }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// While we waited, another request may have rendered, and the topic
	// may have changed again: read the version afresh.
	if v, err = version(ctx); err != nil {
		return nil, err
	}
	if r := sl.cur.Load(); r != nil && r.version == v {
		return r, nil
	}
	r, err := render(ctx)
	if err != nil {
		return nil, err
	}
	r.version = v
	r.hdr = r.headers()
	sl.cur.Store(r)
	return r, nil
}

// Render returns topic in format f, from the cache when the topic has not
// changed since it was last rendered. Two renders of unchanged data give
// the same bytes. An unconfigured topic gives ErrUnknownTopic.
func (s *Server) Render(ctx context.Context, topic string, f Format) (*Rendered, error) {
	t, ok := s.topics[topic]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownTopic, topic)
	}
	sl := s.slots[slotKey{topic, f}]
	if sl == nil {
		return nil, fmt.Errorf("publisher: render %q: unknown format %d", topic, f)
	}
	// The closures do not escape get: a request served from the cache
	// allocates nothing here.
	return sl.get(ctx, func(ctx context.Context) (uint64, error) { return s.topicVersion(ctx, topic) },
		func(ctx context.Context) (*Rendered, error) { return s.renderTopic(ctx, t, f, -1) })
}

// RenderArchive returns archive page k of topic in format f (see
// archive.go; in HTML, the page a person pages back through). A page that does not exist, or a store without filing
// logs, gives an error the handler answers with 404.
func (s *Server) RenderArchive(ctx context.Context, topic string, k int, f Format) (*Rendered, error) {
	t, ok := s.topics[topic]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownTopic, topic)
	}
	if k < 0 || archiveExt(f) == "" {
		return nil, fmt.Errorf("%w: archive %d%s of %q", errNotFound, k, f.Ext(), topic)
	}
	key := archiveKey{topic, f, k}
	r, err := s.archive.get(key).get(ctx, func(ctx context.Context) (uint64, error) { return s.topicVersion(ctx, topic) },
		func(ctx context.Context) (*Rendered, error) { return s.renderTopic(ctx, t, f, k) })
	if err != nil {
		s.archive.drop(key) // no slot for every page number asked for
	}
	return r, err
}

func (s *Server) topicVersion(ctx context.Context, topic string) (uint64, error) {
	v, err := s.st.TopicVersion(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("publisher: version of topic %q: %w", topic, err)
	}
	return v, nil
}

// renderTopic reads page (-1: the current feed) of t and renders it in
// format f.
func (s *Server) renderTopic(ctx context.Context, t feedloom.Topic, f Format, page int) (*Rendered, error) {
	p, ok, err := s.pageOf(ctx, t, page)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: archive %d%s of %q", errNotFound, page, f.Ext(), t.Name)
	}
	var body []byte
	if f == HTML {
		body, err = s.renderTopicPage(p.topicView, p.paging(s))
	} else {
		body, err = renderFeed(p.topicView, f, p.links(s, f))
	}
	if err != nil {
		return nil, err
	}
	r := newRendered(body, f.ContentType(), p.Modified)
	r.CacheControl = p.cacheControl
	return r, nil
}

// view reads the current entries of t from the store.
func (s *Server) view(ctx context.Context, t feedloom.Topic) (*topicView, error) {
	p, _, err := s.pageOf(ctx, t, -1)
	if err != nil {
		return nil, err
	}
	return p.topicView, nil
}

// index returns the index page, rendered again when any topic changed.
func (s *Server) index(ctx context.Context) (*Rendered, error) {
	// Topic versions only increase, so their sum changes whenever any
	// of them does.
	version := func(ctx context.Context) (uint64, error) {
		var sum uint64
		for _, t := range s.o.Topics {
			v, err := s.topicVersion(ctx, t.Name)
			if err != nil {
				return 0, err
			}
			sum += v
		}
		return sum, nil
	}
	return s.slots[slotKey{format: HTML}].get(ctx, version, s.renderIndex)
}
