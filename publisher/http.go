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

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleIndex)
	mux.HandleFunc("GET /topics/{file}", s.handleTopic)
	mux.HandleFunc("GET /topics/{name}/{$}", s.handleTopicDir)
	mux.HandleFunc("GET /topics/{name}/archive/{file}", s.handleArchive)
	mux.HandleFunc("GET /topics.opml", s.handleStatic)
	mux.HandleFunc("GET /style.css", s.handleStatic)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	for _, p := range []string{"/topics/{file}", "/topics/{name}/archive/{file}", "/topics.opml", "/style.css"} {
		mux.HandleFunc("OPTIONS "+p, s.handlePreflight)
	}
	return mux
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	rd, err := s.index(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Security-Policy", headerCSP)
	serve(w, r, rd)
}

// handleTopic serves /topics/{file}. A wildcard fills a whole path
// segment, so the extension is split off here.
func (s *Server) handleTopic(w http.ResponseWriter, r *http.Request) {
	name, f, ok := splitFile(r.PathValue("file"))
	if !ok {
		s.writeError(w, r, fmt.Errorf("%w: %s", errNotFound, r.URL.Path))
		return
	}
	rd, err := s.Render(r.Context(), name, f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if f == HTML {
		w.Header().Set("Content-Security-Policy", headerCSP)
	} else {
		// Public, cookie-less data: any site may fetch it from a browser.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if s.o.Hub != "" {
			// Some WebSub subscribers look only at the headers.
			w.Header().Set("Link", "<"+s.o.Hub+`>; rel="hub", <`+s.url("topics/"+name+f.Ext())+`>; rel="self"`)
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
		w.Header().Set("Content-Security-Policy", headerCSP)
	} else {
		w.Header().Set("Access-Control-Allow-Origin", "*")
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
	w.Header().Set("Access-Control-Allow-Origin", "*")
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

// serve writes rd, or its gzip variant, with the caching headers and
// leaves conditional requests, HEAD and ranges to http.ServeContent
// (If-None-Match wins over If-Modified-Since, compared weakly; a 304 keeps
// ETag, Cache-Control and Vary and drops the body).
func serve(w http.ResponseWriter, r *http.Request, rd *Rendered) {
	h := w.Header()
	h.Set("Content-Type", rd.ContentType)
	h.Set("Cache-Control", firstNonEmpty(rd.CacheControl, cacheControl))
	h.Set("X-Content-Type-Options", "nosniff")
	body, etag := rd.Body, rd.ETag
	if rd.Gzip != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			body, etag = rd.Gzip, rd.GzipETag
			// ServeContent leaves Content-Length out when the body is
			// encoded (it fears a compressing wrapper); ours is
			// precompressed, so the length is known, HEAD included.
			h.Set("Content-Length", strconv.Itoa(len(body)))
		}
	}
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm == etag && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// A subscriber repeating our ETag, the most common poll: answer
		// 304 as ServeContent does (If-None-Match decides; no body, no
		// Content-* headers, no Last-Modified beside an ETag).
		h.Del("Content-Type")
		h.Del("Content-Length")
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodGet && r.Header.Get("If-None-Match") == "" && r.Header.Get("If-Modified-Since") == "" &&
		r.Header.Get("Range") == "" {
		// The common case, an unconditional GET, needs none of
		// ServeContent's negotiation: write the cached bytes as it would.
		if !rd.Modified.IsZero() && !rd.Modified.Equal(time.Unix(0, 0)) {
			h.Set("Last-Modified", rd.Modified.UTC().Format(http.TimeFormat))
		}
		h.Set("Accept-Ranges", "bytes")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return
	}
	http.ServeContent(w, r, "", rd.Modified, bytes.NewReader(body))
}

// acceptsGzip reports whether Accept-Encoding header values allow gzip:
// gzip (or x-gzip) with a non-zero q, or else "*" with a non-zero q.
func acceptsGzip(values []string) bool {
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
