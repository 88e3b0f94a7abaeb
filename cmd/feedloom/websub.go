package main

import (
	"context"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"sync"

	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/websub"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/internal/netguard"
	"github.com/feedloom/feedloom/metrics"
	"github.com/feedloom/feedloom/store"
)

// webSub is serve's WebSub subscriber. It is nil when websub.subscribe is
// off, and its methods then do nothing.
type webSub struct{ m *websub.Manager }

// newWebSub wires the subscriber when websub.subscribe is on: the
// aggregator hands it every polled document (to discover hubs) and hears
// from it which sources are pushed (to poll those only as a safety net);
// pushed documents are stored through agg.Ingest.
func newWebSub(cfg *config.Config, st *store.Store, agg *aggregator.Aggregator, log *slog.Logger) *webSub {
	if !cfg.WebSub.Subscribe {
		return nil
	}
	if !publicURL(cfg.BaseURL) {
		log.Warn("websub: base_url is not a public address: only hubs on this machine or network can reach the callbacks", slog.String("base_url", cfg.BaseURL))
	}
	m := websub.New(st, agg, websub.Options{
		BaseURL:      cfg.BaseURL,
		Sources:      cfg.Sources,
		Lease:        cfg.WebSub.Lease,
		MaxBody:      cfg.Fetch.MaxBody,
		AllowPrivate: cfg.Fetch.AllowPrivateNetworks,
		Allow:        cfg.Fetch.Allow,
		Timeout:      cfg.Fetch.Timeout,
		UserAgent:    cfg.Fetch.UserAgent,
		SetPushed:    agg.SetPushed,
		Logger:       log,
	})
	agg.OnDocument(m.Observe)
	return &webSub{m: m}
}

// routes are the callbacks the hubs call.
func (w *webSub) routes() []route {
	if w == nil {
		return nil
	}
	return []route{{pattern: websub.CallbackPath, handler: w.m.Handler()}}
}

// start keeps the subscriptions in a goroutine of wg until ctx is done.
func (w *webSub) start(ctx context.Context, wg *sync.WaitGroup) {
	if w == nil {
		return
	}
	wg.Go(func() { w.m.Run(ctx) })
}

// pushes counts the pushes accepted, refused (unsigned, badly signed, or
// to an unknown callback) and failed, for /metrics.
func (w *webSub) pushes() metrics.Pushes {
	if w == nil {
		return metrics.Pushes{}
	}
	s := w.m.Stats()
	return metrics.Pushes{Accepted: s.Accepted, Refused: s.Refused, Failed: s.Failed}
}

// publicURL reports whether u's host may be reachable from elsewhere: not
// localhost, and not an address in a private or other special range.
func publicURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(p.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return !netguard.Blocked(ip)
	}
	return true // a name: assume it is public
}
