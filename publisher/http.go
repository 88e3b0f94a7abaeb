package publisher

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// errNotFound is returned for paths under /topics/ that name no
// representation (an unknown extension).
var errNotFound = errors.New("publisher: not found")

// cacheControl lets readers and shared caches keep what has no
// Cache-Control of its own (the index, OPML, the stylesheet) five minutes.
// Topic feeds and pages carry one derived from the topic's update rate
// (maxAgeOf); full archive pages are kept a year.
const cacheControl = "public, max-age=300"

// Handler serves the site:
//
//	GET /                      HTML index of the topics
//	GET /topics/{name}         HTML page of a topic
//	GET /topics/{name}/        redirect to /topics/{name} (the static export's layout)
//	GET /topics/{name}.rss     RSS 2.0
//	GET /topics/{name}.atom    Atom 1.0
//	GET /topics/{name}.json    JSON Feed 1.1
//	GET /topics/{name}/archive/{k}.rss|.atom|.json   RFC 5005 archive page k (archive.go)
//	GET /topics/{name}/archive/{k}.html             the same page for people
//	GET /topics.opml           OPML 2.0 of every topic's Atom feed
//	GET /style.css             the pages' stylesheet
//	GET /healthz               200 "ok"
//	OPTIONS                    a CORS preflight, for each path served with Access-Control-Allow-Origin: *
//
// HEAD is answered for each. Feeds and pages carry a strong ETag and
// Last-Modified, answer conditional requests with 304, and are gzipped
// when the client accepts it.
func (s *Server) Handler() http.Handler { return s.handler }

// topicPattern is the route of the topic feeds and pages.
const topicPattern = "GET /topics/{file}"

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleIndex)
	mux.HandleFunc(topicPattern, s.handleTopic)
	mux.HandleFunc("GET /topics/{name}/{$}", s.handleTopicDir)
	mux.HandleFunc("GET /topics/{name}/archive/{file}", s.handleArchive)
	mux.HandleFunc("GET /topics.opml", s.handleStatic)
	mux.HandleFunc("GET /style.css", s.handleStatic)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	for _, p := range []string{"/topics/{file}", "/topics/{name}/archive/{file}", "/topics.opml", "/style.css"} {
		mux.HandleFunc("OPTIONS "+p, s.handlePreflight)
	}
	// Feed polls are nearly every request: a plain /topics/{file} skips
	// the mux's matching (and the allocations of its path values). It is
	// routed as the mux would route it, and Request.Pattern is set as
	// the mux sets it (the metrics read it).
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if file, ok := topicFile(r); ok {
			r.Pattern = topicPattern
			s.serveTopic(w, r, file)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// topicFile is the {file} of a GET or HEAD of /topics/{file} that the mux
// would route to handleTopic as it is: one clean segment, nothing escaped.
func topicFile(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || r.URL.RawPath != "" {
		return "", false
	}
	file, ok := strings.CutPrefix(r.URL.Path, "/topics/")
	if !ok || file == "" || file == "." || file == ".." || strings.IndexByte(file, '/') >= 0 {
		return "", false
	}
	return file, true
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	rd, err := s.index(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header()["Content-Security-Policy"] = hvCSP
	serve(w, r, rd)
}

// handleTopic serves /topics/{file}. A wildcard fills a whole path
// segment, so the extension is split off here.
func (s *Server) handleTopic(w http.ResponseWriter, r *http.Request) {
	s.serveTopic(w, r, r.PathValue("file"))
}

func (s *Server) serveTopic(w http.ResponseWriter, r *http.Request, file string) {
	name, f, ok := splitFile(file)
	if !ok {
		s.writeError(w, r, fmt.Errorf("%w: %s", errNotFound, r.URL.Path))
		return
	}
	rd, err := s.Render(r.Context(), name, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	if f == HTML {
		h["Content-Security-Policy"] = hvCSP
	} else {
		// Public, cookie-less data: any site may fetch it from a browser.
		h["Access-Control-Allow-Origin"] = hvAnyOrigin
		if link := s.links[slotKey{name, f}]; link != nil {
			// Some WebSub subscribers look only at the headers.
			h["Link"] = link
		}
	}
	serve(w, r, rd)
}

// handleArchive serves /topics/{name}/archive/{k}.{ext}, an RFC 5005
// archive page. k is written without leading zeros: one URL a page.
func (s *Server) handleArchive(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	num, f, ok := splitFile(file)
	if html, found := strings.CutSuffix(file, archiveExt(HTML)); found {
		num, f, ok = html, HTML, true
	}
	k, err := strconv.Atoi(num)
	if !ok || num == file || err != nil || k < 0 || strconv.Itoa(k) != num {
		s.writeError(w, r, fmt.Errorf("%w: %s", errNotFound, r.URL.Path))
		return
	}
	rd, err := s.RenderArchive(r.Context(), r.PathValue("name"), k, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if f == HTML {
		w.Header()["Content-Security-Policy"] = hvCSP
	} else {
		w.Header()["Access-Control-Allow-Origin"] = hvAnyOrigin
	}
	serve(w, r, rd)
}

// handleTopicDir redirects /topics/{name}/, where a static export keeps the
// page (topics/{name}/index.html), to the page's canonical URL. The
// Location is relative so that it holds behind a proxy that moves the
// site under a prefix.
func (s *Server) handleTopicDir(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, ok := s.topics[name]; !ok {
		s.writeError(w, r, fmt.Errorf("%w: %q", ErrUnknownTopic, name))
		return
	}
	w.Header().Set("Location", "../"+name)
	w.WriteHeader(http.StatusMovedPermanently)
}

// handleStatic serves what New rendered once: the OPML and the stylesheet.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	sf := s.static[strings.TrimPrefix(r.URL.Path, "/")]
	if sf.err != nil {
		s.writeError(w, r, sf.err)
		return
	}
	if sf.r == nil {
		s.writeError(w, r, fmt.Errorf("%w: %s", errNotFound, r.URL.Path))
		return
	}
	w.Header()["Access-Control-Allow-Origin"] = hvAnyOrigin
	serve(w, r, sf.r)
}

// handlePreflight answers a CORS preflight for what is served with
// Access-Control-Allow-Origin: * (the feeds, their archive pages, the
// OPML and the stylesheet): any origin may GET it, conditionally too,
// and never with credentials. Pages (no CORS header on GET) get 404.
func (s *Server) handlePreflight(w http.ResponseWriter, r *http.Request) {
	if file := r.PathValue("file"); file != "" {
		if _, f, ok := splitFile(file); !ok || f == HTML {
			s.writeError(w, r, fmt.Errorf("%w: %s", errNotFound, r.URL.Path))
			return
		}
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, HEAD")
	h.Set("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since")
	h.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// handleHealth answers 200 while the process serves. It will check the
// store once the store offers a check cheap enough for probes.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	io.WriteString(w, "ok\n")
}

// Header values the handlers assign directly into the response's header
// map (canonical keys, no Header.Set): one slice each, shared by every
// response. Each has len == cap, so an Add by an outer handler copies
// instead of writing into the shared array; nothing writes into them.
var (
	hvNosniff   = []string{"nosniff"}
	hvVary      = []string{"Accept-Encoding"}
	hvGzip      = []string{"gzip"}
	hvBytes     = []string{"bytes"}
	hvAnyOrigin = []string{"*"}
	hvCSP       = []string{headerCSP}
	hvDefaultCC = []string{cacheControl}
)

// served are the header values of one Rendered, built once when it is
// cached so that a request for it builds none.
type served struct {
	built              bool
	contentType        []string
	cacheControl       []string
	etag, gzipETag     []string
	lastModified       []string // nil when Modified says nothing
	length, gzipLength []string
}

func (rd *Rendered) headers() served {
	v := served{
		built:        true,
		contentType:  []string{rd.ContentType},
		cacheControl: hvDefaultCC,
		etag:         []string{rd.ETag},
		gzipETag:     []string{rd.GzipETag},
		length:       []string{strconv.Itoa(len(rd.Body))},
		gzipLength:   []string{strconv.Itoa(len(rd.Gzip))},
	}
	if rd.CacheControl != "" {
		v.cacheControl = []string{rd.CacheControl}
	}
	if !rd.Modified.IsZero() && !rd.Modified.Equal(time.Unix(0, 0)) {
		v.lastModified = []string{rd.Modified.UTC().Format(http.TimeFormat)}
	}
	return v
}

// serve writes rd, or its gzip variant, with the caching headers. The two
// common requests are answered here: an unconditional GET (the cached
// bytes, written at once) and a repeat of the exact ETag (304). The rest
// (other conditionals, HEAD, ranges) goes to http.ServeContent
// (If-None-Match wins over If-Modified-Since, compared weakly; a 304
// keeps ETag, Cache-Control and Vary and drops the body).
//
// Request headers are read from the map by their canonical keys, as
// net/http stores them, and response headers are assigned the prebuilt
// values of rd.hdr: the fast paths allocate no header values.
func serve(w http.ResponseWriter, r *http.Request, rd *Rendered) {
	hv := &rd.hdr
	if !hv.built { // a Rendered that was never cached
		b := rd.headers()
		hv = &b
	}
	h := w.Header()
	h["Content-Type"] = hv.contentType
	h["Cache-Control"] = hv.cacheControl
	h["X-Content-Type-Options"] = hvNosniff
	gz := false
	if rd.Gzip != nil {
		if len(h["Vary"]) == 0 {
			h["Vary"] = hvVary
		} else {
			h.Add("Vary", "Accept-Encoding")
		}
		if ae := r.Header["Accept-Encoding"]; len(ae) > 0 && acceptsGzip(ae) {
			gz = true
		}
	}
	body, etag, length := rd.variant(hv, gz)
	if gz {
		h["Content-Encoding"] = hvGzip
		// ServeContent leaves Content-Length out when the body is
		// encoded (it fears a compressing wrapper); ours is
		// precompressed, so the length is known, HEAD included.
		h["Content-Length"] = length
	}
	h["Etag"] = etag
	inm := r.Header["If-None-Match"]
	first := ""
	if len(inm) > 0 {
		first = inm[0]
	}
	switch fastStatus(r.Method, first, len(inm) > 0, len(r.Header["If-Modified-Since"]) > 0 || len(r.Header["Range"]) > 0, etag[0]) {
	case http.StatusNotModified:
		// As ServeContent answers it: no body, no Content-* headers, no
		// Last-Modified beside an ETag.
		delete(h, "Content-Type")
		delete(h, "Content-Length")
		delete(h, "Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	case http.StatusOK:
		// Written as ServeContent would write it.
		if hv.lastModified != nil {
			h["Last-Modified"] = hv.lastModified
		}
		h["Accept-Ranges"] = hvBytes
		h["Content-Length"] = length
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return
	}
	http.ServeContent(w, r, "", rd.Modified, bytes.NewReader(body))
}

// fastStatus is what the fast paths (serve, and AnswerFeed for other
// servers) answer a request for a cached body whose ETag is etag: 304 to a
// GET or HEAD whose first If-None-Match (inm, hasINM) repeats it exactly —
// a subscriber's usual poll —, 200 to an unconditional GET, and 0 when
// http.ServeContent must decide (other conditionals, ranges, HEAD without a
// validator); negotiate is set when the request has If-Modified-Since or
// Range.
func fastStatus(method, inm string, hasINM, negotiate bool, etag string) int {
	switch {
	case hasINM && inm == etag && (method == http.MethodGet || method == http.MethodHead):
		return http.StatusNotModified
	case method == http.MethodGet && !hasINM && !negotiate:
		return http.StatusOK
	}
	return 0
}

// variant is the body of rd, its ETag and its Content-Length: the gzip
// variant's when gz, else the identity bytes'.
func (rd *Rendered) variant(hv *served, gz bool) (body []byte, etag, length []string) {
	if gz {
		return rd.Gzip, hv.gzipETag, hv.gzipLength
	}
	return rd.Body, hv.etag, hv.length
}

// acceptsGzip reports whether Accept-Encoding header values allow gzip:
// gzip (or x-gzip) with a non-zero q, or else "*" with a non-zero q. The
// values browsers and feed readers send are recognized without parsing.
func acceptsGzip(values []string) bool {
	if len(values) == 1 {
		switch values[0] {
		case "gzip", "gzip, deflate", "gzip, deflate, br", "gzip, deflate, br, zstd", "gzip,deflate", "deflate, gzip", "br, gzip":
			return true
		case "identity", "":
			return false
		}
	}
	gzipQ, starQ := -1.0, -1.0
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			q := 1.0
			for p := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(p, "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil || f < 0 {
						f = 0
					}
					q = f
				}
			}
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				gzipQ = max(gzipQ, q)
			case "*":
				starQ = max(starQ, q)
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return starQ > 0
}

// writeError is the one place errors become responses: an unknown topic
// or file is 404; anything else is logged and answered 500 with a
// generic body, so no internals reach the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	switch {
	case errors.Is(err, ErrUnknownTopic), errors.Is(err, errNotFound):
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// The client went away: nothing went wrong on our side.
		s.log.DebugContext(ctx, "publisher: request canceled",
			slog.String("method", r.Method), slog.String("path", r.URL.Path))
	default:
		s.log.ErrorContext(ctx, "publisher: request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	http.Error(w, "500 internal server error", http.StatusInternalServerError)
}
