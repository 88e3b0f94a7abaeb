// Package assemble turns a config into the options of the parts that run
// it, so that feedloom and its benchmark build the aggregator the same
// way.
package assemble

import (
	"log/slog"
	"net/url"

	"github.com/feedloom/feedloom/aggregator"
	"github.com/feedloom/feedloom/aggregator/fetch"
	"github.com/feedloom/feedloom/config"
	"github.com/feedloom/feedloom/publisher/rules"
)

// AggregatorOptions are the aggregator's options for cfg: fetch limits,
// the poll schedule, clustering, retention, and set's Classify to file
// items under topics.
func AggregatorOptions(cfg *config.Config, set *rules.Set, log *slog.Logger) aggregator.Options {
	return aggregator.Options{
		Fetch:         FetchOptions(cfg),
		Interval:      cfg.Poll.Interval,
		MinInterval:   cfg.Poll.MinInterval,
		MaxInterval:   cfg.Poll.MaxInterval,
		Workers:       cfg.Poll.Workers,
		PerHost:       cfg.Poll.PerHost,
		Cluster:       cfg.Cluster.Enabled,
		ClusterWindow: cfg.Cluster.Window,
		MaxAge:        cfg.Retention.MaxAge,
		MaxPerSource:  cfg.Retention.MaxPerSource,
		PruneEvery:    cfg.Retention.CheckInterval,
		Classify:      set.Classify,
		Logger:        log,
	}
}

// FetchOptions are the fetch client's options for cfg: the one place the
// fetch section of the config becomes the guard and limits of a fetch,
// for polling and for `feedloom add` and `import` alike.
func FetchOptions(cfg *config.Config) fetch.Options {
	return fetch.Options{
		Timeout:      cfg.Fetch.Timeout,
		MaxBody:      cfg.Fetch.MaxBody,
		UserAgent:    cfg.Fetch.UserAgent,
		AllowPrivate: cfg.Fetch.AllowPrivateNetworks,
		Allow:        cfg.Fetch.Allow,
		Proxy:        proxyURL(cfg.Fetch.Proxy),
	}
}

// proxyURL parses fetch.proxy, which the config has checked; "" is no
// proxy.
func proxyURL(s string) *url.URL {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil
	}
	return u
}
