package main

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/feedloom/feedloom"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/metrics"
	"github.com/feedloom/feedloom/publisher"
	"github.com/feedloom/feedloom/store"
)

// telemetry is what serve shows an operator besides the logs: the
// Prometheus metrics at /metrics and the sources at /sources.
type telemetry struct {
	*metrics.Metrics
	reg     *prometheus.Registry
	sources publisher.SourceReader
	log     *slog.Logger
	pushes  atomic.Pointer[func() metrics.Pushes]
}

// newTelemetry creates serve's own registry (never the global default)
// with feedloom's metrics and the Go runtime's and the process's.
func newTelemetry(cfg *config.Config, st *store.Store, log *slog.Logger) (*telemetry, error) {
	t := &telemetry{
		reg:     prometheus.NewRegistry(),
		sources: configSources{st: st, list: cfg.Sources},
		log:     log,
	}
	m, err := metrics.New(t.reg, metrics.Options{Sources: t.sourceStates, WebSub: t.webSubPushes})
	if err != nil {
		return nil, err
	}
	t.Metrics = m
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := t.reg.Register(c); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// routes mounts GET /metrics and the sources page beside the publisher.
func (t *telemetry) routes(pub *publisher.Server) []route {
	sources := pub.SourcesHandler(t.sources)
	return []route{
		{"GET /metrics", promhttp.HandlerFor(t.reg, promhttp.HandlerOpts{
			// A store that cannot be read fails feedloom_sources only; the
			// rest is still served, and the error logged.
			ErrorHandling: promhttp.ContinueOnError,
			ErrorLog:      slog.NewLogLogger(t.log.Handler(), slog.LevelWarn),
		})},
		{"GET /sources", sources},
		{"GET /sources.json", sources},
		{"GET /sources.opml", sources},
	}
}

// setWebSub hands the WebSub subscriber's push counts to /metrics. Until
// it is called they read as zero.
func (t *telemetry) setWebSub(stats func() metrics.Pushes) { t.pushes.Store(&stats) }

func (t *telemetry) webSubPushes() metrics.Pushes {
	if f := t.pushes.Load(); f != nil {
		return (*f)()
	}
	return metrics.Pushes{}
}

// sourceStates reads the state of every configured source for a scrape.
func (t *telemetry) sourceStates(ctx context.Context) ([]metrics.Source, error) {
	list, err := publisher.SourceStatuses(ctx, t.sources)
	if err != nil {
		return nil, err
	}
	out := make([]metrics.Source, len(list))
	for i, s := range list {
		out[i] = metrics.Source{State: s.State, NextPoll: s.NextPoll, Flagged: s.Flagged}
	}
	return out, nil
}

// configSources is the config's sources with their states in the store.
type configSources struct {
	st   *store.Store
	list []feedloom.Source
}

func (c configSources) Sources() []feedloom.Source { return c.list }

func (c configSources) SourceState(ctx context.Context, u string) (feedloom.SourceState, error) {
	return c.st.SourceState(ctx, u)
}
