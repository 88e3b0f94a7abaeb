package main

import (
	"context"
	"log/slog"
	"maps"
	"time"

	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/store"
)

// exportEvery is how often serve checks whether export.dir needs
// rewriting; tests shorten it.
var exportEvery = 2 * time.Second

// exportLoop keeps export.dir a static copy of the site while serve runs:
// whenever a topic's version changes, or the config is reloaded, the site
// is exported again (each file written to a temporary name, then renamed,
// so a web server reading the folder never sees half a file). It returns
// when ctx ends.
func exportLoop(ctx context.Context, rl *reloader, st *store.Store, log *slog.Logger) {
	var lastCfg *config.Config
	var last map[string]uint64
	t := time.NewTicker(exportEvery)
	defer t.Stop()
	for {
		if cfg := rl.config(); cfg.Export.Dir != "" {
			cur := make(map[string]uint64, len(cfg.Topics))
			for _, tp := range cfg.Topics {
				v, err := st.TopicVersion(ctx, tp.Name)
				if err != nil {
					return // the store is closing
				}
				cur[tp.Name] = v
			}
			if cfg != lastCfg || !maps.Equal(cur, last) {
				if err := newPublisher(cfg, st).Export(ctx, cfg.Export.Dir); err != nil {
					if ctx.Err() != nil {
						return
					}
					log.Warn("export", slog.String("dir", cfg.Export.Dir), slog.Any("error", err))
				} else {
					lastCfg, last = cfg, cur
					log.Debug("exported", slog.String("dir", cfg.Export.Dir))
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
