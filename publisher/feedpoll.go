package publisher

import (
	"context"
	"net/http"
	"strings"
)

// A FeedPoll is what the feed fast path reads of a request, for a server
// other than net/http (cmd/feedloom's fasthttp engine). The strings need
// only live for the call: AnswerFeed keeps none of them.
type FeedPoll struct {
	Method         string // GET is answered 200 or 304, HEAD only 304
	Path           string // the request's path as sent: not decoded, no query
	AcceptEncoding string // the Accept-Encoding header; "" when absent
	IfNoneMatch    string // the first If-None-Match header; "" when absent
	// Other is set when the request carries what the fast path leaves
	// to the full handler: If-Modified-Since, Range, an empty
	// If-None-Match, several Accept-Encoding headers.
	Other bool
}

// A FeedAnswer is the answer the net/http fast path (serve) gives a feed
// poll: the status, the header values and the bytes. Strings are "" for
// a header the answer does not carry.
type FeedAnswer struct {
	Status       int // http.StatusOK or http.StatusNotModified
	Body         []byte
	ContentType  string // "" on a 304
	Encoding     string // Content-Encoding: "gzip" or ""
	ETag         string
	CacheControl string
	LastModified string
	Vary         string   // "Accept-Encoding" when there is a gzip variant
	Link         []string // the Link header values of the topic's feed
}

// AnswerFeed answers p from the cache when it is a poll of a topic feed
// (/topics/{name}.rss, .atom or .json) that the net/http fast path would
// answer itself: an unconditional GET (200) or a GET or HEAD repeating
// the exact ETag (304). It returns false for everything else (any other
// path or request, an error) and the caller hands the request to
// Handler, which then answers it as it always does. Every answer also
// carries Access-Control-Allow-Origin: *, X-Content-Type-Options: nosniff
// and (on a 200) Accept-Ranges: bytes, which the caller writes.
func (s *Server) AnswerFeed(ctx context.Context, p FeedPoll) (FeedAnswer, bool) {
	if p.Other || p.Method != http.MethodGet && p.Method != http.MethodHead {
		return FeedAnswer{}, false
	}
	file, ok := strings.CutPrefix(p.Path, "/topics/")
	if !ok || strings.ContainsAny(file, "/%") {
		return FeedAnswer{}, false
	}
	name, f, ok := splitFile(file)
	if !ok || f == HTML {
		return FeedAnswer{}, false
	}
	t, ok := s.topics[name]
	if !ok {
		return FeedAnswer{}, false
	}
	// t.Name, not name: name may be the caller's bytes, which the cache
	// must not keep.
	rd, err := s.Render(ctx, t.Name, f)
	if err != nil {
		return FeedAnswer{}, false
	}
	gz := rd.Gzip != nil && p.AcceptEncoding != "" && acceptsGzip([]string{p.AcceptEncoding})
	hv := &rd.hdr
	body, etag, _ := rd.variant(hv, gz)
	a := FeedAnswer{ETag: etag[0], CacheControl: hv.cacheControl[0], Link: s.links[slotKey{t.Name, f}]}
	if rd.Gzip != nil {
		a.Vary = hvVary[0]
	}
	// An empty If-None-Match header is among p.Other: "" is no header.
	switch a.Status = fastStatus(p.Method, p.IfNoneMatch, p.IfNoneMatch != "", false, a.ETag); a.Status {
	case http.StatusNotModified:
	case http.StatusOK:
		a.Body, a.ContentType = body, hv.contentType[0]
		if gz {
			a.Encoding = hvGzip[0]
		}
		if hv.lastModified != nil {
			a.LastModified = hv.lastModified[0]
		}
	default:
		return FeedAnswer{}, false
	}
	return a, true
}

// FeedRoute is the ServeMux pattern a feed poll is routed by, under which
// the metrics count the polls AnswerFeed answers.
const FeedRoute = topicPattern
