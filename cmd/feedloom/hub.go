package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/publisher"
	"github.com/feedloom/feedloom/publisher/hub"
	"github.com/feedloom/feedloom/store"
)

// hubURL is the WebSub hub the published feeds advertise: the built-in
// hub under base_url, the external hub websub.hub names, or "" for none.
func hubURL(cfg *config.Config) string {
	switch cfg.WebSub.Hub {
	case "":
		return ""
	case "builtin":
		return cfg.BaseURL + "websub"
	default:
		return cfg.WebSub.Hub
	}
}

// webSubHub is serve's WebSub hub (websub.hub: builtin) or publish pinger
// (websub.hub: URL). It is nil when websub.hub is not set, and its
// methods then do nothing.
type webSubHub struct {
	h       *hub.Hub
	builtin bool
}

// newHub wires the hub over the topics of cfg, rendering through pub.
func newHub(cfg *config.Config, st *store.Store, pub *publisher.Server, log *slog.Logger) *webSubHub {
	if cfg.WebSub.Hub == "" {
		return nil
	}
	names := make([]string, len(cfg.Topics))
	for i, t := range cfg.Topics {
		names[i] = t.Name
	}
	o := hub.Options{
		BaseURL:      cfg.BaseURL,
		Topics:       names,
		AllowPrivate: cfg.Fetch.AllowPrivateNetworks,
		Timeout:      cfg.Fetch.Timeout,
		Logger:       log,
	}
	if cfg.WebSub.Hub != "builtin" {
		o.External = cfg.WebSub.Hub
	}
	h := hub.New(st, pub, o)
	if err := h.Load(context.Background()); err != nil {
		log.Warn("websub hub: loading subscriptions", "error", err)
	}
	return &webSubHub{h: h, builtin: o.External == ""}
}

// routes mount the built-in hub at /websub.
func (w *webSubHub) routes() []route {
	if w == nil || !w.builtin {
		return nil
	}
	return []route{{pattern: hub.Path, handler: w.h.Handler()}}
}

// start runs the deliveries (or pings) in a goroutine of wg until ctx is
// done.
func (w *webSubHub) start(ctx context.Context, wg *sync.WaitGroup) {
	if w == nil {
		return
	}
	wg.Go(func() { w.h.Run(ctx) })
}
