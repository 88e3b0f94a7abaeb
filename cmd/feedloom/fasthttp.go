package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/publisher"
)

// An engine is the HTTP server serve runs on its listener.
type engine interface {
	Serve(ln net.Listener) error // returns once the engine is shut down or closed
	Shutdown(ctx context.Context) error
	Close() error // cuts the connections left
}

// newEngine is the server of cfg.Server.Engine for h, the whole net/http
// handler. The fasthttp engine answers feed polls from the publisher
// pub returns itself and gives h the rest; count records those polls.
func newEngine(cfg *config.Config, h http.Handler, pub func() *publisher.Server, count func(string, int, time.Duration), log *slog.Logger) engine {
	if cfg.Server.Engine != config.EngineFastHTTP {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
			ReadTimeout:       cfg.Server.ReadTimeout,
			WriteTimeout:      cfg.Server.WriteTimeout,
			IdleTimeout:       cfg.Server.IdleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
		}
	}
	return newFastEngine(cfg, h, pub, count, log)
}

// fastEngine is serve on fasthttp. net/http's per-request costs (a
// goroutine-per-connection reader, the header map, the Request) put its
// ceiling under what the serving benchmark asks; fasthttp reuses its
// request and response objects. Only feed polls take the fasthttp path;
// everything else goes through fasthttpadaptor to the very handler
// net/http would run, so the two engines answer alike.
type fastEngine struct {
	srv   *fasthttp.Server
	pub   func() *publisher.Server
	next  fasthttp.RequestHandler
	count func(string, int, time.Duration)

	mu    sync.Mutex
	conns map[net.Conn]struct{} // open connections, for Close
}

func newFastEngine(cfg *config.Config, h http.Handler, pub func() *publisher.Server, count func(string, int, time.Duration), log *slog.Logger) *fastEngine {
	e := &fastEngine{pub: pub, next: fasthttpadaptor.NewFastHTTPHandler(h), count: count, conns: map[net.Conn]struct{}{}}
	bodyTimeout := cfg.Server.ReadTimeout
	e.srv = &fasthttp.Server{
		Handler: e.serve,
		// fasthttp's ReadTimeout runs from a request's first byte: here it
		// bounds the request line and headers, as read_header_timeout
		// does under net/http; a request with a body gets read_timeout
		// more for it once its headers are in.
		ReadTimeout: cfg.Server.ReadHeaderTimeout,
		HeaderReceived: func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
			if h.ContentLength() != 0 {
				return fasthttp.RequestConfig{ReadTimeout: bodyTimeout}
			}
			return fasthttp.RequestConfig{}
		},
		WriteTimeout: cfg.Server.WriteTimeout,
		IdleTimeout:  cfg.Server.IdleTimeout,
		// Request line and headers must fit the read buffer: past it the
		// answer is 431, as under net/http.
		ReadBufferSize: maxHeaderBytes,
		// fasthttp reads a body whole before the handler runs. The
		// largest a handler takes is a WebSub delivery (fetch.max_body);
		// the admin endpoints cap theirs lower and answer 413.
		MaxRequestBodySize:    int(max(cfg.Fetch.MaxBody, maxAdminBody)) + 64<<10,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		CloseOnShutdown:       true,
		Logger:                slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState: func(c net.Conn, s fasthttp.ConnState) {
			e.mu.Lock()
			defer e.mu.Unlock()
			switch s {
			case fasthttp.StateNew:
				e.conns[c] = struct{}{}
			case fasthttp.StateClosed, fasthttp.StateHijacked:
				delete(e.conns, c)
			}
		},
	}
	return e
}

func (e *fastEngine) Serve(ln net.Listener) error { return e.srv.Serve(ln) }

// Shutdown stops accepting, closes idle connections and waits for the
// requests in flight until ctx is done.
func (e *fastEngine) Shutdown(ctx context.Context) error { return e.srv.ShutdownWithContext(ctx) }

// Close cuts every connection still open (fasthttp has no call for it).
func (e *fastEngine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for c := range e.conns {
		errs = append(errs, c.Close())
		delete(e.conns, c)
	}
	return errors.Join(errs...)
}

// serve answers a feed poll the publisher can answer from its cache, and
// hands any other request to the net/http handler.
func (e *fastEngine) serve(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	h := &ctx.Request.Header
	p := publisher.FeedPoll{
		Method: bstr(h.Method()),
		Path:   bstr(ctx.URI().PathOriginal()),
	}
	if ae := h.PeekAll(fasthttp.HeaderAcceptEncoding); len(ae) == 1 {
		p.AcceptEncoding = bstr(ae[0])
	} else if len(ae) > 1 {
		p.Other = true
	}
	if inm := h.PeekAll(fasthttp.HeaderIfNoneMatch); len(inm) > 0 {
		p.IfNoneMatch = bstr(inm[0])
		p.Other = p.Other || p.IfNoneMatch == ""
	}
	p.Other = p.Other || h.Peek(fasthttp.HeaderIfModifiedSince) != nil || h.Peek(fasthttp.HeaderRange) != nil
	a, ok := e.pub().AnswerFeed(ctx, p)
	if !ok {
		e.next(ctx)
		return
	}
	rh := &ctx.Response.Header
	rh.Set(fasthttp.HeaderCacheControl, a.CacheControl)
	rh.Set("X-Content-Type-Options", "nosniff")
	rh.Set(fasthttp.HeaderAccessControlAllowOrigin, "*")
	if a.Vary != "" {
		rh.Set(fasthttp.HeaderVary, a.Vary)
	}
	for _, l := range a.Link {
		rh.Add(fasthttp.HeaderLink, l)
	}
	rh.Set(fasthttp.HeaderETag, a.ETag)
	ctx.SetStatusCode(a.Status)
	if a.Status == http.StatusOK {
		rh.SetContentType(a.ContentType)
		if a.Encoding != "" {
			rh.Set(fasthttp.HeaderContentEncoding, a.Encoding)
		}
		if a.LastModified != "" {
			rh.Set(fasthttp.HeaderLastModified, a.LastModified)
		}
		rh.Set(fasthttp.HeaderAcceptRanges, "bytes")
		// The cached bytes are never modified: the response may point
		// at them instead of copying.
		ctx.Response.SetBodyRaw(a.Body)
	}
	e.count(publisher.FeedRoute, a.Status, time.Since(start))
}

// bstr is b as a string without a copy, for values read during one
// request (fasthttp reuses b afterwards; AnswerFeed keeps none).
func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
