package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

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

// hubPoll is how often the hub looks for changed topics; 0 is the hub's
// default. Tests shorten it.
var hubPoll time.Duration

// webSubHub is serve's WebSub hub (websub.hub: builtin) or publish pinger
// (websub.hub: URL). It is nil when websub.hub is not set, and its
// methods then do nothing.
type webSubHub struct {
	h       *hub.Hub
	builtin bool
	log     *slog.Logger
}

// newHub wires the hub over the topics of cfg, rendering through pub.
func newHub(cfg *config.Config, st *store.Store, pub *publisher.Server, log *slog.Logger) *webSubHub {
	if cfg.WebSub.Hub == "" {
		return nil
	}
	o := hub.Options{
		BaseURL:      cfg.BaseURL,
		Topics:       topicNames(cfg),
		AllowPrivate: cfg.Fetch.AllowPrivateNetworks,
		Allow:        cfg.Fetch.Allow,
		Timeout:      cfg.Fetch.Timeout,
		Poll:         hubPoll,
		Logger:       log,
	}
	if cfg.WebSub.Hub != "builtin" {
		o.External = cfg.WebSub.Hub
	}
	h := hub.New(st, pub, o)
	if err := h.Load(context.Background()); err != nil {
		log.Warn("websub hub: loading subscriptions", "error", err)
	}
	return &webSubHub{h: h, builtin: o.External == "", log: log}
}

func topicNames(cfg *config.Config) []string {
	names := make([]string, len(cfg.Topics))
	for i, t := range cfg.Topics {
		names[i] = t.Name
	}
	return names
}

// setSite follows a config reload: the hub serves next's topics under
// next's base_url, rendered by pub. websub.hub itself changes only on
// restart (the reload warns), so the hub keeps its mode.
func (w *webSubHub) setSite(ctx context.Context, next *config.Config, pub *publisher.Server) {
	if w == nil {
		return
	}
	if err := w.h.SetSite(ctx, next.BaseURL, topicNames(next), pub); err != nil {
		w.log.Warn("websub hub: storing subscriptions after a reload", "error", err)
	}
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
